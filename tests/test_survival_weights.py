"""Case weights in Kaplan-Meier, the log-rank family and cumulative incidence; the logit and
arcsin CIs; survfit's Aalen-Johansen (infinitesimal-jackknife) variance; delayed entry in
cumulative incidence.

Reference values come from R 4.2.2, survival 3.5-3 and cmprsk 2.2-11
(tests/reference/survival/survival_round2.R). Tolerance 1e-6 relative: every quantity is a
closed form (products, sums, quadratic forms), so R and netstats differ only by rounding.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from netstats.exceptions import SchemaError, StatisticalWarning
from netstats.survival import (
    cumulative_incidence,
    kaplan_meier,
    km_table,
    logrank,
    pairwise_logrank,
)

REF = Path(__file__).parent / "reference" / "survival"
RTOL = 1e-6  # closed forms: only floating-point rounding separates R and netstats

KM_REF = pd.read_csv(REF / "km_weighted.csv", keep_default_na=False, na_values=[""])
KQ_REF = pd.read_csv(REF / "km_weighted_quantiles.csv", keep_default_na=False, na_values=[""])
LR_REF = pd.read_csv(REF / "logrank_weighted.csv", keep_default_na=False, na_values=[""])
PW_REF = pd.read_csv(REF / "logrank_pairwise_weighted.csv")
AJ_REF = pd.read_csv(REF / "cif_weighted_aj.csv", keep_default_na=False, na_values=[""])
CI_REF = pd.read_csv(REF / "cif_weighted_cuminc.csv")
DATA = {
    "lung": pd.read_csv(REF / "data_weights_lung.csv", dtype={"ecog": str}),
    "veteran": pd.read_csv(REF / "data_weights_veteran.csv"),
    "mgus2": pd.read_csv(REF / "data_weights_mgus2.csv"),
}
for _name in ("cr_example", "cr_tied"):
    DATA[_name] = pd.read_csv(REF / f"data_{_name}.csv")


def close(got, want, atol: float = 0.0) -> None:
    np.testing.assert_allclose(
        np.asarray(got, dtype=float), np.asarray(want, dtype=float), rtol=RTOL, atol=atol
    )


def _str(x: object) -> str:
    return "" if isinstance(x, float) and np.isnan(x) else str(x)


# ------------------------------------------------------------------ Kaplan-Meier ----------
KM_CASES = sorted(
    {
        (d, _str(w), v, c)
        for d, w, v, c in KM_REF[["dataset", "weights", "variance", "conf_type"]].itertuples(
            index=False
        )
    }
)


def km_fit(dataset: str, weights: str, variance: str, conf_type: str):
    name = dataset.split("_")[0]
    group = "celltype" if "celltype" in dataset else "group"
    data = DATA[name]
    if dataset.endswith("_repeated"):  # the rows repeated ``wi`` times, unweighted
        data = data.loc[data.index.repeat(data["wi"])].reset_index(drop=True)
        weights = ""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StatisticalWarning)
        return kaplan_meier(
            data,
            time="time",
            event="status",
            group=group if "by_" in dataset else None,
            conf_type=conf_type,
            conf_level=0.90 if dataset.endswith("_90") else 0.95,
            entry="entry" if "entry" in dataset else None,
            weights=weights or None,
            variance=variance,
        )


@pytest.mark.reference
@pytest.mark.parametrize(("dataset", "weights", "variance", "conf_type"), KM_CASES)
def test_weighted_km_matches_r_survfit(dataset, weights, variance, conf_type):
    ref = KM_REF[
        (KM_REF["dataset"] == dataset)
        & (KM_REF["weights"].map(_str) == weights)
        & (KM_REF["variance"] == variance)
        & (KM_REF["conf_type"] == conf_type)
    ]
    # R keeps the exit times of zero-weight rows as rows with no weight; netstats drops them
    ref = ref[(ref["n_event"] > 0) | (ref["n_censor"] > 0)]
    got = km_fit(dataset, weights, variance, conf_type).summary
    assert len(got) == len(ref)
    assert list(got["group"].astype(str)) == list(ref["group"].astype(str))
    close(got["time"], ref["time"])
    wcol = {"n_risk": "weighted_at_risk", "n_event": "weighted_events"}
    for r_col, col in wcol.items():
        weighted = weights and not dataset.endswith("_repeated")
        close(got[col if weighted else col.replace("weighted_", "n_")], ref[r_col])
    for col in ("survival", "std_err", "std_err_cumhaz", "ci_lower", "ci_upper"):
        want = ref["surv" if col == "survival" else col.replace("ci_", "")]
        assert np.array_equal(np.isnan(got[col]), np.isnan(want)), col
        ok = np.isfinite(want.to_numpy(dtype=float))
        close(got[col][ok.tolist()], want[ok.tolist()], atol=1e-14)


@pytest.mark.reference
@pytest.mark.parametrize(
    ("dataset", "weights", "variance", "conf_type"),
    sorted(
        {
            (d, _str(w), v, c)
            for d, w, v, c in KQ_REF[["dataset", "weights", "variance", "conf_type"]].itertuples(
                index=False
            )
        }
    ),
)
def test_weighted_quantiles_match_r(dataset, weights, variance, conf_type):
    ref = KQ_REF[
        (KQ_REF["dataset"] == dataset)
        & (KQ_REF["weights"].map(_str) == weights)
        & (KQ_REF["variance"] == variance)
        & (KQ_REF["conf_type"] == conf_type)
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StatisticalWarning)
        got = km_fit(dataset, weights, variance, conf_type).quantile([0.25, 0.5, 0.75])
    assert list(got["group"].astype(str)) == list(ref["group"].astype(str))
    for col, r_col in (("estimate", "estimate"), ("ci_lower", "lower"), ("ci_upper", "upper")):
        np.testing.assert_allclose(got[col], ref[r_col], rtol=RTOL)


def test_weighted_counts_stay_patients():
    lung = DATA["lung"]
    fit = kaplan_meier(lung, time="time", event="status", group="group", weights="wf")
    kept = lung[lung["wf"] > 0]
    assert fit.group_sizes == tuple(kept.groupby("group").size())
    s = fit.summary
    assert s["n_at_risk"].dtype.kind == "i"
    assert int(s["n_events"].sum()) == int(kept["status"].sum())
    close(s["weighted_events"].sum(), (kept["wf"] * kept["status"]).sum())
    assert "case weights wf" in fit.method
    assert "(unweighted; weighted" in fit.method
    shown = fit._display_frame()
    assert shown.columns.tolist() == [
        "group",
        "n",
        "n_events",
        "weighted_n",
        "weighted_events",
        "median",
        "ci_lower",
        "ci_upper",
    ]
    close(shown["weighted_n"], kept.groupby("group")["wf"].sum())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StatisticalWarning)
        at = fit.at([0.0, 200.0, 2000.0])
    assert at.columns.tolist()[5:8] == WEIGHTED
    female = at[at["group"] == "female"]
    fw = kept[kept["group"] == "female"]
    close(female["weighted_at_risk"], [fw["wf"].sum(), fw.loc[fw["time"] >= 200, "wf"].sum(), 0])
    assert female["n_at_risk"].tolist() == [
        int((kept.group == "female").sum()),
        int(((kept.group == "female") & (kept.time >= 200)).sum()),
        0,
    ]


WEIGHTED = ["weighted_at_risk", "weighted_events", "weighted_censored"]


def test_unweighted_table_has_no_weighted_columns():
    got = km_table(DATA["lung"], time="time", event="status")
    assert not set(WEIGHTED) & set(got.columns)


# ------------------------------------------------------------------ log-rank --------------
def _lr_cases():
    keys = ["dataset", "group_col", "weights", "variance", "p", "strata"]
    return [
        dict(zip(keys, k, strict=True))
        for k in LR_REF[keys].map(_str).drop_duplicates().itertuples(index=False)
    ]


@pytest.mark.reference
@pytest.mark.parametrize("case", _lr_cases(), ids=lambda c: "-".join(map(str, c.values())))
def test_weighted_logrank_matches_r(case):
    ref = LR_REF[np.logical_and.reduce([LR_REF[k].map(_str) == v for k, v in case.items()])]
    p = float(case["p"])
    res = logrank(
        DATA[case["dataset"]],
        event="status",
        group=case["group_col"],
        strata=case["strata"] or None,
        weights="fleming-harrington" if p else "logrank",
        p=p,
        case_weights=case["weights"],
        variance=case["variance"],
    )
    close(res.statistic, ref["statistic"].iloc[0])
    assert res.df == int(ref["df"].iloc[0])
    if ref["observed"].notna().all():  # survdiff on the repeated rows: per-group O and E
        assert list(res.summary["group"].astype(str)) == list(ref["group"].astype(str))
        close(res.summary["observed"], ref["observed"])
        close(res.summary["expected"], ref["expected"])


@pytest.mark.reference
def test_weighted_pairwise_matches_r():
    vet = DATA["veteran"]
    for w, var, col in (
        ("wi", "hypergeometric", "statistic_wi_hypergeometric"),
        ("wf", "breslow", "statistic_wf_breslow"),
    ):
        got = pairwise_logrank(vet, event="status", group="celltype", case_weights=w, variance=var)
        assert (
            got[["group_a", "group_b"]].values.tolist()
            == PW_REF[["group_a", "group_b"]].values.tolist()
        )
        close(got["statistic"], PW_REF[col])


def test_weighted_logrank_summary_and_method():
    vet = DATA["veteran"]
    res = logrank(vet, event="status", group="celltype", case_weights="wf")
    kept = vet[vet["wf"] > 0]
    assert res.summary.columns.tolist() == [
        "group",
        "n",
        "n_events",
        "weighted_n",
        "weighted_events",
        "observed",
        "expected",
        "variance",
    ]
    assert res.summary["n"].sum() == len(kept)
    close(res.summary["weighted_n"], kept.groupby("celltype")["wf"].sum())
    # log-rank weights: observed is the weighted number of events
    close(res.summary["observed"], res.summary["weighted_events"])
    assert "case weights wf" in res.method


def test_breslow_variance_without_weights_equals_survdiff_without_ties():
    # no tied event times: d = 1 at every event time, so the two variances agree
    df = pd.DataFrame({"time": np.arange(1.0, 13.0), "event": [1, 0] * 6, "arm": list("abc") * 4})
    a = logrank(df, group="arm")
    b = logrank(df, group="arm", variance="breslow")
    close(a.statistic, b.statistic)


def test_logrank_bad_variance():
    df = pd.DataFrame({"time": [1.0, 2.0], "event": [1, 1], "arm": ["a", "b"]})
    with pytest.raises(ValueError, match="variance must be one of"):
        logrank(df, group="arm", variance="robust")


# ------------------------------------------------------------------ cumulative incidence --
def _aj_cases():
    keys = ["dataset", "weights", "entry", "by_group"]
    ref = AJ_REF.assign(by_group=AJ_REF["group"] != "all")
    return sorted({tuple(map(_str, k)) for k in ref[keys].itertuples(index=False)}), ref


AJ_CASES, AJ_TAGGED = _aj_cases()


@pytest.mark.reference
@pytest.mark.parametrize(("dataset", "weights", "entry", "by_group"), AJ_CASES)
def test_aalen_johansen_variance_matches_r_survfit(dataset, weights, entry, by_group):
    ref = AJ_TAGGED[
        (AJ_TAGGED["dataset"] == dataset)
        & (AJ_TAGGED["weights"].map(_str) == weights)
        & (AJ_TAGGED["entry"].map(_str) == entry)
        & (AJ_TAGGED["by_group"].map(_str) == by_group)
    ]
    data = DATA[dataset]
    res = cumulative_incidence(
        data,
        group="group" if by_group == "True" else None,
        weights=weights or None,
        entry="entry" if entry == "True" else None,
        variance="aalen-johansen",
    ).summary
    for grp, r in ref.groupby("group", sort=False):
        if weights:  # R lists the exit times of zero-weight rows; netstats drops those rows
            kept = data[(data[weights] > 0) & (data["group"].astype(str) == grp)]
            r = r[r["time"].isin(kept["time"])] if grp != "all" else r
        for cause in (1, 2):
            sub = res[(res["group"].astype(str) == grp) & (res["cause"] == cause)]
            close(sub["time"], r["time"])
            close(sub["estimate"], r[f"cif_{cause}"], atol=1e-14)
            close(sub["std_err"], r[f"se_{cause}"], atol=1e-14)
            # R's multi-state n.risk counts rows even with weights, like n_at_risk here, but
            # it counts the zero-weight rows too (which netstats drops)
            if not weights or (data[weights] > 0).all():
                np.testing.assert_array_equal(sub["n_at_risk"], r["n_risk"])


@pytest.mark.reference
def test_weighted_cmprsk_variance_equals_cuminc_on_repeated_rows():
    res = cumulative_incidence(DATA["mgus2"], group="group", weights="wi").summary
    for (grp, cause), r in CI_REF.groupby(["group", "cause"]):
        r = r.drop_duplicates("time", keep="last")
        sub = res[(res["group"] == grp) & (res["cause"] == cause)]
        k = np.searchsorted(sub["time"].to_numpy(), r["time"].to_numpy(), side="right")
        est = np.concatenate(([0.0], sub["estimate"].to_numpy()))[k]
        var = np.concatenate(([0.0], sub["std_err"].to_numpy() ** 2))[k]
        close(est, r["estimate"], atol=1e-14)
        close(var, r["variance"], atol=1e-14)


def test_cif_entry_needs_jackknife_variance():
    with pytest.raises(ValueError, match="delayed entry needs variance='aalen-johansen'"):
        cumulative_incidence(DATA["mgus2"], entry="entry")
    with pytest.raises(ValueError, match="variance must be one of"):
        cumulative_incidence(DATA["mgus2"], variance="greenwood")


def test_cif_weighted_columns_and_method():
    mg = DATA["mgus2"]
    fit = cumulative_incidence(
        mg, group="group", weights="wf", entry="entry", variance="aalen-johansen"
    )
    s = fit.summary
    assert s.columns.tolist()[4:10] == ["n_events", "n_censored", *WEIGHTED, "estimate"]
    kept = mg[mg["wf"] > 0]
    assert fit.group_sizes == tuple(kept.groupby("group").size())
    assert int(s["n_events"].sum()) == int((kept["event"] > 0).sum())
    close(s["weighted_events"].sum(), (kept["wf"] * (kept["event"] > 0)).sum())
    assert "left-truncated at entry, case weights wf" in fit.method
    assert "infinitesimal-jackknife variance" in fit.method
    at = fit.at([100.0])
    assert at.columns.tolist()[6:9] == WEIGHTED


# ------------------------------------------------------------------ input checks ----------
@pytest.mark.parametrize("bad", [-1.0, np.nan, np.inf, "x"])
@pytest.mark.parametrize("func", ["km", "logrank", "cif"])
def test_bad_weights_named(bad, func):
    df = pd.DataFrame(
        {
            "time": [1.0, 2.0, 3.0, 4.0],
            "event": [1, 0, 1, 1],
            "arm": ["a", "b", "a", "b"],
            "w": np.array([1.0, 1.0, bad, 2.0], dtype=object if bad == "x" else float),
        },
        index=[10, 11, 12, 13],
    )
    call = {
        "km": lambda: kaplan_meier(df, weights="w"),
        "logrank": lambda: logrank(df, group="arm", case_weights="w"),
        "cif": lambda: cumulative_incidence(df, weights="w"),
    }[func]
    with pytest.raises(SchemaError, match=r"w: 1 case weights .*row 12: ") as err:
        call()
    assert repr(bad) in str(err.value) or str(bad) in str(err.value)


def test_missing_weights_column():
    df = pd.DataFrame({"time": [1.0], "event": [1]})
    with pytest.raises(SchemaError, match="weights column 'w' not found"):
        kaplan_meier(df, weights="w")


# ------------------------------------------------------------------ CI transforms ---------
def test_logit_and_arcsin_formulas_by_hand():
    df = pd.DataFrame({"time": [1.0, 2, 3, 4, 5], "event": [1, 1, 0, 1, 0]})
    for ct in ("logit", "arcsin"):
        s = km_table(df, conf_type=ct)
        z = 1.959963984540054
        p, se = s["survival"].to_numpy(), s["std_err_cumhaz"].to_numpy()
        if ct == "logit":
            half = z * se / (1 - p)
            lg = np.log(p / (1 - p))
            lo, hi = 1 / (1 + np.exp(-(lg - half))), 1 / (1 + np.exp(-(lg + half)))
        else:
            half = 0.5 * z * se * np.sqrt(p / (1 - p))
            lo = np.sin(np.maximum(0, np.arcsin(np.sqrt(p)) - half)) ** 2
            hi = np.sin(np.minimum(np.pi / 2, np.arcsin(np.sqrt(p)) + half)) ** 2
        close(s["ci_lower"], lo)
        close(s["ci_upper"], hi)
        assert (s["ci_lower"] <= s["survival"]).all() and (s["survival"] <= s["ci_upper"]).all()


# ------------------------------------------------------------------ properties ------------
@st.composite
def weighted_frames(draw):
    n = draw(st.integers(2, 40))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    time = rng.integers(1, draw(st.integers(2, 15)), n).astype(float)  # many ties
    cause = rng.integers(0, 3, n)
    cause[0] = 1  # at least one event
    return pd.DataFrame(
        {
            "time": time,
            "event": (cause > 0).astype(int),
            "cause": cause,
            "arm": rng.integers(0, 2, n),
            "wi": rng.integers(0, 4, n),
            "wf": rng.uniform(0.1, 3.0, n),
        }
    ).assign(wi=lambda d: np.where(np.arange(n) == 0, np.maximum(d["wi"], 1), d["wi"]))


PROPS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
KM_VALUES = ["time", "survival", "std_err", "std_err_cumhaz", "ci_lower", "ci_upper"]
CIF_VALUES = ["time", "estimate", "std_err", "ci_lower", "ci_upper"]


def repeat(df: pd.DataFrame, col: str) -> pd.DataFrame:
    return df.loc[df.index.repeat(df[col])].reset_index(drop=True)


def same(a: pd.DataFrame, b: pd.DataFrame, cols: list[str]) -> None:
    assert len(a) == len(b)
    for c in cols:
        np.testing.assert_allclose(
            a[c].to_numpy(dtype=float), b[c].to_numpy(dtype=float), rtol=1e-10, atol=1e-12
        )


@PROPS
@given(df=weighted_frames())
def test_integer_weights_equal_repeated_rows(df):
    # the frequency-weight variances (Greenwood, hypergeometric, Breslow, cmprsk) only: the
    # jackknife counts a row of weight k as one subject, not k
    w = km_table(df, group="arm", weights="wi", variance="greenwood")
    r = km_table(repeat(df, "wi"), group="arm", variance="greenwood")
    same(w, r, KM_VALUES)
    np.testing.assert_array_equal(w["weighted_at_risk"], r["n_at_risk"])
    np.testing.assert_array_equal(w["weighted_events"], r["n_events"])
    if df.loc[df.wi > 0, "arm"].nunique() == 2:
        for var in ("hypergeometric", "breslow"):
            a = logrank(df, group="arm", case_weights="wi", variance=var)
            b = logrank(repeat(df, "wi"), group="arm", variance=var)
            np.testing.assert_allclose(a.statistic, b.statistic, rtol=1e-9, atol=1e-12)
    # cmprsk's variance is a function of the counts: weighted counts = repeated rows
    cw = cumulative_incidence(df, event="cause", weights="wi").summary
    cr = cumulative_incidence(repeat(df, "wi"), event="cause").summary
    same(cw, cr, CIF_VALUES)


@PROPS
@given(df=weighted_frames())
def test_unit_weights_equal_unweighted(df):
    df = df.assign(one=1.0)
    for variance in ("greenwood", "robust"):
        same(
            km_table(df, group="arm", weights="one", variance=variance),
            km_table(df, group="arm", variance=variance),
            KM_VALUES + ["n_at_risk", "n_events"],
        )
    if df["arm"].nunique() == 2:
        a = logrank(df, group="arm", case_weights="one", weights="fleming-harrington", p=1)
        b = logrank(df, group="arm", weights="fleming-harrington", p=1)
        np.testing.assert_allclose(a.statistic, b.statistic, rtol=1e-10, atol=1e-12)
    for variance in ("cmprsk", "aalen-johansen"):
        same(
            cumulative_incidence(df, event="cause", weights="one", variance=variance).summary,
            cumulative_incidence(df, event="cause", variance=variance).summary,
            CIF_VALUES,
        )


@PROPS
@given(df=weighted_frames(), c=st.floats(0.01, 100.0))
def test_scaling_weights_leaves_estimates_unchanged(df, c):
    df = df.assign(scaled=df["wf"] * c)
    a = km_table(df, group="arm", weights="wf", variance="robust")
    b = km_table(df, group="arm", weights="scaled", variance="robust")
    # the estimate and the jackknife variance are invariant; Greenwood's is a frequency one
    same(a, b, KM_VALUES)
    np.testing.assert_allclose(b["weighted_at_risk"], c * a["weighted_at_risk"], rtol=1e-10)
    g1 = km_table(df, group="arm", weights="wf")
    g2 = km_table(df, group="arm", weights="scaled")
    same(g1, g2, ["time", "survival"])
    ca = cumulative_incidence(df, event="cause", weights="wf", variance="aalen-johansen")
    cb = cumulative_incidence(df, event="cause", weights="scaled", variance="aalen-johansen")
    same(ca.summary, cb.summary, ["time", "estimate", "std_err"])
    # the log-log CI is undefined at F = 1, which rounding may turn into 1 - 1e-16
    inner = ca.summary["estimate"].between(1e-9, 1 - 1e-9).to_numpy()
    same(ca.summary[inner], cb.summary[inner], ["ci_lower", "ci_upper"])


@PROPS
@given(df=weighted_frames())
def test_zero_weight_rows_equal_dropping_them(df):
    kept = df[df["wi"] > 0]
    for variance in ("greenwood", "robust"):
        same(
            km_table(df, group="arm", weights="wi", variance=variance),
            km_table(kept, group="arm", weights="wi", variance=variance),
            KM_VALUES + ["n_at_risk", "n_events", "weighted_at_risk"],
        )
    if kept["arm"].nunique() == 2:
        a = logrank(df, group="arm", case_weights="wi")
        b = logrank(kept, group="arm", case_weights="wi")
        np.testing.assert_allclose(a.statistic, b.statistic, rtol=1e-12)
        pd.testing.assert_frame_equal(a.summary, b.summary)
    for variance in ("cmprsk", "aalen-johansen"):
        same(
            cumulative_incidence(df, event="cause", weights="wi", variance=variance).summary,
            cumulative_incidence(kept, event="cause", weights="wi", variance=variance).summary,
            CIF_VALUES,
        )


@PROPS
@given(df=weighted_frames())
def test_single_cause_jackknife_equals_robust_km(df):
    km = km_table(df, weights="wf", variance="robust")
    cif = cumulative_incidence(df, weights="wf", variance="aalen-johansen").summary
    same(km.assign(estimate=1 - km["survival"]), cif, ["time", "estimate", "std_err"])


# ------------------------------------------------------------------ jackknife variance ----
def _influence_by_steps(time, codes, weights, entry, ut, causes):
    """The jackknife variances by updating every row's derivative one event time after
    another (O(rows x times)): an independent check of the closed form."""
    exit_pos = np.searchsorted(ut, time)
    entry_pos = (
        np.zeros(time.size, np.int64) if entry is None else np.searchsorted(ut, entry, "right")
    )
    event = codes > 0
    w2 = weights**2
    d_s = np.zeros(time.size)
    d_f = {k: np.zeros(time.size) for k in causes}
    s_prev = 1.0
    var_s = np.zeros(ut.size)
    var_f = {k: np.zeros(ut.size) for k in causes}
    for j in range(ut.size):
        here = exit_pos == j
        y = ((entry_pos <= j) & (exit_pos >= j)).astype(float)
        n_j = float(weights @ y)
        lam = float(weights @ (here & event)) / n_j
        d_lam = ((here & event) - lam * y) / n_j
        for k in causes:
            h = float(weights @ (here & (codes == k))) / n_j
            d_f[k] = d_f[k] + d_s * h + s_prev * ((here & (codes == k)) - h * y) / n_j
            var_f[k][j] = w2 @ d_f[k] ** 2
        d_s = d_s * (1.0 - lam) - s_prev * d_lam
        s_prev *= 1.0 - lam
        var_s[j] = w2 @ d_s**2
    return var_s, var_f


@PROPS
@given(df=weighted_frames(), truncated=st.booleans())
def test_closed_form_jackknife_equals_stepwise_derivatives(df, truncated):
    from netstats.survival._influence import aj_influence_variance

    t = df["time"].to_numpy()
    entry = np.where(np.arange(t.size) % 3 == 0, t - 0.5 - (t > 1), 0.0) if truncated else None
    if entry is not None:
        entry = np.maximum(entry, 0.0)
    codes = df["cause"].to_numpy()
    w = df["wf"].to_numpy()
    ut = np.unique(t)
    fast_s, fast_f = aj_influence_variance(t, codes, w, entry, ut, [1, 2])
    slow_s, slow_f = _influence_by_steps(t, codes, w, entry, ut, [1, 2])
    np.testing.assert_allclose(np.sqrt(fast_s), np.sqrt(slow_s), rtol=1e-9, atol=1e-7)
    for k in (1, 2):
        np.testing.assert_allclose(np.sqrt(fast_f[k]), np.sqrt(slow_f[k]), rtol=1e-9, atol=1e-7)


def test_jackknife_variance_is_the_weight_derivative():
    """sum_i (w_i dF/dw_i)^2 with the derivative by central differences of the estimator."""
    rng = np.random.default_rng(11)
    n = 25
    df = pd.DataFrame(
        {
            "time": rng.integers(1, 9, n).astype(float),
            "event": rng.integers(0, 3, n),
            "w": rng.uniform(0.3, 2.0, n),
            "entry": np.where(rng.random(n) < 0.3, 0.5, 0.0),
        }
    )
    kw = {"weights": "w", "entry": "entry", "variance": "aalen-johansen"}
    base = cumulative_incidence(df, **kw).summary
    h = 1e-6
    infl = []
    for i in range(n):
        up, down = df.copy(), df.copy()
        up.loc[i, "w"] += h
        down.loc[i, "w"] -= h
        diff = (
            cumulative_incidence(up, **kw).summary["estimate"].to_numpy()
            - cumulative_incidence(down, **kw).summary["estimate"].to_numpy()
        ) / (2 * h)
        infl.append(df.loc[i, "w"] * diff)
    var = np.sum(np.square(infl), axis=0)
    np.testing.assert_allclose(base["std_err"], np.sqrt(var), rtol=1e-5, atol=1e-8)
    km = km_table(
        df.assign(any=(df["event"] > 0).astype(int)),
        event="any",
        weights="w",
        entry="entry",
        variance="robust",
    )
    infl = []
    for i in range(n):
        up, down = df.copy(), df.copy()
        up.loc[i, "w"] += h
        down.loc[i, "w"] -= h
        s = [
            km_table(
                x.assign(any=(x["event"] > 0).astype(int)), event="any", weights="w", entry="entry"
            )["survival"].to_numpy()
            for x in (up, down)
        ]
        infl.append(df.loc[i, "w"] * (s[0] - s[1]) / (2 * h))
    np.testing.assert_allclose(
        km["std_err"], np.sqrt(np.sum(np.square(infl), axis=0)), rtol=1e-5, atol=1e-8
    )


def test_weighted_sizes_with_delayed_entry_are_total_weights():
    lung = DATA["lung"]
    kept = lung[lung["wf"] > 0]
    fit = kaplan_meier(
        lung, time="time", event="status", group="group", weights="wf", entry="entry"
    )
    shown = fit._display_frame()
    close(shown["weighted_n"], kept.groupby("group")["wf"].sum())
    assert f"weighted n = {kept['wf'].sum():.4g}," in fit.method
    mg = DATA["mgus2"]
    cif = cumulative_incidence(mg, weights="wf", entry="entry", variance="aalen-johansen")
    assert f"weighted n = {mg['wf'].sum():.4g})" in cif.method
    lr = logrank(DATA["veteran"], event="status", group="group", case_weights="wi")
    assert f"weighted n = {DATA['veteran']['wi'].sum():.4g}," in lr.method

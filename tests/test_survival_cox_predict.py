"""Predictions from a Cox model against R (tests/reference/cox/cox_predict.R).

Tolerances: every value here depends on the fitted coefficients, which netstats and R
each find by Newton-Raphson to a relative log-likelihood change of 1e-10 (R: 1e-9), so
they agree to ~1e-7; curves, SEs and CIs are compared at 1e-5 (relative, floored at 1).
Quantities that are closed forms of the data alone (numbers at risk and of events) at
1e-6. The standard error of the g-formula adjusted curve is checked against its
definition, the derivative of the estimate in each row's case weight, computed by
refitting the model (independent of the closed form used by the code) at 1e-5, and
against riskRegression's ``ate`` on data without tied times (with ties, ``ate``'s influence
function is not the exact derivative and differs by 1-10 %).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from netstats.exceptions import SchemaError
from netstats.survival import (
    AdjustedSurvivalResult,
    CoxSurvivalResult,
    adjusted_survival,
    baseline_hazard,
    cox,
    predict_survival,
)

REF = Path(__file__).parent / "reference" / "cox"
FIT_TOL = 1e-5
CLOSED_TOL = 1e-6

LUNG = pd.read_csv(REF / "lung.csv")
VET = pd.read_csv(REF / "veteran.csv")
HEART = pd.read_csv(REF / "heart.csv")
CURVES = pd.read_csv(REF / "cox_predict_curves.csv")
LP = pd.read_csv(REF / "cox_predict_lp.csv")
ATE = pd.read_csv(REF / "cox_predict_ate.csv")
NOTIES = pd.read_csv(REF / "predict_noties.csv")

ND_LUNG = pd.DataFrame({"age": [50, 70], "sex": [1, 2], "ph.ecog": [0, 2]})
ND_STRATA = pd.DataFrame({"age": [55, 65], "ph.ecog": [1, 0], "sex": [2, 1]})
ND_VET = pd.DataFrame({"celltype": ["adeno", "squamous", "large"], "karno": [60, 80, 40]})
ND_HEART = pd.DataFrame({"age": [-10, 5], "surgery": [0, 1], "transplant": [1, 0]})
LUNG_F = "age + sex + `ph.ecog`"


def _case(case: str) -> tuple:
    if case.startswith("lung_") and case[5:] in ("efron", "breslow"):
        return cox(LUNG, LUNG_F, time="time", event="status", ties=case[5:]), ND_LUNG
    if case == "lung_weights":
        fit = cox(LUNG, LUNG_F, time="time", event="status", weights="w", robust=False)
        return fit, ND_LUNG
    if case == "lung_strata":
        fit = cox(LUNG, "age + `ph.ecog`", time="time", event="status", strata="sex")
        return fit, ND_STRATA
    if case == "veteran_cat":
        return cox(VET, "C(celltype) + karno", time="time", event="status"), ND_VET
    ties = case.split("_")[1]
    fit = cox(
        HEART,
        "age + surgery + C(transplant)",
        time="stop",
        start="start",
        event="event",
        ties=ties,
    )
    return fit, ND_HEART


CASES = sorted(CURVES["case"].unique())


def _close(actual, expected, tol) -> None:
    actual = np.asarray(actual, dtype=float)
    expected = np.asarray(expected, dtype=float)
    assert actual.shape == expected.shape
    scale = np.maximum(1.0, np.abs(expected))
    assert np.nanmax(np.abs(actual - expected) / scale) < tol
    assert np.array_equal(np.isnan(actual), np.isnan(expected))


def test_reference_covers_every_feature() -> None:
    assert set(CASES) >= {
        "lung_efron",
        "lung_breslow",
        "lung_weights",
        "lung_strata",
        "veteran_cat",
        "heart_efron",
        "heart_breslow",
    }
    assert set(CURVES["conf_type"]) == {"log", "log-log", "plain"}


@pytest.mark.parametrize("case", CASES)
def test_baseline_hazard_matches_r(case: str) -> None:
    fit, _ = _case(case)
    ref = CURVES[(CURVES["case"] == case) & (CURVES["profile"] == "base")]
    got = baseline_hazard(fit)
    assert list(got.columns) == [
        "stratum",
        "time",
        "n_risk",
        "n_event",
        "hazard",
        "cumhaz",
        "se_cumhaz",
    ]
    assert got["stratum"].astype(str).tolist() == ref["stratum"].astype(str).tolist()
    _close(got["time"], ref["time"], CLOSED_TOL)
    _close(got["n_risk"], ref["n_risk"], CLOSED_TOL)
    _close(got["n_event"], ref["n_event"], CLOSED_TOL)
    _close(got["cumhaz"], ref["cumhaz"], FIT_TOL)
    _close(got["se_cumhaz"], ref["se_cumhaz"], FIT_TOL)
    # the method on the result is the same computation
    pd.testing.assert_frame_equal(fit.baseline_hazard(), got)


@pytest.mark.parametrize("case", CASES)
def test_uncentered_baseline_hazard_matches_r(case: str) -> None:
    fit, _ = _case(case)
    ref = CURVES[(CURVES["case"] == case) & (CURVES["profile"] == "zero")]
    got = baseline_hazard(fit, centered=False, se=False)
    assert "se_cumhaz" not in got
    _close(got["time"], ref["time"], CLOSED_TOL)
    _close(got["cumhaz"], ref["cumhaz"], FIT_TOL)


def _profile_refs(case: str):
    sub = CURVES[(CURVES["case"] == case) & ~CURVES["profile"].isin(["base", "zero"])]
    for (profile, conf_type), ref in sub.groupby(["profile", "conf_type"]):
        yield int(profile), conf_type, ref


@pytest.mark.parametrize("case", CASES)
def test_predicted_survival_matches_r(case: str) -> None:
    fit, newdata = _case(case)
    n_checked = 0
    for row, conf_type, ref in _profile_refs(case):
        got = predict_survival(fit, newdata.iloc[[row]], conf_type=conf_type).summary
        # (R names a newdata curve by its row; the stratum is the row's own)
        want = newdata["sex"].iloc[row] if fit.strata else "all"
        assert set(got["stratum"]) == {want}
        _close(got["time"], ref["time"], CLOSED_TOL)
        _close(got["n_risk"], ref["n_risk"], CLOSED_TOL)
        _close(got["n_event"], ref["n_event"], CLOSED_TOL)
        for col in ("cumhaz", "se_cumhaz", "survival"):
            _close(got[col], ref[col], FIT_TOL)
        # R gives NA for log-log limits where S = 1 (SE 0); netstats the estimate itself
        keep = ~(ref["ci_lower"].isna() & (ref["se_cumhaz"] == 0)).to_numpy()
        _close(got["ci_lower"].to_numpy()[keep], ref["ci_lower"].to_numpy()[keep], FIT_TOL)
        _close(got["ci_upper"].to_numpy()[keep], ref["ci_upper"].to_numpy()[keep], FIT_TOL)
        _close(got["se_survival"], got["survival"] * got["se_cumhaz"], CLOSED_TOL)
        n_checked += 1
    assert n_checked == len(newdata) * (3 if case in ("lung_efron", "lung_breslow") else 1)


def test_several_profiles_at_once_equal_one_by_one() -> None:
    fit, newdata = _case("veteran_cat")
    together = predict_survival(fit, newdata)
    assert isinstance(together, CoxSurvivalResult)
    for i, label in enumerate(newdata.index):
        alone = predict_survival(fit, newdata.iloc[[i]]).summary
        part = together.summary[together.summary["profile"] == label].reset_index(drop=True)
        pd.testing.assert_frame_equal(part, alone)


def test_linear_predictor_and_risk_match_r() -> None:
    fits = {
        "veteran_cat": (cox(VET, "C(celltype) + karno", time="time", event="status"), ND_VET),
        "lung_weights": (cox(LUNG, LUNG_F, time="time", event="status", weights="w"), ND_LUNG),
        "lung_rcs": (
            cox(LUNG, "rcs(age, 4) + sex", time="time", event="status"),
            pd.DataFrame({"age": [45, 60, 75], "sex": [1, 2, 1]}),
        ),
        "lung_strata": (
            cox(LUNG, "age + `ph.ecog`", time="time", event="status", strata="sex"),
            ND_STRATA,
        ),
    }
    assert set(fits) == set(LP["case"])
    for case, (fit, newdata) in fits.items():
        ref = LP[LP["case"] == case]
        _close(fit.predict_linear(newdata), ref["lp"], FIT_TOL)
        _close(fit.predict_partial_hazard(newdata), ref["risk"], FIT_TOL)
    # the profiles frame of the curves carries the same linear predictor
    fit, newdata = fits["veteran_cat"]
    curves = predict_survival(fit, newdata)
    _close(curves.profiles["linear_predictor"], LP[LP["case"] == "veteran_cat"]["lp"], FIT_TOL)


def _ate_case(case: str):
    lung = LUNG.assign(sexf=np.where(LUNG["sex"] == 1, "m", "f"))
    if case in ("lung_breslow", "lung_efron"):
        fit = cox(lung, "age + C(sexf) + `ph.ecog`", time="time", event="status", ties=case[5:])
        return fit, lung, "sexf"
    if case == "veteran_breslow":
        fit = cox(VET, "C(celltype) + karno + age", time="time", event="status", ties="breslow")
        return fit, VET, "celltype"
    if case.startswith("noties"):
        strata = "s" if case == "noties_strata" else None
        fit = cox(NOTIES, "x + C(g)", time="time", event="status", ties="breslow", strata=strata)
        return fit, NOTIES, "g"
    lung3 = lung[lung["ph.ecog"] < 3].reset_index(drop=True)
    fit = cox(lung3, "C(sexf) + age", time="time", event="status", ties="breslow", strata="ph.ecog")
    return fit, lung3, "sexf"


@pytest.mark.parametrize("case", sorted(ATE["case"].unique()))
def test_adjusted_survival_matches_riskregression(case: str) -> None:
    fit, data, group = _ate_case(case)
    ref = ATE[ATE["case"] == case]
    times = sorted(ref["time"].unique())
    got = adjusted_survival(fit, data, group=group, times=times)
    assert isinstance(got, AdjustedSurvivalResult)
    assert got.summary["group"].astype(str).tolist() == ref["group"].tolist()
    _close(got.summary["time"], ref["time"], CLOSED_TOL)
    _close(got.summary["survival"], ref["survival"], FIT_TOL)
    if case.startswith("noties"):
        # without tied times ate()'s influence function is the exact one
        _close(got.summary["se"], ref["se"], FIT_TOL)


def _small(seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = 40
    d = pd.DataFrame({"g": rng.choice(["a", "b"], n), "x": rng.normal(size=n)})
    d["time"] = np.round(rng.exponential(10, n)) + 1.0  # ties
    d["event"] = (rng.uniform(size=n) < 0.75).astype(int)
    d["w"] = 1.0
    return d


@pytest.mark.parametrize(("ties", "strata"), [("efron", None), ("breslow", None), ("efron", "s")])
def test_adjusted_se_is_the_weight_derivative(ties: str, strata: str | None) -> None:
    """The SE is sqrt(sum_j (dS/dw_j + (S_j - S)/n)^2); dS/dw_j by refitting."""
    d = _small(5)
    d["s"] = np.arange(len(d)) % 2
    times = [3.0, 8.0, 15.0]

    def fit_with(data):
        return cox(
            data,
            "C(g) + x",
            time="time",
            event="event",
            ties=ties,
            weights="w",
            robust=False,
            strata=strata,
        )

    def estimate(data):
        return adjusted_survival(fit_with(data), d, group="g", levels=["a"], times=times)

    base = estimate(d).summary
    eps = 1e-6
    deriv = np.empty((len(d), len(times)))
    for j in range(len(d)):
        dj = d.copy()
        dj.loc[j, "w"] = 1.0 + eps
        deriv[j] = (estimate(dj).summary["survival"].to_numpy() - base["survival"]) / eps
    curves = predict_survival(fit_with(d), d.assign(g="a")).at(times)
    per_row = curves["survival"].to_numpy().reshape(len(d), len(times))
    mean_part = (per_row - per_row.mean(axis=0)) / len(d)
    se = np.sqrt(((deriv + mean_part) ** 2).sum(axis=0))
    assert_allclose(base["se"], se, rtol=FIT_TOL)


def test_adjusted_se_sums_by_cluster() -> None:
    """With a cluster-robust fit the influence is summed by cluster: one row per cluster
    gives the unclustered SE, pairs of rows the SE of the pair sums."""
    d = _small(11)
    plain = cox(d, "C(g) + x", time="time", event="event")
    own = cox(
        d.assign(cid=np.arange(len(d))),
        "C(g) + x",
        time="time",
        event="event",
        cluster="cid",
        robust=True,
    )
    times = [3.0, 8.0]
    a = adjusted_survival(plain, d, group="g", times=times).summary
    b = adjusted_survival(own, d, group="g", times=times).summary
    assert_allclose(b["se"], a["se"], rtol=1e-12)
    paired = cox(
        d.assign(cid=np.arange(len(d)) // 2), "C(g) + x", time="time", event="event", cluster="cid"
    )
    c = adjusted_survival(paired, d, group="g", times=times).summary
    assert_allclose(c["survival"], a["survival"], rtol=1e-12)
    assert not np.allclose(c["se"], a["se"])


def test_adjusted_equals_prediction_with_only_the_group_term() -> None:
    lung = LUNG.assign(sexf=np.where(LUNG["sex"] == 1, "m", "f"))
    fit = cox(lung, "C(sexf)", time="time", event="status")
    adj = adjusted_survival(fit, lung, group="sexf").summary
    # by default the event times, where the curves step
    assert adj["time"].unique().tolist() == sorted(lung.loc[lung["status"] == 1, "time"].unique())
    for level in ("f", "m"):
        got = adj[adj["group"] == level]
        pred = predict_survival(fit, pd.DataFrame({"sexf": [level]})).at(got["time"])
        _close(got["survival"], pred["survival"], 1e-12)


def test_errors_name_column_and_value() -> None:
    fit, _ = _case("veteran_cat")
    with pytest.raises(SchemaError, match=r"'celltype' has value\(s\) giant not seen.*adeno"):
        predict_survival(fit, pd.DataFrame({"celltype": ["giant"], "karno": [50]}))
    with pytest.raises(SchemaError, match="celltype"):
        fit.predict_linear(pd.DataFrame({"celltype": ["giant"], "karno": [50]}))
    with pytest.raises(SchemaError, match="not found"):
        predict_survival(fit, pd.DataFrame({"karno": [50]}))
    strat, _ = _case("lung_strata")
    with pytest.raises(SchemaError, match="stratified by sex"):
        predict_survival(strat, pd.DataFrame({"age": [50], "ph.ecog": [1]}))
    with pytest.raises(SchemaError, match="stratum 3"):
        predict_survival(strat, pd.DataFrame({"age": [50], "ph.ecog": [1], "sex": [3]}))
    with pytest.raises(ValueError, match="conf_type"):
        predict_survival(fit, ND_VET, conf_type="arcsin")  # type: ignore[arg-type]
    with pytest.raises(SchemaError, match="stratum of the model"):
        adjusted_survival(strat, LUNG, group="sex")
    with pytest.raises(SchemaError, match="not a covariate"):
        adjusted_survival(fit, VET, group="trt")
    heart = cox(HEART, "age + surgery", time="stop", start="start", event="event")
    with pytest.raises(SchemaError, match="one row per subject"):
        adjusted_survival(heart, HEART, group="surgery")
    with pytest.raises(SchemaError, match="fitted to 137"):
        adjusted_survival(fit, VET.iloc[:10], group="celltype")


@st.composite
def _cohorts(draw):
    seed = draw(st.integers(0, 2**31 - 1))
    ties = draw(st.sampled_from(["efron", "breslow"]))
    conf_type = draw(st.sampled_from(["log", "log-log", "plain"]))
    rng = np.random.default_rng(seed)
    n = draw(st.integers(30, 60))
    d = pd.DataFrame({"g": rng.choice(["a", "b", "c"], n), "x": rng.normal(size=n)})
    d["time"] = np.round(rng.exponential(5 * np.exp(-0.3 * d["x"])), 1) + 0.1
    d["event"] = (rng.uniform(size=n) < 0.7).astype(int)
    d.loc[:4, "event"] = 1
    return d, ties, conf_type


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_cohorts())
def test_curves_are_monotone_bounded_and_cover_the_estimate(case) -> None:
    d, ties, conf_type = case
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = cox(d, "C(g) + x", time="time", event="event", ties=ties)
    curves = predict_survival(fit, d.iloc[:3], conf_type=conf_type).summary
    adj = adjusted_survival(fit, d, group="g", conf_type=conf_type).summary
    for frame, key in ((curves, "profile"), (adj, "group")):
        for _, sub in frame.groupby(key):
            s = sub["survival"].to_numpy()
            assert np.all(np.diff(s) <= 1e-15)
            assert np.all((s >= 0) & (s <= 1))
            lo, hi = sub["ci_lower"].to_numpy(), sub["ci_upper"].to_numpy()
            ok = np.isfinite(lo) & np.isfinite(hi)
            assert np.all(lo[ok] <= s[ok] + 1e-12) and np.all(s[ok] <= hi[ok] + 1e-12)
            assert np.all((lo[ok] >= 0) & (hi[ok] <= 1 + 1e-12))
    # the baseline hazard is non-decreasing within each stratum
    bh = baseline_hazard(fit)
    assert np.all(np.diff(bh["cumhaz"].to_numpy()) >= 0)


def test_two_strata_columns_equal_one_combined_column() -> None:
    lung = LUNG.assign(
        ecog2=(LUNG["ph.ecog"] >= 2).astype(int),
        combo=lambda d: d["sex"].astype(str) + "/" + (d["ph.ecog"] >= 2).astype(int).astype(str),
    )
    two = cox(lung, "age", time="time", event="status", strata=["sex", "ecog2"])
    one = cox(lung, "age", time="time", event="status", strata="combo")
    a, b = baseline_hazard(two), baseline_hazard(one)
    assert a["stratum"].unique().tolist() == [
        "sex=1, ecog2=0",
        "sex=1, ecog2=1",
        "sex=2, ecog2=0",
        "sex=2, ecog2=1",
    ]
    assert b["stratum"].unique().tolist() == ["1/0", "1/1", "2/0", "2/1"]
    for col in ("time", "n_risk", "cumhaz", "se_cumhaz"):
        assert_allclose(a[col], b[col], rtol=1e-10)
    new = pd.DataFrame({"age": [60], "sex": [2], "ecog2": [1], "combo": ["2/1"]})
    pa = predict_survival(two, new).summary
    pb = predict_survival(one, new).summary
    assert_allclose(pa["survival"], pb["survival"], rtol=1e-10)
    assert_allclose(pa["ci_lower"], pb["ci_lower"], rtol=1e-10)
    assert set(pa["stratum"]) == {"sex=2, ecog2=1"}


# ---------------------------------------------------------------------- offset and exact ties
# tests/reference/cox/cox_predict_options.R: the centred baseline of a fit with an offset is
# at the covariate means and the case-weighted mean offset (R's survfit.coxph), a new row's
# offset enters its risk score; exact-ties fits use the Efron-type hazard as R's survfit.
OPTIONS = pd.read_csv(REF / "cox_predict_options.csv")
OPT_LUNG = pd.read_csv(REF / "options_lung.csv").dropna(
    subset=["time", "status", "age", "sex", "lo"]
)
OPT_VET = pd.read_csv(REF / "options_veteran.csv")


def _options_case(case: str) -> tuple:
    if case == "lung_offset":
        fit = cox(OPT_LUNG, "age + sex + offset(lo)", time="time", event="status")
        return fit, OPT_LUNG.loc[[0, 4, 9, 49]]
    if case == "lung_offset_breslow_weighted":
        fit = cox(
            OPT_LUNG, "age + offset(lo)", time="time", event="status", weights="w", ties="breslow"
        )
        return fit, OPT_LUNG.loc[[0, 4, 9, 49]]
    new = OPT_VET.iloc[[0, 19, 59]]
    if case == "vet_exact":
        return cox(OPT_VET, "trt + karno + age", time="month", event="status", ties="exact"), new
    fit = cox(OPT_VET, "trt + karno + offset(vo)", time="month", event="status", ties="exact")
    return fit, new


@pytest.mark.parametrize("case", sorted(OPTIONS["case"].unique()))
def test_predictions_with_offset_and_exact_ties_match_r(case: str) -> None:
    ref = OPTIONS[OPTIONS["case"] == case]
    fit, new = _options_case(case)
    base = baseline_hazard(fit)
    want = ref[ref["profile"] == "baseline"]
    assert_allclose(base["time"], want["time"], rtol=CLOSED_TOL)
    assert_allclose(base["cumhaz"], want["cumhaz"], rtol=FIT_TOL)
    assert_allclose(base["se_cumhaz"], want["se_cumhaz"], rtol=FIT_TOL)
    # R's basehaz(centered = FALSE) removes the covariate centring only and keeps the mean
    # offset; netstats' uncentred baseline is the model's h0 (covariates and offset zero)
    zero = baseline_hazard(fit, centered=False, se=False)
    offset_mean = 0.0
    if fit.offset:
        w = OPT_LUNG["w"] if "weighted" in case else pd.Series(1.0, index=OPT_LUNG.index)
        source = OPT_LUNG["lo"] if case.startswith("lung") else OPT_VET["vo"]
        w = w if case.startswith("lung") else pd.Series(1.0, index=OPT_VET.index)
        offset_mean = float((source * w).sum() / w.sum())
    r_zero = ref[ref["profile"] == "zero"]["cumhaz"].to_numpy() * np.exp(-offset_mean)
    assert_allclose(zero["cumhaz"], r_zero, rtol=FIT_TOL)
    curves = predict_survival(fit, new).summary
    for label in new.index:
        got = curves[curves["profile"] == label]
        exp = ref[ref["profile"] == str(label + 1)]  # R's row names, 1-based
        assert len(got) == len(exp) > 0
        assert_allclose(got["cumhaz"], exp["cumhaz"], rtol=FIT_TOL)
        assert_allclose(got["se_cumhaz"], exp["se_cumhaz"], rtol=FIT_TOL)


def test_adjusted_curves_refuse_a_model_with_an_offset() -> None:
    fit = cox(OPT_LUNG, "age + sex + offset(lo)", time="time", event="status")
    with pytest.raises(SchemaError, match="offset"):
        adjusted_survival(fit, OPT_LUNG, group="sex")


def test_text_numbers_in_newdata_are_refused_and_leave_the_fit_intact() -> None:
    # formulaic would code a text column as a categorical and rewrite the fitted
    # encoder state: every later prediction from the fit would then fail
    fit = cox(LUNG, LUNG_F, time="time", event="status")
    good = predict_survival(fit, ND_LUNG).summary
    text = ND_LUNG.assign(age=ND_LUNG["age"].astype(str))
    with pytest.raises(SchemaError, match="'age' must be numeric as when the model was fitted"):
        predict_survival(fit, text)
    with pytest.raises(SchemaError, match="must be numeric"):
        fit.predict_linear(text)
    pd.testing.assert_frame_equal(predict_survival(fit, ND_LUNG).summary, good)


def test_adjusted_curves_refuse_a_missing_group_value() -> None:
    vet = VET.copy()
    vet["celltype"] = vet["celltype"].astype(object)
    fit = cox(vet, "C(celltype) + karno", time="time", event="status")
    vet.loc[3, "celltype"] = np.nan
    with pytest.raises(SchemaError, match=r"'celltype' \(group\) has 1 missing value"):
        adjusted_survival(fit, vet, group="celltype")

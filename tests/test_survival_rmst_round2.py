"""RMST with delayed entry and case weights, and the covariate-adjusted RMST contrasts.

References (tests/reference/survival/rmst_round2.R, R 4.2.2, survival 3.5-3):

* ``rmst_entry_weights.csv``: R ``survfit(Surv(entry, time, status) ~ group, weights = w)``
  with ``summary(fit, rmean = tau)$table``. These are closed forms (sums over the risk sets):
  tolerance 1e-6 relative.
* ``rmst_adjusted.csv``: survRM2's ``rmst2reg`` (Tian, Zhao & Wei 2014) transcribed line by
  line in R. The difference model is weighted least squares, a closed form: 1e-6 relative.
  The ratio model is a fitted quasi-Poisson GLM (R stops at its default deviance
  tolerance, netstats at a 1e-12 Newton step): 1e-5 relative. R's p-values are
  ``1 - pchisq(z^2, 1)``, exact to about 1e-16 in absolute terms only, so p-values are
  compared with an absolute tolerance of 1e-12 as well.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from netstats.exceptions import SchemaError
from netstats.survival import rmst, rmst_adjusted

REF = Path(__file__).parent / "reference" / "survival"
RTOL = 1e-6  # closed forms
RTOL_FIT = 1e-5  # the ratio model is an iteratively fitted GLM in R
EW_REF = pd.read_csv(REF / "rmst_entry_weights.csv")
ADJ_REF = pd.read_csv(REF / "rmst_adjusted.csv")
LUNG_W = pd.read_csv(REF / "data_lung_weighted.csv")
VET_C = pd.read_csv(REF / "data_veteran_covariates.csv")
LUNG_C = pd.read_csv(REF / "data_lung_covariates.csv")
PBC = pd.read_csv(REF / "data_pbc_rmst2.csv")

EW_CASES = {
    "lung_entry": {"entry": "entry"},
    "lung_weights": {"weights": "w"},
    "lung_entry_weights": {"entry": "entry", "weights": "w"},
    "lung_entry_weights_tau300": {"entry": "entry", "weights": "w"},
}


def _vet_celltype_groups() -> pd.DataFrame:
    d = VET_C.copy()
    d["trt"] = (d["group"] == 2).astype(float)
    d["group"] = d["celltype"]
    return d


ADJ_CASES = {
    "pbc_survrm2_vignette": (PBC, ["age", "bili", "albumin"]),
    "veteran_all": (VET_C, ["karno", "age", "diagtime", "prior", "celltype"]),
    "veteran_karno_tau365": (VET_C, ["karno"]),
    "lung": (LUNG_C, ["age", "ecog", "wt_loss"]),
    "veteran_celltype_groups": (_vet_celltype_groups(), ["karno", "age", "trt"]),
}


# ---------------------------------------------------------------- against R -----------------
@pytest.mark.reference
@pytest.mark.parametrize("case", sorted(EW_CASES))
def test_entry_and_weights_match_r_survfit_rmean(case):
    ref = EW_REF[EW_REF["case"] == case]
    assert len(ref) == 3
    tau = float(ref["tau"].iloc[0])
    kw = EW_CASES[case]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # tau is inside every group's follow-up
        by_group = rmst(LUNG_W, event="status", group="group", tau=tau, **kw)
        overall = rmst(LUNG_W, event="status", tau=tau, **kw)
    got = pd.concat([by_group.summary, overall.summary], ignore_index=True)
    assert got["group"].astype(str).tolist() == ref["group"].tolist()
    np.testing.assert_allclose(got["estimate"], ref["rmst"], rtol=RTOL)
    np.testing.assert_allclose(got["std_err"], ref["se"], rtol=RTOL)
    if "weights" in kw:
        assert by_group.n_dropped == int((LUNG_W["w"] == 0).sum()) > 0
        assert "weight 0 left out" in by_group.method
    if "entry" in kw:
        assert "delayed entry (entry)" in by_group.method


def test_weighted_rmst_differs_from_unweighted():
    # The reference cases would be vacuous if weights or entry changed nothing.
    plain = rmst(LUNG_W, event="status", group="group", tau=500.0).summary
    for kw in EW_CASES.values():
        other = rmst(LUNG_W, event="status", group="group", tau=500.0, **kw).summary
        assert not np.allclose(plain["estimate"], other["estimate"], rtol=1e-3)


@pytest.mark.reference
@pytest.mark.parametrize("case", sorted(ADJ_CASES))
def test_adjusted_coefficients_match_survrm2(case):
    data, covariates = ADJ_CASES[case]
    ref = ADJ_REF[ADJ_REF["case"] == case].reset_index(drop=True)
    res = rmst_adjusted(
        data, event="status", group="group", covariates=covariates, tau=float(ref["tau"][0])
    )
    got = res.coefficients
    assert got["model"].tolist() == ref["model"].tolist()
    assert got["term"].tolist() == ref["term"].tolist()
    for model, rtol in (("difference", RTOL), ("ratio", RTOL_FIT)):
        g = got[got["model"] == model]
        r = ref[ref["model"] == model]
        for col, rcol in (
            ("estimate", "coef"),
            ("std_err", "se"),
            ("z", "z"),
            ("ci_lower", "lower"),
            ("ci_upper", "upper"),
        ):
            np.testing.assert_allclose(g[col], r[rcol], rtol=rtol, err_msg=f"{model} {col}")
        np.testing.assert_allclose(g["p_value"], r["p"], rtol=rtol, atol=1e-12)


@pytest.mark.reference
@pytest.mark.parametrize("case", sorted(ADJ_CASES))
def test_adjusted_contrasts_are_the_group_coefficients(case):
    data, covariates = ADJ_CASES[case]
    ref = ADJ_REF[ADJ_REF["case"] == case]
    tau = float(ref["tau"].iloc[0])
    res = rmst_adjusted(data, event="status", group="group", covariates=covariates, tau=tau)
    c = res.contrasts
    levels = sorted(data["group"].unique())
    assert c["group_a"].tolist() == [lv for lv in levels[1:] for _ in range(2)]
    assert set(c["group_b"]) == {levels[0]}
    for _, row in c.iterrows():
        r = ref[(ref["model"] == row["contrast"]) & (ref["term"] == f"group={row['group_a']}")]
        assert len(r) == 1
        r = r.iloc[0]
        if row["contrast"] == "difference":
            expect = (r["coef"], r["se"], r["lower"], r["upper"])
        else:
            expect = (np.exp(r["coef"]), r["se"], np.exp(r["lower"]), np.exp(r["upper"]))
        got = (row["estimate"], row["std_err"], row["ci_lower"], row["ci_upper"])
        np.testing.assert_allclose(got, expect, rtol=RTOL_FIT)
    assert res.method.startswith(f"Covariate-adjusted RMST to tau = {tau:g} months")


def test_adjusted_reproduces_the_survrm2_vignette():
    # survRM2 vignette, "rmst2(time, status, arm, tau = 10, covariates = x)" on its pbc
    # sample (printed to 3 decimals): the adjusted contrasts and the difference model.
    res = rmst_adjusted(
        PBC, event="status", group="group", covariates=["age", "bili", "albumin"], tau=10
    )
    c = res.contrasts.set_index("contrast")
    got = c[["estimate", "ci_lower", "ci_upper", "p_value"]].round(3)
    assert got.loc["difference"].tolist() == [-0.210, -0.883, 0.463, 0.540]
    assert got.loc["ratio"].tolist() == [0.968, 0.877, 1.068, 0.514]
    diff = res.coefficients[res.coefficients["model"] == "difference"]
    assert diff["estimate"].round(3).tolist() == [2.743, -0.210, -0.069, -0.325, 2.550]
    assert diff["std_err"].round(3).tolist() == [2.134, 0.343, 0.018, 0.039, 0.472]
    assert diff["z"].round(3).tolist() == [1.285, -0.613, -3.900, -8.386, 5.401]


# ---------------------------------------------------------------- properties ---------------
rows_st = st.lists(
    st.tuples(st.integers(1, 30), st.booleans(), st.integers(0, 1), st.integers(1, 4)),
    min_size=4,
    max_size=30,
)


def _frame(rows: list[tuple[int, bool, int, int]]) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=["time", "event", "g", "w"])
    df["time"] = df["time"].astype(float)
    # both groups present, followed beyond every tau used below
    extra = pd.DataFrame({"time": [40.0, 41.0], "event": [False, False], "g": [0, 1], "w": [1, 1]})
    return pd.concat([df, extra], ignore_index=True)


def _close(a: pd.DataFrame, b: pd.DataFrame) -> None:
    for col in ("estimate", "std_err"):
        np.testing.assert_allclose(a[col], b[col], rtol=1e-10, atol=1e-12)


@settings(max_examples=40, deadline=None)
@given(rows=rows_st, tau=st.floats(1.0, 35.0))
def test_unit_weights_equal_unweighted(rows, tau):
    df = _frame(rows)
    df["one"] = 1.0
    _close(
        rmst(df, group="g", tau=tau, weights="one").summary, rmst(df, group="g", tau=tau).summary
    )


@settings(max_examples=40, deadline=None)
@given(rows=rows_st, tau=st.floats(1.0, 35.0))
def test_integer_weights_equal_replication(rows, tau):
    df = _frame(rows)
    replicated = df.loc[df.index.repeat(df["w"])].reset_index(drop=True)
    weighted = rmst(df, group="g", tau=tau, weights="w")
    _close(weighted.summary, rmst(replicated, group="g", tau=tau).summary)
    _close(weighted.contrasts, rmst(replicated, group="g", tau=tau).contrasts)


@settings(max_examples=40, deadline=None)
@given(rows=rows_st, tau=st.floats(1.0, 35.0), drop=st.lists(st.booleans(), min_size=34))
def test_zero_weight_equals_dropping_the_row(rows, tau, drop):
    df = _frame(rows)
    zero = np.array(drop[: len(df)]) & (df.index < len(df) - 2)  # keep the two long rows
    df["w0"] = np.where(zero, 0.0, 1.0)
    res = rmst(df, group="g", tau=tau, weights="w0")
    _close(res.summary, rmst(df[~zero], group="g", tau=tau).summary)
    assert res.n_dropped == int(zero.sum())


@settings(max_examples=40, deadline=None)
@given(rows=rows_st, tau=st.floats(1.0, 35.0))
def test_entry_all_zero_equals_no_delayed_entry(rows, tau):
    df = _frame(rows)
    df["entry"] = 0.0
    _close(
        rmst(df, group="g", tau=tau, entry="entry").summary, rmst(df, group="g", tau=tau).summary
    )


def test_hand_worked_entry_and_weights():
    # Kept rows (2, event, entry 0, w 1), (4, event, entry 1, w 2), (8, event, entry 3, w 1).
    # t = 2: at risk 1 + 2 = 3, 1 event -> S = 2/3; t = 4: at risk 2 + 1 = 3, 2 events ->
    # S = 2/9. Area on [0, 6] = 2 + 2 (2/3) + 2 (2/9) = 34/9.
    df = pd.DataFrame(
        {
            "time": [2.0, 4.0, 6.0, 8.0],
            "event": [1, 1, 1, 1],
            "entry": [0.0, 1.0, 0.0, 3.0],
            "w": [1.0, 2.0, 0.0, 1.0],
        }
    )
    before = df.copy()
    res = rmst(df, tau=6.0, entry="entry", weights="w")
    assert res.summary["estimate"].iloc[0] == pytest.approx(34 / 9, rel=1e-12)
    # variance: A_1 = area from 2 to 6 = 16/9, h_1 = 1 / (3 * 2); A_2 = 4/9, n - d = 1:
    # h_2 = 2 / (3 * 1)
    var = (16 / 9) ** 2 / 6 + (4 / 9) ** 2 * 2 / 3
    assert res.summary["std_err"].iloc[0] == pytest.approx(np.sqrt(var), rel=1e-12)
    pd.testing.assert_frame_equal(df, before)


def test_adjusted_invariant_to_row_order():
    rng = np.random.default_rng(20261208)
    order = rng.permutation(len(VET_C))
    a = rmst_adjusted(VET_C, event="status", group="group", covariates=["karno", "age"], tau=200)
    b = rmst_adjusted(
        VET_C.iloc[order], event="status", group="group", covariates=["karno", "age"], tau=200
    )
    for col in ("estimate", "std_err"):
        np.testing.assert_allclose(a.coefficients[col], b.coefficients[col], rtol=1e-9)


# ---------------------------------------------------------------- errors -------------------
@pytest.mark.parametrize(
    ("values", "match"),
    [
        ([1.0, -1.0, 1.0, 1.0], "1 case weights missing, non-numeric, infinite or negative"),
        ([1.0, np.nan, 1.0, 1.0], r"row 1: nan"),
        ([1.0, np.inf, 1.0, 1.0], "weights must be finite numbers >= 0"),
        ([0.0, 0.0, 0.0, 0.0], "every case weight is 0; nothing to estimate"),
    ],
)
def test_bad_weights(values, match):
    df = pd.DataFrame({"time": [1.0, 2, 3, 4], "event": [1, 0, 1, 1], "wt": values})
    with pytest.raises(SchemaError, match=match):
        rmst(df, tau=3.0, weights="wt")


def test_weight_column_errors():
    df = pd.DataFrame({"time": [1.0, 2], "event": [1, 0], "wt": ["a", "b"], "g": ["x", "y"]})
    with pytest.raises(SchemaError, match="weights column 'nope' not found"):
        rmst(df, tau=1.0, weights="nope")
    with pytest.raises(SchemaError, match=r"wt: 2 case weights missing, non-numeric.*row 0: .a."):
        rmst(df, tau=1.0, weights="wt")
    df["w2"] = [1.0, 0.0]
    with pytest.raises(SchemaError, match="every case weight is 0 in group 'y'"):
        rmst(df, tau=1.0, group="g", weights="w2")


def test_entry_not_before_exit():
    df = pd.DataFrame({"time": [1.0, 2], "event": [1, 0], "entry": [0.0, 2.0]})
    with pytest.raises(SchemaError, match="entry times not before the exit time"):
        rmst(df, tau=1.0, entry="entry")


def test_adjusted_errors():
    d = VET_C
    # both groups end with an event (553 and 999): survRM2 allows up to the larger time
    with pytest.raises(ValueError, match="tau = 1000 is beyond 999"):
        rmst_adjusted(d, event="status", group="group", covariates=["karno"], tau=1000)
    # the group with the shorter follow-up ends censored: its last time is the limit
    short = d.copy()
    short.loc[short["time"] == 553, "status"] = 0
    with pytest.raises(ValueError, match="tau = 600 is beyond 553"):
        rmst_adjusted(short, event="status", group="group", covariates=["karno"], tau=600)
    assert rmst_adjusted(short, event="status", group="group", covariates=["karno"], tau=553).n
    with pytest.raises(ValueError, match="has one level"):
        rmst_adjusted(
            d[d["group"] == 1], event="status", group="group", covariates=["karno"], tau=100
        )
    bad = d.copy()
    bad.loc[[3, 7], "karno"] = np.nan
    with pytest.raises(SchemaError, match="karno: 2 missing covariate values"):
        rmst_adjusted(bad, event="status", group="group", covariates=["karno"], tau=100)
    with pytest.raises(SchemaError, match="covariate column 'kps' not found"):
        rmst_adjusted(d, event="status", group="group", covariates=["kps"], tau=100)
    with pytest.raises(ValueError, match="also the time, event or group column"):
        rmst_adjusted(d, event="status", group="group", covariates=["group"], tau=100)
    const = d.assign(one=1.0)
    with pytest.raises(ValueError, match="design .* is singular"):
        rmst_adjusted(const, event="status", group="group", covariates=["one"], tau=100)
    with pytest.raises(TypeError, match="list of column names"):
        rmst_adjusted(d, event="status", group="group", covariates="karno", tau=100)
    with pytest.raises(ValueError, match="covariates is empty"):
        rmst_adjusted(d, event="status", group="group", covariates=[], tau=100)


def test_adjusted_rmst_refuses_numbers_stored_as_text():
    rng = np.random.default_rng(2)
    df = pd.DataFrame({"arm": rng.choice(["a", "b"], 60), "age": rng.integers(40, 80, 60)})
    df["time"] = rng.exponential(20, 60)
    df["event"] = (rng.uniform(size=60) < 0.7).astype(int)
    with pytest.raises(SchemaError, match="age: numbers stored as text"):
        rmst_adjusted(df.assign(age=df["age"].astype(str)), group="arm", covariates=["age"], tau=10)
    fit = rmst_adjusted(df, group="arm", covariates=["age"], tau=10)
    assert np.isfinite(fit.contrasts["p_value"]).all()


def test_adjusted_rmst_exact_contrast_has_no_p_value():
    # no event before tau in either group: every RMST is tau, the SE is rounding noise
    df = pd.DataFrame(
        {
            "arm": ["a", "b"] * 10,
            "age": np.linspace(40, 70, 20),
            "time": np.linspace(20, 40, 20),
            "event": [1, 0] * 10,
        }
    )
    res = rmst_adjusted(df, group="arm", covariates=["age"], tau=10)
    diff = res.contrasts.set_index("contrast").loc["difference"]
    assert abs(diff["estimate"]) < 1e-9
    assert np.isnan(diff["p_value"])

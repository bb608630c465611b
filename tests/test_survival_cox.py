"""Cox model: reference values from R survival 3.5 (tests/reference/cox/cox_reference.R),
cross-checks against lifelines, error paths and invariants."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from netstats.exceptions import ConvergenceError, SchemaError, StatisticalWarning
from netstats.survival._cox import cox
from netstats.survival._cox_design import rcs_basis, rcs_knots
from tests._cox_cases import CASES, REF, fit_case, load

RTOL = 1e-6  # deterministic quantities; R fits were run to eps = 1e-12

COEFS = pd.read_csv(REF / "coxph_coefficients.csv")
MODELS = pd.read_csv(REF / "coxph_models.csv").set_index("case")


@pytest.mark.reference
@pytest.mark.parametrize("case", sorted(CASES))
def test_coefficients_and_se_match_r(case: str) -> None:
    fit = fit_case(case)
    ref = COEFS[COEFS["case"] == case]
    assert len(ref) == len(fit.summary)
    assert_allclose(fit.summary["coef"], ref["coef"], rtol=RTOL)
    assert_allclose(fit.summary["se"], ref["se"], rtol=RTOL)
    if ref["robust_se"].notna().all():
        assert fit.variance == "robust"
        assert_allclose(fit.summary["robust_se"], ref["robust_se"], rtol=RTOL)
    else:
        assert fit.variance == "model"
        assert fit.summary["robust_se"].isna().all()


@pytest.mark.reference
@pytest.mark.parametrize("case", sorted(CASES))
def test_model_statistics_match_r(case: str) -> None:
    fit = fit_case(case)
    ref = MODELS.loc[case]
    tests = fit.tests.set_index("test")["statistic"]
    assert fit.n == ref["n"]
    assert fit.n_events == ref["n_events"]
    assert_allclose(fit.loglik, ref["loglik"], rtol=RTOL)
    assert_allclose(fit.loglik_null, ref["loglik_null"], rtol=RTOL)
    assert_allclose(tests["wald"], ref["wald"], rtol=RTOL)
    assert_allclose(tests["likelihood_ratio"], ref["lr"], rtol=RTOL)
    assert_allclose(tests["score"], ref["score"], rtol=RTOL)
    if np.isfinite(ref["robust_score"]):
        assert_allclose(tests["robust_score"], ref["robust_score"], rtol=RTOL)
    assert_allclose(fit.concordance, ref["concordance"], rtol=RTOL)
    assert_allclose(fit.concordance_se, ref["concordance_se"], rtol=RTOL)
    counts = fit.concordance_counts
    assert_allclose(
        [counts["concordant"], counts["discordant"], counts["tied_x"]],
        [ref["concordant"], ref["discordant"], ref["tied_x"]],
        rtol=RTOL,
    )


def test_summary_columns_ci_and_p_value() -> None:
    fit = fit_case("lung_cluster_inst")
    s = fit.summary
    assert list(s.columns) == [
        "term", "coef", "hr", "se", "robust_se", "z", "p_value",
        "ci_lower", "ci_upper", "conf_level", "n", "n_events", "variance",
    ]  # fmt: skip
    assert_allclose(s["hr"], np.exp(s["coef"]))
    assert_allclose(s["z"], s["coef"] / s["robust_se"])
    assert_allclose(s["ci_lower"], np.exp(s["coef"] - 1.959963984540054 * s["robust_se"]))
    assert (s["variance"] == "robust").all()
    assert "robust SE clustered on inst" in repr(fit)
    # sex is 1/2 coded: not an indicator, so n is all rows.
    assert (s["n"] == fit.n).all()


def test_indicator_columns_count_rows_and_events() -> None:
    fit = fit_case("rats_cluster")
    row = fit.summary.set_index("term").loc["rx"]
    rats = load("rats")
    assert row["n"] == (rats["rx"] == 1).sum()
    assert row["n_events"] == ((rats["rx"] == 1) & (rats["status"] == 1)).sum()


def test_robust_auto_whenever_a_cluster_is_named() -> None:
    # As R's coxph(... + cluster(id)): robust even when every cluster has one row, and
    # then the same sandwich as robust=True with each row its own cluster.
    lung = load("lung")
    lung = lung.assign(row_id=np.arange(len(lung)))
    fit = cox(lung, "age + sex", time="time", event="status", cluster="row_id")
    assert fit.variance == "robust" and fit.robust_reason == "cluster"
    assert "robust SE" in repr(fit)
    forced = cox(lung, "age + sex", time="time", event="status", robust=True)
    assert forced.variance == "robust" and forced.robust_reason == "requested"
    np.testing.assert_allclose(fit.var, forced.var, rtol=1e-12)
    plain = cox(lung, "age + sex", time="time", event="status")
    assert plain.variance == "model" and plain.robust_reason is None
    off = cox(lung, "age + sex", time="time", event="status", cluster="inst", robust=False)
    assert off.variance == "model"


def test_matches_lifelines_efron(rng: np.random.Generator) -> None:
    from lifelines import CoxPHFitter

    n = 400
    df = pd.DataFrame({"a": rng.normal(size=n), "b": rng.binomial(1, 0.4, size=n)})
    df["time"] = np.ceil(rng.exponential(30 * np.exp(-0.5 * df["a"] + 0.3 * df["b"])))
    df["event"] = rng.binomial(1, 0.7, size=n)
    ours = cox(df, "a + b", time="time", event="event")
    cph = CoxPHFitter().fit(df, duration_col="time", event_col="event")
    # lifelines stops at its own Newton tolerance (step < 1e-7), hence rtol 1e-5.
    assert_allclose(ours.coef, cph.params_[["a", "b"]].to_numpy(), rtol=1e-5)
    assert_allclose(ours.summary["se"], cph.standard_errors_[["a", "b"]].to_numpy(), rtol=1e-5)
    assert_allclose(ours.concordance, cph.concordance_index_, rtol=1e-9)


def test_matches_statsmodels_phreg_breslow_strata(rng: np.random.Generator) -> None:
    from statsmodels.duration.hazard_regression import PHReg

    n = 300
    df = pd.DataFrame({"a": rng.normal(size=n), "s": rng.integers(0, 3, size=n)})
    df["time"] = np.ceil(rng.exponential(20 * np.exp(-0.4 * df["a"])))
    df["event"] = rng.binomial(1, 0.8, size=n)
    ours = cox(df, "a", time="time", event="event", strata="s", ties="breslow")
    ph = PHReg(df["time"], df[["a"]], status=df["event"], strata=df["s"], ties="breslow").fit()
    assert_allclose(ours.coef, ph.params, rtol=1e-6)
    assert_allclose(ours.summary["se"], ph.bse, rtol=1e-6)


def test_predict_linear_and_partial_hazard() -> None:
    fit = fit_case("lung_efron")
    lung = load("lung")
    lp = fit.predict_linear(lung.iloc[:5])
    x = lung[["age", "sex", "ph.ecog"]].to_numpy(float)
    expected = (x[:5] - x.mean(axis=0)) @ fit.coef
    assert_allclose(lp, expected)
    assert_allclose(
        fit.predict_partial_hazard(lung.iloc[:5], centered=False), np.exp(x[:5] @ fit.coef)
    )


def test_categorical_prediction_keeps_levels() -> None:
    fit = fit_case("veteran_efron")
    vet = load("veteran")
    one = vet[vet["celltype"] == "squamous"].iloc[:2]
    assert_allclose(fit.predict_linear(one), fit.predict_linear(vet).loc[one.index])


def test_covariates_list_equals_formula() -> None:
    vet = load("veteran")
    a = cox(vet, time="time", event="status", covariates=["karno", "celltype"])
    b = cox(vet, "karno + C(celltype)", time="time", event="status")
    assert_allclose(a.coef, b.coef, rtol=1e-12)
    assert a.summary["term"].str.contains("celltype").sum() == 3


def test_interaction_term() -> None:
    lung = load("lung")
    fit = cox(lung, "age * sex", time="time", event="status")
    assert list(fit.summary["term"]) == ["age", "sex", "age:sex"]


def test_rcs_knots_match_hmisc() -> None:
    knots = pd.read_csv(REF / "rcs_knots_lung_age.csv")["knot"]
    assert_allclose(rcs_knots(load("lung")["age"], 4), knots, rtol=1e-12)


def test_rcs_basis_worked_example() -> None:
    # Hmisc::rcspline.eval(norm=2) by hand at x = 50 for knots 4.95, 34.65, 64.35, 94.05
    # (the 5/35/65/95 % type-7 quantiles of 0..99): the last two knots lie above 50, so
    # the nonlinear terms are (50 - 4.95)^3 / 89.1^2 and (50 - 34.65)^3 / 89.1^2.
    x = np.arange(100.0)
    knots = rcs_knots(x, 4)
    assert_allclose(knots, [4.95, 34.65, 64.35, 94.05])
    b = rcs_basis(np.array([50.0]), knots)
    assert_allclose(b[0], [50.0, 45.05**3 / 89.1**2, 15.35**3 / 89.1**2])
    # Linear beyond the last knot: second differences vanish.
    far = rcs_basis(np.array([100.0, 110.0, 120.0]), knots)
    assert_allclose(np.diff(far, n=2, axis=0), 0.0, atol=1e-9)


def test_rcs_in_formula_keeps_knots_for_prediction() -> None:
    lung = load("lung")
    fit = cox(lung, "rcs(age, 4) + sex", time="time", event="status")
    assert fit.summary.shape[0] == 4
    assert set(fit._design.terms) == {"rcs(age, 4)", "sex"}
    sub = lung.iloc[:3]
    assert_allclose(fit.predict_linear(sub), fit.predict_linear(lung).iloc[:3])


# ---------------------------------------------------------------------- errors
def test_missing_values_raise_naming_column_and_count() -> None:
    lung = load("lung")
    lung.loc[[3, 7], "age"] = np.nan
    with pytest.raises(SchemaError, match=r"'age' \(covariate\) has 2 missing"):
        cox(lung, "age + sex", time="time", event="status")
    lung = load("lung")
    lung.loc[[1], "time"] = np.nan
    with pytest.raises(SchemaError, match=r"'time' \(time\) has 1 missing"):
        cox(lung, "age", time="time", event="status")


def test_zero_variance_covariate_named() -> None:
    lung = load("lung").assign(const=1.0)
    with pytest.raises(SchemaError, match="zero variance.*const"):
        cox(lung, "age + const", time="time", event="status")


def test_collinear_covariates_named() -> None:
    lung = load("lung")
    lung["age2"] = 2 * lung["age"]
    with pytest.raises(SchemaError, match="rank deficient.*age2"):
        cox(lung, "age + age2", time="time", event="status")


def test_perfect_separation_raises() -> None:
    df = pd.DataFrame({"time": np.arange(1.0, 41.0), "event": 1, "g": [1] * 20 + [0] * 20})
    with pytest.raises(ConvergenceError, match="diverging: g"):
        cox(df, "g", time="time", event="event")


def test_bad_inputs() -> None:
    lung = load("lung")
    with pytest.raises(SchemaError, match="not found"):
        cox(lung, "age", time="nope", event="status")
    with pytest.raises(SchemaError, match="covariate column.*nope"):
        cox(lung, "age + nope", time="time", event="status")
    with pytest.raises(SchemaError, match="0/1"):
        cox(lung.assign(status=lung["status"] + 1), "age", time="time", event="status")
    with pytest.raises(SchemaError, match="start.*>= 'time'"):
        cox(lung.assign(start=lung["time"]), "age", time="time", event="status", start="start")
    with pytest.raises(SchemaError, match="non-positive"):
        cox(lung.assign(w=0.0), "age", time="time", event="status", weights="w")
    with pytest.raises(ValueError, match="ties"):
        cox(lung, "age", time="time", event="status", ties="discrete")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="exactly one"):
        cox(lung, time="time", event="status")
    with pytest.raises(TypeError, match="DataFrame"):
        cox(lung.to_numpy(), "age", time="time", event="status")  # type: ignore[arg-type]


def test_few_events_per_parameter_warns() -> None:
    ovarian = load("ovarian")  # 12 events, 3 parameters
    with pytest.warns(StatisticalWarning, match="12 events for 3 parameters"):
        cox(ovarian, "age + `ecog.ps` + rx", time="futime", event="fustat")


# ---------------------------------------------------------------------- properties
def _random_frame(seed: int, n: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({"a": rng.normal(size=n), "b": rng.binomial(1, 0.5, size=n)})
    df["time"] = np.ceil(rng.exponential(10 * np.exp(-0.5 * df["a"]), size=n))
    df["event"] = rng.binomial(1, 0.8, size=n)
    df["id"] = rng.integers(0, n // 3, size=n)
    return df


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), ties=st.sampled_from(["efron", "breslow"]))
def test_row_order_invariance_and_no_mutation(seed: int, ties: str) -> None:
    df = _random_frame(seed, 80)
    before = df.copy()
    fit = cox(df, "a + b", time="time", event="event", ties=ties, cluster="id")
    pd.testing.assert_frame_equal(df, before)
    shuffled = df.sample(frac=1.0, random_state=seed)
    fit2 = cox(shuffled, "a + b", time="time", event="event", ties=ties, cluster="id")
    assert_allclose(fit2.coef, fit.coef, rtol=1e-8)
    assert_allclose(fit2.var, fit.var, rtol=1e-8)
    assert_allclose(fit2.concordance, fit.concordance, rtol=1e-10)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), factor=st.floats(0.01, 100.0))
def test_rescaled_covariate_scales_log_hr(seed: int, factor: float) -> None:
    df = _random_frame(seed, 80)
    fit = cox(df, "a + b", time="time", event="event")
    fit2 = cox(df.assign(a=df["a"] * factor), "a + b", time="time", event="event")
    assert_allclose(fit2.coef[0] * factor, fit.coef[0], rtol=1e-7)
    assert_allclose(fit2.summary["se"][0] * factor, fit.summary["se"][0], rtol=1e-7)
    assert_allclose(fit2.summary["p_value"], fit.summary["p_value"], rtol=1e-6)


def test_start_stop_split_equals_unsplit(rng: np.random.Generator) -> None:
    # Splitting each subject's follow-up at an arbitrary time changes nothing.
    df = _random_frame(7, 120)
    cut = np.maximum(df["time"] * 0.5, 0.25)
    first = df.assign(start=0.0, stop=cut, event=0)
    second = df.assign(start=cut, stop=df["time"])
    split = pd.concat([first, second], ignore_index=True)
    whole = cox(df, "a + b", time="time", event="event")
    parts = cox(split, "a + b", time="stop", start="start", event="event")
    assert_allclose(parts.coef, whole.coef, rtol=1e-8)
    assert_allclose(parts.loglik, whole.loglik, rtol=1e-10)
    assert_allclose(parts.concordance, whole.concordance, rtol=1e-10)
    # With the subject as cluster the robust variance equals the unsplit robust variance.
    split["subject"] = np.tile(np.arange(len(df)), 2)
    rob_parts = cox(split, "a + b", time="stop", start="start", event="event", cluster="subject")
    rob_whole = cox(df, "a + b", time="time", event="event", robust=True)
    assert_allclose(rob_parts.var, rob_whole.var, rtol=1e-8)


def test_numeric_covariates_fast_path_equals_formula() -> None:
    lung = load("lung")
    a = cox(lung, time="time", event="status", covariates=["age", "sex", "ph.ecog"])
    b = cox(lung, "age + sex + `ph.ecog`", time="time", event="status")
    assert_allclose(a.coef, b.coef, rtol=1e-12)
    assert list(a.summary["term"]) == ["age", "sex", "ph.ecog"]
    assert_allclose(a.predict_linear(lung.iloc[:4]), b.predict_linear(lung.iloc[:4]))
    with pytest.raises(SchemaError, match="covariate column\\(s\\) not found"):
        a.predict_linear(lung.drop(columns="sex"))


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_integer_weights_equal_replicated_rows_breslow(seed: int) -> None:
    # Breslow's likelihood with case weight k is the likelihood of k copies of the row.
    df = _random_frame(seed, 60)
    w = np.random.default_rng(seed).integers(1, 4, size=len(df))
    weighted = cox(df.assign(w=w), "a + b", time="time", event="event", weights="w",
                   ties="breslow")  # fmt: skip
    copies = df.loc[df.index.repeat(w)]
    replicated = cox(copies, "a + b", time="time", event="event", ties="breslow")
    assert_allclose(weighted.coef, replicated.coef, rtol=1e-8)
    assert_allclose(weighted.naive_var, replicated.naive_var, rtol=1e-8)
    assert_allclose(weighted.loglik, replicated.loglik, rtol=1e-10)


@pytest.mark.slow
def test_hr_ci_coverage_simulation() -> None:
    # 400 simulated cohorts (n = 200, true log HR 0.5, ~30 % censoring, tied day times):
    # the 95 % Wald CI should cover exp(0.5) in 95 % of them; Monte-Carlo SE ~ 1.1 %,
    # so the accepted band is 95 % +/- 3.3 % (3 SE).
    rng = np.random.default_rng(20261122)
    cover = 0
    reps = 400
    for _ in range(reps):
        x = rng.normal(size=200)
        t = np.ceil(rng.exponential(200 * np.exp(-0.5 * x)))
        c = np.ceil(rng.exponential(450, size=200))
        df = pd.DataFrame({"x": x, "time": np.minimum(t, c), "event": (t <= c).astype(int)})
        s = cox(df, "x", time="time", event="event").summary.iloc[0]
        cover += s["ci_lower"] <= np.exp(0.5) <= s["ci_upper"]
    assert abs(cover / reps - 0.95) < 0.033


def test_conf_level_changes_only_the_interval() -> None:
    lung = load("lung")
    a = cox(lung, "age + sex", time="time", event="status")
    b = cox(lung, "age + sex", time="time", event="status", conf_level=0.9)
    assert_allclose(a.coef, b.coef)
    q90 = 1.6448536269514722
    assert_allclose(b.summary["ci_lower"], np.exp(b.summary["coef"] - q90 * b.summary["se"]))
    assert (b.summary["conf_level"] == 0.9).all()
    with pytest.raises(ValueError, match="conf_level"):
        cox(lung, "age", time="time", event="status", conf_level=95)


def test_two_strata_columns_equal_combined_column() -> None:
    lung = load("lung")
    lung["ecog_hi"] = (lung["ph.ecog"] >= 2).astype(int)
    a = cox(lung, "age", time="time", event="status", strata=["sex", "ecog_hi"])
    combined = lung.assign(s=lung["sex"].astype(str) + "_" + lung["ecog_hi"].astype(str))
    b = cox(combined, "age", time="time", event="status", strata="s")
    assert_allclose(a.coef, b.coef, rtol=1e-12)
    assert "stratified by sex, ecog_hi" in a.method


def test_no_events_and_html_repr() -> None:
    lung = load("lung")
    with pytest.raises(SchemaError, match="no events"):
        cox(lung.assign(status=0), "age", time="time", event="status")
    html = cox(lung, "age", time="time", event="status")._repr_html_()
    assert "Efron ties" in html and "<table" in html


def test_robust_start_stop_requires_cluster() -> None:
    heart = load("heart")
    with pytest.raises(ValueError, match="needs cluster"):
        cox(heart, "age", time="stop", start="start", event="event", robust=True)

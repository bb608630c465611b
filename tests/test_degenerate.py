"""Statistics on degenerate data: each gives a defined answer or a clear error.

No events, all censored, one group, a single patient, all times tied, perfect separation
(Cox and logistic), a covariate with zero variance, Ki-67 of exactly 0 or 100 %, and
specimen pairs with one grade level only.  Expected values are worked by hand (the
formula is in each test).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from _cohorts import raw_minimal
from numpy.testing import assert_allclose

from netstats import grading, sstr, survival
from netstats.cohort import Cohort
from netstats.exceptions import ConvergenceError, SchemaError, StatisticalWarning

NO_EVENTS = pd.DataFrame(
    {
        "time": [1.0, 2, 3, 4, 5, 6],
        "event": [0] * 6,
        "arm": list("aabbab"),
        "x": [1.0, 2, 3, 4, 5, 6],
    }
)
# Six subjects, every time equal to 3: four events, two censored; arm a has one event.
TIED = pd.DataFrame(
    {
        "time": [3.0] * 6,
        "event": [1, 0, 1, 1, 0, 1],
        "arm": list("aabbab"),
        "x": [1.0, 2, 3, 4, 5, 6],
    }
)
SINGLE = pd.DataFrame({"time": [5.0], "event": [1], "arm": ["a"], "x": [1.0]})


# --- Kaplan-Meier ------------------------------------------------------------------------
def test_km_without_events_stays_at_one_and_median_is_not_reached():
    km = survival.kaplan_meier(NO_EVENTS)
    s = km.summary
    assert (s["survival"] == 1.0).all() and (s["std_err"] == 0.0).all()
    assert (s["ci_lower"] == 1.0).all() and (s["ci_upper"] == 1.0).all()
    with pytest.warns(StatisticalWarning, match="not reached"):
        med = km.median()
    assert med["estimate"].isna().all()


def test_km_single_patient_with_an_event():
    s = survival.kaplan_meier(SINGLE).summary
    # S(5) = 1 - 1/1 = 0; Greenwood's variance 1/(n(n-d)) is infinite, so the log-scale
    # interval is undefined (R's survfit also gives NA limits when S = 0).
    assert s[["time", "n_at_risk", "n_events", "survival"]].values.tolist() == [[5.0, 1, 1, 0.0]]
    assert np.isinf(s["std_err_cumhaz"].iloc[0])
    assert s[["ci_lower", "ci_upper"]].isna().all(axis=None)
    assert survival.kaplan_meier(SINGLE).median()["estimate"].iloc[0] == 5.0


def test_km_single_censored_patient():
    s = survival.kaplan_meier(SINGLE.assign(event=0)).summary
    assert s["survival"].tolist() == [1.0]


def test_km_all_times_tied():
    s = survival.kaplan_meier(TIED).summary
    # One step: S = 1 - 4/6; Greenwood SE = S * sqrt(d / (n (n - d))) = (1/3) sqrt(4/12).
    assert s["time"].tolist() == [3.0]
    assert_allclose(s["survival"], [1 / 3], rtol=1e-12)
    assert_allclose(s["std_err"], [np.sqrt(1 / 3) / 3], rtol=1e-12)


# --- log-rank ------------------------------------------------------------------------------
def test_logrank_needs_two_groups():
    with pytest.raises(SchemaError, match="at least two groups"):
        survival.logrank(TIED.assign(arm="a"), group="arm")


def test_logrank_without_events_has_no_degrees_of_freedom():
    result = survival.logrank(NO_EVENTS, group="arm")
    assert result.statistic == 0.0 and result.df == 0
    assert np.isnan(result.p_value)


def test_logrank_all_times_tied():
    result = survival.logrank(TIED, group="arm")
    # One event time: n = 6, d = 4, arm a has 3 at risk and 1 event.
    # E_a = 4 * 3/6 = 2; V = d (n_a/n)(1 - n_a/n)(n - d)/(n - 1) = 0.4; chi2 = (1 - 2)^2 / 0.4.
    assert_allclose(result.statistic, 2.5, rtol=1e-12)
    assert result.df == 1


def test_logrank_one_group_without_events():
    data = TIED.assign(event=[0, 0, 1, 1, 0, 1])
    result = survival.logrank(data, group="arm")
    assert result.summary.set_index("group").loc["a", "n_events"] == 0
    assert np.isfinite(result.p_value)


# --- RMST ----------------------------------------------------------------------------------
def test_rmst_without_events_is_tau():
    r = survival.rmst(NO_EVENTS, tau=4.0).summary
    # S(t) = 1 on [0, 4], so the area is 4 with no sampling variance.
    assert r[["estimate", "std_err"]].values.tolist() == [[4.0, 0.0]]


# --- Cox -----------------------------------------------------------------------------------
def test_cox_without_events_is_refused():
    with pytest.raises(SchemaError, match="no events"):
        survival.cox(NO_EVENTS, time="time", event="event", covariates=["x"])


def test_cox_single_patient_is_refused():
    with pytest.raises(SchemaError, match="zero variance"):
        survival.cox(SINGLE, time="time", event="event", covariates=["x"])


def test_cox_zero_variance_covariate_is_named():
    data = TIED.assign(time=[1.0, 2, 3, 4, 5, 6], const=2.0)
    with pytest.raises(SchemaError, match="zero variance.*const"):
        survival.cox(data, time="time", event="event", covariates=["x", "const"])


def test_cox_perfect_separation_raises_convergence_error():
    data = pd.DataFrame({"time": np.arange(1.0, 9.0), "event": 1, "x": np.arange(8.0, 0.0, -1.0)})
    with (
        pytest.warns(StatisticalWarning, match="per parameter"),
        pytest.raises(ConvergenceError, match="separation"),
    ):
        survival.cox(data, time="time", event="event", covariates=["x"])


def test_cox_all_times_tied_gives_zero_coefficient():
    # Every event is at the one time, where the event covariates {1, 3, 4, 6} have the mean
    # 3.5 of the whole risk set: the score is zero at beta = 0, so the estimate is 0.
    with pytest.warns(StatisticalWarning, match="per parameter"):
        fit = survival.cox(TIED, time="time", event="event", covariates=["x"])
    assert_allclose(fit.summary["coef"], [0.0], atol=1e-10)
    assert np.isfinite(fit.summary["se"]).all()


def test_cox_zph_with_all_events_tied_is_a_clear_error():
    with pytest.warns(StatisticalWarning, match="per parameter"):
        fit = survival.cox(TIED, time="time", event="event", covariates=["x"])
    # R's cox.zph stops here with "system is exactly singular".
    with pytest.raises(ValueError, match="two or more distinct times"):
        survival.cox_zph(fit)


# --- competing risks -----------------------------------------------------------------------
def test_cumulative_incidence_without_events_is_refused():
    with pytest.raises(SchemaError, match="no events"):
        survival.cumulative_incidence(NO_EVENTS)


def test_fine_gray_without_the_cause_is_refused():
    data = NO_EVENTS.assign(event=[0, 2, 0, 2, 0, 0])
    with pytest.raises(SchemaError, match="does not occur"):
        survival.fine_gray(data, time="time", event="event", covariates=["x"])


# --- Ki-67 at the bounds ---------------------------------------------------------------------
def test_who_grade_at_ki67_zero_and_hundred():
    grades = grading.who_grade([0.0, 100.0])
    assert grades.astype(str).tolist() == ["G1", "G3"]


def test_ki67_interval_at_zero_and_all_positive_cells():
    ci = grading.ki67_interval([0, 500], [500, 500])
    # Clopper-Pearson with x = 0: [0, 1 - (alpha/2)^(1/n)]; with x = n: [(alpha/2)^(1/n), 1].
    upper0 = 100 * (1 - 0.025 ** (1 / 500))
    assert_allclose(ci["ci_lower"], [0.0, 100 - upper0], rtol=1e-9, atol=1e-12)
    assert_allclose(ci["ci_upper"], [upper0, 100.0], rtol=1e-9)
    probs = grading.grade_probabilities([0, 500], [500, 500])
    assert probs["most_probable_grade"].tolist() == ["G1", "G3"]


def test_cohort_accepts_ki67_of_exactly_zero_and_hundred():
    raw = raw_minimal()
    path = raw["pathology"]
    path.loc[0, ["ki67_percent", "ki67_positive_cells"]] = ["0", "0"]
    path.loc[1, ["ki67_percent", "ki67_positive_cells"]] = ["100", "600"]
    cohort = Cohort.from_tables(**raw)
    assert cohort.pathology["ki67_percent"].iloc[:2].tolist() == [0.0, 100.0]


# --- pairs with one grade level --------------------------------------------------------------
def _pairs(grade: str, ki67: float) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "patient_id": [f"P{i}" for i in range(8)],
            "primary_who_grade": grade,
            "metastasis_who_grade": grade,
            "primary_ki67_percent": ki67 + np.arange(8.0),
            "metastasis_ki67_percent": ki67 + np.arange(8.0) + 0.5,
        }
    )


def test_kappa_with_one_category_is_nan():
    k = grading.cohen_kappa([[10, 0, 0], [0, 0, 0], [0, 0, 0]])
    # Chance agreement is 1, so (p_o - p_e) / (1 - p_e) = 0/0.
    assert np.isnan(k.estimate) and np.isnan(k.se)
    assert k.observed_agreement == 1.0 and k.expected_agreement == 1.0


def test_concordance_with_one_grade_level_warns_and_keeps_agreement():
    with pytest.warns(StatisticalWarning, match="kappa is undefined.*G2"):
        result = grading.concordance(_pairs("G2", 5.0), random_state=1)
    a = result.agreement.set_index("statistic")
    assert a.loc["observed_agreement", "estimate"] == 1.0
    assert a.loc["share_discordant", "estimate"] == 0.0
    assert np.isnan(a.loc["kappa", "estimate"])
    # Clopper-Pearson upper limit for 0 of 8 discordant: 1 - 0.025^(1/8).
    assert_allclose(a.loc["share_discordant", "ci_upper"], 1 - 0.025 ** (1 / 8), rtol=1e-9)


def test_concordance_with_ki67_zero_asks_for_an_offset():
    with pytest.raises(ValueError, match="log_offset"):
        grading.concordance(_pairs("G1", 0.0), random_state=1)


# --- logistic (SSTR) -------------------------------------------------------------------------
SEPARATED_X = pd.DataFrame({"ki67": [1.0, 2, 3, 4, 10, 11, 12, 13], "site": list("aabbaabb")})
SEPARATED_Y = np.array([1, 1, 1, 1, 0, 0, 0, 0])


def test_logistic_perfect_separation_unpenalised_is_a_clear_error():
    pipe = sstr.make_pipeline("logistic", numeric=["ki67"], categorical=["site"], penalty="none")
    pipe.fit(SEPARATED_X, SEPARATED_Y)
    with pytest.raises(ConvergenceError, match="perfect separation"):
        sstr.odds_ratios(pipe, SEPARATED_X, SEPARATED_Y)


def test_logistic_perfect_separation_penalised_is_finite():
    pipe = sstr.make_pipeline("logistic", numeric=["ki67"], categorical=["site"])
    pipe.fit(SEPARATED_X, SEPARATED_Y)
    table = sstr.odds_ratios(pipe, SEPARATED_X, SEPARATED_Y)
    assert table.loc[table["method"] == "reference", "term"].tolist() == ["site_a"]
    estimated = table[table["method"] != "reference"]
    assert np.isfinite(estimated[["coef", "se", "ci_lower", "ci_upper"]]).all(axis=None)
    assert table.set_index("term").loc["ki67", "coef"] < 0  # positivity falls with Ki-67


def test_logistic_zero_variance_feature_is_reported_not_identifiable():
    X = SEPARATED_X.assign(ki67=5.0)
    y = np.array([1, 0, 1, 0, 1, 0, 1, 1])
    pipe = sstr.make_pipeline("logistic", numeric=["ki67"], categorical=["site"])
    pipe.fit(X, y)
    table = sstr.odds_ratios(pipe, X, y).set_index("term")
    assert table.loc["ki67", ["coef", "se", "estimate", "ci_lower", "ci_upper"]].isna().all()
    assert table.loc["ki67", "method"].startswith("not identifiable")
    rest = table.drop(index="ki67")
    estimated = rest[rest["method"] != "reference"]
    assert np.isfinite(estimated[["coef", "se", "ci_lower", "ci_upper"]]).all(axis=None)
    assert not rest["method"].str.startswith("not identifiable").any()
    # The other terms are those of the model fitted without the constant column.
    alone = sstr.make_pipeline("logistic", numeric=[], categorical=["site"])
    alone.fit(X[["site"]], y)
    ref = sstr.odds_ratios(alone, X[["site"]], y).set_index("term")
    np.testing.assert_allclose(rest.loc[ref.index, ["coef", "se"]], ref[["coef", "se"]], rtol=1e-6)


def test_logistic_with_one_class_is_a_value_error():
    pipe = sstr.make_pipeline("logistic", numeric=["ki67"], categorical=["site"])
    with pytest.raises(ValueError, match="class"):
        pipe.fit(SEPARATED_X, np.ones(8, dtype=int))

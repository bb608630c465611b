"""Discordance GEE against geepack/glm and the Ki-67 mixed model against nlme."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from netstats.exceptions import SchemaError, StatisticalWarning
from netstats.grading import discordance_model, ki67_trajectory_model

REF = Path(__file__).parent / "reference" / "grading"
COVARIATES = [
    "months_between",
    "timing",
    "metastasis_specimen_type",
    "primary_tumour_size_mm",
    "intervening_therapy",
]
# R coefficient names (models.R) -> ours
R_TERMS = {
    "(Intercept)": "Intercept",
    "months_between": "months_between",
    "timingsynchronous": "timing[T.synchronous]",
    "metastasis_specimen_typefna_cell_block": "metastasis_specimen_type[T.fna_cell_block]",
    "metastasis_specimen_typeresection": "metastasis_specimen_type[T.resection]",
    "primary_tumour_size_mm": "primary_tumour_size_mm",
    "intervening_therapyTrue": "intervening_therapy[T.True]",
}


@pytest.fixture(scope="module")
def dpairs() -> pd.DataFrame:
    return pd.read_csv(REF / "discordance_pairs.csv")


@pytest.fixture(scope="module")
def gee_ref() -> pd.DataFrame:
    ref = pd.read_csv(REF / "discordance_model_ref.csv")
    ref["term"] = ref["term"].map(R_TERMS)
    return ref


def _fit(dpairs, **kw):
    # 47 events for 7 parameters: the events-per-parameter warning is expected here
    with pytest.warns(StatisticalWarning, match="per parameter"):
        return discordance_model(dpairs, covariates=COVARIATES, **kw)


@pytest.mark.reference
def test_gee_independence_matches_geepack(dpairs, gee_ref):
    got = _fit(dpairs, cov_struct="independence").summary.set_index("term")
    ref = gee_ref[gee_ref["model"] == "gee_independence"].set_index("term")
    got = got.loc[ref.index]
    np.testing.assert_allclose(got["estimate"], ref["estimate"], rtol=1e-6)
    np.testing.assert_allclose(got["se"], ref["se"], rtol=1e-6)
    # independence GEE point estimates are ordinary logistic regression (R glm)
    glm = gee_ref[gee_ref["model"] == "glm"].set_index("term").loc[ref.index]
    np.testing.assert_allclose(got["estimate"], glm["estimate"], rtol=1e-6)


@pytest.mark.reference
def test_gee_exchangeable_close_to_geepack(dpairs, gee_ref):
    # statsmodels and geepack estimate the exchangeable correlation with different moment
    # denominators (alpha 0.1226 vs 0.1198 here), which moves the estimates by < 1 %; so the
    # tolerance is atol 0.01 on log-odds and rtol 0.01 on SEs, not the deterministic 1e-6
    res = _fit(dpairs, cov_struct="exchangeable")
    got = res.summary.set_index("term")
    ref = gee_ref[gee_ref["model"] == "gee_exchangeable"].set_index("term")
    got = got.loc[ref.index]
    np.testing.assert_allclose(got["estimate"], ref["estimate"], atol=0.01)
    np.testing.assert_allclose(got["se"], ref["se"], rtol=0.01)
    alpha = pd.read_csv(REF / "discordance_model_alpha_ref.csv")["alpha"].iloc[0]
    assert res.working_correlation == pytest.approx(alpha, abs=0.005)


def test_gee_result_fields(dpairs):
    res = _fit(dpairs)
    assert res.n_pairs == len(dpairs) and res.n_patients == dpairs["patient_id"].nunique()
    assert res.n_events == int(dpairs["discordant"].sum())
    s = res.summary
    assert list(s.columns) == [
        "term",
        "estimate",
        "se",
        "odds_ratio",
        "ci_lower",
        "ci_upper",
        "conf_level",
        "z",
        "p_value",
    ]
    assert np.allclose(s["odds_ratio"], np.exp(s["estimate"]))
    assert (s["ci_lower"] < s["odds_ratio"]).all() and (s["odds_ratio"] < s["ci_upper"]).all()
    assert res.formula.startswith("discordant ~ months_between")
    assert "GEE" in repr(res)


def test_gee_excludes_and_counts(dpairs):
    d = dpairs.copy()
    d.loc[0, "metastasis_who_grade"] = "NEC"
    d.loc[1, "primary_tumour_size_mm"] = np.nan
    res = _fit(d)
    exc = res.excluded.set_index("reason")["n_pairs"]
    assert exc["NEC or missing grade in a member"] == 1 and exc["missing covariate"] == 1
    assert res.n_pairs == len(d) - 2


def test_gee_upgraded_outcome_and_default_covariates(dpairs):
    with pytest.warns(StatisticalWarning):
        res = discordance_model(dpairs, outcome="upgraded")
    up = (dpairs["primary_who_grade"] < dpairs["metastasis_who_grade"]).sum()
    assert res.n_events == up
    # default covariates are those present in the table
    assert "months_between" in res.summary["term"].tolist()


def test_gee_errors(dpairs):
    with pytest.raises(SchemaError, match="lacks column"):
        discordance_model(dpairs, covariates=["ki67_ratio"])
    with pytest.raises(ValueError, match="outcome must be"):
        discordance_model(dpairs, outcome="changed")
    with pytest.raises(ValueError, match="does not vary"):
        discordance_model(
            dpairs.assign(metastasis_who_grade=dpairs["primary_who_grade"]), covariates=[]
        )


@pytest.fixture(scope="module")
def traj() -> pd.DataFrame:
    return pd.read_csv(REF / "ki67_trajectories.csv", parse_dates=["sample_date"])


@pytest.mark.reference
@pytest.mark.parametrize(
    ("random_slope", "model", "rtol"),
    [(True, "random_slope", 2e-3), (False, "random_intercept", 1e-4)],
)
def test_mixed_model_matches_nlme(traj, random_slope, model, rtol):
    # nlme::lme REML. For the random-slope model statsmodels reaches a slightly higher REML
    # log-likelihood (-106.21042 vs nlme -106.21048), so estimates differ in the 4th digit:
    # rtol 2e-3 there, 1e-4 for the random-intercept model.
    fit = ki67_trajectory_model(traj, random_slope=random_slope)
    fx = pd.read_csv(REF / "trajectory_fixed_ref.csv")
    fx = fx[fx["model"] == model].set_index("term").rename(index={"(Intercept)": "Intercept"})
    got = fit.summary.set_index("term").loc[fx.index]
    np.testing.assert_allclose(got["estimate"], fx["estimate"], rtol=rtol)
    np.testing.assert_allclose(got["se"], fx["se"], rtol=rtol)
    vc = pd.read_csv(REF / "trajectory_varcomp_ref.csv")
    vc = vc[vc["model"] == model].set_index("component")["estimate"]
    got_vc = fit.variance_components.set_index("component")["estimate"].loc[vc.index]
    np.testing.assert_allclose(got_vc, vc, rtol=10 * rtol)


def test_mixed_model_fields_and_exclusions(traj):
    t = traj.copy()
    t.loc[0, "ki67_percent"] = np.nan
    fit = ki67_trajectory_model(t, random_slope=False)
    assert fit.n_specimens == len(t) - 1
    assert (
        fit.excluded.set_index("reason").loc["missing sample_date or ki67_percent", "n_specimens"]
        == 1
    )
    s = fit.summary.set_index("term")
    assert s.loc["years", "fold_change"] == pytest.approx(np.exp(s.loc["years", "estimate"]))
    assert (fit.data.groupby("patient_id")["years"].min() == 0).all()
    assert "random intercept" in repr(fit) and "fold_change" in repr(fit)


def test_mixed_model_errors(traj):
    with pytest.raises(ValueError, match="offset"):
        ki67_trajectory_model(traj.assign(ki67_percent=0.0))
    one = traj.drop_duplicates("patient_id")
    with pytest.raises(ValueError, match="at least 2 are needed"):
        ki67_trajectory_model(one)
    with pytest.raises(SchemaError):
        ki67_trajectory_model(traj.drop(columns="site"))


def test_mixed_model_warns_at_variance_boundary():
    # no between-patient variation at all: the random-intercept variance is estimated as 0
    path = pd.DataFrame(
        {
            "patient_id": np.repeat(["A", "B", "C"], 3),
            "sample_id": [str(i) for i in range(9)],
            "sample_date": pd.to_datetime(["2019-01-01", "2020-01-01", "2021-01-01"] * 3),
            "site": "liver",
            "specimen_type": "core_biopsy",
            "ki67_percent": [2.0, 3.0, 4.0, 2.1, 2.9, 4.1, 1.9, 3.1, 3.9],
        }
    )
    with pytest.warns(StatisticalWarning, match="boundary"):
        fit = ki67_trajectory_model(path, random_slope=False)
    assert fit.variance_components.set_index("component").loc["intercept_var", "estimate"] < 1e-6


def test_discordance_model_names_its_reference_levels():
    rng = np.random.default_rng(3)
    n = 80
    pairs = pd.DataFrame(
        {
            "patient_id": np.repeat(np.arange(n // 2), 2),
            "primary_who_grade": rng.choice(["G1", "G2"], n),
            "metastasis_who_grade": rng.choice(["G1", "G2", "G3"], n),
            "timing": rng.choice(["synchronous", "metachronous"], n),
            "months_between": rng.uniform(0, 24, n),
        }
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = discordance_model(pairs, covariates=["timing", "months_between"])
    # patsy's treatment coding: the first level in sorted order is the reference
    assert fit.references == {"timing": "metachronous"}
    assert any("[T.synchronous]" in t for t in fit.summary["term"])

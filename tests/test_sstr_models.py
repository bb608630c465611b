"""Pipelines, odds ratios, nested CV and bootstrap optimism on data with a known model."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from numpy.testing import assert_allclose
from scipy.special import expit

from netstats.exceptions import NotFittedError, StatisticalWarning
from netstats.sstr import (
    MODELS,
    auroc_delong,
    bootstrap_optimism,
    compare_models,
    delong_test,
    make_pipeline,
    nested_cv,
    odds_ratios,
    permutation_importance,
)

NUM = ["log_ki67", "log1p_mitoses", "sstr2a_ihc"]
CAT = ["differentiation"]
# True model: logit P(positive) = 3.0 - 1.2 log_ki67 - 0.8 log1p_mitoses + 0.7 sstr2a_ihc
#                                 - 1.0 [differentiation == poor]
TRUE = {
    "intercept": 3.0,
    "log_ki67": -1.2,
    "log1p_mitoses": -0.8,
    "sstr2a_ihc": 0.7,
    "differentiation_poor": -1.0,
}


def simulate(
    n: int, seed: int, *, missing: float = 0.0
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Features, outcome and true probability from the known logistic model."""
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(
        {
            "log_ki67": rng.normal(1.5, 0.9, n),
            "log1p_mitoses": rng.gamma(2.0, 0.5, n),
            "sstr2a_ihc": rng.integers(0, 4, n).astype(float),
            "differentiation": np.where(rng.random(n) < 0.2, "poor", "well").astype(object),
        }
    )
    lp = (
        TRUE["intercept"]
        + TRUE["log_ki67"] * X["log_ki67"]
        + TRUE["log1p_mitoses"] * X["log1p_mitoses"]
        + TRUE["sstr2a_ihc"] * X["sstr2a_ihc"]
        + TRUE["differentiation_poor"] * (X["differentiation"] == "poor")
    ).to_numpy()
    p = expit(lp)
    y = rng.binomial(1, p)
    if missing:
        for col in ("sstr2a_ihc", "differentiation"):
            X.loc[rng.random(n) < missing, col] = np.nan
    return X, y, p


def _pipe(**kw):
    return make_pipeline("logistic", numeric=NUM, categorical=CAT, **kw)


def test_unpenalised_odds_ratios_match_statsmodels_and_recover_truth():
    X, y, _ = simulate(3000, seed=11)
    pipe = _pipe(penalty="none").fit(X, y)
    ors = odds_ratios(pipe, X, y, conf_level=0.99).set_index("term")
    # Independent fit: statsmodels Logit on the same design (well as the reference level).
    design = sm.add_constant(
        pd.DataFrame(
            {
                **{c: X[c] for c in NUM},
                "differentiation_poor": (X["differentiation"] == "poor") * 1.0,
            }
        )
    )
    ref = sm.Logit(y, design).fit(disp=0, tol=1e-12, maxiter=100)
    # Unpenalised: the first level in sorted order ("poor") is the reference.
    # The reference level is named on a row of its own (odds ratio 1, no interval).
    assert ors.loc["differentiation_poor", "method"] == "reference"
    assert ors.loc["differentiation_poor", "estimate"] == 1.0
    assert ors.loc["differentiation_well", "reference"] == "poor"
    assert_allclose(
        -ors.loc["differentiation_well", "coef"], ref.params["differentiation_poor"], rtol=1e-5
    )
    assert_allclose(
        ors.loc["intercept", "coef"],
        ref.params["const"] + ref.params["differentiation_poor"],
        rtol=1e-5,
    )
    lo, hi = ors.loc["differentiation_well", ["ci_lower", "ci_upper"]]
    assert lo < np.exp(-TRUE["differentiation_poor"]) < hi
    for term in NUM:
        assert_allclose(ors.loc[term, "coef"], ref.params[term], rtol=1e-5)
        assert_allclose(ors.loc[term, "se"], ref.bse[term], rtol=1e-4)
        lo, hi = ors.loc[term, ["ci_lower", "ci_upper"]]
        assert lo < np.exp(TRUE[term]) < hi, term
    assert ors["method"].iloc[0] == "Wald, maximum likelihood"


@pytest.mark.slow
def test_coverage_of_true_coefficients():
    """About 95 % of 95 % Wald intervals cover the true log-odds (200 data sets)."""
    hits = []
    for seed in range(200):
        X, y, _ = simulate(400, seed=1000 + seed)
        ors = odds_ratios(_pipe(penalty="none").fit(X, y), X, y).set_index("term")
        hits.append(
            [ors.loc[t, "ci_lower"] < np.exp(TRUE[t]) < ors.loc[t, "ci_upper"] for t in NUM]
        )
    coverage = np.mean(hits, axis=0)
    # Monte-Carlo SE of a 95 % coverage with 200 replicates is 1.5 %; allow 3 SE.
    assert np.all(np.abs(coverage - 0.95) < 0.046), coverage


@pytest.mark.parametrize("model", MODELS)
def test_every_model_handles_missing_values_and_new_categories(model):
    X, y, _ = simulate(150, seed=3, missing=0.2)
    pipe = make_pipeline(model, numeric=NUM, categorical=CAT, class_weight="balanced")
    pipe.fit(X, y)
    new = X.head(5).copy()
    new["differentiation"] = ["poor", "well", "unseen", np.nan, "well"]
    new.loc[0, "log_ki67"] = np.nan
    prob = pipe.predict_proba(new)[:, 1]
    assert prob.shape == (5,)
    assert np.all((prob >= 0) & (prob <= 1))


def test_class_weight_raises_mean_probability_of_rare_negatives():
    X, y, _ = simulate(400, seed=5)
    plain = _pipe().fit(X, y).predict_proba(X)[:, 1].mean()
    weighted = _pipe(class_weight="balanced").fit(X, y).predict_proba(X)[:, 1].mean()
    assert y.mean() > 0.6  # negatives are the rare class here
    assert weighted < plain


def test_nested_cv_identical_whatever_n_jobs():
    X, y, _ = simulate(160, seed=7)
    # A random forest: per-task seeds matter, not only the fold assignment.
    forest = make_pipeline("random_forest", numeric=NUM, categorical=CAT)
    forest.set_params(model__n_estimators=10)
    kw = dict(
        model=forest,
        param_grid={"model__min_samples_leaf": [3, 10]},
        n_outer=3,
        n_inner=2,
        n_repeats=2,
        random_state=42,
        progress=False,
    )
    X_before = X.copy()
    one = nested_cv(X, y, n_jobs=1, **kw)
    two = nested_cv(X, y, n_jobs=2, **kw)
    pd.testing.assert_frame_equal(X, X_before)
    pd.testing.assert_frame_equal(one.predictions, two.predictions, check_exact=True)
    pd.testing.assert_frame_equal(one.summary, two.summary, check_exact=True)
    other = nested_cv(X, y, n_jobs=1, **{**kw, "random_state": 43})
    assert not np.array_equal(one.predictions["prob"], other.predictions["prob"])
    # Every scan is predicted exactly once per repeat.
    for _, grp in one.predictions.groupby("repeat"):
        assert sorted(grp["row"]) == list(range(160))
    assert set(one.summary.columns) >= {
        "metric",
        "estimate",
        "ci_lower",
        "ci_upper",
        "conf_level",
        "rule",
    }


def test_bootstrap_optimism_identical_whatever_n_jobs():
    X, y, _ = simulate(120, seed=8)
    kw = dict(model=_pipe(), param_grid={}, n_boot=6, random_state=3, progress=False)
    one = bootstrap_optimism(X, y, n_jobs=1, **kw)
    two = bootstrap_optimism(X, y, n_jobs=2, **kw)
    pd.testing.assert_frame_equal(one.summary, two.summary, check_exact=True)
    s = one.summary.set_index("metric")
    assert_allclose(s["corrected"], s["apparent"] - s["optimism"])


def test_optimism_removes_overfitting_on_noise():
    """With pure-noise features the apparent AUROC is inflated; corrected is near 0.5."""
    rng = np.random.default_rng(17)
    n = 120
    X = pd.DataFrame(rng.normal(size=(n, 12)), columns=[f"x{i}" for i in range(12)])
    y = rng.binomial(1, 0.7, n)
    pipe = make_pipeline("logistic", numeric=list(X.columns), categorical=[], penalty="none")
    res = bootstrap_optimism(X, y, model=pipe, param_grid={}, n_boot=40, progress=False)
    auc = res.summary.set_index("metric").loc["auroc"]
    assert auc["apparent"] > 0.7
    assert auc["optimism"] > 0.1
    assert abs(auc["corrected"] - 0.5) < 0.1


@pytest.mark.slow
def test_nested_cv_auroc_close_to_true_auroc():
    X, y, _ = simulate(800, seed=21)
    Xbig, ybig, pbig = simulate(200_000, seed=22)
    true_auc = auroc_delong(ybig, pbig).estimate
    res = nested_cv(
        X,
        y,
        model=_pipe(),
        param_grid={"model__C": [0.1, 1.0, 10.0]},
        n_outer=5,
        n_inner=5,
        n_repeats=3,
        progress=False,
    )
    got = res.summary.set_index("metric").loc["auroc"]
    assert abs(got["estimate"] - true_auc) < 0.03
    assert got["ci_lower"] < true_auc < got["ci_upper"]


def test_errors_are_clear():
    X, y, _ = simulate(60, seed=1)
    with pytest.raises(ValueError, match="unknown model 'svm'"):
        make_pipeline("svm")
    with pytest.raises(ValueError, match="coded 0/1"):
        nested_cv(X, y * 2, model=_pipe(), progress=False)
    with pytest.raises(ValueError, match="expected \\(60,\\)"):
        nested_cv(X, y[:10], model=_pipe(), progress=False)
    with pytest.raises(NotFittedError):
        odds_ratios(_pipe(), X, y)
    with pytest.raises(TypeError, match="LogisticRegression"):
        rf = make_pipeline("random_forest", numeric=NUM, categorical=CAT).fit(X, y)
        odds_ratios(rf, X, y)


def test_few_negatives_per_fold_warns():
    X, y, _ = simulate(80, seed=2)
    y = y.copy()
    y[:] = 1
    y[:12] = 0
    with pytest.warns(StatisticalWarning, match="SSTR-negative scans per outer test fold"):
        nested_cv(
            X, y, model=_pipe(), param_grid={}, n_outer=3, n_inner=3, n_repeats=1, progress=False
        )


def test_permutation_importance_ranks_the_true_predictors_first():
    X, y, _ = simulate(600, seed=31)
    X = X.assign(noise=np.random.default_rng(0).normal(size=len(X)))
    pipe = make_pipeline("logistic", numeric=[*NUM, "noise"], categorical=CAT).fit(X, y)
    Xt, yt, _ = simulate(600, seed=32)
    Xt = Xt.assign(noise=np.random.default_rng(1).normal(size=len(Xt)))
    imp = permutation_importance(pipe, Xt, yt, n_repeats=10)
    assert imp["feature"].iloc[0] in ("log_ki67", "sstr2a_ihc")
    assert imp.set_index("feature").loc["noise", "estimate"] < 0.01
    assert list(imp.columns[:5]) == ["feature", "estimate", "sd", "ci_lower", "ci_upper"]


def test_progress_bar_is_shown_on_request(capsys):
    X, y, _ = simulate(80, seed=9)
    bootstrap_optimism(X, y, model=_pipe(), param_grid={}, n_boot=2, progress=True)
    assert "bootstrap" in capsys.readouterr().err
    bootstrap_optimism(X, y, model=_pipe(), param_grid={}, n_boot=2, progress=False)
    assert capsys.readouterr().err == ""


def test_compare_models_is_the_paired_delong_test_on_out_of_fold_predictions():
    X, y, _ = simulate(150, seed=12)
    kw = dict(param_grid={}, n_outer=3, n_inner=3, n_repeats=2, random_state=5, progress=False)
    full = nested_cv(X, y, model=_pipe(), rule="krenning>=3", **kw)
    small = nested_cv(
        X,
        y,
        model=make_pipeline("logistic", numeric=["log_ki67"], categorical=[]),
        rule="krenning>=3",
        **kw,
    )
    out = compare_models(full, small)
    assert list(out["repeat"]) == [1, 2]
    first = full.predictions.query("repeat == 1")
    ref = delong_test(first["y"], first["prob"], small.predictions.query("repeat == 1")["prob"])
    assert out.loc[0, "p_value"] == ref.p_value
    assert out.loc[0, "estimate"] == ref.estimate
    assert (out["rule"] == "krenning>=3").all()
    other = nested_cv(X, y, model=_pipe(), rule="krenning>=3", **{**kw, "n_repeats": 1})
    with pytest.raises(ValueError, match="same scans"):
        compare_models(full, other)

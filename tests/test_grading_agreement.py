"""Kappa, weighted kappa, Bowker and Stuart-Maxwell: textbook examples, R, properties."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.stats.contingency_tables import SquareTable
from statsmodels.stats.inter_rater import cohens_kappa as sm_cohens_kappa

from netstats.grading import bowker_test, cohen_kappa, stuart_maxwell_test

REF = Path(__file__).parent / "reference" / "grading"

# the same tables as tests/reference/grading/agreement.R
TABLES = {
    "cohen1960": [[88, 14, 18], [10, 40, 10], [2, 6, 12]],
    "fleiss1981": [[75, 1, 4], [5, 4, 1], [0, 0, 10]],
    "grades3": [[30, 12, 1], [4, 25, 6], [1, 3, 9]],
    "four": [[20, 5, 2, 1], [3, 15, 4, 2], [1, 2, 12, 5], [1, 1, 3, 9]],
}


@pytest.fixture(scope="module")
def kappa_ref() -> pd.DataFrame:
    # psych 2.2.9 cohen.kappa and the Fleiss-Cohen-Everitt formula written out in R
    return pd.read_csv(REF / "kappa_ref.csv")


def test_cohen_1960_hand_worked():
    # Cohen (1960), Table 1 as counts of N = 200: p_o = .70, p_c = .41, kappa = .29 / .59
    res = cohen_kappa(TABLES["cohen1960"])
    assert res.observed_agreement == pytest.approx(0.70, rel=1e-12)
    assert res.expected_agreement == pytest.approx(0.41, rel=1e-12)
    assert res.estimate == pytest.approx(0.29 / 0.59, rel=1e-12)


def test_fleiss_1981_hand_worked():
    # Fleiss (1981) two psychiatrists, 100 patients: p_o = .89,
    # p_e = .80 * .80 + .10 * .05 + .10 * .15 = .66, kappa = .23 / .34 = .676
    res = cohen_kappa(TABLES["fleiss1981"])
    assert res.estimate == pytest.approx(0.23 / 0.34, rel=1e-12)
    # quadratic agreement weights 1, .75, 0: p_o(w) = .89 + .75 * (.01 + .05 + .01 + .00) = .9425
    # p_e(w) = sum w_ij r_i c_j = .765; kappa_w = (.9425 - .765) / (1 - .765)
    q = cohen_kappa(TABLES["fleiss1981"], weights="quadratic")
    assert q.observed_agreement == pytest.approx(0.9425, rel=1e-12)
    assert q.expected_agreement == pytest.approx(0.765, rel=1e-12)
    assert q.estimate == pytest.approx((0.9425 - 0.765) / 0.235, rel=1e-12)


@pytest.mark.reference
@pytest.mark.parametrize("name", list(TABLES))
@pytest.mark.parametrize("weights", ["unweighted", "linear", "quadratic"])
def test_kappa_matches_psych_and_textbook_se(kappa_ref, name, weights):
    ref = kappa_ref[(kappa_ref["table"] == name) & (kappa_ref["weights"] == weights)].iloc[0]
    res = cohen_kappa(TABLES[name], weights=weights)
    assert res.estimate == pytest.approx(ref["psych_kappa"], rel=1e-6)
    # SE: Fleiss, Cohen & Everitt (1969) large-sample variance (R transcription of the paper)
    assert res.se == pytest.approx(ref["fce_se"], rel=1e-6)
    if weights == "unweighted":
        # psych::cohen.kappa uses the same variance for unweighted kappa
        assert res.se == pytest.approx(ref["psych_se"], rel=1e-6)


@pytest.mark.reference
@pytest.mark.parametrize("name", list(TABLES))
@pytest.mark.parametrize(
    ("weights", "wt"), [("unweighted", None), ("linear", "linear"), ("quadratic", "quadratic")]
)
def test_kappa_matches_statsmodels(name, weights, wt):
    t = np.asarray(TABLES[name], float)
    sm = sm_cohens_kappa(t, wt=wt) if wt else sm_cohens_kappa(t)
    res = cohen_kappa(t, weights=weights)
    assert res.estimate == pytest.approx(sm.kappa, rel=1e-10)
    assert res.se == pytest.approx(np.sqrt(sm.var_kappa), rel=1e-10)


def test_weighted_kappa_se_matches_bootstrap(rng):
    # multinomial bootstrap of the pairs: the FCE large-sample SE should agree within
    # Monte-Carlo and small-sample error (2000 replicates, n = 100; rtol 10 %)
    t = np.asarray(TABLES["grades3"], float)
    n = int(t.sum())
    probs = (t / n).ravel()
    for weights in ("linear", "quadratic"):
        reps = rng.multinomial(n, probs, size=2000).reshape(-1, 3, 3)
        ks = [cohen_kappa(r, weights=weights).estimate for r in reps]
        assert cohen_kappa(t, weights=weights).se == pytest.approx(np.std(ks, ddof=1), rel=0.10)


def test_ci_is_wald():
    res = cohen_kappa(TABLES["grades3"], weights="linear", conf_level=0.9)
    assert res.ci_lower == pytest.approx(res.estimate - 1.6448536269514722 * res.se, rel=1e-12)
    assert res.ci_upper == pytest.approx(res.estimate + 1.6448536269514722 * res.se, rel=1e-12)
    assert list(res.summary.columns)[:5] == ["weights", "estimate", "se", "ci_lower", "ci_upper"]
    assert "kappa (linear weights)" in repr(res)


@given(
    st.lists(st.integers(0, 2), min_size=2, max_size=60).filter(lambda v: len(set(v)) > 1),
    st.sampled_from(["unweighted", "linear", "quadratic"]),
)
def test_identical_ratings_give_kappa_one(ratings, weights):
    t = np.zeros((3, 3))
    np.add.at(t, (ratings, ratings), 1)
    res = cohen_kappa(t, weights=weights)
    assert res.estimate == pytest.approx(1.0, rel=1e-12)
    assert res.se == pytest.approx(0.0, abs=1e-7)


@pytest.mark.reference
@pytest.mark.parametrize("name", [*TABLES, "two_by_two"])
def test_bowker_matches_r_mcnemar(name):
    ref = pd.read_csv(REF / "bowker_ref.csv").set_index("table").loc[name]
    t = TABLES.get(name, [[10, 8], [2, 10]])
    res = bowker_test(t)
    assert res.statistic == pytest.approx(ref["statistic"], rel=1e-6)
    assert res.df == ref["df"]
    assert res.p_value == pytest.approx(ref["p_value"], rel=1e-6)


def test_bowker_drops_empty_pairs_and_reduces_df():
    # R mcnemar.test returns NaN here (0/0 for the empty G1/G3 pair); we leave the pair out
    res = bowker_test([[5, 2, 0], [1, 5, 3], [0, 1, 5]])
    assert res.df == 2
    assert res.statistic == pytest.approx(1 / 3 + 1.0, rel=1e-12)
    assert "1 empty" in res.note


@given(
    st.lists(st.integers(0, 30), min_size=6, max_size=6),
    st.lists(st.integers(0, 30), min_size=3, max_size=3),
)
def test_symmetric_tables_give_bowker_and_stuart_maxwell_zero(upper, diag):
    t = np.zeros((3, 3))
    t[np.triu_indices(3, 1)] = upper[:3]
    t = t + t.T
    t[np.diag_indices(3)] = diag
    if t.sum() == 0:
        t[0, 0] = 1
    assert bowker_test(t).statistic == 0.0
    assert stuart_maxwell_test(t).statistic == pytest.approx(0.0, abs=1e-9)


@pytest.mark.reference
@pytest.mark.parametrize("name", list(TABLES))
def test_stuart_maxwell_matches_statsmodels(name):
    t = np.asarray(TABLES[name], float)
    sm = SquareTable(t, shift_zeros=False).homogeneity(method="stuart_maxwell")
    res = stuart_maxwell_test(t)
    assert res.statistic == pytest.approx(sm.statistic, rel=1e-8)
    assert res.df == sm.df
    assert res.p_value == pytest.approx(sm.pvalue, rel=1e-6)


@pytest.mark.reference
@pytest.mark.parametrize("name", list(TABLES))
def test_stuart_maxwell_matches_r_formula(name):
    # tests/reference/grading/agreement.R: Stuart (1955) / Maxwell (1970) written out in R
    ref = pd.read_csv(REF / "stuart_maxwell_ref.csv").set_index("table").loc[name]
    res = stuart_maxwell_test(TABLES[name])
    assert res.statistic == pytest.approx(ref["statistic"], rel=1e-6)
    assert res.df == ref["df"]
    assert res.p_value == pytest.approx(ref["p_value"], rel=1e-6)


def test_stuart_maxwell_two_by_two_is_mcnemar():
    ref = pd.read_csv(REF / "bowker_ref.csv").set_index("table").loc["two_by_two"]
    assert stuart_maxwell_test([[10, 8], [2, 10]]).statistic == pytest.approx(
        ref["statistic"], rel=1e-10
    )


def test_stuart_maxwell_handles_a_category_never_used():
    # G3 never rated: the 3 x 3 covariance is singular; the generalised inverse reduces to 2 x 2
    res = stuart_maxwell_test([[10, 8, 0], [2, 10, 0], [0, 0, 0]])
    assert res.statistic == pytest.approx(3.6, rel=1e-10)
    assert res.df == 1


@settings(max_examples=50)
@given(st.lists(st.integers(0, 20), min_size=9, max_size=9).filter(lambda v: sum(v) > 0))
def test_statistics_invariant_to_transposition_sign(cells):
    t = np.asarray(cells, float).reshape(3, 3)
    assert bowker_test(t).statistic == pytest.approx(bowker_test(t.T).statistic, rel=1e-12)
    k1, k2 = cohen_kappa(t), cohen_kappa(t.T)
    if np.isfinite(k1.estimate):
        assert k1.estimate == pytest.approx(k2.estimate, rel=1e-9, abs=1e-12)


@pytest.mark.parametrize(
    ("table", "match"),
    [([[1, 2, 3]], "square"), ([[1, -1], [0, 2]], "non-negative"), ([[0, 0], [0, 0]], "empty")],
)
def test_invalid_tables(table, match):
    with pytest.raises(ValueError, match=match):
        cohen_kappa(table)


def test_invalid_weights():
    with pytest.raises(ValueError, match="weights must be"):
        cohen_kappa([[1, 2], [3, 4]], weights="cubic")

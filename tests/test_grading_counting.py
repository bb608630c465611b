"""Ki-67 counting uncertainty against R (binom.test, qbeta/pbeta) and by construction."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numpy.testing import assert_allclose
from scipy import stats

from netstats.exceptions import SchemaError
from netstats.grading import (
    cells_needed,
    expected_misgraded,
    grade_probabilities,
    grade_probability_curve,
    ki67_interval,
)

REF = Path(__file__).parent / "reference" / "grading"


@pytest.fixture(scope="module")
def binom_ref() -> pd.DataFrame:
    # made by tests/reference/grading/agreement.R (R 4.2.2 binom.test, qbeta, pbeta)
    return pd.read_csv(REF / "binom_ref.csv")


@pytest.mark.reference
def test_clopper_pearson_matches_r_binom_test(binom_ref):
    got = ki67_interval(binom_ref["positive"], binom_ref["counted"], method="clopper-pearson")
    # deterministic quantiles: rtol 1e-6; atol covers the exact 0 / 100 limits
    assert_allclose(got["ci_lower"], binom_ref["cp_lower"], rtol=1e-6, atol=1e-10)
    assert_allclose(got["ci_upper"], binom_ref["cp_upper"], rtol=1e-6, atol=1e-10)
    assert_allclose(got["estimate"], 100 * binom_ref["positive"] / binom_ref["counted"], rtol=1e-12)


@pytest.mark.reference
def test_jeffreys_matches_r_qbeta(binom_ref):
    got = ki67_interval(binom_ref["positive"], binom_ref["counted"], method="jeffreys")
    assert_allclose(got["ci_lower"], binom_ref["jeffreys_lower"], rtol=1e-6, atol=1e-10)
    assert_allclose(got["ci_upper"], binom_ref["jeffreys_upper"], rtol=1e-6, atol=1e-10)


@pytest.mark.reference
def test_grade_probabilities_match_r_pbeta(binom_ref):
    got = grade_probabilities(binom_ref["positive"], binom_ref["counted"])
    for g in ("p_g1", "p_g2", "p_g3"):
        assert_allclose(got[g], binom_ref[g], rtol=1e-6, atol=1e-12)


def test_grade_probabilities_sum_to_one_and_flag_borderline():
    got = grade_probabilities([14, 15, 1, 250, 3], [500, 500, 500, 500, 50])
    assert_allclose(got[["p_g1", "p_g2", "p_g3"]].sum(axis=1), 1.0, rtol=1e-12)
    # 14/500 = 2.8 % and 15/500 = 3.0 % sit on the G1/G2 cut-off
    assert got["observed_grade"].tolist() == ["G1", "G2", "G1", "G3", "G2"]
    assert got["borderline"].tolist() == [True, True, False, False, True]
    assert got.loc[1, "p_observed_grade"] == pytest.approx(got.loc[1, "p_g2"])


def test_missing_counts_give_nan_not_error():
    got = grade_probabilities(
        pd.array([5, pd.NA], dtype="Int64"), pd.array([500, 500], dtype="Int64")
    )
    assert np.isnan(got.loc[1, "p_g1"]) and not got.loc[1, "borderline"]
    ci = ki67_interval([np.nan], [500])
    assert ci[["estimate", "ci_lower", "ci_upper"]].isna().all(axis=None)


def test_expected_misgraded_is_sum_of_one_minus_p_observed():
    x, n = [14, 15, 1, 100, 60], [500, 500, 500, 500, 2000]
    gp = grade_probabilities(x, n)
    q = 1 - gp["p_observed_grade"]
    got = expected_misgraded(x + [np.nan], n + [500])
    assert got.loc[0, "expected_misgraded"] == pytest.approx(q.sum(), rel=1e-12)
    assert got.loc[0, "sd_misgraded"] == pytest.approx(np.sqrt((q * (1 - q)).sum()), rel=1e-12)
    assert got.loc[0, "n_specimens"] == 5 and got.loc[0, "n_excluded_missing"] == 1


@pytest.mark.parametrize("ki67", [2.0, 2.5, 5.0, 15.0, 19.0, 25.0])
def test_cells_needed_is_the_smallest_count_meeting_certainty(ki67):
    n = int(cells_needed([ki67], certainty=0.9)["cells_needed"].iloc[0])
    p = ki67 / 100
    c = 0.03 if abs(p - 0.03) < abs(p - 0.20) else 0.20

    def prob_correct(m: int) -> float:
        cdf = stats.beta.cdf(c, m * p + 0.5, m * (1 - p) + 0.5)
        return 1 - cdf if p > c else cdf

    assert prob_correct(n) >= 0.9
    assert prob_correct(n - 1) < 0.9


def test_cells_needed_near_cut_off_approaches_normal_approximation():
    # true Ki-67 19.8 % near the 20 % cut-off: n ~ z^2 p (1 - p) / (p - c)^2; the beta
    # posterior's skewness leaves a few per cent difference, so rtol is 5 %
    p, c, z = 0.198, 0.20, stats.norm.ppf(0.95)
    approx = z**2 * p * (1 - p) / (p - c) ** 2
    got = cells_needed([19.8], certainty=0.95, max_cells=200_000)["cells_needed"].iloc[0]
    assert got == pytest.approx(approx, rel=0.05)


def test_cells_needed_more_certainty_needs_more_cells():
    a = cells_needed([5.0, 15.0], certainty=0.8)["cells_needed"]
    b = cells_needed([5.0, 15.0], certainty=0.99)["cells_needed"]
    assert (b > a).all()


def test_cells_needed_beyond_max_is_missing():
    got = cells_needed([2.99], max_cells=1000)
    assert got["cells_needed"].isna().all()
    assert got["nearest_cut_off"].iloc[0] == 3.0


def test_grade_probability_curve_long_format():
    cur = grade_probability_curve([100, 500], ki67_percent=[1.0, 3.0, 10.0])
    assert list(cur.columns) == ["cells_counted", "ki67_percent", "grade", "probability"]
    assert len(cur) == 2 * 3 * 3
    tot = cur.groupby(["cells_counted", "ki67_percent"])["probability"].sum()
    assert_allclose(tot, 1.0, rtol=1e-12)
    # more cells: more certain away from the cut-off
    g2 = cur[(cur["grade"] == "G2") & (cur["ki67_percent"] == 10.0)].set_index("cells_counted")
    assert g2.loc[500, "probability"] > g2.loc[100, "probability"]


@given(st.integers(1, 3000).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_intervals_contain_estimate_and_jeffreys_inside_cp(xn):
    x, n = xn
    cp = ki67_interval([x], [n]).iloc[0]
    jf = ki67_interval([x], [n], method="jeffreys").iloc[0]
    assert cp["ci_lower"] <= cp["estimate"] <= cp["ci_upper"]
    assert jf["ci_lower"] <= jf["estimate"] <= jf["ci_upper"]
    assert cp["ci_lower"] >= 0 and cp["ci_upper"] <= 100
    # the exact interval is the more conservative one
    assert cp["ci_lower"] <= jf["ci_lower"] + 1e-9 and jf["ci_upper"] <= cp["ci_upper"] + 1e-9


@pytest.mark.parametrize(
    ("x", "n", "exc", "match"),
    [
        ([6], [5], SchemaError, "must lie in \\[0, ki67_cells_counted\\]"),
        ([1], [0], SchemaError, "must be >= 1"),
        ([1.5], [10], SchemaError, "whole numbers"),
        ([1, 2], [10], SchemaError, "differ in length"),
    ],
)
def test_invalid_counts(x, n, exc, match):
    with pytest.raises(exc, match=match):
        ki67_interval(x, n)


def test_invalid_options():
    with pytest.raises(ValueError, match="conf_level"):
        ki67_interval([1], [10], conf_level=95)
    with pytest.raises(ValueError, match="method"):
        ki67_interval([1], [10], method="wilson")
    with pytest.raises(ValueError, match="certainty"):
        grade_probabilities([1], [10], certainty=1.0)
    with pytest.raises(ValueError, match="equal to a cut-off"):
        cells_needed([3.0])

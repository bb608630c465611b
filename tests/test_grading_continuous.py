"""Bland-Altman, Lin's CCC and ICC against R (epiR::epi.ccc, psych::ICC, BA 1999 formulas)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from netstats.grading import bland_altman, icc, lin_ccc

REF = Path(__file__).parent / "reference" / "grading"


@pytest.fixture(scope="module")
def kp() -> pd.DataFrame:
    return pd.read_csv(REF / "ki67_pairs.csv")


@pytest.mark.reference
def test_bland_altman_log_matches_r(kp):
    # tests/reference/grading/agreement.R: Bland & Altman (1999) SEs computed in R
    ref = pd.read_csv(REF / "bland_altman_ref.csv")
    got = bland_altman(kp["first"], kp["second"], log=True).summary
    for col in ("estimate", "se", "ci_lower", "ci_upper"):
        assert_allclose(got[col], ref[col], rtol=1e-6)
    assert_allclose(got["ratio"], np.exp(ref["estimate"]), rtol=1e-6)


@pytest.mark.reference
def test_lin_ccc_matches_epir(kp):
    ref = pd.read_csv(REF / "ccc_ref.csv").iloc[0]
    got = lin_ccc(np.log(kp["first"]), np.log(kp["second"])).iloc[0]
    for col in ("estimate", "ci_lower", "ci_upper", "bias_correction"):
        assert got[col] == pytest.approx(ref[col], rel=1e-6)


@pytest.mark.reference
def test_icc_matches_psych(kp):
    ref = pd.read_csv(REF / "icc_ref.csv")
    got = icc(np.log(kp["first"]), np.log(kp["second"]))
    assert got["statistic"].tolist() == ref["statistic"].tolist()
    for col in ("estimate", "f_statistic", "df1", "df2", "p_value", "ci_lower", "ci_upper"):
        assert_allclose(got[col], ref[col], rtol=1e-6)


def test_bland_altman_raw_scale_hand_worked():
    # differences 1, 1, -1, 1: mean 0.5, sd 1
    res = bland_altman([2, 5, 10, 1.5], [3, 6, 9, 2.5], log=False, loa_multiplier=2.0)
    s = res.summary.set_index("statistic")
    assert s.loc["bias", "estimate"] == pytest.approx(0.5)
    assert s.loc["loa_lower", "estimate"] == pytest.approx(0.5 - 2 * 1.0)
    assert s.loc["bias", "se"] == pytest.approx(1 / 2)
    assert s.loc["loa_upper", "se"] == pytest.approx(np.sqrt(1 / 4 + 4 / 6))
    assert s["ratio"].isna().all()
    assert res.points["difference"].tolist() == [1.0, 1.0, -1.0, 1.0]


def test_bland_altman_needs_positive_values_on_log_scale():
    with pytest.raises(ValueError, match="offset"):
        bland_altman([0.0, 1, 2], [1.0, 2, 3])
    res = bland_altman([0.0, 1, 2], [1.0, 2, 3], offset=0.5)
    assert res.offset == 0.5 and res.n == 3


@given(st.lists(st.floats(0.1, 90), min_size=3, max_size=30).filter(lambda v: np.ptp(v) > 1e-3))
def test_identical_measurements_agree_perfectly(v):
    s = bland_altman(v, v).summary.set_index("statistic")
    assert s.loc["bias", "estimate"] == 0 and s.loc["loa_upper", "estimate"] == 0
    assert lin_ccc(v, v)["estimate"].iloc[0] == pytest.approx(1.0)
    assert icc(v, v).set_index("statistic").loc["ICC1", "estimate"] == pytest.approx(1.0)


def test_ccc_below_pearson_when_biased(rng):
    x = rng.normal(2, 1, 50)
    y = x + 0.8 + rng.normal(0, 0.2, 50)
    c = lin_ccc(x, y).iloc[0]
    assert c["estimate"] < c["pearson_r"]
    assert c["ci_lower"] < c["estimate"] < c["ci_upper"]


@pytest.mark.parametrize("fn", [bland_altman, lin_ccc, icc])
def test_errors(fn):
    with pytest.raises(ValueError, match="at least 3"):
        fn([1.0, 2.0], [1.0, 2.0])
    with pytest.raises(ValueError, match="missing"):
        fn([1.0, 2.0, np.nan], [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="differ in length"):
        fn([1.0, 2.0, 3.0], [1.0, 2.0])
    with pytest.raises(ValueError, match="conf_level"):
        fn([1.0, 2.0, 3.0], [1.0, 2.5, 3.0], conf_level=1.5)

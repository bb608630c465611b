"""ICC of k >= 2 raters against psych::ICC(lmer = FALSE), properties and error paths.

References: tests/reference/grading/icc_k.R (R 4.2.2, psych 2.2.9) writes icc_k_data.csv
(long format, NA for a missing rating) and icc_k_ref.csv. The ICCs, F statistics, p-values
and CIs are closed forms of the ANOVA mean squares: tolerance 1e-6 relative.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from numpy.testing import assert_allclose

from netstats.exceptions import SchemaError
from netstats.grading import icc, icc_raters

REF = Path(__file__).parent / "reference" / "grading"
RTOL = 1e-6
DATA = pd.read_csv(REF / "icc_k_data.csv")
ICC_REF = pd.read_csv(REF / "icc_k_ref.csv")
COLS = ("estimate", "f_statistic", "df1", "df2", "p_value", "ci_lower", "ci_upper")


def _long(name: str) -> pd.DataFrame:
    return DATA[DATA["dataset"] == name].reset_index(drop=True)


def _wide(name: str) -> pd.DataFrame:
    return _long(name).pivot(index="subject", columns="rater", values="value")


@pytest.mark.reference
@pytest.mark.parametrize("name", sorted(ICC_REF["dataset"].unique()))
@pytest.mark.parametrize("layout", ["long", "long_absent_rows", "wide"])
def test_matches_psych(name, layout):
    ref = ICC_REF[ICC_REF["dataset"] == name].reset_index(drop=True)
    if layout == "wide":
        res = icc_raters(_wide(name), missing="drop")
    else:
        d = _long(name)
        if layout == "long_absent_rows":  # a missing rating as an absent row, not a NaN
            d = d[d["value"].notna()]
        res = icc_raters(d, subject="subject", rater="rater", value="value", missing="drop")
    got = res.summary
    assert got["statistic"].tolist() == ref["statistic"].tolist()
    for col in COLS:
        assert_allclose(got[col], ref[col], rtol=RTOL, err_msg=col)
    assert res.n_subjects == ref["n_subjects"].iloc[0] == got["n"].iloc[0]
    assert len(res.raters) == ref["n_raters"].iloc[0]
    assert res.n_dropped == ref["n_dropped"].iloc[0] == len(res.dropped)


def test_incomplete_subjects_reported():
    res = icc_raters(_wide("ki67_5raters"), missing="drop")
    assert res.dropped == (3, 11, 27, 38)
    assert res.method == (
        "Shrout-Fleiss ICCs (two-way ANOVA) of 5 raters on 36 subjects, F tests, 95% CIs; "
        "4 incomplete subjects left out"
    )
    with pytest.raises(
        SchemaError,
        match=r"4 subjects lack a rating \(subject 3: r2; "
        r"subject 11: r1, r5; subject 27: r3; subject 38: r4\)",
    ):
        icc_raters(_wide("ki67_5raters"))
    with pytest.raises(SchemaError, match="missing='drop'"):
        icc_raters(_long("ki67_5raters"), subject="subject", rater="rater", value="value")


def test_shrout_fleiss_published_values():
    # Shrout & Fleiss (1979), Table 4: ICC(1,1) .17, ICC(2,1) .29, ICC(3,1) .71,
    # ICC(1,4) .44, ICC(2,4) .62, ICC(3,4) .91
    est = icc_raters(_wide("shrout_fleiss")).summary["estimate"].round(2).tolist()
    assert est == [0.17, 0.29, 0.71, 0.44, 0.62, 0.91]


def test_wide_with_subject_column_and_raters_subset():
    w = _wide("shrout_fleiss").reset_index()
    w["note"] = "x"
    before = w.copy()
    res = icc_raters(w, subject="subject", raters=["r1", "r2", "r3", "r4"])
    ref = ICC_REF[ICC_REF["dataset"] == "shrout_fleiss"]
    assert_allclose(res.summary["estimate"], ref["estimate"], rtol=RTOL)
    assert res.raters == ("r1", "r2", "r3", "r4")
    pd.testing.assert_frame_equal(w, before)


# ---------------------------------------------------------------- properties ---------------
def _table(n: int, k: int) -> st.SearchStrategy[np.ndarray]:
    return arrays(np.float64, (n, k), elements=st.integers(-50, 50).map(float))


def _varies(x: np.ndarray) -> bool:
    return bool(np.ptp(x.mean(axis=1)) > 0)


@settings(max_examples=50, deadline=None)
@given(x=st.integers(3, 12).flatmap(lambda n: _table(n, 2)))
def test_two_raters_agree_with_icc(x):
    if not _varies(x):
        return
    wide = pd.DataFrame(x, columns=["first", "second"])
    got = icc_raters(wide).summary
    expect = icc(x[:, 0], x[:, 1])
    pd.testing.assert_frame_equal(got, expect, rtol=1e-10, atol=1e-12)


@settings(max_examples=50, deadline=None)
@given(
    x=st.tuples(st.integers(3, 10), st.integers(2, 5)).flatmap(lambda nk: _table(*nk)),
    seed=st.integers(0, 2**32 - 1),
)
def test_permuting_raters_leaves_the_iccs_unchanged(x, seed):
    if not _varies(x):
        return
    perm = np.random.default_rng(seed).permutation(x.shape[1])
    a = icc_raters(pd.DataFrame(x)).summary
    b = icc_raters(pd.DataFrame(x[:, perm])).summary
    pd.testing.assert_frame_equal(a, b, rtol=1e-9, atol=1e-12)


@settings(max_examples=30, deadline=None)
@given(x=st.tuples(st.integers(3, 10), st.integers(2, 5)).flatmap(lambda nk: _table(*nk)))
def test_long_and_wide_agree_and_bounds(x):
    if not _varies(x):
        return
    wide = pd.DataFrame(x, columns=[f"r{j}" for j in range(x.shape[1])])
    long = wide.rename_axis("s").reset_index().melt(id_vars="s", var_name="r", value_name="v")
    a = icc_raters(wide).summary
    b = icc_raters(long.sample(frac=1, random_state=1), subject="s", rater="r", value="v").summary
    pd.testing.assert_frame_equal(a, b, rtol=1e-10, atol=1e-12)
    # ICC2k is left out: psych's formula gives values above 1 (and an inverted CI) when
    # MSB < MSE and MSB + (MSJ - MSE) / n < 0, and netstats reproduces psych.
    bounded = a[a["statistic"] != "ICC2k"]
    assert (bounded["estimate"] <= 1 + 1e-12).all()
    # the F-based limits are monotone transforms of F_L < F_U
    f_based = a[a["statistic"].isin(["ICC1", "ICC3", "ICC1k", "ICC3k"])]
    finite = np.isfinite(f_based["ci_lower"]) & np.isfinite(f_based["ci_upper"])
    assert (f_based.loc[finite, "ci_lower"] <= f_based.loc[finite, "ci_upper"] + 1e-12).all()


# ---------------------------------------------------------------- errors -------------------
def test_errors():
    long = _long("shrout_fleiss")
    with pytest.raises(SchemaError, match=r"2 rows repeat a subject x rater cell \(1 x 'r1'\)"):
        icc_raters(
            pd.concat([long, long.iloc[[0]]]), subject="subject", rater="rater", value="value"
        )
    with pytest.raises(ValueError, match="needs subject, rater and value"):
        icc_raters(long, rater="rater", value="value")
    with pytest.raises(ValueError, match="either raters"):
        icc_raters(long, subject="subject", rater="rater", value="value", raters=["value"])
    with pytest.raises(SchemaError, match="value column 'score' not found"):
        icc_raters(long, subject="subject", rater="rater", value="score")
    with pytest.raises(SchemaError, match="rater: ratings must be numeric"):
        icc_raters(long, raters=["value", "rater"])
    with pytest.raises(ValueError, match="at least 2 raters"):
        icc_raters(_wide("shrout_fleiss")[["r1"]])
    with pytest.raises(ValueError, match="at least 3 complete subjects"):
        icc_raters(_wide("shrout_fleiss").iloc[:2])
    with pytest.raises(ValueError, match="no variation between subjects"):
        icc_raters(pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [3.0, 2.0, 1.0]}))
    with pytest.raises(ValueError, match="missing must be 'raise' or 'drop'"):
        icc_raters(_wide("shrout_fleiss"), missing="omit")
    with pytest.raises(SchemaError, match="r1: 1 infinite ratings"):
        icc_raters(_wide("shrout_fleiss").replace({9.0: np.inf}))
    with pytest.raises(TypeError, match="raters must be a list"):
        icc_raters(_wide("shrout_fleiss"), raters="r1")


def test_wide_refuses_a_rater_listed_twice_or_the_subject_as_a_rater():
    wide = pd.DataFrame({"id": [1, 2, 3], "a": [1.0, 2, 3], "b": [1.5, 2, 2.5]})
    with pytest.raises(SchemaError, match="listed more than once: a"):
        icc_raters(wide, raters=["a", "a", "b"])
    with pytest.raises(SchemaError, match="'id' is the subject column"):
        icc_raters(wide, subject="id", raters=["id", "a", "b"])

"""WHO 2019 grading: boundaries, higher grade wins, NEC apart, missing markers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from netstats.exceptions import SchemaError
from netstats.grading import (
    GRADE_DTYPE,
    WHO2019,
    GradingScheme,
    get_scheme,
    who_grade,
    who_grade_detail,
)


@pytest.mark.parametrize(
    ("ki67", "grade"),
    [
        (0.0, "G1"),
        (2.99, "G1"),
        (3.0, "G2"),
        (10.0, "G2"),
        (20.0, "G2"),
        (20.01, "G3"),
        (100.0, "G3"),
    ],
)
def test_ki67_boundaries_exact(ki67, grade):
    # WHO 2019 Table 1 (NANETS pNET guideline): G1 < 3, G2 3-20, G3 > 20
    assert who_grade([ki67]).tolist() == [grade]


@pytest.mark.parametrize(
    ("mitoses", "grade"),
    [(0.0, "G1"), (1.9, "G1"), (2.0, "G2"), (20.0, "G2"), (20.5, "G3"), (21, "G3")],
)
def test_mitoses_boundaries_exact(mitoses, grade):
    assert who_grade([np.nan], [mitoses]).tolist() == [grade]


def test_higher_grade_wins_when_markers_disagree():
    got = who_grade([1.0, 25.0, 5.0, 1.0], [25.0, 0.0, 1.0, 5.0])
    assert got.tolist() == ["G3", "G3", "G2", "G2"]


def test_nec_kept_apart_from_g3():
    d = who_grade_detail(
        [50.0, 50.0, 1.0], [30.0, 30.0, 0.0], differentiation=["well", "poor", "poor"]
    )
    assert d["who_grade"].tolist() == ["G3", "NEC", "NEC"]
    assert d["grade_basis"].tolist() == [
        "ki67_and_mitoses",
        "poor_differentiation",
        "poor_differentiation",
    ]
    assert not d["single_marker"].any()


def test_missing_marker_grades_from_the_other_and_flags():
    d = who_grade_detail([np.nan, 4.0, np.nan, 4.0], [3.0, np.nan, np.nan, 1.0])
    assert d["who_grade"].astype(object).tolist()[:2] == ["G2", "G2"]
    assert pd.isna(d["who_grade"].iloc[2])
    assert d["grade_basis"].tolist() == ["mitoses_only", "ki67_only", "missing", "ki67_and_mitoses"]
    assert d["single_marker"].tolist() == [True, True, False, False]


def test_mitoses_argument_optional_and_flags_single_marker():
    d = who_grade_detail(pd.Series([1.0, 30.0], index=["a", "b"]))
    assert list(d.index) == ["a", "b"]
    assert d["single_marker"].all()
    assert not d["differentiation_known"].any()


def test_return_dtype_and_name_and_index():
    s = pd.Series([1.0, 5.0], index=[10, 11])
    got = who_grade(s)
    assert got.dtype == GRADE_DTYPE
    assert got.name == "who_grade"
    assert list(got.index) == [10, 11]


def test_input_not_mutated():
    ki = pd.Series([1.0, np.nan, 25.0])
    before = ki.copy()
    who_grade(ki, [np.nan, 3.0, 0.0])
    pd.testing.assert_series_equal(ki, before)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"ki67_percent": [101.0]}, "ki67_percent: 1 values outside"),
        ({"ki67_percent": [-1.0]}, "outside \\[0, 100\\]"),
        ({"ki67_percent": [1.0], "mitoses_per_2mm2": [-2.0]}, "mitoses_per_2mm2: 1 negative"),
        ({"ki67_percent": [1.0], "differentiation": ["Well"]}, "unknown label 'Well'"),
        ({"ki67_percent": [1.0, 2.0], "mitoses_per_2mm2": [1.0]}, "differ in length"),
    ],
)
def test_invalid_input_raises_schema_error(kwargs, match):
    with pytest.raises(SchemaError, match=match):
        who_grade(**kwargs)


def test_non_numeric_raises_type_error():
    with pytest.raises(TypeError, match="ki67_percent must be numeric"):
        who_grade(["high"])


def test_scheme_lookup():
    assert get_scheme("who2019") is WHO2019
    custom = GradingScheme("lab", 2.0, 20.0, 2.0, 20.0, "local protocol")
    assert who_grade([2.5], scheme=custom).tolist() == ["G2"]
    assert who_grade([2.5]).tolist() == ["G1"]
    with pytest.raises(ValueError, match="unknown grading scheme 'who2017'"):
        who_grade([1.0], scheme="who2017")
    with pytest.raises(TypeError, match="scheme must be"):
        get_scheme(3)


_ORDER = {"G1": 0, "G2": 1, "G3": 2}


@given(
    st.lists(st.floats(0, 100, allow_nan=False), min_size=2, max_size=30),
    st.floats(0, 40, allow_nan=False),
)
def test_grade_monotone_in_ki67(values, mitoses):
    values = sorted(values)
    grades = who_grade(values, [mitoses] * len(values)).map(_ORDER).to_numpy()
    assert np.all(np.diff(grades) >= 0)


@given(st.lists(st.tuples(st.floats(0, 100), st.floats(0, 50)), min_size=1, max_size=20))
def test_grade_is_max_of_marker_grades(rows):
    ki, mi = map(list, zip(*rows, strict=True))
    d = who_grade_detail(ki, mi)
    expected = np.maximum(d["grade_ki67"].map(_ORDER), d["grade_mitoses"].map(_ORDER))
    assert (d["who_grade"].map(_ORDER).to_numpy() == expected.to_numpy()).all()


def test_grade_specimens_table():
    from netstats.grading import grade_probabilities, grade_specimens

    path = pd.DataFrame(
        {
            "patient_id": ["P1", "P1", "P2", "P3"],
            "sample_id": ["S1", "S2", "S3", "S4"],
            "differentiation": ["well", "well", "poor", None],
            "ki67_percent": [2.8, 12.0, 70.0, 4.0],
            "ki67_positive_cells": pd.array([14, 60, pd.NA, 30], dtype="Int64"),
            "ki67_cells_counted": pd.array([500, 500, pd.NA, 500], dtype="Int64"),
            "mitoses_per_2mm2": [np.nan, 1.0, 40.0, 0.0],
        },
        index=[10, 11, 12, 13],
    )
    before = path.copy()
    got = grade_specimens(path)
    pd.testing.assert_frame_equal(path, before)
    assert list(got.index) == [10, 11, 12, 13]
    assert got["who_grade"].astype(str).tolist() == ["G1", "G2", "NEC", "G2"]
    assert got["single_marker"].tolist() == [True, False, False, False]
    gp = grade_probabilities([14, 60], [500, 500])
    assert got["p_g1"].iloc[:2].tolist() == pytest.approx(gp["p_g1"].tolist(), rel=1e-12)
    assert got["borderline"].tolist() == [True, False, False, False]
    # 30 / 500 = 6 % but 4 % was reported: a transcription error is flagged
    assert got["ki67_counts_match"].tolist() == [True, True, pd.NA, False]


def test_grade_specimens_errors():
    from netstats.grading import grade_specimens

    with pytest.raises(SchemaError, match="sample_id"):
        grade_specimens(pd.DataFrame({"patient_id": ["P1"], "ki67_percent": [1.0]}))
    with pytest.raises(SchemaError, match="ki67_percent or mitoses"):
        grade_specimens(pd.DataFrame({"patient_id": ["P1"], "sample_id": ["S1"]}))

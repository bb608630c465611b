"""Table 1 (checked against the tableone package), completeness and baseline characteristics."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from netstats.io import load_cohort
from netstats.report import format_table_one
from netstats.tables import data_completeness, patient_characteristics, smd, table_one
from tests._cohorts import MINIMAL


@pytest.fixture
def frame(rng) -> pd.DataFrame:
    n = 90
    df = pd.DataFrame(
        {
            "age": rng.normal(60, 10, n),
            "sex": rng.choice(["f", "m"], n),
            "site": rng.choice(["a", "b", "c"], n),
            "grade": rng.choice(["G1", "G2", "G3"], n),
            "ki67": rng.lognormal(1.5, 0.8, n),
        }
    )
    df.loc[[3, 17], "age"] = np.nan
    return df


def _tableone(df):
    from tableone import TableOne

    return TableOne(
        df,
        columns=["age", "sex", "site", "ki67"],
        categorical=["sex", "site"],
        groupby="grade",
        nonnormal=["ki67"],
        missing=True,
        smd=True,
        pval=False,
        decimals=6,
    )


def test_smds_match_tableone(frame):
    ref = _tableone(frame).smd_table
    got = table_one(frame, columns=["age", "sex", "site", "ki67"], group="grade").smd
    for rec in got.itertuples(index=False):
        expected = ref.loc[rec.variable, f"SMD ({rec.group_1},{rec.group_2})"]
        np.testing.assert_allclose(rec.smd, float(expected), rtol=1e-6)


def test_summaries_match_tableone(frame):
    t1 = table_one(frame, columns=["age", "sex", "site", "ki67"], group="grade", nonnormal=["ki67"])
    ref = _tableone(frame).tableone.droplevel(0, axis=1)
    s = t1.summary
    for g in ["Overall", "G1", "G2", "G3"]:
        age = s[(s["variable"] == "age") & (s["group"] == g)].iloc[0]
        mean, sd = ref.loc[("age, mean (SD)", ""), g].replace(")", "").split(" (")
        np.testing.assert_allclose([age["mean"], age["sd"]], [float(mean), float(sd)], rtol=1e-5)
        ki = s[(s["variable"] == "ki67") & (s["group"] == g)].iloc[0]
        med, q = ref.loc[("ki67, median [Q1,Q3]", ""), g].split(" [")
        q1, q3 = q.rstrip("]").split(",")
        np.testing.assert_allclose(
            [ki["median"], ki["q1"], ki["q3"]], [float(med), float(q1), float(q3)], rtol=1e-5
        )
        for level in ["a", "b", "c"]:
            cell = s[(s["variable"] == "site") & (s["group"] == g) & (s["level"] == level)].iloc[0]
            n, pct = ref.loc[("site, n (%)", level), g].replace(")", "").split(" (")
            assert cell["n"] == int(n)
            np.testing.assert_allclose(cell["percent"], float(pct), rtol=1e-5)
    missing = ref.loc[("age, mean (SD)", ""), "Missing"]
    assert s[(s["variable"] == "age") & (s["group"] == "Overall")]["n_missing"].iloc[0] == int(
        missing
    )


def test_levels_add_up_to_group_size(frame):
    frame.loc[[1, 2], "site"] = None
    s = table_one(frame, columns=["site"], group="grade").summary
    cat = s[s["variable"] == "site"]
    sizes = s[s["kind"] == "n"].set_index("group")["n"]
    for g, part in cat.groupby("group"):
        assert part["n"].sum() == sizes[g]


def test_missing_group_kept_and_counted(frame):
    frame.loc[[0, 5], "grade"] = None
    t1 = table_one(frame, columns=["age"], group="grade")
    sizes = t1.summary[t1.summary["kind"] == "n"].set_index("group")["n"]
    assert sizes["Missing"] == 2 and sizes["Overall"] == len(frame)
    assert "Missing" not in set(t1.smd["group_1"]) | set(t1.smd["group_2"])


def test_input_not_mutated(frame):
    before = frame.copy()
    table_one(frame, columns=["age", "sex"], group="grade")
    pd.testing.assert_frame_equal(frame, before)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.floats(-1e3, 1e3), min_size=3, max_size=30), st.integers(0, 10_000))
def test_smd_sign_and_symmetry(values, seed):
    x = pd.Series(values)
    y = x + 1.0
    if x.std() == 0:
        return
    assert smd(x, y) > 0 and np.isclose(smd(x, y), -smd(y, x))
    cats = pd.Series(np.random.default_rng(seed).choice(["a", "b", "c"], len(values)))
    other = cats.sample(frac=1, random_state=seed).reset_index(drop=True)
    assert np.isclose(smd(cats, other), smd(other, cats)) and smd(cats, other) >= 0


def test_errors():
    df = pd.DataFrame({"a": [1.0], "g": ["x"]})
    with pytest.raises(KeyError, match="'b'"):
        table_one(df, columns=["b"])
    with pytest.raises(ValueError, match="grouping column"):
        table_one(df, columns=["g"], group="g")
    with pytest.raises(TypeError, match="DataFrame"):
        table_one([1, 2], columns=["a"])  # type: ignore[arg-type]


def test_format_table_one_strings(frame):
    t1 = table_one(frame, columns=["age", "sex", "ki67"], group="grade", nonnormal=["ki67"])
    wide = format_table_one(t1, threshold=0)
    assert list(wide.columns[:5]) == ["Characteristic", "Overall", "G1", "G2", "G3"]
    assert list(wide.columns[-1:]) == ["SMD"]
    names = wide["Characteristic"].tolist()
    # the level row follows its variable, indented; the variable is not repeated
    at = names.index("Sex, n (%)")
    assert names[at + 1].strip() == "f" and names[at + 1] != "f"
    s = t1.summary
    cell = s[(s["variable"] == "sex") & (s["level"] == "f") & (s["group"] == "G1")].iloc[0]
    assert wide.loc[at + 1, "G1"] == f"{cell['n']} ({cell['percent']:.1f}%)"
    assert wide.loc[names.index("Ki-67, median [Q1, Q3]"), "Overall"].count("[") == 1
    smd = t1.smd.loc[t1.smd["variable"] == "age", "smd"].abs().max()
    assert float(wide.loc[names.index("Age, mean (SD)"), "SMD"]) == pytest.approx(smd, abs=5e-4)


def test_data_completeness_counts():
    t = {"a": pd.DataFrame({"x": [1, None, 3], "y": [None, None, None]})}
    c = data_completeness(t)
    assert c["n_present"].tolist() == [2, 0]
    assert c["n_missing"].tolist() == [1, 3]
    np.testing.assert_allclose(c["percent_present"], [200 / 3, 0.0])


def test_patient_characteristics_minimal_hand_checked():
    cohort = load_cohort(MINIMAL)
    b = patient_characteristics(cohort).set_index("patient_id")
    # 001: born 1960-03-14, diagnosed 2015-06-02
    days = (dt.date(2015, 6, 2) - dt.date(1960, 3, 14)).days
    np.testing.assert_allclose(b.loc["001", "age_at_diagnosis"], days / 365.25, rtol=1e-12)
    assert b.loc["003", "age_at_diagnosis"] == 66.5  # given directly
    # 001 has a primary (Ki-67 5 %, 2 mitoses -> G2) and a liver core on the same day
    assert b.loc["001", "ki67_percent"] == 5.0 and b.loc["001", "who_grade"] == "G2"
    assert b.loc["003", "who_grade"] == "G3"  # Ki-67 25 %
    assert b.loc["001", "first_line_class"] == "SSA + liver-directed"
    assert b.loc["004", "first_line_regimen"] == "CAPTEM"
    assert len(b) == cohort.n_patients

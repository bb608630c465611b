"""Pair building from hand-built pathology tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from netstats.exceptions import SchemaError
from netstats.grading import PairSet, build_pairs, check_pathology


def _path(rows):
    cols = [
        "patient_id", "sample_id", "sample_date", "site", "specimen_type", "differentiation",
        "ki67_percent", "ki67_cells_counted", "ki67_positive_cells", "mitoses_per_2mm2",
        "sstr2a_ihc", "tumour_size_mm",
    ]  # fmt: skip
    df = pd.DataFrame(rows, columns=cols)
    df["sample_date"] = pd.to_datetime(df["sample_date"])
    for c in ("ki67_cells_counted", "ki67_positive_cells", "sstr2a_ihc"):
        df[c] = df[c].astype("Int64")
    return df


@pytest.fixture
def pathology() -> pd.DataFrame:
    return _path(
        [
            # P1: primary resection + two liver metastases (one synchronous, one 1 year later)
            ["P1", "S1", "2020-01-10", "primary", "resection", "well", 2.0, 600, 12, 1.0, 3, 25.0],
            ["P1", "S2", "2020-01-10", "liver", "resection", "well", 8.0, 500, 40, 1.0, 3, 30.0],
            [
                "P1",
                "S3",
                "2021-01-15",
                "liver",
                "core_biopsy",
                "well",
                25.0,
                300,
                75,
                np.nan,
                2,
                np.nan,
            ],
            # P2: biopsy then resection of the primary, and a lymph node
            [
                "P2",
                "S4",
                "2019-05-01",
                "primary",
                "core_biopsy",
                "well",
                4.0,
                200,
                8,
                np.nan,
                3,
                18.0,
            ],
            ["P2", "S5", "2019-06-15", "primary", "resection", "well", 6.0, 800, 48, 3.0, 3, 18.0],
            [
                "P2",
                "S6",
                "2019-06-15",
                "lymph_node",
                "resection",
                "poor",
                60.0,
                500,
                300,
                30.0,
                0,
                10.0,
            ],
            # P3: a single specimen
            [
                "P3",
                "S7",
                "2021-03-01",
                "liver",
                "fna_cell_block",
                None,
                1.0,
                100,
                1,
                np.nan,
                pd.NA,
                np.nan,
            ],
            # P4: undated specimen
            ["P4", "S8", None, "primary", "resection", "well", 5.0, 500, 25, 1.0, 2, 40.0],
        ]
    )


@pytest.fixture
def therapy_lines() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "patient_id": ["P1", "P1", "P2"],
            "line": [1, 2, 1],
            "regimen": ["lanreotide", "everolimus", "octreotide_lar"],
            "drug_class": ["ssa", "mtor", "ssa"],
            "start_date": pd.to_datetime(["2020-02-01", "2020-09-01", "2019-07-01"]),
            "end_date": pd.to_datetime(["2020-08-30", pd.NaT, pd.NaT]),
        }
    )


def test_primary_metastasis_pairs(pathology, therapy_lines):
    ps = build_pairs(pathology, kind="primary_metastasis", therapy_lines=therapy_lines)
    p = ps.pairs
    assert isinstance(ps, PairSet) and (ps.first, ps.second) == ("primary", "metastasis")
    assert p["metastasis_sample_id"].tolist() == ["S2", "S3", "S6"]
    # P1's metastases share the primary S1; P2's node pairs with the primary closest in time (S5)
    assert p["primary_sample_id"].tolist() == ["S1", "S1", "S5"]
    assert p["days_between"].tolist() == [0, 371, 0]
    assert p["timing"].tolist() == ["synchronous", "metachronous", "synchronous"]
    assert p["months_between"].iloc[1] == pytest.approx(371 / 30.4375)
    assert p["primary_who_grade"].astype(str).tolist() == ["G1", "G1", "G2"]
    assert p["metastasis_who_grade"].astype(str).tolist() == ["G2", "G3", "NEC"]
    # both P1 lines overlap 2020-01-10 .. 2021-01-15; nothing between P2's same-day samples
    assert p["n_intervening_lines"].tolist() == [0, 2, 0]
    assert p["intervening_therapy"].tolist() == [False, True, False]
    assert p["n_pairs_patient"].tolist() == [2, 2, 1]
    exc = ps.excluded.set_index("sample_id")["reason"]
    assert exc["S8"] == "missing sample_date"
    assert "S7" in exc.index and "S4" in exc.index
    assert ps.summary.set_index("item").loc["patients_with_several_pairs", "count"] == 1


def test_biopsy_resection_pairs_same_site(pathology):
    ps = build_pairs(pathology, kind="biopsy_resection")
    p = ps.pairs
    # each biopsy with the closest resection of the same site: S3 (liver biopsy, 2021) with the
    # liver resection S2 (2020); S4 (primary biopsy) with the primary resection S5
    assert p[["biopsy_sample_id", "resection_sample_id"]].values.tolist() == [
        ["S3", "S2"],
        ["S4", "S5"],
    ]
    assert p["days_between"].tolist() == [-371, 45]
    assert p["intervening_therapy"].isna().all()


def test_successive_pairs(pathology):
    ps = build_pairs(pathology, kind="successive")
    got = ps.pairs[["earlier_sample_id", "later_sample_id"]].values.tolist()
    # ties in date are broken by sample_id
    assert got == [["S1", "S2"], ["S2", "S3"], ["S4", "S5"], ["S5", "S6"]]
    same = build_pairs(pathology, kind="successive", same_site=True).pairs
    assert same[["earlier_sample_id", "later_sample_id"]].values.tolist() == [
        ["S2", "S3"],
        ["S4", "S5"],
    ]


def test_synchronous_window(pathology):
    p = build_pairs(pathology, synchronous_days=400).pairs
    assert p["synchronous"].all()


def test_input_not_mutated_and_row_order_invariant(pathology):
    before = pathology.copy()
    a = build_pairs(pathology).pairs
    pd.testing.assert_frame_equal(pathology, before)
    b = build_pairs(pathology.sample(frac=1, random_state=3)).pairs
    pd.testing.assert_frame_equal(a, b)


def test_optional_columns_may_be_absent(pathology):
    slim = pathology[
        ["patient_id", "sample_id", "sample_date", "site", "specimen_type", "ki67_percent"]
    ]
    p = build_pairs(slim).pairs
    assert p["metastasis_who_grade"].astype(str).tolist() == ["G2", "G3", "G3"]
    assert (p["metastasis_grade_basis"] == "ki67_only").all()


@pytest.mark.parametrize(
    ("change", "match"),
    [
        (lambda d: d.drop(columns="site"), "lacks required column"),
        (
            lambda d: d.assign(site=d["site"].replace("liver", "Liver")),
            "site: unknown label 'Liver'",
        ),
        (lambda d: d.assign(specimen_type="smear"), "specimen_type: unknown label 'smear'"),
        (lambda d: d.assign(ki67_percent=d["ki67_percent"].replace(60.0, 160.0)), "patient_id P2"),
        (lambda d: d.assign(sample_id="S1"), "duplicated"),
        (lambda d: d.assign(sample_date=d["sample_date"].astype(str)), "datetime64"),
    ],
)
def test_schema_errors(pathology, change, match):
    with pytest.raises(SchemaError, match=match):
        check_pathology(change(pathology))
    with pytest.raises(SchemaError, match=match):
        build_pairs(change(pathology))


def test_bad_options(pathology):
    with pytest.raises(ValueError, match="kind must be"):
        build_pairs(pathology, kind="left_right")
    with pytest.raises(ValueError, match="synchronous_days"):
        build_pairs(pathology, synchronous_days=-1)
    with pytest.raises(TypeError, match="DataFrame"):
        build_pairs(pathology.to_dict())

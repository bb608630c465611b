"""Outcome rules and leakage-free feature assembly."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from netstats.cohort import Cohort
from netstats.exceptions import SchemaError
from netstats.io import load_cohort
from netstats.sstr import FEATURES, POSITIVITY_RULES, select_scans, sstr_dataset, sstr_positive

MINIMAL = Path(__file__).parent / "data" / "minimal"


MINIMAL_COHORT = load_cohort(MINIMAL)


@pytest.fixture
def minimal() -> Cohort:
    return _fresh(MINIMAL_COHORT)


def _fresh(cohort: Cohort, **tables: pd.DataFrame) -> Cohort:
    base = {name: frame.copy() for name, frame in cohort.tables.items()}
    base.update(tables)
    return Cohort(**base)


def test_rules_on_hand_values():
    scans = pd.DataFrame(
        {
            "krenning_score": pd.array([1, 2, 3, None], dtype="Int64"),
            "suvmax_lesion": [5.0, 9.0, 30.0, 12.0],
            "suvmax_liver": [6.0, 8.0, 7.0, np.nan],
            "suvmax_spleen": [20.0, 20.0, 25.0, 10.0],
        }
    )
    assert sstr_positive(scans, rule="krenning>=3").tolist() == [False, False, True, pd.NA]
    assert sstr_positive(scans, rule="krenning>=2").tolist() == [False, True, True, pd.NA]
    assert sstr_positive(scans, rule="suvmax>liver").tolist() == [False, True, True, pd.NA]
    assert sstr_positive(scans, rule="suvmax>spleen").tolist() == [False, False, True, True]
    assert set(POSITIVITY_RULES) == {"krenning>=3", "krenning>=2", "suvmax>liver", "suvmax>spleen"}


def test_unknown_rule_is_named():
    with pytest.raises(ValueError, match="unknown positivity rule 'krenning>4'"):
        sstr_positive(pd.DataFrame({"krenning_score": [1]}), rule="krenning>4")


def test_minimal_cohort_baseline_features(minimal):
    ds = sstr_dataset(minimal)
    assert ds.rule == "krenning>=3"
    assert list(ds.X.columns) == list(FEATURES)
    assert ds.scans["scan_id"].tolist() == ["I001A", "I002A", "I003B", "I004A"]
    assert ds.y.tolist() == [0, 1, 0, 0]
    assert ds.y.name == "sstr_positive[krenning>=3]"
    x = ds.X.set_index(ds.scans["scan_id"])
    # Patient 001: two specimens on 2015-06-02, the higher Ki-67 (5 %, mitoses 2) is used;
    # octreotide + TACE and surufatinib started before the 2023-09-10 scan, everolimus after.
    assert x.loc["I001A", "log_ki67"] == pytest.approx(np.log(5.0), rel=1e-12)
    assert x.loc["I001A", "log1p_mitoses"] == pytest.approx(np.log(3.0), rel=1e-12)
    assert x.loc["I001A", "n_prior_lines"] == 2
    assert x.loc["I001A", "prior_everolimus"] == 0
    # Patient 003: the FDG scan 5 days earlier counts.
    assert x.loc["I003B", "fdg_status"] == "avid"
    assert ds.scans.set_index("scan_id").loc["I003B", "fdg_scan_id"] == "I003A"
    # Patient 002 (born 1951-11-02), scan 2016-02-01.
    age = (pd.Timestamp("2016-02-01") - pd.Timestamp("1951-11-02")).days / 365.25
    assert x.loc["I002A", "age_at_scan"] == pytest.approx(age, rel=1e-12)
    # Patient 003 has no birth date: age at diagnosis + time since diagnosis.
    age3 = 66.5 + (pd.Timestamp("2018-09-25") - pd.Timestamp("2018-09-10")).days / 365.25
    assert x.loc["I003B", "age_at_scan"] == pytest.approx(age3, rel=1e-12)


def test_last_scan_sees_everolimus(minimal):
    ds = sstr_dataset(minimal, scan="last")
    x = ds.X.set_index(ds.scans["scan_id"])
    assert x.loc["I001B", "prior_everolimus"] == 1
    assert x.loc["I001B", "n_prior_lines"] == 3
    assert ds.y.tolist() == [1, 1, 0, 0]


def test_given_scans_and_unknown_scan(minimal):
    assert select_scans(minimal, scan=["I001B"])["scan_id"].tolist() == ["I001B"]
    with pytest.raises(SchemaError, match="I003A"):
        select_scans(minimal, scan=["I003A"])  # an FDG scan, not SSTR


def test_undeterminable_outcome_is_recorded_not_dropped_silently(minimal):
    imaging = minimal.imaging.copy()
    imaging.loc[imaging["scan_id"] == "I002A", "krenning_score"] = pd.NA
    cohort = _fresh(minimal, imaging=imaging)
    ds = sstr_dataset(cohort)
    assert ds.n == 3
    log = cohort.attrition.to_frame()
    row = log.loc[log["table"] == "imaging"].iloc[0]
    assert (row["n_before"], row["n_excluded"]) == (4, 1)
    assert "krenning_score" in row["reason"]
    assert ds.excluded.equals(log)


def test_input_not_mutated(minimal):
    before = {k: v.copy() for k, v in minimal.tables.items()}
    sstr_dataset(minimal)
    for name, frame in minimal.tables.items():
        pd.testing.assert_frame_equal(frame, before[name])


def test_value_recorded_after_the_scan_never_enters(minimal):
    """A later specimen, FDG scan, therapy line and liver burden change nothing."""
    base = sstr_dataset(minimal)
    scan_date = base.scans.set_index("patient_id")["scan_date"]
    day = pd.Timedelta(days=1)
    path = pd.concat(
        [
            minimal.pathology,
            pd.DataFrame(
                {
                    "patient_id": ["001", "002"],
                    "sample_id": ["LATE1", "LATE2"],
                    "sample_date": [scan_date["001"] + day, scan_date["002"] + day],
                    "site": ["liver", "liver"],
                    "differentiation": ["poor", "poor"],
                    "ki67_percent": [80.0, 90.0],
                    "mitoses_per_2mm2": [40.0, 50.0],
                    "sstr2a_ihc": pd.array([0, 0], dtype="Int64"),
                }
            ),
        ],
        ignore_index=True,
    )
    imaging = pd.concat(
        [
            minimal.imaging,
            pd.DataFrame(
                {
                    "patient_id": ["002", "004"],
                    "scan_id": ["FDGLATE2", "FDGLATE4"],
                    "scan_date": [scan_date["002"] + day, scan_date["004"] + day],
                    "tracer": ["18F-FDG", "18F-FDG"],
                    "fdg_avid": pd.array([True, True], dtype="boolean"),
                    "liver_burden_percent": [90.0, 90.0],
                }
            ),
        ],
        ignore_index=True,
    )
    lines = pd.concat(
        [
            minimal.therapy_lines,
            pd.DataFrame(
                {
                    "patient_id": ["003"],
                    "line": pd.array([9], dtype="Int64"),
                    "regimen": ["177Lu-DOTATATE"],
                    "drug_class": ["PRRT"],
                    "start_date": [scan_date["003"] + day],
                }
            ),
            # A line starting on the scan day itself is not "prior".
            pd.DataFrame(
                {
                    "patient_id": ["002"],
                    "line": pd.array([9], dtype="Int64"),
                    "regimen": ["everolimus"],
                    "drug_class": ["mTOR inhibitor"],
                    "start_date": [scan_date["002"]],
                }
            ),
        ],
        ignore_index=True,
    )
    later = sstr_dataset(_fresh(minimal, pathology=path, imaging=imaging, therapy_lines=lines))
    pd.testing.assert_frame_equal(later.X, base.X)
    # The same values recorded on the scan date do enter (the test can fail).
    path_same = path.copy()
    path_same.loc[path_same["sample_id"] == "LATE2", "sample_date"] = scan_date["002"]
    same = sstr_dataset(_fresh(minimal, pathology=path_same))
    assert same.X.loc[1, "log_ki67"] == pytest.approx(np.log(90.0))
    assert same.X.loc[1, "differentiation"] == "poor"


@settings(max_examples=30, deadline=None)
@given(
    offsets=st.lists(st.integers(1, 3000), min_size=1, max_size=6),
    ki67=st.floats(0, 100),
    patient=st.sampled_from(["001", "002", "003", "004"]),
)
def test_property_later_specimens_never_change_features(offsets, ki67, patient):
    minimal = MINIMAL_COHORT
    base = sstr_dataset(minimal)
    when = base.scans.set_index("patient_id").loc[patient, "scan_date"]
    extra = pd.DataFrame(
        {
            "patient_id": patient,
            "sample_id": [f"X{i}" for i in range(len(offsets))],
            "sample_date": [when + pd.Timedelta(days=d) for d in offsets],
            "site": "liver",
            "differentiation": "poor",
            "ki67_percent": ki67,
            "mitoses_per_2mm2": 99.0,
            "sstr2a_ihc": pd.array([0] * len(offsets), dtype="Int64"),
        }
    )
    path = pd.concat([minimal.pathology, extra], ignore_index=True)
    got = sstr_dataset(_fresh(minimal, pathology=path))
    pd.testing.assert_frame_equal(got.X, base.X)


def test_fdg_window_and_stage_before_diagnosis(minimal):
    narrow = sstr_dataset(minimal, fdg_window_days=4)
    assert pd.isna(narrow.X.loc[2, "fdg_status"])  # FDG 5 days earlier is outside 4 days
    patients = minimal.patients.copy()
    patients.loc[patients["patient_id"] == "002", "diagnosis_date"] = pd.Timestamp("2016-03-01")
    # Diagnosed 29 days after the scan: part of its work-up by default, not when strict.
    ds = sstr_dataset(_fresh(minimal, patients=patients))
    assert ds.X.loc[1, "stage_at_diagnosis"] == "III"
    strict = sstr_dataset(_fresh(minimal, patients=patients), workup_window_days=0)
    assert pd.isna(strict.X.loc[1, "stage_at_diagnosis"])
    assert pd.isna(strict.X.loc[1, "primary_site"])
    assert strict.X.loc[1, "sex"] == "female"
    # Diagnosed 120 days after the scan: outside the default 90-day work-up.
    patients.loc[patients["patient_id"] == "002", "diagnosis_date"] = pd.Timestamp("2016-05-31")
    late = sstr_dataset(_fresh(minimal, patients=patients))
    assert pd.isna(late.X.loc[1, "stage_at_diagnosis"])
    assert pd.isna(late.X.loc[1, "primary_site"])
    with pytest.raises(ValueError, match="fdg_window_days"):
        sstr_dataset(minimal, fdg_window_days=-1)
    with pytest.raises(ValueError, match="workup_window_days"):
        sstr_dataset(minimal, workup_window_days=-1)


def _move_specimen(minimal: Cohort, sample_id: str, when: str) -> Cohort:
    path = minimal.pathology.copy()
    path.loc[path["sample_id"] == sample_id, "sample_date"] = pd.Timestamp(when)
    return _fresh(minimal, pathology=path)


def test_workup_specimen_after_the_scan(minimal):
    """Patient 002 is scanned on 2016-02-01; their only specimen moves after the scan."""
    within = sstr_dataset(_move_specimen(minimal, "S002A", "2016-02-21"))
    assert within.X.loc[1, "log_ki67"] == pytest.approx(np.log(12.0))
    assert within.X.loc[1, "who_grade"] == "G2"
    assert within.scans.loc[1, "sample_id"] == "S002A"
    assert pd.isna(
        sstr_dataset(_move_specimen(minimal, "S002A", "2016-02-21"), workup_window_days=0).X.loc[
            1, "log_ki67"
        ]
    )
    # On the window's last day it counts; one day later it does not.
    edge = sstr_dataset(_move_specimen(minimal, "S002A", "2016-05-01"))  # 90 days
    assert edge.X.loc[1, "log_ki67"] == pytest.approx(np.log(12.0))
    beyond = sstr_dataset(_move_specimen(minimal, "S002A", "2016-05-02"))  # 91 days
    assert pd.isna(beyond.X.loc[1, "log_ki67"])
    assert pd.isna(beyond.scans.loc[1, "sample_id"])


def test_specimen_before_the_scan_wins_over_the_workup(minimal):
    extra = pd.DataFrame(
        {
            "patient_id": ["002"],
            "sample_id": ["S002W"],
            "sample_date": [pd.Timestamp("2016-02-10")],
            "site": ["liver"],
            "specimen_type": ["core_biopsy"],
            "differentiation": ["poor"],
            "ki67_percent": [60.0],
        }
    )
    path = pd.concat([minimal.pathology, extra], ignore_index=True)
    ds = sstr_dataset(_fresh(minimal, pathology=path))
    assert ds.scans.loc[1, "sample_id"] == "S002A"  # 2016-01-20, before the scan
    assert ds.X.loc[1, "log_ki67"] == pytest.approx(np.log(12.0))

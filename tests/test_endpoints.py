"""Endpoints by line of therapy: every branch of every censoring rule on hand-built patients.

Each expected time is worked by hand from the dates written in the test (days between two
calendar dates); event flags and reason codes follow the rules in docs/endpoints.md.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from netstats import Cohort, load_cohort
from netstats.endpoints import (
    ENDPOINTS,
    REASON_CODES,
    CensoringRules,
    endpoint_columns,
    line_endpoints,
)
from netstats.endpoints._rules import NOT_COMPUTABLE
from netstats.exceptions import SchemaError
from netstats.grading import who_grade
from netstats.schema import DAYS_PER_MONTH, TABLES

ROOT = Path(__file__).resolve().parents[1]
LINE_DEFAULTS = {
    "end_date": None,
    "end_reason": None,
    "progression_date": None,
    "best_response": None,
    "last_assessment_date": None,
}


def make_cohort(
    lines: list[dict],
    *,
    last_contact: str = "2023-01-01",
    death: str | None = None,
    diagnosis: str = "2019-06-01",
    pathology: list[dict] | None = None,
    imaging: list[dict] | None = None,
    extra_patients: list[dict] | None = None,
) -> Cohort:
    """One patient "P1" (plus ``extra_patients``) with the given lines."""
    patients = [
        {
            "patient_id": "P1",
            "age_at_diagnosis": 60,
            "diagnosis_date": diagnosis,
            "last_contact_date": last_contact,
            "death_date": death,
        },
        *(extra_patients or []),
    ]
    rows = [
        {"patient_id": "P1", "line": i + 1, "regimen": "everolimus", **LINE_DEFAULTS, **line}
        for i, line in enumerate(lines)
    ]
    # Every column is supplied: absent optional float columns trip the loader (reported).
    return Cohort.from_tables(
        pd.DataFrame(patients),
        _full("pathology", pathology),
        pd.DataFrame(rows) if rows else None,
        _full("imaging", imaging),
    )


def _full(table: str, rows: list[dict] | None) -> pd.DataFrame | None:
    if not rows:
        return None
    frame = pd.DataFrame(rows).reindex(columns=TABLES[table].names)
    return frame.assign(patient_id="P1")


def days(start: str, end: str) -> float:
    return float((pd.Timestamp(end) - pd.Timestamp(start)).days)


def get(frame: pd.DataFrame, line: int, patient: str = "P1") -> pd.Series:
    hit = frame[(frame["patient_id"] == patient) & (frame["line"] == line)]
    assert len(hit) == 1
    return hit.iloc[0]


def check(row: pd.Series, ep: str, expected_days: float | None, event, reason: str) -> None:
    d, m, e, r = endpoint_columns(ep)
    assert row[r] == reason, f"{ep}: reason {row[r]!r} != {reason!r}"
    if expected_days is None:
        assert pd.isna(row[d]) and pd.isna(row[m]) and pd.isna(row[e])
    else:
        assert row[d] == expected_days, f"{ep}: {row[d]} days != {expected_days}"
        assert row[m] == pytest.approx(expected_days / DAYS_PER_MONTH, rel=1e-12)
        assert bool(row[e]) is event


S = "2020-01-01"  # start of line 1 in most tests


# --- PFS ------------------------------------------------------------------------------


def test_pfs_progression_is_an_event_at_the_progression_date():
    c = make_cohort(
        [
            {
                "start_date": S,
                "end_date": "2020-07-01",
                "end_reason": "progression",
                "progression_date": "2020-07-01",
                "last_assessment_date": "2020-07-01",
            }
        ]
    )
    check(get(line_endpoints(c), 1), "pfs", days(S, "2020-07-01"), True, "progression")


def test_pfs_death_inside_the_window_is_an_event():
    # last assessment 2020-06-01, death 2020-09-01: 92 days <= 120
    c = make_cohort(
        [{"start_date": S, "last_assessment_date": "2020-06-01"}],
        last_contact="2020-09-01",
        death="2020-09-01",
    )
    row = get(line_endpoints(c), 1)
    check(row, "pfs", days(S, "2020-09-01"), True, "death")
    check(row, "os", days(S, "2020-09-01"), True, "death")


def test_pfs_death_outside_the_window_censors_at_the_last_assessment():
    # last assessment 2020-06-01, death 2020-12-01: 183 days > 120
    c = make_cohort(
        [{"start_date": S, "last_assessment_date": "2020-06-01"}],
        last_contact="2020-12-01",
        death="2020-12-01",
    )
    row = get(line_endpoints(c), 1)
    check(row, "pfs", days(S, "2020-06-01"), False, "death_outside_window")
    # The window is inclusive and configurable; None counts every death.
    row = get(line_endpoints(c, rules=CensoringRules(death_window_days=183)), 1)
    check(row, "pfs", days(S, "2020-12-01"), True, "death")
    row = get(line_endpoints(c, rules=CensoringRules(death_window_days=182)), 1)
    check(row, "pfs", days(S, "2020-06-01"), False, "death_outside_window")
    row = get(line_endpoints(c, rules=CensoringRules(death_window_days=None)), 1)
    check(row, "pfs", days(S, "2020-12-01"), True, "death")


def test_pfs_death_window_runs_from_the_line_start_without_assessment():
    inside = make_cohort([{"start_date": S}], last_contact="2020-03-01", death="2020-03-01")
    check(get(line_endpoints(inside), 1), "pfs", days(S, "2020-03-01"), True, "death")
    outside = make_cohort([{"start_date": S}], last_contact="2020-08-01", death="2020-08-01")
    check(get(line_endpoints(outside), 1), "pfs", 0.0, False, "death_outside_window")
    excluded = line_endpoints(outside, rules=CensoringRules(no_assessment="exclude"))
    check(get(excluded, 1), "pfs", None, None, "no_assessment")


TOXICITY_THEN_NEXT = [
    {
        "start_date": S,
        "end_date": "2020-05-01",
        "end_reason": "toxicity",
        "last_assessment_date": "2020-04-01",
    },
    {
        "start_date": "2020-05-15",
        "end_date": "2020-11-01",
        "end_reason": "progression",
        "progression_date": "2020-11-01",
        "last_assessment_date": "2020-11-01",
    },
]


def test_pfs_new_line_before_progression_censors_at_last_assessment_by_default():
    c = make_cohort(TOXICITY_THEN_NEXT)
    row = get(line_endpoints(c), 1)
    check(row, "pfs", days(S, "2020-04-01"), False, "censored_next_line")
    check(row, "ttf", days(S, "2020-05-01"), True, "toxicity")


def test_pfs_new_line_before_progression_followed_on_under_the_option():
    c = make_cohort(TOXICITY_THEN_NEXT)
    rules = CensoringRules(censor_at_next_line=False)
    frame = line_endpoints(c, rules=rules)
    check(get(frame, 1), "pfs", days(S, "2020-11-01"), True, "progression_later_line")
    check(get(frame, 2), "pfs", days("2020-05-15", "2020-11-01"), True, "progression")


def test_pfs_follow_on_without_later_progression_censors_at_latest_assessment():
    lines = [
        dict(TOXICITY_THEN_NEXT[0]),
        {"start_date": "2020-05-15", "last_assessment_date": "2021-03-01"},
    ]
    c = make_cohort(lines)
    frame = line_endpoints(c, rules=CensoringRules(censor_at_next_line=False))
    check(get(frame, 1), "pfs", days(S, "2021-03-01"), False, "censored_last_assessment")


def test_pfs_follow_on_counts_death_within_window_of_a_later_assessment():
    lines = [
        dict(TOXICITY_THEN_NEXT[0]),
        {"start_date": "2020-05-15", "last_assessment_date": "2020-10-01"},
    ]
    c = make_cohort(lines, last_contact="2020-12-01", death="2020-12-01")
    default = line_endpoints(c)
    check(get(default, 1), "pfs", days(S, "2020-04-01"), False, "censored_next_line")
    follow = line_endpoints(c, rules=CensoringRules(censor_at_next_line=False))
    check(get(follow, 1), "pfs", days(S, "2020-12-01"), True, "death")


def test_pfs_overlapping_line_censors_at_the_next_line_start():
    # Line 1 is still assessed (no progression) after line 2 started: progression-free at
    # the start of line 2, censored there.
    lines = [
        {"start_date": S, "last_assessment_date": "2020-09-01"},
        {"start_date": "2020-06-01", "last_assessment_date": "2020-09-01"},
    ]
    c = make_cohort(lines)
    check(get(line_endpoints(c), 1), "pfs", days(S, "2020-06-01"), False, "censored_next_line")
    # Same when line 1's progression is dated after line 2 started.
    lines[0] = {"start_date": S, "progression_date": "2020-08-01"}
    c = make_cohort(lines)
    check(get(line_endpoints(c), 1), "pfs", days(S, "2020-06-01"), False, "censored_next_line")
    follow = line_endpoints(c, rules=CensoringRules(censor_at_next_line=False))
    check(get(follow, 1), "pfs", days(S, "2020-08-01"), True, "progression")


def test_pfs_toxicity_stop_without_next_line_keeps_following_the_line():
    base = {"start_date": S, "end_date": "2020-05-01", "end_reason": "toxicity"}
    progressed = make_cohort(
        [{**base, "progression_date": "2020-12-01", "last_assessment_date": "2020-12-01"}]
    )
    check(get(line_endpoints(progressed), 1), "pfs", days(S, "2020-12-01"), True, "progression")
    free = make_cohort([{**base, "last_assessment_date": "2020-09-01"}])
    row = get(line_endpoints(free), 1)
    check(row, "pfs", days(S, "2020-09-01"), False, "censored_last_assessment")
    check(row, "ttf", days(S, "2020-05-01"), True, "toxicity")
    check(row, "dot", days(S, "2020-05-01"), True, "toxicity")


def test_pfs_lost_to_follow_up_censors_at_last_assessment_os_at_last_contact():
    c = make_cohort(
        [
            {
                "start_date": S,
                "end_date": "2020-06-15",
                "end_reason": "other",
                "last_assessment_date": "2020-06-01",
            }
        ],
        last_contact="2020-08-01",
    )
    row = get(line_endpoints(c), 1)
    check(row, "pfs", days(S, "2020-06-01"), False, "censored_last_assessment")
    check(row, "os", days(S, "2020-08-01"), False, "censored_last_contact")
    check(row, "ttf", days(S, "2020-06-15"), True, "other")
    check(row, "ttnt", days(S, "2020-08-01"), False, "censored_last_contact")


def test_pfs_without_adequate_assessment():
    c = make_cohort([{"start_date": S}])
    row = get(line_endpoints(c), 1)
    check(row, "pfs", 0.0, False, "no_assessment")
    excluded = line_endpoints(c, rules=CensoringRules(no_assessment="exclude"))
    check(get(excluded, 1), "pfs", None, None, "no_assessment")
    log = c.attrition.to_frame()
    hit = log[log["step"].str.startswith("pfs ")]
    assert hit["n_excluded"].tolist() == [1]
    assert hit["reason"].str.startswith("no_assessment").all()


def test_assessment_on_the_start_date_is_a_baseline_scan():
    c = make_cohort([{"start_date": S, "last_assessment_date": S}])
    check(get(line_endpoints(c), 1), "pfs", 0.0, False, "no_assessment")
    rules = CensoringRules(assessment_min_days=0)
    check(get(line_endpoints(c, rules=rules), 1), "pfs", 0.0, False, "censored_last_assessment")
    late = make_cohort([{"start_date": S, "last_assessment_date": "2020-01-20"}])
    rules = CensoringRules(assessment_min_days=28)
    check(get(line_endpoints(late, rules=rules), 1), "pfs", 0.0, False, "no_assessment")


def test_pfs_progression_without_date():
    line = {
        "start_date": S,
        "end_date": "2020-08-01",
        "end_reason": "progression",
        "last_assessment_date": "2020-06-01",
    }
    c = make_cohort([line])
    row = get(line_endpoints(c), 1)
    check(row, "pfs", None, None, "missing_progression_date")
    check(row, "ttf", days(S, "2020-08-01"), True, "progression")
    assert c.attrition.to_frame()["reason"].str.startswith("missing_progression_date").any()
    rules = CensoringRules(impute_progression_from_end_date=True)
    row = get(line_endpoints(c, rules=rules), 1)
    check(row, "pfs", days(S, "2020-08-01"), True, "progression_imputed")


def test_follow_on_undated_later_progression_is_not_computable_unless_decided_earlier():
    first = {"start_date": S, "end_date": "2020-03-01", "end_reason": "toxicity"}
    undated = {"start_date": "2020-04-01", "end_date": "2020-09-01", "end_reason": "progression"}
    rules = CensoringRules(censor_at_next_line=False)
    c = make_cohort([first, undated])
    check(get(line_endpoints(c, rules=rules), 1), "pfs", None, None, "missing_progression_date")
    decided = {**first, "progression_date": "2020-02-15", "last_assessment_date": "2020-02-15"}
    c = make_cohort([decided, undated])
    check(get(line_endpoints(c, rules=rules), 1), "pfs", days(S, "2020-02-15"), True, "progression")


# --- data cut-off -----------------------------------------------------------------------


def test_ongoing_at_cutoff():
    ongoing = {"start_date": S, "end_reason": "ongoing", "last_assessment_date": "2021-06-01"}
    c = make_cohort([ongoing], last_contact="2022-01-01")
    row = get(line_endpoints(c, data_cutoff="2021-01-01"), 1)
    cut = days(S, "2021-01-01")
    check(row, "pfs", cut, False, "censored_cutoff")  # assessed after the cut-off: free then
    check(row, "os", cut, False, "censored_cutoff")
    check(row, "dot", cut, False, "censored_cutoff")
    check(row, "ttf", cut, False, "censored_cutoff")
    check(row, "ttnt", cut, False, "censored_cutoff")
    check(row, "pfs2", cut, False, "censored_cutoff")
    row = get(line_endpoints(c), 1)  # without a cut-off
    check(row, "pfs", days(S, "2021-06-01"), False, "censored_last_assessment")
    check(row, "dot", days(S, "2022-01-01"), False, "censored_last_contact")
    check(row, "ttf", days(S, "2022-01-01"), False, "censored_last_contact")
    check(row, "pfs2", days(S, "2022-01-01"), False, "censored_no_next_line")


def test_cutoff_ignores_later_events_and_keeps_earlier_ones():
    line = {
        "start_date": S,
        "end_date": "2021-03-01",
        "end_reason": "progression",
        "progression_date": "2021-03-01",
        "last_assessment_date": "2021-03-01",
    }
    c = make_cohort([line], last_contact="2021-05-01", death="2021-05-01")
    row = get(line_endpoints(c, data_cutoff=pd.Timestamp("2021-01-01")), 1)
    check(row, "pfs", days(S, "2021-01-01"), False, "censored_cutoff")
    check(row, "os", days(S, "2021-01-01"), False, "censored_cutoff")
    check(row, "dot", days(S, "2021-01-01"), False, "censored_cutoff")
    # An event on the cut-off date counts.
    row = get(line_endpoints(c, data_cutoff="2021-03-01"), 1)
    check(row, "pfs", days(S, "2021-03-01"), True, "progression")
    check(row, "os", days(S, "2021-03-01"), False, "censored_cutoff")
    # Assessed before the cut-off, nothing after: censored at that assessment.
    early = make_cohort([{"start_date": S, "last_assessment_date": "2020-10-01"}])
    row = get(line_endpoints(early, data_cutoff="2021-01-01"), 1)
    check(row, "pfs", days(S, "2020-10-01"), False, "censored_last_assessment")


def test_lines_and_diagnoses_after_the_cutoff_are_kept_as_na_rows():
    lines = [{"start_date": S, "last_assessment_date": "2020-06-01"}, {"start_date": "2021-06-01"}]
    c = make_cohort(lines)
    frame = line_endpoints(c, data_cutoff="2021-01-01")
    assert len(frame) == 2
    for ep in ("os", "pfs", "ttf", "ttnt", "dot", "pfs2"):
        check(get(frame, 2), ep, None, None, "starts_after_cutoff")
    check(get(frame, 1), "ttnt", days(S, "2021-01-01"), False, "censored_cutoff")
    check(get(frame, 2), "os_dx", days("2019-06-01", "2021-01-01"), False, "censored_cutoff")
    frame = line_endpoints(c, data_cutoff="2019-01-01")
    check(get(frame, 1), "os_dx", None, None, "diagnosis_after_cutoff")
    log = c.attrition.to_frame()
    assert (log["reason"].str.startswith("starts_after_cutoff")).any()


# --- TTF, TTNT, DoT ---------------------------------------------------------------------

PRRT_COMPLETED = [
    {
        "start_date": S,
        "regimen": "177Lu-DOTATATE",
        "end_date": "2020-07-01",
        "end_reason": "completed",
        "progression_date": "2021-05-01",
        "last_assessment_date": "2021-05-01",
        "cycles": 4,
    },
    {"start_date": "2021-06-01", "regimen": "CAPTEM", "last_assessment_date": "2021-12-01"},
]


def test_ttf_planned_completion_options():
    c = make_cohort(PRRT_COMPLETED)
    row = get(line_endpoints(c), 1)
    check(row, "ttf", days(S, "2020-07-01"), False, "censored_completed")
    check(row, "dot", days(S, "2020-07-01"), True, "completed")
    check(row, "pfs", days(S, "2021-05-01"), True, "progression")
    check(row, "ttnt", days(S, "2021-06-01"), True, "next_line")
    row = get(line_endpoints(c, rules=CensoringRules(completion="event")), 1)
    check(row, "ttf", days(S, "2020-07-01"), True, "completed")
    row = get(line_endpoints(c, rules=CensoringRules(completion="follow_on")), 1)
    check(row, "ttf", days(S, "2021-05-01"), True, "progression")


def test_ttf_follow_on_after_completion_without_progression():
    done = {**PRRT_COMPLETED[0], "progression_date": None, "last_assessment_date": "2021-01-01"}
    rules = CensoringRules(completion="follow_on")
    c = make_cohort([done, PRRT_COMPLETED[1]])
    check(get(line_endpoints(c, rules=rules), 1), "ttf", days(S, "2021-06-01"), True, "next_line")
    c = make_cohort([done], last_contact="2022-02-01", death="2022-02-01")
    check(get(line_endpoints(c, rules=rules), 1), "ttf", days(S, "2022-02-01"), True, "death")
    c = make_cohort([done], last_contact="2022-02-01")
    row = get(line_endpoints(c, rules=rules), 1)
    check(row, "ttf", days(S, "2022-02-01"), False, "censored_last_contact")


@pytest.mark.parametrize("reason", ["progression", "toxicity", "patient_choice", "other"])
def test_ttf_and_dot_count_every_unplanned_stop(reason):
    line = {"start_date": S, "end_date": "2020-04-01", "end_reason": reason}
    if reason == "progression":
        line["progression_date"] = "2020-04-01"
    row = get(line_endpoints(make_cohort([line])), 1)
    check(row, "ttf", days(S, "2020-04-01"), True, reason)
    check(row, "dot", days(S, "2020-04-01"), True, reason)


def test_ttf_without_end_reason_is_not_computable():
    c = make_cohort([{"start_date": S, "end_date": "2020-04-01"}])
    row = get(line_endpoints(c), 1)
    check(row, "ttf", None, None, "missing_end_reason")
    check(row, "dot", days(S, "2020-04-01"), True, "ended")
    assert c.attrition.to_frame()["reason"].str.startswith("missing_end_reason").any()


def test_death_on_treatment_ends_ttf_dot_ttnt():
    c = make_cohort(
        [{"start_date": S, "end_date": "2020-10-01", "end_reason": "death"}],
        last_contact="2020-10-01",
        death="2020-10-01",
    )
    row = get(line_endpoints(c), 1)
    for ep in ("ttf", "dot", "ttnt", "os", "pfs2"):
        check(row, ep, days(S, "2020-10-01"), True, "death")
    # An ongoing line (no end date) is also ended by death.
    c = make_cohort([{"start_date": S}], last_contact="2020-10-01", death="2020-10-01")
    row = get(line_endpoints(c), 1)
    check(row, "ttf", days(S, "2020-10-01"), True, "death")
    check(row, "dot", days(S, "2020-10-01"), True, "death")


def test_ttnt_next_line_first_then_death():
    c = make_cohort(TOXICITY_THEN_NEXT, last_contact="2021-01-01", death="2021-01-01")
    frame = line_endpoints(c)
    check(get(frame, 1), "ttnt", days(S, "2020-05-15"), True, "next_line")
    check(get(frame, 2), "ttnt", days("2020-05-15", "2021-01-01"), True, "death")
    check(get(frame, 2), "os_dx", days("2019-06-01", "2021-01-01"), True, "death")


# --- PFS2 -------------------------------------------------------------------------------


def test_pfs2_progression_on_the_next_line():
    c = make_cohort(
        [
            {
                "start_date": S,
                "end_date": "2020-06-01",
                "end_reason": "progression",
                "progression_date": "2020-06-01",
            },
            {
                "start_date": "2020-07-01",
                "end_date": "2021-02-01",
                "end_reason": "progression",
                "progression_date": "2021-02-01",
            },
        ]
    )
    frame = line_endpoints(c)
    check(get(frame, 1), "pfs2", days(S, "2021-02-01"), True, "progression")
    check(get(frame, 2), "pfs2", days("2020-07-01", "2023-01-01"), False, "censored_no_next_line")


def test_pfs2_counts_death_without_window_and_censors_at_a_third_line():
    first = {
        "start_date": S,
        "end_date": "2020-06-01",
        "end_reason": "progression",
        "progression_date": "2020-06-01",
    }
    second = {"start_date": "2020-07-01", "last_assessment_date": "2020-09-01"}
    # Death 2021-06-01 is 273 days after the last assessment: PFS of line 2 is censored,
    # but PFS2 of line 1 counts the death.
    c = make_cohort([first, second], last_contact="2021-06-01", death="2021-06-01")
    frame = line_endpoints(c)
    check(get(frame, 2), "pfs", days("2020-07-01", "2020-09-01"), False, "death_outside_window")
    check(get(frame, 1), "pfs2", days(S, "2021-06-01"), True, "death")
    # A third line before progression on line 2 censors PFS2 of line 1.
    second = {
        **second,
        "end_date": "2020-10-01",
        "end_reason": "toxicity",
    }
    third = {"start_date": "2020-11-01", "last_assessment_date": "2021-03-01"}
    c = make_cohort([first, second, third])
    check(get(line_endpoints(c), 1), "pfs2", days(S, "2020-09-01"), False, "censored_next_line")


# --- not computable rows (bypassing validation) -------------------------------------------


def test_missing_dates_give_na_rows_and_attrition():
    c = make_cohort(TOXICITY_THEN_NEXT)
    lines = c.therapy_lines.copy()
    lines.loc[lines["line"] == 2, "start_date"] = pd.NaT
    patients = c.patients.copy()
    patients["last_contact_date"] = pd.NaT
    broken = dataclasses.replace(c, therapy_lines=lines, patients=patients)
    frame = line_endpoints(broken)
    assert len(frame) == 2
    for ep in ("os", "pfs", "ttf", "ttnt", "dot", "pfs2"):
        check(get(frame, 2), ep, None, None, "missing_start_date")
    check(get(frame, 1), "pfs", None, None, "missing_next_start")
    check(get(frame, 1), "ttnt", None, None, "missing_next_start")
    check(get(frame, 1), "os", None, None, "missing_last_contact")
    check(get(frame, 1), "ttf", days(S, "2020-05-01"), True, "toxicity")
    log = broken.attrition.to_frame()
    assert set(log["analysis"]) == {"line_endpoints"}
    os_rows = log[log["step"].str.startswith("os (")]
    assert sorted(os_rows["n_excluded"]) == [1, 1] and (os_rows["n_before"] == 2).all()


def test_rare_branches():
    # Follow-on: the earliest of several progressions is the event.
    first = {
        "start_date": S,
        "end_date": "2020-06-01",
        "end_reason": "progression",
        "progression_date": "2020-06-01",
    }
    second = {**first, "start_date": "2020-07-01", "end_date": "2020-12-01"}
    second["progression_date"] = "2020-12-01"
    rules = CensoringRules(censor_at_next_line=False)
    c = make_cohort([first, second])
    check(get(line_endpoints(c, rules=rules), 1), "pfs", days(S, "2020-06-01"), True, "progression")
    done = {"start_date": S, "end_date": "2020-06-01", "end_reason": "completed"}
    rules = CensoringRules(completion="follow_on")
    # TTF follow-on when the next line has no start date.
    c = make_cohort([done, {"start_date": "2020-08-01"}])
    lines = c.therapy_lines.copy()
    lines.loc[1, "start_date"] = pd.NaT
    broken = dataclasses.replace(c, therapy_lines=lines)
    check(get(line_endpoints(broken, rules=rules), 1), "ttf", None, None, "missing_next_start")
    # A line that ended by death without an end date ends at the death.
    c = make_cohort([{"start_date": S}], last_contact="2020-05-01", death="2020-05-01")
    lines = c.therapy_lines.assign(end_reason=pd.array(["death"], dtype="string"))
    row = get(line_endpoints(dataclasses.replace(c, therapy_lines=lines)), 1)
    check(row, "dot", days(S, "2020-05-01"), True, "death")
    # Missing diagnosis date: OS from diagnosis is not computable.
    patients = c.patients.assign(diagnosis_date=pd.NaT)
    row = get(line_endpoints(dataclasses.replace(c, patients=patients)), 1)
    check(row, "os_dx", None, None, "missing_diagnosis_date")
    check(row, "os", days(S, "2020-05-01"), True, "death")


def test_unvalidated_cohorts_with_broken_keys_are_refused():
    c = make_cohort(TOXICITY_THEN_NEXT)
    orphan = c.therapy_lines.assign(patient_id="P9")
    with pytest.raises(SchemaError, match=r"\['P9'\] have no row in patients"):
        line_endpoints(dataclasses.replace(c, therapy_lines=orphan))
    dup = c.therapy_lines.assign(line=1)
    with pytest.raises(SchemaError, match="duplicated patient_id \\+ line"):
        line_endpoints(dataclasses.replace(c, therapy_lines=dup))
    no_line = c.therapy_lines.assign(line=pd.array([1, None], dtype="Int64"))
    with pytest.raises(SchemaError, match="without patient_id or line"):
        line_endpoints(dataclasses.replace(c, therapy_lines=no_line))


def test_patients_without_lines_are_counted_in_the_attrition_log():
    other = {"patient_id": "P2", "age_at_diagnosis": 50, "diagnosis_date": "2019-01-01"}
    other["last_contact_date"] = "2022-01-01"
    c = make_cohort([{"start_date": S}], extra_patients=[other])
    frame = line_endpoints(c)
    assert frame["patient_id"].tolist() == ["P1"]
    log = c.attrition.to_frame()
    row = log[log["step"] == "patients without lines"].iloc[0]
    assert (row["n_before"], row["n_excluded"], row["table"]) == (2, 1, "patients")


# --- features at the line start ---------------------------------------------------------


def test_features_use_only_what_was_known_at_line_start():
    pathology = [
        # two specimens on one date: the higher Ki-67 and grade are kept
        {"sample_id": "a", "sample_date": "2019-06-01", "site": "primary", "ki67_percent": 2.0},
        {"sample_id": "b", "sample_date": "2019-06-01", "site": "liver", "ki67_percent": 4.0},
        # on the start date of line 2: known at its start
        {
            "sample_id": "c",
            "sample_date": "2020-05-15",
            "site": "liver",
            "ki67_percent": 25.0,
            "mitoses_per_2mm2": 3,
        },
        # after every start: never used
        {"sample_id": "d", "sample_date": "2022-01-01", "site": "liver", "ki67_percent": 60.0},
    ]
    imaging = [
        {
            "scan_id": "i1",
            "scan_date": "2019-12-01",
            "tracer": "68Ga-DOTATATE",
            "krenning_score": 3,
        },
        {"scan_id": "i2", "scan_date": "2020-03-01", "tracer": "18F-FDG", "fdg_avid": True},
        {"scan_id": "i3", "scan_date": "2020-05-15", "tracer": "68Ga-DOTATOC", "krenning_score": 1},
    ]
    c = make_cohort(
        [
            {**TOXICITY_THEN_NEXT[0], "regimen": "octreotide + TACE"},
            TOXICITY_THEN_NEXT[1],
        ],
        pathology=pathology,
        imaging=imaging,
    )
    frame = line_endpoints(c)
    one, two = get(frame, 1), get(frame, 2)
    assert one["prior_regimens"] == "" and one["n_prior_lines"] == 0
    assert two["prior_regimens"] == "octreotide LAR + TACE"
    assert two["prior_drug_classes"] == "SSA; liver-directed"
    assert two["n_prior_lines"] == 1
    assert one["drug_class"] == "SSA + liver-directed"
    assert one["months_since_diagnosis"] == pytest.approx(days("2019-06-01", S) / DAYS_PER_MONTH)
    assert one["age_at_line_start"] == pytest.approx(60 + days("2019-06-01", S) / 365.25)
    assert one["ki67_percent"] == 4.0 and one["who_grade"] == "G2"
    assert one["ki67_sample_date"] == pd.Timestamp("2019-06-01")
    assert two["ki67_percent"] == 25.0 and two["who_grade"] == "G3"
    assert two["grade_sample_date"] == pd.Timestamp("2020-05-15")
    assert one["krenning_score"] == 3 and bool(one["sstr_positive"])
    assert one["sstr_tracer"] == "68Ga-DOTATATE"
    assert two["krenning_score"] == 1 and not bool(two["sstr_positive"])
    assert two["sstr_scan_date"] == pd.Timestamp("2020-05-15")


def test_features_missing_when_nothing_known_before_start():
    pathology = [
        {"sample_id": "a", "sample_date": "2021-01-01", "site": "liver", "ki67_percent": 5}
    ]
    c = make_cohort([{"start_date": S}], pathology=pathology)
    row = get(line_endpoints(c), 1)
    assert pd.isna(row["ki67_percent"]) and pd.isna(row["who_grade"])
    assert pd.isna(row["krenning_score"]) and pd.isna(row["sstr_positive"])


def test_age_from_birth_date():
    c = make_cohort([{"start_date": S}])
    patients = c.patients.assign(birth_date=pd.Timestamp("1960-01-01"))
    row = get(line_endpoints(dataclasses.replace(c, patients=patients)), 1)
    assert row["age_at_line_start"] == pytest.approx(days("1960-01-01", S) / 365.25)


@pytest.mark.parametrize(
    ("ki67", "mitoses", "diff", "grade"),
    [
        (2.9, np.nan, "well", "G1"),
        (3.0, np.nan, "well", "G2"),
        (20.0, np.nan, None, "G2"),
        (20.1, np.nan, "well", "G3"),
        (np.nan, 1.9, "well", "G1"),
        (np.nan, 2.0, "well", "G2"),
        (np.nan, 20.0, "well", "G2"),
        (np.nan, 21.0, "well", "G3"),
        (2.0, 5.0, "well", "G2"),  # higher grade wins
        (25.0, 1.0, "well", "G3"),
        (2.0, 1.0, "poor", "NEC"),  # poorly differentiated: NEC whatever the counts
        (np.nan, np.nan, "poor", "NEC"),
        (np.nan, np.nan, "well", None),
    ],
)
def test_who_grade_cut_offs(ki67, mitoses, diff, grade):
    # The grade at line start comes from netstats.grading.who_grade: the endpoint
    # table's feature must follow these cut-offs.
    got = who_grade(
        pd.Series([ki67], dtype="float64"),
        pd.Series([mitoses], dtype="float64"),
        differentiation=pd.Series([diff], dtype="string"),
    ).iloc[0]
    assert (pd.isna(got) and grade is None) or got == grade


# --- the case series: 55-year-old man, pNET G2 (case report 000) -------------------------


def test_case_55_year_old_man_matches_the_report():
    cohort = load_cohort(ROOT / "tests" / "data" / "minimal")
    frame = line_endpoints(cohort)
    first, second, third = (get(frame, k, "001") for k in (1, 2, 3))
    # First-line octreotide LAR + TACE from 2019-08 to progression in 2022-08.
    check(first, "pfs", days("2019-08-01", "2022-08-15"), True, "progression")
    assert first["pfs_months"] == pytest.approx(36.47, abs=0.01)
    # Surufatinib stopped for toxicity, everolimus next: censored at the last assessment.
    check(second, "pfs", days("2022-09-01", "2023-12-20"), False, "censored_next_line")
    check(second, "ttf", days("2022-09-01", "2024-01-10"), True, "toxicity")
    # Everolimus ongoing: censored at its last assessment.
    check(third, "pfs", days("2024-01-15", "2025-01-15"), False, "censored_last_assessment")
    check(third, "dot", days("2024-01-15", "2025-05-30"), False, "censored_last_contact")
    check(first, "pfs2", days("2019-08-01", "2023-12-20"), False, "censored_next_line")


def test_case_prrt_completed_then_complete_remission():
    """Soeiro et al., BMJ Case Rep 2020;13:e233263 (case series file 001).

    pNET G2 resected (Ki-67 10 %, 5 mitoses); liver metastasectomy two years later (Ki-67
    15 %, 7 mitoses); lanreotide from the fourth year; progression on the PET of February
    2017; four cycles of 177Lu-DOTATATE March-October 2017; no active disease two years
    after PRRT.  The report gives months and years only: the 15th of each month is used.
    """
    patients = pd.DataFrame(
        {
            "patient_id": ["soeiro"],
            "age_at_diagnosis": [80],
            "diagnosis_date": ["2012-02-15"],
            "last_contact_date": ["2019-10-15"],
        }
    )
    pathology = pd.DataFrame(
        {
            "patient_id": ["soeiro", "soeiro"],
            "sample_id": ["resection", "metastasectomy"],
            "sample_date": ["2012-02-15", "2014-02-15"],
            "site": ["primary", "liver"],
            "differentiation": ["well", "well"],
            "ki67_percent": [10.0, 15.0],
            "mitoses_per_2mm2": [5.0, 7.0],
        }
    ).reindex(columns=TABLES["pathology"].names)
    lines = pd.DataFrame(
        {
            "patient_id": ["soeiro", "soeiro"],
            "line": [1, 2],
            "regimen": ["lanreotide", "Lutathera"],
            "start_date": ["2016-02-15", "2017-03-15"],
            "end_date": ["2017-02-15", "2017-10-15"],
            "end_reason": ["progression", "completed"],
            "progression_date": ["2017-02-15", None],
            "best_response": [None, "CR"],
            "last_assessment_date": ["2017-02-15", "2019-10-15"],
            "cycles": [None, 4],
        }
    )
    cohort = Cohort.from_tables(patients, pathology, lines)
    frame = line_endpoints(cohort)
    ssa, prrt = get(frame, 1, "soeiro"), get(frame, 2, "soeiro")
    check(ssa, "pfs", days("2016-02-15", "2017-02-15"), True, "progression")
    check(ssa, "pfs2", days("2016-02-15", "2019-10-15"), False, "censored_last_assessment")
    check(prrt, "pfs", days("2017-03-15", "2019-10-15"), False, "censored_last_assessment")
    check(prrt, "dot", days("2017-03-15", "2017-10-15"), True, "completed")
    check(prrt, "ttf", days("2017-03-15", "2017-10-15"), False, "censored_completed")
    follow = get(line_endpoints(cohort, rules=CensoringRules(completion="follow_on")), 2, "soeiro")
    check(follow, "ttf", days("2017-03-15", "2019-10-15"), False, "censored_last_contact")
    assert prrt["regimen"] == "177Lu-DOTATATE" and prrt["drug_class"] == "PRRT"
    assert prrt["ki67_percent"] == 15.0 and prrt["who_grade"] == "G2"
    assert prrt["age_at_line_start"] == pytest.approx(
        80 + days("2012-02-15", "2017-03-15") / 365.25
    )


def test_docs_worked_example_numbers_are_current():
    """docs/endpoints.md quotes the worked example; keep it in step with the code."""
    text = (ROOT / "docs" / "endpoints.md").read_text()
    cohort = load_cohort(ROOT / "tests" / "data" / "minimal")
    frame = line_endpoints(cohort)
    case = frame[frame["patient_id"] == "001"]
    for _, row in case.iterrows():
        for ep in ENDPOINTS:
            d, m, _, r = endpoint_columns(ep)
            cell = f"| {ep} | {int(row[d])} | {row[m]:.1f} | {str(bool(row[ep + '_event']))}"
            assert f"| {row['line']} {cell} | {row[r]} |" in text, (row["line"], ep)


def test_every_reason_code_is_documented():
    text = (ROOT / "docs" / "endpoints.md").read_text()
    for code in REASON_CODES:
        assert f"`{code}`" in text, code
    assert set(NOT_COMPUTABLE) <= set(REASON_CODES)


# --- rules object and errors ------------------------------------------------------------


def test_rules_describe_is_readable_and_reflects_the_parameters():
    raw = CensoringRules().describe()
    text = " ".join(raw.split())
    assert "within 120 days after the last adequate assessment" in text
    assert "censors PFS at the last adequate assessment on or before the new line start" in text
    assert "death_window_days=120" in text and "censor_at_next_line=True" in text
    other = CensoringRules(
        death_window_days=None,
        censor_at_next_line=False,
        no_assessment="exclude",
        completion="follow_on",
        impute_progression_from_end_date=True,
    ).describe()
    other = " ".join(other.split())
    assert "death at any time" in other
    assert "followed on to the first progression" in other
    assert "NA and listed in the attrition log" in other
    assert "its end_date is used as the progression date" in other
    assert max(len(line) for line in raw.splitlines()[1:-1]) <= 94


def test_rules_are_frozen_and_validated():
    rules = CensoringRules()
    with pytest.raises(dataclasses.FrozenInstanceError):
        rules.death_window_days = 10  # type: ignore[misc]
    with pytest.raises(ValueError, match="death_window_days"):
        CensoringRules(death_window_days=-1)
    with pytest.raises(TypeError, match="death_window_days"):
        CensoringRules(death_window_days=1.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="censor_at_next_line"):
        CensoringRules(censor_at_next_line="yes")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="no_assessment"):
        CensoringRules(no_assessment="drop")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="completion"):
        CensoringRules(completion="ignore")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="assessment_min_days"):
        CensoringRules(assessment_min_days=-3)
    with pytest.raises(TypeError, match="assessment_min_days"):
        CensoringRules(assessment_min_days=True)


def test_line_endpoints_validates_its_arguments():
    c = make_cohort([{"start_date": S}])
    with pytest.raises(TypeError, match="Cohort"):
        line_endpoints(c.therapy_lines)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="CensoringRules"):
        line_endpoints(c, rules={"death_window_days": 90})  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="data_cutoff"):
        line_endpoints(c, data_cutoff="not a date")
    with pytest.raises(TypeError, match="data_cutoff"):
        line_endpoints(c, data_cutoff=20210101)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="must not be missing"):
        line_endpoints(c, data_cutoff=pd.NaT)
    with pytest.raises(ValueError, match="unknown endpoint"):
        endpoint_columns("orr")


def test_output_columns_and_dtypes():
    frame = line_endpoints(load_cohort(ROOT / "tests" / "data" / "minimal"))
    for ep in ENDPOINTS:
        d, m, e, r = endpoint_columns(ep)
        assert frame[d].dtype == "float64" and frame[m].dtype == "float64"
        assert frame[e].dtype == "boolean" and frame[r].dtype == "string"
    assert list(frame.index) == list(range(len(frame)))
    assert frame[["patient_id", "line"]].equals(
        frame[["patient_id", "line"]].sort_values(["patient_id", "line"])
    )
    assert re.fullmatch(r"[a-z0-9_]+", "".join(frame.columns))


# --- properties on random valid cohorts -------------------------------------------------

REASONS = ["progression", "toxicity", "completed", "patient_choice", "other"]


@st.composite
def cohorts(draw):
    """Small random cohorts that pass validation (dates in order, death last)."""
    n = draw(st.integers(1, 4))
    base = pd.Timestamp("2015-01-01")
    patients, lines = [], []
    for i in range(n):
        pid = f"Q{i}"
        t = draw(st.integers(0, 300))
        dx = base + pd.Timedelta(days=t)
        latest = t
        start = t + draw(st.integers(0, 200))
        n_lines = draw(st.integers(0, 3))
        for k in range(n_lines):
            length = draw(st.integers(0, 700))
            ongoing = k == n_lines - 1 and draw(st.booleans())
            reason = None if ongoing else draw(st.sampled_from(REASONS))
            prog = None
            if reason == "progression" or (reason != "progression" and draw(st.booleans())):
                prog = start + draw(st.integers(0, length + 300))
            assess = None
            if draw(st.booleans()):
                assess = start + draw(st.integers(0, length + 300))
            end = None if ongoing else start + length
            row = {
                "patient_id": pid,
                "line": k + 1,
                "regimen": draw(st.sampled_from(["everolimus", "CAPTEM", "lanreotide"])),
                "start_date": base + pd.Timedelta(days=start),
                "end_date": None if end is None else base + pd.Timedelta(days=end),
                "end_reason": "ongoing" if ongoing else reason,
                "progression_date": None if prog is None else base + pd.Timedelta(days=prog),
                "last_assessment_date": None
                if assess is None
                else base + pd.Timedelta(days=assess),
            }
            lines.append(row)
            latest = max(x for x in (latest, start, end, prog, assess) if x is not None)
            # next line starts after this one (sometimes overlapping it)
            start = start + draw(st.integers(0, length + 200))
        last = latest + draw(st.one_of(st.sampled_from([0, 60, 120, 121]), st.integers(0, 400)))
        dead = draw(st.booleans())
        patients.append(
            {
                "patient_id": pid,
                "age_at_diagnosis": 55,
                "diagnosis_date": dx,
                "last_contact_date": base + pd.Timedelta(days=last),
                "death_date": base + pd.Timedelta(days=last) if dead else None,
            }
        )
    cutoff = draw(st.one_of(st.none(), st.integers(0, 3000)))
    cut = None if cutoff is None else base + pd.Timedelta(days=cutoff)
    line_frame = pd.DataFrame(lines) if lines else None
    return pd.DataFrame(patients), line_frame, cut


PROPERTY_SETTINGS = settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
RULE_SETS = [CensoringRules(), CensoringRules(censor_at_next_line=False, completion="follow_on")]


@PROPERTY_SETTINGS
@given(cohorts(), st.sampled_from(RULE_SETS))
def test_property_times_ordered_and_non_negative(data, rules):
    patients, lines, cut = data
    frame = line_endpoints(Cohort.from_tables(patients, None, lines), rules=rules, data_cutoff=cut)
    for ep in ENDPOINTS:
        d, _, e, r = endpoint_columns(ep)
        assert (frame[d].dropna() >= 0).all()
        assert (frame[d].isna() == frame[e].isna()).all()
        assert set(frame[r]) <= set(REASON_CODES)
        assert frame.loc[frame[d].isna(), r].isin(NOT_COMPUTABLE | {"no_assessment"}).all()
    for ep in ("pfs", "ttf", "ttnt", "dot", "pfs2"):
        both = frame[["os_days", f"{ep}_days"]].dropna()
        assert (both["os_days"] >= both[f"{ep}_days"]).all(), ep  # OS never shorter
    both = frame[["os_dx_days", "os_days"]].dropna()
    assert (both["os_dx_days"] >= both["os_days"]).all()
    for ep in ("pfs", "ttf", "ttnt", "dot", "pfs2"):
        died = frame[f"{ep}_reason"].eq("death").fillna(False).to_numpy(bool)
        assert (frame.loc[died, f"{ep}_days"] == frame.loc[died, "os_days"]).all(), ep
        assert frame.loc[died, "os_event"].all(), ep
    if rules.censor_at_next_line:
        both = frame[["pfs_days", "pfs2_days", "ttnt_days"]].dropna()
        assert (both["pfs2_days"] >= both["pfs_days"]).all()
        assert (both["ttnt_days"] >= both["pfs_days"]).all()


@PROPERTY_SETTINGS
@given(cohorts(), st.sampled_from(RULE_SETS), st.integers(0, 2**32 - 1))
def test_property_row_order_invariant_and_input_unchanged(data, rules, seed):
    patients, lines, cut = data
    cohort = Cohort.from_tables(patients, None, lines)
    before = {name: table.copy() for name, table in cohort.tables.items()}
    expected = line_endpoints(cohort, rules=rules, data_cutoff=cut)
    for name, table in cohort.tables.items():
        pd.testing.assert_frame_equal(table, before[name])
    rng = np.random.default_rng(seed)
    tables = {n: t.sample(frac=1, random_state=rng) for n, t in cohort.tables.items()}
    shuffled = dataclasses.replace(cohort, **tables)
    got = line_endpoints(shuffled, rules=rules, data_cutoff=cut)
    pd.testing.assert_frame_equal(got, expected)


def test_row_order_invariance_with_features():
    cohort = load_cohort(ROOT / "tests" / "data" / "minimal")
    expected = line_endpoints(cohort)
    rng = np.random.default_rng(7)
    tables = {n: t.sample(frac=1, random_state=rng) for n, t in cohort.tables.items()}
    shuffled = dataclasses.replace(cohort, **tables)
    pd.testing.assert_frame_equal(line_endpoints(shuffled), expected)


def _reference_default_pfs(patients: pd.DataFrame, lines: pd.DataFrame) -> pd.DataFrame:
    """Default-rule PFS and TTNT written independently, column-wise, without a cut-off."""
    day = pd.Timedelta(days=1)
    lines = lines.sort_values(["patient_id", "line"]).reset_index(drop=True)
    pat = patients.set_index("patient_id")
    death = lines["patient_id"].map(pat["death_date"])
    contact = lines["patient_id"].map(pat["last_contact_date"])
    s, p, a = lines["start_date"], lines["progression_date"], lines["last_assessment_date"]
    nxt = lines.groupby("patient_id")["start_date"].shift(-1)
    adequate = a.where(a - s >= day)
    bound = nxt.fillna(pd.Timestamp.max)
    prog = p.notna() & (p <= bound)
    died = ~prog & death.notna() & (death <= bound)
    since = death - adequate.fillna(s)
    death_event = died & (since <= 120 * day)
    death_out = died & ~death_event
    rest = ~prog & ~died
    beyond = rest & (p.notna() | (adequate > bound))
    at_assessment = rest & ~beyond & adequate.notna()
    none = rest & ~beyond & adequate.isna()
    end = pd.Series(pd.NaT, index=lines.index, dtype="datetime64[ns]")
    end[prog] = p[prog]
    end[death_event] = death[death_event]
    end[death_out] = adequate.fillna(s)[death_out]
    end[beyond] = bound[beyond]
    end[at_assessment] = adequate[at_assessment]
    end[none] = s[none]
    reason = pd.Series("", index=lines.index)
    reason[prog] = "progression"
    reason[death_event] = "death"
    reason[death_out] = "death_outside_window"
    reason[beyond] = "censored_next_line"
    reason[at_assessment] = np.where(
        nxt[at_assessment].notna(), "censored_next_line", "censored_last_assessment"
    )
    reason[none] = "no_assessment"
    ttnt_end = pd.concat([nxt, death], axis=1).min(axis=1).fillna(contact)
    ttnt_event = nxt.notna() | death.notna()
    return pd.DataFrame(
        {
            "pfs_days": (end - s).dt.days.astype(float),
            "pfs_event": prog | death_event,
            "pfs_reason": reason,
            "ttnt_days": (ttnt_end - s).dt.days.astype(float),
            "ttnt_event": ttnt_event,
        }
    )


@PROPERTY_SETTINGS
@given(cohorts())
def test_property_default_pfs_matches_an_independent_formulation(data):
    patients, lines, _ = data
    if lines is None:
        return
    cohort = Cohort.from_tables(patients, None, lines)
    got = line_endpoints(cohort)
    ref = _reference_default_pfs(cohort.patients, cohort.therapy_lines)
    for col in ("pfs_days", "ttnt_days"):
        np.testing.assert_array_equal(got[col].to_numpy(), ref[col].to_numpy(), err_msg=col)
    for col in ("pfs_event", "ttnt_event"):
        assert got[col].astype(bool).tolist() == ref[col].tolist(), col
    assert got["pfs_reason"].tolist() == ref["pfs_reason"].tolist()

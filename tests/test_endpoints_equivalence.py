"""The vectorised endpoint engine gives exactly what the line-by-line rules give.

Two independent checks on random simulated cohorts perturbed with every awkward date
pattern (``tests/_endpoint_cohorts.py``):

- against the line-by-line reference (``netstats.endpoints._reference``, the rules of
  ``netstats.endpoints._times`` applied one line at a time) under random and, in the slow
  run, all 216 combinations of the rule options; and on small hypothesis-drawn cohorts;
- against values frozen from the line-by-line engine before the vectorised one existed
  (``scripts/freeze_endpoints.py``, ``tests/data/endpoints_frozen``).

Equality is exact: the same day numbers, event flags and reason codes.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from _endpoint_cohorts import ALL_RULES, perturbed_cohort, random_rules
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_endpoints import cohorts

from netstats import Cohort
from netstats.endpoints import (
    CensoringRules,
    _cutoff_day,
    _days,
    _line_arrays,
    endpoint_columns,
    line_endpoints,
)
from netstats.endpoints._features import _latest_before, _prior
from netstats.endpoints._reference import reference_arrays
from netstats.endpoints._rules import ENDPOINTS
from netstats.endpoints._vector import endpoint_arrays

FROZEN = Path(__file__).parent / "data" / "endpoints_frozen" / "endpoints.csv.gz"


def _sorted_lines(cohort: Cohort) -> pd.DataFrame:
    return cohort.therapy_lines.sort_values(
        ["patient_id", "line"], kind="mergesort", na_position="last"
    ).reset_index(drop=True)


def assert_engines_agree(cohort: Cohort, rules: CensoringRules, cutoff: object) -> None:
    lines, cut = _sorted_lines(cohort), _cutoff_day(cutoff)
    got = endpoint_arrays(_line_arrays(lines, cohort.patients), rules, cut)
    want = reference_arrays(lines, cohort.patients, rules, cut, _days)
    for ep in ENDPOINTS:
        g, w = got[ep], want[ep]
        msg = f"{ep} under {rules} with cut-off {cutoff}"
        np.testing.assert_array_equal(g.origin, w.origin, err_msg=msg)
        np.testing.assert_array_equal(g.date, w.date, err_msg=msg)
        np.testing.assert_array_equal(g.event, w.event, err_msg=msg)
        np.testing.assert_array_equal(g.reason, w.reason, err_msg=msg)


def test_perturbed_cohorts_exercise_every_branch():
    """The generator reaches the rare reason codes, so the comparisons below mean something."""
    seen: set[str] = set()
    for seed in range(3):
        cohort, cut = perturbed_cohort(250, seed)
        arrays = _line_arrays(_sorted_lines(cohort), cohort.patients)
        for rules in random_rules(seed, 12):
            for res in endpoint_arrays(arrays, rules, _cutoff_day(cut)).values():
                seen |= set(res.reason)
    expected = {
        "progression_later_line",
        "progression_imputed",
        "missing_progression_date",
        "missing_next_start",
        "missing_start_date",
        "missing_last_contact",
        "missing_diagnosis_date",
        "missing_end_reason",
        "death_outside_window",
        "censored_next_line",
        "censored_cutoff",
        "censored_completed",
        "censored_no_next_line",
        "no_assessment",
        "starts_after_cutoff",
        "diagnosis_after_cutoff",
        "next_line",
        "ended",
    }
    assert expected <= seen, expected - seen


@pytest.mark.parametrize("seed", range(4))
def test_vectorised_engine_matches_line_by_line_reference(seed):
    cohort, cut = perturbed_cohort(200, seed)
    for rules in random_rules(1000 + seed, 10):
        assert_engines_agree(cohort, rules, cut)
    assert_engines_agree(cohort, CensoringRules(), None)
    # Cut-offs on the day of an alive patient's last contact, of a death, and of the
    # start of a second line that followed a first line without progression (ties).
    pats, lines = cohort.patients, cohort.therapy_lines
    alive = pats.loc[pats["death_date"].isna(), ["patient_id", "last_contact_date"]]
    quiet = lines.loc[(lines["line"] == 1) & lines["progression_date"].isna(), "patient_id"]
    second = lines.loc[(lines["line"] == 2) & lines["patient_id"].isin(quiet), "start_date"]
    days = [
        *alive["last_contact_date"].dropna().iloc[seed : seed + 3],
        *pats["death_date"].dropna().iloc[seed : seed + 2],
        *second.dropna().iloc[seed : seed + 3],
    ]
    for day, rules in zip(days, random_rules(2000 + seed, len(days)), strict=True):
        assert_engines_agree(cohort, rules, day)


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(10, 16))
def test_vectorised_engine_matches_reference_under_every_rule_set(seed):
    cohort, cut = perturbed_cohort(300, seed)
    for rules in ALL_RULES:
        assert_engines_agree(cohort, rules, cut)


@st.composite
def cohorts_and_cutoffs(draw):
    """Small valid cohorts; the cut-off is often one of their own dates (ties)."""
    patients, lines, cut = draw(cohorts())
    if lines is not None and draw(st.booleans()):
        columns = [lines[c] for c in lines if c.endswith("_date")]
        columns += [patients[c] for c in patients if c.endswith("_date")]
        dates = pd.concat(columns).dropna()
        day = draw(st.sampled_from(sorted(set(pd.to_datetime(dates)))))
        cut = day + pd.Timedelta(days=draw(st.sampled_from([0, 0, -1, 1])))
    return patients, lines, cut


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cohorts_and_cutoffs(), st.sampled_from(ALL_RULES))
def test_property_vectorised_engine_matches_reference(data, rules):
    patients, lines, cut = data
    if lines is None:
        return
    assert_engines_agree(Cohort.from_tables(patients, None, lines), rules, cut)


def test_matches_values_frozen_from_the_line_by_line_engine():
    frozen = pd.read_csv(FROZEN, dtype={"patient_id": "string"}, keep_default_na=True)
    assert len(frozen) > 4000
    for (seed, rules_index), want in frozen.groupby(["seed", "rules"], sort=False):
        cohort, cut = perturbed_cohort(250, int(seed))
        got = line_endpoints(cohort, rules=ALL_RULES[int(rules_index)], data_cutoff=cut)
        assert got["patient_id"].tolist() == want["patient_id"].tolist()
        assert got["line"].tolist() == want["line"].tolist()
        for ep in ENDPOINTS:
            days, _, event, reason = endpoint_columns(ep)
            msg = f"seed {seed}, rules {rules_index}, {ep}"
            np.testing.assert_array_equal(
                got[days].to_numpy(), want[days].to_numpy(dtype=float), err_msg=msg
            )
            got_event = got[event].astype("object").where(got[event].notna(), None).tolist()
            want_event = [None if pd.isna(v) else v == "True" or v is True for v in want[event]]
            assert got_event == want_event, msg
            assert got[reason].tolist() == want[reason].tolist(), msg


# --- features known at the line start -----------------------------------------------------


def _prior_by_loop(lines: pd.DataFrame) -> pd.DataFrame:
    """Prior regimens and drug classes patient by patient, line by line."""
    rows = []
    for _, group in lines.groupby("patient_id", sort=False):
        regimens: list[str] = []
        classes: list[str] = []
        for regimen, cls in zip(group["regimen"], group["drug_class"], strict=True):
            rows.append(("; ".join(regimens), "; ".join(classes), len(regimens)))
            regimens.append("" if pd.isna(regimen) else str(regimen))
            for part in ("" if pd.isna(cls) else str(cls)).split(" + "):
                if part and part not in classes:
                    classes.append(part)
    return pd.DataFrame(rows, columns=["prior_regimens", "prior_drug_classes", "n_prior_lines"])


def test_prior_history_matches_a_per_patient_loop():
    cohort, _ = perturbed_cohort(800, 5)
    lines = _sorted_lines(cohort)
    rng = np.random.default_rng(5)
    lines.loc[rng.random(len(lines)) < 0.1, "regimen"] = pd.NA
    lines.loc[rng.random(len(lines)) < 0.1, "drug_class"] = pd.NA
    got = _prior(lines)
    want = _prior_by_loop(lines)
    assert got["prior_drug_classes"].str.contains(";").any()  # histories of several classes
    for col in want:
        assert got[col].tolist() == want[col].tolist(), col


def test_latest_before_matches_merge_asof():
    cohort, _ = perturbed_cohort(800, 6)
    lines = _sorted_lines(cohort)
    scans = cohort.imaging.dropna(subset=["scan_date", "krenning_score"])
    scans = scans.drop_duplicates(["patient_id", "scan_date"])
    # Scans on a line's start day count (the latest on or before it).
    starts = lines.dropna(subset=["start_date"]).sample(200, random_state=1)
    extra = scans.head(200).assign(
        patient_id=starts["patient_id"].array, scan_date=starts["start_date"].array
    )
    scans = pd.concat([scans, extra]).drop_duplicates(["patient_id", "scan_date"])
    got = _latest_before(lines, scans, "scan_date", ["krenning_score", "tracer"])
    left = lines.loc[lines["start_date"].notna(), ["patient_id", "start_date"]]
    left = left.assign(_row=left.index).sort_values("start_date", kind="mergesort")
    merged = pd.merge_asof(
        left,
        scans.sort_values("scan_date")[["patient_id", "scan_date", "krenning_score", "tracer"]],
        left_on="start_date",
        right_on="scan_date",
        by="patient_id",
        direction="backward",
    ).set_index("_row")
    want = merged.reindex(lines.index)
    assert got["scan_date"].notna().sum() > len(lines) // 2
    for col in ("krenning_score", "tracer", "scan_date"):
        assert got[col].tolist() == want[col].tolist(), col

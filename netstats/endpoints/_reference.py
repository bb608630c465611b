"""Line-by-line evaluation of the censoring rules: the reference for the vectorised engine.

Internal.  :func:`reference_arrays` applies the one-patient, one-line rules of
:mod:`netstats.endpoints._times` to every line in a Python loop; this was the engine of
:func:`netstats.endpoints.line_endpoints` until the array version
(:mod:`netstats.endpoints._vector`) replaced it.  It is kept because it reads as the
written rules: the tests check that both give identical results.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from netstats.endpoints._rules import ENDPOINTS, CensoringRules
from netstats.endpoints._times import (
    LineDates,
    Outcome,
    PatientDates,
    duration_of_therapy,
    overall_survival,
    pfs2,
    progression_free,
    time_to_next_treatment,
    time_to_treatment_failure,
)
from netstats.endpoints._vector import EndpointArrays


def _patient_dates(
    patients: pd.DataFrame, lines: pd.DataFrame, days: Callable[[pd.Series], np.ndarray]
) -> dict[object, PatientDates]:
    pat = patients.drop_duplicates("patient_id")
    dx, lc, death = (days(pat[c]) for c in ("diagnosis_date", "last_contact_date", "death_date"))
    start, end, prog, assess = (
        days(lines[c])
        for c in ("start_date", "end_date", "progression_date", "last_assessment_date")
    )
    reasons = [None if pd.isna(r) else str(r) for r in lines["end_reason"]]
    by_patient: dict[object, list[LineDates]] = {}
    for i, pid in enumerate(lines["patient_id"]):
        by_patient.setdefault(pid, []).append(
            LineDates(start[i], end[i], reasons[i], prog[i], assess[i])
        )
    return {
        pid: PatientDates(dx[i], lc[i], death[i], tuple(by_patient.get(pid, ())))
        for i, pid in enumerate(pat["patient_id"])
    }


def _from_start(p: PatientDates, k: int, cut: float, fn: Callable[[], Outcome]) -> Outcome:
    start = p.lines[k].start
    if np.isnan(start):
        return Outcome(np.nan, False, "missing_start_date")
    if start > cut:
        return Outcome(np.nan, False, "starts_after_cutoff")
    return fn()


def reference_arrays(
    lines: pd.DataFrame,
    patients: pd.DataFrame,
    rules: CensoringRules,
    cut: float,
    days: Callable[[pd.Series], np.ndarray],
) -> dict[str, EndpointArrays]:
    """Every endpoint of every line of ``lines`` (sorted by patient and line), line by line.

    ``cut`` is the cut-off as a day number (``inf`` for none); ``days`` turns a date
    column into float day numbers.
    """
    people = _patient_dates(patients, lines, days)
    window = rules.death_window_days
    rules_by_ep: dict[str, Callable[[PatientDates, int], Outcome]] = {
        "os": lambda p, k: _from_start(p, k, cut, lambda: overall_survival(p, cut)),
        "pfs": lambda p, k: progression_free(p, k, rules, cut, death_window=window),
        "ttf": lambda p, k: time_to_treatment_failure(p, k, rules, cut),
        "ttnt": lambda p, k: time_to_next_treatment(p, k, cut),
        "dot": lambda p, k: duration_of_therapy(p, k, cut),
        "pfs2": lambda p, k: pfs2(p, k, rules, cut),
    }
    results: dict[str, list[tuple[float, Outcome]]] = {ep: [] for ep in ENDPOINTS}
    position: dict[object, int] = {}
    for pid in lines["patient_id"]:
        k = position.get(pid, 0)
        position[pid] = k + 1
        p = people[pid]
        if np.isnan(p.diagnosis):
            os_dx = Outcome(np.nan, False, "missing_diagnosis_date")
        elif p.diagnosis > cut:
            os_dx = Outcome(np.nan, False, "diagnosis_after_cutoff")
        else:
            os_dx = overall_survival(p, cut)
        results["os_dx"].append((p.diagnosis, os_dx))
        for ep, fn in rules_by_ep.items():
            results[ep].append((p.lines[k].start, fn(p, k)))
    out = {}
    for ep, res in results.items():
        codes, vocab = pd.factorize(pd.Series([r.reason for _, r in res], dtype=object))
        out[ep] = EndpointArrays(
            origin=np.array([o for o, _ in res], dtype="float64"),
            date=np.array([r.date for _, r in res], dtype="float64"),
            event=np.array([r.event for _, r in res], dtype=bool),
            code=codes.astype(np.int32),
            vocab=tuple(str(v) for v in vocab),
        )
    return out

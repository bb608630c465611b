"""Endpoint times of one patient's therapy lines under :class:`CensoringRules`.

Internal: dates arrive as float day numbers (days since 1970-01-01, NaN when missing) in
plain Python objects, so each rule reads as the sentence in :meth:`CensoringRules.describe`.
Every function returns an :class:`Outcome`: the end date of the endpoint (day number),
whether it is an event, and the reason code.  A not-computable endpoint has ``date=nan``.
These functions are the reference statement of the rules (applied line by line in
:mod:`netstats.endpoints._reference`); :mod:`netstats.endpoints._vector` computes the same
for all lines at once and is what :func:`netstats.endpoints.line_endpoints` runs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from netstats.endpoints._rules import CensoringRules

NAN = math.nan


def _missing(x: float) -> bool:
    return math.isnan(x)


@dataclass(frozen=True)
class LineDates:
    """One therapy line as day numbers."""

    start: float
    end: float
    end_reason: str | None
    progression: float
    assessment: float


@dataclass(frozen=True)
class PatientDates:
    """One patient: follow-up dates as day numbers and the lines in line order."""

    diagnosis: float
    last_contact: float
    death: float
    lines: tuple[LineDates, ...]


@dataclass(frozen=True)
class Outcome:
    """End date (day number; NaN when not computable), event flag and reason code."""

    date: float
    event: bool
    reason: str


def _na(reason: str) -> Outcome:
    return Outcome(NAN, False, reason)


def _alive_censoring(p: PatientDates, cut: float) -> Outcome:
    """Censoring of an alive, event-free patient: last contact or the cut-off."""
    if not _missing(p.death) and p.death > cut:
        return Outcome(cut, False, "censored_cutoff")
    if _missing(p.last_contact):
        return _na("missing_last_contact")
    if p.last_contact >= cut:
        return Outcome(cut, False, "censored_cutoff")
    return Outcome(p.last_contact, False, "censored_last_contact")


def overall_survival(p: PatientDates, cut: float) -> Outcome:
    """Death from any cause; censored at last contact or the cut-off."""
    if not _missing(p.death) and p.death <= cut:
        return Outcome(p.death, True, "death")
    return _alive_censoring(p, cut)


def _start_problem(p: PatientDates, k: int, cut: float) -> str | None:
    start = p.lines[k].start
    if _missing(start):
        return "missing_start_date"
    if start > cut:
        return "starts_after_cutoff"
    return None


def _progression(line: LineDates, rules: CensoringRules) -> tuple[float, str] | None:
    """Progression date of a line and its reason; None when none; NaN date when undated."""
    if not _missing(line.progression):
        return line.progression, "progression"
    if line.end_reason == "progression":
        if rules.impute_progression_from_end_date and not _missing(line.end):
            return line.end, "progression_imputed"
        return NAN, "missing_progression_date"
    return None


def _first_progression(
    p: PatientDates, considered: range, k: int, rules: CensoringRules
) -> tuple[float, str] | None:
    """Earliest dated progression among the considered lines; NaN date: not computable."""
    first: tuple[float, str] | None = None
    for j in considered:
        prog = _progression(p.lines[j], rules)
        if prog is None:
            continue
        date, reason = prog
        if _missing(date):
            # Undated progression somewhere on line j: harmless only when an earlier dated
            # progression already decides the endpoint.
            if first is None or first[0] >= p.lines[j].start:
                return NAN, reason
            continue
        if j > k and reason == "progression":
            reason = "progression_later_line"
        if first is None or date < first[0]:
            first = (date, reason)
    return first


def progression_free(
    p: PatientDates,
    k: int,
    rules: CensoringRules,
    cut: float,
    *,
    death_window: int | None,
) -> Outcome:
    """PFS of line ``k`` (0-based) under the rules; see :meth:`CensoringRules.describe`."""
    problem = _start_problem(p, k, cut)
    if problem:
        return _na(problem)
    start = p.lines[k].start
    follow_on = not rules.censor_at_next_line
    considered = range(k, len(p.lines)) if follow_on else range(k, k + 1)

    # Follow-up ends at the cut-off, or (default rule) at the start of the next line.
    bound, next_line_bound = cut, False
    if not follow_on and k + 1 < len(p.lines):
        nxt = p.lines[k + 1].start
        if _missing(nxt):
            return _na("missing_next_start")
        if nxt <= cut:
            bound, next_line_bound = nxt, True

    first = _first_progression(p, considered, k, rules)
    if first is not None and _missing(first[0]):
        return _na(first[1])
    if first is not None and first[0] <= bound:
        return Outcome(first[0], True, first[1])

    adequate = [
        p.lines[j].assessment
        for j in considered
        if not _missing(p.lines[j].assessment)
        and p.lines[j].assessment - start >= rules.assessment_min_days
    ]
    if not _missing(p.death) and p.death <= bound:
        before = [a for a in adequate if a <= p.death]
        last = max(before) if before else start
        if death_window is None or p.death - last <= death_window:
            return Outcome(p.death, True, "death")
        if before or rules.no_assessment == "censor_at_start":
            return Outcome(last, False, "death_outside_window")
        return _na("no_assessment")

    if first is not None or any(a > bound for a in adequate):
        # Known progression-free after the bound (a later assessment without progression,
        # or progression dated after it): censored at the bound itself.
        return Outcome(bound, False, "censored_next_line" if next_line_bound else "censored_cutoff")
    within = [a for a in adequate if a <= bound]
    if within:
        reason = "censored_next_line" if next_line_bound else "censored_last_assessment"
        return Outcome(max(within), False, reason)
    if rules.no_assessment == "exclude":
        return _na("no_assessment")
    return Outcome(start, False, "no_assessment")


def pfs2(p: PatientDates, k: int, rules: CensoringRules, cut: float) -> Outcome:
    """PFS2 of line ``k``: progression on line k+1 (its PFS rules) or death, no window."""
    problem = _start_problem(p, k, cut)
    if problem:
        return _na(problem)
    if k + 1 < len(p.lines):
        nxt = p.lines[k + 1].start
        if _missing(nxt):
            return _na("missing_next_start")
        if nxt <= cut:
            return progression_free(p, k + 1, rules, cut, death_window=None)
    if not _missing(p.death) and p.death <= cut:
        return Outcome(p.death, True, "death")
    out = _alive_censoring(p, cut)
    if out.reason == "censored_last_contact":
        return Outcome(out.date, False, "censored_no_next_line")
    return out


def _line_end(p: PatientDates, line: LineDates) -> float:
    """End date of a line; a line ended by death without an end_date ends at death."""
    if _missing(line.end) and line.end_reason == "death":
        return p.death
    return line.end


def _ongoing(p: PatientDates, cut: float) -> Outcome:
    """A line still running: death ends it, otherwise censored at last contact / cut-off."""
    if not _missing(p.death) and p.death <= cut:
        return Outcome(p.death, True, "death")
    return _alive_censoring(p, cut)


def duration_of_therapy(p: PatientDates, k: int, cut: float) -> Outcome:
    """Line start to its end (any reason); ongoing lines censored."""
    problem = _start_problem(p, k, cut)
    if problem:
        return _na(problem)
    line = p.lines[k]
    end = _line_end(p, line)
    if _missing(end):
        return _ongoing(p, cut)
    if end > cut:
        return Outcome(cut, False, "censored_cutoff")
    reason = line.end_reason if line.end_reason not in (None, "ongoing") else "ended"
    return Outcome(end, True, reason)


def time_to_next_treatment(p: PatientDates, k: int, cut: float) -> Outcome:
    """Line start to the next line start or death, whichever first."""
    problem = _start_problem(p, k, cut)
    if problem:
        return _na(problem)
    if k + 1 < len(p.lines):
        nxt = p.lines[k + 1].start
        if _missing(nxt):
            return _na("missing_next_start")
        if nxt <= cut and (_missing(p.death) or nxt <= p.death):
            return Outcome(nxt, True, "next_line")
    return overall_survival(p, cut)


def time_to_treatment_failure(
    p: PatientDates, k: int, rules: CensoringRules, cut: float
) -> Outcome:
    """Line start to a stop for any reason but planned completion, or death."""
    problem = _start_problem(p, k, cut)
    if problem:
        return _na(problem)
    line = p.lines[k]
    end = _line_end(p, line)
    if _missing(end):
        return _ongoing(p, cut)
    if end > cut:
        return Outcome(cut, False, "censored_cutoff")
    reason = line.end_reason
    if reason in (None, "ongoing"):
        return _na("missing_end_reason")
    if reason != "completed":
        return Outcome(end, True, reason)
    if rules.completion == "censor":
        return Outcome(end, False, "censored_completed")
    if rules.completion == "event":
        return Outcome(end, True, "completed")
    # follow_on: progression on the line, the next line start or death.
    candidates: list[tuple[float, str]] = []
    # A completed line's progression is dated or absent (undated needs end_reason
    # "progression"), so no not-computable case arises here.
    if not _missing(line.progression):
        candidates.append((line.progression, "progression"))
    if k + 1 < len(p.lines):
        nxt = p.lines[k + 1].start
        if _missing(nxt):
            return _na("missing_next_start")
        candidates.append((nxt, "next_line"))
    if not _missing(p.death):
        candidates.append((p.death, "death"))
    # Same-day ties: progression names the failure before death before the next line.
    priority = {"progression": 0, "death": 1, "next_line": 2}
    hits = sorted((c for c in candidates if c[0] <= cut), key=lambda c: (c[0], priority[c[1]]))
    if hits:
        return Outcome(hits[0][0], True, hits[0][1])
    return _alive_censoring(p, cut)

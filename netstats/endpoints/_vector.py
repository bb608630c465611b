"""Endpoint times of every therapy line at once, as NumPy array operations.

Internal to :mod:`netstats.endpoints`.  The rules are those of
:mod:`netstats.endpoints._times`, which states them one patient and one line at a time and
stays the reference: ``tests/test_endpoints_equivalence.py`` checks on random cohorts,
under every combination of :class:`CensoringRules` options, that both give identical
dates, events and reasons.  Here each rule is a list of cases in the order the reference
tests them; :meth:`_Outcomes.case` assigns a case to the rows that no earlier case
decided, so ``if ...: return`` in the reference becomes one masked assignment over all
lines.  The follow-on PFS rule, which looks at this and every later line of the patient,
loops over the offset to the later line (at most the largest number of lines of one
patient), not over lines.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from netstats.endpoints._rules import ENDPOINTS, REASON_CODES, CensoringRules

FloatArray = np.ndarray
BoolArray = np.ndarray


@dataclass(frozen=True)
class EndpointArrays:
    """One endpoint for every line: origin and end day numbers, event flag, reason."""

    origin: FloatArray
    date: FloatArray
    event: BoolArray
    code: np.ndarray  # index of the reason in ``vocab``
    vocab: tuple[str, ...]

    @property
    def reason(self) -> np.ndarray:
        """Reason codes as an object array of str."""
        return np.array(self.vocab, dtype=object)[self.code]


@dataclass(frozen=True)
class LineArrays:
    """Therapy lines sorted by patient and line, as day numbers (NaN when missing).

    Patient dates (``death``, ``contact``, ``diagnosis``) are repeated on each line of
    the patient.  ``reason`` indexes :attr:`vocab` (-1: no end_reason); ``k`` is the
    0-based position of the line within its patient and ``after`` the number of later
    lines of the patient.
    """

    start: FloatArray
    end: FloatArray
    prog: FloatArray
    assess: FloatArray
    reason: np.ndarray
    vocab: tuple[str, ...]
    death: FloatArray
    contact: FloatArray
    diagnosis: FloatArray
    k: np.ndarray
    after: np.ndarray

    @property
    def n(self) -> int:
        return len(self.start)

    def code(self, name: str) -> int:
        return self.vocab.index(name)

    def reason_is(self, name: str) -> BoolArray:
        return self.reason == self.code(name)

    @property
    def has_next(self) -> BoolArray:
        return self.after > 0

    @property
    def next_start(self) -> FloatArray:
        """Start of the patient's next line (NaN when it is missing or there is none)."""
        out = np.full(self.n, np.nan)
        out[:-1] = self.start[1:]
        out[~self.has_next] = np.nan
        return out


def line_arrays(
    patient_index: np.ndarray,
    *,
    start: FloatArray,
    end: FloatArray,
    prog: FloatArray,
    assess: FloatArray,
    end_reason: pd.Series,
    death: FloatArray,
    contact: FloatArray,
    diagnosis: FloatArray,
) -> LineArrays:
    """Build :class:`LineArrays` from lines sorted by patient (``patient_index``: the row of
    each line's patient in the patient-level ``death``, ``contact`` and ``diagnosis``)."""
    n = len(patient_index)
    new = np.ones(n, dtype=bool)
    new[1:] = patient_index[1:] != patient_index[:-1]
    first = np.flatnonzero(new)
    sizes = np.diff(np.append(first, n))
    k = np.arange(n) - np.repeat(first, sizes)
    after = np.repeat(sizes, sizes) - k - 1
    codes, uniques = pd.factorize(end_reason.astype("object"), use_na_sentinel=True)
    vocab = list(REASON_CODES)
    for value in uniques:
        if str(value) not in vocab:
            vocab.append(str(value))
    for extra in ("ongoing", "completed", "ended"):
        if extra not in vocab:
            vocab.append(extra)
    lookup = np.array([vocab.index(str(v)) for v in uniques] + [-1], dtype=np.int32)
    reason = lookup[codes]  # code -1 (missing) picks the trailing -1
    return LineArrays(
        start=start,
        end=end,
        prog=prog,
        assess=assess,
        reason=reason,
        vocab=tuple(vocab),
        death=death[patient_index],
        contact=contact[patient_index],
        diagnosis=diagnosis[patient_index],
        k=k,
        after=after,
    )


class _Outcomes:
    """Outcome of one endpoint for every line, filled case by case."""

    def __init__(self, lines: LineArrays) -> None:
        self.lines = lines
        self.date = np.full(lines.n, np.nan)
        self.event = np.zeros(lines.n, dtype=bool)
        self.code = np.full(lines.n, -1, dtype=np.int32)
        self.done = np.zeros(lines.n, dtype=bool)

    def case(
        self,
        mask: BoolArray,
        date: FloatArray | float,
        event: BoolArray | bool,
        reason: np.ndarray | str,
    ) -> None:
        """Rows in ``mask`` not yet decided end at ``date`` with ``event`` and ``reason``."""
        m = mask & ~self.done
        if not m.any():
            return
        self.date[m] = date[m] if isinstance(date, np.ndarray) else date
        self.event[m] = event[m] if isinstance(event, np.ndarray) else event
        code = reason[m] if isinstance(reason, np.ndarray) else self.lines.code(reason)
        self.code[m] = code
        self.done |= m

    def na(self, mask: BoolArray, reason: str) -> None:
        self.case(mask, np.nan, False, reason)

    def finish(self, origin: FloatArray) -> EndpointArrays:
        if not self.done.all():  # every rule ends in a catch-all case
            raise AssertionError("endpoint rule left rows undecided")
        return EndpointArrays(origin, self.date, self.event, self.code, self.lines.vocab)


def _start_problem(out: _Outcomes, cut: float) -> None:
    start = out.lines.start
    out.na(np.isnan(start), "missing_start_date")
    out.na(start > cut, "starts_after_cutoff")


def _alive_censoring(out: _Outcomes, cut: float, last_contact: str) -> None:
    x = out.lines
    out.case(~np.isnan(x.death) & (x.death > cut), cut, False, "censored_cutoff")
    out.na(np.isnan(x.contact), "missing_last_contact")
    out.case(x.contact >= cut, cut, False, "censored_cutoff")
    out.case(np.ones(x.n, dtype=bool), x.contact, False, last_contact)


def _overall_survival(out: _Outcomes, cut: float) -> None:
    x = out.lines
    out.case(~np.isnan(x.death) & (x.death <= cut), x.death, True, "death")
    _alive_censoring(out, cut, "censored_last_contact")


def _os_from_diagnosis(x: LineArrays, cut: float) -> EndpointArrays:
    out = _Outcomes(x)
    out.na(np.isnan(x.diagnosis), "missing_diagnosis_date")
    out.na(x.diagnosis > cut, "diagnosis_after_cutoff")
    _overall_survival(out, cut)
    return out.finish(x.diagnosis)


def _os_from_start(x: LineArrays, cut: float) -> EndpointArrays:
    out = _Outcomes(x)
    _start_problem(out, cut)
    _overall_survival(out, cut)
    return out.finish(x.start)


def _next_line_missing(out: _Outcomes) -> None:
    x = out.lines
    out.na(x.has_next & np.isnan(x.next_start), "missing_next_start")


def _time_to_next_treatment(x: LineArrays, cut: float) -> EndpointArrays:
    out = _Outcomes(x)
    _start_problem(out, cut)
    _next_line_missing(out)
    nxt = x.next_start
    taken = x.has_next & (nxt <= cut) & (np.isnan(x.death) | (nxt <= x.death))
    out.case(taken, nxt, True, "next_line")
    _overall_survival(out, cut)
    return out.finish(x.start)


def _line_end(x: LineArrays) -> FloatArray:
    """End of each line; a line ended by death without an end_date ends at death."""
    return np.where(np.isnan(x.end) & x.reason_is("death"), x.death, x.end)


def _ongoing_or_past_cutoff(out: _Outcomes, end: FloatArray, cut: float) -> None:
    """Lines still running (death ends them, else censored) and lines ending after ``cut``."""
    x = out.lines
    running = np.isnan(end)
    out.case(running & ~np.isnan(x.death) & (x.death <= cut), x.death, True, "death")
    sub = _Outcomes(x)
    _alive_censoring(sub, cut, "censored_last_contact")
    out.case(running, sub.date, sub.event, sub.code)
    out.case(end > cut, cut, False, "censored_cutoff")


def _duration_of_therapy(x: LineArrays, cut: float) -> EndpointArrays:
    out = _Outcomes(x)
    _start_problem(out, cut)
    end = _line_end(x)
    _ongoing_or_past_cutoff(out, end, cut)
    unnamed = (x.reason < 0) | x.reason_is("ongoing")
    out.case(np.ones(x.n, dtype=bool), end, True, np.where(unnamed, x.code("ended"), x.reason))
    return out.finish(x.start)


def _time_to_treatment_failure(x: LineArrays, rules: CensoringRules, cut: float) -> EndpointArrays:
    out = _Outcomes(x)
    _start_problem(out, cut)
    end = _line_end(x)
    _ongoing_or_past_cutoff(out, end, cut)
    out.na((x.reason < 0) | x.reason_is("ongoing"), "missing_end_reason")
    out.case(~x.reason_is("completed"), end, True, x.reason)
    if rules.completion == "censor":
        out.case(np.ones(x.n, dtype=bool), end, False, "censored_completed")
    elif rules.completion == "event":
        out.case(np.ones(x.n, dtype=bool), end, True, "completed")
    else:
        # follow_on: first of progression on the line, death, next line start (same-day
        # ties in that order of priority).
        _next_line_missing(out)
        best = np.full(x.n, np.inf)
        code = np.full(x.n, -1, dtype=np.int32)
        for date, name in (
            (x.prog, "progression"),
            (x.death, "death"),
            (x.next_start, "next_line"),
        ):
            hit = ~np.isnan(date) & (date <= cut) & (date < best)
            best[hit] = date[hit]
            code[hit] = x.code(name)
        out.case(code >= 0, best, True, code)
        _alive_censoring(out, cut, "censored_last_contact")
    return out.finish(x.start)


def _line_progression(x: LineArrays, rules: CensoringRules) -> tuple[FloatArray, np.ndarray]:
    """Progression date and reason code of each line (code -1: none; NaN date: undated)."""
    dated = ~np.isnan(x.prog)
    by_reason = ~dated & x.reason_is("progression")
    date = np.where(dated, x.prog, np.nan)
    code = np.where(dated, x.code("progression"), -1).astype(np.int32)
    if rules.impute_progression_from_end_date:
        imputed = by_reason & ~np.isnan(x.end)
        date[imputed] = x.end[imputed]
        code[imputed] = x.code("progression_imputed")
        by_reason &= ~imputed
    code[by_reason] = x.code("missing_progression_date")
    return date, code


def _progression_free(
    x: LineArrays, rules: CensoringRules, cut: float, death_window: int | None
) -> EndpointArrays:
    """PFS of every line (see ``progression_free`` in :mod:`netstats.endpoints._times`)."""
    out = _Outcomes(x)
    _start_problem(out, cut)
    start, death = x.start, x.death
    follow_on = not rules.censor_at_next_line
    bound = np.full(x.n, cut)
    next_bound = np.zeros(x.n, dtype=bool)
    if not follow_on:
        _next_line_missing(out)
        nxt = x.next_start
        next_bound = x.has_next & (nxt <= cut)
        bound[next_bound] = nxt[next_bound]

    # Walk over this line (offset 0) and, under follow-on, every later line of the patient.
    prog_date, prog_code = _line_progression(x, rules)
    has_first = np.zeros(x.n, dtype=bool)
    first = np.full(x.n, np.nan)
    first_code = np.full(x.n, -1, dtype=np.int32)
    undated = np.zeros(x.n, dtype=bool)
    dead = ~np.isnan(death) & (death <= bound)
    last_before_death = np.full(x.n, -np.inf)  # latest adequate assessment <= death
    any_beyond = np.zeros(x.n, dtype=bool)  # an adequate assessment after the bound
    last_within = np.full(x.n, -np.inf)  # latest adequate assessment <= bound
    later = x.code("progression_later_line")
    offsets = int(x.after.max(initial=0)) + 1 if follow_on else 1
    for d in range(offsets):
        rows = np.flatnonzero(x.after >= d)
        j = rows + d
        p_date, p_code = prog_date[j], prog_code[j]
        # An undated progression on line j is not computable unless an earlier dated
        # progression (before line j's start) already decides the endpoint.
        hit_undated = (
            (p_code >= 0)
            & np.isnan(p_date)
            & ~undated[rows]
            & (~has_first[rows] | (first[rows] >= x.start[j]))
        )
        undated[rows[hit_undated]] = True
        dated = (p_code >= 0) & ~np.isnan(p_date)
        better = dated & (~has_first[rows] | (p_date < first[rows])) & ~undated[rows]
        upd = rows[better]
        first[upd] = p_date[better]
        code = p_code[better]
        if d > 0:
            code = np.where(code == x.code("progression"), later, code)
        first_code[upd] = code
        has_first[upd] = True

        a = x.assess[j]
        adequate = ~np.isnan(a) & (a - start[rows] >= rules.assessment_min_days)
        sel = adequate & dead[rows] & (a <= death[rows])
        _set_max(last_before_death, rows[sel], a[sel])
        any_beyond[rows[adequate & (a > bound[rows])]] = True
        sel = adequate & (a <= bound[rows])
        _set_max(last_within, rows[sel], a[sel])

    out.na(undated, "missing_progression_date")
    out.case(has_first & (first <= bound), first, True, first_code)

    has_before = np.isfinite(last_before_death)
    last = np.where(has_before, last_before_death, start)
    in_window = np.ones(x.n, dtype=bool) if death_window is None else death - last <= death_window
    out.case(dead & in_window, death, True, "death")
    censor_at_start = rules.no_assessment == "censor_at_start"
    out.case(dead & (has_before | censor_at_start), last, False, "death_outside_window")
    out.na(dead, "no_assessment")

    beyond = has_first | any_beyond
    next_code = x.code("censored_next_line")
    reason = np.where(next_bound, next_code, x.code("censored_cutoff"))
    out.case(beyond, bound, False, reason)
    reason = np.where(next_bound, next_code, x.code("censored_last_assessment"))
    out.case(np.isfinite(last_within), last_within, False, reason)
    everyone = np.ones(x.n, dtype=bool)
    if censor_at_start:
        out.case(everyone, start, False, "no_assessment")
    else:
        out.na(everyone, "no_assessment")
    return out.finish(start)


def _set_max(target: FloatArray, rows: np.ndarray, values: FloatArray) -> None:
    """``target[rows] = max(target[rows], values)`` for distinct ``rows``."""
    target[rows] = np.maximum(target[rows], values)


def _pfs2(
    x: LineArrays, rules: CensoringRules, cut: float, next_pfs: EndpointArrays
) -> EndpointArrays:
    """PFS2: the next line's PFS without death window, else death or censoring."""
    out = _Outcomes(x)
    _start_problem(out, cut)
    _next_line_missing(out)
    taken = x.has_next & (x.next_start <= cut)
    shifted_date = np.full(x.n, np.nan)
    shifted_date[:-1] = next_pfs.date[1:]
    shifted_event = np.zeros(x.n, dtype=bool)
    shifted_event[:-1] = next_pfs.event[1:]
    shifted_code = np.full(x.n, -1, dtype=np.int32)
    shifted_code[:-1] = next_pfs.code[1:]
    out.case(taken, shifted_date, shifted_event, shifted_code)
    out.case(~np.isnan(x.death) & (x.death <= cut), x.death, True, "death")
    _alive_censoring(out, cut, "censored_no_next_line")
    return out.finish(x.start)


def endpoint_arrays(x: LineArrays, rules: CensoringRules, cut: float) -> dict[str, EndpointArrays]:
    """Every endpoint of :data:`ENDPOINTS` for every line of ``x`` (``cut``: cut-off day
    number, ``inf`` for none)."""
    pfs = _progression_free(x, rules, cut, rules.death_window_days)
    pfs_no_window = (
        pfs if rules.death_window_days is None else _progression_free(x, rules, cut, None)
    )
    out = {
        "os_dx": _os_from_diagnosis(x, cut),
        "os": _os_from_start(x, cut),
        "pfs": pfs,
        "ttf": _time_to_treatment_failure(x, rules, cut),
        "ttnt": _time_to_next_treatment(x, cut),
        "dot": _duration_of_therapy(x, cut),
        "pfs2": _pfs2(x, rules, cut, pfs_no_window),
    }
    assert list(out) == list(ENDPOINTS)
    return out

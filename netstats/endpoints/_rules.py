"""The censoring rules of :mod:`netstats.endpoints` and the reason codes they produce.

Kept apart from the computation so the text a report prints (:meth:`CensoringRules.describe`)
and the code that applies the rules read from the same fields.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, fields
from typing import Literal

__all__ = ["ENDPOINTS", "REASON_CODES", "CensoringRules"]

ENDPOINTS: dict[str, str] = {
    "os_dx": "overall survival from diagnosis",
    "os": "overall survival from the line start",
    "pfs": "progression-free survival of the line",
    "ttf": "time to treatment failure",
    "ttnt": "time to next treatment or death",
    "dot": "duration of therapy",
    "pfs2": "progression-free survival 2 (from this line's start to progression on the next "
    "line or death)",
}
"""Endpoint prefixes of the :func:`netstats.endpoints.line_endpoints` columns."""

REASON_CODES: dict[str, str] = {
    # events
    "progression": "event: radiological progression on the line (PFS; for PFS2 the next line); "
    "for TTF and DoT, the line stopped because of progression",
    "progression_later_line": "event (follow-on rule): first progression recorded on a later line",
    "progression_imputed": "event: end_reason is 'progression' without a progression_date; "
    "the line's end_date is used (rule impute_progression_from_end_date)",
    "death": "event: death (for PFS only within the death window after the last adequate "
    "assessment)",
    "next_line": "event: the next line started (TTNT; TTF after a planned completion under "
    "the follow-on rule)",
    "toxicity": "event: the line stopped for toxicity (TTF, DoT)",
    "patient_choice": "event: the line stopped at the patient's choice (TTF, DoT)",
    "other": "event: the line stopped for another recorded reason (TTF, DoT)",
    "completed": "event: planned completion (DoT always; TTF only under completion='event')",
    "ended": "event: the line has an end_date but no end_reason (DoT)",
    # censoring
    "censored_last_assessment": "censored at the last adequate assessment without "
    "progression (no new line, no death in the window)",
    "censored_next_line": "censored because a new line started before progression: at the "
    "last adequate assessment on or before its start, or at its start when an assessment "
    "after it still showed no progression",
    "death_outside_window": "censored at the last adequate assessment (or the line start): "
    "death came more than the death window after it",
    "censored_completed": "censored at the planned completion of the line (TTF, "
    "completion='censor')",
    "censored_last_contact": "censored at the last contact, alive and event-free",
    "censored_no_next_line": "PFS2: no next line was started; censored at the last contact",
    "censored_cutoff": "censored at the data cut-off, known event-free then",
    "no_assessment": "no adequate assessment and no event: censored at the line start "
    "(time 0), or NA under no_assessment='exclude'",
    # not computable (time, event NA; recorded in the attrition log)
    "missing_start_date": "not computable: the line has no start_date",
    "missing_next_start": "not computable: the next line has no start_date",
    "missing_last_contact": "not computable: the patient has no last_contact_date",
    "missing_diagnosis_date": "not computable: the patient has no diagnosis_date",
    "missing_progression_date": "not computable: end_reason is 'progression' but the "
    "progression_date is missing (see impute_progression_from_end_date)",
    "missing_end_reason": "not computable: the line has an end_date but no end_reason, so a "
    "planned completion cannot be told from a failure (TTF)",
    "starts_after_cutoff": "not computable: the line starts after the data cut-off",
    "diagnosis_after_cutoff": "not computable: diagnosis after the data cut-off",
}
"""Every value of a ``<endpoint>_reason`` column, with its meaning."""

NOT_COMPUTABLE = frozenset(
    {
        "missing_start_date",
        "missing_next_start",
        "missing_last_contact",
        "missing_diagnosis_date",
        "missing_progression_date",
        "missing_end_reason",
        "starts_after_cutoff",
        "diagnosis_after_cutoff",
    }
)


@dataclass(frozen=True)
class CensoringRules:
    """Written rules that turn dated therapy lines into time-to-event endpoints.

    Parameters
    ----------
    death_window_days : int or None, default=120
        PFS counts a death without documented progression as an event only when it occurs
        within this many days after the last adequate assessment (or after the line start
        when there is none); a later death censors PFS at that assessment
        (``death_outside_window``).  ``None`` counts every death.  120 days is about two
        missed 8-weekly assessments (FDA 2018 guidance).
    censor_at_next_line : bool, default=True
        When a new line starts before progression, censor PFS at the last adequate
        assessment on or before the new line start.  ``False`` follows the patient on: the
        event is the first progression recorded on this or any later line, or death.
        Stops for toxicity, patient choice or any other reason without progression follow
        the same rule (they censor only when a new line starts).
    assessment_min_days : int, default=1
        The line's ``last_assessment_date`` counts as an adequate on-treatment assessment
        only when it lies at least this many days after the line start; an earlier date is
        the baseline scan.
    no_assessment : {"censor_at_start", "exclude"}, default="censor_at_start"
        PFS of a line without any adequate assessment and without an event:
        ``"censor_at_start"`` censors it at day 0 (FDA 2018 guidance);
        ``"exclude"`` makes it NA and records it in the attrition log.
    completion : {"censor", "event", "follow_on"}, default="censor"
        Time to treatment failure at a planned completion (end_reason ``"completed"``, e.g.
        PRRT after four cycles): ``"censor"`` censors at the end of the line;
        ``"event"`` counts it as a failure; ``"follow_on"`` keeps following to progression
        on the line, the next line start or death.
    impute_progression_from_end_date : bool, default=False
        When end_reason is ``"progression"`` but progression_date is missing, use the
        line's end_date as the progression date (reason ``progression_imputed``); when
        ``False`` the line's PFS is NA and recorded in the attrition log.

    Notes
    -----
    The rules not set here are fixed and written in :meth:`describe`: OS and TTNT count
    every death; PFS2 counts every death (EMA 2012 guidance) and otherwise follows the next
    line's PFS rules; events on the data cut-off date count, later ones do not.

    References
    ----------
    .. [1] U.S. Food and Drug Administration. Clinical Trial Endpoints for the Approval of
       Cancer Drugs and Biologics. Guidance for Industry, December 2018 (censoring table).
    .. [2] European Medicines Agency. Guideline on the evaluation of anticancer medicinal
       products in man, EMA/CHMP/205/95/Rev.4, appendix 1 (PFS2), 2012.

    Examples
    --------
    >>> rules = CensoringRules(censor_at_next_line=False)
    >>> rules.death_window_days
    120
    >>> print(rules.describe().splitlines()[0])
    Censoring rules for endpoints by line of therapy (netstats CensoringRules)
    """

    death_window_days: int | None = 120
    censor_at_next_line: bool = True
    assessment_min_days: int = 1
    no_assessment: Literal["censor_at_start", "exclude"] = "censor_at_start"
    completion: Literal["censor", "event", "follow_on"] = "censor"
    impute_progression_from_end_date: bool = False

    def __post_init__(self) -> None:
        w = self.death_window_days
        if w is not None and (isinstance(w, bool) or not isinstance(w, int)):
            raise TypeError(f"death_window_days must be an int or None, got {w!r}")
        if w is not None and w < 0:
            raise ValueError(f"death_window_days must be >= 0, got {w}")
        m = self.assessment_min_days
        if isinstance(m, bool) or not isinstance(m, int):
            raise TypeError(f"assessment_min_days must be an int, got {m!r}")
        if m < 0:
            raise ValueError(f"assessment_min_days must be >= 0, got {m}")
        for name in ("censor_at_next_line", "impute_progression_from_end_date"):
            if not isinstance(getattr(self, name), bool):
                raise TypeError(f"{name} must be True or False, got {getattr(self, name)!r}")
        if self.no_assessment not in ("censor_at_start", "exclude"):
            raise ValueError(
                f"no_assessment must be 'censor_at_start' or 'exclude', got {self.no_assessment!r}"
            )
        if self.completion not in ("censor", "event", "follow_on"):
            raise ValueError(
                f"completion must be 'censor', 'event' or 'follow_on', got {self.completion!r}"
            )

    def describe(self) -> str:
        """Return the rules as plain text, for reports to print verbatim.

        Returns
        -------
        str
            One paragraph per endpoint, the parameter values and their meaning.
        """
        w = self.death_window_days
        window = (
            "at any time" if w is None else f"within {w} days after the last adequate assessment"
        )
        if self.censor_at_next_line:
            next_line = (
                "A new line started before progression censors PFS at the last adequate "
                "assessment on or before the new line start (at the new line start when the "
                "line's last assessment, after it, still showed no progression, or its "
                "progression is dated after it)."
            )
        else:
            next_line = (
                "A new line started before progression does not censor PFS: the patient is "
                "followed on to the first progression recorded on this or any later line, or "
                "death."
            )
        no_assess = (
            "censored at the line start (time 0)"
            if self.no_assessment == "censor_at_start"
            else "NA and listed in the attrition log"
        )
        completion = {
            "censor": "censors TTF at the end of the line",
            "event": "counts as a treatment failure",
            "follow_on": "does not end TTF: it runs on to progression on the line, the next "
            "line start or death",
        }[self.completion]
        impute = (
            "its end_date is used as the progression date"
            if self.impute_progression_from_end_date
            else "its PFS is NA and listed in the attrition log"
        )
        paragraphs = [
            "Times run from the line start (OS from diagnosis: from the diagnosis date) and "
            "are reported in days and in months of 30.4375 days. With a data cut-off, events "
            "after it are ignored and patients known event-free at it are censored there.",
            "OS: death from any cause; alive patients are censored at the last contact.",
            f"PFS: radiological progression on the line, or death {window} (or after the "
            "line start when there is none); a later death censors PFS at that assessment. "
            "Without progression or death PFS is censored at the last adequate assessment. "
            f"{next_line} Stops for toxicity, patient choice or other reasons without "
            "progression follow the same rule.",
            f"Adequate assessment: the line's last_assessment_date when it lies at least "
            f"{self.assessment_min_days} day(s) after the line start (earlier: the baseline "
            f"scan). A line with neither an adequate assessment nor an event is {no_assess}. "
            f"A line that stopped for progression without a progression_date: {impute}.",
            "TTF: the line stops for any reason (progression, toxicity, patient choice, "
            f"other) or the patient dies; a planned completion {completion}. A stop without "
            "end_reason makes TTF NA.",
            "TTNT: the start of the next line or death, whichever comes first.",
            "DoT: line start to end_date (any end reason, or death while on treatment); "
            "ongoing lines are censored at the last contact.",
            "PFS2: from this line's start to progression on the next line or death from any "
            "cause (no death window); the next line's follow-up uses the PFS rules above. "
            "Without a next line, death is an event and survivors are censored at the last "
            "contact.",
        ]
        params = ", ".join(f"{f.name}={getattr(self, f.name)!r}" for f in fields(self))
        body = "\n".join(
            textwrap.fill(p, width=92, initial_indent="- ", subsequent_indent="  ")
            for p in paragraphs
        )
        return (
            "Censoring rules for endpoints by line of therapy (netstats CensoringRules)\n"
            f"{body}\nParameters: {params}"
        )

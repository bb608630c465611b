"""Endpoints by line of therapy: OS, PFS, TTF, TTNT, DoT and PFS2 from the raw dates.

:func:`line_endpoints` turns a cohort's dated therapy lines into one row per patient x
line with, for every endpoint, the time in days and months, an event flag and a reason
code, under written :class:`CensoringRules`.  The same table carries what was known at
each line start (prior regimens, Ki-67, WHO grade, SSTR status), so models can use it
without look-ahead.  The definitions are in ``docs/endpoints.md``.
"""

from __future__ import annotations

import datetime as _dt

import numpy as np
import pandas as pd

from netstats.cohort import Cohort
from netstats.endpoints._course import EVENT_KINDS, course_events, course_lines
from netstats.endpoints._features import as_datetime, line_features
from netstats.endpoints._rules import ENDPOINTS, REASON_CODES, CensoringRules
from netstats.endpoints._vector import EndpointArrays, LineArrays, endpoint_arrays, line_arrays
from netstats.exceptions import SchemaError
from netstats.schema import DAYS_PER_MONTH

__all__ = [
    "ENDPOINTS",
    "EVENT_KINDS",
    "REASON_CODES",
    "CensoringRules",
    "course_events",
    "course_lines",
    "endpoint_columns",
    "line_endpoints",
]

ANALYSIS = "line_endpoints"

LINE_COLUMNS = [
    "patient_id",
    "line",
    "regimen",
    "drug_class",
    "start_date",
    "end_date",
    "end_reason",
    "best_response",
]

_EPOCH = np.datetime64("1970-01-01", "D")


def endpoint_columns(endpoint: str) -> list[str]:
    """The four columns of one endpoint: ``<ep>_days``, ``_months``, ``_event``, ``_reason``.

    Examples
    --------
    >>> endpoint_columns("pfs")
    ['pfs_days', 'pfs_months', 'pfs_event', 'pfs_reason']
    """
    if endpoint not in ENDPOINTS:
        raise ValueError(f"unknown endpoint {endpoint!r}; expected one of {list(ENDPOINTS)}")
    return [f"{endpoint}_{s}" for s in ("days", "months", "event", "reason")]


def _days(values: pd.Series) -> np.ndarray:
    """Dates as float day numbers since 1970-01-01 (NaN when missing)."""
    dates = as_datetime(values)
    out = (dates.to_numpy().astype("datetime64[D]") - _EPOCH).astype("float64")
    out[dates.isna().to_numpy()] = np.nan
    return out


def _cutoff_day(data_cutoff: object) -> float:
    if data_cutoff is None:
        return np.inf
    if not isinstance(data_cutoff, str | _dt.date | pd.Timestamp | np.datetime64):
        raise TypeError(
            f"data_cutoff must be a date, Timestamp or ISO date string, got "
            f"{type(data_cutoff).__name__}"
        )
    try:
        stamp = pd.Timestamp(data_cutoff)
    except ValueError as exc:
        raise ValueError(f"data_cutoff {data_cutoff!r} is not a date") from exc
    if pd.isna(stamp):
        raise ValueError("data_cutoff must not be missing; pass None for no cut-off")
    return float((np.datetime64(stamp.normalize().date(), "D") - _EPOCH).astype("float64"))


def _line_arrays(lines: pd.DataFrame, patients: pd.DataFrame) -> LineArrays:
    """Dates of ``lines`` (sorted by patient and line) and of their patients as arrays."""
    pat = patients.drop_duplicates("patient_id")
    index = pd.Index(pat["patient_id"]).get_indexer(lines["patient_id"])
    return line_arrays(
        index,
        start=_days(lines["start_date"]),
        end=_days(lines["end_date"]),
        prog=_days(lines["progression_date"]),
        assess=_days(lines["last_assessment_date"]),
        end_reason=lines["end_reason"],
        death=_days(pat["death_date"]),
        contact=_days(pat["last_contact_date"]),
        diagnosis=_days(pat["diagnosis_date"]),
    )


def _endpoint_frame(ep: str, res: EndpointArrays, index: pd.Index) -> pd.DataFrame:
    days = res.date - res.origin
    event = pd.array(res.event, dtype="boolean")
    event[np.isnan(days)] = pd.NA
    cols = endpoint_columns(ep)
    return pd.DataFrame(
        {
            cols[0]: days,
            cols[1]: days / DAYS_PER_MONTH,
            cols[2]: event,
            cols[3]: pd.array(res.reason, dtype="string"),
        },
        index=index,
    )


def _check_keys(cohort: Cohort) -> None:
    """Keys the computation relies on (a validated cohort always satisfies them)."""
    lines, patients = cohort.therapy_lines, cohort.patients
    problems = []
    if lines["patient_id"].isna().any() or lines["line"].isna().any():
        problems.append("therapy_lines has rows without patient_id or line")
    dup = lines.duplicated(["patient_id", "line"], keep=False) & lines["line"].notna()
    if dup.any():
        problems.append(
            f"therapy_lines has {int(dup.sum())} rows with a duplicated patient_id + line"
        )
    known = lines["patient_id"].isin(patients["patient_id"].dropna()) | lines["patient_id"].isna()
    unknown = sorted(set(lines.loc[~known, "patient_id"]))
    if unknown:
        problems.append(f"therapy_lines patient_id(s) {unknown[:5]} have no row in patients")
    if problems:
        raise SchemaError(
            "line_endpoints needs a valid cohort (build it with Cohort.from_tables): "
            + "; ".join(problems)
        )


def _record_attrition(cohort: Cohort, frame: pd.DataFrame) -> None:
    n = len(frame)
    for ep in ENDPOINTS:
        days, _, _, reason = endpoint_columns(ep)
        missing = frame.loc[frame[days].isna(), reason]
        if missing.empty:
            continue
        for code, count in missing.value_counts(sort=False).sort_index().items():
            cohort.attrition.record(
                ANALYSIS,
                f"{code}: {REASON_CODES[str(code)]}",
                n_before=n,
                n_excluded=int(count),
                table="therapy_lines",
                step=f"{ep} ({ENDPOINTS[ep]})",
            )


def line_endpoints(
    cohort: Cohort,
    *,
    rules: CensoringRules | None = None,
    data_cutoff: str | _dt.date | pd.Timestamp | None = None,
) -> pd.DataFrame:
    """One row per patient x line: features at the line start and every endpoint.

    Parameters
    ----------
    cohort : Cohort
        A validated cohort (:meth:`netstats.Cohort.from_tables`, :func:`netstats.load_cohort`).
        Lines whose endpoints cannot be computed are recorded in ``cohort.attrition``.
    rules : CensoringRules, default=CensoringRules()
        The censoring rules; ``rules.describe()`` is their text for reports.
    data_cutoff : date, Timestamp or ISO string, optional
        Analysis date: events after it are ignored and patients known event-free at it are
        censored there (reason ``censored_cutoff``).  ``None`` uses all recorded follow-up.

    Returns
    -------
    pandas.DataFrame
        One row per therapy line, sorted by ``patient_id`` and ``line`` (RangeIndex):

        - ``patient_id`` (str), ``line`` (int), ``regimen``, ``drug_class``,
          ``start_date``, ``end_date``, ``end_reason``, ``best_response``: from the
          therapy_lines table, as recorded (not truncated at ``data_cutoff``);
        - ``prior_regimens``, ``prior_drug_classes`` (str, ``"; "``-separated in line order,
          empty for line 1) and ``n_prior_lines`` (int);
        - ``months_since_diagnosis`` (months) and ``age_at_line_start`` (years: from
          birth_date, else age_at_diagnosis plus the time since diagnosis);
        - ``ki67_percent`` (%) and ``ki67_sample_date``: highest Ki-67 of the latest
          specimen date on or before the line start;
        - ``who_grade`` (``G1``, ``G2``, ``G3`` or ``NEC``) and ``grade_sample_date``:
          WHO 2019 grade of the latest gradable specimen date on or before the start
          (highest grade on that date);
        - ``krenning_score`` (0-4), ``sstr_positive`` (Krenning >= 3), ``sstr_tracer``,
          ``sstr_scan_date``: latest SSTR scan with a Krenning score on or before the start;
        - for each endpoint ``<ep>`` in ``os_dx`` (from diagnosis), ``os`` (from the line
          start), ``pfs``, ``ttf``, ``ttnt``, ``dot`` and ``pfs2``: ``<ep>_days`` (days,
          float), ``<ep>_months`` (days / 30.4375), ``<ep>_event`` (nullable bool) and
          ``<ep>_reason`` (a code of :data:`REASON_CODES`).  Times and events are NA when
          the endpoint cannot be computed; the reason then says why.

    Raises
    ------
    TypeError
        If ``cohort`` is not a :class:`~netstats.Cohort`, ``rules`` not a
        :class:`CensoringRules` or ``data_cutoff`` not a date.
    ValueError
        If ``data_cutoff`` cannot be read as a date.
    SchemaError
        If therapy lines lack a patient_id or line number, repeat a patient_id + line, or
        name a patient missing from the patients table (only possible when the cohort was
        built without validation).

    Notes
    -----
    The rules are written out by :meth:`CensoringRules.describe` and in
    ``docs/endpoints.md``.  In short: PFS counts progression on the line and death within
    the death window after the last adequate assessment; a new line before progression
    censors at the last adequate assessment before it (or follows on); TTF counts every
    stop but a planned completion (and death); TTNT counts the next line start or death;
    DoT runs to the end of the line; PFS2 runs to progression on the next line or death.
    Rows are never dropped: a line without a computable endpoint keeps its row with NA
    time and event, and the count per reason goes to ``cohort.attrition``.  Patients
    without any therapy line have no row and are counted there too.  The input tables
    are not modified.

    References
    ----------
    .. [1] U.S. Food and Drug Administration. Clinical Trial Endpoints for the Approval of
       Cancer Drugs and Biologics. Guidance for Industry, 2018.
    .. [2] European Medicines Agency. Guideline on the evaluation of anticancer medicinal
       products in man, EMA/CHMP/205/95/Rev.4, appendix 1, 2012.
    .. [3] WHO Classification of Tumours Editorial Board. Digestive System Tumours, 5th ed.
       Lyon: IARC, 2019 (grading of neuroendocrine neoplasms).

    Examples
    --------
    >>> import netstats as ns
    >>> cohort = ns.load_cohort("tests/data/minimal")
    >>> lines = line_endpoints(cohort)
    >>> row = lines.iloc[0]
    >>> row["regimen"], float(row["pfs_days"]), bool(row["pfs_event"]), row["pfs_reason"]
    ('octreotide LAR + TACE', 1110.0, True, 'progression')
    >>> print(CensoringRules().describe().splitlines()[0])
    Censoring rules for endpoints by line of therapy (netstats CensoringRules)
    """
    if not isinstance(cohort, Cohort):
        raise TypeError(f"cohort must be a netstats Cohort, got {type(cohort).__name__}")
    rules = CensoringRules() if rules is None else rules
    if not isinstance(rules, CensoringRules):
        raise TypeError(f"rules must be a CensoringRules, got {type(rules).__name__}")
    cut = _cutoff_day(data_cutoff)
    _check_keys(cohort)

    lines = cohort.therapy_lines.sort_values(
        ["patient_id", "line"], kind="mergesort", na_position="last"
    ).reset_index(drop=True)
    base = lines[LINE_COLUMNS].copy()
    features = line_features(lines, cohort.patients, cohort.pathology, cohort.imaging)
    results = endpoint_arrays(_line_arrays(lines, cohort.patients), rules, cut)
    frame = pd.concat(
        [base, features, *(_endpoint_frame(ep, results[ep], lines.index) for ep in ENDPOINTS)],
        axis=1,
    )
    _record_attrition(cohort, frame)
    without = int((~cohort.patients["patient_id"].isin(lines["patient_id"])).sum())
    if without:
        cohort.attrition.record(
            ANALYSIS,
            "patient has no therapy line (no row in the patient x line table)",
            n_before=len(cohort.patients),
            n_excluded=without,
            table="patients",
            step="patients without lines",
        )
    return frame

"""Each patient's course as a tidy table of events, in months from diagnosis.

The tables a case series is read from: :func:`course_events` (one row per diagnosis,
specimen, scan, therapy line, progression, death or last contact) and :func:`course_lines`
(one row per therapy line with its start, end and PFS relative to diagnosis).  Nothing
here draws; :func:`netstats.plots.patient_timeline` and :func:`netstats.plots.trajectory`
draw these tables.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from netstats.cohort import Cohort
from netstats.cohort._who import who_grade
from netstats.exceptions import SchemaError
from netstats.schema import DAYS_PER_MONTH

__all__ = ["EVENT_KINDS", "course_events", "course_lines"]

#: Kinds of event in :func:`course_events`, in the order events on the same day are listed.
EVENT_KINDS: tuple[str, ...] = (
    "diagnosis",
    "specimen",
    "scan",
    "line",
    "progression",
    "death",
    "last_contact",
)

_COLUMNS = [
    "patient_id",
    "event",
    "months",
    "end_months",
    "ongoing",
    "label",
    "line",
    "regimen",
    "drug_class",
    "end_reason",
    "best_response",
    "cycles",
    "tracer",
    "krenning_score",
    "suvmax_lesion",
    "fdg_avid",
    "site",
    "specimen_type",
    "ki67_percent",
    "mitoses_per_2mm2",
    "who_grade",
]


def _select(cohort: object, patients: Sequence[str] | None) -> tuple[Cohort, list[str]]:
    if not isinstance(cohort, Cohort):
        raise TypeError(f"expected a netstats Cohort, got {type(cohort).__name__}")
    known = cohort.patients["patient_id"].astype(str).tolist()
    if patients is None:
        return cohort, known
    if isinstance(patients, str):
        raise TypeError("patients must be a sequence of patient ids, not a single string")
    wanted = [str(p) for p in patients]
    unknown = [p for p in wanted if p not in known]
    if unknown:
        raise ValueError(f"patient(s) {unknown} are not in the cohort")
    return cohort, [p for p in known if p in wanted]


def _diagnosis(cohort: Cohort, ids: list[str]) -> pd.Series:
    pts = cohort.patients.assign(patient_id=cohort.patients["patient_id"].astype(str))
    dx = pts.set_index("patient_id")["diagnosis_date"].reindex(ids)
    missing = dx.index[dx.isna()].tolist()
    if missing:
        raise ValueError(
            f"patient(s) {missing} have no diagnosis_date: times from diagnosis are undefined"
        )
    return dx


def _months(dates: pd.Series, patient_ids: pd.Series, dx: pd.Series) -> np.ndarray:
    origin = dx.reindex(patient_ids.astype(str)).to_numpy()
    days = (pd.to_datetime(dates).to_numpy() - origin) / np.timedelta64(1, "D")
    return np.asarray(days, dtype="float64") / DAYS_PER_MONTH


def _of(frame: pd.DataFrame, ids: list[str]) -> pd.DataFrame:
    return frame[frame["patient_id"].astype(str).isin(ids)].assign(
        patient_id=lambda f: f["patient_id"].astype(str)
    )


def _uptake_label(row: pd.Series) -> str:
    parts = [str(row["tracer"])]
    if not pd.isna(row["krenning_score"]):
        parts.append(f"Krenning {int(row['krenning_score'])}")
    if not pd.isna(row["suvmax_lesion"]):
        parts.append(f"SUVmax {row['suvmax_lesion']:g}")
    if not pd.isna(row["fdg_avid"]) and pd.isna(row["suvmax_lesion"]):
        parts.append("FDG-avid" if bool(row["fdg_avid"]) else "not FDG-avid")
    if len(parts) == 1:
        parts.append("no uptake value")
    return ", ".join(parts)


def course_events(cohort: Cohort, *, patients: Sequence[str] | None = None) -> pd.DataFrame:
    """One row per event of each patient's course, in months from diagnosis.

    Parameters
    ----------
    cohort : Cohort
        A validated :class:`netstats.Cohort`; never modified.
    patients : sequence of str, optional
        Patient ids to include (in the cohort's order); all patients when ``None``.

    Returns
    -------
    pandas.DataFrame
        Columns ``patient_id``, ``event`` (one of :data:`EVENT_KINDS`), ``months`` (time of
        the event, or start of a line, in months of 30.4375 days from the diagnosis date),
        ``end_months`` and ``ongoing`` (therapy lines: end of the line, missing while it is
        ongoing), ``label`` (a short reader's label: regimen, tracer with uptake, specimen
        with Ki-67), and the source values of the event: ``line``, ``regimen``,
        ``drug_class``, ``end_reason``, ``best_response``, ``cycles`` (lines), ``tracer``,
        ``krenning_score``, ``suvmax_lesion``, ``fdg_avid`` (scans), ``site``,
        ``specimen_type``, ``ki67_percent``, ``mitoses_per_2mm2`` and ``who_grade`` (WHO 2019
        grade, specimens).  Rows are sorted by patient (cohort order), ``months`` and the
        order of :data:`EVENT_KINDS`.  A progression date shared by two lines is one event;
        ``last_contact`` is listed only for patients who did not die.

    Raises
    ------
    TypeError
        If ``cohort`` is not a Cohort, or ``patients`` is a single string.
    ValueError
        If a requested patient is not in the cohort, or a patient has no diagnosis date.

    Examples
    --------
    >>> import netstats
    >>> cohort = netstats.load_bundled("case_series")
    >>> events = course_events(cohort, patients=["CS03"])
    >>> events[["event", "label"]].values.tolist()  # doctest: +NORMALIZE_WHITESPACE
    [['diagnosis', 'Diagnosis'],
     ['specimen', 'Primary, Ki-67 7.5%'],
     ['scan', '68Ga-DOTATATE, Krenning 1, SUVmax 9.09'],
     ['line', 'CAPTEM'],
     ['scan', '68Ga-DOTATATE, Krenning 3, SUVmax 11.47'],
     ['last_contact', 'Last contact']]
    """
    cohort, ids = _select(cohort, patients)
    dx = _diagnosis(cohort, ids)
    pieces: list[pd.DataFrame] = [
        pd.DataFrame({"patient_id": ids, "event": "diagnosis", "months": 0.0, "label": "Diagnosis"})
    ]

    path = _of(cohort.pathology, ids)
    if len(path):
        grade = who_grade(
            path["ki67_percent"].to_numpy(dtype="float64", na_value=np.nan),
            path["mitoses_per_2mm2"].to_numpy(dtype="float64", na_value=np.nan),
            differentiation=path["differentiation"].astype(object).to_numpy(),
        )
        spec = path.assign(
            event="specimen",
            months=_months(path["sample_date"], path["patient_id"], dx),
            who_grade=grade.astype("string").to_numpy(),
        )
        spec["label"] = [
            str(site).capitalize() + (f", Ki-67 {ki:g}%" if not pd.isna(ki) else "")
            for site, ki in zip(spec["site"], spec["ki67_percent"], strict=True)
        ]
        pieces.append(spec)

    scans = _of(cohort.imaging, ids)
    if len(scans):
        pieces.append(
            scans.assign(
                event="scan",
                months=_months(scans["scan_date"], scans["patient_id"], dx),
                label=scans.apply(_uptake_label, axis=1),
            )
        )

    lines = _of(cohort.therapy_lines, ids)
    if len(lines):
        pieces.append(
            lines.assign(
                event="line",
                months=_months(lines["start_date"], lines["patient_id"], dx),
                end_months=_months(lines["end_date"], lines["patient_id"], dx),
                ongoing=lines["end_date"].isna().to_numpy(),
                label=lines["regimen"].astype(str),
            )
        )
        prog = lines.dropna(subset=["progression_date"]).drop_duplicates(
            ["patient_id", "progression_date"]
        )
        if len(prog):
            pieces.append(
                pd.DataFrame(
                    {
                        "patient_id": prog["patient_id"].to_numpy(),
                        "event": "progression",
                        "months": _months(prog["progression_date"], prog["patient_id"], dx),
                        "label": "Progression",
                    }
                )
            )

    pts = _of(cohort.patients, ids)
    dead = pts.dropna(subset=["death_date"])
    alive = pts[pts["death_date"].isna() & pts["last_contact_date"].notna()]
    for frame, kind, date, label in (
        (dead, "death", "death_date", "Death"),
        (alive, "last_contact", "last_contact_date", "Last contact"),
    ):
        if len(frame):
            pieces.append(
                pd.DataFrame(
                    {
                        "patient_id": frame["patient_id"].to_numpy(),
                        "event": kind,
                        "months": _months(frame[date], frame["patient_id"], dx),
                        "label": label,
                    }
                )
            )

    records = [r for p in pieces for r in p.reindex(columns=_COLUMNS).to_dict("records")]
    out = pd.DataFrame.from_records(records, columns=_COLUMNS)
    out["ongoing"] = out["ongoing"].astype("boolean")
    out["line"] = out["line"].astype("Int64")
    out["cycles"] = out["cycles"].astype("Int64")
    out["krenning_score"] = out["krenning_score"].astype("Int64")
    out["fdg_avid"] = out["fdg_avid"].astype("boolean")
    for col in ("event", "label", "regimen", "drug_class", "end_reason", "best_response"):
        out[col] = out[col].astype("string")
    for col in ("tracer", "site", "specimen_type", "who_grade"):
        out[col] = out[col].astype("string")
    for col in ("months", "end_months", "suvmax_lesion", "ki67_percent", "mitoses_per_2mm2"):
        out[col] = out[col].astype("float64")
    order = {pid: i for i, pid in enumerate(ids)}
    kind = {k: i for i, k in enumerate(EVENT_KINDS)}
    keys = pd.DataFrame(
        {
            "p": out["patient_id"].map(order),
            "m": out["months"],
            "k": out["event"].map(kind),
            "l": out["line"].astype("float64"),
        }
    )
    return out.loc[keys.sort_values(["p", "m", "k", "l"], kind="mergesort").index].reset_index(
        drop=True
    )


def course_lines(
    cohort: Cohort, endpoints: pd.DataFrame, *, patients: Sequence[str] | None = None
) -> pd.DataFrame:
    """One row per therapy line, dated in months from diagnosis, with its PFS.

    Parameters
    ----------
    cohort : Cohort
        A validated :class:`netstats.Cohort`; never modified.
    endpoints : pandas.DataFrame
        The cohort's :func:`netstats.endpoints.line_endpoints` table (its PFS follows the
        rules it was derived with).
    patients : sequence of str, optional
        Patient ids to include; all patients when ``None``.

    Returns
    -------
    pandas.DataFrame
        ``patient_id``, ``line``, ``regimen``, ``drug_class``, ``start_months`` and
        ``end_months`` (months from diagnosis; ``end_months`` missing while the line is
        ongoing), ``end_reason``, ``best_response``, ``cycles``, and ``pfs_months``,
        ``pfs_event`` and ``pfs_reason`` from :func:`netstats.endpoints.line_endpoints`
        (PFS runs from the line start).

    Raises
    ------
    TypeError, ValueError
        As :func:`course_events`.
    SchemaError
        If ``endpoints`` is not a ``line_endpoints`` table.

    Examples
    --------
    >>> import netstats
    >>> from netstats.endpoints import line_endpoints
    >>> cohort = netstats.load_bundled("case_series")
    >>> lines = course_lines(cohort, line_endpoints(cohort), patients=["CS02"])
    >>> lines[["line", "regimen", "start_months", "end_months"]].round(1).values.tolist()
    [[1, 'lanreotide', 48.0, 60.9], [2, '177Lu-DOTATATE', 60.9, 68.0]]
    """
    cohort, ids = _select(cohort, patients)
    dx = _diagnosis(cohort, ids)
    if not isinstance(endpoints, pd.DataFrame):
        raise TypeError(f"endpoints must be a DataFrame, got {type(endpoints).__name__}")
    needed = [
        "patient_id",
        "line",
        "start_date",
        "end_date",
        "pfs_months",
        "pfs_event",
        "pfs_reason",
    ]
    missing = [c for c in needed if c not in endpoints.columns]
    if missing:
        raise SchemaError(
            f"course_lines: column(s) {missing} missing; pass the table returned by "
            "netstats.endpoints.line_endpoints"
        )
    ends = _of(endpoints, ids)
    raw = _of(cohort.therapy_lines, ids)[["patient_id", "line", "cycles"]]
    out = ends.merge(raw, on=["patient_id", "line"], how="left")
    out = out.assign(
        start_months=_months(out["start_date"], out["patient_id"], dx),
        end_months=_months(out["end_date"], out["patient_id"], dx),
    )
    order = {pid: i for i, pid in enumerate(ids)}
    out = out.assign(_p=out["patient_id"].map(order)).sort_values(["_p", "line"], kind="mergesort")
    columns = [
        "patient_id",
        "line",
        "regimen",
        "drug_class",
        "start_months",
        "end_months",
        "end_reason",
        "best_response",
        "cycles",
        "pfs_months",
        "pfs_event",
        "pfs_reason",
    ]
    return out[columns].reset_index(drop=True)

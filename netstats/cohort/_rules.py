"""Validation rules on parsed cohort tables: values, keys and the order of dates.

Column-level value checks (required values, ranges) are expressed as pandera schemas built
from :mod:`netstats.schema`, so the data model stays the single source of truth; keys and
cross-table rules (dates in order, patients known, line numbering) are checked here.
Every rule records its problems in a :class:`ProblemLog`; none stops at the first hit.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping

import numpy as np
import pandas as pd
import pandera.pandas as pa

from netstats.cohort._problems import ProblemLog, Severity
from netstats.schema import TABLES, Column, TableSpec
from netstats.vocab import SSTR_TRACERS

KI67_COUNT_TOLERANCE = 1.0
"""Allowed difference (percentage points) between ki67_percent and 100 * positive / counted."""


SENTINEL_CODES = frozenset({-9999.0, -999.0, -99.0, -9.0, -1.0, 99.0, 999.0, 9999.0})
"""Numbers that exports commonly use to mean "missing"; named in range errors."""


SENTINEL_DATES = tuple(
    pd.Timestamp(d)
    for d in (
        "1800-01-01",
        "1899-12-30",
        "1899-12-31",
        "1900-01-01",
        "2099-12-31",
        "2100-01-01",
        "2199-12-31",
        "2200-01-01",
    )
)
"""Dates that exports and clinical systems use to mean "unknown" or "open-ended" (Excel's
day 0 and 1, the first day of 1900, the last day of 2099, ...); refused like the numeric
codes, since no cohort date can be one of them."""


def _sentinel_hint(value: object) -> str:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return ""
    if number in SENTINEL_CODES:
        return (
            f"; {_number_text(number)} looks like a missing-value code: leave the cell "
            "blank (or NA) for a missing value"
        )
    return ""


def _number_text(value: object) -> object:
    """Whole floats without a trailing ".0", as the file most likely wrote them."""
    if isinstance(value, float | np.floating) and np.isfinite(value) and float(value).is_integer():
        return str(int(value))
    return value


def _range_check(col: Column) -> pa.Check | None:
    lo, hi = col.minimum, col.maximum
    if lo is None and hi is None:
        return None
    if lo is not None and hi is not None:
        return pa.Check.in_range(lo, hi, include_min=not col.exclusive_minimum, name="range")
    if lo is not None:
        return (pa.Check.gt if col.exclusive_minimum else pa.Check.ge)(lo, name="range")
    return pa.Check.le(hi, name="range")


def _pandera_schema(spec: TableSpec) -> pa.DataFrameSchema:
    columns = {}
    for col in spec.columns:
        check = _range_check(col)
        columns[col.name] = pa.Column(
            nullable=not col.required or col.derived,
            checks=[check] if check is not None else [],
            required=True,
        )
    return pa.DataFrameSchema(columns, strict=False, coerce=False)


def check_values(
    frame: pd.DataFrame, spec: TableSpec, problems: ProblemLog, *, row_offset: int
) -> None:
    """Required values present and numbers within their ranges (via pandera)."""
    try:
        with warnings.catch_warnings():
            # pandera's failure-case consolidation concatenates all-NA frames, which
            # pandas >= 2.1 deprecates; the warning is about pandera internals, not our data.
            warnings.filterwarnings(
                "ignore", "The behavior of DataFrame concatenation", FutureWarning
            )
            _pandera_schema(spec).validate(frame, lazy=True)
    except pa.errors.SchemaErrors as exc:
        cases = exc.failure_cases
        for _, case in cases.iterrows():
            column = case["column"]
            if column is None or pd.isna(case["index"]):
                continue
            col = spec.column(column)
            row = int(case["index"]) + row_offset
            if str(case["check"]).startswith("not_nullable"):
                problems.add(
                    spec.name,
                    column,
                    "required_value",
                    "required value is missing",
                    row=row,
                )
            else:
                value = case["failure_case"]
                problems.add(
                    spec.name,
                    column,
                    "range",
                    f"is outside the allowed range ({col.allowed()}){_sentinel_hint(value)}",
                    row=row,
                    value=value,
                )


def check_sentinel_dates(
    frame: pd.DataFrame, spec: TableSpec, problems: ProblemLog, *, row_offset: int
) -> None:
    """Placeholder dates (:data:`SENTINEL_DATES`) in any date column are refused."""
    for col in spec.columns:
        if col.type != "date" or col.name not in frame:
            continue
        hit = frame[col.name].isin(SENTINEL_DATES)
        if hit.any():
            problems.add_cells(
                spec.name,
                col.name,
                "sentinel_date",
                "looks like a missing-value code (a placeholder date such as 1900-01-01 or "
                "2099-12-31), not a real date: leave the cell blank for a missing date",
                _rows(frame, hit, row_offset),
                frame.loc[hit, col.name].dt.strftime("%Y-%m-%d").tolist(),
            )
            # refused once: later rules (date order, after death) must not see it again
            frame.loc[hit, col.name] = pd.NaT


def check_keys(
    frame: pd.DataFrame, spec: TableSpec, problems: ProblemLog, *, row_offset: int
) -> None:
    """Primary keys are unique (rows with a missing key part are reported elsewhere)."""
    key = list(spec.key)
    complete = frame[key].notna().all(axis=1)
    dup = frame[key].duplicated(keep=False) & complete
    if dup.any():
        values = frame.loc[dup, key].astype(str).agg("/".join, axis=1)
        problems.add_cells(
            spec.name,
            "/".join(key),
            "unique_key",
            f"duplicate {' + '.join(key)}: each {spec.row} must appear once",
            frame.index[dup] + row_offset,
            values,
        )


def _rows(frame: pd.DataFrame, mask: pd.Series, row_offset: int) -> np.ndarray:
    return np.asarray(frame.index[mask.to_numpy()], dtype=np.int64) + row_offset


def _flag(
    problems: ProblemLog,
    frame: pd.DataFrame,
    mask: pd.Series,
    table: str,
    column: str,
    rule: str,
    message: str,
    row_offset: int,
    *,
    severity: Severity = "error",
) -> None:
    mask = mask.fillna(False).astype(bool)
    if mask.any():
        problems.add_cells(
            table,
            column,
            rule,
            message,
            _rows(frame, mask, row_offset),
            frame.loc[mask, column].astype(str).tolist(),
            severity=severity,
        )


def check_cross_table(
    tables: Mapping[str, pd.DataFrame],
    problems: ProblemLog,
    row_offsets: Mapping[str, int],
) -> None:
    """Rules that relate columns and tables: dates in order, known patients, line numbers."""
    patients = tables["patients"]
    _patient_rules(patients, problems, row_offsets["patients"])
    known = patients.set_index("patient_id")[
        ["birth_date", "diagnosis_date", "last_contact_date", "death_date"]
    ]
    known = known[~known.index.duplicated()]
    # an empty patients table is already refused (empty_table): the rules that link other
    # tables' rows to patients would only repeat it once per row
    linked = () if patients.empty else ("pathology", "therapy_lines", "imaging")
    for name in linked:
        frame = tables[name]
        off = row_offsets[name]
        unknown = frame["patient_id"].notna() & ~frame["patient_id"].isin(known.index)
        _flag(
            problems,
            frame,
            unknown,
            name,
            "patient_id",
            "unknown_patient",
            "patient_id has no row in the patients table",
            off,
        )
        dates = known.reindex(frame["patient_id"].to_numpy())
        dates.index = frame.index
        date_cols = [c.name for c in TABLES[name].columns if c.type == "date"]
        for col in date_cols:
            _date_bounds(problems, frame, dates, name, col, off)
    _pathology_rules(tables["pathology"], problems, row_offsets["pathology"])
    _line_rules(tables["therapy_lines"], tables["patients"], problems, row_offsets["therapy_lines"])
    _imaging_rules(tables["imaging"], problems, row_offsets["imaging"])


def _patient_rules(p: pd.DataFrame, problems: ProblemLog, off: int) -> None:
    t = "patients"
    _flag(
        problems,
        p,
        p["birth_date"] > p["diagnosis_date"],
        t,
        "birth_date",
        "date_order",
        "birth_date is after diagnosis_date",
        off,
    )
    _flag(
        problems,
        p,
        p["diagnosis_date"] > p["last_contact_date"],
        t,
        "last_contact_date",
        "date_order",
        "last_contact_date is before diagnosis_date",
        off,
    )
    _flag(
        problems,
        p,
        p["death_date"] < p["diagnosis_date"],
        t,
        "death_date",
        "date_order",
        "death_date is before diagnosis_date",
        off,
    )
    _flag(
        problems,
        p,
        p["last_contact_date"] > p["death_date"],
        t,
        "last_contact_date",
        "after_death",
        "last_contact_date is after death_date (contact after death)",
        off,
    )
    neither = p["birth_date"].isna() & p["age_at_diagnosis"].isna()
    _flag(
        problems,
        p,
        neither,
        t,
        "age_at_diagnosis",
        "age_missing",
        "neither birth_date nor age_at_diagnosis is given; age-based analyses will omit "
        "this patient",
        off,
        severity="warning",
    )
    age = (p["diagnosis_date"] - p["birth_date"]).dt.days / 365.25
    _flag(
        problems,
        p,
        (age - p["age_at_diagnosis"]).abs() > 1,
        t,
        "age_at_diagnosis",
        "age_consistency",
        "age_at_diagnosis differs from the age computed from birth_date by more than one year",
        off,
    )


def _date_bounds(
    problems: ProblemLog,
    frame: pd.DataFrame,
    dates: pd.DataFrame,
    table: str,
    col: str,
    off: int,
) -> None:
    _flag(
        problems,
        frame,
        frame[col] < dates["birth_date"],
        table,
        col,
        "date_order",
        f"{col} is before the patient's birth_date",
        off,
    )
    _flag(
        problems,
        frame,
        frame[col] > dates["death_date"],
        table,
        col,
        "after_death",
        f"{col} is after the patient's death_date (no event can follow death)",
        off,
    )
    end = dates["last_contact_date"].where(
        dates["death_date"].isna(), dates[["last_contact_date", "death_date"]].max(axis=1)
    )
    _flag(
        problems,
        frame,
        (frame[col] > end) & ~(frame[col] > dates["death_date"]),
        table,
        col,
        "after_last_contact",
        f"{col} is after the patient's last_contact_date (last contact "
        "must be the latest date recorded)",
        off,
    )
    if table == "therapy_lines" and col == "start_date":
        _flag(
            problems,
            frame,
            frame[col] < dates["diagnosis_date"],
            table,
            col,
            "date_order",
            "start_date is before the patient's diagnosis_date",
            off,
        )
    if table == "pathology":
        _flag(
            problems,
            frame,
            frame[col] < dates["diagnosis_date"],
            table,
            col,
            "date_order",
            "sample_date is before the patient's diagnosis_date",
            off,
            severity="warning",
        )


def _pathology_rules(p: pd.DataFrame, problems: ProblemLog, off: int) -> None:
    t = "pathology"
    _flag(
        problems,
        p,
        p["ki67_positive_cells"] > p["ki67_cells_counted"],
        t,
        "ki67_positive_cells",
        "count_order",
        "ki67_positive_cells exceeds ki67_cells_counted",
        off,
    )
    implied = (
        100 * p["ki67_positive_cells"].astype("float64") / p["ki67_cells_counted"].astype("float64")
    )
    mismatch = (implied - p["ki67_percent"]).abs() > KI67_COUNT_TOLERANCE
    _flag(
        problems,
        p,
        mismatch,
        t,
        "ki67_percent",
        "count_consistency",
        f"ki67_percent differs from 100 * positive / counted by more than "
        f"{KI67_COUNT_TOLERANCE:g} percentage point",
        off,
        severity="warning",
    )
    few = p["ki67_cells_counted"] < 500
    _flag(
        problems,
        p,
        few,
        t,
        "ki67_cells_counted",
        "few_cells",
        "fewer than 500 cells counted (WHO recommends >= 500 in hot spots)",
        off,
        severity="warning",
    )


def _line_rules(
    lines: pd.DataFrame, patients: pd.DataFrame, problems: ProblemLog, off: int
) -> None:
    t = "therapy_lines"
    _flag(
        problems,
        lines,
        lines["end_date"] < lines["start_date"],
        t,
        "end_date",
        "date_order",
        "end_date is before start_date",
        off,
    )
    _flag(
        problems,
        lines,
        lines["progression_date"] < lines["start_date"],
        t,
        "progression_date",
        "date_order",
        "progression_date is before start_date",
        off,
    )
    _flag(
        problems,
        lines,
        lines["last_assessment_date"] < lines["start_date"],
        t,
        "last_assessment_date",
        "date_order",
        "last_assessment_date is before start_date",
        off,
    )
    ongoing = lines["end_reason"] == "ongoing"
    _flag(
        problems,
        lines,
        ongoing & lines["end_date"].notna(),
        t,
        "end_reason",
        "ongoing_ended",
        "end_reason is 'ongoing' but an end_date is given",
        off,
    )
    _flag(
        problems,
        lines,
        lines["end_date"].isna() & lines["end_reason"].notna() & ~ongoing,
        t,
        "end_date",
        "end_missing",
        "end_reason is given but end_date is missing",
        off,
    )
    _flag(
        problems,
        lines,
        (lines["end_reason"] == "progression") & lines["progression_date"].isna(),
        t,
        "progression_date",
        "progression_missing",
        "end_reason is 'progression' but progression_date is missing",
        off,
        severity="warning",
    )
    died = patients.drop_duplicates("patient_id").set_index("patient_id")["death_date"]
    no_death = (
        (lines["end_reason"] == "death") & lines["patient_id"].map(died).isna() & (len(died) > 0)
    )
    _flag(
        problems,
        lines,
        no_death,
        t,
        "end_reason",
        "death_missing",
        "end_reason is 'death' but the patient has no death_date",
        off,
    )

    _line_sequence_rules(lines, problems, off)


def _line_sequence_rules(lines: pd.DataFrame, problems: ProblemLog, off: int) -> None:
    """Lines numbered 1..k without gaps, in chronological order, not overlapping (vectorised)."""
    t = "therapy_lines"
    ok = lines.dropna(subset=["patient_id", "line"]).sort_values(
        ["patient_id", "line"], kind="stable"
    )
    if ok.empty:
        return
    grp = ok.groupby("patient_id", sort=False)
    rank = grp.cumcount() + 1
    bad_patients = ok.loc[ok["line"].astype("int64") != rank, "patient_id"].unique()
    if len(bad_patients):
        bad = ok[ok["patient_id"].isin(bad_patients)]
        for pid, g in bad.groupby("patient_id", sort=False):
            numbers = g["line"].astype(int).tolist()
            problems.add(
                t,
                "line",
                "line_numbering",
                f"lines of patient {pid} are numbered {numbers}; expected "
                f"1..{len(numbers)} without gaps or repeats",
                row=int(g.index[0]) + off,
                value=numbers,
            )
    same = ok["patient_id"].eq(ok["patient_id"].shift())
    backwards = same & (ok["start_date"] < ok["start_date"].shift())
    _flag(
        problems,
        ok,
        backwards,
        t,
        "start_date",
        "line_order",
        "line starts before the previous line started (numbering is not chronological)",
        off,
    )
    overlap = same & (ok["start_date"] < ok["end_date"].shift()) & ~backwards
    _flag(
        problems,
        ok,
        overlap,
        t,
        "start_date",
        "overlapping_lines",
        "line starts before the previous line ended (overlapping lines)",
        off,
        severity="warning",
    )


def _imaging_rules(scans: pd.DataFrame, problems: ProblemLog, off: int) -> None:
    t = "imaging"
    sstr = scans["tracer"].isin(SSTR_TRACERS)
    _flag(
        problems,
        scans,
        scans["krenning_score"].notna() & ~sstr & scans["tracer"].notna(),
        t,
        "krenning_score",
        "tracer_mismatch",
        "krenning_score is recorded on a non-SSTR (FDG) scan",
        off,
        severity="warning",
    )
    _flag(
        problems,
        scans,
        scans["fdg_avid"].notna() & sstr,
        t,
        "fdg_avid",
        "tracer_mismatch",
        "fdg_avid is recorded on an SSTR scan",
        off,
        severity="warning",
    )

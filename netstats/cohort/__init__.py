"""The :class:`Cohort` object: four validated tables, their validation report and attrition log.

A cohort is built from raw tables with :meth:`Cohort.from_tables` (the loaders in
:mod:`netstats.io` call it).  Validation parses every column into its canonical dtype,
normalises vocabularies, checks keys, ranges and the order of dates, and collects *every*
problem before reporting.  Errors raise :class:`~netstats.exceptions.CohortValidationError`
carrying the tidy problem table; warnings are kept in :attr:`Cohort.problems`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from netstats.cohort._flags import READER_RULES
from netstats.cohort._parse import coerce_table
from netstats.cohort._problems import PROBLEM_COLUMNS, ProblemLog, summarize_problems
from netstats.cohort._rules import (
    check_cross_table,
    check_keys,
    check_sentinel_dates,
    check_values,
)
from netstats.exceptions import CohortValidationError
from netstats.schema import TABLE_NAMES, TABLES, empty_table
from netstats.vocab import drug_class

__all__ = ["ATTRITION_COLUMNS", "AttritionLog", "Cohort", "validate_tables"]

#: Columns of :meth:`AttritionLog.to_frame`.
ATTRITION_COLUMNS = ["analysis", "step", "table", "n_before", "n_excluded", "n_after", "reason"]

REQUIRED_TABLES = ("patients",)


@dataclass
class AttritionLog:
    """Every exclusion an analysis makes: how many rows, from which table, and why.

    The log is append-only; reports print :meth:`to_frame`.  Functions that leave rows out
    record them here, so nothing is dropped silently.

    Examples
    --------
    >>> from netstats import AttritionLog
    >>> log = AttritionLog()
    >>> log.record("km_pfs", "no start date", n_before=120, n_excluded=3, table="therapy_lines")
    >>> log.to_frame()[["analysis", "n_before", "n_excluded", "n_after", "reason"]]
      analysis  n_before  n_excluded  n_after         reason
    0   km_pfs       120           3      117  no start date
    """

    entries: list[dict[str, Any]] = field(default_factory=list)

    def record(
        self,
        analysis: str,
        reason: str,
        *,
        n_before: int,
        n_excluded: int,
        table: str = "",
        step: str = "",
    ) -> None:
        """Append one exclusion step."""
        if n_excluded < 0 or n_excluded > n_before:
            raise ValueError(f"n_excluded={n_excluded} must lie in [0, n_before={n_before}]")
        self.entries.append(
            {
                "analysis": analysis,
                "step": step or reason,
                "table": table,
                "n_before": int(n_before),
                "n_excluded": int(n_excluded),
                "n_after": int(n_before - n_excluded),
                "reason": reason,
            }
        )

    def to_frame(self) -> pd.DataFrame:
        """The log as a DataFrame with :data:`ATTRITION_COLUMNS`."""
        return pd.DataFrame(self.entries, columns=ATTRITION_COLUMNS)

    def __len__(self) -> int:
        return len(self.entries)


def validate_tables(
    tables: Mapping[str, pd.DataFrame | None],
    *,
    date_format: str | None = None,
    row_offsets: Mapping[str, int] | None = None,
) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    """Parse and validate raw cohort tables, collecting every problem.

    Parameters
    ----------
    tables : mapping of str to DataFrame or None
        Raw tables by name (``patients``, ``pathology``, ``therapy_lines``, ``imaging``).
        ``None`` or an absent key means the table was not supplied: allowed for every
        table but ``patients`` (a warning says so); a supplied table with no rows is an
        error.
    date_format : str or None, default=None
        ``strftime`` format of text dates; ``None`` reads ISO 8601 (``YYYY-MM-DD``).
    row_offsets : mapping of str to int, default=None
        Added to the 0-based index of each raw table to give the row number the user sees
        (2 for files with a header row, the default; 1 for databases and typed formats).

    Returns
    -------
    tables : dict of str to DataFrame
        Canonical tables (columns and dtypes of :mod:`netstats.schema`, fresh RangeIndex).
    problems : DataFrame
        Columns ``table``, ``row``, ``column``, ``value``, ``rule``, ``severity``,
        ``message``; empty when everything is valid.

    Examples
    --------
    >>> import pandas as pd
    >>> from netstats.cohort import validate_tables
    >>> raw = {"patients": pd.DataFrame({"patient_id": ["001", "002"],
    ...                                  "diagnosis_date": ["2019-05-02", "2020-13-01"],
    ...                                  "last_contact_date": ["2024-01-10", "2024-02-01"]})}
    >>> tables, problems = validate_tables(raw)
    >>> problems[["table", "row", "column", "severity"]].query("severity == 'error'")
          table  row          column severity
    0  patients    3  diagnosis_date    error
    """
    unknown = set(tables) - set(TABLE_NAMES)
    if unknown:
        raise ValueError(f"unknown table name(s) {sorted(unknown)}; expected {list(TABLE_NAMES)}")
    offsets = {name: 2 for name in TABLE_NAMES} | dict(row_offsets or {})
    problems = ProblemLog()
    parsed: dict[str, pd.DataFrame] = {}
    for name in TABLE_NAMES:
        raw = tables.get(name)
        spec = TABLES[name]
        if raw is None:
            if name in REQUIRED_TABLES:
                problems.add(name, None, "table_missing", "the patients table is required")
            else:
                problems.add(
                    name,
                    None,
                    "table_missing",
                    f"no {name} table was supplied; analyses that need it are unavailable",
                    severity="warning",
                )
            parsed[name] = empty_table(name)
            continue
        if not isinstance(raw, pd.DataFrame):
            raise TypeError(f"table {name!r} must be a pandas DataFrame, got {type(raw).__name__}")
        raw = raw.reset_index(drop=True)
        if len(raw) == 0:
            problems.add(
                name,
                None,
                "empty_table",
                f"the {name} table has no rows" + (" (only a header)" if len(raw.columns) else ""),
            )
        frame = coerce_table(raw, spec, problems, date_format=date_format, row_offset=offsets[name])
        check_values(frame, spec, problems, row_offset=offsets[name])
        check_sentinel_dates(frame, spec, problems, row_offset=offsets[name])
        check_keys(frame, spec, problems, row_offset=offsets[name])
        parsed[name] = frame
    check_cross_table(parsed, problems, offsets)
    lines = parsed["therapy_lines"]
    lines["drug_class"] = (
        lines["regimen"]
        .map(lambda r: drug_class(r) if isinstance(r, str) else pd.NA)
        .astype("string")
    )
    out = {name: frame.reset_index(drop=True) for name, frame in parsed.items()}
    return out, _tidy_problems(problems.to_frame())


# A cell that could not be read is missing afterwards; rules that only restate that it is
# missing would report the same mistake twice.
_PARSE_RULES = (
    "date_format",
    "type",
    "vocabulary",
    "censored_value",
    "control_character",
    *READER_RULES,
)
_CONSEQUENTIAL_RULES = ("required_value", "age_missing")


def _tidy_problems(problems: pd.DataFrame) -> pd.DataFrame:
    """Drop problems that restate an unreadable cell; order by severity, table and row."""
    cell = ["table", "row", "column"]
    unreadable = problems.loc[problems["rule"].isin(_PARSE_RULES), cell].drop_duplicates()
    keyed = problems.merge(unreadable.assign(_unreadable=True), on=cell, how="left")
    repeat = keyed["_unreadable"].notna() & problems["rule"].isin(_CONSEQUENTIAL_RULES).to_numpy()
    kept = problems.loc[~repeat.to_numpy()]
    order = {name: i for i, name in enumerate(TABLE_NAMES)}
    sort_keys = pd.DataFrame(
        {
            "s": (kept["severity"] != "error").astype(int),
            "t": kept["table"].map(order),
            "r": kept["row"].fillna(0),
        },
        index=kept.index,
    )
    kept = kept.loc[sort_keys.sort_values(["s", "t", "r"], kind="stable").index]
    return kept.reset_index(drop=True)


@dataclass(frozen=True, eq=False)
class Cohort:
    """A validated NET cohort: four tables keyed by ``patient_id``.

    Build one with :meth:`from_tables`, :func:`netstats.io.load_cohort` or
    :func:`netstats.simulate.simulate_cohort`; the constructor itself trusts its input.

    Attributes
    ----------
    patients, pathology, therapy_lines, imaging : DataFrame
        Tables in the canonical columns and dtypes of :mod:`netstats.schema`.
    problems : DataFrame
        Warnings found during validation (errors stop construction).
    attrition : AttritionLog
        Exclusions made by analyses run on this cohort.
    source : str or None
        Where the cohort came from (path, URL or ``"simulated"``).
    truth : mapping or None
        Ground truth for simulated cohorts; ``None`` for real data.

    Examples
    --------
    >>> import netstats
    >>> cohort = netstats.simulate_cohort(n_patients=60, seed=1)
    >>> cohort
    <Cohort from simulated: 60 patients, 81 pathology, 78 therapy_lines, 81 imaging>
    >>> cohort.summary()[["table", "n_rows", "n_patients"]]
               table  n_rows  n_patients
    0       patients      60          60
    1      pathology      81          60
    2  therapy_lines      78          36
    3        imaging      81          57
    """

    patients: pd.DataFrame
    pathology: pd.DataFrame
    therapy_lines: pd.DataFrame
    imaging: pd.DataFrame
    problems: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=PROBLEM_COLUMNS))
    attrition: AttritionLog = field(default_factory=AttritionLog)
    source: str | None = None
    truth: Mapping[str, Any] | None = None

    @classmethod
    def from_tables(
        cls,
        patients: pd.DataFrame | None,
        pathology: pd.DataFrame | None = None,
        therapy_lines: pd.DataFrame | None = None,
        imaging: pd.DataFrame | None = None,
        *,
        date_format: str | None = None,
        row_offsets: Mapping[str, int] | None = None,
        source: str | None = None,
        truth: Mapping[str, Any] | None = None,
    ) -> Cohort:
        """Validate raw tables and build a cohort.

        Raises
        ------
        CohortValidationError
            When any problem of severity ``error`` is found; its ``problems`` attribute
            holds the full problem table (errors and warnings) and its message the
            readable summary.

        Examples
        --------
        >>> import pandas as pd
        >>> patients = pd.DataFrame({"patient_id": ["001"], "diagnosis_date": ["2019-05-02"],
        ...                          "last_contact_date": ["2024-01-10"], "age_at_diagnosis": [61]})
        >>> Cohort.from_tables(patients).n_patients
        1
        """
        raw = {
            "patients": patients,
            "pathology": pathology,
            "therapy_lines": therapy_lines,
            "imaging": imaging,
        }
        tables, problems = validate_tables(raw, date_format=date_format, row_offsets=row_offsets)
        if (problems["severity"] == "error").any():
            where = f" ({source})" if source else ""
            raise CohortValidationError(
                f"cohort{where} failed validation\n" + summarize_problems(problems), problems
            )
        return cls(
            patients=tables["patients"],
            pathology=tables["pathology"],
            therapy_lines=tables["therapy_lines"],
            imaging=tables["imaging"],
            problems=problems,
            source=source,
            truth=truth,
        )

    # ----------------------------------------------------------------------------------
    @property
    def tables(self) -> dict[str, pd.DataFrame]:
        """The four tables by name."""
        return {name: getattr(self, name) for name in TABLE_NAMES}

    @property
    def n_patients(self) -> int:
        """Number of patients."""
        return len(self.patients)

    def summary(self) -> pd.DataFrame:
        """Counts and date span of each table.

        Returns
        -------
        DataFrame
            One row per table with ``table``, ``n_rows``, ``n_patients`` (distinct
            ``patient_id``), ``first_date`` and ``last_date`` (the table's main date column).
        """
        main_date = {
            "patients": "diagnosis_date",
            "pathology": "sample_date",
            "therapy_lines": "start_date",
            "imaging": "scan_date",
        }
        rows = []
        for name, frame in self.tables.items():
            dates = frame[main_date[name]]
            rows.append(
                {
                    "table": name,
                    "n_rows": len(frame),
                    "n_patients": frame["patient_id"].nunique(),
                    "first_date": dates.min(),
                    "last_date": dates.max(),
                }
            )
        return pd.DataFrame(rows)

    def __repr__(self) -> str:
        counts = ", ".join(f"{len(f)} {n}" for n, f in self.tables.items())
        src = f" from {self.source}" if self.source else ""
        return f"<Cohort{src}: {counts}>"

"""The netstats data model: four tables, every column with its type, unit, rule and meaning.

This module is the single source of truth for the cohort tables.  ``netstats schema`` prints
the data dictionary from it and ``data/README.md`` embeds the same text
(:func:`data_dictionary_markdown`).  Validation (:mod:`netstats.cohort`) reads its rules
from here; nothing else in the package hard-codes a column name list.

All tables are keyed by ``patient_id``.  Dates are calendar dates; analysis times are days,
reported in months of :data:`DAYS_PER_MONTH` days.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import pandas as pd

from netstats import vocab

__all__ = [
    "DAYS_PER_MONTH",
    "TABLES",
    "TABLE_NAMES",
    "Column",
    "ColumnType",
    "TableSpec",
    "data_dictionary",
    "data_dictionary_markdown",
    "empty_table",
]

DAYS_PER_MONTH = 30.4375
"""Average Gregorian month length (365.25 / 12) used to report times in months."""

#: Logical type of a column (the ``type`` of :class:`Column`).
ColumnType = Literal["string", "date", "float", "int", "bool", "category"]

PLAUSIBLE_MAXIMUM: dict[str, float] = {
    "line": 100,
    "cells": 10_000_000,
    "mitoses": 1_000,
    "size_mm": 1_000,
    "cycles": 1_000,
    "suv": 1_000,
}
"""Upper bounds of quantities that have no natural maximum: far beyond any real value
(a tumour of 1 m, SUVmax 1000, ten million cells counted), so that a unit or entry error
such as 1e300 mm is refused as out of range instead of entering an analysis."""

PANDAS_DTYPES: dict[str, str] = {
    "string": "string",
    "category": "string",
    "date": "datetime64[ns]",
    "float": "float64",
    "int": "Int64",
    "bool": "boolean",
}


def _bound(value: float) -> str:
    """A range bound as written in the data dictionary: 10000000, not 1e+07."""
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


@dataclass(frozen=True)
class Column:
    """One column of a cohort table.

    Parameters
    ----------
    name : str
        Canonical snake_case column name.
    type : {"string", "date", "float", "int", "bool", "category"}
        Logical type; ``category`` columns take values from ``vocabulary``.
    description : str
        One-line meaning, shown in the data dictionary.
    required : bool, default=False
        Whether the column must be present *and* non-missing in every row.
    unit : str or None, default=None
        Unit of measurement, if any.
    minimum, maximum : float or None, default=None
        Inclusive bounds for numeric columns; for quantities without a natural maximum
        the maximum is a plausibility bound (:data:`PLAUSIBLE_MAXIMUM`).
    exclusive_minimum : bool, default=False
        Whether ``minimum`` itself is disallowed (e.g. SUVmax > 0).
    vocabulary : str or None, default=None
        Name of the :class:`netstats.vocab.Vocabulary` for ``category`` columns, or
        ``"regimen"`` for regimens (combinations allowed).
    derived : bool, default=False
        Computed by netstats from other columns during validation (any input value is
        replaced); never entered by hand.

    Examples
    --------
    >>> from netstats.schema import TABLES
    >>> col = TABLES["pathology"].column("ki67_percent")
    >>> col.type, col.unit, col.minimum, col.maximum
    ('float', '%', 0, 100)
    """

    name: str
    type: ColumnType
    description: str
    required: bool = False
    unit: str | None = None
    minimum: float | None = None
    maximum: float | None = None
    exclusive_minimum: bool = False
    vocabulary: str | None = None
    derived: bool = False

    @property
    def dtype(self) -> str:
        """The pandas dtype the column has in a validated cohort."""
        return PANDAS_DTYPES[self.type]

    def allowed(self) -> str:
        """Human-readable allowed values or range."""
        if self.derived:
            return "derived from regimen"
        if self.vocabulary is not None:
            values = ", ".join(vocab.VOCABULARIES[self.vocabulary].values)
            if self.vocabulary == "regimen":
                return f"{values}; combinations joined by ' + '"
            return values
        if self.minimum is None and self.maximum is None:
            return {"date": "calendar date (ISO 8601 by default)", "bool": "true/false"}.get(
                self.type, ""
            )
        lo = (
            ""
            if self.minimum is None
            else f"{'>' if self.exclusive_minimum else '>='} {_bound(self.minimum)}"
        )
        hi = "" if self.maximum is None else f"<= {_bound(self.maximum)}"
        return ", ".join(x for x in (lo, hi) if x)


@dataclass(frozen=True)
class TableSpec:
    """A cohort table: its columns, primary key and meaning.

    Examples
    --------
    >>> from netstats.schema import TABLES
    >>> spec = TABLES["patients"]
    >>> spec.key, spec.required[:3]
    (('patient_id',), ['patient_id', 'diagnosis_date', 'last_contact_date'])
    """

    name: str
    description: str
    row: str
    key: tuple[str, ...]
    columns: tuple[Column, ...]

    def column(self, name: str) -> Column:
        """Return the column called ``name``."""
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(f"table {self.name!r} has no column {name!r}")

    @property
    def names(self) -> list[str]:
        """Column names in canonical order."""
        return [c.name for c in self.columns]

    @property
    def required(self) -> list[str]:
        """Names of the required columns."""
        return [c.name for c in self.columns if c.required]


_PID = Column(
    "patient_id", "string", "Patient identifier (kept as text: leading zeros matter)", True
)

PATIENTS = TableSpec(
    "patients",
    "One row per patient: demographics, diagnosis and follow-up.",
    "patient",
    ("patient_id",),
    (
        _PID,
        Column("sex", "category", "Sex recorded at diagnosis", vocabulary="sex"),
        Column("birth_date", "date", "Date of birth (or give age_at_diagnosis)"),
        Column(
            "age_at_diagnosis", "float", "Age at diagnosis", unit="years", minimum=0, maximum=120
        ),
        Column("diagnosis_date", "date", "Date of histological diagnosis", True),
        Column("primary_site", "category", "Site of the primary tumour", vocabulary="primary_site"),
        Column(
            "functional_status",
            "category",
            "Hormonal syndrome of the tumour",
            vocabulary="functional_status",
        ),
        Column(
            "hereditary_syndrome",
            "category",
            "Hereditary tumour syndrome",
            vocabulary="hereditary_syndrome",
        ),
        Column(
            "stage_at_diagnosis", "category", "ENETS/AJCC stage at diagnosis", vocabulary="stage"
        ),
        Column(
            "last_contact_date",
            "date",
            "Last date the patient was known alive (or date of death); follow-up ends here",
            True,
        ),
        Column("death_date", "date", "Date of death; missing if alive at last contact"),
    ),
)

PATHOLOGY = TableSpec(
    "pathology",
    "One row per specimen with a proliferation assessment.",
    "specimen",
    ("sample_id",),
    (
        _PID,
        Column("sample_id", "string", "Specimen identifier, unique in the cohort", True),
        Column("sample_date", "date", "Date the specimen was taken", True),
        Column("site", "category", "Where the specimen was taken", True, vocabulary="site"),
        Column(
            "specimen_type", "category", "How the specimen was obtained", vocabulary="specimen_type"
        ),
        Column(
            "differentiation",
            "category",
            "Well-differentiated NET or poorly differentiated NEC",
            vocabulary="differentiation",
        ),
        Column("ki67_percent", "float", "Ki-67 labelling index", unit="%", minimum=0, maximum=100),
        Column(
            "ki67_cells_counted",
            "int",
            "Tumour cells counted for Ki-67 (>= 500 in hot spots recommended)",
            unit="cells",
            minimum=1,
            maximum=PLAUSIBLE_MAXIMUM["cells"],
        ),
        Column(
            "ki67_positive_cells",
            "int",
            "Ki-67-positive tumour cells among those counted",
            unit="cells",
            minimum=0,
            maximum=PLAUSIBLE_MAXIMUM["cells"],
        ),
        Column(
            "mitoses_per_2mm2",
            "float",
            "Mitotic count",
            unit="mitoses per 2 mm^2",
            minimum=0,
            maximum=PLAUSIBLE_MAXIMUM["mitoses"],
        ),
        Column(
            "sstr2a_ihc",
            "int",
            "SSTR2A immunohistochemistry score (Volante 0-3)",
            minimum=0,
            maximum=3,
        ),
        Column(
            "tumour_size_mm",
            "float",
            "Largest diameter of the sampled lesion",
            unit="mm",
            minimum=0,
            maximum=PLAUSIBLE_MAXIMUM["size_mm"],
        ),
    ),
)

THERAPY_LINES = TableSpec(
    "therapy_lines",
    "One row per line of therapy (a combination is one line).",
    "line of therapy",
    ("patient_id", "line"),
    (
        _PID,
        Column(
            "line",
            "int",
            "Line number, 1..k without gaps for each patient",
            True,
            minimum=1,
            maximum=PLAUSIBLE_MAXIMUM["line"],
        ),
        Column(
            "regimen",
            "category",
            "Regimen (canonical name after normalisation)",
            True,
            vocabulary="regimen",
        ),
        Column(
            "drug_class",
            "string",
            "Drug class of the regimen (SSA, mTOR inhibitor, TKI, ...)",
            derived=True,
        ),
        Column("start_date", "date", "First day of the line", True),
        Column("end_date", "date", "Last day of the line; missing if ongoing"),
        Column("end_reason", "category", "Why the line ended", vocabulary="end_reason"),
        Column("progression_date", "date", "Date of radiological progression on this line"),
        Column(
            "best_response",
            "category",
            "Best overall response (RECIST 1.1)",
            vocabulary="best_response",
        ),
        Column(
            "last_assessment_date",
            "date",
            "Date of the last adequate tumour assessment on this line",
        ),
        Column(
            "cycles",
            "int",
            "Cycles given (e.g. PRRT), where counted",
            minimum=0,
            maximum=PLAUSIBLE_MAXIMUM["cycles"],
        ),
    ),
)

IMAGING = TableSpec(
    "imaging",
    "One row per PET or scintigraphy scan.",
    "scan",
    ("scan_id",),
    (
        _PID,
        Column("scan_id", "string", "Scan identifier, unique in the cohort", True),
        Column("scan_date", "date", "Date of the scan", True),
        Column("tracer", "category", "Radiotracer", True, vocabulary="tracer"),
        Column(
            "krenning_score",
            "int",
            "Krenning score of the dominant lesion (0-4; SSTR tracers only)",
            minimum=0,
            maximum=4,
        ),
        Column(
            "suvmax_lesion",
            "float",
            "SUVmax of the dominant lesion",
            minimum=0,
            maximum=PLAUSIBLE_MAXIMUM["suv"],
            exclusive_minimum=True,
        ),
        Column(
            "suvmax_liver",
            "float",
            "SUVmax (or SUVmean) of normal liver",
            minimum=0,
            maximum=PLAUSIBLE_MAXIMUM["suv"],
            exclusive_minimum=True,
        ),
        Column(
            "suvmax_spleen",
            "float",
            "SUVmax of normal spleen",
            minimum=0,
            maximum=PLAUSIBLE_MAXIMUM["suv"],
            exclusive_minimum=True,
        ),
        Column("fdg_avid", "bool", "FDG-avid disease (18F-FDG scans only)"),
        Column(
            "liver_burden_percent",
            "float",
            "Share of the liver replaced by tumour",
            unit="%",
            minimum=0,
            maximum=100,
        ),
    ),
)

#: The four cohort tables by name, each with its columns, key and meaning.
TABLES: dict[str, TableSpec] = {t.name: t for t in (PATIENTS, PATHOLOGY, THERAPY_LINES, IMAGING)}
#: Names of the cohort tables, in canonical order.
TABLE_NAMES: tuple[str, ...] = tuple(TABLES)


def empty_table(name: str) -> pd.DataFrame:
    """Return an empty table with every column of ``name`` in its canonical dtype.

    Examples
    --------
    >>> from netstats.schema import empty_table
    >>> t = empty_table("therapy_lines")
    >>> len(t), t["start_date"].dtype
    (0, dtype('<M8[ns]'))
    """
    spec = TABLES[name]
    return pd.DataFrame({c.name: pd.Series(dtype=c.dtype) for c in spec.columns})


def data_dictionary() -> pd.DataFrame:
    """Return the data dictionary as a tidy table.

    Returns
    -------
    pandas.DataFrame
        One row per column with ``table``, ``column``, ``type``, ``unit``, ``required``,
        ``allowed`` (values or range) and ``description``.

    Examples
    --------
    >>> dd = data_dictionary()
    >>> sorted(dd["table"].unique())
    ['imaging', 'pathology', 'patients', 'therapy_lines']
    """
    rows = [
        {
            "table": spec.name,
            "column": col.name,
            "type": col.type,
            "unit": col.unit or "",
            "required": col.required,
            "allowed": col.allowed(),
            "description": col.description,
        }
        for spec in TABLES.values()
        for col in spec.columns
    ]
    return pd.DataFrame(rows)


def data_dictionary_markdown() -> str:
    """Render the data dictionary as Markdown (the text embedded in ``data/README.md``).

    Examples
    --------
    >>> from netstats.schema import data_dictionary_markdown
    >>> print(data_dictionary_markdown().splitlines()[0])
    ### `patients`
    """
    out: list[str] = []
    for spec in TABLES.values():
        key = ", ".join(spec.key)
        out.append(f"### `{spec.name}`\n\n{spec.description} Key: `{key}`.\n")
        out.append("| column | type | unit | required | allowed | meaning |")
        out.append("|---|---|---|---|---|---|")
        for col in spec.columns:
            allowed = col.allowed().replace("|", "\\|")
            out.append(
                f"| `{col.name}` | {col.type} | {col.unit or ''} | "
                f"{'yes' if col.required else ''} | {allowed} | {col.description} |"
            )
        out.append("")
    return "\n".join(out)

"""Collecting validation problems so that every one is reported at once."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

import pandas as pd

Severity = Literal["error", "warning"]

PROBLEM_COLUMNS = ["table", "row", "column", "value", "rule", "severity", "message"]

_MAX_LISTED = 5


@dataclass
class ProblemLog:
    """Accumulates problems as rows of the tidy problem table.

    ``row`` is the source row number as the user sees it: the line in a CSV file or the
    row in an Excel sheet (header = row 1, so the first record is row 2), or the 1-based
    record number for Parquet, SAS/SPSS/Stata and database tables.  ``None`` means the
    problem concerns the whole table or column.
    """

    rows: list[dict[str, Any]] = field(default_factory=list)

    def add(
        self,
        table: str,
        column: str | None,
        rule: str,
        message: str,
        *,
        row: int | None = None,
        value: Any = None,
        severity: Severity = "error",
    ) -> None:
        """Record one problem."""
        self.rows.append(
            {
                "table": table,
                "row": row,
                "column": column,
                "value": None if value is None else str(value),
                "rule": rule,
                "severity": severity,
                "message": message,
            }
        )

    def add_cells(
        self,
        table: str,
        column: str | None,
        rule: str,
        message: str,
        rows: Iterable[int],
        values: Iterable[Any],
        *,
        severity: Severity = "error",
    ) -> None:
        """Record the same problem for several cells (one row each in the table)."""
        for row, value in zip(rows, values, strict=True):
            self.add(table, column, rule, message, row=int(row), value=value, severity=severity)

    def to_frame(self) -> pd.DataFrame:
        """The problems as a DataFrame with :data:`PROBLEM_COLUMNS`."""
        frame = pd.DataFrame(self.rows, columns=PROBLEM_COLUMNS)
        frame["row"] = frame["row"].astype("Int64")
        return frame

    @property
    def n_errors(self) -> int:
        """Number of problems with severity ``error``."""
        return sum(r["severity"] == "error" for r in self.rows)


def summarize_problems(problems: pd.DataFrame, *, max_listed: int = _MAX_LISTED) -> str:
    """Render a problem table as readable text, one line per (table, column, rule, message).

    Rows and values are listed up to ``max_listed`` per line, then counted.
    """
    if problems.empty:
        return "no problems found"
    n_err = int((problems["severity"] == "error").sum())
    n_warn = int((problems["severity"] == "warning").sum())
    head = f"{n_err} error(s) and {n_warn} warning(s) in the cohort"
    lines = [head]
    keys = ["severity", "table", "column", "rule", "message"]
    grouped = problems.fillna({"column": "", "message": ""}).groupby(keys, sort=False, dropna=False)
    order = {"error": 0, "warning": 1}
    groups = sorted(grouped, key=lambda kv: (order[str(kv[0][0])], str(kv[0][1]), str(kv[0][2])))
    for key, g in groups:
        severity, table, column, rule, message = (str(k) for k in key)
        where = f"{table}.{column}" if column else table
        cells = [
            f"row {r}" + (f" ({v!r})" if v is not None else "")
            for r, v in zip(g["row"], g["value"], strict=True)
            if pd.notna(r)
        ]
        listed = ", ".join(cells[:max_listed])
        if len(cells) > max_listed:
            listed += f", ... and {len(cells) - max_listed} more"
        suffix = f": {listed}" if listed else ""
        count = f" [{len(g)}x]" if len(g) > 1 else ""
        lines.append(f"  - {severity.upper()} {where} [{rule}]{count} {message}{suffix}")
    return "\n".join(lines)

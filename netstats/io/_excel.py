"""Reading Excel workbooks cell by cell, as the spreadsheet shows them.

pandas' Excel reader hands over stored values only: a cell typed as ``12%`` arrives as
0.12, error cells (``#DIV/0!``) and formulas without a saved result arrive as blanks, and
the rows under a merged cell are blank too.  This reader looks at each cell's type and
number format instead: a percent-formatted number becomes the text the sheet shows
(``"12%"``, read like a typed ``12%``), and cells that hold no value of their own become
:class:`~netstats.cohort._flags.FlaggedCell` markers, which validation reports with their
row, column and rule.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd

from netstats.cohort._flags import FlaggedCell

_EXACT_INT = 2**53

_ERROR_MESSAGE = (
    "is an Excel error value, not a value: correct the formula or enter the value "
    "(an error cell is never read as a blank)"
)
_FORMULA_MESSAGE = (
    "is a formula without a saved result (a workbook written by a program keeps only the "
    "formula): open and save the workbook in a spreadsheet program, or write the values"
)
_MERGED_MESSAGE = (
    "lies under merged cells (the value shows the range), whose value belongs to their "
    "first cell only: unmerge the cells and enter the value in every row"
)


@dataclass(frozen=True)
class Sheet:
    """One worksheet: its name, whether it is hidden, and its cells (first row: header)."""

    name: str
    hidden: bool
    cells: pd.DataFrame


def _has_percent(number_format: str) -> bool:
    """Whether a number format scales by 100 (a ``%`` outside quotes and escapes)."""
    plain = re.sub(r'"[^"]*"|\\.', "", number_format or "")
    return "%" in plain


def _percent_text(value: float | int) -> str:
    """The text a percent-formatted cell shows, exactly: 0.12 -> "12%" (not 12.000000000000002)."""
    scaled = (Decimal(repr(float(value))) * 100).normalize()
    return f"{scaled:f}%"


def _cell_value(cell: Any, formula: Any) -> object:
    """The value of one cell as the sheet shows it (``formula``: the same cell with formulas)."""
    value = cell.value
    if cell.data_type == "e":
        return FlaggedCell("excel_error", _ERROR_MESSAGE, str(value))
    if value is None:
        text = getattr(formula, "value", None)
        if formula is not None and formula.data_type == "f":
            shown = text if isinstance(text, str) else getattr(text, "text", "formula")
            return FlaggedCell("formula_without_value", _FORMULA_MESSAGE, str(shown))
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        if _has_percent(cell.number_format):
            return _percent_text(value)
        if isinstance(value, float) and value.is_integer() and abs(value) <= _EXACT_INT:
            return int(value)  # as pandas' reader gives whole numbers
    return value


def _sheet_cells(values: Any, formulas: Any) -> pd.DataFrame:
    """Cells of one worksheet as an object DataFrame without header (row 0 = sheet row 1)."""
    n_rows, n_cols = values.max_row, values.max_column
    rows: list[list[object]] = []
    for r, row in enumerate(values.iter_rows(min_row=1, max_row=n_rows, max_col=n_cols), 1):
        out = []
        for c, cell in enumerate(row, 1):
            formula = formulas.cell(row=r, column=c) if formulas is not None else None
            out.append(_cell_value(cell, formula))
        rows.append(out)
    for merged in values.merged_cells.ranges:
        first = rows[merged.min_row - 1][merged.min_col - 1] if rows else None
        if first is None:
            continue
        for r in range(max(merged.min_row, 2), merged.max_row + 1):
            for c in range(merged.min_col, merged.max_col + 1):
                if (r, c) != (merged.min_row, merged.min_col):
                    rows[r - 1][c - 1] = FlaggedCell("merged_cell", _MERGED_MESSAGE, merged.coord)
    frame = pd.DataFrame(rows, dtype=object)
    # Formatted but empty columns at the right edge are not columns.
    while frame.shape[1] and frame.iloc[:, -1].isna().all():
        frame = frame.iloc[:, :-1]
    return frame


def _workbook(path: Path, *, data_only: bool) -> Any:
    from openpyxl import load_workbook

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # openpyxl warns about styles and data validation
        return load_workbook(path, data_only=data_only)


def read_workbook(path: Path) -> list[Sheet]:
    """Every worksheet of an ``.xlsx``/``.xlsm`` workbook, in workbook order.

    The workbook is opened twice: once for the saved values and once for the formulas, so
    that a formula without a saved result is told apart from a blank cell.
    """
    values = _workbook(path, data_only=True)
    formulas = _workbook(path, data_only=False)
    sheets = []
    for ws in values.worksheets:
        fs = formulas[ws.title] if ws.title in formulas.sheetnames else None
        hidden = ws.sheet_state in ("hidden", "veryHidden")
        sheets.append(Sheet(ws.title, hidden, _sheet_cells(ws, fs)))
    return sheets

"""Cells a reader could not hand over as values: Excel error cells, formulas without a
cached value, cells hidden under a merged range.

A reader puts a :class:`FlaggedCell` where the value would be; validation reports it as a
problem of that cell (with its table, row, column and rule) and treats the cell as missing,
so the mistake is listed with every other one instead of being read as a blank.
"""

from __future__ import annotations

from dataclasses import dataclass

READER_RULES = ("excel_error", "formula_without_value", "merged_cell")
"""Rules of flagged cells (the cell is missing after the problem is recorded)."""


@dataclass(frozen=True)
class FlaggedCell:
    """A cell whose value could not be read, with the rule and message to report.

    ``value`` is what the problem table shows as the cell's value (the error code, the
    formula, the merged range).
    """

    rule: str
    message: str
    value: str

    def __str__(self) -> str:
        return self.value


DELIMITED = "netstats_delimited"
"""Key of ``DataFrame.attrs`` set by the CSV reader: the records were split at separators,
so a value beyond the last header means a record with a stray separator (its values are
shifted), not a note beside the table."""

"""Helpers that build raw cohort tables for tests (text cells, as a CSV would give)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

MINIMAL = Path(__file__).parent / "data" / "minimal"
TABLES = ("patients", "pathology", "therapy_lines", "imaging")


def raw_minimal() -> dict[str, pd.DataFrame]:
    """The hand-written valid cohort as text tables (fresh copies every call)."""
    return {
        name: pd.read_csv(MINIMAL / f"{name}.csv", dtype=str, keep_default_na=False)
        for name in TABLES
    }


def source_row(index: int) -> int:
    """Row number a user sees in the CSV for the record at 0-based ``index`` (header is row 1)."""
    return index + 2

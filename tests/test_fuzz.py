"""Fuzzing the loaders: any input either loads into a valid cohort or raises
``CohortValidationError``/``ValueError`` with a message; never another exception or a hang.

Examples are bounded so the suite stays fast; ``scripts/fuzz_loaders.py`` runs the same
targets for as long as wanted (with atheris when it is installed).
"""

from __future__ import annotations

import datetime as dt
import io
import os
import shutil
import time
from pathlib import Path

import pandas as pd
import pytest
from _cohorts import MINIMAL, TABLES, raw_minimal
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from openpyxl.utils.exceptions import IllegalCharacterError

from netstats.cohort import Cohort
from netstats.exceptions import CohortValidationError
from netstats.io import load_cohort

# Per example: well under a second normally; the generous deadline (the machine may be
# busy) and SECONDS_PER_LOAD catch a pathological slowdown or a hang.
# NETSTATS_FUZZ_EXAMPLES raises the count for a long run (scripts/fuzz_loaders.py).
EXAMPLES = int(os.environ.get("NETSTATS_FUZZ_EXAMPLES", "25"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=10_000,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
SECONDS_PER_LOAD = 20.0

_TRICKY = [
    "",
    " ",
    "NA",
    "nan",
    "NaN",
    "inf",
    "-inf",
    "1e309",
    "-0",
    "0x10",
    "1_000",
    "5%",
    "5,2",
    "1,000",
    "<1",
    ">20",
    "≥3",
    "-99",
    "999",
    "2019-02-30",
    "2015",
    "2015-06",
    "0001-01-01",
    "9999-12-31",
    "2015-06-02T10:00+05:00",
    "42157",
    "20/01/2016",
    "true",
    "None",
    '"',
    "'",
    ",",
    "\n",
    "\x00",
    "é",
    "\ufeff",
    "=1+1",
    "1" * 400,
]
CELL = st.one_of(st.sampled_from(_TRICKY), st.text(max_size=12))


def _load_outcome(folder: Path) -> Cohort | None:
    """Load ``folder``; the only acceptable failures are our errors with a message."""
    start = time.perf_counter()
    try:
        cohort = load_cohort(folder)
    except CohortValidationError as exc:
        assert str(exc).strip()
        assert exc.problems is not None and len(exc.problems) >= 1
        assert (exc.problems["severity"] == "error").any()
        cohort = None
    except ValueError as exc:
        assert str(exc).strip()
        cohort = None
    elapsed = time.perf_counter() - start
    assert elapsed < SECONDS_PER_LOAD, f"loading took {elapsed:.1f} s"
    if cohort is not None:
        _assert_valid(cohort)
    return cohort


def _assert_valid(cohort: Cohort) -> None:
    """A cohort that loads satisfies the data model (what validation promises)."""
    assert not (cohort.problems["severity"] == "error").any()
    assert cohort.patients["patient_id"].notna().all()
    assert cohort.patients["patient_id"].is_unique
    assert cohort.patients["diagnosis_date"].notna().all()
    ki67 = cohort.pathology["ki67_percent"].dropna()
    assert ((ki67 >= 0) & (ki67 <= 100)).all()
    known = set(cohort.patients["patient_id"])
    for name in ("pathology", "therapy_lines", "imaging"):
        assert set(cohort.tables[name]["patient_id"]) <= known


def _folder(tmp_path_factory, name: str = "f") -> Path:
    folder = tmp_path_factory.mktemp(name)
    for table in TABLES:
        shutil.copy(MINIMAL / f"{table}.csv", folder / f"{table}.csv")
    return folder


@FUZZ
@given(table=st.sampled_from(TABLES), data=st.binary(max_size=2000))
@example(table="patients", data=b"")
@example(table="patients", data=b"\xff\xfe\x00")
@example(table="pathology", data=b"\x00\x00\x00")
@example(table="imaging", data=b'"')
@example(table="patients", data=b"patient_id\n" + b"001\n" * 3)
def test_any_bytes_as_a_csv_table(tmp_path_factory, table, data):
    folder = _folder(tmp_path_factory)
    (folder / f"{table}.csv").write_bytes(data)
    _load_outcome(folder)


@FUZZ
@given(
    table=st.sampled_from(TABLES),
    position=st.integers(0, 10_000),
    insert=st.binary(min_size=1, max_size=8),
    delete=st.integers(0, 8),
)
def test_mutated_csv_bytes(tmp_path_factory, table, position, insert, delete):
    """Byte-level edits of a valid file reach deeper than random bytes."""
    folder = _folder(tmp_path_factory)
    path = folder / f"{table}.csv"
    data = path.read_bytes()
    at = position % (len(data) + 1)
    path.write_bytes(data[:at] + insert + data[at + delete :])
    _load_outcome(folder)


@st.composite
def edited_tables(draw):
    raw = raw_minimal()
    for _ in range(draw(st.integers(1, 4))):
        name = draw(st.sampled_from(TABLES))
        frame = raw[name]
        row = draw(st.integers(0, len(frame) - 1))
        column = draw(st.sampled_from(list(frame.columns)))
        frame.loc[row, column] = draw(CELL)
    return raw


@FUZZ
@given(raw=edited_tables())
def test_any_cell_text_in_a_csv(tmp_path_factory, raw):
    folder = tmp_path_factory.mktemp("cells")
    for name, frame in raw.items():
        frame.to_csv(folder / f"{name}.csv", index=False)
    _load_outcome(folder)


@FUZZ
@given(header=st.lists(st.one_of(st.sampled_from(["patient_id", "sex", ""]), CELL), max_size=6))
def test_any_header_row(tmp_path_factory, header):
    folder = _folder(tmp_path_factory)
    buf = io.StringIO()
    pd.DataFrame([["001"] * len(header)], columns=header).to_csv(buf, index=False)
    (folder / "patients.csv").write_text(buf.getvalue())
    _load_outcome(folder)


TYPED = st.one_of(
    CELL,
    st.none(),
    st.booleans(),
    st.integers(-(2**63), 2**63 - 1),
    st.floats(allow_nan=True, allow_infinity=True),
    st.dates(dt.date(1, 1, 1), dt.date(9999, 12, 31)),
    st.datetimes(dt.datetime(1, 1, 1), dt.datetime(9999, 12, 31)),
)


@FUZZ
@given(data=st.data(), table=st.sampled_from(TABLES))
def test_any_typed_cells_in_a_data_frame(data, table):
    """Typed formats (Excel, Parquet, databases) hand over numbers, dates and None."""
    raw = raw_minimal()
    frame = raw[table].astype(object)
    for _ in range(data.draw(st.integers(1, 4))):
        row = data.draw(st.integers(0, len(frame) - 1))
        column = data.draw(st.sampled_from(list(frame.columns)))
        frame.loc[row, column] = data.draw(TYPED)
    raw[table] = frame
    try:
        cohort = Cohort.from_tables(**raw)
    except CohortValidationError as exc:
        assert str(exc).strip() and len(exc.problems) >= 1
    else:
        _assert_valid(cohort)


@settings(FUZZ, max_examples=max(EXAMPLES // 2, 10))
@given(data=st.binary(max_size=3000))
@example(data=b"PK\x03\x04")
@example(data=b"")
def test_any_bytes_as_an_excel_file(tmp_path_factory, data):
    folder = _folder(tmp_path_factory)
    (folder / "imaging.csv").unlink()
    (folder / "imaging.xlsx").write_bytes(data)
    _load_outcome(folder)
    workbook = folder / "cohort.xlsx"
    workbook.write_bytes(data)
    _load_outcome(workbook)


@settings(FUZZ, max_examples=max(EXAMPLES // 2, 10))
@given(
    cells=st.lists(
        TYPED.filter(lambda v: not isinstance(v, str) or "\x00" not in v), min_size=1, max_size=4
    ),
    column=st.sampled_from(list(raw_minimal()["pathology"].columns)),
)
@example(cells=[9.223372036854776e18], column="ki67_cells_counted")  # beyond int64
def test_typed_cells_in_an_excel_sheet(tmp_path_factory, cells, column):
    folder = _folder(tmp_path_factory)
    frame = raw_minimal()["pathology"].astype(object)
    for row, value in enumerate(cells):
        frame.loc[row, column] = value
    (folder / "pathology.csv").unlink()
    try:
        frame.to_excel(folder / "pathology.xlsx", index=False)
    except (ValueError, TypeError, OverflowError, IllegalCharacterError):
        return  # openpyxl cannot store this value: no file, nothing to load
    _load_outcome(folder)


def _typed_file_seeds() -> dict[str, bytes]:
    """Valid imaging files in each binary format the folder loader reads."""
    import tempfile

    import pyreadstat

    imaging = load_cohort(MINIMAL).imaging
    plain = imaging.copy()
    for col in plain.columns:
        if str(plain[col].dtype) in ("Int64", "boolean"):
            plain[col] = plain[col].astype("float64")
        elif str(plain[col].dtype) == "string":
            plain[col] = plain[col].astype(object).where(plain[col].notna(), "")
    seeds = {}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        imaging.to_parquet(folder / "a.parquet")
        plain.to_stata(folder / "a.dta", write_index=False, version=118)
        pyreadstat.write_sav(plain, str(folder / "a.sav"))
        pyreadstat.write_xport(plain, str(folder / "a.xpt"), table_name="imaging")
        imaging.to_excel(folder / "a.xlsx", index=False)
        for path in folder.iterdir():
            seeds[path.suffix] = path.read_bytes()
    return seeds


_SEEDS: dict[str, bytes] = {}


@settings(FUZZ, max_examples=max(EXAMPLES, 10))
@given(
    suffix=st.sampled_from([".parquet", ".dta", ".sav", ".xpt", ".xlsx"]),
    edits=st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), min_size=1, max_size=8),
    keep=st.one_of(st.none(), st.integers(0, 10**6)),
)
# Stata strings that are not UTF-8 make pandas warn (UnicodeWarning) before it falls back to
# Latin-1; the warning is the reader's own message to the user, not a failure.
@pytest.mark.filterwarnings("ignore::UnicodeWarning")
def test_corrupted_typed_files(tmp_path_factory, suffix, edits, keep):
    """Byte edits and truncations of valid Parquet, Stata, SPSS, SAS and Excel files."""
    if not _SEEDS:
        _SEEDS.update(_typed_file_seeds())
    data = bytearray(_SEEDS[suffix])
    for position, byte in edits:
        data[position % len(data)] = byte
    if keep is not None:
        data = data[: keep % len(data)]
    folder = _folder(tmp_path_factory)
    (folder / "imaging.csv").unlink()
    (folder / f"imaging{suffix}").write_bytes(bytes(data))
    _load_outcome(folder)

"""Input fidelity: every valid cell loads with exactly the value the file holds, and every
cell that would be misread is refused with its table, row, column, value and rule.

Round trips write known values with the format's own writer (openpyxl, pandas, pyreadstat,
duckdb), read them with netstats and compare exactly (no tolerance: a value read back must
be the value written).  The broken-cohort corpus (tests/data/broken/) holds one case per
misread; the tests here cover the rules behind those cases on many values (hypothesis).
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import unicodedata
import zipfile
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from _cohorts import MINIMAL, raw_minimal
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook

from netstats.cohort import Cohort, validate_tables
from netstats.cohort._parse import _INVISIBLE, MAX_EXACT_INT
from netstats.cohort._rules import SENTINEL_DATES
from netstats.exceptions import CohortValidationError
from netstats.io import load_cohort
from netstats.io._excel import read_workbook
from netstats.schema import PLAUSIBLE_MAXIMUM, TABLES

_SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _problems(raw: dict[str, pd.DataFrame]) -> pd.DataFrame:
    return validate_tables(raw)[1]


def _cell_problems(problems: pd.DataFrame, table: str, column: str) -> list[list[object]]:
    hit = problems[(problems["table"] == table) & (problems["column"] == column)]
    return hit[["row", "value", "rule", "severity"]].values.tolist()


def _pathology_with(column: str, values: list[object]) -> dict[str, pd.DataFrame]:
    raw = {name: frame.astype(object) for name, frame in raw_minimal().items()}
    frame = raw["pathology"]
    frame[column] = pd.Series(values[: len(frame)], dtype=object)
    return raw


# --- Excel: cells as the sheet shows them -------------------------------------------------


def _book_from_minimal(path: Path, table: str) -> Workbook:
    """The minimal table as a typed sheet (numbers as numbers, dates as dates)."""
    book = Workbook()
    sheet = book.active
    sheet.title = table
    frame = load_cohort(MINIMAL).tables[table]
    sheet.append(list(frame.columns))
    for record in frame.astype(object).itertuples(index=False):
        cells = []
        for v in record:
            if v is pd.NA or v is pd.NaT or (isinstance(v, float) and np.isnan(v)):
                cells.append(None)
            elif isinstance(v, pd.Timestamp):
                cells.append(v.to_pydatetime())
            else:
                cells.append(v.item() if hasattr(v, "item") else v)
        sheet.append(cells)
    book.save(path)
    return book


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    out = tmp_path / "cohort"
    shutil.copytree(MINIMAL, out)
    return out


def test_typed_excel_workbook_loads_exactly_the_values_written(folder):
    (folder / "pathology.csv").unlink()
    _book_from_minimal(folder / "pathology.xlsx", "pathology")
    expected = load_cohort(MINIMAL).pathology
    pd.testing.assert_frame_equal(load_cohort(folder).pathology, expected, check_exact=True)


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(fraction=st.floats(0, 1, allow_nan=False), fmt=st.sampled_from(["0%", "0.00%", "0.0%"]))
def test_percent_formatted_cell_is_read_as_the_percent_it_shows(tmp_path_factory, fraction, fmt):
    folder = tmp_path_factory.mktemp("pct")
    shutil.copytree(MINIMAL, folder, dirs_exist_ok=True)
    (folder / "pathology.csv").unlink()
    book = _book_from_minimal(folder / "pathology.xlsx", "pathology")
    sheet = book.active
    sheet["G2"] = fraction
    sheet["G2"].number_format = fmt
    book.save(folder / "pathology.xlsx")
    stored = load_workbook(folder / "pathology.xlsx").active["G2"].value  # what the file holds
    cohort = load_cohort(folder)
    # Exactly the decimal percent of the stored number (0.12 -> 12.0, not 12.000000000000002).
    assert cohort.pathology["ki67_percent"].iloc[0] == float(Decimal(repr(stored)) * 100)
    note = cohort.problems[cohort.problems["rule"] == "normalised"]
    assert note[["row", "column"]].values.tolist() == [[2, "ki67_percent"]]


def test_percent_format_outside_percent_columns_is_refused(folder):
    (folder / "imaging.csv").unlink()
    book = _book_from_minimal(folder / "imaging.xlsx", "imaging")
    book.active["F2"].number_format = "0%"  # suvmax_lesion 18.76 shown as 1876%
    book.save(folder / "imaging.xlsx")
    with pytest.raises(CohortValidationError) as info:
        load_cohort(folder)
    assert _cell_problems(info.value.problems, "imaging", "suvmax_lesion") == [
        [2, "1876%", "type", "error"]
    ]


def test_a_quoted_percent_sign_in_a_format_does_not_scale(folder):
    (folder / "pathology.csv").unlink()
    book = _book_from_minimal(folder / "pathology.xlsx", "pathology")
    book.active["G2"].number_format = '0.0" %"'  # 5.0 shown as "5.0 %": the number is 5
    book.save(folder / "pathology.xlsx")
    assert load_cohort(folder).pathology["ki67_percent"].iloc[0] == 5.0


@pytest.mark.parametrize("code", ["#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A"])
def test_every_excel_error_value_is_a_problem_of_its_cell(folder, code):
    (folder / "pathology.csv").unlink()
    book = _book_from_minimal(folder / "pathology.xlsx", "pathology")
    book.active["B3"] = code  # a required identifier
    book.active["J4"] = code  # an optional number
    book.save(folder / "pathology.xlsx")
    with pytest.raises(CohortValidationError) as info:
        load_cohort(folder)
    p = info.value.problems
    assert _cell_problems(p, "pathology", "sample_id") == [[3, code, "excel_error", "error"]]
    assert _cell_problems(p, "pathology", "mitoses_per_2mm2") == [[4, code, "excel_error", "error"]]
    # Reported once: not again as a missing required value.
    assert "required_value" not in set(p["rule"])


def _set_cached_value(path: Path, formula: str, value: str) -> None:
    """Give a formula the saved result a spreadsheet program would store with it."""
    with zipfile.ZipFile(path) as z:
        parts = {name: z.read(name) for name in z.namelist()}
    sheet = "xl/worksheets/sheet1.xml"
    old = f"<f>{formula}</f><v></v>".encode()
    assert old in parts[sheet]
    parts[sheet] = parts[sheet].replace(old, f"<f>{formula}</f><v>{value}</v>".encode())
    with zipfile.ZipFile(path, "w") as z:
        for name, data in parts.items():
            z.writestr(name, data)


def test_formula_is_read_by_its_saved_result_and_refused_without_one(folder):
    (folder / "imaging.csv").unlink()
    path = folder / "imaging.xlsx"
    book = _book_from_minimal(path, "imaging")
    book.active["G2"] = "=16.2/2"
    book.save(path)
    with pytest.raises(CohortValidationError) as info:
        load_cohort(folder)
    assert _cell_problems(info.value.problems, "imaging", "suvmax_liver") == [
        [2, "=16.2/2", "formula_without_value", "error"]
    ]
    _set_cached_value(path, "16.2/2", "8.1")
    assert load_cohort(folder).imaging["suvmax_liver"].iloc[0] == 8.1


def test_merged_cells_are_refused_in_every_covered_cell_and_header_merges_are_not(folder):
    (folder / "therapy_lines.csv").unlink()
    path = folder / "therapy_lines.xlsx"
    book = _book_from_minimal(path, "therapy_lines")
    sheet = book.active
    sheet.merge_cells("I3:I4")  # best_response of two lines under one cell
    sheet.merge_cells("J6:K6")  # across two columns (last_assessment_date, cycles)
    book.save(path)
    with pytest.raises(CohortValidationError) as info:
        load_cohort(folder)
    p = info.value.problems
    merged = p[p["rule"] == "merged_cell"]
    assert merged[["row", "column", "value"]].values.tolist() == [
        [4, "best_response", "I3:I4"],
        [6, "cycles", "J6:K6"],
    ]


def test_first_visible_sheet_is_the_table_of_a_table_file(folder):
    (folder / "patients.csv").unlink()
    book = _book_from_minimal(folder / "patients.xlsx", "patients")
    decoy = book.create_sheet("old", 0)
    decoy.append(["patient_id", "diagnosis_date", "last_contact_date"])
    decoy.append(["999", dt.datetime(2001, 1, 1), dt.datetime(2002, 1, 1)])
    decoy.sheet_state = "hidden"
    book.save(folder / "patients.xlsx")
    assert [s.hidden for s in read_workbook(folder / "patients.xlsx")] == [True, False]
    assert load_cohort(folder).patients["patient_id"].tolist() == ["001", "002", "003", "004"]


def test_workbook_sheets_differing_only_in_case_and_blanks_clash(tmp_path):
    path = tmp_path / "cohort.xlsx"
    cohort = load_cohort(MINIMAL)
    with pd.ExcelWriter(path) as writer:
        for name, frame in cohort.tables.items():
            frame.to_excel(writer, sheet_name=name, index=False)
        cohort.patients.to_excel(writer, sheet_name=" Patients", index=False)
    with pytest.raises(CohortValidationError, match="several sheets") as info:
        load_cohort(path)
    assert info.value.problems[["table", "rule"]].values.tolist() == [
        ["patients", "several_sheets"]
    ]


# --- dates: the day as written -------------------------------------------------------------

_OFFSETS = st.one_of(
    st.just("Z"),
    st.just(""),
    st.builds(
        lambda sign, h, m: f"{sign}{h:02d}:{m:02d}",
        st.sampled_from("+-"),
        st.integers(0, 14),
        st.sampled_from([0, 30, 45]),
    ),
)


@_SETTINGS
@given(
    days=st.lists(st.dates(dt.date(1950, 1, 1), dt.date(2030, 12, 31)), min_size=1, max_size=6),
    times=st.lists(st.times(), min_size=6, max_size=6),
    offsets=st.lists(_OFFSETS, min_size=6, max_size=6),
)
def test_a_date_keeps_its_written_day_whatever_its_neighbours_offsets(days, times, offsets):
    from netstats.cohort._parse import _parse_dates

    text = [
        f"{d.isoformat()}T{t.strftime('%H:%M:%S')}{o}"
        for d, t, o in zip(days, times, offsets, strict=False)
    ]
    raw = pd.Series(text, dtype=object)
    parsed, bad = _parse_dates(raw, pd.Series(False, index=raw.index), None)
    assert not bad.any()
    assert [p.date() for p in parsed] == days
    alone = [
        _parse_dates(raw[[i]], pd.Series([False], index=[i]), None)[0].iloc[0] for i in raw.index
    ]
    assert [p.date() for p in alone] == days


def test_time_zone_aware_typed_dates_keep_their_local_day():
    raw = {name: frame.astype(object) for name, frame in raw_minimal().items()}
    stamps = pd.Series(
        pd.to_datetime(raw["patients"]["diagnosis_date"]) + pd.Timedelta(hours=23)
    ).dt.tz_localize("America/Chicago")
    raw["patients"]["diagnosis_date"] = stamps
    tables, _ = validate_tables(raw)
    assert tables["patients"]["diagnosis_date"].dt.strftime("%Y-%m-%d").tolist() == (
        raw_minimal()["patients"]["diagnosis_date"].tolist()
    )


@pytest.mark.parametrize("sentinel", SENTINEL_DATES, ids=lambda d: d.strftime("%Y-%m-%d"))
@pytest.mark.parametrize("column", ["birth_date", "last_contact_date", "death_date"])
def test_placeholder_dates_are_refused_in_any_date_column(sentinel, column):
    raw = raw_minimal()
    raw["patients"].loc[1, column] = sentinel.strftime("%Y-%m-%d")
    p = _problems(raw)
    hit = p[p["rule"] == "sentinel_date"]
    assert hit[["table", "row", "column", "value", "severity"]].values.tolist() == [
        ["patients", 3, column, sentinel.strftime("%Y-%m-%d"), "error"]
    ]


def test_dates_next_to_placeholders_are_not_refused():
    raw = raw_minimal()
    raw["patients"].loc[1, "birth_date"] = "1900-01-02"
    assert "sentinel_date" not in set(_problems(raw)["rule"])


# --- numbers: the value as written, exactly ----------------------------------------------


@_SETTINGS
@given(value=st.floats(0, 100, allow_nan=False))
def test_any_float_written_as_text_reads_back_bit_for_bit(value):
    raw = raw_minimal()
    raw["pathology"]["ki67_percent"] = repr(value)
    tables, problems = validate_tables(raw)
    assert (tables["pathology"]["ki67_percent"] == value).all()
    assert "type" not in set(problems["rule"])


@_SETTINGS
@given(value=st.integers(1, int(PLAUSIBLE_MAXIMUM["cells"])))
def test_any_whole_number_in_range_reads_back_exactly(value):
    raw = raw_minimal()
    raw["pathology"]["ki67_cells_counted"] = str(value)
    raw["pathology"]["ki67_positive_cells"] = "0"
    tables, problems = validate_tables(raw)
    assert tables["pathology"]["ki67_cells_counted"].tolist() == [value] * 5
    assert not (problems["severity"] == "error").any()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1.000", "ambiguous"),
        ("12.500", "ambiguous"),
        ("1.000.000", "ambiguous"),
        ("1.0000000000000001", "not a whole number"),
        ("9007199254740993", "too large"),
        ("-9007199254740993", "too large"),
        ("9.007199254740993e15", "too large"),
        ("1e400", "not a finite number"),
        ("0000000000000004.5", "not a whole number"),
    ],
)
def test_whole_number_columns_judge_the_text_not_its_float(text, message):
    raw = raw_minimal()
    raw["therapy_lines"].loc[4, "cycles"] = text
    p = _problems(raw)
    hit = p[p["column"] == "cycles"]
    assert hit[["row", "value", "rule"]].values.tolist() == [[6, text, "type"]]
    assert message in hit["message"].iloc[0]


@pytest.mark.parametrize("text", ["4.0", "4", "4.", "4.00", "+4", "4e0", "0.4e1"])
def test_plain_whole_numbers_in_other_spellings_are_read(text):
    raw = raw_minimal()
    raw["therapy_lines"].loc[4, "cycles"] = text
    tables, problems = validate_tables(raw)
    assert tables["therapy_lines"]["cycles"].iloc[4] == 4
    assert not (problems["severity"] == "error").any()


@pytest.mark.parametrize("text", ["1_5", "1_000", "\uff11\uff12", "\u0661\u0662", "0x10", "1__0%"])
def test_number_syntax_python_accepts_but_a_cell_does_not(text):
    raw = raw_minimal()
    raw["pathology"].loc[0, "ki67_percent"] = text
    p = _problems(raw)
    assert _cell_problems(p, "pathology", "ki67_percent") == [[2, text, "type", "error"]]


def test_typed_integers_beyond_two_to_the_53_are_refused_not_rounded(folder):
    """Parquet keeps int64 exactly; 2^53 + 1 must not arrive as 2^53."""
    raw = load_cohort(MINIMAL).therapy_lines
    frame = raw.astype({"cycles": "float64"}).drop(columns="drug_class")
    frame["cycles"] = pd.array([0, 0, 0, 0, 2**53 + 1, 0, 6, 0, 0], dtype="int64")
    (folder / "therapy_lines.csv").unlink()
    frame.to_parquet(folder / "therapy_lines.parquet")
    with pytest.raises(CohortValidationError) as info:
        load_cohort(folder)
    hit = info.value.problems
    hit = hit[hit["column"] == "cycles"]
    assert hit[["row", "value", "rule"]].values.tolist() == [[5, str(2**53 + 1), "type"]]
    assert "too large" in hit["message"].iloc[0]
    assert float(2**53) == MAX_EXACT_INT


@pytest.mark.parametrize(
    ("table", "column", "key"),
    [
        ("pathology", "tumour_size_mm", "size_mm"),
        ("pathology", "mitoses_per_2mm2", "mitoses"),
        ("pathology", "ki67_cells_counted", "cells"),
        ("imaging", "suvmax_lesion", "suv"),
        ("imaging", "suvmax_liver", "suv"),
        ("therapy_lines", "cycles", "cycles"),
    ],
)
def test_absurd_magnitudes_are_outside_the_plausible_range(table, column, key):
    limit = PLAUSIBLE_MAXIMUM[key]
    assert TABLES[table].column(column).maximum == limit
    for value, refused in ((limit, False), (limit * 1.5, True), (1e300, True)):
        raw = raw_minimal()
        raw[table].loc[0, column] = repr(float(value)) if value % 1 else str(int(value))
        if column == "ki67_cells_counted":
            raw[table].loc[0, "ki67_percent"] = ""
        p = _problems(raw)
        # A whole number beyond 2^53 is refused as too large before its range is checked.
        hit = p[(p["column"] == column) & p["rule"].isin(["range", "type"])]
        assert hit["row"].tolist() == ([2] if refused else []), (value, p.to_string())


# --- text: encodings and invisible characters --------------------------------------------


def test_invisible_character_class_is_unicode_control_and_format_characters():
    pattern = re.compile(_INVISIBLE)
    expected = {c for c in range(0x110000) if unicodedata.category(chr(c)) in ("Cc", "Cf")}
    assert {c for c in range(0x110000) if pattern.fullmatch(chr(c))} == expected


@pytest.mark.parametrize("char", ["\x81", "\x00", "\u200b", "\u202e", "\ufeff", "\t"])
def test_identifiers_with_invisible_characters_are_refused(char):
    raw = raw_minimal()
    raw["imaging"].loc[2, "scan_id"] = f"I00{char}2A"
    p = _problems(raw)
    assert _cell_problems(p, "imaging", "scan_id") == [
        [4, f"I00{char}2A", "control_character", "error"]
    ]


def test_windows_1252_text_is_decoded_as_windows_1252(folder):
    lines = (folder / "pathology.csv").read_text().splitlines()
    lines[1] = lines[1].replace("S001A", "S001\u20acA\u2019")  # euro sign, right quote
    (folder / "pathology.csv").write_bytes(("\n".join(lines) + "\n").encode("cp1252"))
    assert load_cohort(folder).pathology["sample_id"].iloc[0] == "S001\u20acA\u2019"


def test_a_value_beyond_the_header_shifts_a_csv_record_but_is_a_note_in_a_sheet(folder):
    lines = (folder / "imaging.csv").read_text().splitlines()
    lines = [lines[0] + ","] + [ln + "," for ln in lines[1:]]
    lines[3] += "stray"  # record 3 (file row 4) has one field more than the others
    (folder / "imaging.csv").write_text("\n".join(lines) + "\n")
    with pytest.raises(CohortValidationError) as info:
        load_cohort(folder)
    p = info.value.problems
    assert p.loc[p["rule"] == "shifted_row", ["table", "row", "value"]].values.tolist() == [
        ["imaging", 4, "stray"]
    ]
    # Every record filled: a column without a header, ignored with a warning.
    (folder / "imaging.csv").write_text("\n".join(ln + "x" for ln in lines) + "\n")
    warned = load_cohort(folder).problems
    assert "shifted_row" not in set(warned["rule"])
    assert "unknown_column" in set(warned["rule"])
    # In a workbook cells cannot shift: a note beside the table is ignored with a warning.
    (folder / "imaging.csv").unlink()
    book = _book_from_minimal(folder / "imaging.xlsx", "imaging")
    book.active["K4"] = "note"
    book.save(folder / "imaging.xlsx")
    problems = load_cohort(folder).problems
    assert problems.loc[problems["rule"] == "unknown_column", "severity"].tolist() == ["warning"]


# --- vocabulary ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "column", ["sex", "primary_site", "functional_status", "stage_at_diagnosis"]
)
def test_unknown_is_refused_alike_in_every_category_column(column):
    raw = raw_minimal()
    raw["patients"].loc[0, column] = "unknown"
    p = _problems(raw)
    hit = p[(p["column"] == column)]
    assert hit[["row", "value", "rule"]].values.tolist() == [[2, "unknown", "vocabulary"]]
    assert "left blank" in hit["message"].iloc[0]


def test_unknown_primary_is_still_a_site():
    raw = raw_minimal()
    raw["patients"].loc[0, "primary_site"] = "CUP"
    tables, problems = validate_tables(raw)
    assert tables["patients"]["primary_site"].iloc[0] == "unknown_primary"


# --- folders: tables in formats netstats does not read -----------------------------------


def test_all_unreadable_table_files_are_named_at_once(folder):
    (folder / "pathology.csv").rename(folder / "pathology.xls")
    (folder / "imaging.csv").rename(folder / "imaging.csv.zip")
    with pytest.raises(CohortValidationError) as info:
        load_cohort(folder)
    p = info.value.problems
    assert sorted(p[["table", "rule", "value"]].values.tolist()) == [
        ["imaging", "unsupported_file", "imaging.csv.zip"],
        ["pathology", "unsupported_file", "pathology.xls"],
    ]
    assert ".xlsx" in str(info.value) and "decompress" in str(info.value)


def test_a_backup_beside_a_readable_table_file_is_not_read(folder):
    shutil.copy(folder / "imaging.csv", folder / "imaging.csv.bak")
    assert len(load_cohort(folder).imaging) == 6


def test_an_xls_workbook_as_source_says_what_to_do(tmp_path):
    path = tmp_path / "cohort.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0")
    with pytest.raises(ValueError, match=r"Excel 97-2003 workbook \(\.xls\)"):
        load_cohort(path)


# --- round trips: other writers, exact values --------------------------------------------


def test_spss_stata_and_sas_files_written_directly_load_their_values(folder):
    import pyreadstat

    values = [0.1, 2.0 / 3.0, 12.0, 99.95, 1e-9]
    frame = load_cohort(MINIMAL).pathology.drop(columns=[])
    plain = pd.DataFrame(
        {
            "patient_id": frame["patient_id"].astype(str),
            "sample_id": frame["sample_id"].astype(str),
            "sample_date": frame["sample_date"],
            "site": frame["site"].astype(str),
            "ki67_percent": values,
        }
    )
    for suffix in (".sav", ".dta", ".xpt"):
        for old in folder.glob("pathology.*"):
            old.unlink()
        path = folder / f"pathology{suffix}"
        if suffix == ".sav":
            pyreadstat.write_sav(plain, str(path))
        elif suffix == ".dta":
            plain.to_stata(path, write_index=False, version=118)
        else:
            pyreadstat.write_xport(plain, str(path), table_name="path")
        loaded = load_cohort(folder).pathology
        assert loaded["ki67_percent"].tolist() == values, suffix
        assert loaded["sample_id"].tolist() == plain["sample_id"].tolist(), suffix


def test_duckdb_table_written_directly_loads_its_values(tmp_path):
    import duckdb

    path = tmp_path / "c.duckdb"
    con = duckdb.connect(str(path))
    for name, frame in load_cohort(MINIMAL).tables.items():
        con.register("_f", frame.drop(columns=["drug_class"], errors="ignore"))
        con.execute(f'CREATE TABLE "{name}" AS SELECT * FROM _f')
        con.unregister("_f")
    con.close()
    expected = load_cohort(MINIMAL)
    back = load_cohort(path)
    for name in expected.tables:
        pd.testing.assert_frame_equal(back.tables[name], expected.tables[name], check_exact=True)
    con = duckdb.connect(str(path))
    con.execute("ALTER TABLE pathology ALTER ki67_cells_counted TYPE BIGINT")
    con.execute(
        "UPDATE pathology SET ki67_cells_counted = 9007199254740993 WHERE sample_id = 'S001B'"
    )
    con.close()
    with pytest.raises(CohortValidationError) as info:
        load_cohort(path)
    hit = info.value.problems
    hit = hit[(hit["column"] == "ki67_cells_counted") & (hit["severity"] == "error")]
    assert hit[["row", "rule"]].values.tolist() == [[2, "type"]]


def test_validated_cohort_is_unchanged_by_reading_its_own_excel_export(tmp_path):
    cohort = load_cohort(MINIMAL)
    path = tmp_path / "cohort.xlsx"
    with pd.ExcelWriter(path) as writer:
        for name, frame in cohort.tables.items():
            frame.to_excel(writer, sheet_name=name, index=False)
    back = load_cohort(path)
    for name in cohort.tables:
        pd.testing.assert_frame_equal(back.tables[name], cohort.tables[name], check_exact=True)
    assert isinstance(back, Cohort)

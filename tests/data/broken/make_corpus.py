"""Regenerate the broken-cohort corpus from tests/data/minimal.

Each case is a folder holding the minimal cohort with one deliberate defect and an
``EXPECTED`` file: one line of ``key=value`` fields (shell quoting) naming the outcome
(``error`` or ``loads``) and the exact problem reported: severity, rule, table, column,
row (as the file shows it; ``-`` for a whole-table or whole-file problem) and value.
A ``loads`` case may also name ``parsed``: the value the cell holds after loading; a case
may name ``source``: the file in the folder to load instead of the folder.

Run from the repository root: ``python tests/data/broken/make_corpus.py``.
"""

from __future__ import annotations

import shlex
import shutil
from pathlib import Path

HERE = Path(__file__).parent
MINIMAL = HERE.parent / "minimal"


def _lines(name: str) -> list[str]:
    return (MINIMAL / f"{name}.csv").read_text(encoding="utf-8").splitlines()


def _set_cell(name: str, line: int, column: str, value: str) -> list[str]:
    """Lines of table ``name`` with the cell at file line ``line`` (header = 1) replaced."""
    lines = _lines(name)
    header = lines[0].split(",")
    cells = lines[line - 1].split(",")
    cells[header.index(column)] = value
    lines[line - 1] = ",".join(cells)
    return lines


def _text(lines: list[str]) -> str:
    return "\n".join(lines) + "\n"


# name -> (description, {file name: bytes or str}, expected fields)
CASES: dict[str, tuple[str, dict[str, bytes | str], dict[str, str]]] = {}


def case(name: str, description: str, files: dict[str, bytes | str], **expected: object) -> None:
    CASES[name] = (description, files, {k: str(v) for k, v in expected.items()})


def cell(table: str, line: int, column: str, value: str) -> dict[str, bytes | str]:
    return {f"{table}.csv": _text(_set_cell(table, line, column, value))}


P, PA, TL, IM = "patients", "pathology", "therapy_lines", "imaging"

# --- file and header level --------------------------------------------------------------
case(
    "semicolon_delimiter",
    "patients.csv written with ';' as the delimiter (European Excel export)",
    {"patients.csv": _text([ln.replace(",", ";") for ln in _lines(P)])},
    outcome="error",
    severity="error",
    rule="delimiter",
    table=P,
    column="-",
    row="-",
    value=";",
)
case(
    "tab_delimiter",
    "pathology.csv is tab-separated text with a .csv ending",
    {"pathology.csv": _text([ln.replace(",", "\t") for ln in _lines(PA)])},
    outcome="error",
    severity="error",
    rule="delimiter",
    table=PA,
    column="-",
    row="-",
    value="\\t",
)
dup = _lines(P)
dup[0] = dup[0].replace("death_date", "sex")
case(
    "duplicated_header",
    "patients.csv has the header 'sex' twice (the last column should be death_date)",
    {"patients.csv": _text(dup)},
    outcome="error",
    severity="error",
    rule="duplicate_header",
    table=P,
    column="sex",
    row="-",
    value="-",
)
mis = _lines(P)
mis[0] = mis[0].replace("diagnosis_date", "diagnosis_dat")
case(
    "misspelled_required_header",
    "patients.csv header 'diagnosis_dat' instead of diagnosis_date",
    {"patients.csv": _text(mis)},
    outcome="error",
    severity="error",
    rule="required_column",
    table=P,
    column="diagnosis_date",
    row="-",
    value="-",
)
mis = _lines(PA)
mis[0] = mis[0].replace("ki67_percent", "ki67_percnt")
case(
    "misspelled_optional_header",
    "pathology.csv header 'ki67_percnt': the column is ignored with a warning naming it",
    {"pathology.csv": _text(mis)},
    outcome="loads",
    severity="warning",
    rule="unknown_column",
    table=PA,
    column="ki67_percnt",
    row="-",
    value="-",
)
hdr = _lines(P)
hdr[0] = hdr[0].replace("patient_id", " Patient ID").replace("death_date", "Death-Date")
case(
    "header_case_and_blanks",
    "headers ' Patient ID' and 'Death-Date' are matched to patient_id and death_date",
    {"patients.csv": _text(hdr)},
    outcome="loads",
    severity="-",
    rule="-",
    table=P,
    column="patient_id",
    row=2,
    value="-",
    parsed="001",
)
case(
    "ragged_row",
    "a therapy_lines.csv record has one field more than the header",
    {"therapy_lines.csv": _text(_lines(TL)[:3] + [_lines(TL)[3] + ",extra"] + _lines(TL)[4:])},
    outcome="error",
    severity="error",
    rule="csv_format",
    table=TL,
    column="-",
    row=4,
    value="-",
)
quote = _lines(IM)
quote[2] = quote[2].replace("I001B", '"I001B')
case(
    "unclosed_quote",
    'imaging.csv has an opening quote that is never closed ("I001B...)',
    {"imaging.csv": _text(quote)},
    outcome="error",
    severity="error",
    rule="csv_format",
    table=IM,
    column="-",
    row="-",
    value="-",
)
case(
    "empty_file",
    "imaging.csv is an empty (0-byte) file",
    {"imaging.csv": ""},
    outcome="error",
    severity="error",
    rule="empty_table",
    table=IM,
    column="-",
    row="-",
    value="-",
)
case(
    "header_only",
    "pathology.csv holds only its header row",
    {"pathology.csv": _text(_lines(PA)[:1])},
    outcome="error",
    severity="error",
    rule="empty_table",
    table=PA,
    column="-",
    row="-",
    value="-",
)
case(
    "bom",
    "patients.csv starts with a UTF-8 byte-order mark (Excel 'CSV UTF-8')",
    {"patients.csv": "\ufeff" + _text(_lines(P))},
    outcome="loads",
    severity="-",
    rule="-",
    table=P,
    column="patient_id",
    row=2,
    value="-",
    parsed="001",
)
lat = _lines(PA)
lat[1] = lat[1].replace("S001A", "S001Ä-é")
case(
    "latin1_accents",
    "pathology.csv is Latin-1 encoded with accents in a sample_id",
    {"pathology.csv": _text(lat).encode("latin-1")},
    outcome="loads",
    severity="-",
    rule="-",
    table=PA,
    column="sample_id",
    row=2,
    value="-",
    parsed="S001Ä-é",
)
case(
    "utf16_excel_unicode_text",
    "patients.csv saved by Excel as 'Unicode text': UTF-16 with a byte-order mark, tabs",
    {"patients.csv": _text([ln.replace(",", "\t") for ln in _lines(P)]).encode("utf-16")},
    outcome="error",
    severity="error",
    rule="delimiter",
    table=P,
    column="-",
    row="-",
    value="\\t",
)
case(
    "crlf_line_endings",
    "therapy_lines.csv uses Windows line endings",
    {"therapy_lines.csv": _text(_lines(TL)).replace("\n", "\r\n")},
    outcome="loads",
    severity="-",
    rule="-",
    table=TL,
    column="regimen",
    row=10,
    value="-",
    parsed="everolimus",
)
case(
    "trailing_blank_rows",
    "imaging.csv ends with blank lines and lines of bare commas",
    {"imaging.csv": _text(_lines(IM)) + ",,,,,,,,,\n\n,,,,,,,,,\n\n"},
    outcome="loads",
    severity="-",
    rule="-",
    table=IM,
    column="scan_id",
    row=7,
    value="-",
    parsed="I004A",
)
mid = _lines(IM)
case(
    "blank_row_inside",
    "imaging.csv has a blank record (bare commas) between two scans",
    {"imaging.csv": _text(mid[:3] + [",,,,,,,,,"] + mid[3:])},
    outcome="loads",
    severity="warning",
    rule="blank_row",
    table=IM,
    column="-",
    row=4,
    value="-",
)
case(
    "no_patients_file",
    "the folder has no patients table",
    {"patients.csv": None},  # type: ignore[dict-item]
    outcome="error",
    severity="error",
    rule="table_missing",
    table=P,
    column="-",
    row="-",
    value="-",
)

# --- cells ------------------------------------------------------------------------------
case(
    "mixed_types",
    "pathology.ki67_percent holds a word among numbers",
    cell(PA, 3, "ki67_percent", "high"),
    outcome="error",
    severity="error",
    rule="type",
    table=PA,
    column="ki67_percent",
    row=3,
    value="high",
)
case(
    "mixed_types_int",
    "therapy_lines.line written as a word",
    cell(TL, 3, "line", "two"),
    outcome="error",
    severity="error",
    rule="type",
    table=TL,
    column="line",
    row=3,
    value="two",
)
three = _set_cell(P, 3, "diagnosis_date", "20/01/2016")
three[3] = three[3].replace("2018-09-10", "Sep 10 2018")
case(
    "dates_in_three_formats",
    "patients.diagnosis_date mixes ISO, DD/MM/YYYY and 'Sep 10 2018'",
    {"patients.csv": _text(three)},
    outcome="error",
    severity="error",
    rule="date_format",
    table=P,
    column="diagnosis_date",
    row=3,
    value="20/01/2016",
)
case(
    "impossible_date",
    "therapy_lines.start_date 2019-02-30",
    cell(TL, 2, "start_date", "2019-02-30"),
    outcome="error",
    severity="error",
    rule="date_format",
    table=TL,
    column="start_date",
    row=2,
    value="2019-02-30",
)
case(
    "excel_serial_date_in_csv",
    "patients.diagnosis_date holds the Excel serial day number 42157 (= 2015-06-02)",
    cell(P, 2, "diagnosis_date", "42157"),
    outcome="error",
    severity="error",
    rule="date_format",
    table=P,
    column="diagnosis_date",
    row=2,
    value="42157",
)
case(
    "decimal_comma",
    'pathology.ki67_percent "5,2" (decimal comma, quoted) is read as 5.2 with a warning',
    cell(PA, 2, "ki67_percent", '"5,2"'),
    outcome="loads",
    severity="warning",
    rule="normalised",
    table=PA,
    column="ki67_percent",
    row=2,
    value="5,2",
    parsed=5.2,
)
case(
    "percent_sign",
    'pathology.ki67_percent "5%" is read as 5.0 with a warning',
    cell(PA, 2, "ki67_percent", "5%"),
    outcome="loads",
    severity="warning",
    rule="normalised",
    table=PA,
    column="ki67_percent",
    row=2,
    value="5%",
    parsed=5.0,
)
case(
    "percent_sign_with_blank",
    'imaging.liver_burden_percent "30 %" is read as 30.0 with a warning',
    cell(IM, 2, "liver_burden_percent", "30 %"),
    outcome="loads",
    severity="warning",
    rule="normalised",
    table=IM,
    column="liver_burden_percent",
    row=2,
    value="30 %",
    parsed=30.0,
)
case(
    "ki67_below_limit",
    'pathology.ki67_percent "<1": a bound, not a measurement',
    cell(PA, 3, "ki67_percent", "<1"),
    outcome="error",
    severity="error",
    rule="censored_value",
    table=PA,
    column="ki67_percent",
    row=3,
    value="<1",
)
case(
    "ki67_above_limit",
    'pathology.ki67_percent ">20": a bound, not a measurement',
    cell(PA, 5, "ki67_percent", ">20"),
    outcome="error",
    severity="error",
    rule="censored_value",
    table=PA,
    column="ki67_percent",
    row=5,
    value=">20",
)
case(
    "nan_text",
    'pathology.ki67_percent "NaN" is read as missing',
    cell(PA, 2, "ki67_percent", "NaN"),
    outcome="loads",
    severity="-",
    rule="-",
    table=PA,
    column="ki67_percent",
    row=2,
    value="-",
    parsed="<NA>",
)
case(
    "infinity",
    'imaging.suvmax_lesion "inf"',
    cell(IM, 2, "suvmax_lesion", "inf"),
    outcome="error",
    severity="error",
    rule="type",
    table=IM,
    column="suvmax_lesion",
    row=2,
    value="inf",
)
case(
    "sentinel_minus_99",
    "patients.age_at_diagnosis -99 (a missing-value code)",
    cell(P, 4, "age_at_diagnosis", "-99"),
    outcome="error",
    severity="error",
    rule="range",
    table=P,
    column="age_at_diagnosis",
    row=4,
    value="-99.0",
    message="missing-value code",
)
case(
    "sentinel_999",
    "pathology.ki67_percent 999 (a missing-value code)",
    cell(PA, 4, "ki67_percent", "999"),
    outcome="error",
    severity="error",
    rule="range",
    table=PA,
    column="ki67_percent",
    row=4,
    value="999.0",
    message="missing-value code",
)
case(
    "negative_count",
    "pathology.ki67_cells_counted -500",
    cell(PA, 2, "ki67_cells_counted", "-500"),
    outcome="error",
    severity="error",
    rule="range",
    table=PA,
    column="ki67_cells_counted",
    row=2,
    value="-500",
)

# --- keys and cross-table rules ---------------------------------------------------------
orphan = _lines(TL) + [
    "005,1,everolimus,2020-01-01,2020-06-01,progression,2020-06-01,PD,2020-06-01,"
]
case(
    "lines_without_patient",
    "therapy_lines.csv has lines for patient 005, who has no patients row",
    {"therapy_lines.csv": _text(orphan)},
    outcome="error",
    severity="error",
    rule="unknown_patient",
    table=TL,
    column="patient_id",
    row=11,
    value="005",
)
case(
    "second_line_before_first_ended",
    "patient 001's line 2 starts 2022-08-01, before line 1 ended (2022-08-15)",
    cell(TL, 3, "start_date", "2022-08-01"),
    outcome="loads",
    severity="warning",
    rule="overlapping_lines",
    table=TL,
    column="start_date",
    row=3,
    value="2022-08-01",
)
case(
    "line_starts_before_previous_started",
    "patient 001's line 2 starts before line 1 started",
    cell(TL, 3, "start_date", "2019-07-01"),
    outcome="error",
    severity="error",
    rule="line_order",
    table=TL,
    column="start_date",
    row=3,
    value="2019-07-01",
)
case(
    "progression_after_death",
    "patient 004 (died 2023-03-01) has a progression_date of 2023-06-01",
    cell(TL, 10, "progression_date", "2023-06-01"),
    outcome="error",
    severity="error",
    rule="after_death",
    table=TL,
    column="progression_date",
    row=10,
    value="2023-06-01",
)
dup_rows = _lines(PA)
case(
    "duplicated_record",
    "pathology.csv repeats its first record",
    {"pathology.csv": _text(dup_rows[:2] + dup_rows[1:])},
    outcome="error",
    severity="error",
    rule="unique_key",
    table=PA,
    column="sample_id",
    row=3,
    value="S001A",
)

case(
    "partial_date",
    "patients.diagnosis_date '2015-06' (year-month only) is not moved to the 1st",
    cell(P, 2, "diagnosis_date", "2015-06"),
    outcome="error",
    severity="error",
    rule="date_format",
    table=P,
    column="diagnosis_date",
    row=2,
    value="2015-06",
    message="partial date",
)
case(
    "thousands_separator",
    'pathology.ki67_cells_counted "1,000": decimal comma or thousands separator?',
    cell(PA, 2, "ki67_cells_counted", '"1,000"'),
    outcome="error",
    severity="error",
    rule="type",
    table=PA,
    column="ki67_cells_counted",
    row=2,
    value="1,000",
    message="ambiguous",
)
case(
    "corrupt_excel_file",
    "imaging.xlsx is not a workbook (a truncated download)",
    {"imaging.csv": None, "imaging.xlsx": b"PK\x03\x04 truncated"},  # type: ignore[dict-item]
    outcome="error",
    severity="error",
    rule="unreadable_file",
    table=IM,
    column="-",
    row="-",
    value="-",
)
case(
    "excel_serial_date",
    "patients.xlsx with diagnosis_date typed as the number 42157 (= 2015-06-02) in one row",
    {"patients.csv": None, "patients.xlsx": "EXCEL:patients:2:diagnosis_date:42157"},
    outcome="error",
    severity="error",
    rule="date_format",
    table=P,
    column="diagnosis_date",
    row=2,
    value="42157",
    message="Excel serial day number",
)
case(
    "excel_duplicated_header",
    "pathology.xlsx has the header 'site' twice",
    {"pathology.csv": None, "pathology.xlsx": "EXCEL:pathology:1:specimen_type:site"},
    outcome="error",
    severity="error",
    rule="duplicate_header",
    table=PA,
    column="site",
    row="-",
    value="-",
)

# --- silent misreads of round two: each is read as the file shows it, or refused ---------
case(
    "excel_percent_cell",
    "pathology.xlsx with ki67_percent typed as 12% (stored 0.12, percent number format)",
    {"pathology.csv": None, "pathology.xlsx": "BOOK:percent_cell"},
    outcome="loads",
    severity="warning",
    rule="normalised",
    table=PA,
    column="ki67_percent",
    row=4,
    value="12%",
    parsed=12.0,
)
case(
    "date_with_offset_among_plain_dates",
    "patients.diagnosis_date 2015-06-02T23:30:00-05:00 among dates without an offset keeps its day",
    cell(P, 2, "diagnosis_date", "2015-06-02T23:30:00-05:00"),
    outcome="loads",
    severity="-",
    rule="-",
    table=P,
    column="diagnosis_date",
    row=2,
    value="-",
    parsed="2015-06-02 00:00:00",
)
mixed = _set_cell(P, 2, "diagnosis_date", "2015-06-02T23:30:00-05:00")
mixed[2] = mixed[2].replace("2016-01-20", "2016-01-20T08:00:00+09:00")
case(
    "dates_with_different_offsets",
    "patients.diagnosis_date cells with offsets -05:00 and +09:00 keep their own days",
    {"patients.csv": _text(mixed)},
    outcome="loads",
    severity="-",
    rule="-",
    table=P,
    column="diagnosis_date",
    row=3,
    value="-",
    parsed="2016-01-20 00:00:00",
)
case(
    "excel_error_cell",
    "pathology.xlsx with the error value #DIV/0! in a ki67_percent cell",
    {"pathology.csv": None, "pathology.xlsx": "BOOK:error_cell"},
    outcome="error",
    severity="error",
    rule="excel_error",
    table=PA,
    column="ki67_percent",
    row=3,
    value="#DIV/0!",
)
case(
    "excel_formula_without_value",
    "imaging.xlsx written by a script: suvmax_liver of one scan is a formula with no saved result",
    {"imaging.csv": None, "imaging.xlsx": "BOOK:formula_cell"},
    outcome="error",
    severity="error",
    rule="formula_without_value",
    table=IM,
    column="suvmax_liver",
    row=2,
    value="=16.2/2",
)
case(
    "excel_hidden_sheet_clash",
    "cohort.xlsx has a visible 'patients' sheet and a hidden 'patients ' sheet",
    {"cohort.xlsx": "BOOK:hidden_clash"},
    outcome="error",
    severity="error",
    rule="several_sheets",
    table=P,
    column="-",
    row="-",
    value="'patients', 'patients ' (hidden)",
    source="cohort.xlsx",
)
case(
    "excel_merged_cells",
    "pathology.xlsx has differentiation 'well' merged over the five specimen rows (F2:F6)",
    {"pathology.csv": None, "pathology.xlsx": "BOOK:merged_cells"},
    outcome="error",
    severity="error",
    rule="merged_cell",
    table=PA,
    column="differentiation",
    row=3,
    value="F2:F6",
)
case(
    "whole_number_with_thousands_point",
    'pathology.ki67_cells_counted "1.000": one, or one thousand with a thousands point?',
    cell(PA, 2, "ki67_cells_counted", "1.000"),
    outcome="error",
    severity="error",
    rule="type",
    table=PA,
    column="ki67_cells_counted",
    row=2,
    value="1.000",
    message="ambiguous",
)
case(
    "underscore_in_number",
    'pathology.mitoses_per_2mm2 "1_5" (Python reads 15)',
    cell(PA, 2, "mitoses_per_2mm2", "1_5"),
    outcome="error",
    severity="error",
    rule="type",
    table=PA,
    column="mitoses_per_2mm2",
    row=2,
    value="1_5",
)
case(
    "whole_number_beyond_2_53",
    "therapy_lines.cycles 9007199254740993 (2^53 + 1, no exact float)",
    cell(TL, 6, "cycles", "9007199254740993"),
    outcome="error",
    severity="error",
    rule="type",
    table=TL,
    column="cycles",
    row=6,
    value="9007199254740993",
    message="too large",
)
case(
    "absurd_tumour_size",
    "pathology.tumour_size_mm 1e300 (beyond the plausible maximum of 1000 mm)",
    cell(PA, 2, "tumour_size_mm", "1e300"),
    outcome="error",
    severity="error",
    rule="range",
    table=PA,
    column="tumour_size_mm",
    row=2,
    value="1e+300",
)
shift = [ln + "," for ln in _lines(PA)]
shift[2] = _lines(PA)[2].replace(",2.0,", ",2,0,")
case(
    "decimal_comma_shifts_row",
    "pathology.csv lines end with a comma; row 3 has an unquoted decimal comma 2,0 and no "
    "trailing comma, so its values move one column right",
    {"pathology.csv": _text(shift)},
    outcome="error",
    severity="error",
    rule="shifted_row",
    table=PA,
    column="-",
    row=3,
    value="18",
)
cp = _lines(PA)
cp[1] = cp[1].replace("S001A", "S001\u2019A")
case(
    "cp1252_quote_in_identifier",
    "pathology.csv in Windows-1252 with a right quote (byte 0x92) in a sample_id",
    {"pathology.csv": _text(cp).encode("cp1252")},
    outcome="loads",
    severity="-",
    rule="-",
    table=PA,
    column="sample_id",
    row=2,
    value="-",
    parsed="S001\u2019A",
)
ctl = _text(_lines(PA)).encode("latin-1").replace(b"S001A", b"S001\x81A")
case(
    "control_character_in_identifier",
    "pathology.csv holds byte 0x81 in a sample_id (no Windows-1252 character: a control "
    "character in Latin-1)",
    {"pathology.csv": ctl},
    outcome="error",
    severity="error",
    rule="control_character",
    table=PA,
    column="sample_id",
    row=2,
    value="S001\x81A",
)
case(
    "sentinel_last_contact_2099",
    "patients.last_contact_date 2099-12-31 (an open-ended placeholder)",
    cell(P, 2, "last_contact_date", "2099-12-31"),
    outcome="error",
    severity="error",
    rule="sentinel_date",
    table=P,
    column="last_contact_date",
    row=2,
    value="2099-12-31",
    message="missing-value code",
)
case(
    "sentinel_birth_1900",
    "patients.birth_date 1900-01-01 (a placeholder for an unknown birth date)",
    cell(P, 3, "birth_date", "1900-01-01"),
    outcome="error",
    severity="error",
    rule="sentinel_date",
    table=P,
    column="birth_date",
    row=3,
    value="1900-01-01",
    message="missing-value code",
)
case(
    "unknown_primary_site",
    "patients.primary_site 'unknown': a primary never found, or a site not recorded?",
    cell(P, 4, "primary_site", "unknown"),
    outcome="error",
    severity="error",
    rule="vocabulary",
    table=P,
    column="primary_site",
    row=4,
    value="unknown",
    message="unknown_primary",
)
case(
    "folder_with_xls",
    "the pathology table is an Excel 97-2003 file, pathology.xls",
    {"pathology.csv": None, "pathology.xls": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)},
    outcome="error",
    severity="error",
    rule="unsupported_file",
    table=PA,
    column="-",
    row="-",
    value="pathology.xls",
)
case(
    "folder_with_csv_gz",
    "the imaging table is a gzip-compressed CSV, imaging.csv.gz",
    {"imaging.csv": None, "imaging.csv.gz": "GZIP:imaging"},
    outcome="error",
    severity="error",
    rule="unsupported_file",
    table=IM,
    column="-",
    row="-",
    value="imaging.csv.gz",
)


def _typed(text: str) -> object:
    """A CSV cell as a spreadsheet holds it: numbers as numbers, ISO dates as dates."""
    import datetime as dt

    if text == "":
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        pass
    try:
        if text.lstrip("-").isdigit() and not text.startswith("0"):
            return int(text)
        return float(text) if "." in text else text
    except ValueError:
        return text


def _sheet(book: object, table: str, title: str | None = None) -> object:
    """Append ``table`` (from the minimal cohort) to ``book`` as a typed sheet."""
    sheet = book.create_sheet(title or table)  # type: ignore[attr-defined]
    for i, cells in enumerate(ln.split(",") for ln in _lines(table)):
        sheet.append(cells if i == 0 else [_typed(c) for c in cells])
    return sheet


def _write_book(target: Path, kind: str) -> None:
    """``BOOK:kind``: a workbook with one spreadsheet feature pandas' reader loses."""
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    if kind == "percent_cell":
        sheet = _sheet(book, PA)
        sheet["G4"] = 0.12  # S002A's Ki-67, typed as 12%
        sheet["G4"].number_format = "0%"
    elif kind == "error_cell":
        sheet = _sheet(book, PA)
        sheet["G3"] = "#DIV/0!"
    elif kind == "formula_cell":
        sheet = _sheet(book, IM)
        sheet["G2"] = "=16.2/2"
    elif kind == "merged_cells":
        sheet = _sheet(book, PA)
        sheet.merge_cells("F2:F6")
    elif kind == "hidden_clash":
        for table in (P, PA, TL, IM):
            _sheet(book, table)
        hidden = _sheet(book, P, "patients ")
        hidden["B2"] = "female"
        hidden.sheet_state = "hidden"
    else:
        raise ValueError(kind)
    book.save(target)


def _write_excel(target: Path, spec: str) -> None:
    """``EXCEL:table:line:column:value``: the table as a workbook with one cell changed.

    Line 1 is the header row (then ``column`` names the header to replace).  Numbers are
    written as numbers and ISO dates as dates, as a spreadsheet would hold them.
    """
    import datetime as dt

    from openpyxl import Workbook

    _, table, line, column, value = spec.split(":", 4)
    rows = [ln.split(",") for ln in _lines(table)]
    col = rows[0].index(column)
    rows[int(line) - 1][col] = value
    book = Workbook()
    sheet = book.active
    for i, cells in enumerate(rows):
        out: list[object] = []
        for text in cells:
            if i == 0 or text == "":
                out.append(text or None)
                continue
            try:
                out.append(dt.date.fromisoformat(text))
                continue
            except ValueError:
                pass
            try:
                out.append(
                    int(text)
                    if text.lstrip("-").isdigit() and not text.startswith("0")
                    else float(text)
                    if "." in text
                    else text
                )
            except ValueError:
                out.append(text)
        sheet.append(out)
    book.save(target)


def _write(
    name: str, description: str, files: dict[str, bytes | str | None], expected: dict[str, str]
) -> None:
    folder = HERE / name
    if folder.exists():
        shutil.rmtree(folder)
    shutil.copytree(MINIMAL, folder)
    for fname, content in files.items():
        target = folder / fname
        if content is None:
            target.unlink()
        elif isinstance(content, bytes):
            target.write_bytes(content)
        elif content.startswith("EXCEL:"):
            _write_excel(target, content)
        elif content.startswith("BOOK:"):
            _write_book(target, content.removeprefix("BOOK:"))
        elif content.startswith("GZIP:"):
            import gzip

            data = _text(_lines(content.removeprefix("GZIP:"))).encode("utf-8")
            target.write_bytes(gzip.compress(data, mtime=0))
        else:
            target.write_bytes(content.encode("utf-8"))
    fields = " ".join(f"{k}={shlex.quote(v)}" for k, v in expected.items())
    (folder / "EXPECTED").write_text(fields + "\n", encoding="utf-8")
    (folder / "DESCRIPTION").write_text(description + "\n", encoding="utf-8")


README_HEAD = """# Broken cohorts

Each folder is `tests/data/minimal` with one defect. `EXPECTED` names the outcome (`error`:
loading raises `CohortValidationError`; `loads`: the cohort loads, possibly with a warning)
and the exact problem row it must produce: severity, rule, table, column, row as the file
shows it (header = row 1; `-` for a whole-file, whole-table or whole-column problem) and
value. A case loads the folder itself, or the file named by `source` in `EXPECTED` (a
workbook with a sheet per table). `tests/test_broken_inputs.py` runs every case. Regenerate the folders with
`python tests/data/broken/make_corpus.py` (this table is written by the same script).
The 10,000-identical-rows case is built on the fly in the test (a 1 MB file has no place
in the repository).

| case | defect | outcome | severity | rule | table | column | row | value |
|---|---|---|---|---|---|---|---|---|
"""


def _readme() -> str:
    rows = []
    for name, (description, _files, exp) in CASES.items():
        cells = [exp[k] for k in ("outcome", "severity", "rule", "table", "column", "row")]
        value = "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in exp["value"]).replace(
            "|", "\\|"
        )
        rows.append(f"| `{name}` | {description} | " + " | ".join(cells) + f" | `{value}` |")
    return README_HEAD + "\n".join(rows) + "\n"


def main() -> None:
    for name, (description, files, expected) in CASES.items():
        _write(name, description, files, expected)
    (HERE / "README.md").write_text(_readme(), encoding="utf-8")
    print(f"wrote {len(CASES)} cases")


if __name__ == "__main__":
    main()

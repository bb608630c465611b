"""Regenerate the broken-cohort corpus from tests/data/minimal.

Each case is a folder holding the minimal cohort with one deliberate defect and an
``EXPECTED`` file: one line of ``key=value`` fields (shell quoting) naming the outcome
(``error`` or ``loads``) and the exact problem reported: severity, rule, table, column,
row (as the file shows it; ``-`` for a whole-table or whole-file problem) and value.
A ``loads`` case may also name ``parsed``: the value the cell holds after loading.

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
value. `tests/test_broken_inputs.py` runs every case. Regenerate the folders with
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
        value = exp["value"].replace("|", "\\|")
        rows.append(f"| `{name}` | {description} | " + " | ".join(cells) + f" | `{value}` |")
    return README_HEAD + "\n".join(rows) + "\n"


def main() -> None:
    for name, (description, files, expected) in CASES.items():
        _write(name, description, files, expected)
    (HERE / "README.md").write_text(_readme(), encoding="utf-8")
    print(f"wrote {len(CASES)} cases")


if __name__ == "__main__":
    main()

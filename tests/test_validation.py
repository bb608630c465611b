"""One failing input per validation rule: each must be reported with its table, row, column
and rule, and every problem must be reported in one run."""

from __future__ import annotations

import pandas as pd
import pytest
from _cohorts import raw_minimal, source_row

from netstats.cohort import Cohort, validate_tables
from netstats.exceptions import CohortValidationError

# (table, 0-based record, column to edit, new text, expected rule, reported column, severity)
CELL_CASES = [
    ("patients", 0, "diagnosis_date", "2015-13-02", "date_format", "diagnosis_date", "error"),
    ("patients", 0, "diagnosis_date", "2019-02-30", "date_format", "diagnosis_date", "error"),
    ("patients", 0, "age_at_diagnosis", "sixty", "type", "age_at_diagnosis", "error"),
    ("therapy_lines", 0, "line", "1.5", "type", "line", "error"),
    ("imaging", 3, "fdg_avid", "maybe", "type", "fdg_avid", "error"),
    ("therapy_lines", 1, "regimen", "surufatinb", "vocabulary", "regimen", "error"),
    ("pathology", 0, "site", "livr", "vocabulary", "site", "error"),
    ("patients", 0, "diagnosis_date", "", "required_value", "diagnosis_date", "error"),
    ("pathology", 0, "ki67_percent", "101", "range", "ki67_percent", "error"),
    ("imaging", 0, "suvmax_lesion", "0", "range", "suvmax_lesion", "error"),
    ("imaging", 0, "krenning_score", "5", "range", "krenning_score", "error"),
    ("pathology", 1, "sample_id", "S001A", "unique_key", "sample_id", "error"),
    ("therapy_lines", 1, "line", "1", "unique_key", "patient_id/line", "error"),
    ("pathology", 0, "patient_id", "999", "unknown_patient", "patient_id", "error"),
    ("patients", 0, "birth_date", "2016-01-01", "date_order", "birth_date", "error"),
    ("patients", 2, "last_contact_date", "2018-01-01", "date_order", "last_contact_date", "error"),
    ("patients", 1, "death_date", "2015-01-01", "date_order", "death_date", "error"),
    ("patients", 0, "death_date", "2020-01-01", "after_death", "last_contact_date", "error"),
    ("therapy_lines", 0, "start_date", "2014-01-01", "date_order", "start_date", "error"),
    ("therapy_lines", 0, "end_date", "2019-01-01", "date_order", "end_date", "error"),
    (
        "therapy_lines",
        0,
        "progression_date",
        "2019-01-01",
        "date_order",
        "progression_date",
        "error",
    ),
    (
        "therapy_lines",
        0,
        "last_assessment_date",
        "2019-01-01",
        "date_order",
        "last_assessment_date",
        "error",
    ),
    ("therapy_lines", 3, "end_date", "2022-01-01", "after_death", "end_date", "error"),
    ("imaging", 0, "scan_date", "2026-01-01", "after_last_contact", "scan_date", "error"),
    ("patients", 2, "age_at_diagnosis", "", "age_missing", "age_at_diagnosis", "warning"),
    ("patients", 0, "age_at_diagnosis", "30", "age_consistency", "age_at_diagnosis", "error"),
    ("pathology", 0, "ki67_positive_cells", "2000", "count_order", "ki67_positive_cells", "error"),
    ("pathology", 0, "ki67_percent", "9", "count_consistency", "ki67_percent", "warning"),
    ("pathology", 0, "ki67_cells_counted", "300", "few_cells", "ki67_cells_counted", "warning"),
    ("therapy_lines", 2, "end_date", "2025-01-20", "ongoing_ended", "end_reason", "error"),
    ("therapy_lines", 1, "end_date", "", "end_missing", "end_date", "error"),
    (
        "therapy_lines",
        0,
        "progression_date",
        "",
        "progression_missing",
        "progression_date",
        "warning",
    ),
    ("therapy_lines", 1, "end_reason", "death", "death_missing", "end_reason", "error"),
    ("therapy_lines", 2, "line", "4", "line_numbering", "line", "error"),
    ("therapy_lines", 1, "start_date", "2019-07-01", "line_order", "start_date", "error"),
    ("therapy_lines", 1, "start_date", "2022-08-01", "overlapping_lines", "start_date", "warning"),
    ("imaging", 3, "krenning_score", "2", "tracer_mismatch", "krenning_score", "warning"),
    ("imaging", 0, "fdg_avid", "true", "tracer_mismatch", "fdg_avid", "warning"),
]


def _problems(raw):
    _, problems = validate_tables(raw)
    return problems


def test_minimal_cohort_is_valid():
    problems = _problems(raw_minimal())
    assert (problems["severity"] == "error").sum() == 0
    # The one documented warning of the example: a specimen with 400 cells counted.
    assert problems["rule"].tolist() == ["few_cells"]


@pytest.mark.parametrize(
    ("table", "index", "column", "value", "rule", "reported", "severity"),
    CELL_CASES,
    ids=[f"{c[4]}-{c[0]}.{c[2]}" for c in CELL_CASES],
)
def test_each_rule_names_table_row_column(table, index, column, value, rule, reported, severity):
    raw = raw_minimal()
    raw[table].loc[index, column] = value
    problems = _problems(raw)
    hits = problems[(problems["rule"] == rule) & (problems["table"] == table)]
    assert len(hits) >= 1, problems.to_string()
    hit = hits[hits["column"] == reported]
    assert len(hit) >= 1, hits.to_string()
    assert source_row(index) in hit["row"].tolist() or rule == "line_numbering"
    assert set(hit["severity"]) == {severity}
    assert hit["message"].str.len().min() > 10


def test_vocabulary_error_suggests_closest_value():
    raw = raw_minimal()
    raw["therapy_lines"].loc[1, "regimen"] = "surufatinb"
    problems = _problems(raw)
    msg = problems.loc[problems["rule"] == "vocabulary", "message"].iloc[0]
    assert "did you mean 'surufatinib'" in msg


def test_line_numbering_names_first_row_of_patient():
    raw = raw_minimal()
    raw["therapy_lines"].loc[2, "line"] = "4"
    problems = _problems(raw)
    hit = problems[problems["rule"] == "line_numbering"]
    assert hit["row"].tolist() == [source_row(0)]
    assert "[1, 2, 4]" in hit["message"].iloc[0]


def test_header_problems():
    raw = raw_minimal()
    raw["pathology"] = raw["pathology"].rename(columns={"ki67_percent": "Ki67 Percent"})
    raw["imaging"] = raw["imaging"].rename(columns={"tracer": "tracr"})
    pat = raw["patients"]
    raw["patients"] = pd.concat([pat, pat[["sex"]]], axis=1)
    problems = _problems(raw)
    got = set(zip(problems["table"], problems["column"], problems["rule"], strict=True))
    # "Ki67 Percent" is accepted: headers are matched case-insensitively, blanks as "_".
    assert not any(c == "ki67_percent" for _, c, _ in got)
    assert ("imaging", "tracer", "required_column") in got
    assert ("imaging", "tracr", "unknown_column") in got
    assert ("patients", "sex", "duplicate_header") in got
    unknown = problems[problems["rule"] == "unknown_column"]
    assert "did you mean 'tracer'" in unknown["message"].iloc[0]


def test_missing_and_empty_tables():
    raw = raw_minimal()
    raw["imaging"] = raw["imaging"].iloc[0:0]
    raw.pop("pathology")
    problems = _problems(raw)
    empty = problems[problems["rule"] == "empty_table"]
    assert empty[["table", "severity"]].values.tolist() == [["imaging", "error"]]
    assert "only a header" in empty["message"].iloc[0]
    missing = problems[problems["rule"] == "table_missing"]
    assert missing[["table", "severity"]].values.tolist() == [["pathology", "warning"]]


def test_patients_table_is_required():
    raw = raw_minimal()
    raw.pop("patients")
    problems = _problems(raw)
    assert ((problems["rule"] == "table_missing") & (problems["severity"] == "error")).any()


def test_all_problems_reported_at_once():
    raw = raw_minimal()
    # Twelve mistakes in different cells that do not mask one another.
    chosen = [CELL_CASES[i] for i in (0, 2, 3, 4, 5, 6, 8, 9, 10, 11, 13, 19)]
    for table, index, column, value, *_ in chosen:
        raw[table].loc[index, column] = value
    with pytest.raises(CohortValidationError) as info:
        Cohort.from_tables(**raw)
    problems = info.value.problems
    assert set(problems.columns) == {
        "table",
        "row",
        "column",
        "value",
        "rule",
        "severity",
        "message",
    }
    expected = {(t, r) for t, _, _, _, r, _, _ in chosen}
    got = set(zip(problems["table"], problems["rule"], strict=True))
    assert expected <= got
    text = str(info.value)
    assert "failed validation" in text
    assert "patients.diagnosis_date [date_format]" in text


def test_invalid_cell_value_is_shown():
    raw = raw_minimal()
    raw["pathology"].loc[0, "ki67_percent"] = "101"
    problems = _problems(raw)
    hit = problems[problems["rule"] == "range"]
    assert hit["value"].tolist() == ["101.0"]
    assert "<= 100" in hit["message"].iloc[0]


def test_missing_tokens_are_missing_not_errors():
    raw = raw_minimal()
    raw["pathology"].loc[1, "mitoses_per_2mm2"] = "NA"
    raw["pathology"].loc[4, "tumour_size_mm"] = "n/a"
    tables, problems = validate_tables(raw)
    assert (problems["severity"] == "error").sum() == 0
    assert tables["pathology"]["mitoses_per_2mm2"].isna().sum() == 2


def test_date_format_option():
    raw = raw_minimal()
    for name, frame in raw.items():
        for col in frame.columns:
            if col.endswith("_date"):
                dates = pd.to_datetime(frame[col].replace("", None))
                frame[col] = dates.dt.strftime("%d/%m/%Y").fillna("")
        raw[name] = frame
    default_tables, _ = validate_tables(raw_minimal())
    tables, problems = validate_tables(raw, date_format="%d/%m/%Y")
    assert (problems["severity"] == "error").sum() == 0
    pd.testing.assert_frame_equal(tables["therapy_lines"], default_tables["therapy_lines"])
    _, iso_problems = validate_tables(raw)
    assert (iso_problems["rule"] == "date_format").sum() > 10


def test_validation_does_not_mutate_input():
    raw = raw_minimal()
    before = {k: v.copy() for k, v in raw.items()}
    validate_tables(raw)
    for name in raw:
        pd.testing.assert_frame_equal(raw[name], before[name])


def test_canonical_dtypes_and_derived_drug_class():
    tables, _ = validate_tables(raw_minimal())
    lines = tables["therapy_lines"]
    assert str(lines["line"].dtype) == "Int64"
    assert str(lines["start_date"].dtype) == "datetime64[ns]"
    assert lines.loc[0, "regimen"] == "octreotide LAR + TACE"
    assert lines.loc[0, "drug_class"] == "SSA + liver-directed"
    assert lines.loc[4, "regimen"] == "177Lu-DOTATATE"  # entered as "Lutathera"
    assert tables["patients"]["patient_id"].tolist()[:2] == ["001", "002"]  # zeros kept
    assert tables["imaging"]["fdg_avid"].dtype == "boolean"


def test_unknown_table_name_rejected():
    with pytest.raises(ValueError, match="unknown table name"):
        validate_tables({"patient": pd.DataFrame()})


def test_non_dataframe_rejected():
    with pytest.raises(TypeError, match="must be a pandas DataFrame"):
        validate_tables({"patients": [1, 2]})

"""The broken-cohort corpus (tests/data/broken/): every case reports its exact problem.

Each case folder holds the minimal cohort with one defect and an ``EXPECTED`` line naming
the outcome and the problem (severity, rule, table, column, row as the file shows it,
value); tests/data/broken/README.md lists them and make_corpus.py regenerates them.
"""

from __future__ import annotations

import shlex
import shutil
import time
from pathlib import Path

import pandas as pd
import pytest
from _cohorts import MINIMAL, raw_minimal

from netstats.cohort import Cohort
from netstats.exceptions import CohortValidationError
from netstats.io import load_cohort

BROKEN = Path(__file__).parent / "data" / "broken"
CASES = sorted(p.name for p in BROKEN.iterdir() if (p / "EXPECTED").is_file())


def expected(name: str) -> dict[str, str]:
    text = (BROKEN / name / "EXPECTED").read_text(encoding="utf-8")
    return dict(field.split("=", 1) for field in shlex.split(text))


def _matches(problems: pd.DataFrame, exp: dict[str, str]) -> pd.DataFrame:
    hit = problems[
        (problems["rule"] == exp["rule"])
        & (problems["table"] == exp["table"])
        & (problems["severity"] == exp["severity"])
    ]
    column = None if exp["column"] == "-" else exp["column"]
    hit = hit[hit["column"].isna()] if column is None else hit[hit["column"] == column]
    row = None if exp["row"] == "-" else int(exp["row"])
    hit = hit[hit["row"].isna()] if row is None else hit[hit["row"] == row]
    if exp["value"] != "-":
        hit = hit[hit["value"] == exp["value"]]
    return hit


def test_corpus_is_large_enough_and_documented():
    assert len(CASES) >= 30
    readme = (BROKEN / "README.md").read_text(encoding="utf-8")
    for name in CASES:
        assert f"`{name}`" in readme, name
        exp = expected(name)
        assert exp["outcome"] in ("error", "loads")
        assert {"severity", "rule", "table", "column", "row", "value"} <= set(exp)


def source(name: str) -> Path:
    """What a case loads: its folder, or the file its ``source`` field names."""
    exp = expected(name)
    return BROKEN / name / exp["source"] if "source" in exp else BROKEN / name


@pytest.mark.parametrize("name", CASES)
def test_broken_case_reports_its_problem(name):
    exp = expected(name)
    folder = source(name)
    if exp["outcome"] == "error":
        with pytest.raises(CohortValidationError) as info:
            load_cohort(folder)
        problems = info.value.problems
        assert isinstance(problems, pd.DataFrame)
        message = str(info.value)
        # The readable message names the table and the rule of every error.
        assert exp["table"] in message and exp["rule"] in message
    else:
        cohort = load_cohort(folder)
        problems = cohort.problems
        if "parsed" in exp:
            table = cohort.tables[exp["table"]]
            # Records are in file order after the header (row 2 is record 0).
            got = table[exp["column"]].iloc[int(exp["row"]) - 2]
            shown = "<NA>" if pd.isna(got) else str(got)
            assert shown == exp["parsed"], (shown, exp["parsed"])
    if exp["rule"] == "-":
        # Loads without any new problem: only the minimal cohort's own warning remains.
        assert problems["rule"].tolist() == ["few_cells"], problems.to_string()
        return
    hit = _matches(problems, exp)
    assert len(hit) == 1, problems.to_string()
    if "message" in exp:
        assert exp["message"] in hit["message"].iloc[0]
    assert len(hit["message"].iloc[0]) > 15


@pytest.mark.parametrize("name", CASES)
def test_broken_case_never_leaks_an_internal_traceback(name):
    """Through the command line too the outcome is ours: exit status 1 with an error for a
    refused case (0 for one that loads), and no pandas/openpyxl exception or traceback."""
    from typer.testing import CliRunner

    from netstats.cli import app

    refused = expected(name)["outcome"] == "error"
    result = CliRunner().invoke(app, ["validate", str(source(name))])
    assert result.exit_code == (1 if refused else 0), result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    assert "Traceback" not in result.output
    if refused:
        assert "error" in result.output.lower()


def test_normalised_cells_keep_their_source_value_and_message():
    cohort = load_cohort(BROKEN / "percent_sign")
    note = cohort.problems[cohort.problems["rule"] == "normalised"].iloc[0]
    assert note["message"] == "read as a number (percent sign removed)"
    assert note["value"] == "5%"
    assert cohort.pathology["ki67_percent"].iloc[0] == 5.0
    cohort = load_cohort(BROKEN / "decimal_comma")
    note = cohort.problems[cohort.problems["rule"] == "normalised"].iloc[0]
    assert "decimal comma" in note["message"]
    assert cohort.pathology["ki67_percent"].iloc[0] == 5.2


def test_percent_sign_is_refused_outside_percent_columns(tmp_path):
    folder = tmp_path / "c"
    shutil.copytree(MINIMAL, folder)
    path = folder / "imaging.csv"
    path.write_text(path.read_text().replace("18.76", "18.76%"))
    with pytest.raises(CohortValidationError) as info:
        load_cohort(folder)
    p = info.value.problems
    hit = p[p["column"] == "suvmax_lesion"]
    assert hit[["rule", "row", "value"]].values.tolist() == [["type", 2, "18.76%"]]


def test_blank_row_keeps_source_rows_of_later_records():
    cohort = load_cohort(BROKEN / "blank_row_inside")
    assert len(cohort.imaging) == 6
    assert cohort.imaging["scan_id"].tolist()[2] == "I002A"


def test_ten_thousand_identical_rows_are_reported_quickly_and_compactly(tmp_path):
    folder = tmp_path / "many"
    shutil.copytree(MINIMAL, folder)
    lines = (MINIMAL / "pathology.csv").read_text().splitlines()
    (folder / "pathology.csv").write_text("\n".join([lines[0]] + [lines[1]] * 10_000) + "\n")
    start = time.perf_counter()
    with pytest.raises(CohortValidationError) as info:
        load_cohort(folder)
    elapsed = time.perf_counter() - start
    assert elapsed < 10, f"validation of 10,000 rows took {elapsed:.1f} s"
    p = info.value.problems
    dup = p[p["rule"] == "unique_key"]
    assert len(dup) == 10_000
    assert dup["row"].min() == 2 and dup["row"].max() == 10_001
    message = str(info.value)
    # The summary lists a few rows and counts the rest: one line per kind of problem.
    assert "and 9995 more" in message
    assert len(message.splitlines()) < 20
    assert len(message) < 3000


def test_whole_number_too_large_for_exact_storage_is_refused():
    """Typed formats can hand over 1e19 for a count; it must not wrap or crash the cast."""
    raw = {name: frame.astype(object) for name, frame in raw_minimal().items()}
    raw["pathology"].loc[0, "ki67_cells_counted"] = 9.223372036854776e18
    with pytest.raises(CohortValidationError) as info:
        Cohort.from_tables(**raw)
    p = info.value.problems
    hit = p[(p["column"] == "ki67_cells_counted") & (p["rule"] == "type")]
    assert hit["row"].tolist() == [2]
    assert "too large" in hit["message"].iloc[0]


def test_many_cells_with_one_mistake_give_one_summary_line(tmp_path):
    """Hints and normalisation notes do not depend on the value, so 300 Excel serial dates
    or 300 percent signs are one line each in the message."""
    folder = tmp_path / "many"
    folder.mkdir()
    header = "patient_id,diagnosis_date,last_contact_date,age_at_diagnosis"
    rows = [f"P{i:03d},{42000 + i},2024-01-01,60" for i in range(300)]
    (folder / "patients.csv").write_text("\n".join([header, *rows]) + "\n")
    header = "patient_id,sample_id,sample_date,site,ki67_percent"
    rows = [f"P{i:03d},S{i:03d},2023-01-01,liver,{i % 90}%" for i in range(300)]
    (folder / "pathology.csv").write_text("\n".join([header, *rows]) + "\n")
    with pytest.raises(CohortValidationError) as info:
        load_cohort(folder)
    p = info.value.problems
    assert (p["rule"] == "date_format").sum() == 300
    assert (p["rule"] == "normalised").sum() == 300
    lines = str(info.value).splitlines()
    assert sum("[date_format]" in line for line in lines) == 1
    assert sum("[normalised]" in line for line in lines) == 1


def test_source_level_errors_carry_a_problem_table(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(CohortValidationError, match="no cohort tables found") as info:
        load_cohort(tmp_path / "empty")
    assert info.value.problems["rule"].tolist() == ["no_tables"]
    folder = tmp_path / "two"
    shutil.copytree(MINIMAL, folder)
    shutil.copy(MINIMAL / "imaging.csv", folder / "imaging.txt")
    with pytest.raises(CohortValidationError, match="several files") as info:
        load_cohort(folder)
    p = info.value.problems
    assert p[["table", "rule"]].values.tolist() == [["imaging", "several_files"]]
    book = tmp_path / "book.xlsx"
    pd.DataFrame({"a": [1]}).to_excel(book, sheet_name="notes", index=False)
    with pytest.raises(CohortValidationError, match="no sheet is named") as info:
        load_cohort(book)
    assert info.value.problems["rule"].tolist() == ["no_tables"]

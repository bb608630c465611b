"""The command line: summaries, problem tables and exit codes; never a traceback for bad data."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from netstats import __version__
from netstats.cli import app
from netstats.schema import data_dictionary_markdown

DATA = Path(__file__).parent / "data"
runner = CliRunner()


def test_version():
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout.strip() == f"netstats {__version__}"


def test_validate_valid_cohort_prints_summary():
    result = runner.invoke(app, ["validate", str(DATA / "minimal")])
    assert result.exit_code == 0, result.stdout
    assert "valid cohort: 4 patients, 9 therapy lines, 5 samples, 6 scans" in result.stdout
    assert "dates 2015-06 to 2025-02" in result.stdout
    assert "few_cells" in result.stdout  # warnings are shown too


def test_validate_lists_a_dozen_mistakes_in_one_run():
    result = runner.invoke(app, ["validate", str(DATA / "dozen_mistakes")])
    assert result.exit_code == 1
    out = result.stdout
    assert "Traceback" not in out
    assert isinstance(result.exception, SystemExit)  # a clean exit 1, not a crash
    expected = [
        ("date_format", "2015-13-02"),
        ("vocabulary", "femail"),
        ("type", "sixty-six"),
        ("range", "101.0"),
        ("unique_key", "S001A"),
        ("count_order", "900"),
        ("vocabulary", "surufatinb"),
        ("date_order", "2018-01-01"),
        ("line_numbering", "[2]"),
        ("after_death", "2023-06-01"),
        ("range", "5"),
        ("unknown_patient", "099"),
    ]
    for rule, value in expected:
        assert rule in out and value in out, (rule, value)
    assert "13 error(s)" in out


def test_validate_missing_path_is_a_clean_error():
    result = runner.invoke(app, ["validate", "does/not/exist"])
    assert result.exit_code == 1
    assert "does not exist" in result.output
    assert not isinstance(result.exception, FileNotFoundError)


def test_schema_markdown_is_the_dictionary():
    result = runner.invoke(app, ["schema", "--markdown"])
    assert result.exit_code == 0
    assert result.stdout.strip() == data_dictionary_markdown().strip()


def test_schema_table():
    result = runner.invoke(app, ["schema"])
    assert result.exit_code == 0
    for name in ("patients", "pathology", "therapy_lines", "imaging", "ki67_percent"):
        assert name in result.stdout


def test_sstr_train_and_predict(tmp_path):
    model = tmp_path / "model.skops"
    result = runner.invoke(
        app,
        [
            "sstr",
            "train",
            str(DATA / "../../data/synthetic"),
            "--out",
            str(model),
            "--validation",
            "none",
        ],
    )
    assert result.exit_code == 0, result.output
    assert model.exists()
    out = tmp_path / "pred.csv"
    result = runner.invoke(
        app, ["sstr", "predict", str(model), str(DATA / "../../data/synthetic"), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    import pandas as pd

    pred = pd.read_csv(out)
    assert list(pred.columns) == [
        "patient_id",
        "scan_id",
        "scan_date",
        "rule",
        "predicted_probability",
    ]
    assert pred["predicted_probability"].between(0, 1).all()


def test_sstr_predict_refuses_a_file_that_is_not_a_model(tmp_path):
    bogus = tmp_path / "model.skops"
    bogus.write_bytes(b"not a model")
    result = runner.invoke(app, ["sstr", "predict", str(bogus), str(DATA / "minimal")])
    assert result.exit_code == 1
    assert "error:" in result.output

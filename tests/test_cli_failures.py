"""Failures of the command line: nothing lost or overwritten, no hang, never a traceback.

Each bad input or hostile environment (a FIFO, a device, a broken database file or URL,
a read-only or full disk, an edited model card, 50,000 identical mistakes) ends in a
clear message and a non-zero exit status; no input or user file is created, deleted or
overwritten.  Commands run in-process through the Typer application, and in a
subprocess (with a timeout) where a regression would hang or where the last-resort
handler of the ``netstats`` program itself is tested.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import skops.io as sio
from typer.testing import CliRunner

import netstats.report._render as render_mod
from netstats.cli import app
from netstats.exceptions import CohortValidationError
from netstats.io import load_cohort
from tests._cohorts import MINIMAL

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = Path(__file__).resolve().parent / "data" / "report_analyses"
runner = CliRunner()


def fails(args: list[str], *, status: int = 1, **kwargs) -> str:
    """Run the CLI; assert a clean exit with ``status`` and no traceback; the output."""
    result = runner.invoke(app, args, **kwargs)
    assert result.exit_code == status, result.output
    assert isinstance(result.exception, SystemExit), repr(result.exception)  # not a crash
    assert "Traceback" not in result.output
    return result.output


def run_program(*args: str, env: dict[str, str] | None = None, code: str | None = None):
    """Run ``netstats ARGS`` (or ``code``) in a fresh interpreter, at most 120 s."""
    command = [sys.executable, "-c", code] if code else [sys.executable, "-m", "netstats.cli"]
    return subprocess.run(
        [*command, *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})},
    )


def one_line_error(text: str) -> str:
    """The single ``error:`` line of ``text``."""
    lines = [line for line in text.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, text
    return lines[0]


@pytest.fixture(autouse=True)
def _no_size_limit_set(monkeypatch):
    """``--max-file-size`` sets the environment variable; each test starts without it."""
    monkeypatch.delenv("NETSTATS_MAX_FILE_SIZE", raising=False)


@pytest.fixture
def cohort(tmp_path) -> Path:
    return Path(shutil.copytree(MINIMAL, tmp_path / "cohort"))


# --------------------------------------------------------------------------------------
# losing or overwriting data
# --------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> Path:
    """A finished report of one fixture notebook, rendered through the CLI."""
    out = tmp_path_factory.mktemp("rendered") / "report"
    args = ["report", "--analyses", str(FIXTURE), "--data", str(MINIMAL), "--only", "01"]
    result = runner.invoke(app, [*args, "--out", str(out), "--no-progress"])
    assert result.exit_code == 0, result.output
    return out


def _rerender(out: Path) -> list[str]:
    return ["report", "--analyses", str(FIXTURE), "--data", str(MINIMAL), "--only", "01"] + [
        "--out",
        str(out),
        "--no-progress",
    ]


def test_rerender_keeps_files_a_user_added_to_the_report(rendered, tmp_path):
    out = Path(shutil.copytree(rendered, tmp_path / "report"))
    (out / "01_counts" / "my_notes.txt").write_text("reviewer comments")
    (out / "thesis.docx").write_text("years of work")
    message = one_line_error(fails(_rerender(out)))
    assert "2 file(s) added or changed since it was rendered" in message
    assert "01_counts/my_notes.txt" in message and "thesis.docx" in message
    assert (out / "thesis.docx").read_text() == "years of work"
    assert (out / "01_counts" / "my_notes.txt").read_text() == "reviewer comments"


def test_rerender_keeps_a_report_file_the_user_edited(rendered, tmp_path):
    out = Path(shutil.copytree(rendered, tmp_path / "report"))
    (out / "index.html").write_text("<p>annotated</p>")
    message = one_line_error(fails(_rerender(out)))
    assert "(index.html)" in message and "would delete them" in message
    assert (out / "index.html").read_text() == "<p>annotated</p>"


def test_predict_refuses_to_overwrite_the_cohort_or_the_model(cohort, tmp_path):
    model = tmp_path / "model.skops"
    model.write_bytes(b"model bytes")  # refused before the model is even opened
    before = (cohort / "patients.csv").read_bytes()
    for out, says in [
        (cohort / "patients.csv", "is inside the cohort folder"),
        (cohort / "predictions.csv", "is inside the cohort folder"),
        (model, "is an input of this command"),
    ]:
        message = one_line_error(
            fails(["sstr", "predict", str(model), str(cohort), "--out", str(out)])
        )
        assert says in message and str(out) in message
    assert (cohort / "patients.csv").read_bytes() == before
    assert not (cohort / "predictions.csv").exists()
    assert model.read_bytes() == b"model bytes"


def test_predict_and_train_refuse_to_overwrite_a_cohort_file(tmp_path):
    db = tmp_path / "cohort.db"
    sqlite3.connect(db).close()
    before = db.read_bytes()
    model = tmp_path / "model.skops"
    model.write_bytes(b"x")
    for args in (
        ["sstr", "predict", str(model), f"sqlite:///{db}", "--out", str(db)],
        ["sstr", "train", str(db), "--out", str(db)],
    ):
        assert "is an input of this command" in one_line_error(fails(args))
    assert db.read_bytes() == before


def test_validate_of_a_missing_sqlite_file_creates_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for source in ("sqlite:///missing.db", f"sqlite:///{tmp_path}/also_missing.sqlite"):
        message = one_line_error(fails(["validate", source]))
        assert "does not exist" in message
    assert list(tmp_path.iterdir()) == []


def test_sqlite_file_is_opened_read_only(cohort, tmp_path):
    db = tmp_path / "cohort.db"
    with sqlite3.connect(db) as con:
        for name in ("patients", "pathology", "therapy_lines", "imaging"):
            pd.read_csv(cohort / f"{name}.csv", dtype=str).to_sql(name, con, index=False)
    con.close()
    db.chmod(0o444)
    before = (db.stat().st_mtime_ns, db.read_bytes())
    result = runner.invoke(app, ["validate", f"sqlite:///{db}"])
    assert result.exit_code == 0, result.output
    assert "valid cohort: 4 patients" in result.output
    assert (db.stat().st_mtime_ns, db.read_bytes()) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cohort", "cohort.db"]


# --------------------------------------------------------------------------------------
# hanging or exhausting memory
# --------------------------------------------------------------------------------------
def test_fifo_as_a_table_file_is_refused_without_hanging(cohort):
    (cohort / "imaging.csv").unlink()
    os.mkfifo(cohort / "imaging.csv")  # nobody ever writes to it: reading would block
    done = run_program("validate", str(cohort))
    assert done.returncode == 1 and "Traceback" not in done.stdout + done.stderr
    assert "imaging.csv: is a named pipe (FIFO), not a regular file" in done.stdout
    assert "not_regular_file" in done.stdout


def test_fifo_as_a_database_file_is_refused(tmp_path):
    os.mkfifo(tmp_path / "cohort.duckdb")
    done = run_program("validate", str(tmp_path / "cohort.duckdb"))
    assert done.returncode == 1 and "Traceback" not in done.stdout + done.stderr
    assert "is a named pipe (FIFO)" in done.stdout


def test_symbolic_link_to_a_device_is_refused(cohort):
    (cohort / "pathology.csv").unlink()
    (cohort / "pathology.csv").symlink_to("/dev/zero")  # endless zeros
    done = run_program("validate", str(cohort))
    assert done.returncode == 1 and "Traceback" not in done.stdout + done.stderr
    assert "is a character device (through a symbolic link)" in done.stdout


def test_file_size_limit_is_named_and_can_be_raised(cohort, monkeypatch):
    size = (cohort / "therapy_lines.csv").stat().st_size  # the largest file, 728 bytes
    output = fails(["validate", str(cohort)], env={"NETSTATS_MAX_FILE_SIZE": "500"})
    assert "file_too_large" in output and "therapy_lines.csv" in output
    monkeypatch.setenv("NETSTATS_MAX_FILE_SIZE", "500")
    with pytest.raises(CohortValidationError) as info:
        load_cohort(cohort)
    problem = info.value.problems.iloc[0]
    assert (problem["table"], problem["rule"]) == ("therapy_lines", "file_too_large")
    assert problem["message"].startswith(
        f"therapy_lines.csv: is {size} bytes, more than the limit of 500 bytes for a table "
        "file; raise it with --max-file-size or NETSTATS_MAX_FILE_SIZE"
    )
    monkeypatch.delenv("NETSTATS_MAX_FILE_SIZE")
    output = fails(["--max-file-size", "500", "validate", str(cohort)])
    assert "file_too_large" in output
    monkeypatch.delenv("NETSTATS_MAX_FILE_SIZE")  # set by the option
    for raised in (["--max-file-size", "1M"], ["--max-file-size", "0"]):
        result = runner.invoke(app, [*raised, "validate", str(cohort)])
        assert result.exit_code == 0, result.output
    result = runner.invoke(
        app, ["validate", str(cohort)], env={"NETSTATS_MAX_FILE_SIZE": str(size)}
    )
    assert result.exit_code == 0, result.output


def test_bad_size_limit_is_a_usage_error(cohort):
    output = fails(["--max-file-size", "lots", "validate", str(cohort)], status=2)
    assert "'lots' is not a file size" in output
    message = one_line_error(
        fails(["validate", str(cohort)], env={"NETSTATS_MAX_FILE_SIZE": "ten"})
    )
    assert "NETSTATS_MAX_FILE_SIZE: 'ten' is not a file size" in message


# --------------------------------------------------------------------------------------
# broken databases and addresses: one line or one problem, never a traceback
# --------------------------------------------------------------------------------------
def test_corrupt_sqlite_file(tmp_path):
    bad = tmp_path / "cohort.db"
    bad.write_bytes(b"SQLite format 3\x00" + bytes(range(256)) * 20)
    for source in (str(bad), f"sqlite:///{bad}"):
        output = fails(["validate", source])
        assert "unreadable_file" in output
        assert "cohort.db: cannot be read as an SQLite database" in output


def test_duckdb_file_holding_a_csv(tmp_path):
    fake = tmp_path / "cohort.duckdb"
    shutil.copy(MINIMAL / "patients.csv", fake)
    for source in (str(fake), f"duckdb:///{fake}"):
        output = fails(["validate", source])
        assert "unreadable_file" in output
        assert "cohort.duckdb: cannot be read as a DuckDB database" in output
    # the same source for the other commands: one line
    message = one_line_error(fails(["report", "--data", str(fake), "--out", str(tmp_path / "r")]))
    assert "cohort.duckdb" in message
    assert not (tmp_path / "r").exists()


@pytest.mark.parametrize(
    ("source", "says"),
    [
        ("sqlite://u:pw@h/x.db", "an SQLite URL names a file and takes no user, password"),
        ("nosuchdb://h/x", "no database type 'nosuchdb' is known"),
        ("duckdb:///missing.duckdb", "DuckDB file 'missing.duckdb' does not exist"),
        ("duckdb:///:memory:", "is an empty in-memory database and holds no cohort"),
        ("sqlite://", "an in-memory SQLite database is empty"),
        ("sqlite:///:memory:", "an in-memory SQLite database is empty"),
    ],
)
def test_unusable_database_address(source, says, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    message = one_line_error(fails(["validate", source]))
    assert says in message
    assert "pw@" not in message  # the password is masked
    assert list(tmp_path.iterdir()) == []  # nothing created
    for args in (["report", "--data", source, "--out", "r"], ["sstr", "train", source, "-o", "m"]):
        assert says in one_line_error(fails(args))
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------------------
# read-only and full disks
# --------------------------------------------------------------------------------------
def _os_error(code: int, filename: str | None = None):
    def fail(*args, **kwargs):
        raise OSError(code, os.strerror(code), filename)

    return fail


def test_report_on_a_read_only_file_system(tmp_path, monkeypatch):
    out = tmp_path / "reports"
    staging = str(tmp_path / ".reports.partial-1-abc")
    monkeypatch.setattr(render_mod, "start_staging", _os_error(errno.EROFS, staging))
    message = one_line_error(fails(["report", "--data", str(MINIMAL), "--out", str(out)]))
    assert message == (
        f"error: cannot write the report to {out}: Read-only file system "
        "(the file system is read-only; write to another folder)"
    )


def test_report_names_a_file_outside_its_staging_folder(tmp_path, monkeypatch):
    out = tmp_path / "reports"
    monkeypatch.setattr(render_mod, "start_staging", _os_error(errno.EACCES, str(tmp_path)))
    message = one_line_error(fails(["report", "--data", str(MINIMAL), "--out", str(out)]))
    assert message == (
        f"error: {tmp_path}: Permission denied (check the permissions of the file or its folder)"
    )


def test_report_on_a_full_disk_keeps_the_previous_report(rendered, tmp_path, monkeypatch):
    out = Path(shutil.copytree(rendered, tmp_path / "report"))
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    monkeypatch.setattr(render_mod, "export_docx", _os_error(errno.ENOSPC))
    message = one_line_error(fails(_rerender(out)))
    assert "No space left on device" in message and "nothing was replaced" in message
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report"]  # no staging left


def test_predict_on_a_full_disk_leaves_no_partial_file(tmp_path, monkeypatch):
    model, scored = _model(tmp_path), _scored(tmp_path)
    out = tmp_path / "pred.csv"
    out.write_text("previous predictions")

    def half_then_full(self, handle=None, **kwargs):
        handle.write("patient_id,scan_id\n")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(pd.DataFrame, "to_csv", half_then_full)
    message = one_line_error(fails(["sstr", "predict", str(model), str(scored), "-o", str(out)]))
    assert "No space left on device" in message
    assert out.read_text() == "previous predictions"  # neither emptied nor half-written
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.skops", "pred.csv", "scored"]


def test_train_on_a_full_disk_keeps_the_previous_model(tmp_path, monkeypatch):
    import netstats.sstr._modelfile as modelfile

    scored = _scored(tmp_path)
    out = tmp_path / "model.skops"
    out.write_bytes(b"previous model")

    def half_then_full(obj, file):
        Path(file).write_bytes(b"PK\x03\x04 half a zip")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(file))

    monkeypatch.setattr(modelfile.sio, "dump", half_then_full)
    message = one_line_error(
        fails(["sstr", "train", str(scored), "--validation", "none", "--out", str(out)])
    )
    assert message == (
        f"error: {out}: No space left on device "
        "(the disk is full; free space or write elsewhere; nothing was replaced)"
    )
    assert out.read_bytes() == b"previous model"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.skops", "scored"]


# --------------------------------------------------------------------------------------
# model files
# --------------------------------------------------------------------------------------
def _scored(tmp_path: Path) -> Path:
    import netstats

    folder = tmp_path / "scored"
    if not folder.exists():
        netstats.save_cohort(netstats.simulate_cohort(n_patients=60, seed=1), folder)
    return folder


def _model(tmp_path: Path, drop: str | None = None, feature_drop: str | None = None) -> Path:
    import netstats
    from netstats import sstr

    model = sstr.fit_classifier(
        netstats.simulate_cohort(n_patients=60, seed=1), validation="none", param_grid={}
    )
    card = dict(model.card)
    if drop:
        del card[drop]
    if feature_drop:
        card["features"] = [
            {k: v for k, v in f.items() if k != feature_drop} for f in card["features"]
        ]
    path = tmp_path / "model.skops"
    sio.dump({"netstats_sstr_model": 1, "pipeline": model.pipeline, "card": json.dumps(card)}, path)
    return path


@pytest.mark.parametrize(
    ("drop", "feature_drop", "says"),
    [
        ("rule", None, "the model card lacks the field(s) rule"),
        ("features", None, "the model card lacks the field(s) features"),
        (None, "kind", "feature 1 of the model card lacks the field(s) kind"),
    ],
)
def test_predict_with_a_model_card_lacking_a_field(tmp_path, drop, feature_drop, says):
    model = _model(tmp_path, drop, feature_drop)
    message = one_line_error(fails(["sstr", "predict", str(model), str(_scored(tmp_path))]))
    assert message.startswith(f"error: model.skops: {says}")


def test_intact_model_card_predicts(tmp_path):
    result = runner.invoke(app, ["sstr", "predict", str(_model(tmp_path)), str(_scored(tmp_path))])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("patient_id,scan_id,scan_date,rule,predicted_probability")


# --------------------------------------------------------------------------------------
# many problems: a summary on screen, the full table in a file
# --------------------------------------------------------------------------------------
def test_fifty_thousand_identical_mistakes_give_a_summary_and_a_file(cohort, tmp_path, monkeypatch):
    header, first = (MINIMAL / "patients.csv").read_text().splitlines()[:2]
    rest = first.split(",", 1)[1].replace("male", "mail", 1)
    rows = [f"X{i:05d},{rest}" for i in range(50_000)]
    (cohort / "patients.csv").write_text("\n".join([header, *rows]) + "\n")
    spool = tmp_path / "spool"
    spool.mkdir()
    monkeypatch.setenv("TMPDIR", str(spool))
    monkeypatch.setattr("tempfile.tempdir", None)
    output = fails(["validate", str(cohort)])
    lines = output.splitlines()
    assert len(lines) < 15 and len(output) < 3000, output
    assert "patients.sex [vocabulary] [50000x]" in output and "and 49995 more" in output
    written = [p for p in spool.iterdir() if p.name.startswith("netstats-problems-")]
    assert len(written) == 1
    table = pd.read_csv(written[0], dtype=str)
    assert lines[-1] == f"all {len(table)} problem(s), one row each: {written[0]}"
    assert (table["value"] == "mail").sum() == 50_000
    assert list(table.columns) == ["table", "row", "column", "value", "rule", "severity", "message"]
    assert oct(written[0].stat().st_mode & 0o777) == "0o600"  # values may identify patients


def test_many_warnings_of_a_valid_cohort_leave_no_file_behind(tmp_path, monkeypatch):
    spool = tmp_path / "spool"
    spool.mkdir()
    monkeypatch.setenv("TMPDIR", str(spool))
    monkeypatch.setattr("tempfile.tempdir", None)
    result = runner.invoke(app, ["validate", str(ROOT / "data" / "synthetic")])
    assert result.exit_code == 0, result.output
    assert "valid cohort" in result.output
    assert result.output.splitlines()[-1].endswith("rerun with --problems-file PATH")
    assert not list(spool.iterdir())


def test_problems_file_option_writes_every_problem(tmp_path):
    target = tmp_path / "problems.csv"
    output = fails(
        ["validate", str(ROOT / "tests/data/dozen_mistakes"), "--problems-file", str(target)]
    )
    assert "13 error(s)" in output and f"one row each: {target}" in output
    assert len(pd.read_csv(target)) >= 13
    valid = runner.invoke(app, ["validate", str(MINIMAL), "--problems-file", str(target)])
    assert valid.exit_code == 0
    assert pd.read_csv(target)["rule"].tolist() == ["few_cells"]


def test_problems_file_may_not_overwrite_the_cohort(cohort):
    before = (cohort / "patients.csv").read_bytes()
    message = one_line_error(
        fails(["validate", str(cohort), "--problems-file", str(cohort / "patients.csv")])
    )
    assert "is inside the cohort folder" in message
    assert (cohort / "patients.csv").read_bytes() == before


# --------------------------------------------------------------------------------------
# the last resort: an unexpected exception is one line unless asked for
# --------------------------------------------------------------------------------------
_BOOM = (
    "import sys, netstats.io\n"
    "def boom(*a, **k):\n"
    "    raise RuntimeError('boom in a reader')\n"
    "netstats.io.load_cohort = boom\n"
    "from netstats.cli import app\n"
    "sys.argv = ['netstats', 'validate', 'anything']\n"
    "app()\n"
)


def test_unexpected_exception_is_one_line_without_traceback():
    done = run_program(code=_BOOM)
    assert done.returncode == 1
    assert "Traceback" not in done.stdout + done.stderr
    assert one_line_error(done.stderr) == "error: RuntimeError: boom in a reader"
    assert "NETSTATS_TRACEBACK=1" in done.stderr
    shown = run_program(code=_BOOM, env={"NETSTATS_TRACEBACK": "1"})
    assert shown.returncode == 1 and "Traceback" in shown.stderr


def test_a_reader_running_out_of_memory_is_a_damaged_file(tmp_path, monkeypatch):
    # A corrupt header can make a typed-file reader (pandas' Stata reader) ask for
    # gigabytes; within the size limit that is a damaged file, not a MemoryError traceback.
    folder = tmp_path / "cohort"
    shutil.copytree(MINIMAL, folder)
    (folder / "imaging.csv").unlink()
    (folder / "imaging.dta").write_bytes(b"\x75" + bytes(200))  # the reader is replaced

    def exhausted(*args, **kwargs):
        raise MemoryError

    monkeypatch.setattr(pd, "read_stata", exhausted)
    with pytest.raises(CohortValidationError) as caught:
        load_cohort(folder)
    problems = caught.value.problems
    assert problems["rule"].tolist() == ["unreadable_file"]
    assert "ran out of memory" in problems["message"].iloc[0]
    assert "imaging.dta" in problems["message"].iloc[0]


def test_a_problems_file_that_cannot_be_written_fails_the_command(tmp_path):
    target = tmp_path / "no" / "such" / "folder" / "problems.csv"
    output = fails(["validate", str(MINIMAL), "--problems-file", str(target)])
    assert "the problem table could not be written" in output


def test_a_placeholder_date_is_refused_once(cohort):
    lines = (cohort / "patients.csv").read_text().splitlines()
    header = lines[0].split(",")
    row = lines[1].split(",")
    row[header.index("diagnosis_date")] = "1900-01-01"
    (cohort / "patients.csv").write_text("\n".join([lines[0], ",".join(row), *lines[2:]]) + "\n")
    with pytest.raises(CohortValidationError) as caught:
        load_cohort(cohort)
    errors = caught.value.problems.query("severity == 'error'")
    assert errors["rule"].tolist() == ["sentinel_date"], errors


def test_an_empty_patients_table_is_one_error_not_one_per_linked_row(cohort):
    header = (cohort / "patients.csv").read_text().splitlines()[0]
    (cohort / "patients.csv").write_text(header + "\n")
    with pytest.raises(CohortValidationError) as caught:
        load_cohort(cohort)
    errors = caught.value.problems.query("severity == 'error'")
    assert errors["rule"].tolist() == ["empty_table"], errors


def test_a_fractional_size_limit_is_not_no_limit():
    from netstats.io._files import parse_size

    assert parse_size("0.4") == 1 and parse_size("0") == 0 and parse_size("1.5K") == 1536


def test_a_report_is_not_written_inside_the_cohort_folder(cohort):
    output = fails(["report", "--data", str(cohort), "--out", str(cohort / "rep")])
    assert "inside the input folder" in one_line_error(output)
    assert not (cohort / "rep").exists()

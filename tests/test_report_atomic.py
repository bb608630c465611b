"""An interrupted render never leaves a partial report that looks finished.

The report is built in a hidden staging folder, ``report.json`` is written last and the
folder swapped into place, so the destination is always either the previous finished
report or the new one; the next render removes what a killed one left behind and gives
the same files as an uninterrupted render.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import netstats.report._publish as publish_mod
import netstats.report._render as render_mod
from netstats.report import (
    REPORT_MANIFEST,
    DestinationError,
    is_report,
    render,
    verify_report,
)
from netstats.report._publish import clean_stale, publish, write_report_manifest
from tests._cohorts import MINIMAL

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = Path(__file__).resolve().parent / "data" / "report_analyses"
STAMP = "2030-01-02T03:04:05Z"


def _tree(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _render(out: Path, **kwargs):
    return render(FIXTURE, data=MINIMAL, out=out, only=["01", "02"], progress=False, **kwargs)


@pytest.fixture
def fixed_clock(monkeypatch):
    monkeypatch.setattr(render_mod, "_now", lambda: STAMP)


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> dict[str, bytes]:
    """Files of an uninterrupted render of the two fixture notebooks (fixed timestamp)."""
    mp = pytest.MonkeyPatch()
    mp.setattr(render_mod, "_now", lambda: STAMP)
    try:
        out = tmp_path_factory.mktemp("reference") / "report"
        _render(out)
    finally:
        mp.undo()
    assert verify_report(out) == []
    return _tree(out)


def _interrupt_at(monkeypatch, exc: BaseException, call: int) -> dict[str, int]:
    """Make the ``call``-th notebook execution raise ``exc`` (the earlier ones run).

    Returns the call counter; setting its ``"at"`` to 0 disarms the interruption.
    """
    real = render_mod._execute
    state = {"n": 0, "at": call}

    def flaky(*args, **kwargs):
        state["n"] += 1
        if state["n"] == state["at"]:
            raise exc
        return real(*args, **kwargs)

    monkeypatch.setattr(render_mod, "_execute", flaky)
    return state


def _descendants(pid: int) -> list[int]:
    """Child processes (recursively) of ``pid``, from /proc (Linux)."""
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            children = (task / "children").read_text().split()
        except OSError:
            continue
        for child in map(int, children):
            found += [child, *_descendants(child)]
    return found


def _siblings(out: Path) -> list[str]:
    return sorted(p.name for p in out.parent.iterdir())


# --------------------------------------------------------------------------------------
# interrupted renders
# --------------------------------------------------------------------------------------
def test_reference_report_is_complete(reference):
    doc = json.loads(reference[REPORT_MANIFEST])
    assert doc["kind"] == "netstats" and doc["notebooks"] == ["01_counts", "02_pause"]
    listed = {f["path"] for f in doc["files"]}
    assert listed == set(reference) - {REPORT_MANIFEST}
    assert {"index.html", "01_counts/tables/ki67.csv", "02_pause/tables/sex.csv"} <= listed


def test_interrupted_render_keeps_previous_report_and_rerun_matches(
    reference, tmp_path, monkeypatch, fixed_clock
):
    """Ctrl-C while the second notebook is due (a failing cell: test_report_render.py)."""
    out = tmp_path / "report"
    out.mkdir()
    for rel, data in reference.items():  # the previous, finished report
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        (out / rel).write_bytes(data)
    (out / "01_counts" / "tables" / "ki67.csv").write_text("mean_ki67\n99\n")  # older numbers
    write_report_manifest(out, notebooks=["01_counts"], rendered_at="earlier", parameters={})
    before = _tree(out)

    state = _interrupt_at(monkeypatch, KeyboardInterrupt(), call=2)  # the first has run
    with pytest.raises(KeyboardInterrupt):
        _render(out)
    assert state["n"] == 2
    assert _tree(out) == before  # previous report untouched
    assert verify_report(out) == []
    assert _siblings(out) == ["report"]  # staging removed

    state["at"] = 0
    _render(out)
    assert _tree(out) == reference  # same bytes as an uninterrupted render
    assert _siblings(out) == ["report"]


def test_interrupted_first_render_leaves_nothing(tmp_path, monkeypatch):
    out = tmp_path / "new" / "report"
    _interrupt_at(monkeypatch, KeyboardInterrupt(), call=1)
    with pytest.raises(KeyboardInterrupt):
        _render(out)
    assert not out.exists()
    assert _siblings(out) == []


def test_failure_after_the_last_notebook_keeps_previous_report(tmp_path, monkeypatch):
    """An error while moving into place (after every notebook ran) changes nothing."""
    out = tmp_path / "report"
    out.mkdir()
    (out / "index.html").write_text("<title>netstats reports</title> earlier")  # legacy
    before = _tree(out)

    def failing_publish(staging, dest):
        raise OSError("disk full")

    monkeypatch.setattr(render_mod, "_execute", _fake_execute)
    monkeypatch.setattr(render_mod, "publish", failing_publish)
    with pytest.raises(OSError, match="disk full"):
        _render(out)
    assert _tree(out) == before and _siblings(out) == ["report"]


def _fake_execute(src, dest, params, **kwargs):
    """Stands in for papermill: writes a one-cell executed notebook (no kernel)."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell(f"# {src.stem}")]
    nbformat.write(nb, dest)
    return nb


@pytest.mark.slow
def test_killed_render_leaves_previous_report_and_is_cleaned_up(
    reference, tmp_path, monkeypatch, fixed_clock
):
    """SIGKILL while the second notebook runs (no clean-up code can run)."""
    out = tmp_path / "report"
    out.mkdir()
    for rel, data in reference.items():
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        (out / rel).write_bytes(data)
    before = _tree(out)
    script = textwrap.dedent(
        f"""
        from netstats.report import render
        render({str(FIXTURE)!r}, data={str(MINIMAL)!r}, out={str(out)!r},
               only=["01", "02"], parameters={{"pause": 120.0}}, progress=False)
        """
    )
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    env = {**os.environ, "PYTHONPATH": path}
    proc = subprocess.Popen([sys.executable, "-c", script], env=env, start_new_session=True)
    kernels: list[int] = []
    try:
        deadline = time.monotonic() + 180
        started: list[Path] = []
        while not started and time.monotonic() < deadline and proc.poll() is None:
            started = list(tmp_path.glob(".report.partial-*/02_pause/started"))
            time.sleep(0.2)
        assert started, "the render did not reach the second notebook"
        kernels = _descendants(proc.pid)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        for pid in kernels:  # the kernel runs in its own session
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
    assert proc.returncode == -signal.SIGKILL
    assert _tree(out) == before  # the previous report, complete
    leftovers = [p for p in tmp_path.iterdir() if p.name != "report"]
    assert [p.name.startswith(f".report.partial-{proc.pid}-") for p in leftovers] == [True]
    assert not is_report(leftovers[0])  # the partial folder never looks finished

    _render(out)  # the next render cleans up and gives the uninterrupted result
    assert _tree(out) == reference
    assert _siblings(out) == ["report"]


# --------------------------------------------------------------------------------------
# moving into place, stale folders, verification (no kernels)
# --------------------------------------------------------------------------------------
def _finished(folder: Path, text: str) -> Path:
    folder.mkdir(parents=True)
    (folder / "index.html").write_text(text)
    write_report_manifest(folder, notebooks=[], rendered_at="now", parameters={})
    return folder


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


@pytest.mark.parametrize("exchange", [True, False])
def test_publish_replaces_the_report(tmp_path, monkeypatch, exchange):
    if not exchange:  # systems without an atomic directory swap: two renames
        monkeypatch.setattr(publish_mod, "_exchange", lambda a, b: False)
    out = _finished(tmp_path / "report", "old")
    staging = _finished(tmp_path / ".report.partial-1-x", "new")
    publish(staging, out)
    assert (out / "index.html").read_text() == "new" and verify_report(out) == []
    assert _siblings(out) == ["report"]


def test_stale_staging_of_dead_renders_removed_live_ones_kept(tmp_path):
    out = tmp_path / "report"
    dead = _dead_pid()
    stale = tmp_path / f".report.partial-{dead}-abc"
    (stale / "01_x").mkdir(parents=True)
    live = tmp_path / f".report.partial-{os.getpid()}-abc"  # a render still running
    live.mkdir()
    other = tmp_path / f".other.partial-{dead}-abc"  # another report's leftovers
    other.mkdir()
    assert clean_stale(out) == [stale]
    assert _siblings(out) == sorted([live.name, other.name])


def test_report_renamed_aside_by_a_killed_render_is_restored(tmp_path):
    """Two-rename fallback killed between the renames: the old report comes back."""
    out = tmp_path / "report"
    aside = _finished(tmp_path / f".report.old-{_dead_pid()}-abc", "previous")
    clean_stale(out)
    assert (out / "index.html").read_text() == "previous" and not aside.exists()


def test_verify_report_names_missing_changed_and_extra_files(tmp_path):
    out = _finished(tmp_path / "report", "x")
    (out / "index.html").write_text("y")
    (out / "extra.csv").write_text("a\n")
    assert verify_report(out) == [
        "index.html: changed since the render",
        "extra.csv: not part of the render",
    ]
    (out / "index.html").unlink()
    assert "index.html: listed in report.json but missing" in verify_report(out)
    (out / REPORT_MANIFEST).unlink()
    assert verify_report(out) == [f"{out}: no report.json; not a finished report"]


# --------------------------------------------------------------------------------------
# destinations that must not be replaced
# --------------------------------------------------------------------------------------
def test_folder_that_is_not_a_report_is_not_replaced(tmp_path):
    out = tmp_path / "documents"
    out.mkdir()
    (out / "thesis.docx").write_text("years of work")
    with pytest.raises(DestinationError, match="exists and is not a netstats report"):
        _render(out)
    assert (out / "thesis.docx").read_text() == "years of work"


def test_inputs_and_working_directory_are_not_replaced(tmp_path, monkeypatch):
    data = tmp_path / "project" / "cohort"
    shutil.copytree(MINIMAL, data)
    analyses = shutil.copytree(FIXTURE, tmp_path / "code" / "analyses")
    with pytest.raises(DestinationError, match="holds .*cohort"):
        render(FIXTURE, data=data, out=tmp_path / "project", only="01", progress=False)
    with pytest.raises(DestinationError, match="holds .*analyses"):
        render(analyses, data=MINIMAL, out=tmp_path / "code", only="01", progress=False)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(DestinationError, match="holds"):
        _render(Path("."))
    (tmp_path / "file").write_text("")
    with pytest.raises(DestinationError, match="is a file"):
        _render(tmp_path / "file")
    assert (data / "patients.csv").exists() and (analyses / "01_counts.py").exists()

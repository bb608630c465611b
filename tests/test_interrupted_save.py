"""Nothing is lost when saving is interrupted: the destination is either the complete
new cohort or untouched, and saving again gives the same files as an uninterrupted save."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pandas as pd
import pytest
from _cohorts import MINIMAL, TABLES

import netstats.io as nio
from netstats.io import load_cohort, save_cohort

ROOT = Path(__file__).resolve().parent.parent


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


@pytest.fixture
def cohort():
    return load_cohort(MINIMAL)


def _fail_after_first_table(monkeypatch, exc: BaseException, at: int = 2) -> None:
    real = pd.DataFrame.to_csv
    calls = {"n": 0}

    def flaky(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == at:
            raise exc
        return real(self, *args, **kwargs)

    monkeypatch.setattr(pd.DataFrame, "to_csv", flaky)


@pytest.mark.parametrize("exc", [OSError("disk full"), KeyboardInterrupt()])
def test_interrupted_first_save_leaves_nothing(cohort, tmp_path, monkeypatch, exc):
    dest = tmp_path / "out"
    _fail_after_first_table(monkeypatch, exc)
    with pytest.raises(type(exc)):
        save_cohort(cohort, dest)
    monkeypatch.undo()
    # No half-written cohort and no temporary folder left behind.
    assert list(tmp_path.iterdir()) == []
    save_cohort(cohort, dest)
    reference = save_cohort(cohort, tmp_path / "reference")
    assert _snapshot(dest) == _snapshot(reference)


def test_interrupted_overwrite_keeps_the_previous_cohort(cohort, tmp_path, monkeypatch):
    dest = save_cohort(cohort, tmp_path / "out")
    before = _snapshot(dest)
    changed = nio.Cohort.from_tables(
        cohort.patients.astype(object).assign(sex="female"),
        cohort.pathology.astype(object),
        cohort.therapy_lines.astype(object),
        cohort.imaging.astype(object),
        row_offsets=dict.fromkeys(TABLES, 1),
    )
    _fail_after_first_table(monkeypatch, OSError("disk full"), at=3)
    with pytest.raises(OSError, match="disk full"):
        save_cohort(changed, dest, overwrite=True)
    monkeypatch.undo()
    assert _snapshot(dest) == before
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_killed_save_never_leaves_a_partial_cohort(tmp_path):
    """SIGKILL in the middle of writing (no clean-up can run): the destination does not
    exist, and saving again produces the complete cohort."""
    dest = tmp_path / "out"
    script = textwrap.dedent(
        f"""
        import time, pandas as pd
        from netstats.io import load_cohort, save_cohort
        real = pd.DataFrame.to_csv
        calls = []
        def slow(self, *a, **k):
            calls.append(1)
            if len(calls) == 2:
                print("writing", flush=True)
                time.sleep(60)
            return real(self, *a, **k)
        pd.DataFrame.to_csv = slow
        save_cohort(load_cohort({str(MINIMAL)!r}), {str(dest)!r})
        """
    )
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, env=env, cwd=ROOT
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == b"writing"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)
        if proc.stdout is not None:
            proc.stdout.close()
    assert not dest.exists()
    # Only the hidden temporary folder of the killed run remains; it never looks like a
    # cohort folder (its name starts with ".out.") and does not block a new save.
    leftovers = [p.name for p in tmp_path.iterdir()]
    assert all(name.startswith(".out.") for name in leftovers)
    start = time.perf_counter()
    save_cohort(load_cohort(MINIMAL), dest)
    assert time.perf_counter() - start < 30
    assert sorted(p.name for p in dest.iterdir()) == sorted(f"{t}.csv" for t in TABLES)
    reference = save_cohort(load_cohort(MINIMAL), tmp_path / "reference")
    assert _snapshot(dest) == _snapshot(reference)

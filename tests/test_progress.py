"""Progress bars: one policy (netstats/_progress.py), tqdm.auto, quiet unless interactive."""

from __future__ import annotations

import sys
import types
from pathlib import Path

import pandas as pd
import pytest

import netstats
from netstats import _progress
from netstats._progress import progress_bar, show_progress
from netstats.resample import bootstrap_km_median


@pytest.fixture(autouse=True)
def _no_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TQDM_DISABLE", raising=False)


class _Tty:
    def isatty(self) -> bool:
        return True

    def write(self, text: str) -> int:
        return len(text)

    def flush(self) -> None:
        pass


@pytest.mark.parametrize("value", ["1", "true", "yes"])
def test_tqdm_disable_wins_over_everything(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("TQDM_DISABLE", value)
    monkeypatch.setattr(_progress, "_interactive", lambda: True)
    assert show_progress(True) is False
    assert show_progress(None) is False


@pytest.mark.parametrize("value", ["", "0", "false"])
def test_tqdm_disable_off_values(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("TQDM_DISABLE", value)
    assert show_progress(True) is True


def test_explicit_choice_and_auto(monkeypatch: pytest.MonkeyPatch) -> None:
    assert show_progress(True) is True
    assert show_progress(False) is False
    monkeypatch.setattr(_progress, "_interactive", lambda: True)
    assert show_progress(None) is True and show_progress(False) is False
    monkeypatch.setattr(_progress, "_interactive", lambda: False)
    assert show_progress(None) is False and show_progress(True) is True


def test_interactive_means_a_terminal_or_a_kernel(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(sys.modules, "IPython", raising=False)
    assert _progress._interactive() is False  # pytest captures stderr: not a terminal
    monkeypatch.setattr(sys, "stderr", _Tty())
    assert _progress._interactive() is True
    monkeypatch.undo()

    shell = types.SimpleNamespace(config={"IPKernelApp": {}})
    fake = types.ModuleType("IPython")
    fake.get_ipython = lambda: shell  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "IPython", fake)
    assert _progress._interactive() is True
    shell.config = {}  # a terminal IPython, not a kernel
    assert _progress._in_kernel() is False


def test_bar_draws_only_when_shown(capsys: pytest.CaptureFixture[str]) -> None:
    assert list(progress_bar(range(3), progress=True, desc="demo")) == [0, 1, 2]
    err = capsys.readouterr().err
    assert "demo" in err and "3/3" in err
    assert list(progress_bar(range(3), progress=False, desc="demo")) == [0, 1, 2]
    assert capsys.readouterr().err == ""


def test_long_work_reports_progress(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    df = pd.DataFrame({"time": [1, 2, 3, 4, 5, 6, 7, 8.0], "event": [1, 1, 0, 1, 1, 0, 1, 1]})
    bootstrap_km_median(df, n_resamples=50, random_state=1, progress=True)
    assert "50/50" in capsys.readouterr().err
    bootstrap_km_median(df, n_resamples=50, random_state=1)  # default: not interactive here
    assert capsys.readouterr().err == ""
    monkeypatch.setenv("TQDM_DISABLE", "1")  # what the report kernel sets
    bootstrap_km_median(df, n_resamples=50, random_state=1, progress=True)
    assert capsys.readouterr().err == ""


def test_cluster_bootstrap_progress(capsys: pytest.CaptureFixture[str]) -> None:
    pairs = pd.DataFrame(
        {
            "patient_id": ["P1", "P1", "P2", "P3", "P4", "P5", "P6"],
            "primary_who_grade": ["G1", "G2", "G2", "G1", "G3", "G2", "G1"],
            "metastasis_who_grade": ["G1", "G2", "G3", "G2", "G3", "G2", "G1"],
            "primary_ki67_percent": [1.0, 5.0, 12.0, 2.0, 30.0, 6.0, 1.5],
            "metastasis_ki67_percent": [1.5, 6.0, 25.0, 4.0, 28.0, 9.0, 2.0],
        }
    )
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        netstats.grading.concordance(
            pairs, ci_method="cluster_bootstrap", n_bootstrap=100, random_state=1, progress=True
        )
    err = capsys.readouterr().err
    assert "cluster bootstrap" in err and "100/100" in err


def test_tqdm_is_used_in_one_place_only() -> None:
    root = Path(netstats.__file__).parent
    users = sorted(
        str(p.relative_to(root))
        for p in root.rglob("*.py")
        if "tqdm" in p.read_text(encoding="utf-8") and p.name != "_progress.py"
    )
    assert users == [], f"import progress bars from netstats._progress, not tqdm: {users}"

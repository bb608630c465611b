"""What notebooks export: CSV tables, PNG/SVG figures and the manifest."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
import pytest

from netstats.report import ReportOutputs, suppress_small
from netstats.report._scan import png_text_chunks


def _figure():
    fig, ax = plt.subplots(figsize=(3, 2))
    ax.plot([0, 1, 2], [1.0, 0.6, 0.3], label="G1")
    ax.legend()
    return ax


def test_table_and_figure_written_with_manifest(tmp_path, close_figures):
    out = ReportOutputs(tmp_path, notebook="Demo")
    shown = out.table("grades", pd.DataFrame({"grade": ["G1"], "n": [12]}), caption="Grades")
    assert "<table" in shown._repr_html_() and "Grades" in shown._repr_html_()
    fig = out.figure("curve", _figure(), caption="A curve")
    assert fig._repr_mimebundle_()["image/png"].startswith(b"\x89PNG")
    assert (tmp_path / "tables/grades.csv").read_text() == "grade,n\nG1,12\n"
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["notebook"] == "Demo"
    assert [e["files"] for e in manifest["outputs"]] == [
        ["tables/grades.csv"],
        ["figures/curve.png", "figures/curve.svg"],
    ]
    assert plt.get_fignums() == []  # the figure was closed after saving


def test_figures_are_byte_reproducible_without_dates(tmp_path, close_figures):
    a = ReportOutputs(tmp_path / "a")
    b = ReportOutputs(tmp_path / "b")
    a.figure("curve", _figure())
    b.figure("curve", _figure())
    for suffix in ("png", "svg"):
        assert (tmp_path / f"a/figures/curve.{suffix}").read_bytes() == (
            tmp_path / f"b/figures/curve.{suffix}"
        ).read_bytes()
    svg = (tmp_path / "a/figures/curve.svg").read_text()
    assert "<dc:date>" not in svg
    assert png_text_chunks((tmp_path / "a/figures/curve.png").read_bytes()) == []


def test_names_checked(tmp_path):
    out = ReportOutputs(tmp_path)
    out.table("t1", pd.DataFrame({"a": [1]}))
    with pytest.raises(ValueError, match="already used"):
        out.table("t1", pd.DataFrame({"a": [1]}))
    with pytest.raises(ValueError, match="lower-case"):
        out.table("../escape", pd.DataFrame({"a": [1]}))
    with pytest.raises(TypeError, match="DataFrame"):
        out.table("t2", [1, 2])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="Figure or Axes"):
        out.figure("f", object())


def test_suppress_small_leaves_zero_and_large_counts():
    frame = pd.DataFrame({"n_at_risk": [40, 5, 4, 1, 0], "survival": [1.0, 0.8, 0.7, 0.6, 0.5]})
    out = suppress_small(frame, columns=["n_at_risk"])
    assert out["n_at_risk"].isna().tolist() == [False, False, True, True, False]
    assert out["survival"].tolist() == frame["survival"].tolist()
    assert suppress_small(frame, columns=["n_at_risk"], threshold=0)["n_at_risk"].notna().all()


def test_import_report_loads_no_heavy_dependency():
    code = (
        "import sys, netstats.report, netstats.tables; "
        "print(sorted(m for m in ('matplotlib', 'papermill', 'nbconvert', 'jupytext') "
        "if m in sys.modules))"
    )
    root = Path(__file__).resolve().parents[1]
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=root
    )
    assert done.stdout.strip() == "[]"


def test_table_html_keeps_line_breaks_not_a_literal_backslash_n(tmp_path):
    from netstats.report import ReportOutputs

    frame = pd.DataFrame({"item": ["rules"], "value": ["first line\nsecond <line>"]})
    page = ReportOutputs(tmp_path).table("rules", frame, caption="c")._repr_html_()
    assert "\\n" not in page
    assert "irst line<br>second &lt;line&gt;" in page  # the first letter may be capitalised

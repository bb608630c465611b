"""Byte-identical re-renders with SOURCE_DATE_EPOCH (the reproducible-builds convention)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from netstats.report import render
from netstats.report._render import _now
from tests._cohorts import MINIMAL
from tests._reader import docx_text
from tests._report_notebooks import write_notebook

ANALYSES = Path(__file__).resolve().parents[1] / "analyses"
EPOCH = "1767225600"  # 2026-01-01T00:00:00Z

# A small notebook with every kind of output a report writes: a presented table (Great
# Tables HTML with its JSON), a figure, a warning shown as a note, the provenance appendix.
BODY = """# %%
import warnings

import matplotlib.pyplot as plt
import pandas as pd

from netstats import report
from netstats.exceptions import StatisticalWarning

out = report.ReportOutputs(output_dir, notebook="Test", suppression_threshold=5)
prov = report.provenance(data, seeds={"seed": seed}, rendered_at=rendered_at or None)

# %%
warnings.warn("few events in one group", StatisticalWarning)
out.table("medians", pd.DataFrame({"group": ["1", "2"], "estimate": [20.71, 12.2],
          "ci_lower": [17.8, 9.2], "ci_upper": [23.7, 16.6], "conf_level": 0.95}),
          caption="Medians")

# %%
fig, ax = plt.subplots(figsize=(3, 2))
ax.plot([0, 1, 2], [1.0, 0.6, 0.3])
out.figure("curve", ax, caption="A curve")

# %%
out.provenance(prov)
"""


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_source_date_epoch_sets_the_render_time(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    assert _now() == "2026-01-01T00:00:00Z"
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    with pytest.raises(ValueError, match="SOURCE_DATE_EPOCH"):
        _now()


def test_outputs_and_index_written_twice_are_byte_identical(tmp_path, close_figures):
    """Fast check of every writer a render uses, without a kernel: tables (CSV and their
    Great Tables HTML), figures, the provenance appendix and index.html."""
    import matplotlib.pyplot as plt
    import pandas as pd

    from netstats.report import ReportOutputs, provenance
    from netstats.report._render import _index_html

    def write(folder: Path) -> tuple[dict[str, bytes], str]:
        out = ReportOutputs(folder, notebook="Demo", suppression_threshold=5)
        frame = pd.DataFrame(
            {
                "group": ["1", "2"],
                "estimate": [20.71, 12.2],
                "ci_lower": [17.8, 9.2],
                "ci_upper": [23.7, 16.6],
            }
        )
        shown = [out.table("medians", frame, caption="Medians")._repr_mimebundle_()]
        fig, ax = plt.subplots(figsize=(3, 2))
        ax.plot([0, 1, 2], [1.0, 0.6, 0.3])
        out.figure("curve", ax, caption="A curve")
        prov = provenance(MINIMAL, seeds={"seed": 1}, rendered_at="2026-01-01T00:00:00Z")
        shown.append(out.provenance(prov)._repr_mimebundle_())
        entries = [{"name": "01_demo", "title": "Demo", "outputs": out.entries}]
        index = _index_html(entries, rendered_at=prov.rendered_at, prov=prov)
        return _files(folder), json.dumps(shown, sort_keys=True) + index

    files_a, shown_a = write(tmp_path / "a")
    files_b, shown_b = write(tmp_path / "b")
    assert files_a == files_b and shown_a == shown_b
    assert {"tables/medians.csv", "figures/curve.png", "figures/curve.svg"} <= set(files_a)
    assert str(MINIMAL) not in shown_a  # relative names only


@pytest.mark.slow
def test_two_renders_with_source_date_epoch_are_byte_identical(tmp_path, monkeypatch):
    """A small notebook rendered twice in real kernels (about a minute on a busy machine)."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    analyses = tmp_path / "analyses"
    write_notebook(analyses, "01_small", BODY)
    first = render(analyses, data=MINIMAL, out=tmp_path / "a", only="01", progress=False)
    second = render(analyses, data=MINIMAL, out=tmp_path / "b", only="01", progress=False)
    assert first.rendered_at == second.rendered_at == "2026-01-01T00:00:00Z"
    files_a, files_b = _files(first.out), _files(second.out)
    assert sorted(files_a) == sorted(files_b)
    kinds = {Path(name).suffix for name in files_a}
    assert {".html", ".csv", ".png", ".svg", ".ipynb", ".json"} <= kinds
    for name, content in files_a.items():
        assert content == files_b[name], name
    # the notebook's outputs are what the report is meant to show
    page = files_a["01_small/01_small_nocode.html"].decode()
    assert "Estimate (95% CI)" in page and "20.7 (17.8" in page
    assert "Notes" in page and "Few events in one group" in page
    assert "ipykernel" not in page and "StatisticalWarning" not in page
    word = docx_text(first.out / "01_small" / "01_small.docx")  # the notes reach Word too
    assert "Notes" in word and "Few events in one group" in word
    assert str(MINIMAL) not in page and str(MINIMAL) not in files_a["index.html"].decode()
    nb = json.loads(files_a["01_small/01_small.ipynb"])
    mimes = {k for c in nb["cells"] for o in c.get("outputs", []) for k in o.get("data", {})}
    assert "application/vnd.netstats.table+json" in mimes


@pytest.mark.slow
def test_report_notebooks_render_byte_identical_twice(tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    first = render(
        ANALYSES, data=MINIMAL, out=tmp_path / "a", progress=False, parameters={"min_pairs": 2}
    )
    second = render(
        ANALYSES, data=MINIMAL, out=tmp_path / "b", progress=False, parameters={"min_pairs": 2}
    )
    files_a, files_b = _files(first.out), _files(second.out)
    assert sorted(files_a) == sorted(files_b)
    for name, content in files_a.items():
        assert content == files_b[name], name

"""Word export of the reports: structure, tables, figures, no code, byte-identical files."""

from __future__ import annotations

import base64
import io
import json
import re
import tempfile
import zipfile
from pathlib import Path

import docx
import matplotlib
import nbformat
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from netstats.report import ReportOutputs, check_outputs, render, verify_report
from netstats.report._docx import DOCX_EPOCH, export_docx, xml_safe
from netstats.report._outputs import TABLE_MIME
from tests._report_cohort import write_replicated

matplotlib.use("Agg")
import matplotlib.pyplot as plt

ANALYSES = Path(__file__).resolve().parents[1] / "analyses"
_BAD_TEXT_RE = re.compile(r"<NA>|\bnan\b|\bNaN\b|Traceback|ipykernel")


def _bundle_output(obj: object) -> dict:
    """A display_data output as the kernel would store it for ``display(obj)``."""
    data = dict(obj._repr_mimebundle_())  # type: ignore[attr-defined]
    if isinstance(data.get("image/png"), bytes):
        data["image/png"] = base64.b64encode(data["image/png"]).decode()
    return nbformat.v4.new_output("display_data", data=data)


def _notebook(tmp_path: Path) -> nbformat.NotebookNode:
    out = ReportOutputs(tmp_path / "outputs")
    table = out.table(
        "grades",
        pd.DataFrame({"grade": ["G1", "G2", None], "n": [12, 7, 3], "ki67": [1.234, 5.0, None]}),
        caption="Grades at diagnosis",
    )
    fig, ax = plt.subplots()
    ax.plot([0, 1], [1, 0])
    figure = out.figure("line", fig, caption="A falling line")
    code = nbformat.v4.new_code_cell("secret_variable = compute_everything()")
    code.outputs = [
        nbformat.v4.new_output("stream", name="stdout", text="12 pairs analysed\n3 withheld\n"),
        nbformat.v4.new_output("stream", name="stderr", text="/tmp/ipykernel_1/1.py: Warning\n"),
        _bundle_output(table),
        _bundle_output(figure),
        nbformat.v4.new_output(
            "display_data", data={"text/markdown": "**Note:** one *small* cell merged."}
        ),
        nbformat.v4.new_output(
            "display_data", data={"text/html": "<b>html only</b>", "text/plain": "repr"}
        ),
    ]
    failing = nbformat.v4.new_code_cell("1 / 0")
    failing.outputs = [
        nbformat.v4.new_output(
            "error", ename="ZeroDivisionError", evalue="division by zero", traceback=["Traceback"]
        )
    ]
    md = (
        "# Ki-67 report\n\nIntro with **bold** and *italic* and `code`.\n\n## Methods\n\n"
        "- first point\n- second point\n\n1. one\n2. two\n\n### Details\n\n"
        "| a | b |\n|---|---|\n| 1 | 2 |\n"
    )
    return nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(md), code, failing])


def _paragraphs(document: docx.document.Document) -> list[tuple[str, str]]:
    return [(p.style.name, p.text) for p in document.paragraphs if p.text.strip()]


def _all_text(document: docx.document.Document) -> str:
    parts = [p.text for p in document.paragraphs]
    parts += [c.text for t in document.tables for row in t.rows for c in row.cells]
    return "\n".join(parts)


def test_export_structure(tmp_path):
    nb = _notebook(tmp_path)
    dest = export_docx(nb, tmp_path / "r.docx", title="Ki-67 report", environ={})
    document = docx.Document(dest)
    paragraphs = _paragraphs(document)
    assert paragraphs[0] == ("Title", "Ki-67 report")
    assert ("Heading 1", "Ki-67 report") not in paragraphs  # the title is not repeated
    assert ("Heading 2", "Methods") in paragraphs
    assert ("Heading 3", "Details") in paragraphs
    assert ("List Bullet", "first point") in paragraphs
    assert ("List Number", "two") in paragraphs
    intro = next(p for p in document.paragraphs if p.text.startswith("Intro"))
    assert [r.text for r in intro.runs if r.bold] == ["bold"]
    assert [r.text for r in intro.runs if r.italic] == ["italic"]
    assert ("Normal", "12 pairs analysed\n3 withheld") in paragraphs  # one block, as printed
    assert ("Caption", "Table 1. Grades at diagnosis") in paragraphs
    assert ("Caption", "Figure 1. A falling line") in paragraphs
    assert ("Normal", "Note: one small cell merged.") in paragraphs
    text = _all_text(document)
    for absent in ("secret_variable", "1 / 0", "ipykernel", "Traceback", "html only", "repr"):
        assert absent not in text
    # the presented table as a Word table, cell by cell; the Markdown table too
    assert len(document.tables) == 2
    grades = document.tables[1]
    cells = [[c.text for c in row.cells] for row in grades.rows]
    shown = nb.cells[1].outputs[2]["data"][TABLE_MIME]
    assert cells == [shown["columns"], *shown["rows"]]
    assert cells[0][0] == "WHO 2019 grade" and cells[1][:2] == ["G1", "12"]
    assert all(run.bold for run in grades.rows[0].cells[0].paragraphs[0].runs)
    assert [[c.text for c in row.cells] for row in document.tables[0].rows] == [
        ["a", "b"],
        ["1", "2"],
    ]
    # one figure, at the width of the page
    assert len(document.inline_shapes) == 1
    section = document.sections[0]
    width = section.page_width - section.left_margin - section.right_margin
    assert abs(document.inline_shapes[0].width - width) <= 1


def test_export_is_reproducible(tmp_path):
    nb = _notebook(tmp_path)
    a = export_docx(nb, tmp_path / "a.docx", title="Ki-67 report", environ={}).read_bytes()
    b = export_docx(nb, tmp_path / "b.docx", title="Ki-67 report", environ={}).read_bytes()
    assert a == b
    epoch = {"SOURCE_DATE_EPOCH": "1700000000"}
    c = export_docx(nb, tmp_path / "c.docx", title="Ki-67 report", environ=epoch).read_bytes()
    d = export_docx(nb, tmp_path / "d.docx", title="Ki-67 report", environ=epoch).read_bytes()
    assert c == d and c != a
    props = docx.Document(io.BytesIO(c)).core_properties
    assert props.created.isoformat() == "2023-11-14T22:13:20+00:00" == props.modified.isoformat()
    assert docx.Document(io.BytesIO(a)).core_properties.created == DOCX_EPOCH
    with zipfile.ZipFile(io.BytesIO(c)) as archive:
        assert {i.date_time for i in archive.infolist()} == {(2023, 11, 14, 22, 13, 20)}
        assert not [n for n in archive.namelist() if "thumbnail" in n]


def test_bad_epoch_is_refused(tmp_path):
    nb = _notebook(tmp_path)
    with pytest.raises(ValueError, match="SOURCE_DATE_EPOCH"):
        export_docx(nb, tmp_path / "a.docx", title="t", environ={"SOURCE_DATE_EPOCH": "soon"})


@settings(max_examples=25, deadline=None)
@given(
    st.lists(
        st.lists(st.text(st.characters(codec="utf-8"), max_size=12), min_size=2, max_size=2),
        min_size=1,
        max_size=4,
    )
)
def test_table_cells_keep_their_text(rows):
    """Any text, control characters included, reaches the Word cell (minus what XML
    cannot hold)."""
    spec = {"name": "t", "caption": "", "columns": ["a", "b"], "rows": rows, "footnotes": []}
    output = nbformat.v4.new_output("display_data", data={TABLE_MIME: spec})
    cell = nbformat.v4.new_code_cell("")
    cell.outputs = [output]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "t.docx"
        export_docx(nbformat.v4.new_notebook(cells=[cell]), path, title="t", environ={})
        table = docx.Document(path).tables[0]
    expected = [[xml_safe(v).replace("\r\n", "\n").replace("\r", "\n") for v in r] for r in rows]
    got = [[c.text for c in row.cells] for row in table.rows[1:]]
    assert got == expected


def test_privacy_scan_reads_word_documents(tmp_path):
    """An identifier or a full date in a Word document is found, even split across runs;
    the export's own document dates are not findings."""
    leak = nbformat.v4.new_markdown_cell("# Report\n\npatient P0**00017** seen 2021-03-14")
    export_docx(nbformat.v4.new_notebook(cells=[leak]), tmp_path / "leak.docx", title="Report")
    runs = [r.text for r in docx.Document(tmp_path / "leak.docx").paragraphs[1].runs]
    assert runs == ["patient P0", "00017", " seen 2021-03-14"]  # the identifier is split
    findings = check_outputs(tmp_path, identifiers=["P000017"], raise_on_finding=False)
    assert {(f.file, f.kind) for f in findings} == {
        ("leak.docx", "identifier"),
        ("leak.docx", "date"),
    }
    clean = tmp_path / "clean"
    clean.mkdir()
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Report\n\nG1 12")])
    export_docx(nb, clean / "r.docx", title="Report", environ={"SOURCE_DATE_EPOCH": "1700000000"})
    assert check_outputs(clean, identifiers=["P000017"], raise_on_finding=False) == []


# --------------------------------------------------------------------------------------
# a rendered report
# --------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("docx")
    data = write_replicated(root / "cohort")
    return render(ANALYSES, data=data, out=root / "reports", only="03", progress=False).out


def _outputs(nb: nbformat.NotebookNode) -> list[dict]:
    return [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]


def test_rendered_report_as_word(rendered, tmp_path):
    name = "03_ki67_grade"
    path = rendered / name / f"{name}.docx"
    nb = nbformat.read(rendered / name / f"{name}.ipynb", as_version=4)
    document = docx.Document(path)
    # headings: the notebook's Markdown headings, in order
    md_headings = [
        line.lstrip("#").strip()
        for c in nb.cells
        if c.cell_type == "markdown"
        for line in c.source.splitlines()
        if re.match(r"#{1,6} ", line)
    ]
    headings = [
        p.text for p in document.paragraphs if p.style.name.startswith(("Heading", "Title"))
    ]
    assert headings == md_headings
    # every presented table is a Word table with its header and cells
    specs = [o["data"][TABLE_MIME] for o in _outputs(nb) if TABLE_MIME in o.get("data", {})]
    assert specs, "the notebook shows no tables"
    assert len(document.tables) == len(specs)
    for spec, table in zip(specs, document.tables, strict=True):
        cells = [[c.text for c in row.cells] for row in table.rows]
        assert cells[0] == spec["columns"], spec["name"]
        assert cells[1:] == spec["rows"], spec["name"]
    # figures embedded
    n_images = sum("image/png" in o.get("data", {}) for o in _outputs(nb))
    assert n_images >= 1
    assert len(document.inline_shapes) == n_images
    # no code, no raw values
    text = _all_text(document)
    for cell in nb.cells:
        if cell.cell_type == "code":
            for line in cell.source.splitlines():
                if len(line.strip()) > 25 and not line.strip().startswith("#"):
                    assert line.strip() not in text, line
    assert not _BAD_TEXT_RE.search(text), _BAD_TEXT_RE.search(text)
    # byte for byte the export of the stored notebook
    again = export_docx(nb, tmp_path / "again.docx", title=document.core_properties.title)
    assert again.read_bytes() == path.read_bytes()


def test_rendered_report_lists_and_links_word(rendered):
    name = "03_ki67_grade"
    manifest = json.loads((rendered / "report.json").read_text(encoding="utf-8"))
    assert f"{name}/{name}.docx" in [f["path"] for f in manifest["files"]]
    assert f'href="{name}/{name}.docx"' in (rendered / "index.html").read_text(encoding="utf-8")
    assert verify_report(rendered) == []

"""Word export of an executed report notebook: what clinical co-authors edit.

:func:`export_docx` writes the no-code view of a notebook as a ``.docx`` (python-docx):
the title, Markdown cells as headings, paragraphs and lists, presented tables
(:data:`~netstats.report._outputs.TABLE_MIME` outputs) as real Word tables with their
caption ("Table 1. ...") and footnotes, figures (``image/png`` outputs) at the width of the
page with their caption ("Figure 1. ..."), Markdown display outputs and printed messages
(stdout) as paragraphs.  Code, warnings (stderr), tracebacks and HTML-only displays are
left out.

The file is reproducible: the document's dates come from ``SOURCE_DATE_EPOCH`` (or a
fixed date) and the zip entries carry that date too, so two exports of the same notebook
are byte-identical.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from netstats.report._outputs import FIGURE_MIME, TABLE_MIME

__all__ = ["DOCX_EPOCH", "docx_timestamp", "export_docx", "xml_safe"]

#: Date written into documents when ``SOURCE_DATE_EPOCH`` is not set.
DOCX_EPOCH = dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc)
# zip entries cannot be dated before 1980 (DOS time)
_ZIP_MIN = dt.datetime(1980, 1, 1, tzinfo=dt.timezone.utc)
# python-docx's template names its bundled styles in English
_TABLE_STYLE = "Table Grid"
_CAPTION_STYLE = "Caption"
_TABLE_POINTS = 9
_MONOSPACE = "Consolas"
_FOOTNOTE_POINTS = 8
# characters XML 1.0 cannot hold (control characters other than tab and newlines)
_XML_INVALID_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def xml_safe(text: object) -> str:
    """``text`` as a string Word can hold: control characters other than tab and line
    breaks are removed.

    Examples
    --------
    >>> xml_safe("G1\\x00 (12)")
    'G1 (12)'
    """
    return _XML_INVALID_RE.sub("", str(text))


def docx_timestamp(environ: Mapping[str, str] | None = None) -> dt.datetime:
    """The date written into Word documents: ``SOURCE_DATE_EPOCH`` if set, else fixed.

    Parameters
    ----------
    environ : mapping, optional
        Environment to read (default ``os.environ``).

    Returns
    -------
    datetime
        Timezone-aware UTC date.

    Raises
    ------
    ValueError
        ``SOURCE_DATE_EPOCH`` is not a whole number of seconds.

    Examples
    --------
    >>> docx_timestamp({"SOURCE_DATE_EPOCH": "1700000000"}).isoformat()
    '2023-11-14T22:13:20+00:00'
    >>> docx_timestamp({}) == DOCX_EPOCH
    True
    """
    env = os.environ if environ is None else environ
    raw = env.get("SOURCE_DATE_EPOCH", "").strip()
    if not raw:
        return DOCX_EPOCH
    try:
        seconds = int(raw)
    except ValueError:
        raise ValueError(
            f"SOURCE_DATE_EPOCH must be whole seconds since 1970, got {raw!r}"
        ) from None
    return dt.datetime.fromtimestamp(seconds, tz=dt.timezone.utc)


# --------------------------------------------------------------------------------------
# Markdown
# --------------------------------------------------------------------------------------
def _markdown_tokens(text: str) -> list[Any]:
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark").enable("table").parse(text)


def _add_inline(paragraph: Any, token: Any) -> None:
    """Runs of an inline token: bold, italic, code and link text; breaks become spaces."""
    bold = italic = 0
    for child in token.children or []:
        kind = child.type
        if kind == "strong_open":
            bold += 1
        elif kind == "strong_close":
            bold -= 1
        elif kind == "em_open":
            italic += 1
        elif kind == "em_close":
            italic -= 1
        elif kind in ("text", "code_inline", "html_inline"):
            if kind == "html_inline":
                continue  # tags such as <br> or <span> carry no text of their own
            run = paragraph.add_run(xml_safe(child.content))
            run.bold = bold > 0 or None
            run.italic = italic > 0 or None
            if kind == "code_inline":
                run.font.name = _MONOSPACE
        elif kind == "softbreak":
            paragraph.add_run(" ")
        elif kind == "hardbreak":
            paragraph.add_run().add_break()
        elif kind == "image":
            paragraph.add_run(xml_safe(child.content))  # its alt text


def _inline_text(token: Any) -> str:
    return "".join(
        c.content if c.type in ("text", "code_inline") else " " if "break" in c.type else ""
        for c in token.children or []
    )


def _add_markdown(doc: Any, text: str, *, skip_title: str | None = None) -> None:
    """Markdown blocks as Word headings, paragraphs, lists, quotes and tables."""
    tokens = _markdown_tokens(text)
    lists: list[str] = []  # "bullet" or "ordered", innermost last
    quote = 0
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        kind = tok.type
        if kind == "heading_open":
            level = int(tok.tag[1])
            inline = tokens[i + 1]
            heading = _inline_text(inline).strip()
            if not (level == 1 and skip_title is not None and heading == skip_title):
                doc.add_heading(xml_safe(heading), level=min(level, 9))
            i += 3
            continue
        if kind in ("bullet_list_open", "ordered_list_open"):
            lists.append("bullet" if kind == "bullet_list_open" else "ordered")
        elif kind in ("bullet_list_close", "ordered_list_close"):
            lists.pop()
        elif kind == "blockquote_open":
            quote += 1
        elif kind == "blockquote_close":
            quote -= 1
        elif kind == "paragraph_open":
            inline = tokens[i + 1]
            if lists:
                base = "List Bullet" if lists[-1] == "bullet" else "List Number"
                depth = min(len(lists), 3)
                style = base if depth == 1 else f"{base} {depth}"
            else:
                style = "Quote" if quote else None
            paragraph = doc.add_paragraph(style=style)
            _add_inline(paragraph, inline)
            i += 3
            continue
        elif kind in ("fence", "code_block"):
            paragraph = doc.add_paragraph()
            run = paragraph.add_run(xml_safe(tok.content.rstrip("\n")))
            run.font.name = _MONOSPACE
        elif kind == "table_open":
            i = _add_markdown_table(doc, tokens, i)
            continue
        i += 1


def _add_markdown_table(doc: Any, tokens: list[Any], start: int) -> int:
    """A Markdown pipe table as a Word table; returns the index after ``table_close``."""
    rows: list[list[Any]] = []
    header_rows = 0
    in_head = False
    i = start
    while tokens[i].type != "table_close":
        kind = tokens[i].type
        if kind == "thead_open":
            in_head = True
        elif kind == "thead_close":
            in_head = False
        elif kind == "tr_open":
            rows.append([])
            header_rows += in_head
        elif kind == "inline":
            rows[-1].append(tokens[i])
        i += 1
    width = max((len(r) for r in rows), default=0)
    if width:
        _word_table(
            doc,
            [[_inline_text(c) for c in r] + [""] * (width - len(r)) for r in rows],
            header_rows=header_rows,
        )
    return i + 1


# --------------------------------------------------------------------------------------
# tables and figures
# --------------------------------------------------------------------------------------
def _repeat_header(row: Any) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    props = row._tr.get_or_add_trPr()
    mark = OxmlElement("w:tblHeader")
    mark.set(qn("w:val"), "true")
    props.append(mark)


def _word_table(doc: Any, rows: Sequence[Sequence[str]], *, header_rows: int = 1) -> Any:
    """A Word table of text cells; the first ``header_rows`` rows bold and repeated on
    every page."""
    n_cols = max(len(r) for r in rows)
    table = doc.add_table(rows=len(rows), cols=n_cols)
    table.style = doc.styles[_TABLE_STYLE]
    for r, values in enumerate(rows):
        cells = table.rows[r].cells
        for c, value in enumerate(values):
            paragraph = cells[c].paragraphs[0]
            run = paragraph.add_run(xml_safe(value))
            run.font.size = _points(_TABLE_POINTS)
            if r < header_rows:
                run.bold = True
        if r < header_rows:
            _repeat_header(table.rows[r])
    return table


def _add_table(doc: Any, spec: Mapping[str, Any], counts: dict[str, int]) -> None:
    counts["table"] += 1
    caption = str(spec.get("caption") or "")
    label = f"Table {counts['table']}." + (f" {caption}" if caption else "")
    doc.add_paragraph(xml_safe(label), style=_CAPTION_STYLE)
    columns = [str(c) for c in spec.get("columns", [])]
    rows = [[str(v) for v in row] for row in spec.get("rows", [])]
    if columns:
        _word_table(doc, [columns, *rows], header_rows=1)
    for note in spec.get("footnotes", []) or []:
        paragraph = doc.add_paragraph()
        run = paragraph.add_run(xml_safe(note))
        run.font.size = _points(_FOOTNOTE_POINTS)
    doc.add_paragraph()


def _points(size: float) -> Any:
    from docx.shared import Pt

    return Pt(size)


def _usable_width(doc: Any) -> int:
    section = doc.sections[-1]
    return int(section.page_width - section.left_margin - section.right_margin)


def _add_figure(
    doc: Any, png: bytes | str, meta: Mapping[str, Any] | None, counts: dict[str, int]
) -> None:
    import base64

    data = base64.b64decode(png) if isinstance(png, str) else png
    doc.add_picture(io.BytesIO(data), width=_usable_width(doc))
    counts["figure"] += 1
    caption = str((meta or {}).get("caption") or "")
    label = f"Figure {counts['figure']}." + (f" {caption}" if caption else "")
    doc.add_paragraph(xml_safe(label), style=_CAPTION_STYLE)


def _add_output(doc: Any, output: Mapping[str, Any], counts: dict[str, int]) -> None:
    kind = output.get("output_type")
    if kind == "stream" and output.get("name") == "stdout":
        text = output.get("text", "")
        text = ("".join(text) if isinstance(text, list) else text).strip("\n")
        if text.strip():
            # printed text keeps its lines and columns, as in the HTML page
            run = doc.add_paragraph().add_run(xml_safe(text))
            run.font.name = _MONOSPACE
            run.font.size = _points(_TABLE_POINTS)
        return
    if kind not in ("display_data", "execute_result"):
        return  # warnings (stderr) and errors are not part of the document
    data = output.get("data", {})
    if TABLE_MIME in data:
        _add_table(doc, data[TABLE_MIME], counts)
    elif "image/png" in data:
        _add_figure(doc, data["image/png"], data.get(FIGURE_MIME), counts)
    elif "text/markdown" in data:
        text = data["text/markdown"]
        _add_markdown(doc, "".join(text) if isinstance(text, list) else text)


# --------------------------------------------------------------------------------------
# document
# --------------------------------------------------------------------------------------
def _set_properties(doc: Any, *, title: str, when: dt.datetime) -> None:
    props = doc.core_properties
    props.title = xml_safe(title)
    props.author = "netstats"
    props.last_modified_by = "netstats"
    props.revision = 1
    naive = when.astimezone(dt.timezone.utc).replace(tzinfo=None)
    props.created = naive
    props.modified = naive
    props.last_printed = naive


def _drop_thumbnail(doc: Any) -> None:
    """Remove the template's thumbnail (a JPEG of an empty page) from the package."""
    from docx.opc.constants import RELATIONSHIP_TYPE as RT

    rels = doc.part.package.rels
    for r_id in [k for k, rel in rels.items() if rel.reltype == RT.THUMBNAIL]:
        rels.pop(r_id)


def _fixed_zip(data: bytes, when: dt.datetime) -> bytes:
    """The zip rewritten with every entry dated ``when`` (entry order kept)."""
    stamp = max(when, _ZIP_MIN).astimezone(dt.timezone.utc).timetuple()[:6]
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as src,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dest,
    ):
        for item in src.infolist():
            info = zipfile.ZipInfo(item.filename, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            info.create_system = 3
            dest.writestr(info, src.read(item.filename))
    return out.getvalue()


def export_docx(
    nb: Any,
    dest: str | Path,
    *,
    title: str,
    environ: Mapping[str, str] | None = None,
) -> Path:
    """Write an executed notebook as a Word document (no code).

    Parameters
    ----------
    nb : NotebookNode or mapping
        The executed notebook (nbformat 4).
    dest : path
        The ``.docx`` file to write.
    title : str
        Document title (first heading and document property); a level-1 Markdown heading
        equal to it is not repeated.
    environ : mapping, optional
        Environment read for ``SOURCE_DATE_EPOCH`` (default ``os.environ``).

    Returns
    -------
    Path
        ``dest``.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import nbformat
    >>> nb = nbformat.v4.new_notebook(cells=[
    ...     nbformat.v4.new_markdown_cell("# Grades\\n\\nKi-67 by **grade**."),
    ...     nbformat.v4.new_code_cell("print(1)")])
    >>> dest = export_docx(nb, Path(tempfile.mkdtemp()) / "grades.docx", title="Grades")
    >>> import docx
    >>> [p.text for p in docx.Document(dest).paragraphs]
    ['Grades', 'Ki-67 by grade.']
    """
    import docx

    when = docx_timestamp(environ)
    doc = docx.Document()
    _set_properties(doc, title=title, when=when)
    _drop_thumbnail(doc)
    doc.add_heading(xml_safe(title), level=0)
    counts = {"table": 0, "figure": 0}
    for cell in nb["cells"]:
        if cell["cell_type"] == "markdown":
            source = cell["source"]
            _add_markdown(
                doc, "".join(source) if isinstance(source, list) else source, skip_title=title
            )
        elif cell["cell_type"] == "code":
            for output in cell.get("outputs", []):
                _add_output(doc, output, counts)
    buffer = io.BytesIO()
    doc.save(buffer)
    dest = Path(dest)
    dest.write_bytes(_fixed_zip(buffer.getvalue(), when))
    return dest

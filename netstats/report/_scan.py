"""Scan rendered outputs for patient identifiers and full calendar dates.

:func:`check_outputs` searches every file of a rendered report (HTML, CSV, JSON, executed
notebooks, SVG text and PNG metadata) and every file name, and raises
:class:`PrivacyError` naming the file and the match.
"""

from __future__ import annotations

import base64
import html
import json
import re
import struct
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from netstats.report._privacy import PrivacyError
from netstats.report._scan_dates import DATE_LAYOUTS, date_spans, find_dates
from netstats.report._scan_ids import IdentifierSearch, identifier_search

__all__ = [
    "DATE_LAYOUTS",
    "IdentifierSearch",
    "PrivacyFinding",
    "ScanResult",
    "check_outputs",
    "check_text",
    "cohort_identifiers",
    "find_dates",
    "identifier_search",
    "png_text_chunks",
]


@dataclass(frozen=True)
class PrivacyFinding:
    """One disclosure found in an output file.

    Examples
    --------
    >>> from netstats.report import check_text
    >>> finding = check_text("seen on 2021-03-14")[0]
    >>> finding.kind, finding.match
    ('date', '2021-03-14')
    """

    file: str
    kind: str  # "identifier" or "date"
    match: str
    context: str

    def __str__(self) -> str:
        return f"{self.file}: {self.kind} {self.match!r} in '...{self.context}...'"


_STYLE_RE = re.compile(r"<style[^>]*>.*?</style>", re.DOTALL | re.IGNORECASE)
_DATA_URI_RE = re.compile(r"data:image/(png|svg\+xml);base64,([A-Za-z0-9+/=\s]+)")


class ScanResult(list[PrivacyFinding]):
    """The findings of :func:`check_outputs` (a list) and what was searched, and how.

    Attributes
    ----------
    search : IdentifierSearch
        The identifiers searched everywhere and those searched only in context.
    notes : list of str
        How the scan searched (identifiers searched only in context), for the reader
        of a clean result as much as of a failed one.

    Examples
    --------
    >>> from netstats.report import ScanResult, identifier_search
    >>> result = ScanResult([], search=identifier_search(["P001", "17"]))
    >>> result == [], result.notes[0].startswith("1 identifier (17)")
    (True, True)
    """

    def __init__(
        self, findings: Iterable[PrivacyFinding] = (), *, search: IdentifierSearch
    ) -> None:
        super().__init__(findings)
        self.search = search
        self.notes = [n for n in [search.note] if n]


def cohort_identifiers(cohort: object) -> list[str]:
    """Every identifier value of a cohort: patient, sample and scan ids.

    Parameters
    ----------
    cohort : Cohort
        A :class:`netstats.Cohort`.

    Returns
    -------
    list of str
        Distinct identifiers, sorted.

    Examples
    --------
    >>> import netstats
    >>> from netstats.report import cohort_identifiers
    >>> ids = cohort_identifiers(netstats.simulate_cohort(n_patients=60, seed=1))
    >>> ids[:2]
    ['P000001', 'P000001-I1']
    """
    ids: set[str] = set()
    for table, cols in {
        "patients": ["patient_id"],
        "pathology": ["patient_id", "sample_id"],
        "therapy_lines": ["patient_id"],
        "imaging": ["patient_id", "scan_id"],
    }.items():
        frame = getattr(cohort, table)
        for col in cols:
            if col in frame.columns:
                ids.update(str(v) for v in frame[col].dropna().unique())
    return sorted(i for i in ids if i.strip())


def _context(text: str, start: int, end: int) -> str:
    return text[max(0, start - 30) : end + 30].replace("\n", " ")


def check_text(
    text: str,
    *,
    file: str = "<text>",
    identifiers: Iterable[str] | IdentifierSearch = (),
    allowed: Iterable[str] = (),
) -> list[PrivacyFinding]:
    """Identifiers and full dates in a text (see :func:`check_outputs`).

    ``identifiers`` is a list of cohort identifiers or an :class:`IdentifierSearch`
    (:func:`identifier_search`); a ``file`` ending in ``.csv`` is read as a table too.

    Examples
    --------
    >>> from netstats.report import check_text
    >>> [(f.kind, f.match) for f in check_text("P000123 seen 2021-03-14", identifiers=["P000123"])]
    [('identifier', 'P000123'), ('date', '2021-03-14')]
    >>> check_text("median PFS 14.2 months (2019 cohort)")
    []
    >>> [f.match for f in check_text("17 patients; patient 17 progressed", identifiers=["17"])]
    ['17']
    """
    allowed = [a for a in allowed if a]
    for token in allowed:
        text = text.replace(token, " ")
    search = (
        identifiers if isinstance(identifiers, IdentifierSearch) else identifier_search(identifiers)
    )
    findings = []
    for match, start, end, how in search.find(text, is_csv=file.lower().endswith(".csv")):
        where = _context(text, start, end) if start >= 0 else how
        findings.append(PrivacyFinding(file, "identifier", match, where))
    for start, end in date_spans(text):
        findings.append(PrivacyFinding(file, "date", text[start:end], _context(text, start, end)))
    return findings


def _inflate(data: bytes) -> bytes:
    try:
        return zlib.decompress(data)
    except zlib.error as exc:
        raise PrivacyError(
            f"a compressed PNG text chunk cannot be read ({exc}); cannot check it"
        ) from None


def png_text_chunks(data: bytes) -> list[str]:
    """The text metadata (tEXt, zTXt, iTXt chunks) of a PNG file.

    Raises
    ------
    PrivacyError
        A compressed chunk cannot be decompressed (it cannot be checked).
    """
    if not data.startswith(b"\x89PNG\r\n\x1a\n"):
        return []
    out: list[str] = []
    pos = 8
    while pos + 8 <= len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        body = data[pos + 8 : pos + 8 + length]
        pos += 12 + length
        if kind == b"tEXt":
            out.append(body.replace(b"\x00", b" ").decode("latin-1"))
        elif kind == b"zTXt":
            key, _, rest = body.partition(b"\x00")
            out.append(key.decode("latin-1") + " " + _inflate(rest[1:]).decode("latin-1"))
        elif kind == b"iTXt":
            key, _, rest = body.partition(b"\x00")
            compressed, rest = rest[:1] == b"\x01", rest[2:]
            _lang, _, rest = rest.partition(b"\x00")
            _tkey, _, text = rest.partition(b"\x00")
            if compressed:
                text = _inflate(text)
            out.append(key.decode("latin-1") + " " + text.decode("utf-8", "replace"))
        elif kind == b"IEND":
            break
    return out


def _strip_data_uris(text: str) -> tuple[str, list[str]]:
    """Replace embedded images by a placeholder; return their searchable text."""
    extra: list[str] = []

    def repl(m: re.Match[str]) -> str:
        raw = base64.b64decode(re.sub(r"\s", "", m.group(2)), validate=False)
        if m.group(1) == "png":
            extra.extend(png_text_chunks(raw))
        else:
            extra.append(raw.decode("utf-8", "replace"))
        return "data:image/embedded"

    return _DATA_URI_RE.sub(repl, text), extra


_UNCHECKABLE_MIMES = ("image/jpeg", "image/gif", "image/bmp", "image/tiff", "application/pdf")


def _json_strings(value: object) -> list[str]:
    """Every key and scalar of a parsed JSON document, as text (escapes undone)."""
    if isinstance(value, dict):
        return [t for k, v in value.items() for t in [str(k), *_json_strings(v)]]
    if isinstance(value, list):
        if value and all(isinstance(v, str | int | float) for v in value):
            # a row of a table (e.g. a presented table's cells) is read as one line, so its
            # cells keep their context ("Random seed | 20261122" is a seed, not a date)
            return [" | ".join(str(v) for v in value)]
        return [t for v in value for t in _json_strings(v)]
    return [] if value is None else [str(value)]


def _joined(value: object) -> object:
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return "".join(value)
    return value


def _markup_texts(text: str) -> list[str]:
    """HTML or SVG text with embedded images decoded and character references undone."""
    stripped, extra = _strip_data_uris(text)
    return [html.unescape(stripped), *extra]


def _bundle_texts(bundle: object, where: str) -> list[str]:
    """Searchable text of a MIME bundle (output data or cell attachment)."""
    if not isinstance(bundle, dict):
        return _json_strings(bundle)
    texts: list[str] = []
    for mime, value in bundle.items():
        joined = _joined(value)
        if mime == "image/png" and isinstance(joined, str):
            texts.extend(png_text_chunks(base64.b64decode(joined)))
        elif mime in _UNCHECKABLE_MIMES:
            raise PrivacyError(f"{where}: cannot check {mime} output for identifiers; use PNG")
        elif isinstance(joined, str):
            texts.extend(_markup_texts(joined) if "html" in mime or "svg" in mime else [joined])
        else:
            texts.extend(_json_strings(joined))
    return texts


def _notebook_texts(nb: Any, where: str = "notebook") -> list[str]:
    """Searchable text of an executed notebook: metadata, sources, attachments, outputs
    (text, tracebacks, data by MIME type, output metadata) and PNG metadata."""
    if not isinstance(nb, dict):
        return _json_strings(nb)
    texts = _json_strings(nb.get("metadata", {}))
    for cell in nb.get("cells", []):
        if not isinstance(cell, dict):
            texts.extend(_json_strings(cell))
            continue
        cell = dict(cell)
        source = _joined(cell.pop("source", ""))
        texts.extend([source] if isinstance(source, str) else _json_strings(source))
        attachments = cell.pop("attachments", None) or {}
        for bundle in attachments.values() if isinstance(attachments, dict) else []:
            texts.extend(_bundle_texts(bundle, where))
        for output in cell.pop("outputs", None) or []:
            output = dict(output) if isinstance(output, dict) else {"other": output}
            texts.extend(_bundle_texts(output.pop("data", {}), where))
            for value in output.values():  # text, traceback, ename, evalue, metadata
                value = _joined(value)
                if isinstance(value, list) and all(isinstance(v, str) for v in value):
                    value = "\n".join(value)  # traceback lines
                texts.extend([value] if isinstance(value, str) else _json_strings(value))
        texts.extend(_json_strings(cell))  # metadata and anything else
    return texts


def _name_text(rel: str) -> str:
    """A file's path as text to scan: its name parts as separate words."""
    stem = rel[: -len(Path(rel).suffix)] if Path(rel).suffix else rel
    return "file name " + re.sub(r"[_/\\]+", " ", stem)


# the export's own dates in a Word document's properties (docProps/core.xml)
_DOCX_DATES_RE = re.compile(r"<(dcterms:created|dcterms:modified|cp:lastPrinted)\b[^>]*>[^<]*</\1>")


_ATTRIBUTE_RE = re.compile(r'=\s*"([^"]*)"')


def _docx_texts(path: Path) -> list[str]:
    """Text of a Word document: every XML part (tags read as markup) and image metadata."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as archive:
            texts = []
            for item in archive.infolist():
                data = archive.read(item)
                texts.append(_name_text(item.filename))
                if item.filename.lower().endswith(".png"):
                    texts.extend(png_text_chunks(data))
                elif item.filename.lower().endswith((".xml", ".rels")):
                    text = data.decode("utf-8", errors="replace")
                    if item.filename == "docProps/core.xml":
                        text = _DOCX_DATES_RE.sub("", text)
                    # the words, runs of a paragraph joined, and the attribute values
                    texts.extend(_markup_texts(re.sub(r"<[^>]+>", _tag_gap, text)))
                    texts.append(html.unescape("\n".join(_ATTRIBUTE_RE.findall(text))))
                else:
                    raise PrivacyError(
                        f"{path}: cannot check {item.filename} inside the Word document"
                    )
    except zipfile.BadZipFile:
        raise PrivacyError(f"{path}: not a valid Word document; cannot check it") from None
    return texts


def _tag_gap(match: re.Match[str]) -> str:
    """Paragraph and cell ends separate words; run boundaries inside a paragraph do not."""
    tag = match.group(0)
    return "\n" if tag.startswith(("</w:p>", "</w:tc>", "<w:br", "<w:tab")) else ""


def _file_texts(path: Path) -> list[str]:
    suffix = path.suffix.lower()
    if suffix == ".png":
        return png_text_chunks(path.read_bytes())
    if suffix == ".docx":
        return _docx_texts(path)
    if suffix in {".jpg", ".jpeg", ".gif", ".pdf", ".woff", ".woff2", ".ttf"}:
        raise PrivacyError(
            f"{path}: cannot check {suffix} files for identifiers; reports write PNG and SVG"
        )
    text = path.read_text(encoding="utf-8", errors="replace")
    if suffix in {".ipynb", ".json"}:
        try:
            doc = json.loads(text)
        except ValueError:
            raise PrivacyError(f"{path}: not valid JSON; cannot check it") from None
        return _notebook_texts(doc, str(path)) if suffix == ".ipynb" else _json_strings(doc)
    if suffix in {".html", ".htm"}:
        # the exporter's style sheets (icons drawn as SVG paths) hold no data
        text = _STYLE_RE.sub("<style></style>", text)
    if suffix in {".html", ".htm", ".svg", ".xml"}:
        return _markup_texts(text)
    stripped, extra = _strip_data_uris(text)
    return [stripped, *extra]


def check_outputs(
    root: str | Path,
    *,
    identifiers: Iterable[str] = (),
    allowed: Iterable[str] = (),
    raise_on_finding: bool = True,
) -> list[PrivacyFinding]:
    """Scan every file under ``root`` for patient identifiers and full dates.

    Parameters
    ----------
    root : path
        A rendered report folder (or one file).
    identifiers : iterable of str
        Identifier values to look for (see :func:`cohort_identifiers`): as whole tokens
        anywhere, or, for ids that read like counts or words (``17``, ``AB``), only in an
        identifier context (``patient 17``, ``ID 17``, ``#17``, a column named like an id,
        a column listing consecutive ids); see :func:`identifier_search`.
    allowed : iterable of str
        Exact strings that are not disclosures (the render timestamp); they are blanked
        out before the scan.
    raise_on_finding : bool, default=True
        Raise :class:`PrivacyError` listing every finding (otherwise return them).

    Returns
    -------
    ScanResult
        The findings (a list, empty when the outputs are clean), with ``notes`` on how
        identifiers were searched.

    Notes
    -----
    File names are searched too (``_`` and ``/`` read as spaces), and identifiers are
    matched in any case.  Text files (HTML, CSV, JSON, SVG, Markdown) are searched whole;
    images embedded as ``data:`` URIs are decoded and their metadata searched instead of
    their base64 text; ``<style>`` blocks of HTML files (the exporter's style sheets) are
    left out; HTML and SVG character references (``&quot;``) are undone and JSON files
    read as documents, so escaped values are found as written.  Executed notebooks are
    searched part by part: notebook and cell metadata, sources, attachments, text
    outputs, tracebacks, output data and metadata, PNG metadata.  PNG files are searched
    by their tEXt/zTXt/iTXt chunks (pixels are not read).  Formats whose metadata is not
    read (JPEG, GIF, PDF) are refused, as are unreadable compressed PNG chunks and
    invalid JSON.  Dates count when day, month and year are all present, in any layout
    of :data:`DATE_LAYOUTS` (ISO ``2021-03-14``, ``20210314``, ``2021.03.14``,
    ``14/03/2021``, ``14.03.21``, ``03/14/21``, ``14-Mar-2021``, ``14th March 2021``,
    ``March 14, 2021``, ``Mar-14-2021``, ``2021-W10-7`` ...).  Year-month values
    (``2021-03``), versions and numbers that are no valid date are not flagged, nor
    numeric dates inside a URL path (preceded by ``/``, as in the RDF namespace
    ``http://www.w3.org/1999/02/22-rdf-syntax-ns`` of every SVG file).  Tables are read
    from CSV files, HTML markup and Markdown pipe tables for the context of ids; a
    DataFrame printed as plain text is searched as text only.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from netstats.report import check_outputs
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "km.csv").write_text("group,median\\nG1,31.2\\n")
    >>> check_outputs(folder, identifiers=["P000001"])
    []
    >>> _ = (folder / "notes.txt").write_text("P000001 progressed")
    >>> findings = check_outputs(folder, identifiers=["P000001"], raise_on_finding=False)
    >>> [(f.file, f.kind) for f in findings]
    [('notes.txt', 'identifier')]
    """
    root = Path(root)
    files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
    search = identifier_search(identifiers)
    allowed = list(allowed)
    findings = ScanResult(search=search)
    for path in files:
        rel = path.relative_to(root).as_posix() if root.is_dir() else path.name
        for text in [_name_text(rel), *_file_texts(path)]:
            findings.extend(check_text(text, file=rel, identifiers=search, allowed=allowed))
    if findings and raise_on_finding:
        shown = "\n".join(f"  - {f}" for f in findings[:20])
        more = f"\n  ... and {len(findings) - 20} more" if len(findings) > 20 else ""
        notes = "".join(f"\n  note: {n}" for n in findings.notes)
        raise PrivacyError(
            f"{len(findings)} possible disclosure(s) in the rendered outputs:\n{shown}{more}"
            f"{notes}",
            findings,
        )
    return findings

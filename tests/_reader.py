"""Read rendered reports as their reader would: the text of every HTML page and Word file.

:func:`report_findings` lists every ``<NA>``, ``nan``, traceback, kernel path, formula term,
result repr, warning class or schema column name in the text a reader sees (no-code pages,
index, disclosure page, Word files). ``scripts/reader_check.py REPORT_DIR ...`` prints them.
"""

from __future__ import annotations

import html
import re
import zipfile
from html.parser import HTMLParser
from pathlib import Path

from netstats import schema

__all__ = ["docx_text", "findings", "html_text", "report_findings"]

_SKIP = {"script", "style", "head", "title"}


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self._skip += 1
        elif tag in ("td", "th", "p", "li", "div", "br", "tr", "h1", "h2", "h3", "h4"):
            self.parts.append("\n")
        for name, value in attrs:
            if name in ("alt", "title") and value:
                self.parts.append(f" {value} ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def html_text(path: str | Path) -> str:
    """The text a reader sees on an HTML page (no scripts, styles or markup)."""
    parser = _Text()
    parser.feed(Path(path).read_text(encoding="utf-8"))
    return "".join(parser.parts)


def docx_text(path: str | Path) -> str:
    """The text of a Word file (document body, headers, footers, footnotes)."""
    out: list[str] = []
    with zipfile.ZipFile(path) as z:
        for name in sorted(z.namelist()):
            if name.startswith("word/") and name.endswith(".xml"):
                xml = z.read(name).decode("utf-8")
                xml = re.sub(r"</w:p>|</w:tc>", "\n", xml)
                out.append(html.unescape(re.sub(r"<[^>]+>", "", xml)))
    return "\n".join(out)


def _column_names() -> set[str]:
    names = {c.name for t in schema.TABLES.values() for c in t.columns}
    endpoints = ("os", "os_dx", "pfs", "ttf", "ttnt", "dot", "pfs2")
    names |= {f"{e}_{k}" for e in endpoints for k in ("months", "days", "event", "reason")}
    names |= {
        "who_grade", "n_prior_lines", "prior_regimens", "first_line_class", "line_group",
        "months_since_diagnosis", "age_at_line_start", "sstr_positive", "log2_ki67",
        "log_ki67", "log1p_mitoses", "n_at_risk", "n_events", "n_censored", "ci_lower",
        "ci_upper", "p_value", "conf_level", "conf_type", "n_pairs", "n_converted",
    }  # fmt: skip
    return {n for n in names if "_" in n}


_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("<NA>", re.compile(r"<NA>")),
    ("nan", re.compile(r"(?<![A-Za-z])(?:nan|NaN|None|NaT)(?![A-Za-z])")),
    ("Traceback", re.compile(r"Traceback")),
    ("ipykernel", re.compile(r"ipykernel|/tmp/|\.py:\d+")),
    ("formula term", re.compile(r"\[T\.|C\([a-z_]+\)")),
    ("repr", re.compile(r"<[a-zA-Z_.]+ object at 0x|[A-Z][a-zA-Z]+Result\(")),
    ("warning", re.compile(r"\b[A-Z][a-zA-Z]*Warning\b")),
]


def findings(text: str, where: str) -> list[str]:
    """Problems a reader would see in ``text`` (named by ``where``)."""
    found = []
    for name, pattern in _PATTERNS:
        for m in pattern.finditer(text):
            ctx = text[max(0, m.start() - 40) : m.end() + 40].replace("\n", " ")
            found.append(f"{where}: {name}: ...{ctx}...")
    columns = _column_names()
    for m in re.finditer(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b", text):
        if m.group(0) in columns:
            ctx = text[max(0, m.start() - 40) : m.end() + 40].replace("\n", " ")
            found.append(f"{where}: column name {m.group(0)}: ...{ctx}...")
    return found


def report_findings(folder: str | Path) -> list[str]:
    """Findings over every HTML page and Word file of a rendered report folder."""
    root = Path(folder)
    out: list[str] = []
    for path in sorted(root.rglob("*.html")):
        if path.with_name(f"{path.stem}_nocode.html").exists():
            continue  # the page with code cells; its outputs are those of the no-code page
        out += findings(html_text(path), str(path.relative_to(root)))
    for path in sorted(root.rglob("*.docx")):
        out += findings(docx_text(path), str(path.relative_to(root)))
    return out

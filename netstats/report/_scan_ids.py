"""Patient identifiers in text: searched everywhere, or only where the context names an id.

An identifier such as ``P000123`` or ``001`` cannot be an ordinary number, so it is
searched as a whole token anywhere.  A plain number such as ``17`` (cohorts numbered
``1..120``) or a word-like id such as ``AB`` would match every count and abbreviation; it
is searched only in an identifier context:

* after a word naming an identifier: ``patient 17``, ``patient_id: 17``, ``ID 17``,
  ``subject 17``, ``MRN 17``, ``record 17``, ``participant 17`` or ``#17``;
* in a table column whose header names an identifier (``patient``, ``patient_id``, ``id``,
  ``subject``, ``mrn``, ``record``, ``*_id``);
* in a table column listing at least :data:`MIN_SEQUENCE` consecutive numeric ids
  (``17, 18, 19, 20, 21``): a listing of patients, unless its header names a count, a
  time or an order (``n``, ``line``, ``month`` ...).

Tables are read from CSV files, HTML ``<table>`` markup (notebook outputs, HTML pages) and
Markdown pipe tables; counts in a table of counts are not flagged.
"""

from __future__ import annotations

import csv
import functools
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from html.parser import HTMLParser

__all__ = ["MIN_SEQUENCE", "IdentifierSearch", "identifier_search"]

#: Numeric ids without a leading zero and at most this many digits read like counts.
COUNT_LIKE_DIGITS = 5
#: A column of this many consecutive numeric ids counts as a listing of patients.
MIN_SEQUENCE = 5

_KEYWORD = (
    r"(?<![A-Za-z0-9])(?:patient|pt|subject|mrn|record|participant|id|identifier)"
    r"(?:[ _\-]?(?:id|no|nr|number))?\.?\s*[:=#]?\s*"
)
_CONTEXT_RE = re.compile(
    rf"(?:{_KEYWORD}|(?<![&\w#])#)(?P<token>[A-Za-z0-9][A-Za-z0-9_\-]*)", re.IGNORECASE
)
_ID_HEADERS = {
    "id",
    "ids",
    "patient",
    "pid",
    "subject",
    "mrn",
    "record",
    "participant",
    "identifier",
    "case",
}
_TAG_RE = re.compile(r"<(style|script)[^>]*>.*?</\1>|<[^>]*>", re.DOTALL | re.IGNORECASE)


def _count_like(value: str) -> bool:
    return value.isdigit() and not value.startswith("0") and len(value) <= COUNT_LIKE_DIGITS


def _word_like(value: str) -> bool:
    return value.isalpha() and len(value) <= 2


def id_header(name: str) -> bool:
    """Whether a column header names an identifier (``patient_id``, ``ID``, ``MRN`` ...)."""
    key = re.sub(r"[^a-z0-9]+", "_", name.strip().lower()).strip("_")
    if not key:
        return False
    parts = key.split("_")
    if key in _ID_HEADERS or parts[-1] in {"id", "identifier", "mrn"}:
        return True
    return parts[0] in {"patient", "subject"} and parts[-1] in {"no", "nr", "number"}


@dataclass(frozen=True)
class IdentifierSearch:
    """How the identifiers of a cohort are searched for in the outputs.

    Attributes
    ----------
    tokens : tuple of str
        Identifiers searched anywhere as whole tokens (any case; ids of one or two
        characters in their own case).
    in_context : tuple of str
        Identifiers that read like counts or words (``17``, ``AB``), searched only in an
        identifier context (see the module notes).

    Examples
    --------
    >>> from netstats.report import identifier_search
    >>> search = identifier_search(["P0001", "A7", "17", "120", "001"])
    >>> search.tokens, search.in_context
    (('P0001', '001', 'A7'), ('17', '120'))
    >>> print(search.note)
    2 identifiers (17, 120) read like counts or words: searched only where the text or a table names an identifier (patient 17, ID 17, #17, an id column, a listing of ids)
    """

    tokens: tuple[str, ...]
    in_context: tuple[str, ...]

    @property
    def note(self) -> str:
        """What was searched only in context (empty when every id was searched everywhere)."""
        if not self.in_context:
            return ""
        shown = ", ".join(self.in_context[:5]) + (", ..." if len(self.in_context) > 5 else "")
        n = len(self.in_context)
        return (
            f"{n} identifier{'s' if n != 1 else ''} ({shown}) read like counts or words: "
            "searched only where the text or a table names an identifier (patient 17, "
            "ID 17, #17, an id column, a listing of ids)"
        )

    def find(self, text: str, *, is_csv: bool = False) -> list[tuple[str, int, int, str]]:
        """``(match, start, end, how)`` for every identifier found in ``text``.

        ``start`` and ``end`` are ``-1`` for a match in a table column (``how`` names it);
        ``is_csv`` reads ``text`` as one CSV table.
        """
        hits = []
        pattern = _token_re(self.tokens)
        if pattern is not None:
            hits += [(m.group(0), m.start(), m.end(), "token") for m in pattern.finditer(text)]
        if self.in_context:
            hits += self._in_context(text, is_csv)
        return hits

    def _in_context(self, text: str, is_csv: bool) -> list[tuple[str, int, int, str]]:
        ids = set(self.in_context)
        plain = _TAG_RE.sub(" ", text) if "<" in text else text
        hits = [
            (m.group("token"), m.start("token"), m.end("token"), "context")
            for m in _CONTEXT_RE.finditer(plain)
            if m.group("token") in ids
        ]
        for header, column in csv_columns(text) if is_csv else _columns(text):
            values = [v.strip() for v in column if v.strip()]
            if id_header(header):
                hits += [(v, -1, -1, f"column {header!r}") for v in values if v in ids]
            elif _listing(header, values, ids):
                hits.append((values[0], -1, -1, f"column {header!r} lists ids"))
        return hits


@functools.lru_cache(maxsize=16)
def _token_re(tokens: tuple[str, ...]) -> re.Pattern[str] | None:
    long_ = sorted((i for i in tokens if len(i) > 2), key=lambda s: (-len(s), s))
    short = sorted((i for i in tokens if len(i) <= 2), key=lambda s: (-len(s), s))
    alts = []
    if long_:
        alts.append("(?i:" + "|".join(re.escape(i) for i in long_) + ")")
    if short:
        alts.append("|".join(re.escape(i) for i in short))
    if not alts:
        return None
    # whole tokens only: "001" must not match inside "0.001" or "P0012"; long ids in any
    # case, since file names are lower-cased ("scans_p0042.png")
    return re.compile(rf"(?<![\w.])(?:{'|'.join(alts)})(?![\w]|\.\d)")


#: Header words of columns that count or order things: never read as a listing of ids.
_ORDINAL_HEADERS = {
    "n",
    "count",
    "counts",
    "number",
    "total",
    "events",
    "at",
    "risk",
    "line",
    "lines",
    "year",
    "years",
    "month",
    "months",
    "week",
    "weeks",
    "day",
    "days",
    "time",
    "rank",
    "order",
    "step",
    "k",
    "index",
    "row",
}


def _listing(header: str, values: list[str], ids: set[str]) -> bool:
    words = set(re.findall(r"[a-z]+", header.lower()))  # a header of numbers is no header
    if not words or words & _ORDINAL_HEADERS:
        return False
    if len(values) < MIN_SEQUENCE or not all(v in ids and v.isdigit() for v in values):
        return False
    numbers = [int(v) for v in values]
    return all(b - a == 1 for a, b in zip(numbers, numbers[1:], strict=False))


def identifier_search(identifiers: Iterable[str]) -> IdentifierSearch:
    """Split identifiers into those searched everywhere and those searched in context.

    Numeric ids without a leading zero of up to :data:`COUNT_LIKE_DIGITS` digits and
    alphabetic ids of one or two letters are searched only in context; every other id
    (``P000123``, ``001``, ``A7``) everywhere, as a whole token.

    Examples
    --------
    >>> from netstats.report import identifier_search
    >>> search = identifier_search(["P000123", "17", "3"])
    >>> search.tokens, search.in_context
    (('P000123',), ('3', '17'))
    >>> [hit[0] for hit in search.find("3 of 17 progressed; patient 17 died")]
    ['17']
    """
    ids = sorted({str(i).strip() for i in identifiers if str(i).strip()})
    context = tuple(sorted((i for i in ids if _count_like(i) or _word_like(i)), key=_natural))
    tokens = tuple(i for i in sorted(ids, key=lambda s: (-len(s), s)) if i not in set(context))
    return IdentifierSearch(tokens=tokens, in_context=context)


def _natural(value: str) -> tuple[int, int | str]:
    return (0, int(value)) if value.isdigit() else (1, value)


# --------------------------------------------------------------------------------------
# tables in text: HTML, Markdown pipe tables, CSV
# --------------------------------------------------------------------------------------
class _Tables(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[tuple[list[list[str]], list[list[str]]]] = []
        self._head = False
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self._span = 1

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag == "table":
            self.tables.append(([], []))
        elif tag == "thead":
            self._head = True
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []
            span = dict(attrs).get("colspan")
            self._span = int(span) if span and str(span).isdigit() else 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "thead":
            self._head = False
        elif tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.extend(["".join(self._cell).strip()] * max(1, self._span))
            self._cell = None
        elif tag == "tr" and self._row is not None and self.tables:
            head, body = self.tables[-1]
            (head if self._head else body).append(self._row)
            self._row = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def _frame_columns(head: list[list[str]], body: list[list[str]]) -> list[tuple[str, list[str]]]:
    if not head and body:
        head, body = body[:1], body[1:]
    width = max((len(r) for r in head + body), default=0)
    names = [" ".join(r[i] for r in head if i < len(r) and r[i]).strip() for i in range(width)]
    return [(names[i], [r[i] for r in body if i < len(r)]) for i in range(width)]


def _columns(text: str) -> list[tuple[str, list[str]]]:
    """``(header, cells)`` of every table column found in ``text``."""
    columns: list[tuple[str, list[str]]] = []
    if "<table" in text.lower():
        parser = _Tables()
        parser.feed(text)
        parser.close()
        for head, body in parser.tables:
            columns += _frame_columns(head, body)
    lines = [ln.strip() for ln in text.splitlines()]
    block: list[list[str]] = []
    for line in [*lines, ""]:
        if line.startswith("|") and line.endswith("|") and len(line) > 1:
            cells = [c.strip() for c in line[1:-1].split("|")]
            if not all(re.fullmatch(r":?-{2,}:?", c) for c in cells if c):
                block.append(cells)
        elif block:
            columns += _frame_columns(block[:1], block[1:])
            block = []
    return columns


def csv_columns(text: str) -> list[tuple[str, list[str]]]:
    """``(header, cells)`` of the columns of a CSV text (empty when it is not one)."""
    try:
        rows = list(csv.reader(io.StringIO(text)))
    except csv.Error:
        return []
    return _frame_columns(rows[:1], rows[1:]) if len(rows) > 1 else []

"""Full calendar dates (day, month and year) in text, in the layouts records and exports use.

Numeric layouts are read with their separators and field widths, so that ordinary numbers
are not taken for dates: a run of eight digits counts only when it is a valid
``YYYYMMDD`` date between 1900 and 2100 that does not follow the word ``seed``
(``seed = 20261122``), two-digit years only in ``DD.MM.YY``-like layouts
with two-digit fields, and dotted year-first dates only with two-digit month and day (a
version ``2025.9.1`` is not a date).
"""

from __future__ import annotations

import datetime as dt
import re

__all__ = ["DATE_LAYOUTS", "find_dates"]

_MONTHS = (
    "jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    "sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?"
)
_MON = rf"(?:{_MONTHS})\.?"
_Y = r"(?:19|20)\d\d"
_M = r"(?:0?[1-9]|1[0-2])"
_D = r"(?:0?[1-9]|[12]\d|3[01])"
_M2 = r"(?:0[1-9]|1[0-2])"
_D2 = r"(?:0[1-9]|[12]\d|3[01])"
_ORD = r"(?:st|nd|rd|th)?"
# a number does not continue into the match: no digit (or decimal point, or path slash)
# right before it, no digit or decimal part right after it
_PRE = r"(?<![\d./])"
_POST = r"(?![\d]|[.,]\d)"

#: The layouts searched, by name, with an example of each.
DATE_LAYOUTS: dict[str, tuple[str, str]] = {
    "iso": (rf"{_PRE}{_Y}[-/]{_M}[-/]{_D}(?!\d)", "2021-04-12, 2021/4/12, 2021-04-12T10:00"),
    "iso_week": (rf"{_PRE}{_Y}-?W(?:0[1-9]|[1-4]\d|5[0-3])-?[1-7]{_POST}", "2021-W15-1"),
    "year_dotted": (
        rf"(?<![\w.]){_Y}\.{_M2}\.{_D2}{_POST}",
        "2021.04.12 (not v2021.04.12, a version)",
    ),
    "compact": (rf"(?<![\d.]){_Y}{_M2}{_D2}{_POST}", "20210412, visit_20210412"),
    "day_first": (rf"{_PRE}{_D}[-/.]{_D}[-/.]{_Y}(?![\d]|\.\d)", "12/04/2021, 12.04.2021"),
    "short_year": (rf"{_PRE}{_D2}(?P<sep>[-/.]){_D2}(?P=sep)\d\d(?![.,]?\d)", "12.04.21, 04/12/21"),
    "short_year_slash": (rf"{_PRE}{_D}/{_D}/\d\d(?![\d/]|[.,]\d)", "4/12/21"),
    "day_month_name": (
        rf"(?<![\d.]){_D}{_ORD}(?:\s+of)?[\s\-/.]*{_MON}[\s\-/.,]*(?:{_Y}|'?\d\d)(?!\d)",
        "12 Apr 2021, 12th April 2021, 12-Apr-21, 12APR2021",
    ),
    "month_name_day": (
        rf"(?<![A-Za-z]){_MON}[\s\-/.]*{_D}{_ORD}(?:,\s*|[\s\-/.]+)(?:{_Y}|'\d\d)(?!\d)",
        "April 12, 2021, Apr-12-2021, Dec 1st 2020",
    ),
}
_DATE_RE = re.compile(
    "|".join(f"(?P<{name}>{pattern})" for name, (pattern, _) in DATE_LAYOUTS.items()),
    re.IGNORECASE,
)


# "seed = 20261122", "seed seed,20261122", "<td>seed</td><td>20261122": a random seed, not
# a date (markup and punctuation between the word and the number are skipped)
_SEED_BEFORE_RE = re.compile(r"(?:seed|random_state)(?:[\W_]|<[^>]*>)*$", re.IGNORECASE)


def _seed(text: str, start: int) -> bool:
    return bool(_SEED_BEFORE_RE.search(text[max(0, start - 200) : start]))


def _valid_compact(text: str) -> bool:
    try:
        day = dt.date(int(text[:4]), int(text[4:6]), int(text[6:8]))
    except ValueError:
        return False
    return 1900 <= day.year <= 2100


def _compact_ok(m: re.Match[str]) -> bool:
    return _valid_compact(m.group(0)) and not _seed(m.string, m.start())


def find_dates(text: str) -> list[str]:
    """Full calendar dates in ``text`` (day, month and year), in the common layouts.

    See :data:`DATE_LAYOUTS`.  Year-month values (``2021-04``), versions (``3.5.3``,
    ``2025.9.1``), p-values, intervals (``20.7 (17.8-23.7)``) and numeric dates inside a
    URL path (``http://www.w3.org/1999/02/22-rdf-syntax-ns``) are not dates.

    Examples
    --------
    >>> find_dates("seen 2021-03-14, then 14/03/2021 and 14 March 2021; v2025.9.1; p=0.05")
    ['2021-03-14', '14/03/2021', '14 March 2021']
    >>> find_dates("scan_20210412.png on 12.04.21; seed 20261122; week 2021-W15-1")
    ['20210412', '12.04.21', '2021-W15-1']
    """
    return [text[a:b] for a, b in date_spans(text)]


def date_spans(text: str) -> list[tuple[int, int]]:
    """Start and end of every date :func:`find_dates` finds."""
    spans = []
    for m in _DATE_RE.finditer(text):
        if m.lastgroup == "compact" and not _compact_ok(m):
            continue
        spans.append(m.span())
    return spans

"""How result objects show themselves: one title, one method line, one table.

Every frozen result class of netstats inherits :class:`ResultDisplay` and supplies two
things: :attr:`~ResultDisplay.method`, a one-line description of what was computed and how
(estimator, ties, variance, CI transform, sample sizes), and :meth:`~ResultDisplay.to_frame`,
its tidy table.  The mixin turns them into a plain-text ``repr`` for the terminal and an HTML
view for Jupyter.  Numbers are formatted for display only; the stored values are never
rounded.

Result classes are dataclasses declared with ``repr=False`` so that the dataclass machinery
does not replace the shared ``__repr__``.
"""

from __future__ import annotations

import html
import math
from abc import ABC, abstractmethod
from typing import ClassVar

import numpy as np
import pandas as pd

__all__ = ["ResultDisplay", "format_display_number", "plural"]

#: Rows shown before a displayed table is cut in the middle.
MAX_ROWS = 20
#: Width of the plain-text table (characters), and of one cell.
LINE_WIDTH = 100
MAX_COLWIDTH = 50
#: A one-row table wider than this many columns is shown vertically (name, value).
MAX_WIDE_COLUMNS = 6


def format_display_number(x: float) -> str:
    """Format one float for display: 4 significant digits, whole numbers above 10 000.

    Parameters
    ----------
    x : float
        The value.

    Returns
    -------
    str
        ``"NaN"``/``"inf"`` for non-finite values.

    Examples
    --------
    >>> [format_display_number(v) for v in (0.123456, 1234.5, 123456.7, 3.2e-7, float("nan"))]
    ['0.1235', '1234', '123457', '3.2e-07', 'NaN']
    """
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    if 1e4 <= abs(x) < 1e15:
        return f"{x:.0f}"
    return f"{x:.4g}"


def _show_index(frame: pd.DataFrame) -> bool:
    """Show the index only when it carries labels (not a default 0..n-1 range)."""
    index = frame.index
    if isinstance(index, pd.RangeIndex) and index.start == 0 and index.step == 1:
        return index.name is not None
    return True


def _cell(value: object) -> str:
    if isinstance(value, float | np.floating):
        return format_display_number(float(value))
    return "NaN" if value is None or value is pd.NA else str(value)


def _vertical(frame: pd.DataFrame) -> pd.DataFrame:
    """A wide one-row table as one ``value`` column indexed by the column names."""
    if len(frame) != 1 or len(frame.columns) <= MAX_WIDE_COLUMNS or _show_index(frame):
        return frame
    row = frame.iloc[0]
    return pd.DataFrame({"value": [_cell(v) for v in row]}, index=[str(c) for c in frame.columns])


class ResultDisplay(ABC):
    """Shared ``__repr__`` and ``_repr_html_`` for netstats result objects.

    Subclasses define :attr:`method` and :meth:`to_frame`; they may override
    :meth:`_display_frame` when the table worth showing is not the full tidy table (a
    Kaplan-Meier curve shows its medians), and :attr:`_display_title`.

    Examples
    --------
    >>> import pandas as pd
    >>> from dataclasses import dataclass
    >>> @dataclass(frozen=True, repr=False)
    ... class Toy(ResultDisplay):
    ...     value: float
    ...     @property
    ...     def method(self) -> str:
    ...         return "toy estimator, n = 3"
    ...     def to_frame(self) -> pd.DataFrame:
    ...         return pd.DataFrame({"group": ["<65"], "estimate": [self.value]})
    >>> Toy(2 / 3)
    Toy
    toy estimator, n = 3
    group  estimate
      <65    0.6667
    >>> "&lt;65" in Toy(2 / 3)._repr_html_()
    True
    """

    __slots__ = ()

    #: Heading of the display; the class name when None.
    _display_title: ClassVar[str | None] = None
    #: Rows shown before the displayed table is cut in the middle.
    _display_max_rows: ClassVar[int] = MAX_ROWS

    @property
    @abstractmethod
    def method(self) -> str:
        """One line saying what was computed and how, with the sample sizes."""

    @abstractmethod
    def to_frame(self) -> pd.DataFrame:
        """The result as a tidy DataFrame."""

    def _display_frame(self) -> pd.DataFrame:
        """The table shown by ``repr`` and in notebooks (default: :meth:`to_frame`)."""
        return self.to_frame()

    def _title(self) -> str:
        return self._display_title or type(self).__name__

    def __repr__(self) -> str:
        frame = _vertical(self._display_frame())
        lines = [self._title(), self.method]
        if len(frame.columns):
            lines.append(
                frame.to_string(
                    index=_show_index(frame),
                    max_rows=self._display_max_rows,
                    min_rows=min(self._display_max_rows, MAX_ROWS) // 2,
                    max_colwidth=MAX_COLWIDTH,
                    line_width=LINE_WIDTH,
                    float_format=format_display_number,
                    na_rep="NaN",
                    show_dimensions=len(frame) > self._display_max_rows,
                )
            )
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        frame = _vertical(self._display_frame())
        table = ""
        if len(frame.columns):
            table = frame.to_html(
                index=_show_index(frame),
                max_rows=self._display_max_rows,
                float_format=format_display_number,
                na_rep="NaN",
                escape=True,
                border=0,
                classes=["netstats-table"],
                show_dimensions=len(frame) > self._display_max_rows,
            )
        return (
            '<div class="netstats-result">'
            f'<p style="margin:0 0 0.4em 0"><strong>{html.escape(self._title())}</strong><br>'
            f"<span>{html.escape(self.method)}</span></p>"
            f"{table}</div>"
        )


def plural(n: int | np.integer, noun: str) -> str:
    """``"1 event"``, ``"12 events"``: a count with its noun, for method lines."""
    k = int(n)
    return f"{k} {noun}" if k == 1 else f"{k} {noun}s"

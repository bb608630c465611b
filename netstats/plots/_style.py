"""The one palette and legend placement every netstats figure uses.

Colours are the Okabe-Ito qualitative palette (Okabe & Ito 2008, "Color Universal Design"),
distinguishable under the common colour-vision deficiencies. Eight colours, none repeated;
beyond eight, the colours come round again with another line style and marker, so no two
series share colour *and* style.

References
----------
Okabe M, Ito K (2008). Color Universal Design (CUD): how to make figures and presentations
that are friendly to colorblind people. https://jfly.uni-koeln.de/color/
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.legend import Legend

__all__ = [
    "GREY",
    "LINESTYLES",
    "MARKERS",
    "OKABE_ITO",
    "SeriesStyle",
    "legend_outside",
    "palette",
    "series_style",
]

OKABE_ITO: tuple[str, ...] = (
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#D55E00",  # vermillion
    "#CC79A7",  # reddish purple
    "#56B4E9",  # sky blue
    "#000000",  # black
    "#F0E442",  # yellow (last: weakest on white)
)
"""The eight Okabe-Ito colours, in the order series take them."""

GREY = "#7F7F7F"
"""Colour of reference lines and of a pooled "Other" series."""

LINESTYLES: tuple[Any, ...] = ("-", "--", ":", "-.")
MARKERS: tuple[str, ...] = ("o", "s", "^", "D")


@dataclass(frozen=True)
class SeriesStyle:
    """Colour, line style and marker of the ``index``-th series of a figure."""

    color: str
    linestyle: Any
    marker: str

    def line_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``Axes.plot`` / ``Axes.step`` (no marker)."""
        return {"color": self.color, "linestyle": self.linestyle}


def series_style(index: int) -> SeriesStyle:
    """The style of series ``index`` (0-based): unique for the first 32 series.

    Examples
    --------
    >>> series_style(0).color, series_style(8).color, series_style(8).linestyle
    ('#0072B2', '#0072B2', '--')
    """
    if index < 0:
        raise ValueError(f"index must be >= 0, got {index}")
    n = len(OKABE_ITO)
    turn = index // n
    return SeriesStyle(
        color=OKABE_ITO[index % n],
        linestyle=LINESTYLES[turn % len(LINESTYLES)],
        marker=MARKERS[turn % len(MARKERS)],
    )


def palette(keys: Sequence[Any]) -> dict[Any, SeriesStyle]:
    """One :class:`SeriesStyle` per key, in order.

    Examples
    --------
    >>> sorted({s.color for s in palette(range(8)).values()}) == sorted(OKABE_ITO)
    True
    """
    return {k: series_style(i) for i, k in enumerate(keys)}


def legend_outside(
    ax: Axes, *, where: str = "right", title: str | None = None, **kwargs: Any
) -> Legend | None:
    """A legend beside the axes (``"right"``) or below it (``"below"``), never over the data.

    Returns None when the axes has no labelled artists.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> fig, ax = plt.subplots()
    >>> _ = ax.plot([0, 1], [0, 1], label="a")
    >>> legend_outside(ax).get_bbox_to_anchor() is not None
    True
    >>> plt.close(fig)
    """
    handles, labels_ = ax.get_legend_handles_labels()
    if not handles:
        return None
    options: dict[str, Any] = {"frameon": False, "title": title, "fontsize": "small"}
    if where == "right":
        options.update(loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0)
    elif where == "below":
        options.update(
            loc="upper center",
            bbox_to_anchor=(0.5, -0.14),
            borderaxespad=0.0,
            ncol=min(3, len(handles)),
        )
    else:
        raise ValueError(f"where must be 'right' or 'below', got {where!r}")
    options.update(kwargs)
    leg = ax.legend(handles, labels_, **options)
    if title:
        leg.get_title().set_fontsize("small")
    return leg

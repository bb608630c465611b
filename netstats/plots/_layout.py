"""A layout check of a finished figure: legends on data, overlapping text, empty panels.

Everything is compared in display space after the figure has been laid out, so the check
sees what a reader sees in the saved image.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.transforms import Bbox

__all__ = ["check_layout"]

_TOLERANCE_PX = 1.0


def _name(ax: Axes, i: int) -> str:
    title = ax.get_title() or ax.get_title(loc="left") or ax.get_ylabel()
    return f"axes {i}" + (f" ({title!r})" if title else "")


def _line_paths(ax: Axes) -> list[Any]:
    """Display-space paths of the drawn lines (steps expanded), non-finite points dropped."""
    from matplotlib.cbook import STEP_LOOKUP_MAP
    from matplotlib.path import Path

    out = []
    for line in ax.get_lines():
        if not line.get_visible():
            continue
        xy = np.column_stack(
            [np.asarray(line.get_xdata(), float), np.asarray(line.get_ydata(), float)]
        )
        if xy.size == 0:
            continue
        disp = line.get_transform().transform(xy)
        disp = disp[np.all(np.isfinite(disp), axis=1)]
        if len(disp) == 0:
            continue
        style = line.get_drawstyle()
        if style in STEP_LOOKUP_MAP and style != "default" and len(disp) > 1:
            sx, sy = STEP_LOOKUP_MAP[style](disp[:, 0], disp[:, 1])
            disp = np.column_stack([sx, sy])
        if line.get_linestyle() in ("None", "none", "", " "):
            out.extend(("points", p) for p in disp)
        elif len(disp) == 1:
            out.append(("points", disp[0]))
        else:
            out.append(("line", Path(disp)))
    return out


def _collection_paths(ax: Axes) -> list[Any]:
    out = []
    for coll in ax.collections:
        if not coll.get_visible():
            continue
        offsets = np.asarray(coll.get_offsets(), float)
        paths = coll.get_paths()
        if len(offsets) and len(paths) and len(paths[0].vertices) and len(offsets) > 1:
            disp = coll.get_offset_transform().transform(offsets)
            out.extend(("points", p) for p in disp[np.all(np.isfinite(disp), axis=1)])
            continue
        transform = coll.get_transform()
        for path in paths:
            if len(path.vertices):
                out.append(("area", path.transformed(transform)))
    for patch in ax.patches:
        if patch.get_visible():
            out.append(("box", patch.get_window_extent()))
    for image in ax.images:
        if image.get_visible():
            out.append(("box", image.get_window_extent()))
    return out


def _hits(kind: str, obj: Any, box: Bbox) -> bool:
    if kind == "points":
        x, y = obj
        return bool(box.x0 < x < box.x1 and box.y0 < y < box.y1)
    if kind == "line":
        return bool(obj.intersects_bbox(box, filled=False))
    if kind == "area":
        return bool(obj.intersects_bbox(box, filled=True))
    return bool(box.overlaps(obj))


def _shrunk(box: Bbox, px: float = _TOLERANCE_PX) -> Bbox:
    from matplotlib.transforms import Bbox

    return Bbox.from_extents(box.x0 + px, box.y0 + px, box.x1 - px, box.y1 - px)


def _has_data(ax: Axes) -> bool:
    for line in ax.get_lines():
        y = np.asarray(line.get_ydata(), float)
        if line.get_visible() and y.size and np.isfinite(y).any():
            return True
    return bool(
        [c for c in ax.collections if c.get_visible()]
        or [p for p in ax.patches if p.get_visible()]
        or ax.images
        or [t for t in ax.texts if t.get_visible() and t.get_text().strip()]
        or [a for a in ax.child_axes if _has_data(a)]
    )


def _texts(fig: Figure, renderer: Any) -> list[tuple[str, Bbox]]:
    from matplotlib.text import Text

    fig_box = fig.bbox
    out = []
    seen = set()
    for t in fig.findobj(Text):
        if id(t) in seen or not t.get_visible() or not t.get_text().strip():
            continue
        seen.add(id(t))
        ax = t.axes
        if ax is not None and not ax.get_visible():
            continue
        box = t.get_window_extent(renderer)
        if box.width <= 0 or box.height <= 0 or not box.overlaps(fig_box):
            continue
        out.append((t.get_text(), box))
    return out


def check_layout(fig: Figure | Axes) -> list[str]:
    """Problems a reader would see in a figure; an empty list when there are none.

    Reports a legend drawn over the data of any axes (lines, steps, bands, markers, bars
    or images, compared in display space within the axes' clip box), two pieces of text
    that overlap (tick labels, titles, legend entries, annotations, risk-table cells), and
    visible axes with nothing drawn in them.

    Parameters
    ----------
    fig : matplotlib Figure or Axes
        The figure (or any of its axes). It is laid out (drawn without rendering) first.

    Returns
    -------
    list of str
        One readable message per problem.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> fig, ax = plt.subplots()
    >>> _ = ax.plot([0, 1], [0, 1], label="data")
    >>> _ = ax.legend(loc="center")
    >>> check_layout(fig)
    ['axes 0: legend overlaps drawn data']
    >>> plt.close(fig)
    """
    figure = fig.get_figure() if hasattr(fig, "get_figure") and fig.get_figure() else fig
    figure.draw_without_rendering()
    renderer = figure.canvas.get_renderer()
    problems: list[str] = []
    axes = [a for a in figure.axes if a.get_visible()]
    legends = [(i, ax, ax.get_legend()) for i, ax in enumerate(axes) if ax.get_legend()]
    legends += [(None, None, leg) for leg in figure.legends]
    for i, owner, leg in legends:
        if not leg.get_visible():
            continue
        lbox = _shrunk(leg.get_window_extent(renderer))
        for ax in axes:
            clip = ax.bbox
            inter_x0, inter_x1 = max(lbox.x0, clip.x0), min(lbox.x1, clip.x1)
            inter_y0, inter_y1 = max(lbox.y0, clip.y0), min(lbox.y1, clip.y1)
            if inter_x0 >= inter_x1 or inter_y0 >= inter_y1:
                continue
            from matplotlib.transforms import Bbox

            box = Bbox.from_extents(inter_x0, inter_y0, inter_x1, inter_y1)
            artists = _line_paths(ax) + _collection_paths(ax)
            if any(_hits(kind, obj, box) for kind, obj in artists):
                where = "figure" if owner is None else _name(owner, i)
                problems.append(f"{where}: legend overlaps drawn data")
                break
    texts = _texts(figure, renderer)
    for a in range(len(texts)):
        ta, ba = texts[a]
        for b in range(a + 1, len(texts)):
            tb, bb = texts[b]
            if _shrunk(ba, 2 * _TOLERANCE_PX).overlaps(_shrunk(bb, 2 * _TOLERANCE_PX)):
                problems.append(f"text {ta!r} overlaps text {tb!r}")
    for i, ax in enumerate(axes):
        if ax.axison and not _has_data(ax):
            problems.append(f"{_name(ax, i)}: empty axes (nothing drawn)")
    return problems

"""Per-patient timelines and trajectories for case series, drawn from tidy tables.

:func:`patient_timeline` draws the table of :func:`netstats.endpoints.course_events` (one
panel per patient: therapy lines, imaging and pathology in lanes, progressions and the end
of follow-up); :func:`trajectory` draws any measurement over time, one line per patient
(SSTR uptake, Ki-67 with the WHO grade bands).  Nothing is computed here beyond layout:
labels that would overlap are moved up a level, measured with matplotlib's renderer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from netstats.exceptions import SchemaError
from netstats.plots._swimmer import DRUG_CLASS_COLORS
from netstats.vocab import SSTR_TRACERS

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.text import Text

__all__ = ["GROUP_COLORS", "patient_timeline", "trajectory"]

#: Colours of patients (or other groups) in :func:`trajectory`: Paul Tol's colour-blind-safe
#: "muted" scheme, nine colours without repeats.
GROUP_COLORS: tuple[str, ...] = (
    "#332288",
    "#117733",
    "#CC6677",
    "#88CCEE",
    "#999933",
    "#AA4499",
    "#44AA99",
    "#882255",
    "#DDCC77",
)
_TRACER_MARKERS = ("o", "s", "D", "^", "v", "P", "X", "h", "*")
_LANES = ("Pathology", "Imaging", "Therapy")  # bottom to top
_LANE_Y = {"specimen": 0.0, "scan": 1.0, "line": 2.0}
_BAR_HEIGHT = 0.32
_LEVEL_POINTS = 10.0
_MAX_LEVELS = 6
_REQUIRED = ["patient_id", "event", "months", "end_months", "label"]


def _check_events(events: object) -> pd.DataFrame:
    if not isinstance(events, pd.DataFrame):
        raise TypeError(
            "patient_timeline needs the DataFrame from netstats.endpoints.course_events, "
            f"got {type(events).__name__}"
        )
    missing = [c for c in _REQUIRED if c not in events.columns]
    if missing:
        raise SchemaError(
            f"patient_timeline: column(s) {missing} missing; pass the table returned by "
            "netstats.endpoints.course_events"
        )
    if events.empty:
        raise ValueError("patient_timeline: the events table has no rows")
    return events


def _overlaps(box: Any, placed: list[Any], obstacles: Sequence[Any] = ()) -> bool:
    """Whether ``box`` comes near a placed label or covers a marker."""
    padded = box.padded(6.0)  # a few pixels of white space between labels
    return any(padded.overlaps(o) for o in placed) or any(box.overlaps(o) for o in obstacles)


def _ink(color: str) -> str:
    """Black or white, whichever reads better on ``color`` (WCAG relative luminance)."""
    from matplotlib.colors import to_rgb

    lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in to_rgb(color)]
    luminance = 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]
    return "black" if luminance > 0.18 else "white"


def _place_in_bar(
    ax: Axes, bar: tuple[float, float, str], text: str, placed: list[Any]
) -> Text | None:
    """Write ``text`` inside a therapy bar when it fits with a margin; ``None`` otherwise."""
    renderer = ax.figure.canvas.get_renderer()
    start, stop, color = bar
    label = ax.text(
        (start + stop) / 2,
        2.0,
        text,
        ha="center",
        va="center",
        fontsize=7.5,
        color=_ink(color),
        zorder=6,
    )
    box = label.get_window_extent(renderer)
    left, right = (ax.transData.transform((x, 2.0))[0] for x in (start, stop))
    if box.width + 8 <= right - left and not _overlaps(box, placed):
        placed.append(box)
        return label
    label.remove()
    return None


def _marker_boxes(ax: Axes) -> list[Any]:
    """Display-space boxes of every marker drawn on ``ax`` (labels must not cover them)."""
    from matplotlib.transforms import Bbox

    boxes = []
    scale = ax.figure.dpi / 72.0
    for line in ax.get_lines():
        if line.get_marker() in (None, "None", "none", ""):
            continue
        half = line.get_markersize() * scale / 2
        xy = np.column_stack([line.get_xdata(), line.get_ydata()]).astype("float64")
        for px, py in ax.transData.transform(xy):
            boxes.append(Bbox([[px - half, py - half], [px + half, py + half]]))
    return boxes


def _place(
    ax: Axes,
    x: float,
    y: float,
    text: str,
    placed: list[Any],
    obstacles: Sequence[Any] = (),
    below: bool | float = False,
    bar: tuple[float, float, str] | None = None,
    **kw: Any,
) -> Text:
    """Draw ``text`` above (x, y), one level higher while it overlaps a placed label.

    With ``below``, positions under the point are tried too (above, below, above one
    level higher, ...); a number for ``below`` is the y under which they start.
    """
    if bar is not None and (inside := _place_in_bar(ax, bar, text, placed)) is not None:
        return inside
    renderer = ax.figure.canvas.get_renderer()
    lo, hi = ax.get_xlim()
    frac = (x - lo) / (hi - lo) if hi > lo else 0.5
    ha = "left" if frac < 0.12 else "right" if frac > 0.88 else "center"
    y_below = y if below is True else float(below)
    offsets = [6 + level * _LEVEL_POINTS for level in range(_MAX_LEVELS)]
    if below is not False:
        offsets = [o for level in range(3) for o in (offsets[level], -8 - level * _LEVEL_POINTS)]
    label = None
    for offset in offsets:
        if label is not None:
            label.remove()
        label = ax.annotate(
            text,
            (x, y if offset > 0 else y_below),
            xytext=(0, offset),
            textcoords="offset points",
            ha=ha,
            va="bottom" if offset > 0 else "top",
            fontsize=7.5,
            annotation_clip=False,
            **kw,
        )
        box = label.get_window_extent(renderer)
        if not _overlaps(box, placed, obstacles):
            break
    assert label is not None
    placed.append(label.get_window_extent(renderer))
    return label


def _tracer_markers(tracers: Sequence[str]) -> dict[str, str]:
    """One marker per tracer, the same in every figure for the tracers of the vocabulary."""
    fixed = dict(zip((*SSTR_TRACERS, "18F-FDG"), ("D", "^", "s", "v", "P", "o"), strict=True))
    spare = [m for m in _TRACER_MARKERS if m not in fixed.values()]
    others = [t for t in tracers if t not in fixed]
    return {
        **{t: fixed[t] for t in tracers if t in fixed},
        **{t: spare[i % len(spare)] for i, t in enumerate(others)},
    }


def _tracer_short(tracer: str) -> str:
    """``68Ga-DOTATATE`` -> ``DOTATATE``, ``18F-FDG`` -> ``FDG``."""
    head, _, tail = tracer.partition("-")
    return tail if tail and head[:1].isdigit() else tracer


def _scan_text(row: pd.Series) -> str:
    parts = []
    if "krenning_score" in row and not pd.isna(row["krenning_score"]):
        parts.append(f"Krenning {int(row['krenning_score'])}")
    if "suvmax_lesion" in row and not pd.isna(row["suvmax_lesion"]):
        parts.append(f"SUVmax {float(row['suvmax_lesion']):g}")
    if not parts and "fdg_avid" in row and not pd.isna(row["fdg_avid"]):
        parts.append("FDG-avid" if bool(row["fdg_avid"]) else "not FDG-avid")
    tracer = row.get("tracer")
    head = _tracer_short(str(tracer)) + " " if not pd.isna(tracer) else ""
    return head + (", ".join(parts) or "no uptake value")


def patient_timeline(
    events: pd.DataFrame,
    *,
    patients: Sequence[str] | None = None,
    titles: Mapping[str, str] | None = None,
    colors: Mapping[str, str] | None = None,
    sharex: bool = False,
    width: float = 10.0,
    legend: bool = True,
) -> list[Axes]:
    """One timeline panel per patient: therapy lines, scans, specimens and events.

    Parameters
    ----------
    events : pandas.DataFrame
        The table returned by :func:`netstats.endpoints.course_events`.
    patients : sequence of str, optional
        Patients to draw, one panel each from the top; every patient of ``events`` in
        table order when ``None``.
    titles : mapping of str to str, optional
        Panel title per patient id (e.g. a one-line description); the id otherwise.
    colors : mapping of str to str, optional
        Colour per drug class, overriding :data:`netstats.plots.DRUG_CLASS_COLORS`.
    sharex : bool, default=False
        One time axis for all panels; by default each panel spans its own patient's
        follow-up, so a short course stays readable next to a long one.
    width : float, default=10.0
        Figure width in inches; the height grows with the number of panels.
    legend : bool, default=True
        One legend (drug classes, tracers, markers) to the right of the first panel.

    Returns
    -------
    list of matplotlib.axes.Axes
        One Axes per patient, top to bottom, with three lanes: therapy lines (bars in the
        colour of their drug class, labelled with the regimen and best response), imaging
        (a marker per scan, its shape naming the tracer, labelled with the uptake) and
        pathology (a marker per specimen, labelled with Ki-67 and WHO grade).  A dashed line
        marks diagnosis (month 0), red triangles progressions, a grey bar the last contact
        and a black cross death.

    Raises
    ------
    TypeError
        If ``events`` is not a DataFrame.
    SchemaError
        If required columns are missing.
    ValueError
        If the table is empty or a requested patient has no events.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import netstats
    >>> from netstats.endpoints import course_events
    >>> events = course_events(netstats.load_bundled("case_series"))
    >>> axes = patient_timeline(events)
    >>> [ax.get_title(loc="left") for ax in axes]
    ['CS01', 'CS02', 'CS03']
    """
    import matplotlib.pyplot as plt

    frame = _check_events(events)
    ids = list(pd.unique(frame["patient_id"].astype(str)))
    chosen = ids if patients is None else [str(p) for p in patients]
    unknown = [p for p in chosen if p not in ids]
    if unknown:
        raise ValueError(f"patient(s) {unknown} have no events in the table")
    palette = {**DRUG_CLASS_COLORS, **dict(colors or {})}
    scans_all = frame[frame["event"] == "scan"]
    tracers = sorted(scans_all["tracer"].dropna().astype(str).unique()) if "tracer" in frame else []
    markers = _tracer_markers(tracers)

    n = len(chosen)
    fig, axes = plt.subplots(
        n, 1, figsize=(width, 0.4 + 2.6 * n), sharex=sharex, layout="constrained", squeeze=False
    )
    used_classes: list[str] = []
    used: set[str] = set()
    requests: list[tuple[Axes, float, float, str, dict[str, Any]]] = []
    for ax, pid in zip(axes[:, 0], chosen, strict=True):
        rows = frame[frame["patient_id"].astype(str) == pid]
        ends = rows[["months", "end_months"]].to_numpy(dtype="float64", na_value=np.nan)
        finite = ends[np.isfinite(ends)]
        right = float(finite.max()) if finite.size else 1.0
        left = float(min(finite.min(), 0.0)) if finite.size else 0.0
        span = max(right - left, 1.0)
        ax.set_xlim(left - 0.04 * span, right + 0.06 * span)
        ax.set_ylim(-0.5, 3.1)
        ax.set_yticks([0.0, 1.0, 2.0], list(_LANES))
        ax.tick_params(axis="y", length=0)
        ax.spines[["top", "right", "left"]].set_visible(False)
        for y in (0.0, 1.0, 2.0):
            ax.axhline(y, color="#EEEEEE", linewidth=0.8, zorder=0)
        ax.set_title(
            (titles or {}).get(pid, pid), loc="left", fontsize=10, fontweight="bold", pad=4
        )
        ax.axvline(0.0, color="#777777", linestyle="--", linewidth=0.8, zorder=1)
        requests.append((ax, 0.0, 2.55, "Diagnosis", {"color": "#555555"}))

        _draw_lines(ax, pid, rows, palette, used_classes, used, requests)

        for _, row in rows[rows["event"] == "scan"].iterrows():
            tracer = str(row.get("tracer"))
            ax.plot(
                [row["months"]],
                [1.0],
                linestyle="none",
                marker=markers.get(tracer, "o"),
                markersize=7,
                markerfacecolor="#FFFFFF" if tracer.endswith("FDG") else "#555555",
                markeredgecolor="black",
                zorder=4,
                clip_on=False,
                gid=f"timeline-scan-{pid}",
            )
            requests.append((ax, float(row["months"]), 1.0, _scan_text(row), {"below": True}))

        for _, row in rows[rows["event"] == "specimen"].iterrows():
            ax.plot(
                [row["months"]],
                [0.0],
                linestyle="none",
                marker="p",
                markersize=8,
                markerfacecolor="#CCBB44",
                markeredgecolor="black",
                zorder=4,
                clip_on=False,
                gid=f"timeline-specimen-{pid}",
            )
            used.add("specimen")
            requests.append((ax, float(row["months"]), 0.05, _specimen_text(row), {}))

        for kind, y, style in (
            ("progression", 2.0 - _BAR_HEIGHT / 2 - 0.12, ("^", "#CC3311", 8)),
            ("death", 2.0, ("X", "black", 9)),
            ("last_contact", 2.0, ("|", "#333333", 14)),
        ):
            xs = rows.loc[rows["event"] == kind, "months"].to_numpy(dtype="float64")
            if not xs.size:
                continue
            used.add(kind)
            marker, color, size = style
            ax.plot(
                xs,
                np.full(xs.size, y),
                linestyle="none",
                marker=marker,
                markersize=size,
                color=color,
                markeredgewidth=2 if marker == "|" else 0.6,
                markeredgecolor=color if marker == "|" else "black",
                zorder=5,
                clip_on=False,
                gid=f"timeline-{kind}-{pid}",
            )
        ax.set_xlabel("Months from diagnosis", fontsize=8)

    if legend:
        _legend(fig, palette, used_classes, tracers, markers, used)
    # Fix the layout first (legend included), then place the labels on the final axes.
    fig.canvas.draw()
    fig.set_layout_engine("none")
    renderer = fig.canvas.get_renderer()
    placed: list[Any] = []
    for ax in axes[:, 0]:
        placed.append(ax.title.get_window_extent(renderer))
        placed.append(ax.xaxis.label.get_window_extent(renderer))
        placed += [t.get_window_extent(renderer) for t in ax.get_xticklabels() if t.get_text()]
    markers_of = {ax: _marker_boxes(ax) for ax in axes[:, 0]}
    # Therapy labels first (inside their bar when they fit), then scans and specimens.
    requests.sort(key=lambda r: r[4].get("bar") is None)
    for ax, x, y, text, kw in requests:
        _place(ax, x, y, text, placed, markers_of[ax], **kw)
    return list(axes[:, 0])


def _draw_lines(
    ax: Axes,
    pid: str,
    rows: pd.DataFrame,
    palette: Mapping[str, str],
    used_classes: list[str],
    used: set[str],
    requests: list[tuple[Axes, float, float, str, dict[str, Any]]],
) -> None:
    """Therapy lines of one patient: a bar per line (a stripe per drug class), its label."""
    contact = rows.loc[rows["event"].isin(["last_contact", "death"]), "months"]
    for _, row in rows[rows["event"] == "line"].iterrows():
        start = float(row["months"])
        end = row["end_months"]
        ongoing = pd.isna(end)
        stop = (
            (float(contact.max()) if len(contact) else float(ax.get_xlim()[1]))
            if ongoing
            else float(end)
        )
        cls = str(row.get("drug_class")) if not pd.isna(row.get("drug_class")) else ""
        classes = cls.split(" + ") if cls else [""]
        stripe = _BAR_HEIGHT / len(classes)
        for i, c in enumerate(classes):
            if c and c not in used_classes:
                used_classes.append(c)
            bar = ax.barh(
                2.0 - _BAR_HEIGHT / 2 + (i + 0.5) * stripe,
                stop - start,
                left=start,
                height=stripe,
                color=palette.get(c, "#BBBBBB"),
                edgecolor="white",
                linewidth=0.5,
                zorder=2,
            )
            bar.patches[0].set_gid(f"timeline-line-{pid}-{row['line']}")
        if ongoing:
            ax.annotate(
                "",
                (stop, 2.0),
                xytext=(-12, 0),
                textcoords="offset points",
                arrowprops={"arrowstyle": "->", "color": "black", "lw": 1.0},
                zorder=3,
            )
            used.add("ongoing")
        text = str(row["label"])
        if "best_response" in row and not pd.isna(row["best_response"]):
            text += f" ({row['best_response']})"
        # A one-class bar may hold its label; a striped (combination) bar keeps it above.
        bar = (start, stop, palette.get(classes[0], "#BBBBBB")) if len(classes) == 1 else None
        requests.append(
            (
                ax,
                (start + stop) / 2,
                2.0 + _BAR_HEIGHT / 2,
                text,
                {"bar": bar, "below": 2.0 - _BAR_HEIGHT / 2},
            )
        )


def _legend(
    fig: Any,
    palette: Mapping[str, str],
    used_classes: list[str],
    tracers: Sequence[str],
    markers: Mapping[str, str],
    used: set[str],
) -> None:
    """One legend for all panels: drug classes, tracers, then the event markers."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    handles: list[Any] = [Patch(facecolor=palette.get(c, "#BBBBBB"), label=c) for c in used_classes]
    handles += [
        Line2D(
            [],
            [],
            linestyle="none",
            marker=markers[t],
            markersize=7,
            markerfacecolor="#FFFFFF" if t.endswith("FDG") else "#555555",
            markeredgecolor="black",
            label=f"{t} PET",
        )
        for t in tracers
    ]
    extra = {
        "specimen": ("p", "#CCBB44", "black", "Specimen (Ki-67, WHO grade)"),
        "progression": ("^", "#CC3311", "black", "Progression"),
        "ongoing": ("$\u2192$", "black", "black", "Ongoing at last contact"),
        "last_contact": ("|", "#333333", "#333333", "Last contact"),
        "death": ("X", "black", "black", "Death"),
    }
    handles += [
        Line2D(
            [],
            [],
            linestyle="none",
            marker=m,
            markersize=8,
            markerfacecolor=f,
            markeredgecolor=e,
            label=lab,
        )
        for key, (m, f, e, lab) in extra.items()
        if key in used
    ]
    fig.legend(
        handles=handles,
        loc="outside right upper",
        frameon=False,
        fontsize=8,
        title="Therapy / imaging / events",
        title_fontsize=8,
    )


def _specimen_text(row: pd.Series) -> str:
    site = str(row.get("site")) if not pd.isna(row.get("site")) else "site not stated"
    kind = row.get("specimen_type")
    head = site.capitalize() + (f" {str(kind).replace('_', ' ')}" if not pd.isna(kind) else "")
    bits = []
    if not pd.isna(row.get("ki67_percent")):
        bits.append(f"Ki-67 {float(row['ki67_percent']):g}%")
    if "who_grade" in row and not pd.isna(row["who_grade"]):
        bits.append(str(row["who_grade"]))
    return head + (": " + ", ".join(bits) if bits else "")


def trajectory(
    frame: pd.DataFrame,
    *,
    x: str,
    y: str,
    group: str = "patient_id",
    marker_by: str | None = None,
    ax: Axes | None = None,
    bands: Mapping[str, tuple[float, float]] | None = None,
    xlabel: str | None = None,
    ylabel: str | None = None,
    colors: Mapping[str, str] | None = None,
    legend: bool = True,
) -> Axes:
    """A measurement over time, one line per group (patient), optional marker per category.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per measurement; rows with ``x`` or ``y`` missing are left out.
    x, y : str
        Columns of time (e.g. months from diagnosis) and value.
    group : str, default="patient_id"
        Column naming the line each row belongs to; lines are drawn in
        :data:`GROUP_COLORS` in the order groups first appear.
    marker_by : str, optional
        Column whose categories (e.g. the PET tracer) set the marker shape, named in the
        legend; one marker for all when ``None``.  Lines join only points of the same
        group and category.
    ax : matplotlib Axes, optional
        Where to draw; a new figure when ``None``.
    bands : mapping of str to (float, float), optional
        Horizontal bands drawn behind the data and labelled at the right, e.g. the WHO
        grade bands of Ki-67 ``{"G1": (0, 3), "G2": (3, 20), "G3": (20, 100)}``; the y axis
        is limited to the data and the bands the data reach.
    xlabel, ylabel : str, optional
        Axis labels; the column names otherwise.
    colors : mapping of str to str, optional
        Colour per group, overriding :data:`GROUP_COLORS`.
    legend : bool, default=True
        Legend outside the axes on the right: groups (colour) then categories (marker).

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on.

    Raises
    ------
    TypeError
        If ``frame`` is not a DataFrame.
    SchemaError
        If a named column is missing.
    ValueError
        If no row has both ``x`` and ``y``, or there are more groups than colours and no
        ``colors`` mapping covers them.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> data = pd.DataFrame({"patient_id": ["A", "A", "B"], "months": [0, 6, 3],
    ...                      "ki67": [2.0, 8.0, 25.0]})
    >>> ax = trajectory(data, x="months", y="ki67", bands={"G1": (0, 3), "G2": (3, 20),
    ...                 "G3": (20, 100)})
    >>> [line.get_label() for line in ax.get_lines()]
    ['A', 'B']
    """
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"trajectory needs a DataFrame, got {type(frame).__name__}")
    needed = [x, y, group, *([marker_by] if marker_by else [])]
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise SchemaError(f"trajectory: column(s) {missing} missing")
    data = frame.dropna(subset=[x, y])
    if data.empty:
        raise ValueError(f"trajectory: no row has both {x!r} and {y!r}")
    groups = [str(g) for g in pd.unique(data[group].astype(str))]
    own = dict(colors or {})
    if len(groups) > len(GROUP_COLORS) and not all(g in own for g in groups):
        raise ValueError(
            f"trajectory: {len(groups)} groups but only {len(GROUP_COLORS)} distinct colours; "
            "pass colors for every group or draw small multiples"
        )
    palette = {g: own.get(g, GROUP_COLORS[i % len(GROUP_COLORS)]) for i, g in enumerate(groups)}
    cats = sorted(data[marker_by].dropna().astype(str).unique()) if marker_by else []
    shapes = _tracer_markers(cats)
    if ax is None:
        _, ax = plt.subplots(figsize=(8.0, 4.0), layout="constrained")

    for g in groups:
        rows = data[data[group].astype(str) == g].sort_values(x, kind="mergesort")
        parts = (
            [(c, rows[rows[marker_by].astype(str) == c]) for c in cats]
            if marker_by
            else [("", rows)]
        )
        first = True
        for cat, part in parts:
            if part.empty:
                continue
            ax.plot(
                part[x].astype("float64"),
                part[y].astype("float64"),
                color=palette[g],
                marker=shapes.get(cat, "o"),
                markersize=7,
                linewidth=1.6,
                label=g if first else f"_{g}",
                zorder=3,
                clip_on=False,
            )
            first = False

    values = data[y].astype("float64")
    top = float(values.max())
    bottom = min(0.0, float(values.min()))
    if bands:
        # Show the band holding the highest value up to its upper edge, and a little of the
        # next band, so the reader sees how far the data are from the next grade.
        holding = [hi for lo, hi in bands.values() if lo <= top <= hi]
        upper = max(top * 1.1, min(holding) * 1.15) if holding else top * 1.1
        shades = ("#F2F2F2", "#E4E4E4")
        for i, (name, (lo, hi)) in enumerate(bands.items()):
            if lo > upper:
                continue
            ax.axhspan(lo, min(hi, upper), color=shades[i % 2], zorder=0, linewidth=0)
            ax.text(
                1.0,
                (lo + min(hi, upper)) / 2,
                f" {name}",
                transform=ax.get_yaxis_transform(),
                va="center",
                ha="left",
                fontsize=8,
                color="#444444",
            )
        ax.set_ylim(bottom, upper)
    else:
        ax.set_ylim(bottom, top * 1.12 if top > 0 else 1.0)
    ax.set_xlabel(xlabel or x)
    ax.set_ylabel(ylabel or y)
    ax.spines[["top", "right"]].set_visible(False)
    if legend:
        handles: list[Any] = [
            Line2D([], [], color=palette[g], linewidth=1.6, label=g) for g in groups
        ]
        handles += [
            Line2D(
                [],
                [],
                linestyle="none",
                marker=shapes[c],
                markersize=7,
                markerfacecolor="#777777",
                markeredgecolor="#777777",
                label=c,
            )
            for c in cats
        ]
        ax.legend(
            handles=handles,
            loc="upper left",
            bbox_to_anchor=(1.19 if bands else 1.01, 1.0),  # clear of the band labels
            frameon=False,
            fontsize=8,
        )
    return ax

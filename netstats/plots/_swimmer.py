"""Swimmer plot of therapy lines, drawn from the :func:`netstats.endpoints.line_endpoints` table.

Nothing is recomputed here: segment lengths are ``dot_months``, progression marks come from
the PFS columns, death and follow-up from the OS columns.  Only the layout (where each line
starts on the patient's time axis) is derived from the dates.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd

from netstats import labels
from netstats.exceptions import SchemaError
from netstats.plots._style import OKABE_ITO
from netstats.schema import DAYS_PER_MONTH
from netstats.vocab import DRUG_CLASSES

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["DRUG_CLASS_COLORS", "swimmer"]

DRUG_CLASS_COLORS: dict[str, str] = {
    "SSA": OKABE_ITO[0],
    "mTOR inhibitor": OKABE_ITO[3],
    "TKI": OKABE_ITO[2],
    "chemotherapy": OKABE_ITO[1],
    "PRRT": OKABE_ITO[4],
    "liver-directed": OKABE_ITO[5],
    "surgery": OKABE_ITO[6],
    "observation": "#DDDDDD",
}
"""Default colour of each drug class (the Okabe-Ito palette of :mod:`netstats.plots._style`;
observation, not a treatment, in light grey)."""

_UNKNOWN_COLOR = "#BBBBBB"
_PROGRESSION_REASONS = ("progression", "progression_imputed", "progression_later_line")
_ONGOING_REASONS = ("censored_last_contact", "censored_cutoff")
_RESPONSE_MARKERS = {
    "CR": ("*", "#F0E442", "Best response: complete response"),
    "PR": ("D", "white", "Best response: partial response"),
    "SD": ("o", "#DDDDDD", "Best response: stable disease"),
    "PD": ("x", "black", "Best response: progressive disease"),
    "NE": ("$?$", "black", "Best response: not evaluable"),
}
_REQUIRED = [
    "patient_id",
    "line",
    "start_date",
    "drug_class",
    "best_response",
    "dot_months",
    "dot_event",
    "dot_reason",
    "pfs_months",
    "pfs_event",
    "pfs_reason",
    "os_months",
    "os_event",
]

SortBy = Literal["total", "first_line", "n_lines", "input"]


@dataclass(frozen=True)
class _Segment:
    left: float
    width: float
    classes: tuple[str, ...]


@dataclass
class _Lane:
    patient_id: str
    segments: list[_Segment]
    progressions: list[float]
    responses: list[tuple[float, str]]
    ongoing: list[float]
    follow_up: float
    died: bool
    first_line: float
    n_lines: int
    first_seen: int

    @property
    def total(self) -> float:
        return float(max([self.follow_up, *(s.left + s.width for s in self.segments)]))


def _check(frame: object, sort_by: str, max_patients: int | None, origin: str) -> None:
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"swimmer needs the line_endpoints DataFrame, got {type(frame).__name__}")
    required = [*_REQUIRED, *(["months_since_diagnosis"] if origin == "diagnosis" else [])]
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise SchemaError(
            f"swimmer: column(s) {missing} missing; pass the table returned by "
            "netstats.endpoints.line_endpoints"
        )
    if frame.empty:
        raise ValueError("swimmer: the endpoints table has no rows")
    if sort_by not in ("total", "first_line", "n_lines", "input"):
        raise ValueError(
            f"sort_by must be 'total', 'first_line', 'n_lines' or 'input', got {sort_by!r}"
        )
    if origin not in ("first_line", "diagnosis"):
        raise ValueError(f"origin must be 'first_line' or 'diagnosis', got {origin!r}")
    if max_patients is not None and (
        isinstance(max_patients, bool) or not isinstance(max_patients, int) or max_patients < 1
    ):
        raise ValueError(f"max_patients must be a positive int or None, got {max_patients!r}")


def _is_true(value: object) -> bool:
    return bool(value) if not pd.isna(value) else False  # type: ignore[call-overload]


def _lanes(frame: pd.DataFrame, origin: str, responses: Sequence[str]) -> list[_Lane]:
    lanes: list[_Lane] = []
    order = {pid: i for i, pid in enumerate(pd.unique(frame["patient_id"]))}
    for pid, rows in frame.groupby("patient_id", sort=False):
        rows = rows.sort_values("line", kind="mergesort")
        starts = pd.to_datetime(rows["start_date"])
        if origin == "diagnosis":
            offsets = rows["months_since_diagnosis"].astype("float64").to_numpy()
        else:
            offsets = ((starts - starts.min()).dt.days / DAYS_PER_MONTH).to_numpy(dtype="float64")
        lane = _Lane(str(pid), [], [], [], [], 0.0, False, 0.0, len(rows), order[pid])
        for raw_off, (_, row) in zip(offsets, rows.iterrows(), strict=True):
            off = float(raw_off)
            if np.isnan(off):
                continue
            dot = row["dot_months"]
            if not pd.isna(dot):
                cls = "" if pd.isna(row["drug_class"]) else str(row["drug_class"])
                lane.segments.append(_Segment(off, float(dot), tuple(cls.split(" + "))))
                if row["line"] == rows["line"].min():
                    lane.first_line = float(dot)
                if not _is_true(row["dot_event"]) and row["dot_reason"] in _ONGOING_REASONS:
                    lane.ongoing.append(off + float(dot))
                resp = row["best_response"]
                if not pd.isna(resp) and resp in responses:
                    lane.responses.append((off + float(dot) / 2, str(resp)))
            if _is_true(row["pfs_event"]) and row["pfs_reason"] in _PROGRESSION_REASONS:
                x = off + float(row["pfs_months"])
                if all(abs(x - p) > 1e-9 for p in lane.progressions):
                    lane.progressions.append(x)
            if not pd.isna(row["os_months"]):
                lane.follow_up = max(lane.follow_up, off + float(row["os_months"]))
                lane.died = lane.died or _is_true(row["os_event"])
        lanes.append(lane)
    return lanes


def _sort(lanes: list[_Lane], sort_by: str) -> list[_Lane]:
    if sort_by == "input":
        return sorted(lanes, key=lambda lane: lane.first_seen)
    key = {
        "total": lambda lane: (-lane.total, lane.first_seen),
        "first_line": lambda lane: (-lane.first_line, -lane.total, lane.first_seen),
        "n_lines": lambda lane: (-lane.n_lines, -lane.total, lane.first_seen),
    }[sort_by]
    return sorted(lanes, key=key)


def swimmer(
    endpoints_frame: pd.DataFrame,
    *,
    ax: Axes | None = None,
    sort_by: SortBy = "total",
    max_patients: int | None = None,
    origin: Literal["first_line", "diagnosis"] = "first_line",
    show_ids: bool = False,
    responses: Sequence[str] = ("CR", "PR"),
    colors: Mapping[str, str] | None = None,
    legend: bool = True,
) -> Axes:
    """Swimmer plot: one bar per patient, one segment per therapy line.

    Parameters
    ----------
    endpoints_frame : pandas.DataFrame
        The table returned by :func:`netstats.endpoints.line_endpoints` (it needs
        ``patient_id``, ``line``, ``start_date``, ``drug_class``, ``best_response`` and the
        ``dot_*``, ``pfs_*`` and ``os_*`` columns).
    ax : matplotlib Axes, optional
        Where to draw; a new figure sized to the number of patients when ``None``.
    sort_by : {"total", "first_line", "n_lines", "input"}, default="total"
        Bar order from the top: longest follow-up, longest first line, most lines (ties by
        follow-up), or the order patients first appear in the table.
    max_patients : int, optional
        Draw only the first ``max_patients`` bars after sorting; the title then says how
        many of how many patients are shown.
    origin : {"first_line", "diagnosis"}, default="first_line"
        Time zero of each bar: the start of the patient's first line, or diagnosis
        (``months_since_diagnosis``).
    show_ids : bool, default=False
        Label bars with ``patient_id``; by default bars are labelled by rank only, so the
        figure carries no identifiers.
    responses : sequence of str, default=("CR", "PR")
        Best responses marked on their line's segment (any of CR, PR, SD, PD, NE).
    colors : mapping of str to str, optional
        Colour per drug class, overriding :data:`DRUG_CLASS_COLORS`.
    legend : bool, default=True
        Draw a legend (drug classes and markers) outside the axes on the right.

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on.

    Raises
    ------
    TypeError
        If ``endpoints_frame`` is not a DataFrame.
    SchemaError
        If required columns are missing.
    ValueError
        If the table is empty or an option is not one of its allowed values.

    Notes
    -----
    Each line is a segment from its start (months after the origin) of length
    ``dot_months``; a combination regimen's segment is split into one stripe per drug
    class.  A thin grey line runs to the end of follow-up (``os_months``): a black square
    marks death, a red triangle each PFS progression event (``pfs_event`` with a
    progression reason), and an arrow a line still ongoing at the last contact or the
    cut-off.  The best response of a line is drawn at the middle of its segment (response
    dates are not part of the data model).  Lines without ``dot_months`` are not drawn.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import netstats as ns
    >>> from netstats.endpoints import line_endpoints
    >>> lines = line_endpoints(ns.load_cohort("tests/data/minimal"))
    >>> ax = swimmer(lines)
    >>> [t.get_text() for t in ax.get_yticklabels()]
    ['1', '2', '3', '4']
    """
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    _check(endpoints_frame, sort_by, max_patients, origin)
    palette = {**DRUG_CLASS_COLORS, **dict(colors or {})}
    bad = [r for r in responses if r not in _RESPONSE_MARKERS]
    if bad:
        raise ValueError(f"responses {bad} unknown; expected some of {list(_RESPONSE_MARKERS)}")
    lanes = _sort(_lanes(endpoints_frame, origin, responses), sort_by)
    n_total = len(lanes)
    if max_patients is not None:
        lanes = lanes[:max_patients]
    n = len(lanes)
    if ax is None:
        height = float(np.clip(1.3 + 0.3 * min(n, 20) + 0.06 * max(n - 20, 0), 2.8, 14.0))
        _, ax = plt.subplots(figsize=(9.0, height), layout="constrained")
    bar_height = 0.7 if n <= 40 else 0.85
    marker_size = float(np.clip(320.0 / n, 3.0, 9.0))

    used_classes: list[str] = []
    marks: dict[str, list[tuple[float, float]]] = {
        "progression": [],
        "death": [],
        "ongoing": [],
        **{r: [] for r in responses},
    }
    for rank, lane in enumerate(lanes):
        y = float(rank)
        ax.hlines(y, 0.0, lane.total, colors="#999999", linewidth=0.8, zorder=1)
        for seg in lane.segments:
            stripe = bar_height / len(seg.classes)
            for i, cls in enumerate(seg.classes):
                if cls not in used_classes:
                    used_classes.append(cls)
                ax.barh(
                    y - bar_height / 2 + (i + 0.5) * stripe,
                    seg.width,
                    left=seg.left,
                    height=stripe,
                    color=palette.get(cls, _UNKNOWN_COLOR),
                    edgecolor="white",
                    linewidth=0.4 if n <= 40 else 0.0,
                    zorder=2,
                )
        marks["progression"] += [(x, y) for x in lane.progressions]
        marks["ongoing"] += [(x, y) for x in lane.ongoing]
        if lane.died:
            marks["death"].append((lane.follow_up, y))
        for x, resp in lane.responses:
            marks[resp].append((x, y))

    styles = {
        "progression": ("^", OKABE_ITO[3], "black", "Progression (PFS event)"),
        "death": ("s", "black", "black", "Death"),
        "ongoing": ("$\u27a4$", "black", "black", "Ongoing"),
        **{r: (m, c, "black", lab) for r, (m, c, lab) in _RESPONSE_MARKERS.items()},
    }
    handles: list[object] = [
        Patch(facecolor=palette.get(c, _UNKNOWN_COLOR), label=_class_label(c))
        for c in sorted(used_classes, key=_class_order)
    ]
    for key, points in marks.items():
        if not points:
            continue
        marker, face, edge, label = styles[key]
        xs, ys = zip(*points, strict=True)
        size = marker_size * (1.3 if key in ("ongoing", "CR") else 1.0)
        (line,) = ax.plot(
            xs,
            ys,
            linestyle="none",
            marker=marker,
            markersize=size,
            markerfacecolor=face,
            markeredgecolor=edge,
            markeredgewidth=0.6 if n <= 100 else 0.3,
            label=label,
            zorder=4,
            clip_on=False,
        )
        line.set_gid(f"swimmer-{key}")
        handles.append(
            Line2D(
                [],
                [],
                linestyle="none",
                marker=marker,
                markersize=7,
                markerfacecolor=face,
                markeredgecolor=edge,
                label=label,
            )
        )

    ax.set_ylim(n - 0.5, -0.5)
    ticks = np.arange(n)
    step = max(1, int(np.ceil(n / 40)))
    shown = ticks[::step]
    ax.set_yticks(shown)
    tick_labels = [lanes[i].patient_id for i in shown] if show_ids else [str(i + 1) for i in shown]
    ax.set_yticklabels(tick_labels, fontsize=9 if n <= 40 else 7)
    ax.set_ylabel("Patient" if show_ids else "Patient (rank)")
    ax.set_xlabel(
        "Months since start of first line" if origin == "first_line" else "Months since diagnosis"
    )
    ax.set_xlim(left=0.0)
    ax.spines[["top", "right"]].set_visible(False)
    ax.tick_params(axis="y", length=0)
    if n < n_total:
        ax.set_title(f"{n} of {n_total} patients shown (sorted by {sort_by})", fontsize=10)
    if legend:
        ax.legend(
            handles=handles,
            loc="upper left",
            bbox_to_anchor=(1.01, 1.0),
            frameon=False,
            fontsize=8,
            title="Drug class and events",
            title_fontsize=8,
        )
    return ax


def _class_label(cls: str) -> str:
    text = labels.level_label("drug_class", cls)
    return text[:1].upper() + text[1:] if not text[1:2].isupper() else text


def _class_order(cls: str) -> tuple[int, str]:
    return (DRUG_CLASSES.index(cls) if cls in DRUG_CLASSES else len(DRUG_CLASSES), cls)

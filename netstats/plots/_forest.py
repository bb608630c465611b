"""Forest plot of hazard ratios with an aligned table (n, events, HR (CI), p)."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from netstats import labels as _labels

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["forest", "log_ticks"]

_REQUIRED = ("term", "hr", "ci_lower", "ci_upper")


def _format_p(p: float) -> str:
    if not np.isfinite(p):
        return ""
    if p < 0.001:
        return "<0.001"
    return f"{p:.3f}" if p < 0.01 else f"{p:.2f}"


_TICK_SETS: tuple[tuple[float, ...], ...] = (
    (0.03125, 0.0625, 0.125, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0),
    (0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0,
     100.0, 200.0, 500.0, 1000.0),
    (0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.25, 1.5, 2.0, 2.5, 3.0),
    (0.7, 0.75, 0.8, 0.85, 0.9, 0.95, 1.0, 1.1, 1.2, 1.3, 1.4, 1.5),
    (0.9, 0.92, 0.94, 0.96, 0.98, 1.0, 1.02, 1.04, 1.06, 1.08, 1.1),
)  # fmt: skip
"""Candidate tick sets, coarsest first: the first giving 3 to 7 ticks in range is used."""


def log_ticks(left: float, right: float) -> list[float]:
    """Readable ticks for a log axis from ``left`` to ``right`` (at least 3 where possible).

    Examples
    --------
    >>> log_ticks(0.2, 5.0)
    [0.25, 0.5, 1.0, 2.0, 4.0]
    >>> log_ticks(0.9, 1.35)
    [0.9, 1.0, 1.25]
    >>> log_ticks(0.001, 300)
    [0.001, 0.01, 0.1, 1.0, 10.0, 100.0]
    """
    if not (np.isfinite(left) and np.isfinite(right)) or left <= 0 or right <= left:
        raise ValueError(f"log-axis limits must be 0 < left < right, got {left}, {right}")
    best: list[float] = []
    for cands in _TICK_SETS:
        ticks = [t for t in cands if left <= t <= right]
        if 3 <= len(ticks) <= 7:
            return ticks
        if len(ticks) > len(best):
            best = ticks
    if len(best) > 7:  # a wide range: powers of ten, every other one if still too many
        decades = [
            10.0**e for e in range(math.ceil(math.log10(left)), math.floor(math.log10(right)) + 1)
        ]
        step = 1
        while len(decades[::step]) > 7:
            step += 1
        start = decades.index(1.0) % step if 1.0 in decades else 0
        return decades[start::step]
    return best


def _log_ticks(ax: Axes) -> None:
    """Plain-number ticks (0.25, 0.5, 1, 2, ...) on the log axis, no minor labels."""
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullFormatter, NullLocator

    left, right = ax.get_xlim()
    ax.xaxis.set_major_locator(FixedLocator(log_ticks(left, right)))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:g}"))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.xaxis.set_minor_formatter(NullFormatter())


def _references(result: Any) -> dict[str, str]:
    """Factor -> reference level of a formula-fitted result (the level without a term)."""
    spec = getattr(getattr(result, "_design", None), "spec", None)
    contrasts = getattr(spec, "factor_contrasts", None) or {}
    terms = [str(t) for t in getattr(result, "summary", pd.DataFrame()).get("term", [])]
    out: dict[str, str] = {}
    for factor, state in contrasts.items():
        expr = str(getattr(factor, "expr", factor))
        m = re.match(r"^C\(\s*([^,)]+?)\s*(?:,.*)?\)$", expr)
        name = m.group(1) if m else expr
        present = {t[len(expr) :].strip("[]").removeprefix("T.") for t in terms
                   if t.startswith(expr + "[")}  # fmt: skip
        missing = [str(v) for v in getattr(state, "levels", []) if str(v) not in present]
        if len(missing) == 1:
            out[name] = missing[0]
    return out


def _frame(result: Any) -> pd.DataFrame:
    frame = result if isinstance(result, pd.DataFrame) else getattr(result, "summary", None)
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(
            "forest() takes a fitted result with a .summary DataFrame (e.g. CoxResult) or "
            f"such a DataFrame, got {type(result).__name__}"
        )
    missing = [c for c in _REQUIRED if c not in frame.columns]
    if missing:
        raise ValueError(f"summary table lacks column(s): {', '.join(missing)}")
    if len(frame) == 0:
        raise ValueError("summary table has no rows")
    return frame.reset_index(drop=True)


def forest(
    result: Any,
    *,
    ax: Axes | None = None,
    table: bool = True,
    labels: Mapping[str, str] | None = None,
    xlabel: str | None = None,
    color: str = "black",
    reference: Mapping[str, str] | None = None,
) -> Axes:
    """Draw a forest plot of hazard ratios with an aligned text table.

    Parameters
    ----------
    result : CoxResult, FineGrayResult or pandas.DataFrame
        A fitted result (its ``summary`` is used) or a table with columns ``term``,
        ``hr``, ``ci_lower``, ``ci_upper`` and optionally ``p_value``, ``n``,
        ``n_events`` and ``conf_level``. Nothing is recomputed.
    ax : matplotlib.axes.Axes, optional
        Axes to draw in; a new figure sized to the number of rows otherwise.
    table : bool, default=True
        Write the columns n, events, HR (CI) and p to the right of the plot, one line
        per row, aligned with the estimates.
    labels : mapping of str to str, optional
        Display names for terms (e.g. ``{"C(regimen)[T.everolimus]": "Everolimus"}``);
        other terms are named by :func:`netstats.labels.term_label`, with the reference level
        of a formula factor ("Drug class: SSA vs PRRT (reference)").
    reference : mapping of str to str, optional
        Factor -> reference level, for results that do not carry their formula (tables).
    xlabel : str, optional
        Axis label; default "Hazard ratio (95% CI, log scale)" from ``conf_level``.
    color : str, default="black"
        Colour of markers and intervals.

    Returns
    -------
    matplotlib.axes.Axes
        The forest axes; the table texts are children of the same axes.

    Notes
    -----
    Hazard ratios are drawn on a log axis with a dashed line at 1; intervals are the
    ``ci_lower``/``ci_upper`` of the summary. Numbers in the table are rounded for
    display only (HR to 2 decimals; p to 2 or 3 decimals, "<0.001" below 0.001).

    Examples
    --------
    >>> import pandas as pd
    >>> tbl = pd.DataFrame({"term": ["a", "b"], "hr": [0.5, 1.4],
    ...                     "ci_lower": [0.3, 1.1], "ci_upper": [0.8, 1.9]})
    >>> ax = forest(tbl)
    >>> ax.get_xscale()
    'log'
    """
    import matplotlib.pyplot as plt
    from matplotlib.transforms import blended_transform_factory

    frame = _frame(result)
    labels = dict(labels or {})
    k = len(frame)
    if ax is None:
        width = 9.0 if table else 5.5
        _, ax = plt.subplots(figsize=(width, 0.35 * k + 1.2))
        if table:
            ax.figure.subplots_adjust(left=0.22, right=0.55)
    y = np.arange(k)[::-1].astype(float)
    hr = frame["hr"].to_numpy(float)
    lo = frame["ci_lower"].to_numpy(float)
    hi = frame["ci_upper"].to_numpy(float)
    ax.hlines(y, lo, hi, color=color, linewidth=1.4)
    ax.plot(hr, y, marker="s", linestyle="none", color=color, markersize=6)
    ax.axvline(1.0, color="grey", linestyle="--", linewidth=0.9, zorder=0)
    ax.set_xscale("log")
    ax.set_yticks(y)
    refs = {**_references(result), **dict(reference or {})}
    ax.set_yticklabels(
        [labels.get(t) or _labels.term_label(t, reference=refs) for t in frame["term"]]
    )
    ax.set_ylim(-0.7, k - 0.3 + (0.8 if table else 0.0))
    finite = np.concatenate([lo[np.isfinite(lo) & (lo > 0)], hi[np.isfinite(hi)]])
    if finite.size:
        left, right = float(finite.min()), float(finite.max())
        pad = (np.log(right) - np.log(left)) * 0.08 + 0.05
        ax.set_xlim(min(left, 1.0) * np.exp(-pad), max(right, 1.0) * np.exp(pad))
    _log_ticks(ax)
    level = float(frame["conf_level"].iloc[0]) if "conf_level" in frame.columns else 0.95
    ax.set_xlabel(xlabel or f"Hazard ratio ({level:.0%} CI, log scale)")
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.tick_params(axis="y", length=0)

    if table:
        trans = blended_transform_factory(ax.transAxes, ax.transData)
        columns: list[tuple[str, list[str], float]] = []
        xpos = 1.05
        if "n" in frame.columns:
            columns.append(("n", [f"{int(v)}" for v in frame["n"]], 0.14))
        if "n_events" in frame.columns:
            columns.append(("Events", [f"{int(v)}" for v in frame["n_events"]], 0.2))
        hr_text = [
            f"{h:.2f} ({a:.2f}\N{EN DASH}{b:.2f})" for h, a, b in zip(hr, lo, hi, strict=True)
        ]
        columns.append((f"HR ({level:.0%} CI)", hr_text, 0.56))
        if "p_value" in frame.columns:
            columns.append(("p", [_format_p(float(v)) for v in frame["p_value"]], 0.2))
        header_y = k - 0.2
        for title, values, width in columns:
            right = xpos + width
            ax.text(right, header_y, title, transform=trans, ha="right", va="center",
                    fontweight="bold", clip_on=False)  # fmt: skip
            for yy, text in zip(y, values, strict=True):
                ax.text(right, yy, text, transform=trans, ha="right", va="center", clip_on=False)
            xpos = right + 0.04
    return ax

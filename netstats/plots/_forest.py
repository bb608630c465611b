"""Forest plot of hazard ratios with an aligned table (n, events, HR (CI), p)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["forest"]

_REQUIRED = ("term", "hr", "ci_lower", "ci_upper")


def _format_p(p: float) -> str:
    if not np.isfinite(p):
        return ""
    if p < 0.001:
        return "<0.001"
    return f"{p:.3f}" if p < 0.01 else f"{p:.2f}"


_NICE_TICKS = (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0)


def _log_ticks(ax: Axes) -> None:
    """Plain-number ticks (0.25, 0.5, 1, 2, ...) on the log axis, no minor labels."""
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullFormatter, NullLocator

    left, right = ax.get_xlim()
    ticks = [t for t in _NICE_TICKS if left <= t <= right]
    if len(ticks) > 6:
        ticks = [t for t in ticks if t in (0.01, 0.1, 1.0, 10.0, 100.0)]
    ax.xaxis.set_major_locator(FixedLocator(ticks))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:g}"))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.xaxis.set_minor_formatter(NullFormatter())


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
        Display names for terms (e.g. ``{"C(regimen)[T.everolimus]": "Everolimus"}``).
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
    ax.set_yticklabels([labels.get(t, t) for t in frame["term"]])
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
            columns.append(("events", [f"{int(v)}" for v in frame["n_events"]], 0.2))
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

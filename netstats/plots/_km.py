"""Kaplan-Meier and cumulative incidence figures with an aligned number-at-risk table.

Figures are drawn from finished results only: curves, bands and censor marks from the
result's ``summary``, the risk table from its ``at()`` counts. Nothing is recomputed here.
matplotlib is imported inside the functions so that ``import netstats`` never loads it.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from netstats.exceptions import StatisticalWarning

if TYPE_CHECKING:  # pragma: no cover - typing only
    from matplotlib.axes import Axes

    from netstats.survival import CumulativeIncidenceResult, KaplanMeierResult

__all__ = ["cumulative_incidence", "km"]

TIME_LABEL = "Time (months)"


def _get_ax(ax: Axes | None) -> Axes:
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(7.0, 5.0), layout="constrained")
    return ax


def _tick_times(ax: Axes, times: Sequence[float] | None, t_max: float) -> np.ndarray:
    """Risk-table times (the x ticks unless given); sets the x range to start at 0."""
    if times is not None:
        ts = np.asarray(times, dtype=float)
        if ts.ndim != 1 or np.any(~np.isfinite(ts)) or np.any(ts < 0):
            raise ValueError(f"times must be finite and >= 0, got {times!r}")
        right = max(t_max, float(ts.max()) if ts.size else 0.0)
        ax.set_xlim(0.0, right * 1.02 if right > 0 else 1.0)
        return ts
    ax.set_xlim(0.0, t_max * 1.02 if t_max > 0 else 1.0)
    ticks = np.asarray(ax.get_xticks(), dtype=float)
    return ticks[(ticks >= 0) & (ticks <= t_max)]


def _risk_table(
    ax: Axes, counts: pd.DataFrame, groups: Sequence[object], colors: dict[object, Any]
) -> Axes:
    """Draw the number-at-risk rows under ``ax``; x positions in ``ax``'s data coordinates."""
    rows = len(groups)
    height = 0.07 * rows
    table = ax.inset_axes((0.0, -0.16 - height, 1.0, height), sharex=ax)
    table.set_ylim(rows - 0.5, -0.5)
    table.set_yticks(range(rows), [str(g) for g in groups])
    for tick, g in zip(table.get_yticklabels(), groups, strict=True):
        tick.set_color(colors[g])
    # leave room for the centred count at the first tick, left of which the labels sit
    widest = max((len(str(int(n))) for n in counts["n_at_risk"]), default=1)
    table.tick_params(axis="both", length=0, labelbottom=False)
    table.tick_params(axis="y", pad=4 + 3.5 * widest)
    for spine in table.spines.values():
        spine.set_visible(False)
    table.set_title("Number at risk", loc="left", fontsize="small", pad=2)
    for row, g in enumerate(groups):
        sub = counts[counts["group"] == g]
        for t, n in zip(sub["time"], sub["n_at_risk"], strict=True):
            table.text(
                t, row, f"{int(n)}", ha="center", va="center", fontsize="small", color=colors[g]
            )
    table.set_gid("risk_table")
    return table


def km(
    result: KaplanMeierResult,
    *,
    ax: Axes | None = None,
    risk_table: bool = True,
    ci: bool = True,
    censor_marks: bool = True,
    median_lines: bool = False,
    p_value: float | Any | None = None,
    times: Sequence[float] | None = None,
) -> Axes:
    """Plot Kaplan-Meier curves with CI bands, censor marks and a number-at-risk table.

    Parameters
    ----------
    result : KaplanMeierResult
        From :func:`netstats.survival.kaplan_meier`.
    ax : matplotlib.axes.Axes or None, default=None
        Axes to draw on; a new 7 x 5 inch figure when None.
    risk_table : bool, default=True
        Draw the number at risk at ``times`` under the axis (from ``result.at(times)``).
    ci : bool, default=True
        Shade the pointwise confidence band (the result's ``conf_type``).
    censor_marks : bool, default=True
        Mark censoring times with "|".
    median_lines : bool, default=False
        Draw dashed lines to each median survival that is reached.
    p_value : float, object with ``p_value`` (e.g. LogrankResult) or None, default=None
        Annotated in the lower left corner ("Log-rank p = ...").
    times : sequence of float or None, default=None
        Times (months) for the risk table; the x ticks when None.

    Returns
    -------
    matplotlib.axes.Axes
        The curve axes; the risk table is its child axes with gid "risk_table".

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> from netstats.survival import kaplan_meier
    >>> fit = kaplan_meier(pd.DataFrame({"time": [2.0, 5, 7, 9], "event": [1, 0, 1, 1]}))
    >>> ax = km(fit, times=[0, 5])
    >>> ax.get_xlabel()
    'Time (months)'
    """
    import matplotlib

    ax = _get_ax(ax)
    s = result.summary
    colors: dict[object, Any] = {}
    cycle = [c["color"] for c in matplotlib.rcParams["axes.prop_cycle"]]
    t_max = float(s["time"].max()) if len(s) else 1.0
    for i, g in enumerate(result.groups):
        sub = s[s["group"] == g]
        color = cycle[i % len(cycle)]
        colors[g] = color
        x = np.concatenate(([0.0], sub["time"].to_numpy()))
        y = np.concatenate(([1.0], sub["survival"].to_numpy()))
        n = result.group_sizes[i]
        label = f"{g} (n = {n})" if result.group_col else f"All (n = {n})"
        ax.step(x, y, where="post", color=color, lw=1.6, label=label)
        if ci:
            lo = np.concatenate(([1.0], sub["ci_lower"].to_numpy(dtype=float)))
            hi = np.concatenate(([1.0], sub["ci_upper"].to_numpy(dtype=float)))
            ok = ~(np.isnan(lo) | np.isnan(hi))
            ax.fill_between(x, lo, hi, where=ok, step="post", color=color, alpha=0.18, lw=0)
        if censor_marks:
            cens = sub[sub["n_censored"] > 0]
            ax.plot(
                cens["time"],
                cens["survival"],
                ls="none",
                marker="|",
                ms=7,
                mew=1.2,
                color=color,
                gid="censor_marks",
            )
    if median_lines:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", StatisticalWarning)  # not reached: no line drawn
            med = result.median()
        for _, row in med.dropna(subset=["estimate"]).iterrows():
            m = float(row["estimate"])
            ax.plot([0, m], [0.5, 0.5], ls="--", lw=0.9, color="0.4", gid="median_line")
            ax.plot(
                [m, m], [0, 0.5], ls="--", lw=0.9, color=colors[row["group"]], gid="median_line"
            )
    ax.set_ylim(0.0, 1.05)
    ax.set_xlabel(TIME_LABEL)
    ax.set_ylabel("Survival probability")
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(title=result.group_col, frameon=False, loc="upper right")
    if p_value is not None:
        p = float(getattr(p_value, "p_value", p_value))
        text = "Log-rank p < 0.001" if p < 0.001 else f"Log-rank p = {p:.3f}"
        ax.text(
            0.02,
            0.04,
            text,
            transform=ax.transAxes,
            ha="left",
            va="bottom",
            bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.8},
            gid="p_value",
        )
    ticks = _tick_times(ax, times, t_max)
    if len(ticks):
        ax.set_xticks(ticks)
    if risk_table:
        counts, _ = result._at_table(ticks)
        _risk_table(ax, counts, result.groups, colors)
    return ax


def cumulative_incidence(
    result: CumulativeIncidenceResult,
    *,
    ax: Axes | None = None,
    causes: Sequence[object] | None = None,
    risk_table: bool = True,
    ci: bool = True,
    p_value: float | Any | None = None,
    times: Sequence[float] | None = None,
) -> Axes:
    """Plot cumulative incidence curves (colour by group, line style by cause).

    Parameters
    ----------
    result : CumulativeIncidenceResult
        From :func:`netstats.survival.cumulative_incidence`.
    ax : matplotlib.axes.Axes or None, default=None
        Axes to draw on; a new figure when None.
    causes : sequence or None, default=None
        Causes to draw (all when None).
    risk_table : bool, default=True
        Number at risk at ``times`` under the axis, from ``result.at(times)``.
    ci : bool, default=True
        Shade the pointwise confidence band.
    p_value : float, object with ``p_value`` or None, default=None
        Annotated as "Gray's test p = ...". For a GrayTestResult pass the p-value of the
        cause shown.
    times : sequence of float or None, default=None
        Risk-table times (months); the x ticks when None.

    Returns
    -------
    matplotlib.axes.Axes
        The curve axes; the risk table is its child axes with gid "risk_table".

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> from netstats.survival import cumulative_incidence as cif
    >>> res = cif(pd.DataFrame({"time": [1.0, 2, 3, 4], "event": [1, 2, 0, 1]}))
    >>> cumulative_incidence(res).get_ylabel()
    'Cumulative incidence'
    """
    import matplotlib

    ax = _get_ax(ax)
    s = result.summary
    chosen = list(result.causes if causes is None else causes)
    unknown = [c for c in chosen if c not in result.causes]
    if unknown:
        raise ValueError(f"causes {unknown} not in the result; available: {list(result.causes)}")
    cycle = [c["color"] for c in matplotlib.rcParams["axes.prop_cycle"]]
    styles = ["-", "--", ":", "-."]
    colors = {g: cycle[i % len(cycle)] for i, g in enumerate(result.groups)}
    t_max = float(s["time"].max()) if len(s) else 1.0
    for gi, g in enumerate(result.groups):
        for ci_, cause in enumerate(chosen):
            sub = s[(s["group"] == g) & (s["cause"] == cause)]
            x = np.concatenate(([0.0], sub["time"].to_numpy()))
            y = np.concatenate(([0.0], sub["estimate"].to_numpy()))
            name = f"{g}, {cause}" if result.group_col else f"{cause}"
            n = result.group_sizes[gi]
            ax.step(
                x,
                y,
                where="post",
                color=colors[g],
                ls=styles[ci_ % len(styles)],
                lw=1.6,
                label=f"{name} (n = {n})",
            )
            if ci:
                lo = np.concatenate(([0.0], sub["ci_lower"].to_numpy(dtype=float)))
                hi = np.concatenate(([0.0], sub["ci_upper"].to_numpy(dtype=float)))
                ok = ~(np.isnan(lo) | np.isnan(hi))
                ax.fill_between(x, lo, hi, where=ok, step="post", color=colors[g], alpha=0.15, lw=0)
    ax.set_ylim(0.0, 1.0)
    ax.set_xlabel(TIME_LABEL)
    ax.set_ylabel("Cumulative incidence")
    ax.spines[["top", "right"]].set_visible(False)
    title = f"{result.group_col}, cause" if result.group_col else "Cause"
    ax.legend(title=title, frameon=False, loc="upper left")
    if p_value is not None:
        p = float(getattr(p_value, "p_value", p_value))
        text = "Gray's test p < 0.001" if p < 0.001 else f"Gray's test p = {p:.3f}"
        ax.text(
            0.98,
            0.04,
            text,
            transform=ax.transAxes,
            ha="right",
            va="bottom",
            bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.8},
            gid="p_value",
        )
    ticks = _tick_times(ax, times, t_max)
    if len(ticks):
        ax.set_xticks(ticks)
    if risk_table:
        counts = result.at(ticks)
        counts = counts[counts["cause"] == result.causes[0]]  # same risk set for every cause
        _risk_table(ax, counts, result.groups, colors)
    return ax

"""Kaplan-Meier and cumulative incidence figures with an aligned number-at-risk table.

Figures are drawn from finished results only. What is drawn comes from
:func:`~netstats.plots.km_steps` / :func:`~netstats.plots.cif_steps` (safe at the report's
suppression threshold: every step joins at least ``threshold`` events, a curve stops where
fewer than ``threshold`` remain at risk) and the risk table from the result's ``at()``
counts, small counts shown as ``"<k"``. matplotlib is imported inside the functions so that
``import netstats`` never loads it.
"""

from __future__ import annotations

import dataclasses
import re
import warnings
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from netstats import labels
from netstats.exceptions import StatisticalWarning
from netstats.plots._steps import (
    _check_threshold,
    cif_steps,
    curve_note,
    km_steps,
    risk_cells,
)
from netstats.plots._style import GREY, LINESTYLES, legend_outside, series_style

if TYPE_CHECKING:  # pragma: no cover - typing only
    from matplotlib.axes import Axes

    from netstats.survival import CumulativeIncidenceResult, KaplanMeierResult

__all__ = ["cumulative_incidence", "km", "pool_groups"]

TIME_LABEL = "Time (months)"
_FROM_LINE = ("pfs", "os", "ttf", "ttnt", "dot", "pfs2")
_ENDPOINT_COL = re.compile(r"^(os_dx|pfs2|pfs|os|ttf|ttnt|dot)_(months|days)$")


def _endpoint_of(time_col: str | None) -> str | None:
    m = _ENDPOINT_COL.match(str(time_col or ""))
    return m.group(1) if m else None


def _time_label(endpoint: str | None) -> str:
    if endpoint in _FROM_LINE:
        return "Months since start of line"
    if endpoint == "os_dx":
        return "Months since diagnosis"
    return TIME_LABEL


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:] if text[:1].islower() and not text[1:2].isupper() else text


def _group_label(result: Any, g: object) -> str:
    if not result.group_col:
        return "All"
    if isinstance(g, str) and g.startswith("Other ("):
        return g
    return _cap(labels.level_label(result.group_col, g))


def _get_ax(ax: Axes | None, size: tuple[float, float] = (7.5, 5.0)) -> Axes:
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=size, layout="constrained")
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
    ax: Axes,
    counts: pd.DataFrame,
    groups: Sequence[object],
    names: Mapping[object, str],
    colors: Mapping[object, str],
    threshold: int,
    weights_col: str | None = None,
) -> Axes:
    """Draw the number-at-risk rows under ``ax``; x positions in ``ax``'s data coordinates.

    The cells are always patients (row counts); for a weighted result the title says so,
    since the curves above are computed from sums of weights.
    """
    rows = len(groups)
    height = 0.075 * rows
    table = ax.inset_axes((0.0, -0.2 - height, 1.0, height), sharex=ax)
    table.set_ylim(rows - 0.5, -0.5)
    table.set_yticks(range(rows), [names[g] for g in groups])
    for tick, g in zip(table.get_yticklabels(), groups, strict=True):
        tick.set_color(colors[g])
    shown = risk_cells(counts, threshold).assign(group=counts["group"].to_numpy())
    cells = {g: list(shown.loc[shown["group"] == g, "shown"]) for g in groups}
    widest = max((len(c) for v in cells.values() for c in v), default=1)
    table.tick_params(axis="both", length=0, labelbottom=False, labelsize="small")
    table.tick_params(axis="y", pad=4 + 3.5 * widest)
    for spine in table.spines.values():
        spine.set_visible(False)
    title = "Number at risk"
    if weights_col:
        title += (
            f" (patients, unweighted; curves weighted by {labels.label(weights_col, unit=False)})"
        )
    table.set_title(title, loc="left", fontsize="small", pad=2)
    for row, g in enumerate(groups):
        sub = counts[counts["group"] == g]
        for t, text in zip(sub["time"], cells[g], strict=True):
            table.text(t, row, text, ha="center", va="center", fontsize="small", color=colors[g])
    table.set_gid("risk_table")
    return table


def _note(ax: Axes, text: str) -> None:
    """The disclosure note under the risk table (or under the axis without one)."""
    if not text:
        return
    tables = [a for a in ax.child_axes if a.get_gid() == "risk_table"]
    anchor, offset = (tables[0], -6) if tables else (ax, -42)
    anchor.annotate(
        text,
        xy=(0.0, 0.0),
        xycoords="axes fraction",
        xytext=(0, offset),
        textcoords="offset points",
        ha="left",
        va="top",
        fontsize="x-small",
        color="0.3",
        gid="disclosure_note",
    )


def _p_text(ax: Axes, name: str, p_value: Any) -> None:
    p = float(getattr(p_value, "p_value", p_value))
    if not np.isfinite(p):
        return
    text = f"{name} p < 0.001" if p < 0.001 else f"{name} p = {p:.3f}"
    ax.set_title(text, loc="right", fontsize="small", gid="p_value")


def pool_groups(result: KaplanMeierResult, max_curves: int = 8) -> KaplanMeierResult:
    """Keep the ``max_curves - 1`` largest groups and pool the rest into one "Other" curve.

    The pooled curve is the Kaplan-Meier estimate of the pooled rows, refitted from the
    result's own event and censoring counts (exact without delayed entry; for a weighted fit
    from its weighted counts, exact for the estimate and the Greenwood variance, while a
    weighted fit with the robust variance, which needs every row's weight, is refused).

    Parameters
    ----------
    result : KaplanMeierResult
        From :func:`netstats.survival.kaplan_meier`.
    max_curves : int, default=8
        Most curves to keep, "Other" included.

    Returns
    -------
    KaplanMeierResult
        ``result`` itself when it has at most ``max_curves`` groups.

    Examples
    --------
    >>> import pandas as pd
    >>> from netstats.survival import kaplan_meier
    >>> df = pd.DataFrame({"time": [1.0, 2, 3, 4, 5, 6], "event": 1,
    ...                    "arm": ["a", "a", "a", "b", "b", "c"]})
    >>> pool_groups(kaplan_meier(df, group="arm"), max_curves=2).groups
    ('a', 'Other (2 groups)')
    """
    from netstats.survival import kaplan_meier

    if max_curves < 2:
        raise ValueError(f"max_curves must be >= 2, got {max_curves}")
    if len(result.groups) <= max_curves:
        return result
    if result.entry_col is not None:
        raise ValueError("groups of a left-truncated fit cannot be pooled; use panels=True")
    if result.weights_col is not None and result.variance == "robust":
        raise ValueError(
            "groups of a weighted fit with the robust variance cannot be pooled (the variance "
            "needs every row's weight); use panels=True"
        )
    order = sorted(range(len(result.groups)), key=lambda i: -result.group_sizes[i])
    keep = sorted(order[: max_curves - 1])
    rest = [result.groups[i] for i in order[max_curves - 1 :]]
    s = result.summary
    other = s[s["group"].isin(rest)]
    times = np.concatenate(
        [
            np.repeat(other["time"].to_numpy(), other["n_events"].to_numpy()),
            np.repeat(other["time"].to_numpy(), other["n_censored"].to_numpy()),
        ]
    )
    events = np.concatenate(
        [np.ones(int(other["n_events"].sum())), np.zeros(int(other["n_censored"].sum()))]
    )
    rows = pd.DataFrame({"time": times, "event": events.astype(int)})
    if result.weights_col is not None:
        # each time's weighted sums spread evenly over its rows: the same weighted counts at
        # every time, hence the same estimate and Greenwood variance
        with np.errstate(divide="ignore", invalid="ignore"):
            per_event = other["weighted_events"].to_numpy() / other["n_events"].to_numpy()
            per_cens = other["weighted_censored"].to_numpy() / other["n_censored"].to_numpy()
        rows["w"] = np.concatenate(
            [
                np.repeat(per_event, other["n_events"].to_numpy()),
                np.repeat(per_cens, other["n_censored"].to_numpy()),
            ]
        )
    name = f"Other ({len(rest)} groups)"
    pooled = kaplan_meier(
        rows,
        conf_level=result.conf_level,
        conf_type=result.conf_type,  # type: ignore[arg-type]
        weights=None if result.weights_col is None else "w",
        variance=result.variance,  # type: ignore[arg-type]
    )
    summary = pd.concat(
        [s[s["group"].isin([result.groups[i] for i in keep])], pooled.summary.assign(group=name)],
        ignore_index=True,
    )
    return dataclasses.replace(
        result,
        summary=summary,
        groups=(*[result.groups[i] for i in keep], name),
        group_sizes=(*[result.group_sizes[i] for i in keep], int(events.size)),
    )


def _subset(result: KaplanMeierResult, groups: Sequence[object]) -> KaplanMeierResult:
    idx = [result.groups.index(g) for g in groups]
    return dataclasses.replace(
        result,
        summary=result.summary[result.summary["group"].isin(list(groups))],
        groups=tuple(groups),
        group_sizes=tuple(result.group_sizes[i] for i in idx),
    )


def km(
    result: KaplanMeierResult,
    *,
    ax: Axes | None = None,
    threshold: int = 0,
    risk_table: bool = True,
    ci: bool = True,
    censor_marks: bool = True,
    median_lines: bool = False,
    p_value: float | Any | None = None,
    times: Sequence[float] | None = None,
    endpoint: str | None = None,
    ylabel: str | None = None,
    xlabel: str | None = None,
    max_curves: int = 8,
    panels: bool = False,
    legend: str = "right",
) -> Axes:
    """Plot Kaplan-Meier curves with CI bands and a number-at-risk table, safe at ``threshold``.

    Parameters
    ----------
    result : KaplanMeierResult
        From :func:`netstats.survival.kaplan_meier`.
    ax : matplotlib.axes.Axes or None, default=None
        Axes to draw on; a new figure when None (not with ``panels``).
    threshold : int, default=0
        The report's suppression threshold k. Each drawn step joins at least k events, a
        curve (and its band) stops where fewer than k remain at risk, risk-table counts
        1..k-1 read "<k", censor marks are not drawn, and a note under the figure says so
        (see :func:`km_steps` for exactly what is drawn).
    risk_table : bool, default=True
        Draw the number at risk at ``times`` under the axis, one row per curve.
    ci : bool, default=True
        Shade the pointwise confidence band (the result's ``conf_type``).
    censor_marks : bool, default=True
        Mark censoring times with "|" (only when ``threshold`` <= 1).
    median_lines : bool, default=False
        Draw dashed lines to each median survival that is reached.
    p_value : float, object with ``p_value`` (e.g. LogrankResult) or None, default=None
        Shown above the axis ("Log-rank p = ...").
    times : sequence of float or None, default=None
        Times (months) for the risk table; the x ticks when None.
    endpoint : str or None, default=None
        Endpoint key ("pfs", "os", ...) naming the y axis, e.g. "Progression-free survival
        (probability)"; taken from the result's time column (``pfs_months``) when None.
    ylabel, xlabel : str or None, default=None
        Axis titles overriding the endpoint's ("Months since start of line" for line
        endpoints, "Time (months)" otherwise).
    max_curves : int, default=8
        Most curves per panel. With more groups and ``panels=False`` the ``max_curves - 1``
        largest groups are drawn and the rest pooled into one "Other" curve
        (:func:`pool_groups`); with ``panels=True`` the groups, largest first, are split
        over small multiples of at most ``max_curves`` curves each.
    panels : bool, default=False
        Small multiples instead of pooling (see ``max_curves``).
    legend : {"right", "below"}, default="right"
        Legend beside or below the axes, never over the curves.

    Returns
    -------
    matplotlib.axes.Axes
        The curve axes (the first panel's with ``panels``); the risk table is its child
        axes with gid "risk_table"; the disclosure note is a figure text with gid
        "disclosure_note" and ``ax.netstats_note``.

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
    k = _check_threshold(threshold)
    if max_curves < 2:
        raise ValueError(f"max_curves must be >= 2, got {max_curves}")
    if panels and len(result.groups) > max_curves:
        if ax is not None:
            raise ValueError("panels=True draws its own figure; do not pass ax")
        import matplotlib.pyplot as plt

        order = sorted(result.groups, key=lambda g: -result.group_sizes[result.groups.index(g)])
        chunks = [order[i : i + max_curves] for i in range(0, len(order), max_curves)]
        # the risk tables hang below their axes (inset axes, outside any layout engine):
        # leave room for them between the panels
        rows = max(len(c) for c in chunks)
        gap = 0.2 + 0.075 * rows + 0.3 if risk_table else 0.35
        fig = plt.figure(figsize=(9.0, (4.0 * (1 + gap)) * len(chunks)))
        axes = fig.subplots(len(chunks), 1, sharex=True, squeeze=False)
        fig.subplots_adjust(left=0.2, right=0.66, hspace=gap, top=0.97, bottom=0.1)
        for a, chunk in zip(axes.flat, chunks, strict=True):
            sub = _subset(result, chunk)
            _draw_km(
                sub, a, k, risk_table, ci, censor_marks, median_lines, None, times,
                endpoint, ylabel, xlabel, legend, first_index=order.index(chunk[0]),
                note=a is axes.flat[-1],
            )  # fmt: skip
            a.tick_params(labelbottom=True)
        for a in list(axes.flat)[len(chunks) :]:
            a.set_visible(False)
        first = axes.flat[0]
        if p_value is not None:
            _p_text(first, "Log-rank", p_value)
        return first
    shown = pool_groups(result, max_curves) if len(result.groups) > max_curves else result
    return _draw_km(
        shown, _get_ax(ax), k, risk_table, ci, censor_marks, median_lines, p_value, times,
        endpoint, ylabel, xlabel, legend,
    )  # fmt: skip


def _band(ax: Axes, x: np.ndarray, lo: np.ndarray, hi: np.ndarray, color: str) -> None:
    ok = ~(np.isnan(lo) | np.isnan(hi))
    ax.fill_between(x, lo, hi, where=ok, step="post", color=color, alpha=0.15, lw=0)


def _draw_km(
    result: KaplanMeierResult,
    ax: Axes,
    k: int,
    risk_table: bool,
    ci: bool,
    censor_marks: bool,
    median_lines: bool,
    p_value: Any,
    times: Sequence[float] | None,
    endpoint: str | None,
    ylabel: str | None,
    xlabel: str | None,
    legend: str,
    first_index: int = 0,
    note: bool = True,
) -> Axes:
    s = result.summary
    steps = km_steps(result, k)
    styles = {}
    names = {}
    hidden = []
    t_max = float(s["time"].max()) if len(s) else 1.0
    for i, g in enumerate(result.groups):
        st = series_style(first_index + i)
        color = GREY if isinstance(g, str) and g.startswith("Other (") else st.color
        styles[g] = color
        names[g] = _group_label(result, g)
        sub = steps[steps["group"] == g]
        if sub.empty:
            hidden.append(names[g])
            continue
        x = sub["time"].to_numpy(dtype=float)
        n = result.group_sizes[i]
        ax.step(
            x,
            sub["estimate"].to_numpy(dtype=float),
            where="post",
            color=color,
            ls=st.linestyle,
            lw=1.6,
            label=f"{names[g]} (n = {n})",
        )
        if ci:
            _band(ax, x, sub["ci_lower"].to_numpy(float), sub["ci_upper"].to_numpy(float), color)
        if censor_marks and k <= 1:
            cens = s[(s["group"] == g) & (s["n_censored"] > 0)]
            ax.plot(
                cens["time"], cens["survival"], ls="none", marker="|", ms=7, mew=1.2,
                color=color, gid="censor_marks",
            )  # fmt: skip
    if median_lines:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", StatisticalWarning)  # not reached: no line drawn
            med = result.median()
        for _, row in med.dropna(subset=["estimate"]).iterrows():
            if names[row["group"]] in hidden:
                continue
            m = float(row["estimate"])
            ax.plot([0, m], [0.5, 0.5], ls="--", lw=0.9, color="0.4", gid="median_line")
            ax.plot(
                [m, m], [0, 0.5], ls="--", lw=0.9, color=styles[row["group"]], gid="median_line"
            )
    ep = endpoint or _endpoint_of(result.time_col)
    ax.set_ylim(0.0, 1.05)
    ax.set_xlabel(xlabel or _time_label(ep))
    if ylabel is None:
        ylabel = f"{labels.endpoint_label(ep)} (probability)" if ep else "Survival probability"
    ax.set_ylabel(ylabel)
    ax.spines[["top", "right"]].set_visible(False)
    title = labels.label(result.group_col, unit=False) if result.group_col else None
    legend_outside(ax, where=legend, title=title)
    if p_value is not None:
        _p_text(ax, "Log-rank", p_value)
    ticks = _tick_times(ax, times, t_max)
    if len(ticks):
        ax.set_xticks(ticks)
    if risk_table:
        counts, _ = result._at_table(ticks)
        drawn = [g for g in result.groups if names[g] not in hidden]
        if drawn:
            _risk_table(ax, counts, drawn, names, styles, k, result.weights_col)
    text = curve_note(k, hidden)
    ax.netstats_note = text  # type: ignore[attr-defined]
    if note:
        _note(ax, text)
    return ax


def _cause_name(cause: object, cause_names: Mapping[object, str] | None) -> str:
    if cause_names is not None and cause in cause_names:
        return str(cause_names[cause])
    if isinstance(cause, str):
        return _cap(labels.level_label("cause", cause))
    return f"Cause {cause}"


def cumulative_incidence(
    result: CumulativeIncidenceResult,
    *,
    ax: Axes | None = None,
    causes: Sequence[object] | None = None,
    cause_names: Mapping[object, str] | None = None,
    threshold: int = 0,
    risk_table: bool = True,
    ci: bool = True,
    p_value: float | Any | None = None,
    times: Sequence[float] | None = None,
    endpoint: str | None = None,
    xlabel: str | None = None,
    ylabel: str | None = None,
    legend: str = "right",
) -> Axes:
    """Plot cumulative incidence curves (colour by group, line style by cause), safe at k.

    Parameters
    ----------
    result : CumulativeIncidenceResult
        From :func:`netstats.survival.cumulative_incidence`.
    ax : matplotlib.axes.Axes or None, default=None
        Axes to draw on; a new figure when None.
    causes : sequence or None, default=None
        Causes to draw (all when None).
    cause_names : mapping or None, default=None
        Cause code -> reader's name for the legend (e.g. ``{1: "Progression"}``); string
        causes are named from :mod:`netstats.labels` without it.
    threshold : int, default=0
        The report's suppression threshold k; as in :func:`km` (see :func:`cif_steps`).
    risk_table : bool, default=True
        Number at risk at ``times`` under the axis, one row per group.
    ci : bool, default=True
        Shade the pointwise confidence band.
    p_value : float, object with ``p_value`` or None, default=None
        Shown above the axis as "Gray's test p = ...". For a GrayTestResult pass the
        p-value of the cause shown.
    times : sequence of float or None, default=None
        Risk-table times (months); the x ticks when None.
    endpoint : str or None, default=None
        Endpoint key for the x axis ("Months since start of line"); from the time column
        when None.
    xlabel, ylabel : str or None, default=None
        Axis titles overriding the defaults.
    legend : {"right", "below"}, default="right"
        Legend beside or below the axes.

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
    k = _check_threshold(threshold)
    ax = _get_ax(ax)
    s = result.summary
    chosen = list(result.causes if causes is None else causes)
    unknown = [c for c in chosen if c not in result.causes]
    if unknown:
        raise ValueError(f"causes {unknown} not in the result; available: {list(result.causes)}")
    steps = cif_steps(result, k, chosen)
    colors = {g: series_style(i).color for i, g in enumerate(result.groups)}
    names = {g: _group_label(result, g) for g in result.groups}
    t_max = float(s["time"].max()) if len(s) else 1.0
    hidden = []
    for gi, g in enumerate(result.groups):
        for ci_, cause in enumerate(chosen):
            sub = steps[(steps["group"] == g) & (steps["cause"] == cause)]
            cname = _cause_name(cause, cause_names)
            name = f"{names[g]}: {cname}" if result.group_col else cname
            if sub.empty:
                if names[g] not in hidden:
                    hidden.append(names[g])
                continue
            x = sub["time"].to_numpy(dtype=float)
            n = result.group_sizes[gi]
            ax.step(
                x,
                sub["estimate"].to_numpy(dtype=float),
                where="post",
                color=colors[g],
                ls=LINESTYLES[ci_ % len(LINESTYLES)],
                lw=1.6,
                label=f"{name} (n = {n})" if ci_ == 0 or not result.group_col else name,
            )
            if ci:
                _band(ax, x, sub["ci_lower"].to_numpy(float), sub["ci_upper"].to_numpy(float),
                      colors[g])  # fmt: skip
    ep = endpoint or _endpoint_of(result.time_col)
    ax.set_ylim(0.0, 1.0)
    ax.set_xlabel(xlabel or _time_label(ep))
    ax.set_ylabel(ylabel or "Cumulative incidence")
    ax.spines[["top", "right"]].set_visible(False)
    title = labels.label(result.group_col, unit=False) if result.group_col else "Cause"
    legend_outside(ax, where=legend, title=title)
    if p_value is not None:
        _p_text(ax, "Gray's test", p_value)
    ticks = _tick_times(ax, times, t_max)
    if len(ticks):
        ax.set_xticks(ticks)
    if risk_table:
        counts = result.at(ticks)
        counts = counts[counts["cause"] == result.causes[0]]  # same risk set for every cause
        drawn = [g for g in result.groups if names[g] not in hidden]
        if drawn:
            _risk_table(ax, counts, drawn, names, colors, k, result.weights_col)
    note = curve_note(k, hidden)
    ax.netstats_note = note  # type: ignore[attr-defined]
    _note(ax, note)
    return ax

"""Residual diagnostics of a Cox model: functional form, influence and deviance residuals.

Every figure is drawn from finished results: ``cox_functional_form`` and
``CoxResult.residuals`` (``cox_residuals``); rows are named by their position in the fitted
data (``row``), never by an identifier column.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from netstats import labels
from netstats.plots._style import GREY, OKABE_ITO, legend_outside

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["deviance_plot", "functional_form", "influence"]


def _axes_row(n: int, axes: Sequence[Axes] | Axes | None, width: float) -> np.ndarray:
    import matplotlib.pyplot as plt

    if axes is None:
        _, created = plt.subplots(
            1, n, figsize=(width * n, 3.6), squeeze=False, layout="constrained"
        )
        return np.asarray(created[0], dtype=object)
    arr = np.asarray(axes, dtype=object).ravel()
    if arr.size != n:
        raise ValueError(f"need {n} axes, got {arr.size}")
    return arr


def _tidy(ax: Axes) -> None:
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def functional_form(
    result: Any,
    data: pd.DataFrame | None = None,
    covariates: str | Sequence[str] | None = None,
    *,
    model: Literal["null", "fitted"] = "null",
    axes: Sequence[Axes] | None = None,
) -> np.ndarray:
    """Martingale residuals against continuous covariates with their lowess smooth.

    Parameters
    ----------
    result : pandas.DataFrame or CoxResult
        The frame of ``netstats.survival.cox_functional_form``, or a fitted model (then
        ``data`` and ``covariates`` are passed to it with ``model``).
    data : pandas.DataFrame, optional
        The data the model was fitted on (with a model only).
    covariates : str or sequence of str, optional
        Numeric columns to check (with a model only; all of the frame's by default).
    model : {"null", "fitted"}, default="null"
        Residuals of the null or of the fitted model (with a model only); see
        ``cox_functional_form``.
    axes : sequence of matplotlib.axes.Axes, optional
        One axes per covariate; a new figure with one row of panels otherwise.

    Returns
    -------
    numpy.ndarray of matplotlib.axes.Axes
        One axes per covariate: the residuals (grey points), the smooth (black line,
        the ``smooth`` column in the order of ``value``) and zero (dotted line).

    Notes
    -----
    With the null model the smooth estimates the shape of the covariate's effect on the
    log hazard (Therneau, Grambsch & Fleming 1990); with the fitted model a flat smooth
    says the model's form of the covariate is adequate.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from netstats.survival import cox
    >>> rng = np.random.default_rng(5)
    >>> d = pd.DataFrame({"ki67": rng.uniform(1, 40, 120)})
    >>> d["time"], d["event"] = rng.exponential(np.exp(-0.05 * d["ki67"])), 1
    >>> axes = functional_form(cox(d, "ki67", time="time", event="event"), d, "ki67")
    >>> len(axes)
    1
    """
    if isinstance(result, pd.DataFrame):
        frame = result
        need = {"covariate", "value", "martingale", "smooth", "model"}
        if not need <= set(frame.columns):
            raise ValueError(
                f"result must be the frame of cox_functional_form (columns "
                f"{', '.join(sorted(need))}) or a CoxResult"
            )
        if covariates is not None:
            wanted = [covariates] if isinstance(covariates, str) else list(covariates)
            frame = frame[frame["covariate"].isin(wanted)]
    else:
        from netstats.survival import cox_functional_form

        if data is None or covariates is None:
            raise ValueError("with a fitted model, pass data= and covariates=")
        frame = cox_functional_form(result, data, covariates, model=model)
    names = list(dict.fromkeys(frame["covariate"]))
    arr = _axes_row(len(names), axes, 4.2)
    for ax, name in zip(arr, names, strict=True):
        part = frame[frame["covariate"] == name]
        which = "null model" if part["model"].iloc[0] == "null" else "fitted model"
        ax.scatter(part["value"], part["martingale"], s=10, color="0.55", alpha=0.7, linewidths=0)
        line = part.sort_values("value", kind="stable")
        ax.plot(line["value"], line["smooth"], color="black", linewidth=1.6, label="lowess")
        ax.axhline(0.0, color=GREY, linestyle=":", linewidth=0.9)
        ax.set_xlabel(labels.label(name))
        ax.set_ylabel(f"Martingale residual ({which})")
        ax.set_title(labels.label(name, unit=False))
        _tidy(ax)
    return arr


def influence(
    fit: Any,
    *,
    terms: Sequence[str] | None = None,
    n_marked: int = 3,
    axes: Sequence[Axes] | None = None,
) -> np.ndarray:
    """Index plot of the scaled influence (dfbetas) of every row on each coefficient.

    Parameters
    ----------
    fit : CoxResult
        A fitted model.
    terms : sequence of str, optional
        Model columns (``fit.summary["term"]``) to draw; default all.
    n_marked : int, default=3
        The rows with the largest absolute dfbetas in each panel are marked with their
        row position (0-based, ``row`` of ``fit.residuals``), never with an identifier.
    axes : sequence of matplotlib.axes.Axes, optional
        One axes per term; a new figure with one row of panels otherwise.

    Returns
    -------
    numpy.ndarray of matplotlib.axes.Axes
        One axes per term: dfbetas against row position (vertical stems), guide lines at
        ``+/- 2 / sqrt(n)`` (Belsley, Kuh & Welsch's size-adjusted cut-off) and the
        marked rows.

    Notes
    -----
    dfbetas is the approximate change in the coefficient when the row is left out, in
    units of the coefficient's standard error (R ``residuals(fit, "dfbetas")``, weighted
    by the case weights). Rows beyond the guide lines deserve a look, not removal.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from netstats.survival import cox
    >>> rng = np.random.default_rng(5)
    >>> d = pd.DataFrame({"x": rng.normal(size=100)})
    >>> d["time"], d["event"] = rng.exponential(1, 100), 1
    >>> axes = influence(cox(d, "x", time="time", event="event"))
    >>> len(axes)
    1
    """
    all_terms = list(fit.summary["term"])
    names = list(terms) if terms is not None else all_terms
    unknown = [t for t in names if t not in all_terms]
    if unknown:
        raise ValueError(f"unknown term(s): {', '.join(unknown)}; terms: {', '.join(all_terms)}")
    if n_marked < 0:
        raise ValueError(f"n_marked must be >= 0, got {n_marked}")
    from matplotlib.ticker import MaxNLocator

    res = fit.residuals("dfbetas")
    row = res["row"].to_numpy()
    n = row.size
    guide = 2.0 / np.sqrt(n)
    arr = _axes_row(len(names), axes, 4.8)
    for ax, term in zip(arr, names, strict=True):
        y = res[term].to_numpy()
        ax.vlines(row, 0.0, y, color=OKABE_ITO[0], linewidth=0.8)
        ax.axhline(0.0, color="black", linewidth=0.6)
        for level in (guide, -guide):
            ax.axhline(level, color=GREY, linestyle="--", linewidth=0.9)
        top = np.argsort(-np.abs(y), kind="stable")[:n_marked]
        ax.scatter(row[top], y[top], s=18, color=OKABE_ITO[3], zorder=3)
        placed: list[tuple[float, bool, bool]] = []  # (x, above zero, label on the left)
        for i in top:
            up = bool(y[i] >= 0)
            # a label next to an earlier one on the same side goes to the other side
            left = any(abs(row[i] - px) < 0.06 * n and pu == up and not pl for px, pu, pl in placed)
            placed.append((float(row[i]), up, left))
            ax.annotate(
                f"row {row[i]}",
                (row[i], y[i]),
                xytext=(-3 if left else 3, 3 if up else -3),
                textcoords="offset points",
                ha="right" if left else "left",
                va="bottom" if up else "top",
                fontsize="x-small",
            )
        lim = max(float(np.abs(y).max(initial=0.0)), guide) * 1.15
        ax.set_ylim(-lim, lim)
        ax.set_xlim(-0.02 * n, 1.02 * n)
        ticks = np.asarray(MaxNLocator(nbins=5, integer=True).tick_values(0, n - 1))
        ax.set_xticks(ticks[(ticks >= 0) & (ticks <= n - 1)])
        ax.set_xlabel("Row of the fitted data")
        ax.set_ylabel(labels.label("dfbetas"))
        ax.set_title(labels.term_label(term))
        _tidy(ax)
    return arr


def deviance_plot(fit: Any, *, ax: Axes | None = None) -> Axes:
    """Deviance residuals against the linear predictor, events and censored rows apart.

    Parameters
    ----------
    fit : CoxResult
        A fitted model.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure otherwise.

    Returns
    -------
    matplotlib.axes.Axes
        Points for events and for censored rows (legend beside the axes) and zero
        (dotted line).

    Notes
    -----
    Deviance residuals are martingale residuals made roughly symmetric about zero
    (R ``residuals(fit, "deviance")``); large absolute values mark rows the model fits
    poorly (events far earlier, positive, or censored far later, negative, than the
    linear predictor expects). A trend against the linear predictor suggests a
    misspecified model.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from netstats.survival import cox
    >>> rng = np.random.default_rng(5)
    >>> d = pd.DataFrame({"x": rng.normal(size=100)})
    >>> d["time"] = rng.exponential(1, 100)
    >>> d["event"] = (rng.uniform(size=100) < 0.7).astype(int)
    >>> ax = deviance_plot(cox(d, "x", time="time", event="event"))
    >>> ax.get_xlabel()
    'Linear predictor'
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(5.6, 3.8), layout="constrained")
    res = fit.residuals("deviance")
    lp = res["linear_predictor"].to_numpy()
    dev = res["deviance"].to_numpy()
    event = res["event"].to_numpy(dtype=bool)
    for k, (mask, name) in enumerate(((event, "Event"), (~event, "Censored"))):
        if mask.any():
            ax.scatter(
                lp[mask],
                dev[mask],
                s=12,
                color=OKABE_ITO[k],
                marker="o" if k == 0 else "s",
                alpha=0.75,
                linewidths=0,
                label=name,
            )
    ax.axhline(0.0, color=GREY, linestyle=":", linewidth=0.9)
    ax.set_xlabel(labels.label("linear_predictor"))
    ax.set_ylabel(labels.label("deviance"))
    _tidy(ax)
    legend_outside(ax)
    return ax

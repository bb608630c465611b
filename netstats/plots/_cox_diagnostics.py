"""Residual diagnostics of a Cox model: functional form, influence and deviance residuals.

Every figure is drawn from ``CoxResult.residuals`` (``cox_residuals``); rows are named by
their position in the fitted data (``row``), never by an identifier column.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from netstats import labels
from netstats.plots._style import GREY, OKABE_ITO, legend_outside

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["deviance_plot", "functional_form", "influence", "lowess"]

#: Smoother span of :func:`lowess` (R's ``lowess`` default ``f = 2/3``).
LOWESS_FRAC = 2.0 / 3.0


def lowess(
    x: npt.ArrayLike, y: npt.ArrayLike, *, frac: float = LOWESS_FRAC
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Robust locally weighted regression of ``y`` on ``x`` (R ``lowess``: three robustness
    iterations, ``delta`` = 1% of the range of ``x``), sorted by ``x``.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.linspace(0, 1, 50)
    >>> xs, ys = lowess(x, 2 * x + 1)
    >>> bool(np.allclose(ys, 2 * xs + 1))
    True
    """
    from statsmodels.nonparametric.smoothers_lowess import lowess as sm_lowess

    xx = np.asarray(x, dtype=float)
    yy = np.asarray(y, dtype=float)
    if not 0.0 < frac <= 1.0:
        raise ValueError(f"frac must be in (0, 1], got {frac}")
    delta = 0.01 * float(np.ptp(xx)) if xx.size else 0.0
    out = sm_lowess(yy, xx, frac=frac, it=3, delta=delta, return_sorted=True)
    return np.asarray(out[:, 0], dtype=float), np.asarray(out[:, 1], dtype=float)


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
    fit: Any,
    data: pd.DataFrame,
    covariates: str | Sequence[str],
    *,
    model: Literal["null", "fitted"] = "null",
    frac: float = LOWESS_FRAC,
    axes: Sequence[Axes] | None = None,
) -> np.ndarray:
    """Martingale residuals against continuous covariates with a lowess smoother.

    Parameters
    ----------
    fit : CoxResult
        A model fitted by ``cox`` on ``data``.
    data : pandas.DataFrame
        The data the model was fitted on (same rows, same order).
    covariates : str or sequence of str
        Numeric columns of ``data`` to check, one panel each (they need not be in the
        model).
    model : {"null", "fitted"}, default="null"
        ``"null"``: residuals of the model without covariates (the same strata, weights
        and risk sets), whose smooth estimates the shape of the covariate's effect on
        the log hazard (Therneau, Grambsch & Fleming 1990). ``"fitted"``: residuals of
        the fitted model; a flat smooth then says the model's form of the covariate is
        adequate, a curve shows what is missing.
    frac : float, default=2/3
        Span of the lowess smoother (R's default).
    axes : sequence of matplotlib.axes.Axes, optional
        One axes per covariate; a new figure with one row of panels otherwise.

    Returns
    -------
    numpy.ndarray of matplotlib.axes.Axes
        One axes per covariate: the residuals (grey points), the lowess smooth (black
        line) and zero (dotted line).

    Raises
    ------
    ValueError
        ``data`` has another number of rows than the fit, a covariate is missing or not
        numeric, or ``model`` is unknown.

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
    if model not in ("null", "fitted"):
        raise ValueError(f"model must be 'null' or 'fitted', got {model!r}")
    names = [covariates] if isinstance(covariates, str) else list(covariates)
    if len(data) != fit.n:
        raise ValueError(
            f"data has {len(data)} rows but the model was fitted on {fit.n}; pass the "
            "data the model was fitted on"
        )
    for name in names:
        if name not in data.columns:
            raise ValueError(f"covariate column {name!r} not found in data")
        if not pd.api.types.is_numeric_dtype(data[name]):
            raise ValueError(
                f"covariate column {name!r} must be numeric (a continuous covariate), "
                f"got dtype {data[name].dtype}"
            )
    res = fit.residuals("martingale", null=model == "null")
    mart = res["martingale"].to_numpy()
    positions = res["row"].to_numpy()
    arr = _axes_row(len(names), axes, 4.2)
    which = "null model" if model == "null" else "fitted model"
    for ax, name in zip(arr, names, strict=True):
        x = data[name].to_numpy(dtype=float, na_value=np.nan)[positions]
        ok = np.isfinite(x)
        ax.scatter(x[ok], mart[ok], s=10, color="0.55", alpha=0.7, linewidths=0)
        xs, ys = lowess(x[ok], mart[ok], frac=frac)
        ax.plot(xs, ys, color="black", linewidth=1.6, label="lowess")
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


def deviance_plot(
    fit: Any, *, smooth: bool = True, frac: float = LOWESS_FRAC, ax: Axes | None = None
) -> Axes:
    """Deviance residuals against the linear predictor, events and censored rows apart.

    Parameters
    ----------
    fit : CoxResult
        A fitted model.
    smooth : bool, default=True
        Add a lowess smoother of the residuals.
    frac : float, default=2/3
        Span of the smoother.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure otherwise.

    Returns
    -------
    matplotlib.axes.Axes
        Points for events and for censored rows (legend beside the axes), zero (dotted
        line) and the smooth.

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
    event = np.zeros(lp.size, dtype=bool)
    event[fit.residuals("schoenfeld")["row"].to_numpy()] = True  # the rows with an event
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
    if smooth and lp.size > 2 and np.ptp(lp) > 0:
        xs, ys = lowess(lp, dev, frac=frac)
        ax.plot(xs, ys, color="black", linewidth=1.4, label="lowess")
    ax.set_xlabel(labels.label("linear_predictor"))
    ax.set_ylabel(labels.label("deviance"))
    _tidy(ax)
    legend_outside(ax)
    return ax

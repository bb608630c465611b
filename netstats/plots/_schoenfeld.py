"""Scaled Schoenfeld residual plots (one panel per term), drawn from a ``cox_zph`` result."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from netstats import labels
from netstats.plots._style import OKABE_ITO

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["schoenfeld"]

_XLABEL = {"km": "1 - KM(t)", "identity": "Time", "rank": "Rank of time"}


def schoenfeld(
    zph: Any,
    *,
    terms: Sequence[str] | None = None,
    axes: Sequence[Axes] | None = None,
    df: int = 4,
    conf_level: float = 0.95,
    show_p: bool = True,
) -> np.ndarray:
    """Plot scaled Schoenfeld residuals against transformed time, one panel per term.

    Parameters
    ----------
    zph : ZphResult
        Result of ``cox_zph`` / ``CoxResult.check_ph``.
    terms : sequence of str, optional
        Terms to draw (default: all).
    axes : sequence of matplotlib.axes.Axes, optional
        One axes per term; a new figure with one row of panels otherwise.
    df : int, default=4
        Degrees of freedom of the natural-spline smooth (``ZphResult.smooth``; R's default).
    conf_level : float, default=0.95
        Level of the pointwise band around the smooth.
    show_p : bool, default=True
        Put the term's test p-value in the panel title.

    Returns
    -------
    numpy.ndarray of matplotlib.axes.Axes
        One axes per term.

    Notes
    -----
    Points are the residuals (an estimate of ``beta(t)``); the line and band come from
    ``ZphResult.smooth`` (as R's ``plot.cox.zph``); the dotted horizontal line is the
    mean of the residuals (about the fitted coefficient: proportional hazards). A trend suggests a
    time-varying effect. The x axis is the transformed time of the test.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from netstats.survival._cox import cox
    >>> rng = np.random.default_rng(5)
    >>> d = pd.DataFrame({"x": rng.normal(size=100)})
    >>> d["time"], d["event"] = rng.exponential(1, 100), 1
    >>> axes = schoenfeld(cox(d, "x", time="time", event="event").check_ph())
    >>> len(axes)
    1
    """
    import matplotlib.pyplot as plt

    names = list(terms) if terms is not None else list(zph.residuals.columns)
    unknown = [t for t in names if t not in zph.residuals.columns]
    if unknown:
        raise ValueError(f"unknown term(s): {', '.join(unknown)}")
    if axes is None:
        _, created = plt.subplots(
            1, len(names), figsize=(4.2 * len(names), 3.6), squeeze=False, layout="constrained"
        )
        axes_arr = created[0]
    else:
        axes_arr = np.asarray(axes, dtype=object).ravel()
        if axes_arr.size != len(names):
            raise ValueError(f"need {len(names)} axes, got {axes_arr.size}")
    pvals = zph.summary.set_index("term")["p_value"]
    for ax, term in zip(axes_arr, names, strict=True):
        y = zph.residuals[term].to_numpy()
        ok = np.isfinite(y)
        ax.scatter(zph.x[ok], y[ok], s=9, color="0.55", alpha=0.7, linewidths=0)
        sm = zph.smooth(term, df=df, conf_level=conf_level)
        ax.plot(sm["x"], sm["estimate"], color="black", linewidth=1.6)
        ax.fill_between(sm["x"], sm["ci_lower"], sm["ci_upper"], color=OKABE_ITO[0], alpha=0.2,
                        linewidth=0)  # fmt: skip
        ax.axhline(float(np.nanmean(y)), color="black", linestyle=":", linewidth=0.9)
        ax.set_xlabel(_XLABEL.get(zph.transform, "Transformed time"))
        name = labels.term_label(term)
        ax.set_ylabel(f"Beta(t) for {name}" if len(name) <= 24 else "Beta(t)")
        title = name
        if show_p and term in pvals.index:
            title += f"  (p = {pvals[term]:.3g})"
        ax.set_title(title)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
    return axes_arr

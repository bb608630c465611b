"""Survival curves predicted from a Cox model: for covariate profiles, and adjusted by group.

Drawn from finished results only (:func:`netstats.survival.predict_survival`,
:func:`netstats.survival.adjusted_survival`): each curve is a right-continuous step
function starting at survival 1 at time 0, with its pointwise confidence band as a
shaded step band. matplotlib is imported inside the functions.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from netstats import labels
from netstats.plots._km import _get_ax
from netstats.plots._style import legend_outside, series_style

if TYPE_CHECKING:  # pragma: no cover - typing only
    from matplotlib.axes import Axes

    from netstats.survival import AdjustedSurvivalResult, CoxSurvivalResult

__all__ = ["adjusted_curves", "cox_survival"]

TIME_LABEL = "Time (months)"
SURVIVAL_LABEL = "Survival probability"
BAND_ALPHA = 0.2


def _draw(ax: Axes, sub: pd.DataFrame, index: int, label: str, ci: bool, gid: str) -> None:
    """One step curve from (0, 1) with its band; the line carries ``gid``."""
    t = np.concatenate([[0.0], sub["time"].to_numpy(dtype=float)])
    s = np.concatenate([[1.0], sub["survival"].to_numpy(dtype=float)])
    style = series_style(index)
    (line,) = ax.step(t, s, where="post", label=label, **style.line_kwargs())
    line.set_gid(gid)
    if ci:
        lo = np.concatenate([[1.0], sub["ci_lower"].to_numpy(dtype=float)])
        hi = np.concatenate([[1.0], sub["ci_upper"].to_numpy(dtype=float)])
        ok = ~(np.isnan(lo) | np.isnan(hi))  # no band where a limit is not estimable
        band = ax.fill_between(
            t, lo, hi, where=ok, step="post", color=style.color, alpha=BAND_ALPHA, linewidth=0
        )
        band.set_gid(f"{gid}_band")


def _finish(ax: Axes, t_max: float, title: str | None, legend_title: str | None) -> None:
    ax.set_xlim(0.0, t_max * 1.02 if t_max > 0 else 1.0)
    ax.set_ylim(0.0, 1.02)
    ax.set_xlabel(TIME_LABEL)
    ax.set_ylabel(SURVIVAL_LABEL)
    if title:
        ax.set_title(title, loc="left")
    legend_outside(ax, title=legend_title)


def _describe_profiles(profiles: pd.DataFrame) -> dict[Any, str]:
    """Legend text of profiles whose index says nothing (integer labels): the values of
    the columns that differ between them, e.g. ``"Age 50, Sex: Female"``."""
    if not pd.api.types.is_integer_dtype(profiles.index) or len(profiles) < 2:
        return {}
    cols = [
        c
        for c in profiles.columns
        if c != "linear_predictor" and profiles[c].nunique(dropna=False) > 1
    ]
    if not cols:
        return {}
    out = {}
    for key, row in profiles.iterrows():
        parts = []
        for c in cols:
            v = row[c]
            if pd.api.types.is_number(v) and not isinstance(v, bool):
                parts.append(f"{labels.label(c, unit=False)} {v:g}")
            else:
                parts.append(f"{labels.label(c, unit=False)}: {labels.level_label(c, v)}")
        out[key] = ", ".join(parts)
    return out


def cox_survival(
    result: CoxSurvivalResult,
    *,
    names: Mapping[Any, str] | None = None,
    ci: bool = True,
    title: str | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Predicted survival curves of covariate profiles with their confidence bands.

    Parameters
    ----------
    result : CoxSurvivalResult
        From :func:`netstats.survival.predict_survival`.
    names : mapping, optional
        Legend entry per profile (the ``newdata`` index label). Default: the values of
        the columns that differ between profiles when the index is the default integer
        one (``"Age 50, Sex: Female"``), otherwise ``"Profile <label>"``; with the
        stratum for a stratified fit.
    ci : bool, default=True
        Shade the pointwise confidence band.
    title : str, optional
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
        One step line per profile (``gid`` ``"curve_<i>"``), bands ``"curve_<i>_band"``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from netstats.survival import cox, predict_survival
    >>> from netstats.plots import cox_survival
    >>> rng = np.random.default_rng(1)
    >>> df = pd.DataFrame({"x": rng.uniform(0, 2, 200)})
    >>> df["time"] = rng.exponential(24 / np.exp(0.5 * df["x"]))
    >>> df["event"] = (rng.uniform(size=200) < 0.8).astype(int)
    >>> curves = predict_survival(cox(df, "x", time="time", event="event"),
    ...                           pd.DataFrame({"x": [0.0, 1.0]}, index=["low", "high"]))
    >>> ax = cox_survival(curves)
    >>> [t.get_text() for t in ax.get_legend().get_texts()]
    ['Profile low', 'Profile high']
    >>> import matplotlib.pyplot as plt; plt.close("all")
    """
    ax = _get_ax(ax)
    s = result.summary
    stratified = s["stratum"].ne("all").any()
    described = _describe_profiles(result.profiles)
    for i, (key, sub) in enumerate(s.groupby("profile", sort=False)):
        if names is not None and key in names:
            label = names[key]
        else:
            label = described.get(key, f"Profile {key}")
            if stratified:
                label += f" ({sub['stratum'].iloc[0]})"
        _draw(ax, sub, i, label, ci, f"curve_{i}")
    t_max = float(s["time"].max()) if len(s) else 0.0
    _finish(ax, t_max, title, None)
    return ax


def adjusted_curves(
    result: AdjustedSurvivalResult,
    *,
    ci: bool = True,
    title: str | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Direct-standardised (g-formula) survival curves by group with confidence bands.

    Parameters
    ----------
    result : AdjustedSurvivalResult
        From :func:`netstats.survival.adjusted_survival`.
    ci : bool, default=True
        Shade the pointwise confidence band.
    title : str, optional
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
        One step line per level (``gid`` ``"curve_<i>"``), labelled from
        :func:`netstats.labels.level_label`; the legend is titled with the group's label.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from netstats.survival import cox, adjusted_survival
    >>> from netstats.plots import adjusted_curves
    >>> rng = np.random.default_rng(3)
    >>> df = pd.DataFrame({"arm": rng.choice(["a", "b"], 80), "age": rng.normal(60, 8, 80)})
    >>> df["time"] = rng.exponential(20, 80).round(1) + 0.1
    >>> df["event"] = (rng.uniform(size=80) < 0.7).astype(int)
    >>> fit = cox(df, "C(arm) + age", time="time", event="event")
    >>> ax = adjusted_curves(adjusted_survival(fit, df, group="arm"))
    >>> ax.get_legend().get_title().get_text()
    'Arm'
    >>> import matplotlib.pyplot as plt; plt.close("all")
    """
    ax = _get_ax(ax)
    s = result.summary
    for i, level in enumerate(result.levels):
        sub = s[s["group"] == level]
        name = labels.level_label(result.group, level)
        _draw(ax, sub, i, name[:1].upper() + name[1:], ci, f"curve_{i}")
    t_max = float(s["time"].max()) if len(s) else 0.0
    _finish(ax, t_max, title, labels.label(result.group, unit=False))
    return ax

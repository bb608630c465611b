"""SSTR figures: calibration curve, decision curve, ROC curve and scan trajectories.

Each function draws a finished result from :mod:`netstats.sstr` and returns the Axes;
matplotlib is imported inside the functions.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from netstats import labels
from netstats.plots._style import GREY, OKABE_ITO, SeriesStyle, legend_outside, series_style

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

    from netstats.sstr import ScanTrajectory

__all__ = ["calibration", "decision_curve", "roc", "scan_trajectory"]

_STRATEGY_LABELS = {"model": "Model", "treat_all": "Treat all", "treat_none": "Treat none"}
_MODEL_NAMES = {
    "logistic": "Logistic regression",
    "gradient_boosting": "Gradient boosting",
    "random_forest": "Random forest",
}


def model_name(name: str | None) -> str:
    """A readable model name: ``"gradient_boosting"`` -> ``"Gradient boosting"``.

    Examples
    --------
    >>> model_name("gradient_boosting"), model_name("logistic"), model_name(None)
    ('Gradient boosting', 'Logistic regression', 'Model')
    """
    if name is None:
        return "Model"
    return _MODEL_NAMES.get(str(name), labels.readable(str(name)))


def _next_style(ax: Axes) -> SeriesStyle:
    """The palette entry after the series already labelled on ``ax``."""
    used = [h for h in ax.get_legend_handles_labels()[1] if h != "Ideal"]
    return series_style(len(used))


def _axes(ax: Axes | None) -> Axes:
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots()
    return ax


def _require(frame: Any, columns: list[str], what: str) -> None:
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"expected the DataFrame from {what}, got {type(frame).__name__}")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"missing column(s) {missing}: pass the output of {what}")


def calibration(curve: pd.DataFrame, *, ax: Axes | None = None, label: str | None = None) -> Axes:
    """Observed against predicted SSTR positivity, with exact CIs per group.

    Parameters
    ----------
    curve : DataFrame
        Output of :func:`netstats.sstr.calibration_curve`.
    ax : matplotlib Axes, optional
        Axes to draw on; a new figure is created when omitted.
    label : str, optional
        Legend label of the points (a model name, e.g. "gradient_boosting", is made
        readable). Drawing several models on one axes adds one "Ideal" line only.

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on.

    Examples
    --------
    >>> from netstats import plots, sstr
    >>> y = [0, 0, 1, 1, 0, 1, 1, 0]
    >>> prob = [0.1, 0.4, 0.35, 0.8, 0.2, 0.9, 0.6, 0.5]
    >>> ax = plots.calibration(sstr.calibration_curve(y, prob, n_bins=2))
    >>> ax.get_xlabel()
    'Predicted probability of SSTR positivity'
    """
    _require(curve, ["mean_predicted", "observed", "ci_lower", "ci_upper"], "calibration_curve")
    ax = _axes(ax)
    x = curve["mean_predicted"].to_numpy(float)
    yv = curve["observed"].to_numpy(float)
    err = np.vstack(
        [yv - curve["ci_lower"].to_numpy(float), curve["ci_upper"].to_numpy(float) - yv]
    )
    if not [ln for ln in ax.get_lines() if ln.get_gid() == "ideal"]:
        ax.plot([0, 1], [0, 1], linestyle="--", color=GREY, label="Ideal", gid="ideal")
    st = _next_style(ax)
    ax.errorbar(
        x, yv, yerr=err, fmt=st.marker, color=st.color, capsize=3,
        label=model_name(label) if label else "Observed (exact CI)",
    )  # fmt: skip
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("Predicted probability of SSTR positivity")
    ax.set_ylabel("Observed proportion positive")
    legend_outside(ax)
    return ax


def decision_curve(dc: pd.DataFrame, *, ax: Axes | None = None, label: str | None = None) -> Axes:
    """Net benefit of the model against treat-all and treat-none.

    Parameters
    ----------
    dc : DataFrame
        Output of :func:`netstats.sstr.decision_curve`.
    ax : matplotlib Axes, optional
        Axes to draw on; a new figure is created when omitted.
    label : str, optional
        Name of the model's line (made readable); "Model" when omitted.

    Returns
    -------
    matplotlib.axes.Axes
        One line per strategy; the y-axis is floored just below zero so that the
        treat-all line's steep negative tail does not hide the others.

    Examples
    --------
    >>> from netstats import plots, sstr
    >>> y = [0, 0, 1, 1, 0, 1, 1, 0]
    >>> prob = [0.1, 0.4, 0.35, 0.8, 0.2, 0.9, 0.6, 0.5]
    >>> ax = plots.decision_curve(sstr.decision_curve(y, prob))
    >>> ax.get_xlabel(), ax.get_ylabel()
    ('Threshold probability', 'Net benefit')
    """
    _require(dc, ["threshold", "strategy", "net_benefit"], "decision_curve")
    ax = _axes(ax)
    styles = {"model": "-", "treat_all": "--", "treat_none": ":"}
    for i, (strategy, grp) in enumerate(dc.groupby("strategy", sort=False)):
        key = str(strategy)
        name = model_name(label) if key == "model" and label else _STRATEGY_LABELS.get(key)
        ax.plot(
            grp["threshold"],
            grp["net_benefit"],
            linestyle=styles.get(key, "-"),
            color=series_style(i).color
            if key == "model"
            else (GREY if key == "treat_none" else "#000000"),
            label=name or labels.readable(key),
        )
    top = float(dc["net_benefit"].max())
    ax.set_ylim(-0.05 * max(top, 0.01), max(top, 0.01) * 1.05)
    ax.set_xlim(0, 1)
    ax.set_xlabel("Threshold probability")
    ax.set_ylabel("Net benefit")
    legend_outside(ax)
    return ax


def roc(
    curve: pd.DataFrame,
    *,
    auc: Any = None,
    ax: Axes | None = None,
    label: str | None = None,
) -> Axes:
    """ROC curve, optionally labelled with its AUROC and CI.

    Parameters
    ----------
    curve : DataFrame
        Output of :func:`netstats.sstr.roc_curve`.
    auc : AUCResult, optional
        From :func:`netstats.sstr.auroc_delong`; shown in the legend with its CI. Without
        it the legend shows the area under the drawn curve (trapezoidal, no CI).
    ax : matplotlib Axes, optional
        Axes to draw on; a new figure is created when omitted.
    label : str, optional
        Legend label (a model name, made readable).

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on.

    Examples
    --------
    >>> from netstats import plots, sstr
    >>> y = [0, 0, 1, 1, 0, 1, 1, 0]
    >>> prob = [0.1, 0.4, 0.35, 0.8, 0.2, 0.9, 0.6, 0.5]
    >>> ax = plots.roc(sstr.roc_curve(y, prob), auc=sstr.auroc_delong(y, prob), label="model")
    >>> [t.get_text() for t in ax.get_legend().get_texts()]
    ['Model (AUROC 0.875, 95% CI 0.592–1.000)']
    """
    _require(curve, ["false_positive_rate", "true_positive_rate"], "roc_curve")
    ax = _axes(ax)
    text = model_name(label)
    fpr = curve["false_positive_rate"].to_numpy(float)
    tpr = curve["true_positive_rate"].to_numpy(float)
    if auc is not None:
        text += (
            f" (AUROC {auc.estimate:.3f}, {auc.conf_level:.0%} CI "
            f"{auc.ci_lower:.3f}\N{EN DASH}{auc.ci_upper:.3f})"
        )
    else:
        text += f" (AUROC {float(np.trapezoid(tpr, fpr)):.3f})"
    if not [ln for ln in ax.get_lines() if ln.get_gid() == "chance"]:
        ax.plot([0, 1], [0, 1], linestyle="--", color=GREY, gid="chance")
    st = _next_style(ax)
    ax.plot(fpr, tpr, label=text, color=st.color, linestyle=st.linestyle)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("1 - specificity")
    ax.set_ylabel("Sensitivity")
    legend_outside(ax, where="below", ncol=1)
    return ax


def scan_trajectory(
    trajectory: ScanTrajectory, *, ax: Axes | None = None, suvmax: bool = True
) -> Axes:
    """One patient's SSTR uptake over time on the therapy timeline.

    Parameters
    ----------
    trajectory : ScanTrajectory
        From :func:`netstats.sstr.scan_trajectory`.
    ax : matplotlib Axes, optional
        Axes to draw on; a new figure is created when omitted.
    suvmax : bool, default=True
        Also draw lesion SUVmax on a secondary y-axis (``ax.right_ax`` is not set; the twin
        axes is ``ax.figure.axes[-1]``).

    Returns
    -------
    matplotlib.axes.Axes
        The Krenning-score axes: filled markers are positive scans, open markers
        negative, by the trajectory's rule; therapy lines are horizontal bars below 0.

    Examples
    --------
    >>> import netstats
    >>> from netstats import plots, sstr
    >>> cohort = netstats.simulate_cohort(n_patients=150, seed=1)
    >>> ax = plots.scan_trajectory(sstr.scan_trajectory(cohort, "P000013"))
    >>> ax.get_ylabel()
    'Krenning score'
    """
    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter, date2num

    if not hasattr(trajectory, "scans") or not hasattr(trajectory, "lines"):
        raise TypeError("expected a ScanTrajectory from netstats.sstr.scan_trajectory")
    ax = _axes(ax)
    scans = trajectory.scans
    lines = trajectory.lines
    ax.plot(
        scans["scan_date"], scans["krenning_score"].astype("float64"), color=OKABE_ITO[0], zorder=2
    )
    pos = scans["positive"].fillna(False).astype(bool).to_numpy()
    ax.scatter(
        scans.loc[pos, "scan_date"],
        scans.loc[pos, "krenning_score"].astype("float64"),
        color=OKABE_ITO[0],
        s=60,
        zorder=3,
        label="SSTR-positive",
    )
    ax.scatter(
        scans.loc[~pos, "scan_date"],
        scans.loc[~pos, "krenning_score"].astype("float64"),
        facecolors="white",
        edgecolors=OKABE_ITO[0],
        s=60,
        zorder=3,
        label="SSTR-negative",
    )
    for _, row in lines.iterrows():
        start = date2num(row["start_date"])
        end = date2num(row["end_date"] if pd.notna(row["end_date"]) else trajectory.last_date)
        y = -0.6 - 0.45 * ((int(row["line"]) - 1) % 3)
        ax.broken_barh(
            [(start, max(end - start, 1.0))], (y - 0.18, 0.36), color=OKABE_ITO[2], alpha=0.5
        )
        ax.text(start, y, f" {row['regimen']}", va="center", fontsize=8)
    ax.set_ylim(-2.0, 4.5)
    ax.set_yticks([0, 1, 2, 3, 4])
    ax.set_ylabel("Krenning score")
    ax.set_xlabel("Date")
    locator = AutoDateLocator(minticks=3, maxticks=6)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))
    ax.set_title(f"Patient {trajectory.patient_id} (positivity: {trajectory.rule})")
    if suvmax and scans["suvmax_lesion"].notna().any():
        twin = ax.twinx()
        twin.plot(
            scans["scan_date"],
            scans["suvmax_lesion"],
            color=OKABE_ITO[1],
            marker="s",
            linestyle=":",
            label=labels.label("suvmax_lesion"),
        )
        twin.set_ylabel(labels.label("suvmax_lesion"))
        twin.set_ylim(0, float(scans["suvmax_lesion"].max()) * 1.15)
    handles, names = ax.get_legend_handles_labels()
    for other in ax.figure.axes:
        if other is not ax and other.bbox.bounds == ax.bbox.bounds:  # the SUVmax twin
            h, n = other.get_legend_handles_labels()
            handles, names = handles + h, names + n
    ax.legend(handles, names, loc="upper left", bbox_to_anchor=(0.0, -0.14), frameon=False,
              ncol=3, fontsize="small")  # fmt: skip
    return ax

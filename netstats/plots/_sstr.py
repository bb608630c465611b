"""SSTR figures: calibration curve, decision curve, ROC curve and scan trajectories.

Each function draws a finished result from :mod:`netstats.sstr` and returns the Axes;
matplotlib is imported inside the functions.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

    from netstats.sstr import ScanTrajectory

__all__ = ["calibration", "decision_curve", "roc", "scan_trajectory"]

_STRATEGY_LABELS = {"model": "model", "treat_all": "treat all", "treat_none": "treat none"}


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
        Legend label of the points.

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
    ax.plot([0, 1], [0, 1], linestyle="--", color="grey", label="ideal")
    ax.errorbar(x, yv, yerr=err, fmt="o", capsize=3, label=label or "observed (exact CI)")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("Predicted probability of SSTR positivity")
    ax.set_ylabel("Observed proportion positive")
    ax.legend(loc="upper left")
    return ax


def decision_curve(dc: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Net benefit of the model against treat-all and treat-none.

    Parameters
    ----------
    dc : DataFrame
        Output of :func:`netstats.sstr.decision_curve`.
    ax : matplotlib Axes, optional
        Axes to draw on; a new figure is created when omitted.

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
    for strategy, grp in dc.groupby("strategy", sort=False):
        ax.plot(
            grp["threshold"],
            grp["net_benefit"],
            linestyle=styles.get(str(strategy), "-"),
            label=_STRATEGY_LABELS.get(str(strategy), str(strategy)),
        )
    top = float(dc["net_benefit"].max())
    ax.set_ylim(-0.05 * max(top, 0.01), max(top, 0.01) * 1.05)
    ax.set_xlim(0, 1)
    ax.set_xlabel("Threshold probability")
    ax.set_ylabel("Net benefit")
    ax.legend(loc="upper right")
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
        From :func:`netstats.sstr.auroc_delong`; shown in the legend.
    ax : matplotlib Axes, optional
        Axes to draw on; a new figure is created when omitted.
    label : str, optional
        Legend label.

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
    ['model (AUROC 0.875, 95% CI 0.592-1.000)']
    """
    _require(curve, ["false_positive_rate", "true_positive_rate"], "roc_curve")
    ax = _axes(ax)
    text = label or "model"
    if auc is not None:
        text += (
            f" (AUROC {auc.estimate:.3f}, {auc.conf_level:.0%} CI "
            f"{auc.ci_lower:.3f}-{auc.ci_upper:.3f})"
        )
    ax.plot([0, 1], [0, 1], linestyle="--", color="grey")
    ax.step(curve["false_positive_rate"], curve["true_positive_rate"], where="post", label=text)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("1 - specificity")
    ax.set_ylabel("Sensitivity")
    ax.legend(loc="lower right")
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
    from matplotlib.dates import date2num

    if not hasattr(trajectory, "scans") or not hasattr(trajectory, "lines"):
        raise TypeError("expected a ScanTrajectory from netstats.sstr.scan_trajectory")
    ax = _axes(ax)
    scans = trajectory.scans
    lines = trajectory.lines
    ax.plot(scans["scan_date"], scans["krenning_score"].astype("float64"), color="C0", zorder=2)
    pos = scans["positive"].fillna(False).astype(bool).to_numpy()
    ax.scatter(
        scans.loc[pos, "scan_date"],
        scans.loc[pos, "krenning_score"].astype("float64"),
        color="C0",
        s=60,
        zorder=3,
        label="SSTR-positive",
    )
    ax.scatter(
        scans.loc[~pos, "scan_date"],
        scans.loc[~pos, "krenning_score"].astype("float64"),
        facecolors="white",
        edgecolors="C0",
        s=60,
        zorder=3,
        label="SSTR-negative",
    )
    for _, row in lines.iterrows():
        start = date2num(row["start_date"])
        end = date2num(row["end_date"] if pd.notna(row["end_date"]) else trajectory.last_date)
        y = -0.6 - 0.45 * ((int(row["line"]) - 1) % 3)
        ax.broken_barh([(start, max(end - start, 1.0))], (y - 0.18, 0.36), color="C2", alpha=0.5)
        ax.text(start, y, f" {row['regimen']}", va="center", fontsize=8)
    ax.set_ylim(-2.0, 4.5)
    ax.set_yticks([0, 1, 2, 3, 4])
    ax.set_ylabel("Krenning score")
    ax.set_xlabel("Date")
    ax.set_title(f"Patient {trajectory.patient_id} (positivity: {trajectory.rule})")
    if suvmax and scans["suvmax_lesion"].notna().any():
        twin = ax.twinx()
        twin.plot(
            scans["scan_date"],
            scans["suvmax_lesion"],
            color="C1",
            marker="s",
            linestyle=":",
            label="lesion SUVmax",
        )
        twin.set_ylabel("Lesion SUVmax")
        twin.set_ylim(0, float(scans["suvmax_lesion"].max()) * 1.15)
    ax.legend(loc="upper left")
    return ax

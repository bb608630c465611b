"""Figures for Ki-67 and grade: cross-table heatmap, grade migration, Bland-Altman,
Ki-67 trajectories and P(grade) against Ki-67.

Every function takes a finished result from :mod:`netstats.grading`, draws on ``ax`` (a new
figure when None) and returns the Axes. Nothing here computes statistics.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from netstats import labels
from netstats.grading import (
    GRADES,
    BlandAltmanResult,
    ConcordanceResult,
    CutpointResult,
    GradingScheme,
    Ki67HazardResult,
    Ki67TrajectoryResult,
    get_scheme,
)
from netstats.plots._style import GREY, OKABE_ITO, legend_outside

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = [
    "bland_altman_plot",
    "cutpoint_plot",
    "ki67_hazard_plot",
    "grade_heatmap",
    "grade_migration",
    "grade_probability_plot",
    "ki67_trajectories",
]

_GRADE_COLOURS = {"G1": OKABE_ITO[2], "G2": OKABE_ITO[1], "G3": OKABE_ITO[3]}
_BA_LABELS = {
    "bias": "Bias",
    "loa_lower": "Lower limit of agreement",
    "loa_upper": "Upper limit of agreement",
}


def _member(name: str) -> str:
    """Reader's name of a pair member (``"primary"`` -> ``"Primary"``)."""
    text = labels.level_label(None, name)
    return text[:1].upper() + text[1:] if not text[1:2].isupper() else text


def _axes(ax: Axes | None) -> Axes:
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots()
    return ax


def _check(obj: Any, cls: type, name: str) -> None:
    if not isinstance(obj, cls):
        raise TypeError(f"{name} must be a {cls.__name__}, got {type(obj).__name__}")


def grade_heatmap(
    result: ConcordanceResult,
    *,
    ax: Axes | None = None,
    normalize: bool = False,
    cmap: str = "Blues",
    table: pd.DataFrame | None = None,
) -> Axes:
    """Heatmap of the grade cross-table with the count (or share) in each cell.

    Parameters
    ----------
    result : ConcordanceResult
        From :func:`netstats.grading.concordance`.
    ax : matplotlib Axes, optional
        Axes to draw on.
    normalize : bool, default=False
        Show shares of all pairs instead of counts.
    cmap : str, default="Blues"
        Colour map.
    table : DataFrame, optional
        The cross-table as published after small-cell suppression (long form with
        ``primary``/first, ``metastasis``/second and ``n`` columns, or wide like
        ``result.cross_table``), missing where a count is withheld: withheld cells are
        drawn grey with "*" and take no part in the colour scale.

    Returns
    -------
    matplotlib.axes.Axes
        Rows (y) are the first member's grade, columns (x) the second's; the diagonal is
        agreement.

    Examples
    --------
    >>> import warnings
    >>> import pandas as pd
    >>> from netstats import grading, plots
    >>> pairs = pd.DataFrame({
    ...     "patient_id": ["P1", "P2", "P3", "P4", "P5", "P6"],
    ...     "primary_who_grade": ["G1", "G2", "G2", "G1", "G1", "G3"],
    ...     "metastasis_who_grade": ["G1", "G2", "G3", "G2", "G1", "G3"],
    ...     "primary_ki67_percent": [1.0, 5.0, 12.0, 2.0, 1.5, 30.0],
    ...     "metastasis_ki67_percent": [1.5, 6.0, 25.0, 4.0, 2.0, 35.0]})
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")  # six pairs: far too few, this only shows the API
    ...     res = grading.concordance(pairs)
    >>> ax = plots.grade_heatmap(res, normalize=True)
    >>> ax.get_xlabel(), ax.get_ylabel()
    ('Metastasis WHO grade', 'Primary WHO grade')
    """
    _check(result, ConcordanceResult, "result")
    ax = _axes(ax)
    tab = _published(result, table)
    vals = tab.to_numpy(dtype=float)
    withheld = np.isnan(vals)
    if normalize and withheld.any():
        raise ValueError("normalize=True needs every cell: shares would give withheld ones back")
    shown = vals / np.nansum(vals) if normalize else vals
    top = np.nanmax(shown) if np.isfinite(shown).any() else 0.0
    ax.imshow(np.ma.masked_invalid(shown), cmap=cmap, vmin=0)
    if withheld.any():
        ax.imshow(np.where(withheld, 1.0, np.nan), cmap="Greys", vmin=0, vmax=5)
    for i in range(shown.shape[0]):
        for j in range(shown.shape[1]):
            if withheld[i, j]:
                ax.text(j, i, "*", ha="center", va="center", color="black")
                continue
            text = f"{shown[i, j]:.0%}" if normalize else f"{int(vals[i, j])}"
            dark = shown[i, j] > 0.6 * top if top > 0 else False
            ax.text(j, i, text, ha="center", va="center", color="white" if dark else "black")
    ax.set_xticks(range(tab.shape[1]), list(tab.columns))
    ax.set_yticks(range(tab.shape[0]), list(tab.index))
    ax.set_xlabel(f"{_member(result.second)} WHO grade")
    ax.set_ylabel(f"{_member(result.first)} WHO grade")
    ax.set_title(
        f"{_member(result.first)} vs {_member(result.second).lower()} (n = {result.n_pairs} pairs)"
    )
    return ax


def grade_migration(
    result: ConcordanceResult, *, ax: Axes | None = None, table: pd.DataFrame | None = None
) -> Axes:
    """Slope chart of grade migration from the first to the second member of each pair.

    Parameters
    ----------
    result : ConcordanceResult
        From :func:`netstats.grading.concordance`.
    ax : matplotlib Axes, optional
        Axes to draw on.
    table : DataFrame, optional
        The cross-table as published after small-cell suppression (see
        :func:`grade_heatmap`): a withheld cell is drawn as a thin dashed grey line
        labelled "*" whatever its count.

    Returns
    -------
    matplotlib.axes.Axes
        Grades on two vertical axes (x = 0 first member, x = 1 second); one line per non-empty
        cell of the cross-table, width proportional to its count and coloured by the first
        grade; line labels (near the first member) give the counts.

    Examples
    --------
    >>> import warnings
    >>> import pandas as pd
    >>> from netstats import grading, plots
    >>> pairs = pd.DataFrame({
    ...     "patient_id": ["P1", "P2", "P3", "P4", "P5", "P6"],
    ...     "primary_who_grade": ["G1", "G2", "G2", "G1", "G1", "G3"],
    ...     "metastasis_who_grade": ["G1", "G2", "G3", "G2", "G1", "G3"],
    ...     "primary_ki67_percent": [1.0, 5.0, 12.0, 2.0, 1.5, 30.0],
    ...     "metastasis_ki67_percent": [1.5, 6.0, 25.0, 4.0, 2.0, 35.0]})
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")  # six pairs: far too few, this only shows the API
    ...     res = grading.concordance(pairs)
    >>> ax = plots.grade_migration(res)
    >>> [t.get_text() for t in ax.get_xticklabels()]
    ['Primary', 'Metastasis']
    """
    _check(result, ConcordanceResult, "result")
    ax = _axes(ax)
    tab = result.cross_table
    published = _published(result, table).to_numpy(dtype=float)
    vals = tab.to_numpy(dtype=float)
    top = np.nanmax(published) if np.isfinite(published).any() else 1.0
    top = top if top > 0 else 1.0
    for i, gi in enumerate(tab.index):
        for j, gj in enumerate(tab.columns):
            hidden = np.isnan(published[i, j])
            if vals[i, j] == 0 and not hidden:
                continue
            ax.plot(
                [0, 1],
                [i, j],
                color=GREY if hidden else _GRADE_COLOURS.get(gi, GREY),
                linewidth=1 if hidden else 1 + 9 * published[i, j] / top,
                linestyle="--" if hidden else "-",
                alpha=0.75,
                solid_capstyle="round",
                label=f"{gi} \N{RIGHTWARDS ARROW} {gj}",
            )
            # near the start of the line: crossing lines (i -> j, j -> i) share the middle
            ax.annotate(
                "*" if hidden else f"{int(published[i, j])}",
                xy=(0.22, i + 0.22 * (j - i)),
                ha="center",
                va="center",
                fontsize=8,
                bbox={"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none"},
            )
    n = len(tab.index)
    for x, side in ((0, tab.sum(axis=1)), (1, tab.sum(axis=0))):
        for k, g in enumerate(side.index):
            ax.text(
                x + (-0.04 if x == 0 else 0.04),
                k,
                f"{g} ({int(side[g])})",
                ha="right" if x == 0 else "left",
                va="center",
            )
    ax.set_xlim(-0.35, 1.35)
    ax.set_ylim(n - 0.5, -0.5)
    ax.set_xticks([0, 1], [_member(result.first), _member(result.second)])
    ax.set_yticks([])
    ax.set_title("Grade migration")
    return ax


def _published(result: ConcordanceResult, table: pd.DataFrame | None) -> pd.DataFrame:
    """The cross-table to draw: ``result.cross_table``, or the published one (NaN withheld)."""
    tab = result.cross_table
    if table is None:
        return tab.astype(float)
    if not isinstance(table, pd.DataFrame):
        raise TypeError(f"table must be a DataFrame, got {type(table).__name__}")
    if "n" in table.columns and len(table.columns) >= 3:
        first, second = table.columns[:2]
        if table.duplicated([first, second]).any():
            raise ValueError(f"table has repeated ({first}, {second}) cells; one row per cell")
        wide = table.pivot(index=first, columns=second, values="n")
    else:
        wide = table
    wide = wide.reindex(index=tab.index, columns=tab.columns)
    wide = wide.apply(pd.to_numeric, errors="coerce").astype(float)
    visible = ~np.isnan(wide.to_numpy())
    if np.any(wide.to_numpy()[visible] != tab.to_numpy(dtype=float)[visible]):
        raise ValueError("table does not match the result's cross-table in its visible cells")
    return wide


def bland_altman_plot(
    result: BlandAltmanResult | ConcordanceResult,
    *,
    ax: Axes | None = None,
    show_ci: bool = True,
) -> Axes:
    """Bland-Altman plot: difference against mean with bias, limits of agreement and CIs.

    Parameters
    ----------
    result : BlandAltmanResult or ConcordanceResult
        From :func:`netstats.grading.bland_altman` or ``concordance`` (its Bland-Altman part).
    ax : matplotlib Axes, optional
        Axes to draw on.
    show_ci : bool, default=True
        Shade the confidence interval of the bias and of each limit.

    Returns
    -------
    matplotlib.axes.Axes
        On the log scale the right-hand labels give the ratios second / first.

    Examples
    --------
    >>> from netstats import grading, plots
    >>> ax = plots.bland_altman_plot(grading.bland_altman([2.0, 5, 10, 1.5], [3.0, 6, 9, 2.5]))
    >>> ax.get_xlabel()
    'Mean of log Ki-67'
    """
    if isinstance(result, ConcordanceResult):
        if result.bland_altman is None:
            raise ValueError("this concordance result has no Bland-Altman part (< 3 Ki-67 pairs)")
        result = result.bland_altman
    _check(result, BlandAltmanResult, "result")
    ax = _axes(ax)
    pts = result.points
    ax.scatter(pts["mean"], pts["difference"], s=18, color=OKABE_ITO[0], alpha=0.8)
    s = result.summary.set_index("statistic")[["estimate", "ci_lower", "ci_upper", "ratio"]]
    styles = {"bias": "-", "loa_lower": "--", "loa_upper": "--"}
    for stat, ls in styles.items():
        y, lo, hi, ratio = (float(v) for v in s.loc[stat].to_numpy(dtype=float))
        lab = f"{_BA_LABELS[stat]} {y:.2f}"
        if result.log:
            lab += f" (ratio {ratio:.2f})"
        ax.axhline(y, color="black", linestyle=ls, linewidth=1, label=lab)
        if show_ci:
            ax.axhspan(lo, hi, color="grey", alpha=0.2)
    ax.axhline(0, color="grey", linewidth=0.5)
    scale = "log Ki-67" if result.log else "Ki-67"
    ax.set_xlabel(f"Mean of {scale}")
    ax.set_ylabel(f"Difference in {scale} (second \N{MINUS SIGN} first)")
    ax.set_title(f"Bland-Altman (n = {result.n})")
    legend_outside(ax)
    return ax


def ki67_trajectories(
    result: Ki67TrajectoryResult,
    *,
    ax: Axes | None = None,
    show_fit: bool = True,
    scheme: str | GradingScheme = "who2019",
) -> Axes:
    """Per-patient Ki-67 over time with the mixed-model population trend and grade cut-offs.

    Parameters
    ----------
    result : Ki67TrajectoryResult
        From :func:`netstats.grading.ki67_trajectory_model`.
    ax : matplotlib Axes, optional
        Axes to draw on.
    show_fit : bool, default=True
        Draw the fixed-effect (population) line.
    scheme : str or GradingScheme, default="who2019"
        Ki-67 cut-offs drawn as horizontal lines.

    Returns
    -------
    matplotlib.axes.Axes
        Log-scaled y axis in Ki-67 %; x in years since the patient's first specimen.

    Examples
    --------
    >>> import pandas as pd
    >>> from netstats import grading, plots
    >>> path = pd.DataFrame({
    ...     "patient_id": ["A", "A", "A", "B", "B", "C", "C"],
    ...     "sample_id": list("1234567"),
    ...     "sample_date": pd.to_datetime(["2018-01-01", "2019-01-01", "2020-01-01",
    ...                                    "2018-06-01", "2020-06-01", "2019-01-01", "2021-01-01"]),
    ...     "site": "liver", "specimen_type": "core_biopsy",
    ...     "ki67_percent": [2.0, 3.5, 6.0, 10.0, 14.0, 1.0, 2.2]})
    >>> ax = plots.ki67_trajectories(grading.ki67_trajectory_model(path, random_slope=False))
    >>> ax.get_yscale(), ax.get_xlabel()
    ('log', 'Years since first specimen')
    """
    _check(result, Ki67TrajectoryResult, "result")
    ax = _axes(ax)
    d = result.data
    for _, g in d.groupby("patient_id", sort=False):
        ax.plot(
            g["years"],
            np.exp(g["log_ki67"]) - result.offset,
            color=GREY,
            alpha=0.5,
            linewidth=0.8,
            marker="o",
            markersize=2,
        )
    if show_fit:
        fe = result.summary.set_index("term")["estimate"]
        t = np.linspace(0, max(float(d["years"].max()), 1e-9), 50)
        ax.plot(
            t,
            np.exp(fe["Intercept"] + fe["years"] * t) - result.offset,
            color=OKABE_ITO[3],
            linewidth=2.5,
            label="Population trend",
        )
    sch = get_scheme(scheme)
    for cut in (sch.ki67_g2_lower, sch.ki67_g3_above):
        ax.axhline(cut, color="black", linestyle=":", linewidth=1)
    ax.set_yscale("log")
    ax.set_xlabel("Years since first specimen")
    ax.set_ylabel("Ki-67 (%)")
    ax.set_title(f"Ki-67 trajectories ({result.n_patients} patients)")
    if show_fit:
        legend_outside(ax)
    return ax


def grade_probability_plot(
    curve: pd.DataFrame,
    *,
    ax: Axes | None = None,
    scheme: str | GradingScheme = "who2019",
) -> Axes:
    """P(true grade) against the observed Ki-67 index, one line style per number of cells.

    Parameters
    ----------
    curve : pandas.DataFrame
        From :func:`netstats.grading.grade_probability_curve` (``cells_counted``,
        ``ki67_percent``, ``grade``, ``probability``).
    ax : matplotlib Axes, optional
        Axes to draw on.
    scheme : str or GradingScheme, default="who2019"
        Cut-offs drawn as vertical lines.

    Returns
    -------
    matplotlib.axes.Axes
        Probability (0-1) against observed Ki-67 (%), coloured by grade.

    Examples
    --------
    >>> from netstats import grading, plots
    >>> ax = plots.grade_probability_plot(grading.grade_probability_curve([200, 500]))
    >>> ax.get_xlabel(), ax.get_ylabel()
    ('Observed Ki-67 (%)', 'Probability of the true grade')
    """
    need = {"cells_counted", "ki67_percent", "grade", "probability"}
    if not isinstance(curve, pd.DataFrame) or not need <= set(curve.columns):
        raise TypeError("curve must be the DataFrame returned by grade_probability_curve")
    ax = _axes(ax)
    styles = ["-", "--", ":", "-."]
    for k, (n, cg) in enumerate(curve.groupby("cells_counted", sort=True)):
        for g in GRADES:
            part = cg[cg["grade"] == g]
            ax.plot(
                part["ki67_percent"],
                part["probability"],
                color=_GRADE_COLOURS[g],
                linestyle=styles[k % len(styles)],
                label=f"{g}, {n} cells counted",
            )
    sch = get_scheme(scheme)
    for cut in (sch.ki67_g2_lower, sch.ki67_g3_above):
        ax.axvline(cut, color="black", linewidth=0.8, linestyle=":")
    ax.set_ylim(0, 1)
    ax.set_xlabel("Observed Ki-67 (%)")
    ax.set_ylabel("Probability of the true grade")
    ax.set_title("Counting uncertainty of the Ki-67 grade")
    legend_outside(ax)
    return ax


def ki67_hazard_plot(result: Ki67HazardResult, *, ax: Axes | None = None) -> Axes:
    """Hazard ratio against Ki-67 from the restricted-cubic-spline Cox model, with its CI band.

    Parameters
    ----------
    result : Ki67HazardResult
        From :func:`netstats.grading.ki67_hazard`.
    ax : matplotlib Axes, optional
        Axes to draw on.

    Returns
    -------
    matplotlib.axes.Axes
        Log-log axes; a dotted line at HR 1 and a marker at the reference Ki-67.

    Examples
    --------
    >>> import warnings
    >>> import numpy as np, pandas as pd
    >>> from netstats import grading, plots
    >>> rng = np.random.default_rng(1)
    >>> ki = rng.uniform(1, 40, 80)
    >>> d = pd.DataFrame({"months": rng.exponential(30 / (1 + (ki > 10)), 80),
    ...                   "death": 1, "ki67_percent": ki.round()})
    >>> ax = plots.ki67_hazard_plot(grading.ki67_hazard(d, time="months", event="death"))
    >>> ax.get_xscale(), ax.get_xlabel()
    ('log', 'Ki-67 (%)')
    """
    _check(result, Ki67HazardResult, "result")
    ax = _axes(ax)
    c = result.curve
    ax.plot(
        c["ki67_percent"], c["hazard_ratio"], color=OKABE_ITO[3], linewidth=2,
        label="Restricted cubic spline",
    )  # fmt: skip
    ax.fill_between(c["ki67_percent"], c["ci_lower"], c["ci_upper"], color=OKABE_ITO[3], alpha=0.2)
    ax.axhline(1.0, color="black", linestyle=":", linewidth=1)
    ax.plot(
        [result.reference], [1.0], marker="o", color="black", linestyle="none", label="Reference"
    )
    ax.set_xscale("log")
    ax.set_yscale("log")
    hr = result.per_doubling.iloc[0]
    ax.set_xlabel("Ki-67 (%)")
    ax.set_ylabel(f"Hazard ratio vs Ki-67 {result.reference:g}%")
    ax.set_title(f"HR per doubling {float(hr['hazard_ratio']):.2f}")
    legend_outside(ax)
    return ax


def cutpoint_plot(result: CutpointResult, *, ax: Axes | None = None) -> Axes:
    """Standardised log-rank statistic at every candidate Ki-67 cut, the maximum marked.

    Parameters
    ----------
    result : CutpointResult
        From :func:`netstats.grading.ki67_cutpoint`.
    ax : matplotlib Axes, optional
        Axes to draw on.

    Returns
    -------
    matplotlib.axes.Axes
        Step plot of the statistic with a vertical line at the selected cut.

    Examples
    --------
    >>> import warnings
    >>> import numpy as np, pandas as pd
    >>> from netstats import grading, plots
    >>> rng = np.random.default_rng(1)
    >>> ki = rng.uniform(1, 40, 80)
    >>> d = pd.DataFrame({"months": rng.exponential(30 / (1 + (ki > 10)), 80),
    ...                   "death": 1, "ki67_percent": ki.round()})
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")  # the optimism warning of a selected cut
    ...     cut = grading.ki67_cutpoint(d, time="months", event="death")
    >>> ax = plots.cutpoint_plot(cut)
    >>> ax.get_ylabel()
    'Standardised log-rank statistic'
    """
    _check(result, CutpointResult, "result")
    ax = _axes(ax)
    st = result.statistics
    ax.step(st["cut"], st["statistic"], where="post", color=OKABE_ITO[0])
    ax.axvline(result.cutpoint, color=OKABE_ITO[3], linestyle="--", linewidth=1)
    ax.set_xlabel("Ki-67 cut-point (%)")
    ax.set_ylabel("Standardised log-rank statistic")
    ax.set_title(
        f"max at {result.cutpoint:g} %: M = {result.statistic:.2f}, corrected p = {result.p_value:.3g}"
    )
    return ax

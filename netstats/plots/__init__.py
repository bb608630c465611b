"""Figures drawn from finished netstats results; every function returns matplotlib Axes.

matplotlib is imported inside the plotting functions, so importing this package (or
netstats) does not load it.
"""

from __future__ import annotations

from netstats.plots._cox_curves import adjusted_curves, cox_survival
from netstats.plots._cox_diagnostics import deviance_plot, functional_form, influence
from netstats.plots._forest import forest
from netstats.plots._grading import (
    bland_altman_plot,
    cutpoint_plot,
    grade_heatmap,
    grade_migration,
    grade_probability_plot,
    ki67_hazard_plot,
    ki67_trajectories,
)
from netstats.plots._km import cumulative_incidence, km, pool_groups
from netstats.plots._layout import check_layout
from netstats.plots._schoenfeld import schoenfeld
from netstats.plots._sstr import calibration, decision_curve, roc, scan_trajectory
from netstats.plots._steps import cif_steps, km_steps, risk_cell, risk_cells
from netstats.plots._style import OKABE_ITO, legend_outside, palette, series_style
from netstats.plots._swimmer import DRUG_CLASS_COLORS, swimmer
from netstats.plots._timeline import GROUP_COLORS, patient_timeline, trajectory

__all__ = [
    "DRUG_CLASS_COLORS",
    "OKABE_ITO",
    "GROUP_COLORS",
    "adjusted_curves",
    "bland_altman_plot",
    "calibration",
    "check_layout",
    "cox_survival",
    "cif_steps",
    "cumulative_incidence",
    "cutpoint_plot",
    "decision_curve",
    "deviance_plot",
    "forest",
    "functional_form",
    "grade_heatmap",
    "grade_migration",
    "grade_probability_plot",
    "influence",
    "ki67_hazard_plot",
    "ki67_trajectories",
    "km",
    "km_steps",
    "legend_outside",
    "palette",
    "pool_groups",
    "risk_cell",
    "risk_cells",
    "patient_timeline",
    "roc",
    "scan_trajectory",
    "schoenfeld",
    "series_style",
    "swimmer",
    "trajectory",
]

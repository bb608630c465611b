"""SSTR figures: check the drawn content of the returned Axes."""

from __future__ import annotations

from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import pytest

from netstats.cohort import Cohort
from netstats.io import load_cohort
from netstats.plots import _sstr as plots
from netstats.plots import check_layout
from netstats.sstr import (
    auroc_delong,
    calibration_curve,
    decision_curve,
    roc_curve,
    scan_trajectory,
)

REF = Path(__file__).parent / "reference" / "sstr"


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    return pd.read_csv(REF / "classifier_data.csv")


def test_calibration_plot(data, close_figures):
    curve = calibration_curve(data["y"], data["prob_1"], n_bins=5)
    ax = plots.calibration(curve, label="logistic")
    assert isinstance(ax, matplotlib.axes.Axes)
    lines = ax.get_lines()
    np.testing.assert_allclose(lines[0].get_xydata(), [[0, 0], [1, 1]])  # ideal diagonal
    points = [ln for ln in lines if ln.get_marker() == "o"][0]
    np.testing.assert_allclose(points.get_xdata(), curve["mean_predicted"])
    np.testing.assert_allclose(points.get_ydata(), curve["observed"])
    assert "Logistic regression" in [t.get_text() for t in ax.get_legend().get_texts()]
    # a second model on the same axes adds its points, not a second "Ideal" line
    plots.calibration(calibration_curve(data["y"], data["prob_1"], n_bins=3), ax=ax, label="x_y")
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    assert texts == ["Ideal", "Logistic regression", "X y"]
    colors = [c.get_children()[0].get_color() for c in ax.containers]
    assert len(set(colors)) == 2


def test_decision_curve_plot(data, close_figures):
    dc = decision_curve(data["y"], data["prob_1"], thresholds=[0.1, 0.3, 0.5])
    ax = plots.decision_curve(dc)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["Model", "Treat all", "Treat none"]
    named = plots.decision_curve(dc, label="gradient_boosting")
    assert named.get_legend().get_texts()[0].get_text() == "Gradient boosting"
    model_line = ax.get_lines()[0]
    np.testing.assert_allclose(
        model_line.get_ydata(), dc.loc[dc["strategy"] == "model", "net_benefit"]
    )
    assert ax.get_xlabel() == "Threshold probability"


def test_roc_plot(data, close_figures):
    curve = roc_curve(data["y"], data["prob_1"])
    auc = auroc_delong(data["y"], data["prob_1"])
    ax = plots.roc(curve, auc=auc, label="gradient_boosting")
    text = ax.get_legend().get_texts()[0].get_text()
    assert text == (
        f"Gradient boosting (AUROC {auc.estimate:.3f}, 95% CI {auc.ci_lower:.3f}"
        f"\N{EN DASH}{auc.ci_upper:.3f})"
    )
    step = ax.get_lines()[1]
    np.testing.assert_allclose(step.get_xdata(), curve["false_positive_rate"])
    assert f"AUROC {auc.estimate:.3f}" in ax.get_legend().get_texts()[0].get_text()
    # the trapezoid area of the drawn curve is the AUROC
    area = np.trapezoid(curve["true_positive_rate"], curve["false_positive_rate"])
    assert area == pytest.approx(auc.estimate, rel=1e-12)
    # without an AUCResult the legend shows the area under the drawn curve; one chance line
    both = plots.roc(curve, label="logistic")
    plots.roc(roc_curve(data["y"], data["prob_2"]), ax=both, label="gradient_boosting")
    texts = [t.get_text() for t in both.get_legend().get_texts()]
    assert texts[0] == f"Logistic regression (AUROC {area:.3f})"
    assert texts[1].startswith("Gradient boosting (AUROC ")
    assert len([ln for ln in both.get_lines() if ln.get_gid() == "chance"]) == 1
    assert check_layout(both) == []


def test_scan_trajectory_plot(close_figures):
    c = load_cohort(Path(__file__).parent / "data" / "minimal")
    traj = scan_trajectory(Cohort(c.patients, c.pathology, c.therapy_lines, c.imaging), "001")
    ax = plots.scan_trajectory(traj)
    assert "Patient 001" in ax.get_title()
    texts = [t.get_text().strip() for t in ax.texts]
    assert texts == ["octreotide LAR + TACE", "surufatinib", "everolimus"]
    assert len(ax.collections) >= 2 + 3  # positive/negative markers + 3 line bars
    filled, hollow = ax.collections[0], ax.collections[1]
    assert len(filled.get_offsets()) == 1 and len(hollow.get_offsets()) == 1
    twin = ax.figure.axes[-1]
    np.testing.assert_allclose(twin.get_lines()[0].get_ydata(), [18.76, 83.08])


def test_wrong_input_is_refused(close_figures):
    with pytest.raises(ValueError, match="calibration_curve"):
        plots.calibration(pd.DataFrame({"x": [1]}))
    with pytest.raises(TypeError, match="ScanTrajectory"):
        plots.scan_trajectory(pd.DataFrame())


def test_import_does_not_load_matplotlib_pyplot():
    import subprocess
    import sys

    code = (
        "import netstats.sstr, netstats.plots._sstr, sys; print('matplotlib.pyplot' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"

"""Cox residual diagnostics (functional form, influence, deviance): content of the Axes.

The functional-form smoother is checked against R's ``lowess`` (tests/reference/cox/
cox_residuals.R, R 4.2.2) at 1e-6: given the residuals it is a closed-form computation.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from netstats import plots
from netstats.labels import term_label
from netstats.plots._cox_diagnostics import deviance_plot, functional_form, influence, lowess
from netstats.survival import cox
from tests._cox_cases import REF, load

LOWESS = pd.read_csv(REF / "cox_residuals_lowess.csv")


@pytest.fixture
def lung() -> pd.DataFrame:
    return load("lung")


@pytest.fixture
def lung_fit(lung):
    return cox(lung, "age + sex + `ph.ecog`", time="time", event="status")


@pytest.mark.reference
def test_functional_form_null_model_smooth_matches_r_lowess(lung, lung_fit, close_figures):
    axes = functional_form(lung_fit, lung, ["age", "ph.karno"])
    assert len(axes) == 2
    null = lung_fit.residuals("martingale", null=True)["martingale"].to_numpy()
    for ax, name in zip(axes, ["age", "ph.karno"], strict=True):
        points = ax.collections[0].get_offsets()
        assert_allclose(points[:, 0], lung[name])
        assert_allclose(points[:, 1], null)
        ref = LOWESS[LOWESS["covariate"] == name]
        (smooth,) = [line for line in ax.lines if line.get_label() == "lowess"]
        assert_allclose(smooth.get_xdata(), ref["x"])
        assert_allclose(smooth.get_ydata(), ref["y"], rtol=1e-6, atol=1e-9)
        assert ax.get_ylabel() == "Martingale residual (null model)"
    assert plots.check_layout(axes[0].figure) == []


def test_functional_form_fitted_model_and_row_alignment(lung, close_figures):
    shuffled = lung.sample(frac=1.0, random_state=1)
    fit = cox(shuffled, "age + sex", time="time", event="status")
    (ax,) = functional_form(fit, shuffled, "age", model="fitted")
    points = ax.collections[0].get_offsets()
    assert_allclose(points[:, 0], shuffled["age"])
    assert_allclose(points[:, 1], fit.residuals()["martingale"])
    assert "fitted model" in ax.get_ylabel()
    # the fitted model's residuals have no trend left in age (age is in the model, linearly)
    assert abs(np.corrcoef(points[:, 0], points[:, 1])[0, 1]) < 0.05


def test_functional_form_bad_input(lung, lung_fit, close_figures):
    with pytest.raises(ValueError, match="fitted on 212"):
        functional_form(lung_fit, lung.iloc[:-1], "age")
    with pytest.raises(ValueError, match="'nope' not found"):
        functional_form(lung_fit, lung, "nope")
    with pytest.raises(ValueError, match="must be numeric"):
        functional_form(lung_fit, lung.assign(g="a"), "g")
    with pytest.raises(ValueError, match="model must be"):
        functional_form(lung_fit, lung, "age", model="full")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="need 2 axes"):
        functional_form(lung_fit, lung, ["age", "ph.karno"], axes=[None])  # type: ignore[list-item]


def test_influence_stems_guides_and_marked_rows(lung_fit, close_figures):
    axes = influence(lung_fit, n_marked=3)
    dfbetas = lung_fit.residuals("dfbetas")
    n = lung_fit.n
    assert len(axes) == 3
    for ax, term in zip(axes, lung_fit.summary["term"], strict=True):
        assert ax.get_title() == term_label(term)
        segments = ax.collections[0].get_segments()
        assert len(segments) == n
        assert_allclose([s[1][1] for s in segments], dfbetas[term])
        assert_allclose([s[0][0] for s in segments], np.arange(n))
        levels = sorted(
            float(line.get_ydata()[0]) for line in ax.lines if line.get_linestyle() == "--"
        )
        assert_allclose(levels, [-2 / np.sqrt(n), 2 / np.sqrt(n)])
        top = np.argsort(-np.abs(dfbetas[term].to_numpy()))[:3]
        marked = [t.get_text() for t in ax.texts]
        assert marked == [f"row {i}" for i in top]
        assert_allclose(ax.collections[1].get_offsets()[:, 0], top)
    assert plots.check_layout(axes[0].figure) == []


def test_influence_marks_row_positions_not_identifiers(close_figures):
    data = load("bladder2")
    fit = cox(data, "rx + number + size", time="stop", event="event", start="start", cluster="id")
    (ax,) = influence(fit, terms=["number"], n_marked=2)
    top = np.argsort(-np.abs(fit.residuals("dfbetas")["number"].to_numpy()))[:2]
    assert [t.get_text() for t in ax.texts] == [f"row {i}" for i in top]
    assert ax.get_xlabel() == "Row of the fitted data"
    with pytest.raises(ValueError, match="unknown term"):
        influence(fit, terms=["id"])
    with pytest.raises(ValueError, match="n_marked"):
        influence(fit, n_marked=-1)


def test_deviance_plot_events_and_censored(lung, lung_fit, close_figures):
    ax = deviance_plot(lung_fit)
    dev = lung_fit.residuals("deviance")
    event = lung["status"].to_numpy() == 1
    ev_pts, cens_pts = (c.get_offsets() for c in ax.collections[:2])
    assert_allclose(ev_pts[:, 0], dev["linear_predictor"][event])
    assert_allclose(ev_pts[:, 1], dev["deviance"][event])
    assert_allclose(cens_pts[:, 1], dev["deviance"][~event])
    assert (cens_pts[:, 1] <= 0).all()  # a censored row has a negative residual
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["Event", "Censored", "lowess"]
    (smooth,) = [line for line in ax.lines if line.get_label() == "lowess"]
    xs, ys = lowess(dev["linear_predictor"], dev["deviance"])
    assert_allclose(smooth.get_ydata(), ys)
    assert ax.get_xlabel() == "Linear predictor"
    assert ax.get_ylabel() == "Deviance residual"
    assert plots.check_layout(ax) == []


def test_deviance_plot_on_given_axes_without_smooth(lung_fit, close_figures):
    import matplotlib.pyplot as plt

    _, ax = plt.subplots()
    assert deviance_plot(lung_fit, smooth=False, ax=ax) is ax
    assert not [line for line in ax.lines if line.get_label() == "lowess"]


def test_lowess_bad_span():
    with pytest.raises(ValueError, match="frac"):
        lowess([1.0, 2.0, 3.0], [1.0, 2.0, 3.0], frac=0.0)

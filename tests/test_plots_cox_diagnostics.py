"""Cox residual diagnostics (functional form, influence, deviance): content of the Axes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from netstats import labels, plots
from netstats.labels import term_label
from netstats.plots._cox_diagnostics import deviance_plot, functional_form, influence
from netstats.survival import cox, cox_functional_form
from tests._cox_cases import load


@pytest.fixture
def lung() -> pd.DataFrame:
    return load("lung")


@pytest.fixture
def lung_fit(lung):
    return cox(lung, "age + sex + `ph.ecog`", time="time", event="status")


def test_functional_form_draws_the_frame(lung, lung_fit, close_figures):
    frame = cox_functional_form(lung_fit, lung, ["age", "ph.karno"])
    axes = functional_form(frame)
    assert len(axes) == 2
    null = lung_fit.residuals("martingale", null=True)["martingale"].to_numpy()
    for ax, name in zip(axes, ["age", "ph.karno"], strict=True):
        points = ax.collections[0].get_offsets()
        assert_allclose(points[:, 0], lung[name])
        assert_allclose(points[:, 1], null)
        part = frame[frame["covariate"] == name].sort_values("value", kind="stable")
        (smooth,) = [line for line in ax.lines if line.get_label() == "lowess"]
        assert_allclose(smooth.get_xdata(), part["value"])
        assert_allclose(smooth.get_ydata(), part["smooth"])
        assert ax.get_ylabel() == "Martingale residual (null model)"
        assert ax.get_title() == labels.label(name, unit=False)
    assert plots.check_layout(axes[0].figure) == []
    (one,) = functional_form(frame, covariates="age")
    assert one.get_title() == labels.label("age", unit=False)


def test_functional_form_from_a_fit_and_row_alignment(lung, close_figures):
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
    with pytest.raises(ValueError, match="pass data= and covariates="):
        functional_form(lung_fit)
    with pytest.raises(ValueError, match="cox_functional_form"):
        functional_form(lung[["age"]])
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
    assert_allclose(cens_pts[:, 0], dev["linear_predictor"][~event])
    assert_allclose(cens_pts[:, 1], dev["deviance"][~event])
    assert (cens_pts[:, 1] <= 0).all()  # a censored row has a negative residual
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["Event", "Censored"]
    assert ax.get_xlabel() == "Linear predictor"
    assert ax.get_ylabel() == "Deviance residual"
    assert plots.check_layout(ax) == []


def test_deviance_plot_on_given_axes(lung_fit, close_figures):
    import matplotlib.pyplot as plt

    _, ax = plt.subplots()
    assert deviance_plot(lung_fit, ax=ax) is ax
    assert len(ax.collections) == 2

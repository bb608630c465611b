"""KM and cumulative-incidence figures: content of the returned Axes (Agg backend)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from netstats import plots
from netstats.exceptions import StatisticalWarning
from netstats.survival import cumulative_incidence, kaplan_meier, logrank

REF = Path(__file__).parent / "reference" / "survival"


@pytest.fixture
def aml() -> pd.DataFrame:
    return pd.read_csv(REF / "data_aml.csv")


@pytest.fixture
def fit(aml):
    return kaplan_meier(aml, time="time", event="status", group="group")


def risk_table(ax):
    tables = [a for a in ax.child_axes if a.get_gid() == "risk_table"]
    assert len(tables) == 1
    return tables[0]


def test_km_curves_labels_and_risk_table(fit, aml, close_figures):
    ax = plots.km(fit, times=[0, 12, 24, 36, 48])
    assert ax.get_xlabel() == "Time (months)"
    assert ax.get_ylabel() == "Survival probability"
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["Maintained (n = 11)", "Nonmaintained (n = 12)"]
    # the step curve of each group is its summary: (0, 1) then (time, survival)
    steps = [ln for ln in ax.get_lines() if ln.get_gid() is None]
    for line, g in zip(steps, fit.groups, strict=True):
        sub = fit.summary[fit.summary["group"] == g]
        np.testing.assert_array_equal(line.get_xdata()[1:], sub["time"])
        np.testing.assert_array_equal(line.get_ydata()[1:], sub["survival"])
    # risk table: identical to result.at(times)["n_at_risk"], placed at those times
    table = risk_table(ax)
    shown = sorted(
        (t.get_position()[1], t.get_position()[0], int(t.get_text())) for t in table.texts
    )
    with pytest.warns(StatisticalWarning, match="sparse tail"):  # 1 of 12 left at 48 months
        expected = fit.at([0, 12, 24, 36, 48])
    want = sorted(
        (row, float(t), int(n))
        for row, g in enumerate(fit.groups)
        for t, n in zip(
            expected.loc[expected.group == g, "time"],
            expected.loc[expected.group == g, "n_at_risk"],
            strict=True,
        )
    )
    assert shown == want
    assert table.get_xlim() == ax.get_xlim()  # aligned under the axis
    assert ax.get_xlim()[0] == 0.0


def test_km_censor_marks_ci_and_options(fit, close_figures):
    ax = plots.km(fit, risk_table=False, median_lines=True, p_value=0.0653)
    marks = [ln for ln in ax.get_lines() if ln.get_gid() == "censor_marks"]
    n_cens_times = [
        (fit.summary[(fit.summary.group == g) & (fit.summary.n_censored > 0)]).shape[0]
        for g in fit.groups
    ]
    assert [len(m.get_xdata()) for m in marks] == n_cens_times
    assert len(ax.collections) == 2  # one CI band per group
    assert len([ln for ln in ax.get_lines() if ln.get_gid() == "median_line"]) == 4
    assert any(t.get_text() == "Log-rank p = 0.065" for t in ax.texts)
    assert not ax.child_axes
    ax2 = plots.km(fit, ci=False, censor_marks=False, risk_table=False)
    assert len(ax2.collections) == 0
    assert not [ln for ln in ax2.get_lines() if ln.get_gid() == "censor_marks"]


def test_km_accepts_logrank_result_and_given_axes(fit, aml, close_figures):
    import matplotlib.pyplot as plt

    _, ax = plt.subplots()
    lr = logrank(aml, time="time", event="status", group="group")
    out = plots.km(fit, ax=ax, p_value=lr)
    assert out is ax
    assert any(t.get_text().startswith("Log-rank p = ") for t in ax.texts)


def test_km_ungrouped_and_default_ticks(aml, close_figures):
    ax = plots.km(kaplan_meier(aml, time="time", event="status"))
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["All (n = 23)"]
    table = risk_table(ax)
    assert int(table.texts[0].get_text()) == 23


def test_km_bad_times(fit, close_figures):
    with pytest.raises(ValueError, match="times must be finite"):
        plots.km(fit, times=[-1.0])


def test_cumulative_incidence_plot(close_figures):
    d = pd.read_csv(REF / "data_cr_tied.csv")
    res = cumulative_incidence(d, group="group")
    ax = plots.cumulative_incidence(res, times=[0, 0.5, 1, 2], p_value=0.0004)
    assert ax.get_ylabel() == "Cumulative incidence"
    assert len(ax.get_lines()) == 6  # 3 groups x 2 causes
    table = risk_table(ax)
    counts = res.at([0, 0.5, 1, 2])
    counts = counts[counts.cause == 1]
    assert sorted(int(t.get_text()) for t in table.texts) == sorted(counts["n_at_risk"].tolist())
    assert any(t.get_text() == "Gray's test p < 0.001" for t in ax.texts)
    ax2 = plots.cumulative_incidence(res, causes=[2], risk_table=False, ci=False)
    assert len(ax2.get_lines()) == 3 and len(ax2.collections) == 0
    with pytest.raises(ValueError, match="causes \\[9\\] not in the result"):
        plots.cumulative_incidence(res, causes=[9])


def test_plots_do_not_change_results(fit, close_figures):
    before = fit.summary.copy()
    plots.km(fit, median_lines=True)
    pd.testing.assert_frame_equal(fit.summary, before)


def test_importing_plots_does_not_load_matplotlib():
    import subprocess
    import sys

    code = "import sys, netstats.plots, netstats.survival; print('matplotlib' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).parent.parent,
    )
    assert out.stdout.strip() == "False"

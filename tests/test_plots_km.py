"""KM and cumulative-incidence figures: content of the returned Axes (Agg backend)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from netstats import plots
from netstats.exceptions import StatisticalWarning
from netstats.survival import cumulative_incidence, kaplan_meier

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


def cells(table):
    return [t for t in table.texts if t.get_gid() != "disclosure_note"]


def curves(ax):
    return [ln for ln in ax.get_lines() if ln.get_gid() is None]


def test_km_curves_labels_and_risk_table(fit, aml, close_figures):
    ax = plots.km(fit, times=[0, 12, 24, 36, 48])
    assert ax.get_xlabel() == "Time (months)"
    assert ax.get_ylabel() == "Survival probability"
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["Maintained (n = 11)", "Nonmaintained (n = 12)"]
    # without a threshold the step curve of each group is its summary's event times
    for line, g in zip(curves(ax), fit.groups, strict=True):
        sub = fit.summary[(fit.summary["group"] == g) & (fit.summary["n_events"] > 0)]
        np.testing.assert_array_equal(line.get_xdata()[1 : len(sub) + 1], sub["time"])
        np.testing.assert_array_equal(line.get_ydata()[1 : len(sub) + 1], sub["survival"])
    # risk table: identical to result.at(times)["n_at_risk"], placed at those times
    table = risk_table(ax)
    shown = sorted(
        (t.get_position()[1], t.get_position()[0], int(t.get_text())) for t in cells(table)
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
    # risk-table rows coloured like their curves
    for tick, line in zip(table.get_yticklabels(), curves(ax), strict=True):
        assert tick.get_color() == line.get_color()


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
    assert ax.get_title(loc="right") == "Log-rank p = 0.065"
    assert not ax.child_axes
    ax2 = plots.km(fit, ci=False, censor_marks=False, risk_table=False)
    assert len(ax2.collections) == 0
    assert not [ln for ln in ax2.get_lines() if ln.get_gid() == "censor_marks"]


def test_km_threshold_hides_censor_marks_and_small_counts(fit, close_figures):
    ax = plots.km(fit, threshold=3, times=[0, 12, 24, 36, 48])
    assert not [ln for ln in ax.get_lines() if ln.get_gid() == "censor_marks"]
    shown = {t.get_text() for t in cells(risk_table(ax))}
    assert shown <= {"0", "<3"} | {str(n) for n in range(3, 13)}
    assert "<3" in shown  # 1 of 12 at risk at 48 months
    assert "fewer than 3 remain at risk" in ax.netstats_note
    assert [a for a in ax.figure.findobj() if getattr(a, "get_gid", lambda: None)() ==
            "disclosure_note"]  # fmt: skip


def test_km_names_the_endpoint(close_figures):
    d = pd.DataFrame({"pfs_months": np.arange(1.0, 21), "pfs_event": [1, 0] * 10})
    res = kaplan_meier(d, time="pfs_months", event="pfs_event")
    ax = plots.km(res)
    assert ax.get_ylabel() == "Progression-free survival (probability)"
    assert ax.get_xlabel() == "Months since start of line"
    ax = plots.km(res, endpoint="os", xlabel="Months since diagnosis")
    assert ax.get_ylabel() == "Overall survival (probability)"
    assert ax.get_xlabel() == "Months since diagnosis"
    assert plots.km(res, ylabel="S(t)").get_ylabel() == "S(t)"


def test_km_legend_is_off_the_data(fit, close_figures):
    ax = plots.km(fit)
    assert plots.check_layout(ax) == []
    legend = ax.get_legend().get_window_extent()
    assert legend.x0 >= ax.bbox.x1  # to the right of the axes


def _many_groups(rng, n_groups=12):
    sizes = rng.integers(8, 60, n_groups)
    rows = []
    for i, n in enumerate(sizes):
        rows.append(
            pd.DataFrame(
                {
                    "time": rng.exponential(10 + i, n).round(1) + 0.1,
                    "event": rng.random(n) < 0.7,
                    "regimen": f"r{i:02d}",
                }
            )
        )
    return pd.concat(rows, ignore_index=True)


def test_km_pools_small_groups_into_other(rng, close_figures):
    data = _many_groups(rng)
    res = kaplan_meier(data, group="regimen")
    ax = plots.km(res)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert len(labels) == 8 and labels[-1].startswith("Other (5 groups)")
    sizes = data["regimen"].value_counts()
    kept = set(sizes.sort_values(ascending=False, kind="stable").index[:7])
    rest = data[~data["regimen"].isin(kept)]
    assert labels[-1] == f"Other (5 groups) (n = {len(rest)})"
    # the pooled curve is the Kaplan-Meier estimate of the pooled rows
    pooled = plots.pool_groups(res, 8)
    other = pooled.summary[pooled.summary["group"] == pooled.groups[-1]]
    direct = kaplan_meier(rest).summary
    np.testing.assert_allclose(other["survival"], direct["survival"], atol=1e-12)
    np.testing.assert_allclose(other["ci_upper"], direct["ci_upper"], atol=1e-12)
    colors = [ln.get_color() for ln in curves(ax)]
    assert len(set(colors)) == len(colors)  # no colour repeated
    assert plots.check_layout(ax) == []


def test_km_small_multiples(rng, close_figures):
    res = kaplan_meier(_many_groups(rng, 12), group="regimen")
    ax = plots.km(res, panels=True, threshold=5)
    shown = [a for a in ax.figure.axes if a.get_visible()]
    assert len(shown) == 2
    assert [len(a.get_legend().get_texts()) for a in shown] == [8, 4]
    styles = [(ln.get_color(), ln.get_linestyle()) for a in shown for ln in curves(a)]
    assert len(set(styles)) == len(styles) == 12
    with pytest.raises(ValueError, match="panels"):
        plots.km(res, panels=True, ax=ax)


def test_km_ungrouped_and_default_ticks(aml, close_figures):
    ax = plots.km(kaplan_meier(aml, time="time", event="status"))
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["All (n = 23)"]
    table = risk_table(ax)
    assert int(cells(table)[0].get_text()) == 23


def test_km_bad_arguments(fit, close_figures):
    with pytest.raises(ValueError, match="times must be finite"):
        plots.km(fit, times=[-1.0])
    with pytest.raises(ValueError, match="threshold must be >= 0"):
        plots.km(fit, threshold=-1)
    with pytest.raises(TypeError, match="threshold must be an integer"):
        plots.km(fit, threshold=2.5)
    with pytest.raises(ValueError, match="max_curves"):
        plots.km(fit, max_curves=1)


def test_km_group_below_threshold_is_not_drawn(close_figures):
    d = pd.DataFrame({"time": np.arange(1.0, 24), "event": 1, "arm": ["a"] * 20 + ["b"] * 3})
    ax = plots.km(kaplan_meier(d, group="arm"), threshold=5)
    assert len(curves(ax)) == 1
    assert "Not drawn (fewer than 5 patients): B" in ax.netstats_note
    assert len(risk_table(ax).get_yticklabels()) == 1


def test_cumulative_incidence_plot(close_figures):
    d = pd.read_csv(REF / "data_cr_tied.csv")
    res = cumulative_incidence(d, group="group")
    ax = plots.cumulative_incidence(
        res, times=[0, 0.5, 1, 2], p_value=0.0004, cause_names={1: "Relapse", 2: "Death"}
    )
    assert ax.get_ylabel() == "Cumulative incidence"
    assert len(ax.get_lines()) == 6  # 3 groups x 2 causes
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert sum("Relapse" in t for t in labels) == 3 and sum("Death" in t for t in labels) == 3
    table = risk_table(ax)
    counts = res.at([0, 0.5, 1, 2])
    counts = counts[counts.cause == 1]
    assert sorted(int(t.get_text()) for t in cells(table)) == sorted(counts["n_at_risk"].tolist())
    assert ax.get_title(loc="right") == "Gray's test p < 0.001"
    ax2 = plots.cumulative_incidence(res, causes=[2], risk_table=False, ci=False)
    assert len(ax2.get_lines()) == 3 and len(ax2.collections) == 0
    assert all("Cause 2" in t.get_text() for t in ax2.get_legend().get_texts())
    with pytest.raises(ValueError, match="causes \\[9\\] not in the result"):
        plots.cumulative_incidence(res, causes=[9])
    assert plots.check_layout(ax) == []


def test_cumulative_incidence_string_causes_and_threshold(rng, close_figures):
    n = 200
    d = pd.DataFrame(
        {
            "time": rng.exponential(12, n).round(1) + 0.1,
            "cause": rng.choice(["censored", "progression", "toxicity"], n, p=[0.3, 0.5, 0.2]),
        }
    )
    res = cumulative_incidence(
        d, event="cause", event_codes={"censored": 0, "progression": 1, "toxicity": 2}
    )
    ax = plots.cumulative_incidence(res, threshold=5)
    names = [t.get_text() for t in ax.get_legend().get_texts()]
    assert names[0].startswith(str(res.causes[0]).capitalize()[:4]) or names[0].startswith("Cause")
    steps = plots.cif_steps(res, 5)
    assert (steps.loc[steps["kind"] == "step", "n_events"] >= 5).all()
    assert (steps["n_at_risk"] >= 5).all()


def test_plots_do_not_change_results(fit, close_figures):
    before = fit.summary.copy()
    plots.km(fit, median_lines=True, threshold=3)
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

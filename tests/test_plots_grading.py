"""Grading figures: the Axes carry the right content (Agg backend, figures closed)."""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import pytest

from netstats.exceptions import StatisticalWarning
from netstats.grading import (
    bland_altman,
    concordance,
    grade_probability_curve,
    ki67_cutpoint,
    ki67_hazard,
    ki67_trajectory_model,
)
from netstats.plots._grading import (
    bland_altman_plot,
    cutpoint_plot,
    grade_heatmap,
    grade_migration,
    grade_probability_plot,
    ki67_hazard_plot,
    ki67_trajectories,
)

pytestmark = pytest.mark.usefixtures("close_figures")


@pytest.fixture
def result() -> object:
    pairs = pd.DataFrame(
        {
            "patient_id": [f"P{i}" for i in range(8)],
            "primary_who_grade": ["G1", "G1", "G2", "G2", "G2", "G3", "G2", "G2"],
            "metastasis_who_grade": ["G1", "G2", "G2", "G3", "G2", "G3", "G2", "G1"],
            "primary_ki67_percent": [1.0, 2.5, 5.0, 15.0, 8.0, 30.0, 1.2, 4.0],
            "metastasis_ki67_percent": [1.5, 4.0, 6.0, 25.0, 9.0, 28.0, 1.0, 2.0],
        }
    )
    return concordance(pairs)


def test_heatmap_counts(result):
    ax = grade_heatmap(result)
    texts = [t.get_text() for t in ax.texts]
    assert texts == [str(v) for v in result.cross_table.to_numpy().ravel()]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["G1", "G2", "G3"]
    assert ax.get_ylabel() == "Primary WHO grade" and ax.get_xlabel() == "Metastasis WHO grade"
    assert "n = 8" in ax.get_title()


def _published(result, withheld):
    """The cross-table in long form, ``n`` missing where a cell is withheld."""
    long = result.cross_table.stack().rename("n").reset_index()
    long.columns = ["primary", "metastasis", "n"]
    hide = long.apply(lambda r: (r["primary"], r["metastasis"]) in withheld, axis=1)
    return long.assign(n=long["n"].astype("Int64").mask(hide))


def test_heatmap_and_migration_draw_the_published_table(result):
    table = _published(result, {("G1", "G2"), ("G2", "G1")})
    texts = [t.get_text() for t in grade_heatmap(result, table=table).texts]
    expected = [str(v) for v in result.cross_table.to_numpy().ravel()]
    expected[1] = expected[3] = "*"  # G1 -> G2 and G2 -> G1, row-major
    assert texts == expected
    ax = grade_migration(result, table=table)
    counts = [t.get_text() for t in ax.texts if t.get_text().isdigit() or t.get_text() == "*"]
    shown = table.dropna(subset=["n"])
    visible = sorted(str(int(v)) for v in shown["n"] if v > 0)
    assert counts.count("*") == 2  # the withheld cells are labelled, not counted
    assert sorted(c for c in counts if c != "*") == visible
    dashed = [ln for ln in ax.get_lines() if ln.get_linestyle() == "--"]
    assert len(dashed) == 2


def test_published_table_is_checked(result):
    table = _published(result, {("G1", "G2")})
    with pytest.raises(ValueError, match="withheld"):
        grade_heatmap(result, table=table, normalize=True)
    wrong = table.assign(n=table["n"].fillna(0) + 1)
    with pytest.raises(ValueError, match="does not match"):
        grade_heatmap(result, table=wrong)
    with pytest.raises(ValueError, match="repeated"):
        grade_heatmap(result, table=pd.concat([table, table]))
    with pytest.raises(TypeError):
        grade_heatmap(result, table=[1, 2])


def test_heatmap_normalized_shares(result):
    ax = grade_heatmap(result, normalize=True)
    assert ax.texts[4].get_text() == "38%"  # 3 of 8 pairs G2 -> G2


def test_migration_one_line_per_nonempty_cell(result):
    ax = grade_migration(result)
    lines = ax.get_lines()
    nonzero = int((result.cross_table.to_numpy() > 0).sum())
    assert len(lines) == nonzero
    widths = {ln.get_label(): ln.get_linewidth() for ln in lines}
    # the G2 -> G2 cell (3 of 8 pairs) is the widest
    assert max(widths, key=widths.get) == "G2 \N{RIGHTWARDS ARROW} G2"
    assert [t.get_text() for t in ax.get_xticklabels()] == ["Primary", "Metastasis"]


def test_bland_altman_plot_lines_and_points(result):
    ax = bland_altman_plot(result)
    offsets = ax.collections[0].get_offsets()
    assert offsets.shape == (8, 2)
    s = result.bland_altman.summary.set_index("statistic")
    ys = sorted(ln.get_ydata()[0] for ln in ax.get_lines())
    expected = sorted([0.0, *s["estimate"].tolist()])
    np.testing.assert_allclose(ys, expected, rtol=1e-12)
    assert "ratio" in ax.get_legend().get_texts()[0].get_text()


def test_bland_altman_plot_raw_scale():
    ba = bland_altman([1.0, 2, 3, 4], [1.5, 2, 2.5, 4.5], log=False)
    ax = bland_altman_plot(ba, show_ci=False)
    assert ax.get_ylabel().startswith("Difference in Ki-67")
    assert len(ax.patches) == 0


def test_trajectories(rng):
    rows = []
    for i in range(6):
        u = rng.normal(0, 0.8)  # patient level
        for k in range(3):
            day = pd.Timestamp("2019-01-01") + pd.Timedelta(days=200 * k)
            rows.append((f"T{i}", f"T{i}-{k}", day, 3.0 * np.exp(u + 0.2 * k + rng.normal(0, 0.2))))
    path = pd.DataFrame(rows, columns=["patient_id", "sample_id", "sample_date", "ki67_percent"])
    path["site"] = "liver"
    path["specimen_type"] = "core_biopsy"
    fit = ki67_trajectory_model(path, random_slope=False)
    ax = ki67_trajectories(fit)
    assert ax.get_yscale() == "log"
    lines = ax.get_lines()
    # 6 patients + population trend + 2 cut-offs
    assert len(lines) == 6 + 1 + 2
    assert sorted(ln.get_ydata()[0] for ln in lines if ln.get_linestyle() == ":") == [3.0, 20.0]


def test_grade_probability_plot():
    cur = grade_probability_curve([100, 500], ki67_percent=np.linspace(0, 30, 31))
    ax = grade_probability_plot(cur)
    assert len([ln for ln in ax.get_lines() if ln.get_linestyle() != ":"]) == 6
    assert ax.get_ylim() == (0.0, 1.0)
    with pytest.raises(TypeError, match="grade_probability_curve"):
        grade_probability_plot(cur.drop(columns="grade"))


def test_type_errors(result):
    with pytest.raises(TypeError, match="ConcordanceResult"):
        grade_heatmap(result.cross_table)
    with pytest.raises(TypeError, match="Ki67TrajectoryResult"):
        ki67_trajectories(result)


def test_draws_on_given_axes(result):
    import matplotlib.pyplot as plt

    _, ax = plt.subplots()
    assert grade_heatmap(result, ax=ax) is ax


def test_grading_import_does_not_load_matplotlib():
    import subprocess

    code = "import sys, netstats.grading; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def _survival_data(rng, n=120):
    ki = np.round(rng.lognormal(1.6, 0.8, n).clip(1, 80))
    return pd.DataFrame({"months": rng.exponential(40 / ki**0.5), "death": 1, "ki67_percent": ki})


def test_hazard_plot(rng):
    res = ki67_hazard(_survival_data(rng), time="months", event="death")
    ax = ki67_hazard_plot(res)
    line = ax.get_lines()[0]
    np.testing.assert_allclose(line.get_ydata(), res.curve["hazard_ratio"])
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    assert len(ax.collections) == 1  # CI band


def test_cutpoint_plot(rng):
    with pytest.warns(StatisticalWarning):
        res = ki67_cutpoint(_survival_data(rng), time="months", event="death")
    ax = cutpoint_plot(res)
    np.testing.assert_allclose(ax.get_lines()[0].get_ydata(), res.statistics["statistic"])
    assert ax.get_lines()[1].get_xdata()[0] == res.cutpoint
    assert "corrected p" in ax.get_title()

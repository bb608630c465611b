"""The layout check, and every plot function drawn on realistic inputs passing it."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from netstats import grading, plots, sstr, survival
from netstats.endpoints import line_endpoints
from netstats.exceptions import StatisticalWarning
from netstats.io import load_cohort
from netstats.plots._style import OKABE_ITO, palette, series_style

ROOT = Path(__file__).parent.parent
pytestmark = pytest.mark.usefixtures("close_figures")


@pytest.fixture(scope="module")
def cohort():
    return load_cohort(ROOT / "data" / "synthetic")


@pytest.fixture(scope="module")
def lines(cohort) -> pd.DataFrame:
    return line_endpoints(cohort)


# ---- the palette ------------------------------------------------------------------------


def test_palette_has_no_repeats():
    assert len(set(OKABE_ITO)) == len(OKABE_ITO) == 8
    firsts = [series_style(i).color for i in range(8)]
    assert len(set(firsts)) == 8  # the first eight series differ in colour alone
    styles = [(s.color, s.linestyle) for s in palette(range(32)).values()]
    assert len(set(styles)) == 32  # beyond eight, colour and line style together differ
    with pytest.raises(ValueError):
        series_style(-1)


# ---- the check itself --------------------------------------------------------------------


def test_check_layout_catches_a_legend_on_the_data():
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    x = np.linspace(0, 1, 50)
    ax.plot(x, 0.5 + 0 * x, label="flat line through the middle")
    ax.legend(loc="center")
    assert plots.check_layout(fig) == ["axes 0: legend overlaps drawn data"]
    # a legend over a CI band (no line under it) is caught too
    fig2, ax2 = plt.subplots()
    ax2.fill_between([0, 1], [0.2, 0.2], [0.8, 0.8], label="band")
    ax2.plot([0, 1], [0.95, 0.95], label="top")
    ax2.legend(loc="center")
    assert plots.check_layout(ax2) == ["axes 0: legend overlaps drawn data"]
    # the same legend outside the axes passes
    plots.legend_outside(ax)
    assert plots.check_layout(fig) == []


def test_check_layout_catches_text_overlap_and_empty_axes():
    import matplotlib.pyplot as plt

    fig, (a, b) = plt.subplots(1, 2)
    a.plot([0, 1], [0, 1])
    a.text(0.5, 0.5, "first label", transform=a.transAxes)
    a.text(0.5, 0.5, "second label", transform=a.transAxes)
    problems = plots.check_layout(fig)
    assert "text 'first label' overlaps text 'second label'" in problems
    assert any(p.startswith("axes 1") and "empty axes" in p for p in problems)
    b.set_visible(False)  # an unused panel switched off is not a problem
    assert not any("empty" in p for p in plots.check_layout(fig))


# ---- every plot function on realistic inputs ---------------------------------------------


def _ok(ax) -> None:
    assert plots.check_layout(ax) == []


@pytest.mark.parametrize("group", ["line", "regimen"])
@pytest.mark.parametrize("threshold", [0, 5])
def test_km_layout(lines, group, threshold):
    d = lines[lines["line"] <= 3]
    fit = survival.kaplan_meier(d, time="pfs_months", event="pfs_event", group=group)
    lr = survival.logrank(d, time="pfs_months", event="pfs_event", group=group)
    ax = plots.km(fit, threshold=threshold, p_value=lr)
    assert len(ax.get_legend().get_texts()) <= 8
    _ok(ax)


def test_km_panels_layout(lines):
    fit = survival.kaplan_meier(lines, time="os_months", event="os_event", group="regimen")
    _ok(plots.km(fit, threshold=5, panels=True))


def test_cif_layout(lines):
    causes = {"progression": 1, "toxicity": 2, "death": 3, "patient_choice": 4, "other": 4}
    stop = lines.dropna(subset=["ttf_months"]).assign(
        cause=lambda d: d["ttf_reason"].map(causes).fillna(0).astype(int),
        first=lambda d: np.where(d["line"] == 1, "line 1", "line 2+"),
    )
    res = survival.cumulative_incidence(stop, time="ttf_months", event="cause", group="first")
    names = {1: "Progression", 2: "Toxicity", 3: "Death", 4: "Other reason"}
    _ok(plots.cumulative_incidence(res, threshold=5, cause_names=names))


def test_forest_and_schoenfeld_layout(lines):
    d = lines.assign(log2_ki67=lambda x: np.log2(x["ki67_percent"].clip(lower=0.5)))
    d = d.dropna(subset=["log2_ki67", "pfs_months"])
    fit = survival.cox(d, "log2_ki67 + line + C(drug_class)", time="pfs_months",
                       event="pfs_event")  # fmt: skip
    _ok(plots.forest(fit))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StatisticalWarning)
        zph = fit.check_ph(warn=False)
    _ok(plots.schoenfeld(zph, terms=["log2_ki67"]).flat[0])


def test_sstr_layout():
    data = pd.read_csv(ROOT / "tests" / "reference" / "sstr" / "classifier_data.csv")
    ax = None
    for name, col in (("logistic", "prob_1"), ("gradient_boosting", "prob_2")):
        auc = sstr.auroc_delong(data["y"], data[col])
        ax = plots.roc(sstr.roc_curve(data["y"], data[col]), auc=auc, ax=ax, label=name)
    _ok(ax)
    ax = None
    for name, col in (("logistic", "prob_1"), ("gradient_boosting", "prob_2")):
        ax = plots.calibration(sstr.calibration_curve(data["y"], data[col]), ax=ax, label=name)
    _ok(ax)
    _ok(plots.decision_curve(sstr.decision_curve(data["y"], data["prob_1"]), label="logistic"))


def test_swimmer_layout(lines):
    shown = lines["patient_id"].drop_duplicates().iloc[:60]
    _ok(plots.swimmer(lines[lines["patient_id"].isin(shown)]))


def test_grading_layout(cohort):
    pairs = grading.build_pairs(cohort.pathology, kind="primary_metastasis")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StatisticalWarning)
        conc = grading.concordance(pairs, log_offset=0.5, random_state=1)
    _ok(plots.grade_heatmap(conc))
    _ok(plots.grade_migration(conc))
    _ok(plots.bland_altman_plot(conc))
    _ok(plots.grade_probability_plot(grading.grade_probability_curve([500, 2000])))


def test_scan_trajectory_layout():
    import netstats

    cohort = netstats.simulate_cohort(n_patients=150, seed=1)
    _ok(plots.scan_trajectory(sstr.scan_trajectory(cohort, "P000013")))

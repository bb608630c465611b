"""Forest plot and scaled Schoenfeld residual plots: content of the returned Axes."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from netstats.exceptions import StatisticalWarning
from netstats.labels import term_label
from netstats.plots._forest import forest, log_ticks
from netstats.plots._schoenfeld import schoenfeld
from netstats.survival._cox import cox
from netstats.survival._cox_zph import cox_zph
from netstats.survival._finegray import fine_gray
from tests._cox_cases import load


@pytest.fixture
def veteran_fit():
    return cox(load("veteran"), "trt + karno + C(celltype)", time="time", event="status")


def _texts(ax) -> list[str]:
    return [t.get_text() for t in ax.texts]


def test_forest_draws_every_term_with_aligned_table(veteran_fit, close_figures) -> None:
    ax = forest(veteran_fit, labels={"C(celltype)[T.large]": "Large cell"})
    s = veteran_fit.summary
    assert ax.get_xscale() == "log"
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[2] == "Large cell"
    assert labels[0] == "Trt"  # readable fallback of an unknown column
    assert labels[3] == "Celltype: smallcell vs adeno (reference)"  # reference level named
    # One CI segment per term, at the summary's limits.
    segs = ax.collections[0].get_segments()
    assert len(segs) == len(s)
    assert_allclose([seg[0][0] for seg in segs], s["ci_lower"])
    assert_allclose([seg[1][0] for seg in segs], s["ci_upper"])
    # Point estimates.
    assert_allclose(ax.lines[0].get_xdata(), s["hr"])
    texts = _texts(ax)
    for header in ("n", "Events", "HR (95% CI)", "p"):
        assert header in texts
    row = s.iloc[1]
    assert f"{row['hr']:.2f} ({row['ci_lower']:.2f}\u2013{row['ci_upper']:.2f})" in texts
    assert "<0.001" in texts  # karno
    # Every table text of a row sits at that row's y (alignment).
    ys = dict(zip(labels, ax.get_yticks(), strict=True))
    row_texts = [t for t in ax.texts if t.get_text() == str(int(s.iloc[2]["n"]))]
    assert any(abs(t.get_position()[1] - ys["Large cell"]) < 1e-12 for t in row_texts)
    # Reference line at HR = 1.
    assert any(np.allclose(line.get_xdata(), 1.0) for line in ax.lines[1:])


def test_forest_accepts_frame_and_fine_gray(close_figures) -> None:
    tbl = pd.DataFrame(
        {"term": ["a", "b"], "hr": [0.5, 2.0], "ci_lower": [0.25, 1.2], "ci_upper": [0.9, 3.5]}
    )
    ax = forest(tbl, table=False)
    assert len(ax.texts) == 0
    lo, hi = ax.get_xlim()
    assert lo < 0.25 and hi > 3.5
    fg = fine_gray(load("mgus2"), "age + male + mspike", time="etime", event="event")
    ax2 = forest(fg)
    assert len(ax2.get_yticklabels()) == 3


def test_forest_bad_input(close_figures) -> None:
    with pytest.raises(TypeError, match="summary"):
        forest([1, 2, 3])
    with pytest.raises(ValueError, match="ci_upper"):
        forest(pd.DataFrame({"term": ["a"], "hr": [1.0], "ci_lower": [0.5]}))


def test_forest_uses_given_axes(veteran_fit, close_figures) -> None:
    import matplotlib.pyplot as plt

    _, ax = plt.subplots()
    assert forest(veteran_fit, ax=ax) is ax


def test_schoenfeld_one_panel_per_term(veteran_fit, close_figures) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StatisticalWarning)
        zph = cox_zph(veteran_fit)
    axes = schoenfeld(zph)
    assert len(axes) == 3
    for ax, term in zip(axes, zph.residuals.columns, strict=True):
        assert ax.get_title().startswith(term_label(term))
        points = ax.collections[0].get_offsets()
        assert len(points) == len(zph.residuals)
        sm = zph.smooth(term)
        assert_allclose(ax.lines[0].get_ydata(), sm["estimate"])
        assert ax.get_xlabel() == "1 - KM(t)"
    with pytest.raises(ValueError, match="unknown term"):
        schoenfeld(zph, terms=["nope"])


@pytest.mark.parametrize(
    ("left", "right", "want"),
    [
        (0.2, 5.0, [0.25, 0.5, 1.0, 2.0, 4.0]),
        (0.94, 1.35, [0.95, 1.0, 1.1, 1.2, 1.3]),  # only "1" of 0.25, 0.5, 1, 2: finer ticks
        (0.001, 300.0, [0.001, 0.01, 0.1, 1.0, 10.0, 100.0]),
    ],
)
def test_log_ticks_from_the_range(left, right, want) -> None:
    ticks = log_ticks(left, right)
    assert all(left <= t <= right for t in ticks)
    assert ticks == want


def test_forest_axis_has_readable_ticks(close_figures) -> None:
    tbl = pd.DataFrame(
        {
            "term": ["log2_ki67", "C(drug_class)[T.SSA]"],
            "hr": [1.23, 1.14],
            "ci_lower": [1.18, 1.07],
            "ci_upper": [1.28, 1.22],
        }
    )
    ax = forest(tbl, reference={"drug_class": "PRRT"})
    ax.figure.draw_without_rendering()
    ticks = [t for t in ax.get_xticks() if ax.get_xlim()[0] <= t <= ax.get_xlim()[1]]
    assert len(ticks) >= 3
    shown = [t.get_text() for t in ax.get_xticklabels()]
    assert all(text and "$" not in text for text in shown)
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == ["Ki-67, per doubling", "Drug class: SSA vs PRRT (reference)"]

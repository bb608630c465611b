"""Survival curves from a Cox model: content of the returned Axes (Agg backend)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from numpy.testing import assert_allclose

from netstats import plots
from netstats.survival import adjusted_survival, cox, predict_survival

REF = Path(__file__).parent / "reference" / "cox"
VET = pd.read_csv(REF / "veteran.csv")
ND_VET = pd.DataFrame({"celltype": ["adeno", "squamous", "large"], "karno": [60, 80, 40]})


def test_cox_survival_and_adjusted_curves_draw_the_results(close_figures) -> None:
    fit = cox(VET, "C(celltype) + karno", time="time", event="status")
    newdata = ND_VET
    curves = predict_survival(fit, newdata)
    ax = plots.cox_survival(curves, names={0: "Adeno, Karnofsky 60"})
    lines = [ln for ln in ax.get_lines() if str(ln.get_gid()).startswith("curve_")]
    assert len(lines) == 3
    sub = curves.summary[curves.summary["profile"] == 0]
    assert_allclose(lines[0].get_xdata()[1:], sub["time"])
    assert_allclose(lines[0].get_ydata()[1:], sub["survival"])
    assert lines[0].get_ydata()[0] == 1.0
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    # unnamed profiles of a default index are described by the values that differ
    assert texts == [
        "Adeno, Karnofsky 60",
        "Celltype: squamous, Karno 80",
        "Celltype: large, Karno 40",
    ]
    bands = [c for c in ax.collections if str(c.get_gid()).endswith("_band")]
    assert len(bands) == 3
    assert ax.get_ylabel() == "Survival probability"

    fit2 = cox(VET, "C(celltype) + karno + age", time="time", event="status", ties="breslow")
    adj = adjusted_survival(fit2, VET, group="celltype")
    ax2 = plots.adjusted_curves(adj, ci=False)
    lines = [ln for ln in ax2.get_lines() if str(ln.get_gid()).startswith("curve_")]
    assert len(lines) == 4
    assert [ln.get_color() for ln in lines] == [plots.series_style(i).color for i in range(4)]
    assert not [c for c in ax2.collections if str(c.get_gid()).endswith("_band")]
    first = adj.summary[adj.summary["group"] == adj.levels[0]]
    assert_allclose(lines[0].get_ydata()[1:], first["survival"])
    legend = ax2.get_legend()
    assert legend.get_title().get_text() == "Celltype"
    assert ax2.get_xlim()[0] == 0.0

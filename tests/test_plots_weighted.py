"""Figures of weighted survival results: the risk table and every drawn count are patients
(row counts), never sums of case weights, and the table says the curves are weighted."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from netstats import plots
from netstats.exceptions import StatisticalWarning
from netstats.survival import cumulative_incidence, kaplan_meier

REF = Path(__file__).parent / "reference" / "survival"
TIMES = [0, 200, 400, 600]


@pytest.fixture
def lung() -> pd.DataFrame:
    # fractional weights (sums far from the row counts) with some zeros
    return pd.read_csv(REF / "data_weights_lung.csv").assign(
        w=lambda d: np.where(d["wi"] == 0, 0.0, 3.7 * d["wf"])
    )


def risk_table(ax):
    tables = [a for a in ax.child_axes if a.get_gid() == "risk_table"]
    assert len(tables) == 1
    return tables[0]


def shown_cells(ax) -> list[tuple[float, float, int]]:
    table = risk_table(ax)
    return sorted(
        (t.get_position()[1], t.get_position()[0], int(t.get_text()))
        for t in table.texts
        if t.get_gid() != "disclosure_note"
    )


def test_weighted_km_risk_table_shows_patients(lung, close_figures):
    fit = kaplan_meier(lung, time="time", event="status", group="group", weights="w")
    ax = plots.km(fit, times=TIMES)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StatisticalWarning)
        at = fit.at(TIMES)
    kept = lung[lung["w"] > 0]
    want = sorted(
        (row, float(t), int(((kept.group == g) & (kept.time >= t)).sum()))
        for row, g in enumerate(fit.groups)
        for t in TIMES
    )
    assert shown_cells(ax) == want
    # the weighted sums differ from what is shown, so the test can tell them apart
    weighted = sorted(
        (row, float(t), int(round(w)))
        for row, g in enumerate(fit.groups)
        for t, w in zip(
            at.loc[at.group == g, "time"], at.loc[at.group == g, "weighted_at_risk"], strict=True
        )
    )
    assert shown_cells(ax) != weighted
    title = risk_table(ax).get_title(loc="left")
    assert title.startswith("Number at risk (patients, unweighted; curves weighted by")
    # legend sizes are patients too
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    sizes = kept.groupby("group").size()
    assert all(
        text.endswith(f"(n = {sizes[g]})") for g, text in zip(fit.groups, legend, strict=True)
    )
    assert plots.check_layout(ax) == []


def test_weighted_km_steps_count_patients(lung):
    fit = kaplan_meier(lung, time="time", event="status", group="group", weights="w")
    steps = plots.km_steps(fit, threshold=5)
    drawn = steps[steps["kind"] == "step"]
    assert (drawn["n_events"] >= 5).all()
    assert steps["n_events"].dtype.kind == "i" and steps["n_at_risk"].dtype.kind == "i"
    # every step joins whole patients' events, summing to at most the group's events
    kept = lung[lung["w"] > 0]
    for g, sub in drawn.groupby("group"):
        assert sub["n_events"].sum() <= kept.loc[kept.group == g, "status"].sum()
    # and the drawn estimates are the weighted curve's
    s = fit.summary
    for _, row in drawn.iterrows():
        hit = s[(s["group"] == row["group"]) & (s["time"] == row["time"])]
        assert float(hit["survival"].iloc[0]) == row["estimate"]


def test_unweighted_title_unchanged(lung, close_figures):
    fit = kaplan_meier(lung, time="time", event="status", group="group")
    ax = plots.km(fit, times=TIMES)
    assert risk_table(ax).get_title(loc="left") == "Number at risk"


def test_weighted_cumulative_incidence_risk_table(close_figures):
    mg = pd.read_csv(REF / "data_weights_mgus2.csv")
    res = cumulative_incidence(mg, group="group", weights="wf", variance="aalen-johansen")
    ax = plots.cumulative_incidence(res, times=[0, 100, 200, 300])
    counts = res.at([0, 100, 200, 300])
    counts = counts[counts["cause"] == 1]
    got = sorted(int(t.get_text()) for t in risk_table(ax).texts)
    assert got == sorted(counts["n_at_risk"].tolist())
    assert got != sorted(int(round(v)) for v in counts["weighted_at_risk"])
    assert "curves weighted by" in risk_table(ax).get_title(loc="left")


def test_pooled_weighted_groups_equal_the_weighted_fit_of_the_pooled_rows():
    vet = pd.read_csv(REF / "data_weights_veteran.csv")
    fit = kaplan_meier(
        vet, time="time", event="status", group="celltype", weights="wf", variance="greenwood"
    )
    pooled = plots.pool_groups(fit, max_curves=2)
    kept = fit.groups[int(np.argmax(fit.group_sizes))]
    other = vet[vet["celltype"] != kept]
    want = kaplan_meier(other, time="time", event="status", weights="wf").summary
    got = pooled.summary[pooled.summary["group"] == pooled.groups[1]]
    for col in (
        "time",
        "n_at_risk",
        "n_events",
        "weighted_at_risk",
        "survival",
        "std_err",
        "ci_lower",
        "ci_upper",
    ):
        np.testing.assert_allclose(got[col].to_numpy(float), want[col].to_numpy(float), rtol=1e-12)
    assert pooled.group_sizes[1] == len(other[other["wf"] > 0])
    robust = kaplan_meier(
        vet, time="time", event="status", group="celltype", weights="wf", variance="robust"
    )
    with pytest.raises(ValueError, match="robust variance cannot be pooled"):
        plots.pool_groups(robust, max_curves=2)

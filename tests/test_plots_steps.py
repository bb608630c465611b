"""Disclosure-safe survival curves: what km_steps/cif_steps draw, checked like an attacker would."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from netstats import plots
from netstats.exceptions import StatisticalWarning
from netstats.survival import cumulative_incidence, kaplan_meier


@st.composite
def survival_data(draw):
    n = draw(st.integers(1, 80))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    # integer months give many ties, as real follow-up rounded to months does
    time = rng.integers(1, draw(st.integers(2, 40)), n).astype(float)
    event = rng.random(n) < draw(st.floats(0.1, 1.0))
    groups = draw(st.integers(1, 3))
    return pd.DataFrame({"time": time, "event": event, "arm": rng.integers(0, groups, n)})


def _at(fit, times):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StatisticalWarning)
        return fit.at(times)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=survival_data(), k=st.integers(2, 10))
def test_km_steps_are_safe_and_exact(data, k):
    fit = kaplan_meier(data, group="arm")
    steps = plots.km_steps(fit, k)
    s = fit.summary
    for g in fit.groups:
        sub = steps[steps["group"] == g]
        full = s[s["group"] == g]
        if sub.empty:  # not drawn: the group starts with fewer than k at risk
            assert full["n_at_risk"].iloc[0] < k
            continue
        assert list(sub["kind"]) == ["start"] + ["step"] * (len(sub) - 2) + ["end"]
        # every drawn point has at least k at risk (counted from the result, not the frame)
        at = _at(fit, sub["time"].to_numpy())
        at = at[at["group"] == g]
        assert (at["n_at_risk"].to_numpy() >= k).all()
        assert (sub["n_at_risk"].to_numpy() == at["n_at_risk"].to_numpy()).all()
        # every drawn step joins at least k events, counted from the summary between points
        drawn = sub[sub["kind"] != "end"]["time"].to_numpy()
        for t0, t1 in zip(drawn[:-1], drawn[1:], strict=True):
            between = full[(full["time"] > t0) & (full["time"] <= t1)]["n_events"].sum()
            assert between >= k
        # drawn estimates are the KM estimate at the drawn times
        pts = sub[sub["kind"] != "end"]
        exact = at.iloc[: len(pts)]
        np.testing.assert_allclose(pts["estimate"], exact["survival"], rtol=0, atol=1e-12)
        np.testing.assert_allclose(pts["ci_lower"], exact["ci_lower"], rtol=0, atol=1e-12)
        # the flat end is exact: no event between the last step and the end of the curve
        t_last, t_end = drawn[-1], float(sub["time"].iloc[-1])
        assert full[(full["time"] > t_last) & (full["time"] < t_end)]["n_events"].sum() == 0
        # it stops at an undrawn event (fewer than k left to join) or before the risk set
        # falls below k
        here = full[full["time"] == t_end].iloc[0]
        later = full[full["time"] > t_end]
        undrawn = here["n_events"] > 0 and t_end > t_last
        assert undrawn or len(later) == 0 or later["n_at_risk"].iloc[0] < k
        if undrawn:
            assert full[full["time"] >= t_end]["n_events"].sum() >= 1


@settings(max_examples=60, deadline=None)
@given(data=survival_data(), k=st.integers(2, 10))
def test_risk_table_cells_are_safe(data, k):
    fit = kaplan_meier(data, group="arm")
    cells = plots.risk_cells(_at(fit, [0, 3, 6, 12, 24]), k)
    for n, shown in zip(cells["n_at_risk"], cells["shown"], strict=True):
        assert shown == "0" if n == 0 else (shown == f"<{k}" if n < k else int(shown) >= k)


@settings(max_examples=60, deadline=None)
@given(data=survival_data(), k=st.integers(2, 10))
def test_cif_steps_are_safe_and_exact(data, k):
    rng = np.random.default_rng(len(data))
    cause = np.where(data["event"], rng.integers(1, 3, len(data)), 0)
    if not cause.any():
        return
    res = cumulative_incidence(data.assign(cause=cause), event="cause", group="arm")
    steps = plots.cif_steps(res, k)
    assert (steps.loc[steps["kind"] == "step", "n_events"] >= k).all()
    assert (steps["n_at_risk"] >= k).all()
    pts = steps[steps["kind"] == "step"]
    if len(pts):
        at = res.at(sorted(set(pts["time"])))
        merged = pts.merge(at, on=["group", "cause", "time"], suffixes=("", "_at"))
        assert len(merged) == len(pts)
        np.testing.assert_allclose(merged["estimate"], merged["estimate_at"], atol=1e-12)


def test_threshold_zero_draws_every_event_time():
    d = pd.DataFrame({"time": [1.0, 2, 2, 3, 5, 8], "event": [1, 1, 0, 1, 0, 1]})
    fit = kaplan_meier(d)
    steps = plots.km_steps(fit, 0)
    events = fit.summary[fit.summary["n_events"] > 0]
    np.testing.assert_array_equal(steps.loc[steps["kind"] == "step", "time"], events["time"])
    np.testing.assert_array_equal(steps["n_events"].iloc[1:-1], events["n_events"])


def test_merged_steps_example():
    d = pd.DataFrame({"time": np.arange(1.0, 11), "event": 1})
    steps = plots.km_steps(kaplan_meier(d), 3)
    assert steps["kind"].tolist() == ["start", "step", "step", "end"]
    assert steps["time"].tolist() == [0.0, 3.0, 6.0, 7.0]  # 4 left at 7, 3 at 8
    assert steps["n_events"].tolist() == [0, 3, 3, 0]


def test_risk_cell_rejects_bad_threshold():
    with pytest.raises(ValueError):
        plots.risk_cell(3, -2)
    assert plots.risk_cell(0, 5) == "0" and plots.risk_cell(4, 5) == "<5"

"""RMST: R survfit's rmean / se(rmean) and survRM2-style contrasts computed in R from them
(tests/reference/survival/survival_reference.R), a lifelines cross-check of the estimate,
properties and error paths."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.integrate import IntegrationWarning

from netstats.exceptions import SchemaError, StatisticalWarning
from netstats.survival import rmst

REF = Path(__file__).parent / "reference" / "survival"
RTOL = 1e-6  # deterministic
RM_REF = pd.read_csv(REF / "rmst_survfit.csv")
CT_REF = pd.read_csv(REF / "rmst_contrasts.csv")


def load(name: str) -> pd.DataFrame:
    return pd.read_csv(REF / f"data_{name}.csv")


@pytest.mark.reference
@pytest.mark.parametrize("dataset", sorted(RM_REF["dataset"].unique()))
def test_matches_r_survfit_rmean(dataset):
    ref = RM_REF[RM_REF["dataset"] == dataset]
    tau = float(ref["tau"].iloc[0])
    data = load(dataset)
    by_group = rmst(data, time="time", event="status", group="group", tau=tau)
    overall = rmst(data, time="time", event="status", tau=tau)
    got = pd.concat([by_group.summary, overall.summary], ignore_index=True)
    assert got["group"].astype(str).tolist() == ref["group"].astype(str).tolist()
    np.testing.assert_allclose(got["estimate"], ref["rmst"], rtol=RTOL)
    np.testing.assert_allclose(got["std_err"], ref["se"], rtol=RTOL)
    z = 1.959963984540054
    np.testing.assert_allclose(got["ci_lower"], ref["rmst"] - z * ref["se"], rtol=RTOL)


@pytest.mark.reference
@pytest.mark.parametrize("dataset", sorted(CT_REF["dataset"].unique()))
def test_contrasts_match_r(dataset):
    ref = CT_REF[CT_REF["dataset"] == dataset].reset_index(drop=True)
    res = rmst(
        load(dataset), time="time", event="status", group="group", tau=float(ref["tau"].iloc[0])
    )
    got = res.contrasts
    assert got["contrast"].tolist() == ["difference", "ratio"]
    assert got["group_a"].astype(str).tolist() == ref["group_a"].astype(str).tolist()
    for col in ("estimate", "std_err", "ci_lower", "ci_upper", "p_value"):
        np.testing.assert_allclose(got[col], ref[col], rtol=RTOL)


def test_hand_worked_example():
    # S = 1 on [0,2), 0.75 on [2,4), 0.5 on [4,6): area to 5 = 2 + 1.5 + 0.5 = 4.0
    df = pd.DataFrame({"time": [2.0, 4.0, 6.0, 8.0], "event": 1})
    res = rmst(df, tau=5.0)
    assert res.summary["estimate"].iloc[0] == pytest.approx(4.0)
    # A(2) = 1.5 + 0.5 = 2.0, A(4) = 0.5; var = 2^2/(4*3) + 0.5^2/(3*2)
    assert res.summary["std_err"].iloc[0] == pytest.approx(np.sqrt(4 / 12 + 0.25 / 6))
    assert res.contrasts.empty
    assert "tau = 5 months" in repr(res)


def test_estimate_matches_lifelines_but_not_its_variance():
    from lifelines import KaplanMeierFitter
    from lifelines.utils import restricted_mean_survival_time

    d = load("lung")
    kmf = KaplanMeierFitter().fit(d["time"], d["status"])
    with warnings.catch_warnings():
        # lifelines integrates the variance numerically; scipy's quad warns on the step curve
        warnings.simplefilter("ignore", IntegrationWarning)
        est, var_truncated_time = restricted_mean_survival_time(kmf, t=500, return_variance=True)
    ours = rmst(d, time="time", event="status", tau=500.0).summary
    assert ours["estimate"].iloc[0] == pytest.approx(est, rel=RTOL)
    # lifelines returns the variance of min(T, tau), about n times larger than that of the
    # estimator (documented pitfall): they must not agree
    assert var_truncated_time > 50 * ours["std_err"].iloc[0] ** 2


def test_tau_beyond_follow_up_warns():
    df = pd.DataFrame({"time": [1.0, 2.0, 3.0], "event": [1, 0, 0]})
    with pytest.warns(StatisticalWarning, match="beyond the last follow-up"):
        res = rmst(df, tau=5.0)
    assert res.summary["estimate"].iloc[0] == pytest.approx(1.0 + 4 * 2 / 3)


@settings(max_examples=50, deadline=None)
@given(
    rows=st.lists(st.tuples(st.integers(1, 20), st.booleans()), min_size=2, max_size=40),
    tau=st.floats(0.5, 20.0),
)
def test_bounds_and_no_mutation(rows, tau):
    df = pd.DataFrame(rows, columns=["time", "event"])
    df.loc[len(df)] = [25, False]  # follow-up beyond every tau: no extrapolation warning
    before = df.copy(deep=True)
    res = rmst(df, tau=tau)
    est = res.summary["estimate"].iloc[0]
    assert 0 <= est <= tau + 1e-12
    assert res.summary["std_err"].iloc[0] >= 0
    pd.testing.assert_frame_equal(df, before)


@pytest.mark.parametrize(
    ("tau", "exc", "match"),
    [(-1.0, ValueError, "tau must be finite and > 0"), ("12", TypeError, "tau must be a number")],
)
def test_bad_tau(tau, exc, match):
    with pytest.raises(exc, match=match):
        rmst(pd.DataFrame({"time": [1.0], "event": [1]}), tau=tau)


def test_schema_error():
    with pytest.raises(SchemaError, match="event column 'status' not found"):
        rmst(pd.DataFrame({"time": [1.0]}), event="status", tau=1.0)


def test_contrast_without_events_before_tau_has_undefined_p_value():
    # No event before tau in either group: both RMSTs equal tau with zero variance.
    data = pd.DataFrame(
        {"time": [30.0, 31, 32, 33, 34, 35], "event": [1, 0, 1, 0, 1, 0], "group": list("aaabbb")}
    )
    res = rmst(data, time="time", event="event", group="group", tau=24.0)
    c = res.contrasts
    diff = c[c["contrast"] == "difference"].iloc[0]
    assert diff["estimate"] == 0.0 and diff["std_err"] == 0.0
    assert np.isnan(diff["p_value"])
    assert diff["ci_lower"] == diff["ci_upper"] == 0.0

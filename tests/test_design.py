"""Trial design: Schoenfeld/Freedman events, events-to-patients conversion, simulated power.

Hand-worked values use the standard normal quantiles z_0.975 = 1.959964,
z_0.90 = 1.281552 and z_0.80 = 0.841621 (any normal table); the formulas are those of
Schoenfeld (1983, Biometrics 39:499) and Freedman (1982, Stat Med 1:121), as given in
Collett, Modelling Survival Data in Medical Research (3rd ed.), ch. 10.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.integrate import quad

from netstats.design import (
    ExponentialTrial,
    PowerResult,
    SampleSizeResult,
    event_probability,
    power_survival,
    sample_size_survival,
    simulate_power,
)

Z975, Z90, Z80 = 1.959964, 1.281552, 0.841621


def test_schoenfeld_hand_worked() -> None:
    # d = (1.959964 + 1.281552)^2 / (0.5 * 0.5 * log(0.5)^2) = 10.507426 / 0.120113 = 87.479
    hand = (Z975 + Z90) ** 2 / (0.25 * math.log(0.5) ** 2)
    res = sample_size_survival(0.5, power=0.9)
    assert res.events_exact == pytest.approx(hand, rel=1e-6)  # table quantiles have 7 digits
    assert res.events_exact == pytest.approx(87.479, abs=5e-4)
    assert res.n_events == 88


def test_freedman_hand_worked() -> None:
    # d = (z_a + z_b)^2 (1 + HR)^2 / (1 - HR)^2 = 10.507426 * 9 = 94.567 (equal allocation)
    res = sample_size_survival(0.5, power=0.9, method="freedman")
    assert res.events_exact == pytest.approx((Z975 + Z90) ** 2 * 9, rel=1e-6)
    assert res.n_events == 95


def test_schoenfeld_published_table() -> None:
    # Trials 2015, doi:10.1186/s13063-015-0727-9, Table 1: Schoenfeld's formula, HR 2, 5 %
    # two-sided, 80 % power, equal allocation, 50 % censoring -> N = 132 (66 events).
    res = sample_size_survival(2.0, power=0.8)
    assert res.events_exact == pytest.approx(
        (Z975 + Z80) ** 2 / (0.25 * math.log(2) ** 2), rel=1e-6
    )
    assert res.n_events == 66
    assert math.ceil(res.n_events / 0.5) == 132


def test_unequal_allocation_hand_worked() -> None:
    # 2:1 allocation (pi = 2/3): Schoenfeld d = 10.507426 / (2/9 * log(0.5)^2) = 98.41;
    # Freedman d = 10.507426 (2/3 * 0.5 + 1/3)^2 / (2/9 * 0.25) = 10.507426 * 8 = 84.06.
    s = sample_size_survival(0.5, power=0.9, allocation=2 / 3)
    f = sample_size_survival(0.5, power=0.9, allocation=2 / 3, method="freedman")
    assert s.events_exact == pytest.approx(
        (Z975 + Z90) ** 2 / (2 / 9 * math.log(0.5) ** 2), rel=1e-6
    )
    assert f.events_exact == pytest.approx((Z975 + Z90) ** 2 * 8, rel=1e-6)


def test_event_probability_hand_worked() -> None:
    # median 12 months (h = log 2 / 12), accrual 24, follow-up 12:
    # 1 - (2^-1 - 2^-3) / (24 log 2 / 12) = 1 - 0.375 / (2 log 2) = 0.7294950
    p = event_probability(hazard=math.log(2) / 12, accrual=24, follow_up=12)
    assert p == pytest.approx(1 - 0.375 / (2 * math.log(2)), rel=1e-12)
    assert p == pytest.approx(0.729495, abs=5e-7)
    assert event_probability(hazard=0.1, accrual=0, follow_up=5) == pytest.approx(
        1 - math.exp(-0.5)
    )


@pytest.mark.parametrize(("h", "a", "f"), [(0.05, 36, 6), (0.2, 12, 0), (0.01, 60, 24)])
def test_event_probability_equals_integral(h: float, a: float, f: float) -> None:
    # independent check: average of P(T < a + f - u) over uniform entry u in [0, a]
    integral, _ = quad(lambda u: 1 - math.exp(-h * (a + f - u)), 0, a)
    assert event_probability(hazard=h, accrual=a, follow_up=f) == pytest.approx(
        integral / a, rel=1e-10
    )
    # Schoenfeld's (1983) Simpson approximation is close
    s = [math.exp(-h * t) for t in (f, f + a / 2, f + a)]
    simpson = 1 - (s[0] + 4 * s[1] + s[2]) / 6
    assert event_probability(hazard=h, accrual=a, follow_up=f) == pytest.approx(simpson, abs=5e-3)


def test_patients_hand_worked() -> None:
    # control median 12 -> P = 0.729495; HR 0.5 (median 24): 1 - 2^-0.5 (1 - 2^-1) / log 2
    # = 0.489931; average 0.609713; 88 events / 0.609713 = 144.33 -> 145 patients
    res = sample_size_survival(0.5, power=0.9, control_median=12, accrual=24, follow_up=12)
    p_e = 1 - 2**-0.5 * 0.5 / math.log(2)
    assert res.p_event == pytest.approx((0.729495 + p_e) / 2, abs=1e-6)
    assert res.n_patients == 145
    s = res.summary
    assert s.loc[0, "n_patients"] == 145 and s.loc[0, "n_events"] == 88
    assert "88 events, 145 patients" in repr(res)
    assert isinstance(res, SampleSizeResult)
    assert "<strong>SampleSizeResult</strong>" in res._repr_html_()


@pytest.mark.parametrize("method", ["schoenfeld", "freedman"])
@pytest.mark.parametrize("hr", [0.4, 0.7, 1.3])
def test_power_inverts_sample_size(method: str, hr: float) -> None:
    res = sample_size_survival(hr, power=0.85, sig_level=0.01, allocation=0.4, method=method)
    got = power_survival(
        hr, n_events=res.events_exact, sig_level=0.01, allocation=0.4, method=method
    )
    assert got == pytest.approx(0.85, rel=1e-10)


def test_schoenfeld_symmetry() -> None:
    a = sample_size_survival(0.6, power=0.8).events_exact
    assert sample_size_survival(1 / 0.6, power=0.8).events_exact == pytest.approx(a, rel=1e-12)
    f1 = sample_size_survival(0.6, allocation=0.3, method="freedman").events_exact
    f2 = sample_size_survival(1 / 0.6, allocation=0.7, method="freedman").events_exact
    assert f1 == pytest.approx(f2, rel=1e-12)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"hazard_ratio": 1.0}, "hazard_ratio"),
        ({"hazard_ratio": -1.0}, "hazard_ratio"),
        ({"hazard_ratio": 0.5, "power": 1.0}, "power"),
        ({"hazard_ratio": 0.5, "sig_level": 0.0}, "sig_level"),
        ({"hazard_ratio": 0.5, "allocation": 1.0}, "allocation"),
        ({"hazard_ratio": 0.5, "method": "lachin"}, "method"),
        ({"hazard_ratio": 0.5, "accrual": 12}, "together"),
        (
            {"hazard_ratio": 0.5, "control_median": 0, "accrual": 1, "follow_up": 1},
            "control_median",
        ),
    ],
)
def test_sample_size_errors(kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        sample_size_survival(**kwargs)


def test_event_probability_errors() -> None:
    with pytest.raises(ValueError, match="hazard"):
        event_probability(hazard=0, accrual=1, follow_up=1)
    with pytest.raises(ValueError, match="follow_up"):
        event_probability(hazard=1, accrual=0, follow_up=0)
    with pytest.raises(ValueError, match="n_events"):
        power_survival(0.5, n_events=0)


# --- simulated power -----------------------------------------------------------------------

TRIAL = ExponentialTrial(
    n_patients=120, hazard_ratio=0.6, control_median=12, accrual=18, follow_up=12
)


def test_trial_draw() -> None:
    d = TRIAL.draw(np.random.default_rng(0))
    assert len(d) == 120 and (d["arm"] == "experimental").sum() == 60
    assert (d["time"] <= 30 + 1e-12).all() and (d["time"] > 0).all()
    # administratively censored patients are followed to the analysis date
    assert (d.loc[~d["event"], "time"] >= 12 - 1e-12).all()


def test_simulated_power_result_and_invariance() -> None:
    a = simulate_power(TRIAL, n_sims=150, random_state=3)
    b = simulate_power(TRIAL, n_sims=150, random_state=3, n_jobs=2, backend="threading")
    np.testing.assert_array_equal(a.p_values, b.p_values)
    assert isinstance(a, PowerResult)
    assert a.power == np.mean(a.p_values < 0.05)
    assert a.mc_std_err == pytest.approx(math.sqrt(a.power * (1 - a.power) / 150), rel=1e-12)
    assert a.ci_lower < a.power < a.ci_upper
    assert list(a.summary.columns) == [
        "estimate",
        "mc_std_err",
        "ci_lower",
        "ci_upper",
        "conf_level",
        "sig_level",
        "n_sims",
        "n_failed",
        "analysis",
    ]
    assert a.analysis == "log-rank test, two-sided"
    assert "150 trials, log-rank test, two-sided, at level 0.05" in repr(a)


def test_wilson_interval_hand_worked() -> None:
    # power 0 of n = 10 rejections -> Wilson upper limit z^2 / (n + z^2) = 3.8415 / 13.8415
    never = simulate_power(lambda rng: 1.0, n_sims=10, random_state=0, backend="threading")
    assert never.power == 0 and never.ci_lower == pytest.approx(0, abs=1e-12)
    assert never.ci_upper == pytest.approx(1.959964**2 / (10 + 1.959964**2), rel=1e-6)


def test_simulate_power_errors() -> None:
    with pytest.raises(TypeError, match="callable"):
        simulate_power(3)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="n_sims"):
        simulate_power(TRIAL, n_sims=0)


@pytest.mark.slow
def test_simulated_power_agrees_with_schoenfeld() -> None:
    # HR 0.75 at 80 % power (Schoenfeld: 380 events). Patients from the accrual assumptions;
    # the simulated power must be within 4 Monte-Carlo SEs of 0.80 (the formula is an
    # asymptotic approximation, good near HR = 1).
    design = sample_size_survival(0.75, power=0.8, control_median=12, accrual=24, follow_up=12)
    trial = ExponentialTrial(
        n_patients=design.n_patients, hazard_ratio=0.75, control_median=12, accrual=24, follow_up=12
    )
    res = simulate_power(trial, n_sims=1500, random_state=2026)
    assert abs(res.power - 0.8) < 4 * res.mc_std_err

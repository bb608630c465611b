"""Simulated power of trials drawn from the synthetic cohort generator (ReexpressionTrial).

References: in the generator a re-evaluation scan after induction is positive with
probability ``reexpression_rate`` whatever the patient, so the number re-expressed among
``n`` enrolled patients is Binomial(n, rate) and the rejection probability of the trial's
test is a finite sum over binomial probabilities (computed here with scipy.stats.binom,
independently of the trial's own test code). At an effect of zero that sum is the exact
size of the test, which the simulated power must match within Monte-Carlo error.

Hand-worked: n = 10, H0 rate 0.3, one-sided 5 %: P(X >= 6) = 0.047349 and P(X >= 5) =
0.150268 (binomial table), so the test rejects for X >= 6 and its size is 0.047349.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy.stats import binom, fisher_exact

from netstats.design import (
    ExponentialTrial,
    PowerResult,
    ReexpressionTrial,
    sample_size_survival,
    simulate_power,
)
from netstats.design._reexpression import _induction_pairs
from netstats.exceptions import StatisticalWarning
from netstats.schema import DAYS_PER_MONTH
from netstats.simulate import Scenario, simulate_cohort
from netstats.sstr import PAIR_COLUMNS, reexpression_pairs

# A population richer in SSTR-negative, de-novo metastatic tumours (and no NEC): about 11 %
# of screened patients are evaluable for CAPTEM induction (3 % for everolimus), against
# 1.6 % (0.36 %) with the calibrated defaults, which keeps these simulations quick. Re-expression itself is the
# same Bernoulli draw either way.
ENRICHED = Scenario(sstr_intercept=2.0, stage_iv_share=(0.9, 0.9, 0.9, 0.9), nec_share=0.0)


def single_arm(n: int, rate: float, null: float, **kwargs) -> ReexpressionTrial:
    return ReexpressionTrial(
        n_patients=n,
        reexpression_rate=rate,
        null_rate=null,
        inducer="CAPTEM",
        alternative="greater",
        scenario=ENRICHED,
        screen_batch=200,
        **kwargs,
    )


def binomial_rejection(n: int, rate: float, null: float, sig_level: float = 0.05) -> float:
    """P(one-sided exact binomial test rejects) when X ~ Binomial(n, rate)."""
    k = np.arange(n + 1)
    reject = binom.sf(k - 1, n, null) < sig_level  # p-value of "greater" is P(X >= k)
    return float(binom.pmf(k[reject], n, rate).sum())


def fisher_rejection(n_e: int, n_c: int, rate_e: float, rate_c: float, sig: float) -> float:
    """P(two-sided Fisher exact test rejects) for independent binomial arms (enumerated)."""
    total = 0.0
    for x in range(n_e + 1):
        for y in range(n_c + 1):
            p = fisher_exact([[x, n_e - x], [y, n_c - y]]).pvalue
            if p < sig:
                total += binom.pmf(x, n_e, rate_e) * binom.pmf(y, n_c, rate_c)
    return total


def within_mc_error(res: PowerResult, expected: float, n_se: float = 4.0) -> bool:
    """|simulated - expected| within n_se Monte-Carlo SEs (SE at the expected power)."""
    se = math.sqrt(expected * (1 - expected) / res.n_sims)
    return abs(res.power - expected) <= n_se * se


def test_reference_hand_worked() -> None:
    assert binomial_rejection(10, 0.3, 0.3) == pytest.approx(0.047349, abs=5e-7)
    assert binom.sf(4, 10, 0.3) == pytest.approx(0.150268, abs=5e-7)


# --- one trial -----------------------------------------------------------------------------


def test_draw_enrols_eligible_patients_deterministically() -> None:
    trial = ReexpressionTrial(
        n_patients=10,
        reexpression_rate=0.6,
        comparator="everolimus",
        comparator_rate=0.1,
        inducer="CAPTEM",
        scenario=ENRICHED,
        screen_batch=300,
    )
    a = trial.draw(np.random.default_rng(5))
    b = trial.draw(np.random.default_rng(5))
    pd.testing.assert_frame_equal(a, b)
    assert list(a.columns) == ["arm", *PAIR_COLUMNS, "months_to_induction"]
    assert a["arm"].value_counts().to_dict() == {"CAPTEM": 5, "everolimus": 5}
    assert a["patient_id"].is_unique
    assert (a["krenning_before"] < 3).all()  # negative by krenning>=3 at entry
    assert (a["converted"] == (a["krenning_after"] >= 3)).all()
    first = a["regimens_between"].str.split("; ").str[0]
    assert (first == a["arm"]).all()  # the induction is the first line after the scan
    assert a["months_to_induction"].between(0, 4).all()
    # the analysis is Fisher's exact test on the counts, experimental arm first
    k = a.groupby("arm")["converted"].sum()
    table = [[k["CAPTEM"], 5 - k["CAPTEM"]], [k["everolimus"], 5 - k["everolimus"]]]
    assert trial.analyse(a) == pytest.approx(fisher_exact(table).pvalue, rel=1e-12)
    assert trial(np.random.default_rng(5)) == trial.analyse(a)
    assert not a.equals(trial.draw(np.random.default_rng(6)))


def test_screening_through_empty_batches() -> None:
    # Calibrated defaults, everolimus, batches of 100: most batches hold no evaluable
    # patient (about 0.36 per 100); screening goes on and the dtypes stay the same.
    trial = ReexpressionTrial(n_patients=2, reexpression_rate=0.3, null_rate=0.1, screen_batch=100)
    pairs = trial.draw(np.random.default_rng(3))
    assert len(pairs) == 2 and set(pairs["arm"]) == {"everolimus"}
    batches = pairs["patient_id"].str[1:4].astype(int)
    assert batches.iloc[0] >= 1  # batch 0 was empty (patients B001-..., B008-... here)
    assert pd.api.types.is_datetime64_any_dtype(pairs["scan_date_before"])
    assert pd.api.types.is_float_dtype(pairs["months_to_induction"])
    assert 0 <= trial.analyse(pairs) <= 1


@pytest.mark.parametrize("regimen", ["everolimus", "CAPTEM"])
def test_induction_pairs_equal_whole_cohort_analysis(regimen: str) -> None:
    # The pre-filter must not change the pairs: compare with reexpression_pairs on the
    # whole cohort and a plain loop over its pairs.
    cohort = simulate_cohort(1200, seed=7, reevaluation_scan_share=1.0)
    pairs = reexpression_pairs(cohort)
    lines = cohort.therapy_lines
    for window in (4.0, None):
        expected = []
        for p in pairs.itertuples():
            own = lines.loc[
                (lines["patient_id"] == p.patient_id)
                & (lines["start_date"] >= p.scan_date_before)
                & (lines["start_date"] < p.scan_date_after)
            ].sort_values(["start_date", "line"])
            if len(own) == 0 or own["regimen"].iloc[0] != regimen:
                continue
            delay = (own["start_date"].iloc[0] - p.scan_date_before).days / DAYS_PER_MONTH
            if window is None or delay <= window:
                expected.append((p.scan_date_before, p.patient_id, delay))
        expected.sort()
        got = _induction_pairs(cohort, regimen, "krenning>=3", window)
        assert len(expected) >= 3  # the comparison is not vacuous
        assert list(got["patient_id"]) == [e[1] for e in expected]
        np.testing.assert_allclose(got["months_to_induction"], [e[2] for e in expected])
        full = pairs.set_index("patient_id").loc[got["patient_id"], "converted"]
        np.testing.assert_array_equal(got["converted"], full.to_numpy())


def test_trial_that_cannot_accrue_is_nan_and_reported() -> None:
    # 150 screened patients cannot hold 40 evaluable patients: NaN, counted as failed
    trial = single_arm(40, 0.5, 0.2, max_screened=150)
    assert math.isnan(trial(np.random.default_rng(0)))
    with pytest.warns(StatisticalWarning, match="3 of 3 simulated trials"):
        res = simulate_power(trial, n_sims=3, random_state=0, backend="sequential")
    assert res.power == 0 and res.n_failed == 3
    assert "3 not analysable" in repr(res)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"reexpression_rate": 0.3}, ValueError, "null_rate .* or comparator"),
        (
            {"reexpression_rate": 0.3, "null_rate": 0.1, "comparator_rate": 0.1},
            ValueError,
            "not both",
        ),
        ({"reexpression_rate": 1.3, "null_rate": 0.1}, ValueError, "reexpression_rate"),
        ({"reexpression_rate": 0.3, "null_rate": 1.0}, ValueError, "null_rate"),
        (
            {"reexpression_rate": 0.3, "null_rate": 0.1, "inducer": "sunitinib"},
            ValueError,
            "inducer",
        ),
        (
            {"reexpression_rate": 0.3, "comparator": "everolimus", "comparator_rate": 0.1},
            ValueError,
            "differ from inducer",
        ),
        (
            {"reexpression_rate": 0.3, "comparator": "CAPTEM", "comparator_rate": None},
            ValueError,
            "comparator_rate",
        ),
        (
            {"reexpression_rate": 0.3, "null_rate": 0.1, "alternative": "less-than"},
            ValueError,
            "alternative",
        ),
        ({"reexpression_rate": 0.3, "null_rate": 0.1, "rule": "krenning>=9"}, ValueError, "rule"),
        (
            {"reexpression_rate": 0.3, "null_rate": 0.1, "entry_window_months": -1},
            ValueError,
            "entry_window",
        ),
        (
            {"reexpression_rate": 0.3, "null_rate": 0.1, "scenario": {"nec_share": 0}},
            TypeError,
            "Scenario",
        ),
    ],
)
def test_trial_errors(kwargs: dict, error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        ReexpressionTrial(n_patients=10, **kwargs)


def test_two_arm_needs_both_arms() -> None:
    with pytest.raises(ValueError, match="leaves an arm empty"):
        ReexpressionTrial(
            n_patients=1, reexpression_rate=0.3, comparator="CAPTEM", comparator_rate=0.1
        )
    with pytest.raises(ValueError, match="n_patients"):
        ReexpressionTrial(n_patients=0, reexpression_rate=0.3, null_rate=0.1)


# --- simulated power -----------------------------------------------------------------------


def test_power_result_reports_analysis_and_mc_error() -> None:
    res = simulate_power(single_arm(4, 0.5, 0.1), n_sims=12, random_state=2, backend="sequential")
    assert res.analysis == "exact binomial test vs 0.1, greater"
    assert res.mc_std_err == pytest.approx(math.sqrt(res.power * (1 - res.power) / 12))
    text = repr(res)
    assert "12 trials" in text and "exact binomial test vs 0.1, greater" in text
    assert f"95% CI {res.ci_lower:.3f} to {res.ci_upper:.3f}" in text
    assert res.summary.loc[0, "analysis"] == res.analysis
    assert "<strong>PowerResult</strong>" in res._repr_html_()


def test_type_one_error_at_zero_effect_quick() -> None:
    # rate = null rate: the simulated rejection rate estimates the exact size 0.047349.
    # 60 trials and 4 MC SEs (+-0.11) make a coarse check; the slow test below is sharp.
    res = simulate_power(single_arm(10, 0.3, 0.3), n_sims=60, random_state=11, backend="sequential")
    assert res.n_failed == 0
    assert within_mc_error(res, binomial_rejection(10, 0.3, 0.3))


def test_power_increases_with_n() -> None:
    # 0.7 against 0.2: exact powers 0.343 (n = 3) and 0.961 (n = 12)
    small = simulate_power(single_arm(3, 0.7, 0.2), n_sims=30, random_state=3, backend="sequential")
    large = simulate_power(
        single_arm(12, 0.7, 0.2), n_sims=30, random_state=3, backend="sequential"
    )
    gap = math.hypot(small.mc_std_err, large.mc_std_err)
    assert large.power - small.power > 3 * gap
    assert within_mc_error(small, binomial_rejection(3, 0.7, 0.2))
    assert within_mc_error(large, binomial_rejection(12, 0.7, 0.2))


@pytest.fixture(scope="module")
def dask_cluster():
    from distributed import LocalCluster  # the dask extra is part of .[dev]

    with LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,  # real worker processes, talking to the scheduler over loopback TCP
        host="127.0.0.1",
        dashboard_address=":0",
    ) as cluster:
        yield cluster


def test_same_results_sequential_processes_and_dask(
    dask_cluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    from distributed import Client

    from netstats.resample import _executor

    # Blocks of 4 trials instead of 100 so that 12 generator-based trials make three blocks
    # spread over the workers; the seeding rule is the same for any block size.
    monkeypatch.setattr(_executor, "BLOCK_SIZE", 4)
    trial = ReexpressionTrial(
        n_patients=4,
        reexpression_rate=0.7,
        comparator="everolimus",
        comparator_rate=0.1,
        inducer="CAPTEM",
        scenario=ENRICHED,
        screen_batch=200,
    )
    seq = simulate_power(trial, n_sims=12, random_state=4, n_jobs=1)
    procs = simulate_power(trial, n_sims=12, random_state=4, n_jobs=2, backend="loky")
    with Client(dask_cluster) as client:
        assert len(client.scheduler_info()["workers"]) == 2
        dask = simulate_power(trial, n_sims=12, random_state=4, client=client)
    assert np.isfinite(seq.p_values).all() and len(set(seq.p_values)) > 1
    np.testing.assert_array_equal(seq.p_values, procs.p_values)
    np.testing.assert_array_equal(seq.p_values, dask.p_values)
    assert seq.power == procs.power == dask.power


def test_progress_bar(capsys: pytest.CaptureFixture[str]) -> None:
    simulate_power(
        single_arm(3, 0.5, 0.1), n_sims=3, random_state=1, progress=True, backend="sequential"
    )
    assert "simulated trials" in capsys.readouterr().err


def test_exponential_power_agrees_with_schoenfeld_quick() -> None:
    # HR 0.6 at 80 % power: Schoenfeld's 121 events, patients from exponential survival
    # with uniform accrual; 400 trials, 4 MC SEs (+-0.08). The slow test in test_design.py
    # checks HR 0.75 with 1500 trials.
    design = sample_size_survival(0.6, power=0.8, control_median=12, accrual=18, follow_up=12)
    assert design.n_events == 121
    trial = ExponentialTrial(
        n_patients=design.n_patients, hazard_ratio=0.6, control_median=12, accrual=18, follow_up=12
    )
    res = simulate_power(trial, n_sims=400, random_state=7, backend="sequential")
    assert within_mc_error(res, 0.8)


# --- slow: sharp checks with many simulated trials -----------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("rate", [0.25, 0.5])
def test_single_arm_power_equals_exact_binomial(rate: float) -> None:
    # rate 0.25 = null: the type-I error; 0.5: the power. 1000 trials: SE <= 0.016.
    trial = ReexpressionTrial(
        n_patients=20,
        reexpression_rate=rate,
        null_rate=0.25,
        inducer="CAPTEM",
        alternative="greater",
        scenario=ENRICHED,
        screen_batch=400,
    )
    res = simulate_power(trial, n_sims=1000, random_state=2026, n_jobs=2)
    assert res.n_failed == 0
    assert within_mc_error(res, binomial_rejection(20, rate, 0.25))


@pytest.mark.slow
@pytest.mark.parametrize("control_rate", [0.3, 0.05])
def test_two_arm_power_equals_exact_fisher(control_rate: float) -> None:
    # 0.3 in both arms: the type-I error of the two-sided Fisher test; 0.05: the power.
    trial = ReexpressionTrial(
        n_patients=30,
        reexpression_rate=0.3,
        comparator="everolimus",
        comparator_rate=control_rate,
        inducer="CAPTEM",
        scenario=ENRICHED,
        screen_batch=400,
    )
    res = simulate_power(trial, n_sims=600, random_state=2027, n_jobs=2)
    assert res.n_failed == 0
    assert within_mc_error(res, fisher_rejection(15, 15, 0.3, control_rate, 0.05))

"""Metrics against R (pROC, rms::val.prob, binom.test; tests/reference/sstr/) and by hand."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from netstats.sstr import (
    auroc_delong,
    calibration,
    calibration_curve,
    classification_metrics,
    decision_curve,
    delong_test,
    threshold_metrics,
)

REF = Path(__file__).parent / "reference" / "sstr"


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    return pd.read_csv(REF / "classifier_data.csv")


@pytest.mark.reference
@pytest.mark.parametrize("score", ["prob_1", "prob_2"])
def test_delong_auc_matches_proc(data, score):
    ref = pd.read_csv(REF / "delong_auc.csv").set_index("score").loc[score]
    got = auroc_delong(data["y"], data[score], conf_level=0.95)
    assert_allclose(got.estimate, ref["auc"], rtol=1e-10)
    assert_allclose(got.se**2, ref["var"], rtol=1e-10)
    assert_allclose([got.ci_lower, got.ci_upper], [ref["ci_lower"], ref["ci_upper"]], rtol=1e-10)


@pytest.mark.reference
def test_paired_delong_matches_proc(data):
    ref = pd.read_csv(REF / "delong_test.csv").iloc[0]
    got = delong_test(data["y"], data["prob_1"], data["prob_2"])
    assert_allclose(got.statistic, ref["statistic"], rtol=1e-10)
    assert_allclose(got.p_value, ref["p_value"], rtol=1e-10)
    assert_allclose([got.auc_1, got.auc_2], [ref["auc_1"], ref["auc_2"]], rtol=1e-10)
    assert_allclose([got.ci_lower, got.ci_upper], [ref["ci_lower"], ref["ci_upper"]], rtol=1e-10)


@pytest.mark.reference
@pytest.mark.parametrize("score", ["prob_1", "prob_2"])
def test_calibration_matches_val_prob(data, score):
    ref = pd.read_csv(REF / "val_prob.csv").set_index("score").loc[score]
    off = pd.read_csv(REF / "calibration_offset.csv").set_index("score").loc[score]
    got = calibration(data["y"], data[score])
    # R's glm/lrm stop at a convergence tolerance of about 1e-8; ours iterates to 1e-12.
    assert_allclose(got.estimate, ref["slope"], rtol=1e-6)
    assert_allclose(got.intercept_joint, ref["intercept"], rtol=1e-6)
    assert_allclose(got.brier, ref["brier"], rtol=1e-10)
    assert_allclose(got.intercept, off["intercept"], rtol=1e-6)
    assert_allclose(
        [got.intercept_ci_lower, got.intercept_ci_upper, got.ci_lower, got.ci_upper],
        off[["intercept_ci_lower", "intercept_ci_upper", "slope_ci_lower", "slope_ci_upper"]],
        rtol=1e-6,
    )


@pytest.mark.reference
def test_threshold_metrics_match_binom_test(data):
    ref = pd.read_csv(REF / "threshold_metrics.csv")
    got = threshold_metrics(data["y"], data["prob_1"], threshold=0.7)
    assert list(got["measure"]) == list(ref["measure"])
    assert (got["numerator"].to_numpy() == ref["numerator"].to_numpy()).all()
    assert (got["denominator"].to_numpy() == ref["denominator"].to_numpy()).all()
    for col in ("estimate", "ci_lower", "ci_upper"):
        assert_allclose(got[col], ref[col], rtol=1e-8)


def test_auroc_hand_example_with_ties():
    # positives 0.8, 0.4; negatives 0.4, 0.1: pairs 1 + 1 + 0.5 + 1 = 3.5 of 4
    assert auroc_delong([1, 1, 0, 0], [0.8, 0.4, 0.4, 0.1]).estimate == 0.875


def test_decision_curve_hand_example():
    y = np.array([1, 1, 1, 0, 0])
    p = np.array([0.9, 0.6, 0.2, 0.7, 0.1])
    dc = decision_curve(y, p, thresholds=[0.5])
    model = dc.loc[dc["strategy"] == "model"].iloc[0]
    # threshold 0.5: act on 0.9, 0.6, 0.7 -> TP 2, FP 1; NB = 2/5 - 1/5 * 1
    assert (model["n_true_positive"], model["n_false_positive"]) == (2, 1)
    assert_allclose(model["net_benefit"], 0.2, rtol=1e-12)
    treat_all = dc.loc[dc["strategy"] == "treat_all", "net_benefit"].iloc[0]
    assert_allclose(treat_all, 3 / 5 - 2 / 5, rtol=1e-12)
    assert dc.loc[dc["strategy"] == "treat_none", "net_benefit"].iloc[0] == 0


def test_calibration_curve_groups_and_exact_ci():
    y = np.array([0, 0, 1, 1, 1, 1])
    p = np.array([0.1, 0.2, 0.3, 0.8, 0.9, 0.95])
    cc = calibration_curve(y, p, n_bins=2)
    assert list(cc["n"]) == [3, 3]
    assert_allclose(cc["observed"], [1 / 3, 1.0])
    assert_allclose(cc["mean_predicted"], [0.2, (0.8 + 0.9 + 0.95) / 3])
    # 3/3: exact upper limit 1, lower limit (alpha/2)^(1/3)
    assert_allclose(cc["ci_lower"].iloc[1], 0.025 ** (1 / 3), rtol=1e-10)
    assert cc["ci_upper"].iloc[1] == 1.0


def test_classification_metrics_is_tidy(data):
    out = classification_metrics(data["y"], data["prob_1"])
    assert list(out.columns) == [
        "metric",
        "estimate",
        "ci_lower",
        "ci_upper",
        "conf_level",
        "method",
    ]
    assert set(out["metric"]) == {
        "auroc",
        "auprc",
        "auprc_negative",
        "brier",
        "calibration_intercept",
        "calibration_slope",
    }
    assert (out["ci_lower"] <= out["estimate"]).all()
    assert (out["estimate"] <= out["ci_upper"]).all()


@pytest.mark.parametrize(
    ("y", "p", "match"),
    [
        ([0, 1, 2], [0.1, 0.2, 0.3], "coded 0/1"),
        ([1, 1, 1], [0.1, 0.2, 0.3], "both SSTR-positive"),
        ([0, 1], [0.1], "shape"),
        ([0, 1], [0.1, np.nan], "missing"),
    ],
)
def test_bad_input_is_refused(y, p, match):
    with pytest.raises(ValueError, match=match):
        auroc_delong(y, p)


def test_conf_level_is_validated():
    with pytest.raises(ValueError, match="conf_level"):
        auroc_delong([0, 1], [0.2, 0.4], conf_level=95)


@settings(max_examples=50, deadline=None)
@given(
    st.lists(st.tuples(st.booleans(), st.floats(0.01, 0.99)), min_size=4, max_size=40),
    st.randoms(use_true_random=False),
)
def test_auroc_row_order_invariant_and_in_unit_interval(pairs, rnd):
    y = np.array([int(a) for a, _ in pairs])
    p = np.array([b for _, b in pairs])
    if y.min() == y.max():
        return
    perm = list(range(len(y)))
    rnd.shuffle(perm)
    a = auroc_delong(y, p)
    b = auroc_delong(y[perm], p[perm])
    assert 0 <= a.ci_lower <= a.estimate <= a.ci_upper <= 1
    assert_allclose(a.estimate, b.estimate, rtol=1e-12)
    assert_allclose(a.se, b.se, rtol=1e-9, atol=1e-15)


def test_inputs_not_mutated(data):
    before = data.copy()
    classification_metrics(data["y"], data["prob_1"])
    decision_curve(data["y"], data["prob_1"])
    pd.testing.assert_frame_equal(data, before)


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_calibration_and_thresholds_row_order_invariant(seed):
    rng = np.random.default_rng(seed)
    p = rng.uniform(0.02, 0.98, 60)
    y = rng.binomial(1, p)
    if y.min() == y.max():
        return
    perm = rng.permutation(60)
    a, b = calibration(y, p), calibration(y[perm], p[perm])
    assert_allclose(
        [a.estimate, a.intercept, a.brier], [b.estimate, b.intercept, b.brier], rtol=1e-9
    )
    ta, tb = threshold_metrics(y, p), threshold_metrics(y[perm], p[perm])
    pd.testing.assert_frame_equal(ta, tb)
    da, db = decision_curve(y, p), decision_curve(y[perm], p[perm])
    assert_allclose(da["net_benefit"], db["net_benefit"], rtol=1e-12, atol=1e-15)

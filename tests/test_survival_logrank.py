"""Log-rank tests: R survdiff (rho = 0, 0.5, 1; strata), an independent R implementation of
the Gehan-Breslow, Tarone-Ware and Fleming-Harrington (q > 0) weights, R p.adjust for the
pairwise table (tests/reference/survival/survival_reference.R)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from netstats.exceptions import SchemaError
from netstats.survival import logrank, pairwise_logrank

REF = Path(__file__).parent / "reference" / "survival"
RTOL = 1e-6  # deterministic: differences are floating-point rounding only
LR_REF = pd.read_csv(REF / "logrank.csv", keep_default_na=False)
KEYS = ["dataset", "weights", "p", "q", "strata"]
CASES = [tuple(k) for k in LR_REF[KEYS].drop_duplicates().itertuples(index=False)]


def load(name: str) -> pd.DataFrame:
    return pd.read_csv(REF / f"data_{name}.csv")


@pytest.mark.reference
@pytest.mark.parametrize(KEYS, CASES)
def test_matches_r(dataset, weights, p, q, strata):
    mask = np.logical_and.reduce(
        [LR_REF[k] == v for k, v in zip(KEYS, (dataset, weights, p, q, strata), strict=True)]
    )
    ref = LR_REF[mask]
    data = load(dataset.split("_")[0])
    res = logrank(
        data,
        time="time",
        event="status",
        group="ecog" if dataset == "lung_ecog" else "group",
        strata=strata or None,
        weights=weights,
        p=float(p),
        q=float(q),
    )
    assert list(res.summary["group"].astype(str)) == list(ref["group"].astype(str))
    np.testing.assert_array_equal(res.summary["n"], ref["n"].astype(int))
    for col in ("observed", "expected", "variance"):
        np.testing.assert_allclose(res.summary[col], ref[col].astype(float), rtol=RTOL)
    assert res.statistic == pytest.approx(float(ref["statistic"].iloc[0]), rel=RTOL)
    assert res.p_value == pytest.approx(float(ref["p_value"].iloc[0]), rel=RTOL)
    assert res.df == int(ref["df"].iloc[0])


@pytest.mark.reference
@pytest.mark.parametrize(
    ("method", "col"), [("holm", "p_holm"), ("bonferroni", "p_bonferroni"), ("BH", "p_bh")]
)
def test_pairwise_matches_r(method, col):
    ref = pd.read_csv(REF / "logrank_pairwise_veteran_celltype.csv")
    got = pairwise_logrank(
        load("veteran"), time="time", event="status", group="celltype", p_adjust=method
    )
    assert (
        got[["group_a", "group_b"]].values.tolist() == ref[["group_a", "group_b"]].values.tolist()
    )
    np.testing.assert_allclose(got["statistic"], ref["statistic"], rtol=RTOL)
    np.testing.assert_allclose(got["p_value"], ref["p_value"], rtol=RTOL)
    np.testing.assert_allclose(got["p_adjusted"], ref[col], rtol=RTOL)
    assert (got["p_adjust"] == method).all()


def test_result_shape_and_repr():
    res = logrank(load("aml"), time="time", event="status", group="group", weights="tarone-ware")
    assert "Tarone-Ware" in repr(res) and "LogrankResult" in res._repr_html_()
    frame = res.to_frame()
    assert frame.columns.tolist() == [
        "test",
        "weights",
        "p",
        "q",
        "strata",
        "statistic",
        "df",
        "p_value",
    ]
    assert res.summary["n_events"].sum() == load("aml")["status"].sum()


def test_unweighted_observed_are_event_counts():
    data = load("veteran")
    res = logrank(data, time="time", event="status", group="group")
    np.testing.assert_array_equal(res.summary["observed"], res.summary["n_events"])
    assert res.summary["observed"].sum() == pytest.approx(res.summary["expected"].sum())


def test_matches_lifelines_two_groups():
    from lifelines.statistics import logrank_test

    d = load("lung")
    a, b = d[d.group == "female"], d[d.group == "male"]
    ref = logrank_test(a.time, b.time, a.status, b.status)
    res = logrank(d, time="time", event="status", group="group")
    assert res.statistic == pytest.approx(ref.test_statistic, rel=RTOL)


# ----------------------------------------------------------------- properties --------------
frames = st.lists(
    st.tuples(st.integers(0, 20), st.booleans(), st.sampled_from(["a", "b", "c"])),
    min_size=4,
    max_size=50,
).map(lambda rows: pd.DataFrame(rows, columns=["time", "event", "arm"]))


@settings(max_examples=50, deadline=None)
@given(
    df=frames,
    seed=st.integers(0, 2**16),
    weights=st.sampled_from(["logrank", "gehan-breslow", "tarone-ware", "fleming-harrington"]),
)
def test_row_order_invariance_no_mutation(df, seed, weights):
    if df["arm"].nunique() < 2:
        return
    before = df.copy(deep=True)
    a = logrank(df, group="arm", weights=weights, p=1.0 if weights == "fleming-harrington" else 0.0)
    b = logrank(
        df.sample(frac=1.0, random_state=seed),
        group="arm",
        weights=weights,
        p=1.0 if weights == "fleming-harrington" else 0.0,
    )
    assert a.statistic == pytest.approx(b.statistic, rel=1e-9, abs=1e-12)
    pd.testing.assert_frame_equal(df, before)
    assert a.statistic >= -1e-12
    assert 0.0 <= a.p_value <= 1.0 or np.isnan(a.p_value)


# ----------------------------------------------------------------- error paths -------------
def test_single_group_rejected():
    df = pd.DataFrame({"time": [1.0, 2.0], "event": [1, 1], "arm": ["a", "a"]})
    with pytest.raises(SchemaError, match="need at least two groups"):
        logrank(df, group="arm")


@pytest.mark.parametrize(
    ("kwargs", "exc", "match"),
    [
        ({"weights": "peto"}, ValueError, "weights must be one of"),
        ({"weights": "fleming-harrington", "p": -1.0}, ValueError, "p must be finite"),
        ({"weights": "logrank", "p": 1.0}, ValueError, "apply only to"),
        ({"weights": "fleming-harrington", "q": "1"}, TypeError, "q must be a number"),
    ],
)
def test_bad_options(kwargs, exc, match):
    df = pd.DataFrame({"time": [1.0, 2.0], "event": [1, 1], "arm": ["a", "b"]})
    with pytest.raises(exc, match=match):
        logrank(df, group="arm", **kwargs)


def test_bad_p_adjust():
    df = pd.DataFrame({"time": [1.0, 2.0], "event": [1, 1], "arm": ["a", "b"]})
    with pytest.raises(ValueError, match="p_adjust must be one of"):
        pairwise_logrank(df, group="arm", p_adjust="fdr")


def test_missing_strata_column():
    df = pd.DataFrame({"time": [1.0, 2.0], "event": [1, 1], "arm": ["a", "b"]})
    with pytest.raises(SchemaError, match="strata column 'site' not found"):
        logrank(df, group="arm", strata="site")

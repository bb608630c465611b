"""Bootstrap of the KM median and of Cox coefficients (netstats.resample).

Reference: every replicate must equal a plain loop that fits the resampled rows with the
package's public estimators (kaplan_meier().median(), cox()) using the same resample
indices (bootstrap_indices). KM medians must match exactly; Cox coefficients to 1e-9
absolute (both fits are Newton-Raphson to the same tolerance, from different start values).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from netstats.exceptions import SchemaError
from netstats.resample import (
    BootstrapResult,
    bootstrap_cox,
    bootstrap_indices,
    bootstrap_km_median,
)
from netstats.resample._km import km_quantile_matrix
from netstats.survival import cox, kaplan_meier


def _km_median(df: pd.DataFrame) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return float(kaplan_meier(df, time="time", event="event").median()["estimate"].iloc[0])


def _cox_coef(df: pd.DataFrame, covariates: list[str]) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = cox(df, time="time", event="event", covariates=covariates)
    return fit.summary["coef"].to_numpy()


@pytest.fixture
def surv(rng: np.random.Generator) -> pd.DataFrame:
    n = 120
    x = rng.normal(size=(n, 2))
    t = np.ceil(rng.exponential(12.0 * np.exp(-x @ [0.6, -0.3])))  # month-level ties
    return pd.DataFrame(
        {
            "time": t,
            "event": rng.random(n) < 0.75,
            "x1": x[:, 0],
            "x2": x[:, 1],
            "patient_id": [f"P{i // 3:03d}" for i in range(n)],  # 3 lines per patient
        }
    )


def _cluster_rows(df: pd.DataFrame, units: np.ndarray) -> pd.DataFrame:
    ids = pd.unique(df["patient_id"])
    pos = {pid: np.flatnonzero(df["patient_id"].to_numpy() == pid) for pid in ids}
    rows = np.concatenate([pos[ids[u]] for u in units])
    return df.iloc[rows]


# --- reference loops -----------------------------------------------------------------------


def test_km_median_equals_loop_exactly(surv: pd.DataFrame) -> None:
    res = bootstrap_km_median(surv, n_resamples=150, random_state=7)
    idx = bootstrap_indices(len(surv), n_resamples=150, random_state=7)
    ref = np.array([_km_median(surv.iloc[i]) for i in idx])
    np.testing.assert_array_equal(res.replicates[:, 0], ref)
    assert res.estimate[0] == _km_median(surv)


def test_km_median_cluster_equals_loop_exactly(surv: pd.DataFrame) -> None:
    res = bootstrap_km_median(surv, cluster="patient_id", n_resamples=120, random_state=3)
    idx = bootstrap_indices(surv["patient_id"].nunique(), n_resamples=120, random_state=3)
    ref = np.array([_km_median(_cluster_rows(surv, i)) for i in idx])
    np.testing.assert_array_equal(res.replicates[:, 0], ref)
    assert res.unit == "cluster"


def test_cox_equals_loop(surv: pd.DataFrame) -> None:
    res = bootstrap_cox(surv, covariates=["x1", "x2"], n_resamples=40, random_state=11)
    idx = bootstrap_indices(len(surv), n_resamples=40, random_state=11)
    ref = np.array([_cox_coef(surv.iloc[i], ["x1", "x2"]) for i in idx])
    np.testing.assert_allclose(res.replicates, ref, rtol=0, atol=1e-9)
    np.testing.assert_allclose(res.estimate, _cox_coef(surv, ["x1", "x2"]), rtol=0, atol=1e-9)
    assert res.terms == ("x1", "x2")


@pytest.mark.parametrize("ties", ["efron", "breslow"])
def test_cox_cluster_equals_loop(surv: pd.DataFrame, ties: str) -> None:
    res = bootstrap_cox(
        surv, covariates=["x1"], ties=ties, cluster="patient_id", n_resamples=30, random_state=2
    )
    idx = bootstrap_indices(40, n_resamples=30, random_state=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = np.array(
            [
                cox(
                    _cluster_rows(surv, i), time="time", event="event", covariates=["x1"], ties=ties
                )
                .summary["coef"]
                .to_numpy()
                for i in idx
            ]
        )
    np.testing.assert_allclose(res.replicates, ref, rtol=0, atol=1e-9)


# --- the KM quantile rule ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("time", "event", "expected"),
    [
        ([1, 2, 3, 4], [1, 1, 1, 1], 2.5),  # S = 0.5 exactly on [2, 3): midpoint
        ([1, 2, 3, 4], [1, 1, 0, 0], 3.0),  # flat at 0.5 to the end: midpoint with last time
        ([1, 2, 3, 4], [1, 0, 0, 0], np.nan),  # never reaches 0.5
        ([1, 1, 2, 5], [1, 1, 1, 0], 1.5),  # tied deaths reach exactly 0.5 at 1, next at 2
    ],
)
def test_km_quantile_rule_cases(time: list[float], event: list[int], expected: float) -> None:
    df = pd.DataFrame({"time": np.asarray(time, float), "event": np.asarray(event, bool)})
    assert _km_median(df) == pytest.approx(expected, nan_ok=True)
    res = bootstrap_km_median(df, n_resamples=2, random_state=0)
    assert res.estimate[0] == pytest.approx(expected, nan_ok=True)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(1, 8), st.booleans()),
        min_size=1,
        max_size=25,
    )
)
def test_km_quantile_matrix_matches_kaplan_meier(rows: list[tuple[int, bool]]) -> None:
    df = pd.DataFrame(rows, columns=["time", "event"]).astype({"time": float})
    times, inv = np.unique(df["time"].to_numpy(), return_inverse=True)
    counts = np.bincount(inv, minlength=times.size)[None, :]
    deaths = np.bincount(inv, weights=df["event"].to_numpy(), minlength=times.size)[None, :]
    got = km_quantile_matrix(counts, deaths.astype(np.int64), times)[0]
    assert got == pytest.approx(_km_median(df), nan_ok=True)


# --- reproducibility and parallel backends -------------------------------------------------


@pytest.mark.parametrize(
    ("n_jobs", "backend"), [(2, "threading"), (1, "sequential"), (-1, "threading")]
)
def test_km_same_result_any_n_jobs(surv: pd.DataFrame, n_jobs: int, backend: str) -> None:
    base = bootstrap_km_median(surv, n_resamples=250, random_state=5)
    other = bootstrap_km_median(
        surv, n_resamples=250, random_state=5, n_jobs=n_jobs, backend=backend
    )
    np.testing.assert_array_equal(base.replicates, other.replicates)


@pytest.mark.slow  # starting loky worker processes takes ~10 s on a loaded 2-core machine
def test_cox_same_result_loky_processes(surv: pd.DataFrame) -> None:
    base = bootstrap_cox(surv, covariates=["x1"], n_resamples=120, random_state=9)
    par = bootstrap_cox(surv, covariates=["x1"], n_resamples=120, random_state=9, n_jobs=2)
    np.testing.assert_array_equal(base.replicates, par.replicates)


def test_blocks_are_prefix_stable() -> None:
    # 250 resamples are the first 250 of 300: blocks depend only on the seed.
    a = bootstrap_indices(10, n_resamples=250, random_state=1)
    b = bootstrap_indices(10, n_resamples=300, random_state=1)
    np.testing.assert_array_equal(a, b[:250])
    assert not np.array_equal(a, bootstrap_indices(10, n_resamples=250, random_state=2))


def test_progress_bar(surv: pd.DataFrame, capsys: pytest.CaptureFixture[str]) -> None:
    bootstrap_km_median(surv, n_resamples=200, random_state=1, progress=True)
    assert "bootstrap KM median" in capsys.readouterr().err


# --- result object and inputs --------------------------------------------------------------


def test_summary_and_frames(surv: pd.DataFrame) -> None:
    before = surv.copy()
    res = bootstrap_cox(surv, covariates=["x1", "x2"], n_resamples=60, random_state=4)
    pd.testing.assert_frame_equal(surv, before)
    assert isinstance(res, BootstrapResult)
    s = res.summary
    assert list(s.columns) == [
        "term",
        "estimate",
        "std_err",
        "ci_lower",
        "ci_upper",
        "conf_level",
        "n_resamples",
        "n_failed",
    ]
    np.testing.assert_allclose(s["std_err"], res.replicates.std(axis=0, ddof=1), rtol=1e-12)
    np.testing.assert_allclose(
        s["ci_lower"], np.quantile(res.replicates, 0.025, axis=0), rtol=1e-12
    )
    assert (s["ci_lower"] < s["estimate"]).all() and (s["estimate"] < s["ci_upper"]).all()
    assert res.to_frame().shape == (60, 3)
    assert "row-level bootstrap of the Cox log hazard ratio: 60 resamples" in repr(res)
    assert "<strong>BootstrapResult</strong>" in res._repr_html_()


def test_failed_medians_are_counted() -> None:
    # Mostly censored: many resamples never reach 0.5.
    df = pd.DataFrame({"time": np.arange(1.0, 21.0), "event": [True] * 8 + [False] * 12})
    res = bootstrap_km_median(df, n_resamples=300, random_state=0)
    n_nan = int(np.isnan(res.replicates).sum())
    assert 0 < n_nan < 300
    assert res.summary["n_failed"].iloc[0] == n_nan


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"n_resamples": 1}, ValueError, "n_resamples must be >= 2"),
        ({"n_resamples": 10.0}, TypeError, "n_resamples must be an int"),
        ({"conf_level": 95}, ValueError, "conf_level"),
        ({"random_state": -1}, ValueError, "random_state must be >= 0"),
        ({"random_state": "a"}, TypeError, "random_state"),
        ({"backend": "spark"}, ValueError, "backend must be one of"),
        ({"client": object(), "backend": "loky"}, ValueError, "client= runs on Dask"),
        ({"client": object()}, TypeError, "client must be a dask.distributed.Client"),
        ({"backend": "dask"}, ValueError, "needs client="),
        ({"n_jobs": 0}, ValueError, "n_jobs"),
        ({"cluster": "nope"}, SchemaError, "cluster column 'nope'"),
    ],
)
def test_errors(surv: pd.DataFrame, kwargs: dict, error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        bootstrap_km_median(surv, **{"random_state": 1, **kwargs})


def test_cluster_column_missing_values(surv: pd.DataFrame) -> None:
    bad = surv.assign(patient_id=surv["patient_id"].where(surv.index != 3))
    with pytest.raises(SchemaError, match="1 missing values"):
        bootstrap_cox(bad, covariates=["x1"], cluster="patient_id", random_state=1)


def test_bootstrap_indices_needs_seed() -> None:
    with pytest.raises(ValueError, match="int random_state"):
        bootstrap_indices(5, n_resamples=3, random_state=None)


# --- a real Dask cluster (scheduler and two worker processes on loopback) -------------------


@pytest.fixture(scope="module")
def dask_cluster():
    from distributed import LocalCluster  # the dask extra is part of .[dev]

    with LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=":0",
    ) as cluster:
        yield cluster


def test_dask_cluster_same_results(dask_cluster, surv: pd.DataFrame) -> None:
    from distributed import Client

    km = bootstrap_km_median(surv, n_resamples=250, random_state=5)
    cx = bootstrap_cox(surv, covariates=["x1", "x2"], n_resamples=150, random_state=5)
    with Client(dask_cluster) as client:
        km_d = bootstrap_km_median(surv, n_resamples=250, random_state=5, client=client)
        assert len(client.scheduler_info()["workers"]) == 2
    # a scheduler address: netstats opens and closes its own client
    cx_d = bootstrap_cox(
        surv,
        covariates=["x1", "x2"],
        n_resamples=150,
        random_state=5,
        client=dask_cluster.scheduler_address,
    )
    np.testing.assert_array_equal(km.replicates, km_d.replicates)
    np.testing.assert_array_equal(cx.replicates, cx_d.replicates)


def test_dask_cluster_simulated_power(dask_cluster) -> None:
    from distributed import Client

    from netstats.design import ExponentialTrial, simulate_power

    trial = ExponentialTrial(
        n_patients=80, hazard_ratio=0.6, control_median=12, accrual=12, follow_up=12
    )
    local = simulate_power(trial, n_sims=250, random_state=8)
    with Client(dask_cluster) as client:
        remote = simulate_power(trial, n_sims=250, random_state=8, client=client)
    np.testing.assert_array_equal(local.p_values, remote.p_values)
    assert remote.power == local.power

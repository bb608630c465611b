"""The blockwise information matrix of the Cox engine runs on one BLAS thread.

``weighted_gram`` sums many small products; with a multi-threaded BLAS on a busy machine
they stall, so the step limits BLAS to one thread (threadpoolctl).  Checked: the limit is
in force inside the step and lifted after it, and a fit with the limit gives exactly the
coefficients and standard errors of a fit without it (the products do not depend on the
number of threads).  The timings are in ``benchmarks/bench_blas_threads.py``.
"""

from __future__ import annotations

import contextlib
import warnings

import numpy as np
import pandas as pd
import pytest
from threadpoolctl import threadpool_info, threadpool_limits

from netstats.survival import _cox_core as core
from netstats.survival import cox


def _blas_threads() -> set[int]:
    return {p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"}


def _data(n: int, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4))
    t_event = rng.exponential(365 * np.exp(-(x @ np.array([0.3, -0.2, 0.1, 0.0]))))
    t_cens = rng.exponential(365 * 2.0, size=n)
    df = pd.DataFrame(x, columns=[f"x{j}" for j in range(4)])
    df["time"] = np.ceil(np.minimum(t_event, t_cens))
    df["event"] = (t_event <= t_cens).astype(int)
    return df


def test_the_step_runs_on_one_blas_thread_and_restores_the_pool():
    seen: list[set[int]] = []
    real_matmul = np.matmul

    class Spy(np.ndarray):
        def __matmul__(self, other):
            seen.append(_blas_threads())
            return real_matmul(np.asarray(self), other)

    rng = np.random.default_rng(0)
    x = rng.normal(size=(3 * core.GRAM_BLOCK, 5))
    w = rng.random(3 * core.GRAM_BLOCK)
    xt = core.transpose(x).view(Spy)
    with threadpool_limits(limits=2, user_api="blas"):  # a pool of two, as on a 2-core machine
        assert _blas_threads() == {2}
        got = core.weighted_gram(x, w, xt)
        assert _blas_threads() == {2}  # the limit ends with the step
    assert len(seen) == 3  # one product per block, each under the limit
    assert all(s == {1} for s in seen)
    np.testing.assert_allclose(got, (x * w[:, None]).T @ x, rtol=1e-12)


@pytest.mark.parametrize("n", [3 * core.GRAM_BLOCK + 17])
def test_one_thread_gives_the_same_fit(n, monkeypatch):
    df = _data(n)
    xs = [f"x{j}" for j in range(4)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        limited = cox(df, time="time", event="event", covariates=xs)
        monkeypatch.setattr(core, "_one_blas_thread", contextlib.nullcontext)
        pooled = cox(df, time="time", event="event", covariates=xs)
    np.testing.assert_array_equal(limited.coef, pooled.coef)
    np.testing.assert_array_equal(limited.summary["se"], pooled.summary["se"])

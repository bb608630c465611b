"""The plain NumPy Cox fit that the benchmark table compares netstats with is correct.

``benchmarks/_plain_cox.py`` is benchmark-only code; its timings only mean something if it
computes the same estimate.  Checked against netstats' Efron fit (itself checked against
R's ``coxph`` in ``tests/test_survival_cox.py``) on the benchmark data generator.
"""

from __future__ import annotations

import importlib.util
import warnings
from pathlib import Path

import numpy as np
import pytest

from netstats.survival import cox

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"


def _load(name: str):
    spec = importlib.util.spec_from_file_location(name, BENCH / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("n", [500, 5000])
def test_plain_numpy_efron_reaches_the_netstats_estimate(n):
    make_data = _load("run").make_data
    plain = _load("_plain_cox").plain_numpy_efron
    df = make_data(n, seed=3)
    xs = [f"x{j}" for j in range(10)]
    assert df.duplicated("time").sum() > n // 10  # tied times: Efron's correction matters
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = cox(df, time="time", event="event", covariates=xs)
    got = plain(df[xs].to_numpy(), df["time"].to_numpy(), df["event"].to_numpy())
    np.testing.assert_allclose(got, fit.coef, rtol=1e-7, atol=1e-9)

"""Bootstrap of Cox regression coefficients, warm-started Newton fits on the package engine."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from netstats.exceptions import ConvergenceError
from netstats.resample._draw import check_n_resamples, cluster_codes, draw_units, unit_counts
from netstats.resample._executor import (
    block_seeds,
    block_sizes,
    check_backend,
    check_random_state,
    run_blocks,
)
from netstats.resample._result import BootstrapResult
from netstats.survival import _cox_core as core
from netstats.survival import check_survival_data
from netstats.survival._cox_design import build_design

__all__ = ["bootstrap_cox"]


def _fit(
    x: npt.NDArray[np.float64],
    stop: npt.NDArray[np.float64],
    event: npt.NDArray[np.bool_],
    beta0: npt.NDArray[np.float64],
    ties: str,
) -> npt.NDArray[np.float64] | None:
    """Cox coefficients of one data set (None when the fit fails), as ``cox()`` fits them."""
    if not event.any():
        return None
    rs = core.prepare(stop, event, ties=ties)
    xs = np.take(x, rs.order, axis=0)
    xs -= x.mean(axis=0)
    try:
        beta, _, _, converged = core.newton(rs, xs, beta0)
    except core.NewtonFailure:
        return None
    return beta if converged and np.all(np.isfinite(beta)) else None


def _cox_block(
    seed: np.random.SeedSequence,
    size: int,
    *,
    unit: npt.NDArray[np.int64],
    n_units: int,
    x: npt.NDArray[np.float64],
    stop: npt.NDArray[np.float64],
    event: npt.NDArray[np.bool_],
    beta0: npt.NDArray[np.float64],
    ties: str,
) -> npt.NDArray[np.float64]:
    """Coefficients of one block of resamples (NaN rows where a fit failed)."""
    draws = draw_units(seed, size, n_units)
    weights = unit_counts(draws, n_units)[:, unit]
    rows_all = np.arange(unit.size)
    out = np.full((size, x.shape[1]), np.nan)
    for b in range(size):
        rows = np.repeat(rows_all, weights[b])
        beta = _fit(x[rows], stop[rows], event[rows], beta0, ties)
        if beta is not None:
            out[b] = beta
    return out


def bootstrap_cox(
    data: pd.DataFrame,
    *,
    time: str = "time",
    event: str = "event",
    covariates: Sequence[str] | None = None,
    formula: str | None = None,
    ties: str = "efron",
    cluster: str | None = None,
    n_resamples: int = 1000,
    conf_level: float = 0.95,
    random_state: int | None = None,
    n_jobs: int | None = None,
    backend: str | None = None,
    client: Any = None,
    progress: bool | None = None,
) -> BootstrapResult:
    """Bootstrap the coefficients (log hazard ratios) of a Cox model.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per subject (or per patient x line with ``cluster``).
    time, event : str, default="time", "event"
        Follow-up time (months) and event indicator columns.
    covariates : sequence of str or None, default=None
        Covariate columns (as in :func:`netstats.survival.cox`); give this or ``formula``.
    formula : str or None, default=None
        Right-hand-side formula (as in :func:`netstats.survival.cox`).
    ties : {"efron", "breslow"}, default="efron"
        Tie handling.
    cluster : str or None, default=None
        Patient id column: resample patients with all their rows (cluster bootstrap).
    n_resamples : int, default=1000
        Number of resamples (>= 2).
    conf_level : float, default=0.95
        Level of the percentile intervals.
    random_state : int or None, default=None
        Seed; the resamples are those of :func:`bootstrap_indices` for this seed.
    n_jobs : int or None, default=None
        joblib workers (None: one; -1: all cores). Results do not depend on it.
    backend : {"loky", "threading", "sequential", "dask"} or None, default=None
        joblib backend, or "dask" to run on ``client``.
    client : dask.distributed.Client or str or None, default=None
        A Dask client or scheduler address; implies the Dask backend.
    progress : bool or None, default=None
        Show a progress bar; ``None`` shows it in interactive use only (Jupyter or a
        terminal), and ``TQDM_DISABLE`` turns it off.

    Returns
    -------
    BootstrapResult
        ``summary`` has one row per design column: ``term``, ``estimate`` (log hazard
        ratio on the original data), ``std_err`` (bootstrap SD), ``ci_lower``,
        ``ci_upper`` (percentile interval of the log hazard ratio; exponentiate for the
        hazard ratio), ``conf_level``, ``n_resamples``, ``n_failed`` (resamples whose fit
        did not converge, e.g. a factor level or all events missing from the resample).

    Raises
    ------
    netstats.exceptions.ConvergenceError
        If the model does not converge on the original data.

    Notes
    -----
    Each resample is fitted with the engine of :func:`netstats.survival.cox` (same
    centring, Newton-Raphson with step halving and convergence rule), started from the
    estimate on the original data, which saves most iterations. Resampled rows are
    duplicated, so duplicated deaths are tied deaths (Efron's correction applies to them),
    exactly as when fitting the resampled rows directly. Fits that fail count as
    ``n_failed`` and are left out of the SE and CI. Strata, weights and (start, stop]
    data are not supported here; use :func:`netstats.survival.cox` in a loop for those.

    References
    ----------
    Efron B, Tibshirani RJ (1993). An Introduction to the Bootstrap. Chapman & Hall, ch. 13.
    Davison AC, Hinkley DV (1997). Bootstrap Methods and their Application. CUP, sec. 7.3.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from netstats.resample import bootstrap_cox
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=200)
    >>> df = pd.DataFrame({"time": rng.exponential(np.exp(-0.5 * x)), "event": True, "x": x})
    >>> res = bootstrap_cox(df, covariates=["x"], n_resamples=100, random_state=1)
    >>> res.summary[["term", "n_failed"]]
      term  n_failed
    0    x         0
    """
    check_n_resamples(n_resamples, conf_level)
    if ties not in ("efron", "breslow"):
        raise ValueError(f"ties must be 'efron' or 'breslow', got {ties!r}")
    n_jobs, backend_name = check_backend(n_jobs, backend, client)
    sd = check_survival_data(data, time=time, event=event)
    unit, n_units = cluster_codes(data, cluster)
    design = build_design(data, formula=formula, covariates=covariates)
    x = np.ascontiguousarray(design.matrix, dtype=float)
    seed = check_random_state(random_state)
    beta_hat = _fit(x, sd.time, sd.event, np.zeros(x.shape[1]), ties)
    if beta_hat is None:
        raise ConvergenceError("the Cox model does not converge on the original data")
    sizes = block_sizes(n_resamples)
    blocks = run_blocks(
        _cox_block,
        block_seeds(seed, len(sizes)),
        sizes,
        shared={
            "unit": unit,
            "n_units": n_units,
            "x": x,
            "stop": sd.time,
            "event": sd.event,
            "beta0": beta_hat,
            "ties": ties,
        },
        n_jobs=n_jobs,
        backend=backend_name,
        client=client,
        progress=progress,
        desc="bootstrap Cox",
    )
    return BootstrapResult(
        statistic="Cox log hazard ratio",
        terms=tuple(design.columns),
        estimate=beta_hat,
        replicates=np.concatenate(blocks),
        conf_level=conf_level,
        unit="row" if cluster is None else "cluster",
        random_state=random_state,
    )

"""Vectorised bootstrap of the Kaplan-Meier median (all resamples of a block at once)."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from netstats.resample._draw import (
    check_n_resamples,
    cluster_codes,
    draw_units,
    unit_counts,
)
from netstats.resample._executor import (
    block_seeds,
    block_sizes,
    check_backend,
    check_random_state,
    run_blocks,
)
from netstats.resample._result import BootstrapResult
from netstats.survival import check_survival_data
from netstats.survival._km import _QUANTILE_TOL

__all__ = ["bootstrap_km_median", "km_quantile_matrix"]


def km_quantile_matrix(
    counts: npt.NDArray[np.int64],
    deaths: npt.NDArray[np.int64],
    times: npt.NDArray[np.float64],
    p: float = 0.5,
) -> npt.NDArray[np.float64]:
    """KM quantile of each row of a matrix of per-time counts (R ``quantile.survfit`` rule).

    ``counts`` / ``deaths`` are ``B x m``: subjects leaving / dying at each of the ``m``
    sorted distinct ``times`` in each of ``B`` weighted copies of the data. Times with no
    subject in a copy multiply the curve by exactly 1, so each row's survival values are
    bit-for-bit those of a KM fit to that copy alone.
    """
    at_risk = np.cumsum(counts[:, ::-1], axis=1)[:, ::-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = np.where(at_risk > 0, 1.0 - deaths / at_risk, 1.0)
    y = 1.0 - np.cumprod(factor, axis=1)
    tol = _QUANTILE_TOL
    rows = np.arange(y.shape[0])
    last = y[:, -1]
    ge_lo = y >= p - tol
    ge_hi = y >= p + tol
    t1 = times[np.argmax(ge_lo, axis=1)]
    t2 = times[np.argmax(ge_hi, axis=1)]
    present = counts > 0
    xmax = times[y.shape[1] - 1 - np.argmax(present[:, ::-1], axis=1)]
    out = np.where(ge_hi[rows, np.argmax(ge_hi, axis=1)], (t1 + t2) / 2.0, np.nan)
    out = np.where(np.abs(p - last) < tol, (t1 + xmax) / 2.0, out)
    return np.where(last < p, np.nan, out)


def _km_block(
    seed: np.random.SeedSequence,
    size: int,
    *,
    unit: npt.NDArray[np.int64],
    n_units: int,
    row_order: npt.NDArray[np.int64],
    starts: npt.NDArray[np.int64],
    event_sorted: npt.NDArray[np.bool_],
    times: npt.NDArray[np.float64],
) -> npt.NDArray[np.float64]:
    """KM medians of one block of resamples."""
    draws = draw_units(seed, size, n_units)
    weights = unit_counts(draws, n_units)[:, unit[row_order]]
    counts = np.add.reduceat(weights, starts, axis=1)
    deaths = np.add.reduceat(weights * event_sorted, starts, axis=1)
    return km_quantile_matrix(counts, deaths, times)


def bootstrap_km_median(
    data: pd.DataFrame,
    *,
    time: str = "time",
    event: str = "event",
    cluster: str | None = None,
    n_resamples: int = 1000,
    conf_level: float = 0.95,
    random_state: int | None = None,
    n_jobs: int | None = None,
    backend: str | None = None,
    client: Any = None,
    progress: bool | None = None,
) -> BootstrapResult:
    """Bootstrap the Kaplan-Meier median survival time.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per subject (or per patient x line with ``cluster``).
    time, event : str, default="time", "event"
        Follow-up time (months) and event indicator columns.
    cluster : str or None, default=None
        Patient id column: resample patients with all their rows (cluster bootstrap).
    n_resamples : int, default=1000
        Number of bootstrap resamples (>= 2).
    conf_level : float, default=0.95
        Level of the percentile interval.
    random_state : int or None, default=None
        Seed. The resamples are those of :func:`bootstrap_indices` for this seed, whatever
        ``n_jobs``, ``backend`` or ``client``.
    n_jobs : int or None, default=None
        joblib workers (None: one; -1: all cores). Results do not depend on it.
    backend : {"loky", "threading", "sequential", "dask"} or None, default=None
        joblib backend, or "dask" to run on ``client``.
    client : dask.distributed.Client or str or None, default=None
        A Dask client or scheduler address (``"tcp://host:8786"``); implies the Dask backend.
    progress : bool or None, default=None
        Show a progress bar; ``None`` shows it in interactive use only (Jupyter or a
        terminal), and ``TQDM_DISABLE`` turns it off.

    Returns
    -------
    BootstrapResult
        ``summary`` has one row, ``term="median"``: ``estimate`` (months), ``std_err``,
        ``ci_lower``, ``ci_upper`` (months), ``conf_level``, ``n_resamples``, ``n_failed``
        (resamples whose curve never reaches 0.5).

    Notes
    -----
    All resamples of a block are computed at once: each resample is a vector of
    multiplicities over the rows, summed per distinct time, and the survival curves of the
    whole block are one cumulative product over a ``resamples x times`` matrix. The median
    follows R's ``quantile.survfit`` rule (midpoint of a flat stretch at exactly 0.5), as
    :meth:`netstats.survival.KaplanMeierResult.median` does; the estimate and every
    replicate equal a KM fit to the resampled rows, exactly.

    References
    ----------
    Efron B (1981). Censored data and the bootstrap. JASA 76:312-319.

    Examples
    --------
    >>> import pandas as pd
    >>> from netstats.resample import bootstrap_km_median
    >>> df = pd.DataFrame({"time": [1, 2, 3, 4, 5, 6, 7, 8.0], "event": [1, 1, 0, 1, 1, 0, 1, 1]})
    >>> res = bootstrap_km_median(df, n_resamples=200, random_state=1)
    >>> float(res.estimate[0])
    5.0
    """
    check_n_resamples(n_resamples, conf_level)
    n_jobs, backend_name = check_backend(n_jobs, backend, client)
    sd = check_survival_data(data, time=time, event=event)
    unit, n_units = cluster_codes(data, cluster)
    seed = check_random_state(random_state)
    row_order = np.argsort(sd.time, kind="stable")
    t_sorted = sd.time[row_order]
    times, starts = np.unique(t_sorted, return_index=True)
    event_sorted = sd.event[row_order]
    ones = np.ones((1, len(data)), dtype=np.int64)
    estimate = km_quantile_matrix(
        np.add.reduceat(ones, starts, axis=1),
        np.add.reduceat(ones * event_sorted, starts, axis=1),
        times,
    )
    sizes = block_sizes(n_resamples)
    blocks = run_blocks(
        _km_block,
        block_seeds(seed, len(sizes)),
        sizes,
        shared={
            "unit": unit,
            "n_units": n_units,
            "row_order": row_order,
            "starts": starts.astype(np.int64),
            "event_sorted": event_sorted,
            "times": times,
        },
        n_jobs=n_jobs,
        backend=backend_name,
        client=client,
        progress=progress,
        desc="bootstrap KM median",
    )
    return BootstrapResult(
        statistic="KM median",
        terms=("median",),
        estimate=estimate,
        replicates=np.concatenate(blocks)[:, None],
        conf_level=conf_level,
        unit="row" if cluster is None else "cluster",
        random_state=random_state,
    )

"""Resample draws shared by every bootstrap (one definition, used by the tests too)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

from netstats.exceptions import SchemaError
from netstats.resample._executor import block_seeds, block_sizes, check_random_state

__all__ = ["bootstrap_indices"]


def draw_units(seed: np.random.SeedSequence, size: int, n_units: int) -> npt.NDArray[np.int64]:
    """``size x n_units`` indices of units drawn with replacement for one block."""
    rng = np.random.default_rng(seed)
    return rng.integers(0, n_units, size=(size, n_units), dtype=np.int64)


def unit_counts(draws: npt.NDArray[np.int64], n_units: int) -> npt.NDArray[np.int64]:
    """How often each unit is drawn in each resample (``size x n_units``)."""
    size = draws.shape[0]
    flat = draws + (np.arange(size, dtype=np.int64) * n_units)[:, None]
    return np.bincount(flat.ravel(), minlength=size * n_units).reshape(size, n_units)


def bootstrap_indices(
    n_units: int, *, n_resamples: int, random_state: int | None
) -> npt.NDArray[np.int64]:
    """The unit indices every netstats bootstrap draws for a seed.

    Parameters
    ----------
    n_units : int
        Number of resampled units: rows, or clusters (patients) for a cluster bootstrap,
        numbered by their order of first appearance in the data.
    n_resamples : int
        Number of resamples.
    random_state : int or None
        Seed, as given to the bootstrap functions.

    Returns
    -------
    numpy.ndarray of int64
        ``n_resamples x n_units``: row ``b`` holds the units of resample ``b``. The same
        whatever ``n_jobs``, backend or cluster the bootstrap runs on.

    Examples
    --------
    >>> from netstats.resample import bootstrap_indices
    >>> bootstrap_indices(5, n_resamples=2, random_state=1).shape
    (2, 5)
    """
    if random_state is None:
        raise ValueError("bootstrap_indices needs an int random_state to be reproducible")
    seed = check_random_state(random_state)
    sizes = block_sizes(n_resamples)
    seeds = block_seeds(seed, len(sizes))
    return np.concatenate([draw_units(s, m, n_units) for s, m in zip(seeds, sizes, strict=True)])


def cluster_codes(data: pd.DataFrame, cluster: str | None) -> tuple[npt.NDArray[np.int64], int]:
    """Unit code of each row (row number, or cluster by first appearance) and unit count."""
    if cluster is None:
        return np.arange(len(data), dtype=np.int64), len(data)
    if not isinstance(cluster, str):
        raise TypeError(f"cluster must be a column name, got {cluster!r}")
    if cluster not in data.columns:
        raise SchemaError(f"cluster column {cluster!r} not in data")
    col = data[cluster]
    if col.isna().any():
        raise SchemaError(
            f"cluster column {cluster!r}: {int(col.isna().sum())} missing values; every row "
            "needs its patient id"
        )
    codes, uniq = pd.factorize(col, sort=False)
    return codes.astype(np.int64), len(uniq)


def check_n_resamples(n_resamples: int, conf_level: float) -> None:
    """Validate the common bootstrap options."""
    if isinstance(n_resamples, bool) or not isinstance(n_resamples, (int, np.integer)):
        raise TypeError(f"n_resamples must be an int, got {n_resamples!r}")
    if n_resamples < 2:
        raise ValueError(f"n_resamples must be >= 2, got {n_resamples}")
    if not 0.0 < conf_level < 1.0:
        raise ValueError(f"conf_level must be in (0, 1), got {conf_level}")

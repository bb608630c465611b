"""Run blocks of independent replicates on joblib or a Dask cluster, reproducibly.

Work is cut into fixed-size *blocks* of replicates. Block ``k`` draws its random numbers
from ``SeedSequence(random_state).spawn(n_blocks)[k]``, so the block layout (and hence
every number drawn) depends only on ``random_state`` and the number of replicates, never
on ``n_jobs``, the joblib backend, the Dask cluster or its worker count. Results are
returned in block order.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Literal

import numpy as np
from joblib import Parallel, delayed

from netstats._progress import progress_bar

__all__: list[str] = []

#: Replicates per block (fixed: changing it changes the random numbers, so it is part of
#: the reproducibility contract, like the seed).
BLOCK_SIZE = 100

Backend = Literal["loky", "threading", "sequential", "dask"]
_BACKENDS = ("loky", "threading", "sequential", "dask")


def check_random_state(random_state: int | np.random.SeedSequence | None) -> np.random.SeedSequence:
    """A SeedSequence from an int seed (or entropy drawn once when None)."""
    if isinstance(random_state, np.random.SeedSequence):
        return random_state
    if random_state is None:
        return np.random.SeedSequence()
    if isinstance(random_state, (bool, np.bool_)) or not isinstance(
        random_state, (int, np.integer)
    ):
        raise TypeError(
            f"random_state must be a non-negative int, a SeedSequence or None, got {random_state!r}"
        )
    if random_state < 0:
        raise ValueError(f"random_state must be >= 0, got {random_state}")
    return np.random.SeedSequence(int(random_state))


def block_sizes(n_total: int) -> list[int]:
    """Sizes of the blocks holding ``n_total`` replicates (the last may be shorter)."""
    full, rest = divmod(n_total, BLOCK_SIZE)
    return [BLOCK_SIZE] * full + ([rest] if rest else [])


def block_seeds(seed: np.random.SeedSequence, n_blocks: int) -> list[np.random.SeedSequence]:
    """Independent child seeds, one per block (same children for the same parent)."""
    # spawn() on a copy: SeedSequence.spawn advances the parent's child counter.
    parent = np.random.SeedSequence(seed.entropy, spawn_key=seed.spawn_key)
    return parent.spawn(n_blocks)


def check_backend(n_jobs: int | None, backend: str | None, client: Any) -> tuple[int | None, str]:
    """Validate the parallel options; ``client`` implies the Dask backend."""
    if client is not None:
        if backend not in (None, "dask"):
            raise ValueError(
                f"client= runs on Dask; backend must be 'dask' or None, got {backend!r}"
            )
        backend = "dask"
    backend = backend or "loky"
    if backend not in _BACKENDS:
        raise ValueError(f"backend must be one of {', '.join(_BACKENDS)}; got {backend!r}")
    if n_jobs is not None and (not isinstance(n_jobs, (int, np.integer)) or n_jobs == 0):
        raise ValueError(f"n_jobs must be a non-zero int or None, got {n_jobs!r}")
    return n_jobs, backend


def _dask_client(client: Any) -> tuple[Any, bool]:
    """A ``distributed.Client`` from a Client, a scheduler address or None (own cluster)."""
    try:
        from distributed import Client
    except ImportError as exc:  # pragma: no cover - exercised only without the extra
        raise ImportError(
            "backend='dask' needs dask.distributed: pip install 'netstats[dask]'"
        ) from exc
    if client is None:
        raise ValueError(
            "backend='dask' needs client=: a dask.distributed.Client or a scheduler address "
            "such as 'tcp://10.0.0.5:8786'"
        )
    if isinstance(client, str):
        return Client(client, set_as_default=False), True
    if not isinstance(client, Client):
        raise TypeError(
            f"client must be a dask.distributed.Client or a scheduler address, got {type(client)}"
        )
    return client, False


def run_blocks(
    func: Callable[..., Any],
    seeds: Sequence[np.random.SeedSequence],
    sizes: Sequence[int],
    *,
    shared: dict[str, Any],
    n_jobs: int | None,
    backend: str,
    client: Any,
    progress: bool | None,
    desc: str,
) -> list[Any]:
    """``[func(seed_k, size_k, **shared) for k]`` in block order, in parallel."""
    n = len(seeds)
    bar = progress_bar(total=int(sum(sizes)), progress=progress, desc=desc, unit="resample")
    results: list[Any] = [None] * n
    try:
        if backend == "dask":
            cl, own = _dask_client(client)
            try:
                scattered = {k: cl.scatter(v, broadcast=True) for k, v in shared.items()}
                futures = [
                    cl.submit(func, s, m, pure=False, **scattered)
                    for s, m in zip(seeds, sizes, strict=True)
                ]
                for i, fut in enumerate(futures):  # block order; the bar advances in order
                    results[i] = fut.result()
                    bar.update(sizes[i])
            finally:
                if own:
                    cl.close()
        else:
            par = Parallel(n_jobs=n_jobs, backend=backend, return_as="generator")
            gen = par(delayed(func)(s, m, **shared) for s, m in zip(seeds, sizes, strict=True))
            for i, res in enumerate(gen):
                results[i] = res
                bar.update(sizes[i])
    finally:
        bar.close()
    return results

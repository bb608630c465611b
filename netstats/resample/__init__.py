"""Fast, reproducible bootstrap of survival statistics on joblib or a Dask cluster.

Every bootstrap draws its resamples block by block from ``random_state`` (see
:func:`bootstrap_indices`), so results are identical whatever ``n_jobs``, the joblib
backend, or the Dask cluster and its worker count.
"""

from __future__ import annotations

from netstats.resample._cox import bootstrap_cox
from netstats.resample._draw import bootstrap_indices
from netstats.resample._km import bootstrap_km_median
from netstats.resample._result import BootstrapResult

__all__ = [
    "BootstrapResult",
    "bootstrap_cox",
    "bootstrap_indices",
    "bootstrap_km_median",
]

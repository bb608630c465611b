"""The normal and chi-squared tail functions the survival estimators need, without scipy.stats.

``scipy.stats`` costs about 0.6 s to import (it builds every distribution object), while the
survival code uses only three functions of two distributions.  These call the same
``scipy.special`` kernels ``scipy.stats`` calls (``norm.ppf`` is ``ndtri``, ``norm.sf(x)`` is
``ndtr(-x)``, ``chi2.sf(x, df)`` is ``chdtrc(df, x)``) with the same handling of the edges
(``nan`` for invalid arguments, 1 below the support), so the values are bit-for-bit those of
``scipy.stats``; ``tests/test_survival_dist.py`` checks that.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import special


def _out(values: np.ndarray) -> Any:
    """A 0-d result as a NumPy scalar, as ``scipy.stats`` returns it."""
    return values[()] if values.ndim == 0 else values


def norm_ppf(q: Any) -> Any:
    """``scipy.stats.norm.ppf(q)``: the standard normal quantile (``nan`` outside [0, 1])."""
    q = np.asarray(q, dtype=np.float64)
    out = np.where((q >= 0) & (q <= 1), special.ndtri(q), np.nan)
    return _out(np.asarray(out, dtype=np.float64))


def norm_sf(x: Any) -> Any:
    """``scipy.stats.norm.sf(x)``: the upper tail of the standard normal."""
    x = np.asarray(x, dtype=np.float64)
    return _out(np.asarray(special.ndtr(-x), dtype=np.float64))


def chi2_sf(x: Any, df: Any) -> Any:
    """``scipy.stats.chi2.sf(x, df)``: the upper tail of the chi-squared distribution.

    ``nan`` where ``df <= 0`` or ``x`` is ``nan``; 1 where ``x <= 0``; 0 at ``x = inf``.
    """
    x = np.asarray(x, dtype=np.float64)
    df = np.asarray(df, dtype=np.float64)
    x, df = np.broadcast_arrays(x, df)
    good_df = df > 0
    inside = good_df & (x > 0) & (x < np.inf)
    out = np.zeros(x.shape)  # 0 at x = inf
    out[~good_df | np.isnan(x)] = np.nan
    out[good_df & (x <= 0)] = 1.0
    out[inside] = special.chdtrc(df[inside], x[inside])
    return _out(out)

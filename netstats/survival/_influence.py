"""Infinitesimal-jackknife (robust) variance of Kaplan-Meier and Aalen-Johansen estimates.

The estimate is a smooth function of the case weights; its derivative with respect to the
weight of row i is that row's influence, and the variance is ``sum_i (w_i D_i(t))^2``, which
is what R ``survfit`` reports for multi-state (competing-risks) curves and, with
``robust=TRUE``, for Kaplan-Meier curves. The derivatives are updated one event time after
another (cost: rows x event times).
"""

from __future__ import annotations

import numpy as np

__all__ = ["aj_influence_variance"]


def aj_influence_variance(
    time: np.ndarray,
    codes: np.ndarray,
    weights: np.ndarray,
    entry: np.ndarray | None,
    ut: np.ndarray,
    causes: list[int],
) -> tuple[np.ndarray, dict[int, np.ndarray]]:
    """Robust variances of S(t) (all-cause Kaplan-Meier) and of each cause's F_k(t).

    Parameters
    ----------
    time : numpy.ndarray
        Exit times (one per row, weights > 0).
    codes : numpy.ndarray of int
        0 censored, 1..K cause of the exit.
    weights : numpy.ndarray
        Case weights (> 0).
    entry : numpy.ndarray or None
        Delayed-entry times (at risk at t when entry < t <= time).
    ut : numpy.ndarray
        The distinct exit times at which the variances are returned (increasing).
    causes : list of int
        Cause codes for which F_k is wanted.

    Returns
    -------
    tuple
        ``var_s`` of shape (len(ut),) and ``{k: var_f_k}``.
    """
    m = ut.size
    n = time.size
    exit_pos = np.searchsorted(ut, time)  # ut[exit_pos] == time
    entry_pos = (
        np.zeros(n, dtype=np.int64) if entry is None else np.searchsorted(ut, entry, side="right")
    )
    event = codes > 0
    d_all = np.bincount(exit_pos, weights=weights * event, minlength=m)
    d_k = {k: np.bincount(exit_pos, weights=weights * (codes == k), minlength=m) for k in causes}
    w2 = weights**2
    var_s = np.zeros(m)
    var_f = {k: np.zeros(m) for k in causes}
    d_s = np.zeros(n)
    d_f = {k: np.zeros(n) for k in causes}
    s_prev = 1.0
    vs = 0.0
    vf = dict.fromkeys(causes, 0.0)
    for j in range(m):
        if d_all[j] > 0:
            at_risk = (entry_pos <= j) & (exit_pos >= j)
            n_j = float(weights[at_risk].sum())
            lam = d_all[j] / n_j
            here = exit_pos == j
            y = at_risk.astype(float)
            d_lam = ((here & event).astype(float) - lam * y) / n_j
            for k in causes:
                h = d_k[k][j] / n_j
                d_h = ((here & (codes == k)).astype(float) - h * y) / n_j
                d_f[k] += d_s * h + s_prev * d_h
                vf[k] = float(w2 @ d_f[k] ** 2)
            d_s = d_s * (1.0 - lam) - s_prev * d_lam
            s_prev *= 1.0 - lam
            vs = float(w2 @ d_s**2)
        var_s[j] = vs
        for k in causes:
            var_f[k][j] = vf[k]
    return var_s, var_f

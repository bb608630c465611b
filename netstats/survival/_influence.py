"""Infinitesimal-jackknife (robust) variance of Kaplan-Meier and Aalen-Johansen estimates.

The estimate is a smooth function of the case weights; its derivative with respect to the
weight of row i is that row's influence ``D_i(t)``, and the variance is
``sum_i (w_i D_i(t))^2``: what R ``survfit`` reports for multi-state (competing-risks)
curves and, with ``robust=TRUE``, for Kaplan-Meier curves.

Written in closed form, in O(rows + times): with ``S`` the all-cause Kaplan-Meier,
``lambda_l = d_l / n_l``, ``a_l = lambda_l / (n_l (1 - lambda_l))`` and
``b_l = 1 / (n_l (1 - lambda_l))``, a row at risk over the time indices ``s..e`` has

- ``dS(t_j) = -S(t_j) c_i(j)`` with ``c_i(j) = -(A_j - A_{s-1})`` while at risk and the
  constant ``C_i = delta_i b_e - (A_e - A_{s-1})`` after its exit (``A`` the cumulative sum
  of ``a``);
- ``dF_k(t_j)`` linear in ``F_k(t_j)`` and in two cumulative sums of the increments of F_k,
  with coefficients fixed per row,

so every variance is a sum over the risk set (or over the rows already out) of per-row
quantities, i.e. cumulative sums. Where S reaches 0 the derivatives, and the variances, are 0.
"""

from __future__ import annotations

import numpy as np

__all__ = ["aj_influence_variance"]


def _prev(x: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """``x[idx - 1]`` with ``x[-1] = 0``."""
    return np.concatenate(([0.0], x))[idx]


#: Relative size below which a variance is rounding error of its expanded sum of squares.
_ROUNDING = 64 * np.finfo(float).eps


def _sum_of_squares(terms: list[np.ndarray]) -> np.ndarray:
    """Sum of the expanded terms of a sum of squares; 0 where it is below rounding error."""
    total = np.sum(terms, axis=0)
    scale = np.sum(np.abs(terms), axis=0)
    return np.where(total <= _ROUNDING * scale, 0.0, total)


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
        The distinct exit times (increasing), at which the variances are returned.
    causes : list of int
        Cause codes for which F_k is wanted.

    Returns
    -------
    tuple
        ``var_s`` of shape (len(ut),) and ``{k: var_f_k}``.
    """
    m = ut.size
    e = np.searchsorted(ut, time)  # exit index: ut[e] == time
    s = np.zeros(time.size, np.int64) if entry is None else np.searchsorted(ut, entry, "right")
    w2 = weights**2
    event = codes > 0

    def by_exit(v: np.ndarray) -> np.ndarray:
        return np.bincount(e, weights=v, minlength=m)

    def gone(v: np.ndarray) -> np.ndarray:
        """Sum of v over the rows out by t_j (exit index <= j)."""
        return np.cumsum(by_exit(v))

    def at_risk(v: np.ndarray) -> np.ndarray:
        """Sum of v over the rows in at t_j and still in after it (s <= j < e)."""
        return np.cumsum(np.bincount(s, weights=v, minlength=m + 1)[:m]) - gone(v)

    n = np.cumsum(np.bincount(s, weights=weights, minlength=m + 1)[:m]) - gone(weights)
    n = n + by_exit(weights)  # at risk at t_j: s <= j <= e
    d = by_exit(weights * event)
    lam = d / n
    alive = lam < 1.0
    surv = np.cumprod(1.0 - lam)
    s_prev = np.concatenate(([1.0], surv[:-1]))
    with np.errstate(divide="ignore", invalid="ignore"):
        b = np.where(alive, 1.0 / (n * (1.0 - lam)), 0.0)
    a = lam * b
    big_a = np.cumsum(a)
    alpha = _prev(big_a, s)  # A_{s-1}
    c_out = np.where(event, b[e], 0.0) - (big_a[e] - alpha)  # C_i
    var_s = surv**2 * _sum_of_squares(
        [
            gone(w2 * c_out**2),
            big_a**2 * at_risk(w2),
            -2.0 * big_a * at_risk(w2 * alpha),
            at_risk(w2 * alpha**2),
        ]
    )
    var_s = np.where(surv > 0, var_s, 0.0)
    var_f: dict[int, np.ndarray] = {}
    for k in causes:
        g = s_prev * by_exit(weights * (codes == k)) / n  # increments of F_k
        f = np.cumsum(g)
        p = np.cumsum(_prev(big_a, np.arange(m)) * g)  # sum_l A_{l-1} g_l
        q = np.cumsum(g / n)
        # rows at risk after t_j: D = X_j + gamma_i - alpha_i F_j
        x = p - q
        gamma = -p[s] + alpha * f[s] + _prev(q, s)
        inside = [
            x**2 * at_risk(w2),
            at_risk(w2 * gamma**2),
            f**2 * at_risk(w2 * alpha**2),
            2.0 * x * at_risk(w2 * gamma),
            -2.0 * x * f * at_risk(w2 * alpha),
            -2.0 * f * at_risk(w2 * gamma * alpha),
        ]
        # rows out by t_j: D = u_i + v_i F_j
        own = np.where(codes == k, s_prev[e] / n[e], 0.0)
        k_i = p[e] - p[s] - alpha * (f[e] - f[s]) + own - (q[e] - _prev(q, s))
        u = k_i + c_out * f[e]
        v = -c_out
        out = [gone(w2 * u**2), 2.0 * f * gone(w2 * u * v), f**2 * gone(w2 * v**2)]
        var_f[k] = _sum_of_squares(inside + out)
    return var_s, var_f

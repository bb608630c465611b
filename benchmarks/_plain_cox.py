"""A plain NumPy Cox fit (Efron ties), the bar the netstats engine is held to.

Benchmark-only code: a textbook vectorised Newton-Raphson for Efron's partial likelihood
(one stratum, no weights, no checks, no summaries), written the way one would write it
by hand: sort once by time, take risk-set sums from cumulative sums over the rows in
descending time, expand the tied deaths into Efron pseudo-rows, and assemble the
information matrix as ``X' diag(q) X`` minus the outer products of the risk-set means.
``tests/test_benchmarks.py`` checks that it reaches the netstats coefficients.
"""

from __future__ import annotations

import numpy as np


def plain_numpy_efron(x: np.ndarray, t: np.ndarray, d: np.ndarray, iters: int = 30) -> np.ndarray:
    """Textbook vectorised Newton-Raphson for Efron's likelihood (single stratum, no weights)."""
    o = np.argsort(-t, kind="stable")
    x, t, d = x[o] - x.mean(axis=0), t[o], d[o].astype(bool)
    ut, first = np.unique(-t, return_index=True)  # groups of tied times, descending time
    last = np.concatenate([first[1:], [t.size]]) - 1
    dr = np.flatnonzero(d)
    gi = np.searchsorted(first, dr, side="right") - 1
    gs, gstart, nd = np.unique(gi, return_index=True, return_counts=True)
    f = (np.arange(dr.size) - np.repeat(gstart, nd)) / np.repeat(nd, nd)
    beta = np.zeros(x.shape[1])
    for _ in range(iters):
        r = np.exp(x @ beta)
        s0 = np.cumsum(r)[last][gs]
        s1 = np.cumsum(x * r[:, None], axis=0)[last][gs]
        d0 = np.add.reduceat(r[dr], gstart)
        d1 = np.add.reduceat(x[dr] * r[dr, None], gstart, axis=0)
        g = np.repeat(np.arange(gs.size), nd)
        den = s0[g] - f * d0[g]
        xbar = (s1[g] - f[:, None] * d1[g]) / den[:, None]
        score = x[dr].sum(axis=0) - xbar.sum(axis=0)
        a = np.zeros(t.size)
        np.add.at(a, last[gs], np.add.reduceat(1 / den, gstart))
        aa = np.cumsum(a[::-1])[::-1]  # sum of 1/den over times at which each row is at risk
        q = r * aa
        q[dr] -= r[dr] * np.add.reduceat(f / den, gstart)[g]
        info = (x * q[:, None]).T @ x - xbar.T @ xbar
        step = np.linalg.solve(info, score)
        beta += step
        if np.abs(step).max() < 1e-9:
            break
    return beta

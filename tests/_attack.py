"""The attacker's tools: integer interval audits and inversions of published numbers.

Written apart from :mod:`netstats.report._cells` (the defence) so that a shared mistake
does not hide a leak: every relation is written out as a dense matrix over the unknown
(withheld) cells, and each unknown is minimised and maximised with an integer program.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.stats import beta


class System:
    """Unknown non-negative integers with linear equalities and inequalities."""

    def __init__(self) -> None:
        self.names: dict[object, int] = {}
        self.eq: list[tuple[dict[int, float], float]] = []
        self.le: list[tuple[dict[int, float], float]] = []
        self.upper: dict[int, float] = {}

    def var(self, key: object) -> int:
        """The index of unknown ``key`` (created on first use)."""
        return self.names.setdefault(key, len(self.names))

    def add(self, terms: dict[object, float], rhs: float, *, kind: str = "eq") -> None:
        """``sum(coef * unknown) (== or <=) rhs``; ``terms`` maps unknown keys to coefs."""
        row: dict[int, float] = {}
        for key, coef in terms.items():
            i = self.var(key)
            row[i] = row.get(i, 0.0) + coef
        (self.eq if kind == "eq" else self.le).append((row, float(rhs)))

    def bounds(self, key: object) -> tuple[float, float]:
        """Smallest and largest feasible value of one unknown (integer program)."""
        n = len(self.names)
        k = self.names[key]
        cons = []
        for rows, kind in ((self.eq, "eq"), (self.le, "le")):
            if not rows:
                continue
            mat = np.zeros((len(rows), n))
            rhs = np.zeros(len(rows))
            for r, (row, b) in enumerate(rows):
                for i, a in row.items():
                    mat[r, i] = a
                rhs[r] = b
            cons.append(LinearConstraint(mat, rhs if kind == "eq" else -np.inf, rhs))
        ub = np.full(n, np.inf)
        for i, u in self.upper.items():
            ub[i] = u
        out = []
        for sign in (1.0, -1.0):
            c = np.zeros(n)
            c[k] = sign
            res = milp(c, constraints=cons, bounds=Bounds(np.zeros(n), ub), integrality=np.ones(n))
            if res.status == 3 or res.x is None:
                out.append(np.inf if sign < 0 else 0.0)
            else:
                out.append(round(float(res.x[k])))
        return out[0], out[1]

    def pinned_small(self, keys: list[object], threshold: int) -> dict[object, int]:
        """Unknowns whose feasible interval is one value in ``1 .. threshold - 1``."""
        found = {}
        for key in keys:
            if key not in self.names:
                continue
            lo, hi = self.bounds(key)
            if lo == hi and 1 <= lo < threshold:
                found[key] = int(lo)
        return found


def clopper_pearson(k: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Exact binomial interval of ``k`` out of ``n``."""
    a = (1 - level) / 2
    lo = 0.0 if k == 0 else float(beta.ppf(a, k, n - k + 1))
    hi = 1.0 if k == n else float(beta.ppf(1 - a, k + 1, n - k))
    return lo, hi


def invert_interval(lo: float, hi: float, n_max: int = 200) -> list[tuple[int, int]]:
    """Every ``(k, n)`` whose Clopper-Pearson interval matches published bounds (3 d.p.)."""
    hits = []
    for n in range(1, n_max + 1):
        for k in range(n + 1):
            a, b = clopper_pearson(k, n)
            if abs(a - lo) < 5e-4 and abs(b - hi) < 5e-4:
                hits.append((k, n))
    return hits


def counts_from_proportion(p: float, n: int, tol: float = 5e-4) -> list[int]:
    """Counts ``k`` with ``k / n`` equal to a published proportion."""
    return [k for k in range(n + 1) if abs(k / n - p) < tol]

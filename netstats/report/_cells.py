"""Cell suppression as an optimisation, and the interval audit an attacker would run.

A protected table is a vector of non-negative integer counts tied by published linear
equations (row and column totals, an overall column, ``n = n_at_risk + n_events +
n_censored``).  :func:`audit` gives, for every withheld cell, the smallest and largest
value consistent with the published cells and equations (an integer program per bound);
:func:`protect` chooses the complementary cells to withhold with ``scipy.optimize.milp``
so that every primary cell's interval is wide enough, checking the choice with
:func:`audit` and adding a constraint for every cell still exposed.

References
----------
Hundepool A. et al. *Statistical Disclosure Control*. Wiley, 2012, section 5.5 (the
cell-suppression problem); Fischetti M., Salazar J.J. Solving the cell suppression
problem on tabular statistical data. *Management Science* 2001;47:1008-1027.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp

__all__ = ["Equation", "audit", "exposed", "protect"]

#: Largest number of audit rounds before :func:`protect` withholds every candidate.
MAX_ROUNDS = 60


@dataclass(frozen=True)
class Equation:
    """``sum(coef[i] * x[cells[i]]) == rhs``: a published linear relation between cells.

    Examples
    --------
    >>> Equation.total([0, 1, 2], 12)  # three cells add up to a published total of 12
    Equation(cells=(0, 1, 2), coef=(1.0, 1.0, 1.0), rhs=12.0)
    """

    cells: tuple[int, ...]
    coef: tuple[float, ...]
    rhs: float

    @classmethod
    def total(cls, cells: Sequence[int], rhs: float) -> Equation:
        """Cells that add up to a published constant."""
        cells = tuple(int(c) for c in cells)
        return cls(cells, tuple(1.0 for _ in cells), float(rhs))

    @classmethod
    def margin(cls, parts: Sequence[int], whole: int) -> Equation:
        """Cells ``parts`` add up to the cell ``whole`` (itself published or withheld)."""
        cells = tuple(int(c) for c in parts) + (int(whole),)
        return cls(cells, tuple(1.0 for _ in parts) + (-1.0,), 0.0)


def _components(n: int, equations: Sequence[Equation]) -> list[np.ndarray]:
    """Cells grouped by the equations that connect them (union-find)."""
    parent = list(range(n))

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    for eq in equations:
        first = find(eq.cells[0]) if eq.cells else None
        for c in eq.cells[1:]:
            root = find(c)
            if root != first:
                parent[root] = first
    roots = np.array([find(i) for i in range(n)])
    return [np.flatnonzero(roots == r) for r in np.unique(roots)]


def audit(
    values: np.ndarray,
    withheld: np.ndarray,
    equations: Sequence[Equation],
    *,
    upper: np.ndarray | None = None,
    integer: bool = True,
    targets: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Smallest and largest value of every withheld cell given what is published.

    Parameters
    ----------
    values : array of int
        True counts (only the published ones are used).
    withheld : array of bool
        Cells not published.
    equations : sequence of Equation
        Published relations.
    upper : array of float, optional
        Known upper bounds (default: none); every cell is ``>= 0``.
    integer : bool, default=True
        Solve integer programs (exact for counts) rather than their LP relaxation.
    targets : array of bool, optional
        Cells to bound (default: every withheld cell); the others keep ``lo = hi = value``.

    Returns
    -------
    lo, hi : arrays of float
        Feasible interval of each cell (the value itself where published; ``inf`` when
        unbounded above).

    Examples
    --------
    >>> v = np.array([3, 9, 12])
    >>> lo, hi = audit(v, np.array([True, False, False]), [Equation.margin([0, 1], 2)])
    >>> float(lo[0]), float(hi[0])  # 12 - 9: the withheld 3 is recovered
    (3.0, 3.0)
    """
    values = np.asarray(values, dtype=float)
    withheld = np.asarray(withheld, dtype=bool)
    lo = values.copy()
    hi = values.copy()
    if not withheld.any():
        return lo, hi
    hidden = np.flatnonzero(withheld)
    pos = {int(c): k for k, c in enumerate(hidden)}
    rows, rhs = [], []
    for eq in equations:
        row = np.zeros(len(hidden))
        b = eq.rhs
        touched = False
        for c, a in zip(eq.cells, eq.coef, strict=True):
            if c in pos:
                row[pos[c]] += a
                touched = True
            else:
                b -= a * values[c]
        if touched:
            rows.append(row)
            rhs.append(b)
    ub = np.full(len(hidden), np.inf) if upper is None else np.asarray(upper, float)[hidden]
    bounds = Bounds(np.zeros(len(hidden)), ub)
    cons = [LinearConstraint(np.array(rows), rhs, rhs)] if rows else []
    integrality = np.ones(len(hidden)) if integer else np.zeros(len(hidden))
    matrix = np.array(rows) if rows else np.zeros((0, len(hidden)))
    for k, c in enumerate(hidden):
        if targets is not None and not targets[c]:
            continue
        if not rows or not np.any(matrix[:, k]):
            lo[c], hi[c] = 0.0, ub[k]
            continue
        for sign, target in ((1.0, lo), (-1.0, hi)):
            obj = np.zeros(len(hidden))
            obj[k] = sign
            res = milp(obj, constraints=cons, bounds=bounds, integrality=integrality)
            if res.status == 3:  # unbounded
                target[c] = -np.inf if sign > 0 else np.inf
            elif res.x is None:
                target[c] = values[c]  # infeasible cannot happen with true values
            else:
                target[c] = float(np.round(res.x[k], 6))
    return lo, hi


def exposed(
    values: np.ndarray,
    withheld: np.ndarray,
    sensitive: np.ndarray,
    equations: Sequence[Equation],
    threshold: int,
    *,
    upper: np.ndarray | None = None,
    capacity: np.ndarray | None = None,
) -> np.ndarray:
    """Sensitive withheld cells whose feasible interval is too narrow.

    A cell of value ``v`` (``1 <= v < threshold``) is protected when its interval is not a
    single value and reaches ``threshold`` or the largest value the equations allow for any
    table (so the reader cannot tell that it is small from the published numbers).
    """
    check = sensitive & withheld
    lo, hi = audit(values, withheld, equations, upper=upper, targets=check)
    cap = _capacity(values, equations, upper, check) if capacity is None else capacity
    need = np.minimum(float(threshold), cap)
    return check & ((hi - lo < 1) | (hi < need))


def _capacity(
    values: np.ndarray,
    equations: Sequence[Equation],
    upper: np.ndarray | None,
    targets: np.ndarray | None = None,
) -> np.ndarray:
    """Largest value each cell could take with every cell withheld."""
    every = np.ones(len(values), dtype=bool)
    _, hi = audit(values, every, equations, upper=upper, integer=False, targets=targets)
    return hi


def protect(
    values: np.ndarray,
    equations: Sequence[Equation],
    *,
    sensitive: np.ndarray,
    threshold: int,
    preset: np.ndarray | None = None,
    candidate: np.ndarray | None = None,
    upper: np.ndarray | None = None,
) -> tuple[np.ndarray, bool]:
    """Choose the cells to withhold: the sensitive ones and the cheapest complements.

    Parameters
    ----------
    values : array of int
        The counts.
    equations : sequence of Equation
        Relations the reader knows (published totals).
    sensitive : array of bool
        Primary cells (counts ``1 .. threshold - 1``).
    threshold : int
        The suppression threshold.
    preset : array of bool, optional
        Cells withheld whatever happens (e.g. a group withheld in another table).
    candidate : array of bool, optional
        Cells that may be withheld as complements (default: non-zero cells).
    upper : array of float, optional
        Upper bounds the reader knows.

    Returns
    -------
    withheld : array of bool
    protected : bool
        False when no choice of complements protects every primary cell (then the first
        choice tried is returned and the caller must coarsen or withhold the totals).

    Notes
    -----
    The integer program minimises the number of complementary cells plus their share of
    the total count (fewest cells, then least information), subject to: every equation
    holding a primary cell holds another withheld cell whose slack can move the primary
    up to the threshold.  The choice is audited (:func:`exposed`); for every cell still
    exposed, a constraint "one more candidate of its equations" is added and the program
    solved again.
    """
    values = np.asarray(values, dtype=np.int64)
    n = len(values)
    sensitive = np.asarray(sensitive, dtype=bool)
    preset = np.zeros(n, dtype=bool) if preset is None else np.asarray(preset, dtype=bool)
    fixed = sensitive | preset
    if candidate is None:
        candidate = values > 0
    candidate = np.asarray(candidate, dtype=bool) & ~fixed
    if not sensitive.any() and not preset.any():
        return np.zeros(n, dtype=bool), True
    total = max(float(values.sum()), 1.0)
    cost = 1.0 + values / total + np.arange(n) * 1e-9
    rows, lower = _line_constraints(values, equations, sensitive, candidate | fixed, threshold)
    cap = _capacity(values, equations, upper, sensitive)
    lb = fixed.astype(float)
    ub = (fixed | candidate).astype(float)
    first = None
    every = fixed | candidate
    hopeless = exposed(values, every, sensitive, equations, threshold, upper=upper, capacity=cap)
    # when even withholding every candidate leaves a cell exposed, do not search
    for _ in range(1 if hopeless.any() else MAX_ROUNDS):
        cons = [LinearConstraint(np.array(rows), lower, np.inf)] if rows else []
        res = milp(cost, constraints=cons, bounds=Bounds(lb, ub), integrality=np.ones(n))
        if res.x is None:
            break
        withheld = np.round(res.x).astype(bool) | fixed
        if first is None:
            first = withheld
        bad = exposed(values, withheld, sensitive, equations, threshold, upper=upper, capacity=cap)
        if not bad.any():
            return withheld, True
        cut = _cut(withheld, equations, candidate)
        added = bool(cut.any())
        if added:
            rows.append(cut.astype(float))
            lower.append(1.0)
        if not added:
            break
    if not hopeless.any():
        return every, True
    return (every if first is None else first), False


def _line_constraints(
    values: np.ndarray,
    equations: Sequence[Equation],
    sensitive: np.ndarray,
    movable: np.ndarray,
    threshold: int,
) -> tuple[list[np.ndarray], list[float]]:
    """Per equation and primary cell in it: the other withheld cells must have room to
    move the primary up to the threshold (a cell on the other side of the relation lets
    it grow freely)."""
    n = len(values)
    rows: list[np.ndarray] = []
    lower: list[float] = []
    for eq in equations:
        idx = np.asarray(eq.cells)
        coef = np.asarray(eq.coef)
        for k, p in enumerate(idx):
            if not sensitive[p]:
                continue
            room = np.zeros(n)
            for j, a in zip(idx, coef, strict=True):
                if j != p and movable[j]:
                    room[j] = max(values[j], 1) if a * coef[k] > 0 else threshold
            need = min(float(threshold - values[p]), room.sum())
            if need > 0:
                rows.append(room)
                lower.append(need)
    return rows, lower


def _cut(withheld: np.ndarray, equations: Sequence[Equation], candidate: np.ndarray) -> np.ndarray:
    """Candidates sharing an equation with a withheld cell: one more of them is needed."""
    near = np.zeros(len(withheld), dtype=bool)
    for eq in equations:
        cells = np.asarray(eq.cells)
        if withheld[cells].any():
            near[cells] = True
    return near & candidate & ~withheld

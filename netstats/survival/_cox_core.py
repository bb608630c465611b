"""Vectorised numerical engine for the Cox proportional-hazards partial likelihood.

Internal module: inputs are assumed validated (finite floats, 0/1 events, positive
weights, ``start < stop``). Everything works on data sorted once by (stratum, stop time);
risk-set sums at each event time are reverse cumulative sums, over the event times, of
sums over row segments (one sparse product per evaluation for the rows sorted by stop
time, one for those sorted by start time), so ordinary right-censored data, strata, case
weights and counting-process (start, stop] data share one code path with no Python loop
over times and no ``n x p`` cumulative sum.

Accuracy does not depend on the spread of the linear predictor: every cumulative sum
restarts in each stratum (no sums are ever differenced across strata), risk weights are
``exp(eta - max eta)`` with the maximum taken within the stratum, and for (start, stop]
data each risk set is taken as "stopping at or after t minus starting at or after t" or
as "started before t minus stopped before t", whichever has the smaller rounding bound
(the first cancels when the linear predictor rises with time, the second when it falls);
a risk set that neither form gives to ~1e-10 is summed directly.

Ties are handled by Efron's or Breslow's approximation. Efron's is written as one
"pseudo-row" per death (``k = 0..d-1`` inside a tied group, fraction ``f = k/d``), which
makes Breslow the special case ``f = 0``. Pseudo-rows only carry scalars: every
``p``-vector or ``p x p`` quantity is a combination of the per-event-time sums
``S1``/``D1`` (risk set / deaths) with scalar weights, and the information matrix is
assembled without any per-time ``p x p`` array:

``sum_g a_g S2_g = X' diag(w r A) X`` with ``A_i`` the sum of ``a_g`` over the event times
at which row ``i`` is at risk (a prefix sum looked up by ``searchsorted``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from scipy import sparse

__all__: list[str] = []

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class RiskSets:
    """Pre-computed sorting and indexing shared by every likelihood evaluation.

    All row arrays are in *sorted* order (``order`` maps sorted position -> input row).
    """

    order: IntArray  # sorted position -> original row
    weights: FloatArray  # case weights (sorted)
    event: npt.NDArray[np.bool_]  # event indicator (sorted)
    key_stop: IntArray  # combined (stratum, stop-rank) key (sorted ascending)
    key_start: IntArray  # combined (stratum, start-rank) key, sorted order of rows
    start_order: IntArray | None  # argsort of key_start (None: no start times)
    start_keys_sorted: IntArray | None
    group_keys: IntArray  # unique event keys, ascending
    death_rows: IntArray  # sorted-position index of each death, grouped by event key
    death_group: IntArray  # group index of each death (len n_events)
    group_first: IntArray  # first pseudo-row of each group
    n_deaths: FloatArray  # d_g (unweighted count)
    w_deaths: FloatArray  # weighted deaths per group
    frac: FloatArray  # Efron fraction k/d per pseudo-row (0 for Breslow)
    cweight: FloatArray  # mean death weight of the pseudo-row's group
    pos_stop: IntArray  # searchsorted(key_stop, group_keys, 'left')
    pos_start: IntArray | None  # searchsorted(start_keys_sorted, group_keys, 'left')
    idx_stop: IntArray  # number of groups with key <= key_stop_i
    idx_start: IntArray  # number of groups with key <= key_start_i
    strata: IntArray  # stratum code (sorted)
    stop: FloatArray  # stop time (sorted)
    start: FloatArray | None  # start time (sorted) or None
    # Group-level strata: groups[group_bounds[j]:group_bounds[j+1]] are the event times
    # of the j-th stratum that has events; group_sidx[g] is that j for group g.
    group_bounds: IntArray = field(default_factory=lambda: np.zeros(1, dtype=np.int64))
    group_sidx: IntArray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    # Row-level strata (sorted rows are grouped by stratum): rows[row_bounds[j]:...] are
    # the j-th stratum (every stratum, with or without events); row_sidx[i] is that j.
    row_bounds: IntArray = field(default_factory=lambda: np.zeros(1, dtype=np.int64))
    row_sidx: IntArray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    # Offset of every row's group indices into per-stratum padded cumulative sums (see
    # at_risk_cumsum): group index + row_goff addresses the row's own stratum.
    row_goff: IntArray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    # Sparse row-segment operators (CSR structure; data are per-row values). Stop
    # segments, per stratum with events: the rows that stop before its first event time,
    # then for every event time its deaths and the other rows up to the next event time
    # (the last up to the end of the stratum). Start segments (only with start times),
    # per stratum with events: the rows that start before its first event time, then the
    # rows starting in [t_k, t_k+1) (the last up to the end of the stratum).
    stop_indptr: IntArray = field(default_factory=lambda: np.zeros(1, dtype=np.int64))
    stop_indices: IntArray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    stop_contiguous: bool = True
    seg_pre: IntArray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    seg_death: IntArray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    start_indptr: IntArray | None = None
    start_indices: IntArray | None = None
    seg_start_pre: IntArray | None = None
    seg_start: IntArray | None = None
    breslow: bool = False
    unweighted: bool = False
    # Offset of every row (sorted order; None: no offset), added to the linear predictor.
    offset: FloatArray | None = None
    # Risk sets of the tied event times for the exact partial likelihood (ties="exact";
    # the other event times are Breslow's terms, which are exact without ties).
    exact: ExactSets | None = None

    @property
    def n(self) -> int:
        return int(self.order.size)


def prepare(
    stop: FloatArray,
    event: npt.NDArray[np.bool_],
    *,
    start: FloatArray | None = None,
    strata: IntArray | None = None,
    weights: FloatArray | None = None,
    ties: str = "efron",
    offset: FloatArray | None = None,
) -> RiskSets:
    """Sort the data once and build the index arrays used by :func:`evaluate`.

    ``ties="exact"`` evaluates the exact (discrete-time, conditional logistic) partial
    likelihood at tied event times and Breslow's terms elsewhere (see :class:`ExactSets`).
    """
    n = stop.size
    if strata is None:
        strata = np.zeros(n, dtype=np.int64)
    if weights is None:
        weights = np.ones(n)
    times = stop if start is None else np.concatenate([stop, start])
    rank, n_unique, by_time = _dense_rank(times)
    m = n_unique + 2
    key_stop_raw = strata.astype(np.int64) * m + rank[:n] + 1
    if start is None:
        key_start_raw = strata.astype(np.int64) * m  # "minus infinity" within the stratum
    else:
        key_start_raw = strata.astype(np.int64) * m + rank[n:] + 1
    # Sort by stop key; deaths first among ties so that groups are contiguous below.
    sort_key = 2 * key_stop_raw + (~event)
    if start is None and np.all(strata == strata[0]):
        # Already ordered by time: only ties need reordering (a stable sort of runs).
        order = by_time[np.argsort(sort_key[by_time], kind="stable")]
    else:
        order = np.argsort(sort_key, kind="stable").astype(np.int64)
    key_stop = key_stop_raw[order]
    key_start = key_start_raw[order]
    ev = event[order]
    w = weights[order].astype(float)

    death_rows = np.flatnonzero(ev).astype(np.int64)
    dkeys = key_stop[death_rows]  # ascending
    new_key = np.ones(dkeys.size, dtype=bool)
    new_key[1:] = dkeys[1:] != dkeys[:-1]
    group_first_death = np.flatnonzero(new_key)
    group_keys = dkeys[group_first_death]
    n_d = np.diff(np.append(group_first_death, dkeys.size))
    death_group = np.repeat(np.arange(group_keys.size), n_d)
    w_deaths = np.add.reduceat(w[death_rows], group_first_death) if death_rows.size else np.zeros(0)
    n_deaths = n_d.astype(float)
    k = np.arange(death_rows.size) - np.repeat(group_first_death, n_d)
    frac = k / np.repeat(n_deaths, n_d) if ties == "efron" else np.zeros(death_rows.size)
    cweight = np.repeat(w_deaths / n_deaths, n_d)

    pos_stop = np.asarray(np.searchsorted(key_stop, group_keys, side="left"), dtype=np.int64)
    if start is None and np.all(strata == strata[0]):
        start_order = None
        start_keys_sorted = None
        pos_start = None
    else:
        start_order = np.argsort(key_start, kind="stable").astype(np.int64)
        start_keys_sorted = key_start[start_order]
        pos_start = np.asarray(
            np.searchsorted(start_keys_sorted, group_keys, side="left"), dtype=np.int64
        )
    st = strata[order].astype(np.int64)
    new_row_stratum = np.ones(n, dtype=bool)
    new_row_stratum[1:] = st[1:] != st[:-1]
    row_bounds = np.append(np.flatnonzero(new_row_stratum), n).astype(np.int64)
    row_sidx = np.cumsum(new_row_stratum) - 1
    gs = st[death_rows[group_first_death]]
    new_group_stratum = np.ones(gs.size, dtype=bool)
    new_group_stratum[1:] = gs[1:] != gs[:-1]
    group_bounds = np.append(np.flatnonzero(new_group_stratum), gs.size).astype(np.int64)
    group_sidx = (np.cumsum(new_group_stratum) - 1).astype(np.int64)
    gstr = gs[group_bounds[:-1]]  # stratum code of each stratum with events
    stop_ops = _stop_operator(st, gstr, group_sidx, group_bounds, pos_stop, n_d)
    start_ops: tuple[IntArray | None, ...] = (None, None, None, None)
    if start is not None and start_order is not None and pos_start is not None:
        start_ops = _start_operator(
            st[start_order], start_order, gstr, group_sidx, group_bounds, pos_start
        )
    idx_stop = np.searchsorted(group_keys, key_stop, side="right")
    idx_start = np.searchsorted(group_keys, key_start, side="right")
    # Rows of strata with events address their stratum's slots (group index + ordinal of
    # the stratum); the others (never at risk) the trailing zero slot.
    n_groups, n_str = group_keys.size, gstr.size
    where_str = np.minimum(np.searchsorted(gstr, st), max(n_str - 1, 0))
    has = (gstr[where_str] == st) if n_str else np.zeros(n, dtype=bool)
    row_goff = np.where(has, where_str, n_groups + n_str - idx_stop).astype(np.int64)
    return RiskSets(
        order=order,
        weights=w,
        event=ev,
        key_stop=key_stop,
        key_start=key_start,
        start_order=start_order,
        start_keys_sorted=start_keys_sorted,
        group_keys=group_keys,
        death_rows=death_rows,
        death_group=death_group,
        group_first=group_first_death.astype(np.int64),
        n_deaths=n_deaths,
        w_deaths=w_deaths,
        frac=frac,
        cweight=cweight,
        pos_stop=pos_stop,
        pos_start=pos_start,
        idx_stop=idx_stop,
        idx_start=idx_start,
        strata=st,
        stop=stop[order].astype(float),
        start=None if start is None else start[order].astype(float),
        group_bounds=group_bounds,
        group_sidx=group_sidx,
        row_bounds=row_bounds,
        row_sidx=row_sidx,
        row_goff=row_goff,
        stop_indptr=stop_ops[0],
        stop_indices=stop_ops[1],
        stop_contiguous=stop_ops[2],
        seg_pre=stop_ops[3],
        seg_death=stop_ops[4],
        start_indptr=start_ops[0],
        start_indices=start_ops[1],
        seg_start_pre=start_ops[2],
        seg_start=start_ops[3],
        breslow=ties in ("breslow", "exact"),
        unweighted=bool(np.all(w == 1.0)),
        offset=None if offset is None else np.asarray(offset, dtype=float)[order],
        exact=_exact_sets(key_start, key_stop, row_bounds, row_sidx, death_rows, group_keys,
                          group_first_death, n_d) if ties == "exact" else None,
    )  # fmt: skip


@dataclass(frozen=True)
class ExactSets:
    """Risk sets of the event times with two or more deaths, for ``ties="exact"``.

    ``rows[bounds[j]:bounds[j+1]]`` are the rows (sorted positions) at risk at the
    ``j``-th tied event time, group ``groups[j]`` with ``deaths[j]`` deaths; the tied
    times are ordered by decreasing number of deaths.
    """

    rows: IntArray
    bounds: IntArray
    groups: IntArray
    deaths: IntArray


def _exact_sets(
    key_start: IntArray,
    key_stop: IntArray,
    row_bounds: IntArray,
    row_sidx: IntArray,
    death_rows: IntArray,
    group_keys: IntArray,
    group_first: IntArray,
    n_d: npt.NDArray[np.int64],
) -> ExactSets:
    tied = np.flatnonzero(n_d >= 2)
    tied = tied[np.argsort(-n_d[tied], kind="stable")]
    pieces = []
    for g in tied.tolist():
        j = int(row_sidx[death_rows[group_first[g]]])
        lo, hi = int(row_bounds[j]), int(row_bounds[j + 1])
        key = group_keys[g]
        at = (key_start[lo:hi] < key) & (key_stop[lo:hi] >= key)
        pieces.append(lo + np.flatnonzero(at))
    sizes = [piece.size for piece in pieces]
    return ExactSets(
        rows=np.concatenate(pieces).astype(np.int64) if pieces else np.zeros(0, np.int64),
        bounds=np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64),
        groups=tied.astype(np.int64),
        deaths=n_d[tied].astype(np.int64),
    )


def _dense_rank(values: FloatArray) -> tuple[IntArray, int, IntArray]:
    """0-based rank of each value among the distinct values, their number, and the
    (stable) sorting permutation."""
    order = np.argsort(values, kind="stable").astype(np.int64)
    ordered = values[order]
    new = np.ones(values.size, dtype=bool)
    new[1:] = ordered[1:] != ordered[:-1]
    rank = np.empty(values.size, dtype=np.int64)
    rank[order] = np.cumsum(new) - 1
    return rank, int(new.sum()), order


def _covered(
    row_stratum: IntArray, gstr: IntArray, group_sidx: IntArray, pos: IntArray
) -> tuple[IntArray, IntArray, IntArray]:
    """Rows (positions in an ordering grouped by stratum) of the strata with events, the
    offset of each such stratum among them, and each group's ``pos`` in those terms."""
    lo = np.searchsorted(row_stratum, gstr, side="left")
    hi = np.searchsorted(row_stratum, gstr, side="right")
    sizes = hi - lo
    offset = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
    rows = np.arange(int(sizes.sum()), dtype=np.int64) - np.repeat(offset - lo, sizes)
    return rows, offset, (offset - lo)[group_sidx] + pos


def _stop_operator(
    st: IntArray,
    gstr: IntArray,
    group_sidx: IntArray,
    group_bounds: IntArray,
    pos_stop: IntArray,
    n_d: npt.NDArray[np.int64],
) -> tuple[IntArray, IntArray, bool, IntArray, IntArray]:
    """CSR structure of the stop segments (see :class:`RiskSets`), whether its rows are
    one run ``start..n``, and the segment numbers of each stratum's leading rows and of
    each group's deaths (the group's other rows are the next segment)."""
    n_groups = pos_stop.size
    if n_groups == 0:
        z = np.zeros(0, dtype=np.int64)
        return np.zeros(1, dtype=np.int64), z, True, z, z
    rows, offset, cpos = _covered(st, gstr, group_sidx, pos_stop)
    n_str = gstr.size
    seg_pre = (2 * group_bounds[:-1] + np.arange(n_str)).astype(np.int64)
    seg_death = (2 * np.arange(n_groups) + group_sidx + 1).astype(np.int64)
    indptr = np.empty(n_str + 2 * n_groups + 1, dtype=np.int64)
    indptr[seg_pre] = offset
    indptr[seg_death] = cpos
    indptr[seg_death + 1] = cpos + n_d
    indptr[-1] = rows.size
    contiguous = bool(rows.size == 0 or rows[-1] - rows[0] + 1 == rows.size == st.size - rows[0])
    return indptr, rows, contiguous, seg_pre, seg_death


def _start_operator(
    st_start: IntArray,
    start_order: IntArray,
    gstr: IntArray,
    group_sidx: IntArray,
    group_bounds: IntArray,
    pos_start: IntArray,
) -> tuple[IntArray, IntArray, IntArray, IntArray]:
    """CSR structure of the start segments and the segment numbers of each stratum's
    leading rows (starting before its first event time) and of each group's rows."""
    n_groups = pos_start.size
    if n_groups == 0:
        z = np.zeros(0, dtype=np.int64)
        return np.zeros(1, dtype=np.int64), z, z, z
    rows, offset, cpos = _covered(st_start, gstr, group_sidx, pos_start)
    n_str = gstr.size
    seg_pre = (group_bounds[:-1] + np.arange(n_str)).astype(np.int64)
    seg = (np.arange(n_groups) + group_sidx + 1).astype(np.int64)
    indptr = np.empty(n_str + n_groups + 1, dtype=np.int64)
    indptr[seg_pre] = offset
    indptr[seg] = cpos
    indptr[-1] = rows.size
    return indptr, start_order[rows], seg_pre, seg


SPARSE_MIN_ROWS = 20_000
"""From this many rows on, segment sums use a sparse product (no ``n x p`` temporary);
below it ``np.add.reduceat``, whose fixed cost is lower."""


def _segment_totals(
    indptr: IntArray, indices: IntArray, v: FloatArray, x: FloatArray, *, contiguous: bool
) -> tuple[FloatArray, FloatArray]:
    """Sums of ``v`` and ``v x`` over the row segments ``indices[indptr[k]:indptr[k+1]]``
    (``contiguous``: ``indices`` is a range of consecutive rows)."""
    if v.size >= SPARSE_MIN_ROWS:
        seg = sparse.csr_array((v[indices], indices, indptr), shape=(indptr.size - 1, v.size))
        return seg @ np.ones(v.size), seg @ x
    if contiguous:
        rows = slice(int(indices[0]), None) if indices.size else slice(0, 0)
        w, xs = v[rows], x[rows]
    else:
        w, xs = v[indices], x[indices]
    # Each segment is summed on its own (no differences of running sums, which would
    # lose the small risk weights next to large ones); reduceat cannot give an empty
    # segment's zero, so empty segments are left out and stay zero.
    starts = indptr[:-1]
    keep = starts < indptr[1:]
    tot0 = np.zeros(starts.size)
    tot1 = np.zeros((starts.size, x.shape[1]))
    if keep.any():
        tot0[keep] = np.add.reduceat(w, starts[keep])
        tot1[keep] = np.add.reduceat(xs * w[:, None], starts[keep], axis=0)
    return tot0, tot1


SEGMENT_LOOP_MAX = 64
"""Up to this many strata, per-stratum cumulative sums are a loop of ``np.cumsum``; above
it a vectorised doubling scan (``log2`` of the longest stratum passes)."""

ACCURACY = 1e-10
"""Relative rounding bound above which a risk-set sum is recomputed directly."""

_EPS = float(np.finfo(float).eps)

WIDE = np.longdouble
"""Cumulative sums that are differenced (start times) are accumulated in extended
precision where the platform has it (x86: 64-bit mantissa), so that their error is the
rounding of the terms (``eps``) and does not grow with the number of event times; the
error bounds below use ``eps + K * eps_wide`` (``K`` event times per stratum), rigorous
also where ``longdouble`` is plain double."""

_EPS_WIDE = float(np.finfo(WIDE).eps)


def _accumulation(bounds: IntArray) -> float:
    """Relative rounding bound of a per-stratum cumulative sum in :data:`WIDE`."""
    return _EPS + float(np.diff(bounds).max(initial=1)) * _EPS_WIDE


def _seg_cumsum(values: FloatArray, bounds: IntArray, *, reverse: bool = False) -> FloatArray:
    """Inclusive cumulative sums along axis 0 restarting at every ``bounds[j]`` (``bounds``
    runs from 0 to ``len(values)``); ``reverse`` sums from the end of each segment.

    Nothing is differenced: every output is a sum of the segment's own terms."""
    if bounds.size <= 2:
        if reverse:
            return np.cumsum(values[::-1], axis=0)[::-1]
        return np.cumsum(values, axis=0)
    if bounds.size <= SEGMENT_LOOP_MAX + 1:
        out = np.empty(values.shape, dtype=values.dtype)
        for lo, hi in zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True):
            if reverse:
                np.cumsum(values[lo:hi][::-1], axis=0, out=out[lo:hi][::-1])
            else:
                np.cumsum(values[lo:hi], axis=0, out=out[lo:hi])
        return out
    seg = np.repeat(np.arange(bounds.size - 1), np.diff(bounds))
    out = np.array(values)
    longest = int(np.diff(bounds).max())
    k = 1
    while k < longest:
        same = seg[k:] == seg[:-k]
        mask = same if out.ndim == 1 else same[:, None]
        if reverse:
            out[:-k] += np.where(mask, out[k:], 0.0)
        else:
            out[k:] += np.where(mask, out[:-k], 0.0)
        k *= 2
    return out


def _seg_exclusive(values: FloatArray, bounds: IntArray) -> FloatArray:
    """Exclusive forward cumulative sums restarting at every ``bounds[j]``."""
    incl = _seg_cumsum(values, bounds)
    out = np.empty(values.shape, dtype=values.dtype)
    out[1:] = incl[:-1]
    out[bounds[:-1]] = 0.0
    return out


def segment_sums(
    rs: RiskSets, v: FloatArray, x: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Risk-set and death sums of ``v`` and ``v * x`` at every event time.

    Returns ``(s0, s1, d0, d1)``: sums over the risk set and over the deaths of each
    event time. ``v x`` is summed over row segments (for large data by a sparse product,
    without forming ``v x`` or any ``n x p`` cumulative sum); without start times a risk
    set is a reverse cumulative sum, within its stratum, of those segment sums (no
    subtraction at all). With start times both ``B - C`` (rows stopping at or after
    ``t`` minus rows starting at or after ``t``) and ``E - X`` (rows started before ``t``
    minus rows stopped before ``t``) are formed; each event time takes the one with the
    smaller rounding bound ``eps * (B + C)`` or ``eps * (E + X)`` (sums accumulated in
    :data:`WIDE`), and a risk set whose bound still exceeds :data:`ACCURACY` of its sum is
    summed directly.
    """
    a0, a1 = _segment_totals(rs.stop_indptr, rs.stop_indices, v, x, contiguous=rs.stop_contiguous)
    gb = rs.group_bounds
    if gb.size == 2:  # one stratum: segments are [pre, deaths, others, deaths, ...]
        d0, d1 = a0[1::2], a1[1::2]
        t0, t1 = d0 + a0[2::2], d1 + a1[2::2]
    else:
        sd = rs.seg_death
        d0, d1 = a0[sd], a1[sd]
        t0, t1 = d0 + a0[sd + 1], d1 + a1[sd + 1]
    if rs.start_indptr is None or rs.start_indices is None or rs.seg_start is None:
        return _seg_cumsum(t0, gb, reverse=True), _seg_cumsum(t1, gb, reverse=True), d0, d1
    assert rs.seg_start_pre is not None
    q0, q1 = _segment_totals(rs.start_indptr, rs.start_indices, v, x, contiguous=False)
    j = rs.group_sidx
    t0w, t1w = t0.astype(WIDE), t1.astype(WIDE)
    qg0, qg1 = q0[rs.seg_start].astype(WIDE), q1[rs.seg_start].astype(WIDE)
    b0 = _seg_cumsum(t0w, gb, reverse=True)
    b1 = _seg_cumsum(t1w, gb, reverse=True)
    c0 = _seg_cumsum(qg0, gb, reverse=True)
    c1 = _seg_cumsum(qg1, gb, reverse=True)
    x0 = _seg_exclusive(t0w, gb) + a0[rs.seg_pre][j]
    x1 = _seg_exclusive(t1w, gb) + a1[rs.seg_pre][j]
    e0 = _seg_exclusive(qg0, gb) + q0[rs.seg_start_pre][j]
    e1 = _seg_exclusive(qg1, gb) + q1[rs.seg_start_pre][j]
    bound_back = (b0 + c0).astype(float)
    bound_fwd = (e0 + x0).astype(float)
    fwd = bound_fwd < bound_back
    s0 = np.where(fwd, e0 - x0, b0 - c0).astype(float)
    s1 = np.where(fwd[:, None], e1 - x1, b1 - c1).astype(float)
    bound = _accumulation(gb) * np.minimum(bound_back, bound_fwd)
    bad = np.flatnonzero(bound > ACCURACY * s0)
    if bad.size:
        s0, s1 = s0.copy(), s1.copy()
        _direct_risk_sets(rs, v, x, bad, s0, s1)
    return s0, s1, d0, d1


def _direct_risk_sets(
    rs: RiskSets, v: FloatArray, x: FloatArray, groups: IntArray, s0: FloatArray, s1: FloatArray
) -> None:
    """Sum the risk sets of ``groups`` over the rows at risk (in place)."""
    for g in groups.tolist():
        j = int(rs.row_sidx[rs.death_rows[rs.group_first[g]]])
        lo, hi = int(rs.row_bounds[j]), int(rs.row_bounds[j + 1])
        key = rs.group_keys[g]
        at = lo + np.flatnonzero((rs.key_start[lo:hi] < key) & (rs.key_stop[lo:hi] >= key))
        s0[g] = v[at].sum()
        s1[g] = v[at] @ x[at]


def _suffix(values: FloatArray) -> FloatArray:
    """Suffix sums along axis 0 with a trailing zero row: out[j] = sum(values[j:])."""
    out = np.empty((values.shape[0] + 1,) + values.shape[1:])
    out[-1] = 0.0
    np.cumsum(values[::-1], axis=0, out=out[-2::-1])
    return out


def at_risk_cumsum(rs: RiskSets, per_group: FloatArray) -> FloatArray:
    """For every row, the sum of ``per_group`` over event groups at which it is at risk.

    The groups at which row ``i`` is at risk are ``[idx_start_i, idx_stop_i)``, all in its
    stratum. Without start times that range begins at the stratum's first group, so the
    sum is a prefix sum restarting in the stratum. With start times it is a difference of
    prefix sums or of suffix sums, whichever has the smaller rounding bound (prefix sums
    cancel when ``per_group`` falls with time, suffix sums when it rises); a row whose
    bound exceeds :data:`ACCURACY` of its sum is summed directly.
    """
    gb = rs.group_bounds
    hi = rs.idx_stop
    if per_group.shape[0] == 0:
        return np.zeros((rs.n,) + per_group.shape[1:])
    if rs.start is None and gb.size == 2:  # one stratum: a plain prefix sum
        cum = np.zeros((per_group.shape[0] + 1,) + per_group.shape[1:])
        np.cumsum(per_group, axis=0, out=cum[1:])
        return cum[hi]
    off = rs.row_goff
    if rs.start is None:
        return _padded(per_group, rs)[0][hi + off]
    lo = rs.idx_start
    pex, sex = _padded(per_group.astype(WIDE), rs, suffix=True)
    if per_group.ndim == 1 and per_group.min() >= 0:
        mpex, msex = pex, sex
    else:
        mag = np.abs(per_group).reshape(per_group.shape[0], -1).sum(axis=1)
        mpex, msex = _padded(mag.astype(WIDE), rs, suffix=True)
    ihi, ilo = hi + off, lo + off
    p_hi, p_lo, s_lo, s_hi = mpex[ihi], mpex[ilo], msex[ilo], msex[ihi]
    bound_fwd = p_hi + p_lo
    bound_back = s_lo + s_hi
    use_fwd = bound_fwd <= bound_back
    result = np.where(use_fwd, p_hi - p_lo, s_lo - s_hi)
    if mpex is pex:
        out = result
    else:
        mask = use_fwd if per_group.ndim == 1 else use_fwd[:, None]
        out = np.where(mask, pex[ihi] - pex[ilo], sex[ilo] - sex[ihi])
    bound = _accumulation(gb) * np.minimum(bound_fwd, bound_back)
    bad = np.flatnonzero((hi > lo) & (bound > ACCURACY * result))
    if bad.size:
        _direct_at_risk(per_group, lo, hi, bad, out)
    return out


def _padded(
    values: FloatArray, rs: RiskSets, *, suffix: bool = False
) -> tuple[FloatArray, FloatArray]:
    """Per-stratum exclusive prefix sums (and suffix sums) of per-group ``values`` laid out
    as ``K + 1`` slots per stratum with events plus one trailing zero slot: slot
    ``j + ordinal`` holds the sum over the stratum's groups before (from) group ``j``.
    Sums of :data:`WIDE` values are rounded to float once, at the end."""
    gb = rs.group_bounds
    n_groups = values.shape[0]
    n_str = gb.size - 1
    slots = np.arange(n_groups) + rs.group_sidx
    shape = (n_groups + n_str + 1,) + values.shape[1:]
    pex = np.zeros(shape)
    pex[slots + 1] = _seg_cumsum(values, gb)
    sex = np.zeros(shape)
    if suffix:
        sex[slots] = _seg_cumsum(values, gb, reverse=True)
    return pex, sex


def _direct_at_risk(
    per_group: FloatArray, lo: IntArray, hi: IntArray, rows: IntArray, out: FloatArray
) -> None:
    """``out[i] = sum(per_group[lo_i:hi_i])`` for ``rows`` (in place), by ``reduceat`` on
    ``(lo, hi)`` pairs; rows sorted by ``lo`` keep the unused in-between segments short."""
    rows = rows[np.argsort(lo[rows], kind="stable")]
    padded = np.concatenate([per_group, np.zeros((1,) + per_group.shape[1:])])
    idx = np.column_stack([lo[rows], hi[rows]]).ravel()
    out[rows] = np.add.reduceat(padded, idx, axis=0)[0::2]


@dataclass(frozen=True)
class Evaluation:
    """Log partial likelihood, score and information at one coefficient vector.

    Risk-set sums are kept per event time; per-death (Efron pseudo-row) denominators and
    means are derived on demand for residuals.
    """

    loglik: float
    score: FloatArray
    information: FloatArray
    risk: FloatArray  # exp(eta - shift of the row's stratum), sorted rows
    shift: FloatArray  # max eta in each stratum (rs.row_bounds order)
    s0: FloatArray  # risk-set sums per event time (scaled by exp(-shift of its stratum))
    s1: FloatArray
    d0: FloatArray  # sums over the deaths at each event time
    d1: FloatArray
    frac: FloatArray
    group: IntArray

    @property
    def den(self) -> FloatArray:
        """Per pseudo-row (death) denominators."""
        return self.s0[self.group] - self.frac * self.d0[self.group]

    @property
    def xbar(self) -> FloatArray:
        """Per pseudo-row (death) weighted covariate means (n_events x p)."""
        g = self.group
        num = self.s1[g] - self.frac[:, None] * self.d1[g]
        return num / self.den[:, None]


def death_sums(rs: RiskSets, x: FloatArray) -> FloatArray:
    """Weighted sum of the covariates of the deaths (constant during the iterations)."""
    return np.where(rs.event, rs.weights, 0.0) @ x


def evaluate(
    rs: RiskSets,
    x: FloatArray,
    beta: FloatArray,
    *,
    hessian: bool = True,
    xw_death: FloatArray | None = None,
    xt: FloatArray | None = None,
) -> Evaluation:
    """Evaluate the log partial likelihood, its gradient and the information matrix.

    ``x`` is the (centred) design matrix in sorted row order; ``xw_death`` may carry
    :func:`death_sums` precomputed and ``xt`` the transposed design as a C-contiguous
    array (faster products for large ``n``). Efron's pseudo-rows enter only through per-death
    scalars, so no ``n_events x p`` array is formed: with ``den_k = S0 - f_k D0``,
    ``sum_k c xbar_k = alpha S1 - beta D1`` and ``sum_k c xbar_k xbar_k'`` is a quadratic
    form in ``S1`` and ``D1`` with weights ``sum_k c f_k^j / den_k^2``.
    """
    p = x.shape[1]
    eta = x @ beta if xt is None else beta @ xt
    if rs.offset is not None:
        eta = eta + rs.offset
    if rs.row_bounds.size <= 2:
        shift = np.array([eta.max() if eta.size else 0.0])
        r = np.exp(eta - shift[0])
    else:
        # One shift per stratum: risk sets never mix strata, so each is scaled by its own
        # largest risk weight and none underflows next to another stratum's.
        shift = np.maximum.reduceat(eta, rs.row_bounds[:-1])
        r = np.exp(eta - shift[rs.row_sidx])
    v = r if rs.unweighted else rs.weights * r
    g = rs.death_group
    if rs.death_rows.size == 0:
        z = np.zeros(0)
        return Evaluation(
            0.0, np.zeros(p), np.zeros((p, p)), r, shift, z, np.zeros((0, p)), z,
            np.zeros((0, p)), z, g,
        )  # fmt: skip
    # log of the true denominators = log(den) + shift of the event time's stratum
    if shift.size == 1:
        gshift = float(shift[0] * rs.w_deaths.sum())
    else:
        gshift = float(rs.w_deaths @ shift[rs.row_sidx[rs.death_rows[rs.group_first]]])
    if xw_death is None:
        xw_death = death_sums(rs, x)
    s0, s1, d0, d1 = segment_sums(rs, v, x)
    c = rs.cweight
    f = rs.frac
    first = rs.group_first
    if rs.breslow:
        d0 = np.zeros_like(s0)
        d1 = np.zeros_like(s1)
        den = s0
        cg = rs.w_deaths
        loglik = float(beta @ xw_death - cg @ np.log(den) - gshift)
        alpha = cg / den
        score = xw_death - alpha @ s1
    else:
        den = s0[g] - f * d0[g]
        loglik = float(beta @ xw_death - c @ np.log(den) - gshift)
        cd = c / den
        alpha = np.add.reduceat(cd, first)
        beta_g = np.add.reduceat(cd * f, first)
        score = xw_death - alpha @ s1 + beta_g @ d1
    if rs.offset is not None:  # the deaths' offsets, in the numerator
        loglik += float(rs.weights[rs.death_rows] @ rs.offset[rs.death_rows])
    exact = None
    if rs.exact is not None and rs.exact.groups.size:
        exact = exact_terms(rs.exact, x, eta, hessian=hessian)
        loglik += exact[0]
        score = score + exact[1]
    ev_parts = (r, shift, s0, s1, d0, d1, f, g)
    if not hessian:
        return Evaluation(loglik, score, np.empty((0, 0)), *ev_parts)
    q = at_risk_cumsum(rs, alpha)
    if rs.breslow:
        gam0 = alpha / den
        outer = (s1 * gam0[:, None]).T @ s1
    else:
        q[rs.death_rows] -= beta_g[g]
        cd2 = cd / den
        gam0 = np.add.reduceat(cd2, first)
        gam1 = np.add.reduceat(cd2 * f, first)
        gam2 = np.add.reduceat(cd2 * f * f, first)
        cross = (s1 * gam1[:, None]).T @ d1
        outer = (s1 * gam0[:, None]).T @ s1 - cross - cross.T + (d1 * gam2[:, None]).T @ d1
    q *= v
    info = weighted_gram(x, q, xt) - outer
    if exact is not None:
        info = info + exact[2]
    return Evaluation(loglik, score, info, *ev_parts)


EXACT_CHUNK = 4_000_000
"""Rows x levels (``sum m d`` over the tied event times) per chunk of :func:`exact_terms`,
which bounds the memory of the stored per-level row weights."""


def exact_terms(
    ex: ExactSets, x: FloatArray, eta: FloatArray, *, hessian: bool = True
) -> tuple[float, FloatArray, FloatArray]:
    """Exact partial likelihood at the tied event times, as corrections to Breslow's terms.

    At an event time with ``d`` deaths the exact (discrete) likelihood's denominator is
    the elementary symmetric polynomial ``e_d`` of the risk weights ``r_i`` of the risk
    set (the sum over every set of ``d`` rows at risk of the product of their ``r``), and
    ``log e_d`` replaces Breslow's ``d log e_1``. ``e_k`` over the prefixes of the risk
    set follows from ``e_{k-1}`` by one cumulative sum, ``e_k(j) = sum_{l<=j} r_l
    e_{k-1}(l-1)``, and so does its gradient (``dr = r x``): ``d`` vectorised passes over
    the ``m`` rows at risk (R's ``coxexact.c`` recursion, arranged by level instead of by
    row). The second derivatives follow the same linear recursion, so their total is a
    sum over levels of ``X' diag(c_k) U_k + G_k' diag(c_k) X`` with scalar row weights
    ``c_k`` from one backward pass (the adjoint of the recursion): ``O(m d p)`` work plus
    one ``p x p`` matrix product per level, no ``m x p x p`` array. Each level is divided
    by its total (all terms are positive: no cancellation, no overflow) and the logs of
    the divisors are summed; risk weights are ``exp(eta - max eta)`` within the risk set.

    Returns the corrections ``(loglik, score, information)`` to add to Breslow's values.
    """
    p = x.shape[1]
    loglik, score, info = 0.0, np.zeros(p), np.zeros((p, p))
    work = np.cumsum(np.diff(ex.bounds) * ex.deaths)
    lo = 0
    while lo < ex.groups.size:
        done = int(work[lo - 1]) if lo else 0
        hi = max(lo + 1, int(np.searchsorted(work, done + EXACT_CHUNK, side="right")))
        b = ex.bounds[lo : hi + 1]
        rows = ex.rows[b[0] : b[-1]]
        part = _exact_chunk(b - b[0], ex.deaths[lo:hi], x[rows], eta[rows], hessian)
        loglik += part[0]
        score += part[1]
        info += part[2]
        lo = hi
    return loglik, score, info


def _exact_chunk(
    b: IntArray, d: IntArray, xs: FloatArray, e: FloatArray, hessian: bool
) -> tuple[float, FloatArray, FloatArray]:
    """:func:`exact_terms` for sets ``[b[j], b[j+1])`` of rows ``xs`` (``d`` decreasing)."""
    n_sets, p = d.size, xs.shape[1]
    seg = np.repeat(np.arange(n_sets), np.diff(b))
    top = np.maximum.reduceat(e, b[:-1])
    r = np.exp(e - top[seg])
    spans = list(zip(b[:-1].tolist(), b[1:].tolist(), strict=True))
    dmax = int(d[0])
    n_act = np.searchsorted(-d, -np.arange(1, dmax + 1), side="right")  # sets with d >= k
    # Forward pass over the levels: e_k and its gradient; per level the divisor (the
    # previous level's totals) folded into the row weights w_k = r / total_{k-1}.
    inv = np.ones((dmax + 1, n_sets))
    tots = np.ones((dmax + 1, n_sets))
    f_prev = np.ones(xs.shape[0])
    g_prev = np.zeros((xs.shape[0], p))
    loglik, score, info = 0.0, np.zeros(p), np.zeros((p, p))
    log_c = np.zeros(n_sets)
    lvl_g: list[FloatArray] = []  # exclusive G_{k-1} and u_k per level (for the Hessian)
    lvl_u: list[FloatArray] = []
    for k in range(1, dmax + 1):
        na = int(n_act[k - 1])
        m = int(b[na])
        w = r[:m] * inv[k, seg[:m]]
        u = xs[:m] * f_prev[:m, None] + g_prev[:m]
        if hessian:
            lvl_g.append(g_prev[:m])
            lvl_u.append(u)
        f_prev, tot = _exclusive_in_sets(w * f_prev[:m], spans[:na])
        g_prev, gtot = _exclusive_in_sets(w[:, None] * u, spans[:na])
        tots[k, :na] = tot
        gbar = gtot / tot[:, None]
        sign = np.where(d[:na] == k, -1.0, 0.0)  # e_d replaces ...
        if k == 1:
            sign = sign + d[:na]  # ... Breslow's d * e_1
            g1 = gbar
        loglik += float(sign @ (np.log(tot) + log_c[:na] + k * top[:na]))
        score += sign @ gbar
        if sign.any() and hessian:
            ends = d[:na] == k
            # -(gbar gbar') of the exact terms (their hbar comes from the backward pass)
            info -= gbar[ends].T @ gbar[ends]
        log_c[:na] += np.log(tot)
        if k < dmax:
            inv[k + 1, :na] = 1.0 / tot
    if not hessian:
        return loglik, score, np.zeros((p, p))
    # Breslow's level-1 terms removed: d * (hbar_1 - g1 g1').
    w1 = r * (d / tots[1])[seg]
    info -= (xs * w1[:, None]).T @ xs - (g1 * d[:, None]).T @ g1
    # Backward pass: c_d = w_d / total_d starts each set's chain at its own level d,
    # c_{k-1} = w_{k-1} * (strict suffix sum of c_k within the set); then
    # sum_g hbar_g = sum_k [X' diag(c_k) U_k + G_k' diag(c_k) X].
    c = np.zeros(0)
    for k in range(dmax, 0, -1):
        na = int(n_act[k - 1])
        m = int(b[na])
        w = r[:m] * inv[k, seg[:m]]
        start = np.where(d[:na] == k, 1.0 / tots[k, :na], 0.0)[seg[:m]]
        carry = np.zeros(m)
        if c.size:
            carry[: c.size] = _strict_suffix_in_sets(c, spans[: int(n_act[k])])
        c = w * (start + carry)
        xc = xs[:m] * c[:, None]
        info += xc.T @ lvl_u[k - 1] + lvl_g[k - 1].T @ xc
    return loglik, score, info


def _exclusive_in_sets(
    values: FloatArray, spans: list[tuple[int, int]]
) -> tuple[FloatArray, FloatArray]:
    """Exclusive prefix sums of ``values`` (axis 0) within each set ``[lo, hi)`` of
    ``spans`` (contiguous, from row 0), and each set's total."""
    out = np.empty_like(values)
    tot = np.empty((len(spans),) + values.shape[1:])
    for j, (lo, hi) in enumerate(spans):
        out[lo] = 0.0
        np.cumsum(values[lo : hi - 1], axis=0, out=out[lo + 1 : hi])
        tot[j] = out[hi - 1] + values[hi - 1]
    return out, tot


def _strict_suffix_in_sets(values: FloatArray, spans: list[tuple[int, int]]) -> FloatArray:
    """``out[i] = sum(values[i+1:hi])`` within each set ``[lo, hi)`` of ``spans``."""
    out = np.empty_like(values)
    for lo, hi in spans:
        out[hi - 1] = 0.0
        np.cumsum(values[hi - 1 : lo : -1], out=out[hi - 2 : lo - 1 if lo else None : -1])
    return out


def transpose(x: FloatArray, block: int = 1024) -> FloatArray:
    """``x.T`` as a C-contiguous array, copied in blocks of rows (cache-friendly)."""
    out = np.empty((x.shape[1], x.shape[0]))
    for lo in range(0, x.shape[0], block):
        out[:, lo : lo + block] = x[lo : lo + block].T
    return out


GRAM_BLOCK = 8192
"""Rows per block of :func:`weighted_gram` (a block of ``x'`` stays in cache)."""


_BLAS_POOLS: list = []
"""The process's BLAS thread pools (a ``threadpoolctl.ThreadpoolController``), found once."""


def _one_blas_thread():  # a threadpoolctl limiter (a context manager)
    """Context manager running BLAS calls on one thread (the pool look-up costs ~10 ms once)."""
    if not _BLAS_POOLS:
        from threadpoolctl import ThreadpoolController

        _BLAS_POOLS.append(ThreadpoolController())
    return _BLAS_POOLS[0].limit(limits=1, user_api="blas")


def weighted_gram(x: FloatArray, w: FloatArray, xt: FloatArray | None = None) -> FloatArray:
    """``x' diag(w) x``; with ``xt`` (``x.T`` as a C-contiguous array) blockwise, which
    avoids an ``n x p`` temporary and is several times faster for large ``n``.

    The blocks are small products (``p x 8192`` by ``8192 x p``): they run on one BLAS
    thread, since a multi-threaded BLAS gains nothing on them and, when the other cores are
    busy, its threads stall waiting for each other (seconds per fit at n = 1e6).  The
    result does not depend on the number of threads."""
    if xt is None:
        return (x * w[:, None]).T @ x
    out = np.zeros((xt.shape[0], xt.shape[0]))
    with _one_blas_thread():
        for lo in range(0, xt.shape[1], GRAM_BLOCK):
            block = xt[:, lo : lo + GRAM_BLOCK]
            out += (block * w[lo : lo + GRAM_BLOCK]) @ block.T
    return out


class NewtonFailure(Exception):
    """Raised by :func:`newton` when the iteration cannot proceed (internal)."""

    def __init__(self, message: str, beta: FloatArray) -> None:
        super().__init__(message)
        self.beta = beta


def newton(
    rs: RiskSets,
    x: FloatArray,
    beta0: FloatArray,
    *,
    max_iter: int = 50,
    tol: float = 1e-10,
    start: Evaluation | None = None,
    xt: FloatArray | None = None,
) -> tuple[FloatArray, Evaluation, int, bool]:
    """Newton-Raphson with step halving (as R's ``coxph.fit``).

    Converged when the relative change in the log partial likelihood is below ``tol``
    *and* the Newton step (in coefficient units) is below ``sqrt(tol)``. Returns
    ``(beta, evaluation_at_beta, iterations, converged)``. ``start`` may carry the
    evaluation at ``beta0`` when the caller already has it, ``xt`` the C-contiguous
    transpose of ``x`` (made here when not given).
    """
    beta = beta0.astype(float).copy()
    xw = death_sums(rs, x)
    if xt is None:
        xt = transpose(x)
    ev = start if start is not None else evaluate(rs, x, beta, xw_death=xw, xt=xt)
    for it in range(1, max_iter + 1):
        try:
            step = np.linalg.solve(ev.information, ev.score)
        except np.linalg.LinAlgError as exc:
            raise NewtonFailure("information matrix is singular", beta) from exc
        new_beta = beta + step
        # A trial step may overshoot far enough for risk weights to underflow (log 0):
        # the non-finite log-likelihood is then halved away, as in R.
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            new_ev = evaluate(rs, x, new_beta, xw_death=xw, xt=xt)
        halvings = 0
        while not np.isfinite(new_ev.loglik) or new_ev.loglik < ev.loglik - 1e-12 * abs(ev.loglik):
            halvings += 1
            if halvings > 30:
                raise NewtonFailure("step halving failed to increase the likelihood", beta)
            new_beta = (beta + new_beta) / 2.0
            with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
                new_ev = evaluate(rs, x, new_beta, xw_death=xw, xt=xt)
        change = abs(new_ev.loglik - ev.loglik) / max(abs(new_ev.loglik), 1e-300)
        small_step = float(np.max(np.abs(new_beta - beta), initial=0.0)) < np.sqrt(tol)
        beta, ev = new_beta, new_ev
        if change < tol and small_step:
            return beta, ev, it, True
    return beta, ev, max_iter, False


def score_residuals(
    rs: RiskSets, x: FloatArray, beta: FloatArray, ev: Evaluation | None = None
) -> FloatArray:
    """Unweighted score residuals (rows in sorted order), as R ``residuals(type="score")``.

    For Efron ties a death shares each of the ``d`` pseudo-risk-sets with weight
    ``1 - k/d``; the residuals sum (after multiplying by the case weights) to the score.
    """
    if ev is None:
        ev = evaluate(rs, x, beta, hessian=False)
    n, p = x.shape
    dr = rs.death_rows
    if dr.size == 0:
        return np.zeros((n, p))
    g = rs.death_group
    first = rs.group_first
    f = rs.frac
    den = ev.den  # per death (scalar)
    cd = rs.cweight / den
    cd2 = cd / den
    inv = 1.0 / den
    # Group-level sums over the pseudo-rows k: xbar_k = (S1 - f_k D1) / den_k.
    a_g = np.add.reduceat(cd, first)
    b_g = np.add.reduceat(cd * f, first)
    g0, g1, g2 = (np.add.reduceat(cd2 * f**j, first)[:, None] for j in (0, 1, 2))
    ax_g = g0 * ev.s1 - g1 * ev.d1
    bx_g = g1 * ev.s1 - g2 * ev.d1
    xbar_star = (
        np.add.reduceat(inv, first)[:, None] * ev.s1
        - np.add.reduceat(inv * f, first)[:, None] * ev.d1
    ) / rs.n_deaths[:, None]
    a_i = at_risk_cumsum(rs, a_g)
    ax_i = at_risk_cumsum(rs, ax_g)
    a_i[dr] -= b_g[g]
    ax_i[dr] -= bx_g[g]
    resid = -ev.risk[:, None] * (x * a_i[:, None] - ax_i)
    # exp(eta - shift) was used in the denominators, so risk/den is scale-free.
    resid[dr] += x[dr] - xbar_star[g]
    return resid


def schoenfeld(rs: RiskSets, x: FloatArray, beta: FloatArray) -> tuple[FloatArray, Evaluation]:
    """Schoenfeld residuals, one row per death (in ``rs.death_rows`` order)."""
    ev = evaluate(rs, x, beta, hessian=False)
    g = rs.death_group
    xbar_star = np.add.reduceat(ev.xbar, rs.group_first, axis=0) / rs.n_deaths[:, None]
    return x[rs.death_rows] - xbar_star[g], ev


def zph_information(
    rs: RiskSets, x: FloatArray, beta: FloatArray, gtime: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Score vector and information of the model augmented with ``x * g(t)`` at ``(beta, 0)``.

    ``gtime`` holds one value per event group. Returns ``(u, imat)`` with ``u`` of length
    ``p`` (the score of the interaction coefficients; the score of ``beta`` is zero at the
    MLE) and ``imat`` of shape ``(2p, 2p)``, the quantities R's ``cox.zph`` tests.
    """
    ev = evaluate(rs, x, beta, hessian=False)
    p = x.shape[1]
    dr = rs.death_rows
    g = rs.death_group
    c = rs.cweight
    v = rs.weights * ev.risk
    cd = c / ev.den
    imat = np.empty((2 * p, 2 * p))
    blocks = []
    for power in (0, 1, 2):
        gp = gtime**power
        a_g = np.add.reduceat(cd, rs.group_first) * gp
        b_g = np.add.reduceat(cd * rs.frac, rs.group_first) * gp
        q = at_risk_cumsum(rs, a_g)
        q[dr] -= b_g[g]
        q *= v
        cg = c * gp[g]
        blocks.append((x * q[:, None]).T @ x - (ev.xbar * cg[:, None]).T @ ev.xbar)
    imat[:p, :p] = blocks[0]
    imat[:p, p:] = blocks[1]
    imat[p:, :p] = blocks[1].T
    imat[p:, p:] = blocks[2]
    wdeath = rs.weights[dr]
    resid_g = np.add.reduceat(
        x[dr] * wdeath[:, None] - ev.xbar * c[:, None], rs.group_first, axis=0
    )
    u = gtime @ resid_g
    return u, imat


def dominance_sums(
    seq_is_point: npt.NDArray[np.bool_],
    seq_rank: IntArray,
    seq_weight: FloatArray,
) -> tuple[FloatArray, FloatArray]:
    """For each element of a sequence, weighted counts of *earlier* points with a smaller
    rank and with an equal rank.

    Bottom-up merge counting: at level ``l`` the sequence is cut into blocks of
    ``2**(l+1)``; every element in a right half is compared with the points in the left
    half of its block by a sorted ``searchsorted``. Each earlier/later pair is counted at
    exactly one level, so the cost is ``O(m log^2 m)``, all vectorised.
    """
    m = seq_rank.size
    less = np.zeros(m)
    equal = np.zeros(m)
    if m < 2:
        return less, equal
    base = int(seq_rank.max()) + 2
    idx = np.arange(m, dtype=np.int64)
    levels = int(np.ceil(np.log2(m)))
    for level in range(levels):
        block = idx >> (level + 1)
        right = ((idx >> level) & 1).astype(bool)
        left_pts = np.flatnonzero(~right & seq_is_point)
        queries = np.flatnonzero(right)
        if left_pts.size == 0 or queries.size == 0:
            continue
        keys = block[left_pts] * base + seq_rank[left_pts]
        o = np.argsort(keys, kind="stable")
        keys = keys[o]
        cw = np.concatenate([[0.0], np.cumsum(seq_weight[left_pts][o])])
        qb = block[queries] * base
        qk = qb + seq_rank[queries]
        lo = np.searchsorted(keys, qb, side="left")
        mid = np.searchsorted(keys, qk, side="left")
        hi = np.searchsorted(keys, qk + 1, side="left")
        less[queries] += cw[mid] - cw[lo]
        equal[queries] += cw[hi] - cw[mid]
    return less, equal


def _pairs(
    point_key: IntArray,
    point_rank: IntArray,
    point_weight: FloatArray,
    query_key: IntArray,
    query_rank: IntArray,
    *,
    points_first_when: str,
) -> tuple[FloatArray, FloatArray]:
    """Weighted counts of points with ``rank <`` / ``rank ==`` the query's rank among points
    whose key is ``>= query_key`` (``points_first_when="ge"``) or ``<= query_key`` ("le")."""
    if points_first_when == "ge":
        seq_key = np.concatenate([-(2 * point_key + 1), -(2 * query_key)])
    else:
        seq_key = np.concatenate([2 * point_key, 2 * query_key + 1])
    is_point = np.concatenate([np.ones(point_key.size, bool), np.zeros(query_key.size, bool)])
    ranks = np.concatenate([point_rank, query_rank])
    weights = np.concatenate([point_weight, np.zeros(query_key.size)])
    o = np.argsort(seq_key, kind="stable")
    less, equal = dominance_sums(is_point[o], ranks[o], weights[o])
    inv = np.empty_like(o)
    inv[o] = np.arange(o.size)
    q = inv[point_key.size :]
    return less[q], equal[q]


def concordance(
    rs: RiskSets, eta: FloatArray, cluster: IntArray | None = None
) -> tuple[FloatArray, float, float]:
    """Harrell's concordance of the linear predictor, as R ``concordance(coxph_fit)``.

    A pair is comparable when one row has an event at ``t`` and the other is in the risk
    set at ``t`` (same stratum, ``start < t``, and stop ``> t`` or censored at ``t``); tied
    event times are not comparable. Ties in ``eta`` count one half. The standard error is
    R's infinitesimal-jackknife estimate (summed by cluster when one is given).

    ``eta`` and ``cluster`` are in sorted row order. Returns ``(counts, c, se)`` where
    ``counts`` is ``[concordant, discordant, tied_x]`` (weighted).
    """
    n = rs.n
    w = rs.weights
    _, rank = np.unique(eta, return_inverse=True)
    rank = rank.astype(np.int64)
    dr = rs.death_rows
    g = rs.death_group
    pos = np.arange(n, dtype=np.int64)
    bound = rs.pos_stop + rs.n_deaths.astype(np.int64)  # first row after the tied deaths
    qb = bound[g]
    qk = rs.group_keys[g]
    rmax = int(rank.max()) if n else 0
    # Forward: each event against its risk set.
    l1, e1 = _pairs(pos, rank, w, qb, rank[dr], points_first_when="ge")
    l2, e2 = _pairs(rs.key_start, rank, w, qk, rank[dr], points_first_when="ge")
    suffix_w = _suffix(w)
    start_w = np.zeros(qk.size)
    if rs.start_order is not None and rs.start_keys_sorted is not None:
        start_w = _suffix(w[rs.start_order])[np.searchsorted(rs.start_keys_sorted, qk, "left")]
    total_f = suffix_w[qb] - start_w
    conc_f = l1 - l2
    tie_f = e1 - e2
    disc_f = total_f - conc_f - tie_f
    # Reverse: each row as the risk-set partner of later... earlier events.
    rev_rank = rmax - rank
    wd = w[dr]
    l3, e3 = _pairs(qb, rev_rank[dr], wd, pos, rev_rank, points_first_when="le")
    l4, e4 = _pairs(qk, rev_rank[dr], wd, rs.key_start, rev_rank, points_first_when="le")
    cw = np.concatenate([[0.0], np.cumsum(wd)])  # events sorted by key, so qb ascending
    tot3 = cw[np.searchsorted(qb, pos, side="right")]
    tot4 = cw[np.searchsorted(qk, rs.key_start, side="right")]
    total_r = tot3 - tot4
    conc_r = l3 - l4
    tie_r = e3 - e4
    disc_r = total_r - conc_r - tie_r
    ic = conc_r.copy()
    idisc = disc_r.copy()
    itie = tie_r.copy()
    ic[dr] += conc_f
    idisc[dr] += disc_f
    itie[dr] += tie_f
    counts = np.array([wd @ conc_f, wd @ disc_f, wd @ tie_f])
    npair = counts.sum()
    if npair <= 0:
        return counts, float("nan"), float("nan")
    somer = (counts[0] - counts[1]) / npair
    dfbeta = w * ((ic - idisc) / npair - (somer / npair) * (ic + idisc + itie))
    if cluster is not None:
        dfbeta = np.bincount(cluster, weights=dfbeta)
    var = float(dfbeta @ dfbeta) / 4.0
    return counts, (somer + 1.0) / 2.0, float(np.sqrt(var))


TOLER_CHOL = float(np.finfo(float).eps) ** 0.75
"""Pivot tolerance of :func:`cholesky2` (R ``coxph.control()$toler.chol``)."""


def cholesky2(a: FloatArray, toler: float = TOLER_CHOL) -> tuple[FloatArray, int]:
    """Generalised Cholesky decomposition ``L D L'`` of a symmetric matrix (R survival's
    ``cholesky2.c``).

    A pivot below ``toler`` times the largest diagonal element is set to zero (that
    column is dropped), so a singular positive semi-definite matrix is handled. Returns
    the factor (``D`` on the diagonal, ``L`` below it) and the rank, negative when the
    matrix is not non-negative definite.
    """
    m = np.triu(np.asarray(a, dtype=float))
    m = m + np.triu(m, 1).T
    n = m.shape[0]
    eps = float(np.max(np.diag(m), initial=0.0))
    eps = toler if eps <= 0 else eps * toler
    rank = 0
    nonneg = 1
    for i in range(n):
        pivot = m[i, i]
        if not np.isfinite(pivot) or pivot < eps:
            m[i, i] = 0.0
            if pivot < -8 * eps:
                nonneg = -1
            continue
        rank += 1
        temp = m[i + 1 :, i] / pivot
        m[i + 1 :, i + 1 :] -= pivot * np.outer(temp, temp)
        m[i + 1 :, i] = temp
    return m, rank * nonneg


def chsolve2(factor: FloatArray, y: FloatArray) -> FloatArray:
    """Solve with a :func:`cholesky2` factor (R's ``chsolve2.c``): components of dropped
    (zero-pivot) columns are zero, which makes it a generalised inverse."""
    n = factor.shape[0]
    out = np.array(y, dtype=float)
    for i in range(n):
        out[i] -= out[:i] @ factor[i, :i]
    for i in range(n - 1, -1, -1):
        if factor[i, i] == 0:
            out[i] = 0.0
        else:
            out[i] = out[i] / factor[i, i] - out[i + 1 :] @ factor[i + 1 :, i]
    return out


def wald_test(var: FloatArray, b: FloatArray, toler: float = TOLER_CHOL) -> tuple[float, int]:
    """``b' var^- b`` with :func:`cholesky2`'s generalised inverse and the rank of ``var``
    (the number of positive pivots), as R's ``coxph.wtest``."""
    factor, _ = cholesky2(var, toler)
    rank = int(np.sum(np.diag(factor) > 0))
    return float(b @ chsolve2(factor, b)), rank

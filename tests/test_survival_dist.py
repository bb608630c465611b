"""The survival code's normal and chi-squared tails equal scipy.stats bit for bit.

``netstats.survival._dist`` calls the ``scipy.special`` kernels directly so that importing
``netstats.survival`` does not import ``scipy.stats``; its values must be exactly those of
``scipy.stats`` (tolerance zero: the same kernels on the same arguments), edges included
(``nan``, infinities, 0, negative arguments, ``df <= 0``), for scalars and arrays alike.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from netstats.survival._dist import chi2_sf, norm_ppf, norm_sf

EDGES = [np.nan, -np.inf, np.inf, -1.0, -0.0, 0.0, 1e-300, 0.5, 1.0, 1.5, 3.841458820694124, 1e6]
DFS = [np.nan, -1.0, 0.0, 0.5, 1.0, 2.0, 7.0, 1e3, np.inf]


def _same(a, b) -> None:
    a_arr, b_arr = np.asarray(a), np.asarray(b)
    assert a_arr.shape == b_arr.shape
    assert a_arr.dtype == b_arr.dtype
    assert np.array_equal(a_arr, b_arr, equal_nan=True), (a, b)
    assert type(a) is type(b)


def test_edges_match_scipy_stats():
    for q in EDGES:
        _same(norm_ppf(q), stats.norm.ppf(q))
        _same(norm_sf(q), stats.norm.sf(q))
        for df in DFS:
            _same(chi2_sf(q, df), stats.chi2.sf(q, df))
    grid_x, grid_df = np.meshgrid(EDGES, DFS)
    _same(chi2_sf(grid_x, grid_df), stats.chi2.sf(grid_x, grid_df))
    _same(norm_ppf(np.array(EDGES)), stats.norm.ppf(np.array(EDGES)))
    _same(norm_sf(np.array(EDGES)), stats.norm.sf(np.array(EDGES)))


def test_integer_and_list_arguments_match():
    _same(chi2_sf([0, 1, 5], 2), stats.chi2.sf([0, 1, 5], 2))
    _same(chi2_sf(3, [1, 2, 3]), stats.chi2.sf(3, [1, 2, 3]))
    _same(norm_sf([0, 2]), stats.norm.sf([0, 2]))


def test_the_check_can_fail():
    # a one-ulp difference is seen
    v = stats.chi2.sf(3.0, 1)
    try:
        _same(np.nextafter(v, 1.0), v)
    except AssertionError:
        return
    raise AssertionError("a one-ulp difference went unnoticed")


finite = st.floats(min_value=-1e8, max_value=1e8, allow_nan=False)


@settings(max_examples=300, deadline=None)
@given(
    x=st.lists(finite, min_size=1, max_size=8),
    df=st.floats(min_value=-2.0, max_value=500.0, allow_nan=False),
    q=st.floats(min_value=-0.5, max_value=1.5, allow_nan=False),
)
def test_random_arguments_match(x, df, q):
    arr = np.array(x)
    _same(norm_sf(arr), stats.norm.sf(arr))
    _same(chi2_sf(arr, df), stats.chi2.sf(arr, df))
    _same(chi2_sf(abs(x[0]), df), stats.chi2.sf(abs(x[0]), df))
    _same(norm_ppf(q), stats.norm.ppf(q))

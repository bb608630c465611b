"""Counting uncertainty of the Ki-67 index: intervals, P(true grade), cells needed.

Model: the positive cells are a binomial sample of the hot-spot tumour cells, with unknown
true proportion ``theta``. With the Jeffreys prior Beta(1/2, 1/2) the posterior after ``x``
positive of ``n`` counted cells is Beta(x + 1/2, n - x + 1/2); P(true grade = G1) is the
posterior mass below the G2 cut-off, and so on. The model covers counting (sampling) error
only: not hot-spot selection, staining or observer variation.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import stats

from netstats.cohort._who import GRADE_DTYPE, GRADES, GradingScheme, get_scheme
from netstats.exceptions import SchemaError

__all__ = [
    "cells_needed",
    "expected_misgraded",
    "grade_probabilities",
    "grade_probability_curve",
    "ki67_interval",
]


def _check_conf_level(conf_level: float) -> None:
    if not isinstance(conf_level, (float, int)) or not 0 < conf_level < 1:
        raise ValueError(f"conf_level must be in (0, 1), got {conf_level!r}")


def _counts(positive: npt.ArrayLike, counted: npt.ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    x = np.asarray(
        pd.to_numeric(
            pd.Series(np.atleast_1d(np.asarray(positive, dtype=object))), errors="coerce"
        ),
        dtype=float,
    )
    n = np.asarray(
        pd.to_numeric(pd.Series(np.atleast_1d(np.asarray(counted, dtype=object))), errors="coerce"),
        dtype=float,
    )
    if x.shape != n.shape:
        raise SchemaError(
            f"ki67_positive_cells and ki67_cells_counted differ in length ({x.size} vs {n.size})"
        )
    problems = []
    both = ~np.isnan(x) & ~np.isnan(n)
    if np.any(both & ((x != np.round(x)) | (n != np.round(n)))):
        problems.append("cell counts must be whole numbers")
    if np.any(both & (n < 1)):
        problems.append("ki67_cells_counted must be >= 1")
    if np.any(both & ((x < 0) | (x > n))):
        bad = np.flatnonzero(both & ((x < 0) | (x > n)))
        problems.append(
            f"ki67_positive_cells must lie in [0, ki67_cells_counted] (positions {bad[:5].tolist()})"
        )
    if problems:
        raise SchemaError("invalid Ki-67 counts:\n  - " + "\n  - ".join(problems))
    return x, n


def ki67_interval(
    positive_cells: npt.ArrayLike,
    cells_counted: npt.ArrayLike,
    *,
    method: Literal["clopper-pearson", "jeffreys"] = "clopper-pearson",
    conf_level: float = 0.95,
) -> pd.DataFrame:
    """Ki-67 index with a binomial confidence interval, from cell counts.

    Parameters
    ----------
    positive_cells : array-like of int
        Ki-67-positive tumour cells counted (missing allowed: the row gets NaN).
    cells_counted : array-like of int
        Tumour cells counted (>= 1).
    method : {"clopper-pearson", "jeffreys"}, default="clopper-pearson"
        Exact (Clopper-Pearson) interval, or the equal-tailed Jeffreys interval.
    conf_level : float, default=0.95
        Two-sided confidence level.

    Returns
    -------
    pandas.DataFrame
        One row per specimen: ``positive_cells``, ``cells_counted``, ``estimate`` (Ki-67
        index, %), ``ci_lower``, ``ci_upper`` (%), ``conf_level``, ``method``.

    Notes
    -----
    Clopper-Pearson: quantiles of Beta(x, n - x + 1) and Beta(x + 1, n - x), equal to R
    ``binom.test``. Jeffreys: quantiles of Beta(x + 1/2, n - x + 1/2), with the lower limit
    set to 0 when x = 0 and the upper to 100 % when x = n (Brown, Cai & DasGupta 2001).

    References
    ----------
    Clopper CJ, Pearson ES. Biometrika 1934;26:404-413.
    Brown LD, Cai TT, DasGupta A. Interval estimation for a binomial proportion. Stat Sci
    2001;16:101-133.

    Examples
    --------
    >>> ki67_interval([15], [500]).round(3)[["estimate", "ci_lower", "ci_upper"]]
       estimate  ci_lower  ci_upper
    0       3.0     1.689       4.9
    """
    _check_conf_level(conf_level)
    if method not in ("clopper-pearson", "jeffreys"):
        raise ValueError(f"method must be 'clopper-pearson' or 'jeffreys', got {method!r}")
    x, n = _counts(positive_cells, cells_counted)
    tail = (1 - conf_level) / 2
    with np.errstate(invalid="ignore"):
        if method == "clopper-pearson":
            lo = np.where(x == 0, 0.0, stats.beta.ppf(tail, np.maximum(x, 1e-300), n - x + 1))
            hi = np.where(x == n, 1.0, stats.beta.ppf(1 - tail, x + 1, np.maximum(n - x, 1e-300)))
        else:
            lo = np.where(x == 0, 0.0, stats.beta.ppf(tail, x + 0.5, n - x + 0.5))
            hi = np.where(x == n, 1.0, stats.beta.ppf(1 - tail, x + 0.5, n - x + 0.5))
    missing = np.isnan(x) | np.isnan(n)
    lo[missing] = np.nan
    hi[missing] = np.nan
    return pd.DataFrame(
        {
            "positive_cells": x,
            "cells_counted": n,
            "estimate": 100 * x / n,
            "ci_lower": 100 * lo,
            "ci_upper": 100 * hi,
            "conf_level": float(conf_level),
            "method": method,
        }
    )


def _posterior_grade_probs(x: np.ndarray, n: np.ndarray, sch: GradingScheme) -> np.ndarray:
    a = x + 0.5
    b = n - x + 0.5
    c1 = stats.beta.cdf(sch.ki67_g2_lower / 100, a, b)
    c2 = stats.beta.cdf(sch.ki67_g3_above / 100, a, b)
    return np.column_stack([c1, c2 - c1, 1 - c2])


def _grade_cat(values: np.ndarray, missing: np.ndarray) -> pd.Categorical:
    return pd.Categorical(
        [None if m else v for v, m in zip(values, missing, strict=True)], dtype=GRADE_DTYPE
    )


def grade_probabilities(
    positive_cells: npt.ArrayLike,
    cells_counted: npt.ArrayLike,
    *,
    certainty: float = 0.95,
    scheme: str | GradingScheme = "who2019",
) -> pd.DataFrame:
    """Posterior probability that the true Ki-67 grade is G1, G2 or G3, with borderline flags.

    Parameters
    ----------
    positive_cells, cells_counted : array-like of int
        Ki-67-positive and total tumour cells counted per specimen.
    certainty : float, default=0.95
        A specimen is ``borderline`` when the probability of its observed grade is below this.
    scheme : str or GradingScheme, default="who2019"
        Ki-67 cut-offs.

    Returns
    -------
    pandas.DataFrame
        One row per specimen: ``positive_cells``, ``cells_counted``, ``ki67_percent`` (%),
        ``observed_grade`` (grade of the counted index, Ki-67 only), ``p_g1``, ``p_g2``,
        ``p_g3`` (probabilities, sum 1), ``p_observed_grade``, ``most_probable_grade``,
        ``borderline`` (bool).

    Notes
    -----
    Binomial counting model with the Jeffreys prior Beta(1/2, 1/2): the true index has
    posterior Beta(x + 1/2, n - x + 1/2). Only the Ki-67 part of the grade is modelled (the
    mitotic count can only raise the grade). Rows with missing counts get NaN.

    References
    ----------
    Brown LD, Cai TT, DasGupta A. Stat Sci 2001;16:101-133 (Jeffreys prior for a proportion).

    Examples
    --------
    >>> grade_probabilities([14], [500])[["p_g1", "p_g2"]].round(3)
        p_g1   p_g2
    0  0.588  0.412
    """
    if not 0 < certainty < 1:
        raise ValueError(f"certainty must be in (0, 1), got {certainty!r}")
    sch = get_scheme(scheme)
    x, n = _counts(positive_cells, cells_counted)
    with np.errstate(invalid="ignore"):
        p = _posterior_grade_probs(x, n, sch)
        pct = 100 * x / n
    obs = np.where(pct > sch.ki67_g3_above, 2, np.where(pct >= sch.ki67_g2_lower, 1, 0))
    missing = np.isnan(pct)
    labels = np.array(GRADES, dtype=object)
    p_obs = np.take_along_axis(p, obs[:, None], axis=1)[:, 0]
    p_obs[missing] = np.nan
    best = np.argmax(np.nan_to_num(p, nan=-1), axis=1)
    return pd.DataFrame(
        {
            "positive_cells": x,
            "cells_counted": n,
            "ki67_percent": pct,
            "observed_grade": _grade_cat(labels[obs], missing),
            "p_g1": p[:, 0],
            "p_g2": p[:, 1],
            "p_g3": p[:, 2],
            "p_observed_grade": p_obs,
            "most_probable_grade": _grade_cat(labels[best], missing),
            "borderline": ~missing & (p_obs < certainty),
        }
    )


def expected_misgraded(
    positive_cells: npt.ArrayLike,
    cells_counted: npt.ArrayLike,
    *,
    scheme: str | GradingScheme = "who2019",
) -> pd.DataFrame:
    """Expected number of tumours whose Ki-67 grade differs from their true grade.

    Parameters
    ----------
    positive_cells, cells_counted : array-like of int
        Counts per specimen; rows with missing counts are excluded and counted.
    scheme : str or GradingScheme, default="who2019"
        Ki-67 cut-offs.

    Returns
    -------
    pandas.DataFrame
        One row: ``n_specimens`` (used), ``n_excluded_missing`` (rows without counts),
        ``expected_misgraded`` (sum over specimens of 1 - P(observed grade)),
        ``expected_share`` (expected_misgraded / n_specimens), ``sd_misgraded`` (standard
        deviation of the number misgraded, Poisson-binomial).

    Notes
    -----
    Uses the posterior probabilities of :func:`grade_probabilities`; specimens are treated
    as independent, so the count of misgraded tumours is Poisson-binomial with mean
    sum(q_i) and variance sum(q_i (1 - q_i)).

    Examples
    --------
    >>> expected_misgraded([0, 14, 200], [500, 500, 500])["expected_misgraded"].round(3)
    0    0.412
    Name: expected_misgraded, dtype: float64
    """
    gp = grade_probabilities(positive_cells, cells_counted, scheme=scheme)
    q = 1 - gp["p_observed_grade"].to_numpy()
    ok = ~np.isnan(q)
    q = q[ok]
    n_used = int(ok.sum())
    return pd.DataFrame(
        {
            "n_specimens": [n_used],
            "n_excluded_missing": [int((~ok).sum())],
            "expected_misgraded": [float(q.sum())],
            "expected_share": [float(q.sum() / n_used) if n_used else np.nan],
            "sd_misgraded": [float(np.sqrt(np.sum(q * (1 - q))))],
        }
    )


def cells_needed(
    ki67_percent: npt.ArrayLike,
    *,
    certainty: float = 0.95,
    scheme: str | GradingScheme = "who2019",
    max_cells: int = 100_000,
) -> pd.DataFrame:
    """Cells to count so that a tumour with a given true Ki-67 is graded with ``certainty``.

    Parameters
    ----------
    ki67_percent : array-like of float
        True Ki-67 index (%) of the tumour, in (0, 100), not equal to a cut-off.
    certainty : float, default=0.95
        Required posterior probability that the true index lies on the correct side of the
        nearest cut-off.
    scheme : str or GradingScheme, default="who2019"
        Ki-67 cut-offs.
    max_cells : int, default=100000
        Largest count considered; above it ``cells_needed`` is missing.

    Returns
    -------
    pandas.DataFrame
        One row per value: ``ki67_percent``, ``nearest_cut_off`` (%), ``certainty``,
        ``cells_needed`` (Int64; smallest n for which every count from n to ``max_cells``
        meets the certainty).

    Notes
    -----
    For n counted cells the expected positive count is n p. The posterior Beta(n p + 1/2,
    n (1 - p) + 1/2) (Jeffreys prior; non-integer counts allowed) must put at least
    ``certainty`` on the side of the nearest cut-off where p lies. As p approaches c this
    approaches the normal approximation n = z^2 p (1 - p) / (p - c)^2 with z the
    ``certainty`` quantile of the standard normal; further away the skewness of the beta
    posterior matters (fewer cells above a cut-off, more below it).

    Examples
    --------
    >>> int(cells_needed([5.0])["cells_needed"].iloc[0])
    220
    """
    if not 0 < certainty < 1:
        raise ValueError(f"certainty must be in (0, 1), got {certainty!r}")
    sch = get_scheme(scheme)
    p = np.atleast_1d(np.asarray(ki67_percent, dtype=float)) / 100
    if np.any(np.isnan(p)) or np.any((p <= 0) | (p >= 1)):
        raise ValueError("ki67_percent must be strictly between 0 and 100 and not missing")
    cuts = np.array([sch.ki67_g2_lower, sch.ki67_g3_above]) / 100
    if np.any(np.isin(p, cuts)):
        raise ValueError("ki67_percent equal to a cut-off cannot be graded with certainty")
    ns = np.arange(1, int(max_cells) + 1, dtype=float)
    out: list[int | None] = []
    nearest = []
    for pi in p:
        c = cuts[np.argmin(np.abs(cuts - pi))]
        nearest.append(100 * c)
        cdf = stats.beta.cdf(c, ns * pi + 0.5, ns * (1 - pi) + 0.5)
        prob = 1 - cdf if pi > c else cdf
        fails = np.flatnonzero(prob < certainty)
        if fails.size == 0:
            out.append(1)
        elif fails[-1] == ns.size - 1:
            out.append(None)
        else:
            out.append(int(ns[fails[-1] + 1]))
    return pd.DataFrame(
        {
            "ki67_percent": 100 * p,
            "nearest_cut_off": nearest,
            "certainty": float(certainty),
            "cells_needed": pd.array(out, dtype="Int64"),
        }
    )


def grade_probability_curve(
    cells_counted: int | npt.ArrayLike = 500,
    *,
    ki67_percent: npt.ArrayLike | None = None,
    scheme: str | GradingScheme = "who2019",
) -> pd.DataFrame:
    """P(true grade) as a function of the observed Ki-67 index, for given numbers of cells.

    Parameters
    ----------
    cells_counted : int or array-like of int, default=500
        Number(s) of cells counted.
    ki67_percent : array-like of float, optional
        Observed indices (%) to evaluate; default 0 to 30 % in steps of 0.1.
    scheme : str or GradingScheme, default="who2019"
        Ki-67 cut-offs.

    Returns
    -------
    pandas.DataFrame
        Long format: ``cells_counted``, ``ki67_percent`` (observed, %), ``grade`` (G1-G3),
        ``probability``.

    Notes
    -----
    The observed index is x / n with x = n * ki67 / 100 (non-integer x allowed); the posterior
    is the Jeffreys-prior beta of :func:`grade_probabilities`.

    Examples
    --------
    >>> grade_probability_curve(500, ki67_percent=[3.0]).shape
    (3, 4)
    """
    sch = get_scheme(scheme)
    ns = np.atleast_1d(np.asarray(cells_counted, dtype=float))
    if np.any(ns < 1):
        raise ValueError("cells_counted must be >= 1")
    grid = (
        np.round(np.arange(0, 30.05, 0.1), 10)
        if ki67_percent is None
        else np.atleast_1d(np.asarray(ki67_percent, dtype=float))
    )
    if np.any((grid < 0) | (grid > 100)):
        raise ValueError("ki67_percent must lie in [0, 100]")
    frames = []
    for n in ns:
        x = n * grid / 100
        p = _posterior_grade_probs(x, np.full_like(x, n), sch)
        for j, g in enumerate(GRADES):
            frames.append(
                pd.DataFrame(
                    {
                        "cells_counted": int(n),
                        "ki67_percent": grid,
                        "grade": g,
                        "probability": p[:, j],
                    }
                )
            )
    return pd.concat(frames, ignore_index=True)

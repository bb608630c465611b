"""Agreement statistics for two ordinal ratings: kappa, weighted kappa, Bowker, Stuart-Maxwell."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import stats

from netstats._display import ResultDisplay, plural

__all__ = [
    "KappaResult",
    "SquareTableTest",
    "bowker_test",
    "cohen_kappa",
    "stuart_maxwell_test",
]

Weights = Literal["unweighted", "linear", "quadratic"]


def _square(table: npt.ArrayLike) -> np.ndarray:
    t = np.asarray(table, dtype=float)
    if t.ndim != 2 or t.shape[0] != t.shape[1] or t.shape[0] < 2:
        raise ValueError(f"table must be a square k x k array with k >= 2, got shape {t.shape}")
    if np.any(np.isnan(t)) or np.any(t < 0):
        raise ValueError("table must hold non-negative counts without missing values")
    if t.sum() <= 0:
        raise ValueError("table is empty")
    return t


def disagreement_weights(k: int, weights: Weights) -> np.ndarray:
    """k x k disagreement weights: 0 on the diagonal, 1 for the largest distance.

    ``"unweighted"``: 1 off the diagonal; ``"linear"``: |i - j| / (k - 1) (Cicchetti-Allison);
    ``"quadratic"``: (i - j)^2 / (k - 1)^2 (Fleiss-Cohen).
    """
    i, j = np.indices((k, k))
    if weights == "unweighted":
        return (i != j).astype(float)
    if weights == "linear":
        return np.abs(i - j) / (k - 1)
    if weights == "quadratic":
        return (i - j) ** 2 / (k - 1) ** 2
    raise ValueError(f"weights must be 'unweighted', 'linear' or 'quadratic', got {weights!r}")


def _kappa_and_se(t: np.ndarray, w_dis: np.ndarray) -> tuple[float, float]:
    """Kappa and its large-sample (non-null) standard error, Fleiss, Cohen & Everitt (1969)."""
    n = t.sum()
    p = t / n
    r = p.sum(axis=1)
    c = p.sum(axis=0)
    w = 1 - w_dis  # agreement weights
    po = float((w * p).sum())
    pe = float((w * np.outer(r, c)).sum())
    if np.isclose(pe, 1.0):
        return np.nan, np.nan
    kappa = (po - pe) / (1 - pe)
    wbar_i = w @ c  # weighted mean over columns for row i
    wbar_j = r @ w  # weighted mean over rows for column j
    term = (w - (wbar_i[:, None] + wbar_j[None, :]) * (1 - kappa)) ** 2
    var = ((p * term).sum() - (kappa - pe * (1 - kappa)) ** 2) / (n * (1 - pe) ** 2)
    return float(kappa), float(np.sqrt(max(var, 0.0)))


def kappa_value(table: np.ndarray, weights: Weights = "unweighted") -> float:
    """Kappa only (no validation): used inside bootstrap loops."""
    return _kappa_and_se(table, disagreement_weights(table.shape[0], weights))[0]


@dataclass(frozen=True, repr=False)
class KappaResult(ResultDisplay):
    """Cohen's kappa (possibly weighted) with a Wald confidence interval.

    Attributes
    ----------
    weights : str
        ``unweighted``, ``linear`` or ``quadratic``.
    estimate, se, ci_lower, ci_upper : float
        Kappa, its large-sample standard error and the CI limits.
    conf_level : float
        Confidence level.
    observed_agreement, expected_agreement : float
        Weighted observed and chance agreement.
    n : int
        Number of rated pairs.

    Examples
    --------
    >>> from netstats.grading import cohen_kappa
    >>> cohen_kappa([[88, 14, 18], [10, 40, 10], [2, 6, 12]], weights="quadratic")
    KappaResult
    Cohen's kappa (quadratic weights), Fleiss-Cohen-Everitt SE, 95% Wald CI; 200 pairs
                            value
    weights             quadratic
    estimate               0.4545
    se                    0.06645
    ci_lower               0.3243
    ci_upper               0.5848
    conf_level               0.95
    observed_agreement       0.85
    expected_agreement      0.725
    n                         200
    """

    weights: str
    estimate: float
    se: float
    ci_lower: float
    ci_upper: float
    conf_level: float
    observed_agreement: float
    expected_agreement: float
    n: int

    @property
    def summary(self) -> pd.DataFrame:
        """One-row tidy table of the fields."""
        return pd.DataFrame([self.__dict__])

    @property
    def method(self) -> str:
        """One-line description (weights, SE, CI, number of pairs)."""
        weights = "unweighted" if self.weights == "unweighted" else f"{self.weights} weights"
        return (
            f"Cohen's kappa ({weights}), Fleiss-Cohen-Everitt SE, "
            f"{self.conf_level:.0%} Wald CI; {plural(self.n, 'pair')}"
        )

    def to_frame(self) -> pd.DataFrame:
        """Same as :attr:`summary`."""
        return self.summary


def cohen_kappa(
    table: npt.ArrayLike,
    *,
    weights: Weights = "unweighted",
    conf_level: float = 0.95,
) -> KappaResult:
    """Cohen's kappa or weighted kappa from a k x k cross-table of two ratings.

    Parameters
    ----------
    table : array-like, shape (k, k)
        Counts; rows are the first rating, columns the second, categories in order.
    weights : {"unweighted", "linear", "quadratic"}, default="unweighted"
        Disagreement weights; linear (Cicchetti-Allison) or quadratic (Fleiss-Cohen)
        for ordered categories such as grades.
    conf_level : float, default=0.95
        Level of the Wald interval kappa +/- z * SE.

    Returns
    -------
    KappaResult
        Kappa, its Fleiss-Cohen-Everitt SE, the Wald CI and the weighted agreements.

    Notes
    -----
    The standard error is the large-sample non-null variance of Fleiss, Cohen & Everitt
    (1969), the one used by SAS PROC FREQ and statsmodels. For unweighted kappa it equals
    ``psych::cohen.kappa``'s; psych 2.2.x reports a different variance for weighted kappa.
    Quadratic-weighted kappa is asymptotically the ICC of the integer-coded ratings.

    References
    ----------
    Cohen J. Educ Psychol Meas 1960;20:37-46. Cohen J. Psychol Bull 1968;70:213-220.
    Fleiss JL, Cohen J, Everitt BS. Psychol Bull 1969;72:323-327.

    Examples
    --------
    >>> round(cohen_kappa([[88, 14, 18], [10, 40, 10], [2, 6, 12]]).estimate, 4)
    0.4915
    """
    if not 0 < conf_level < 1:
        raise ValueError(f"conf_level must be in (0, 1), got {conf_level!r}")
    t = _square(table)
    wd = disagreement_weights(t.shape[0], weights)
    kappa, se = _kappa_and_se(t, wd)
    z = stats.norm.ppf(0.5 + conf_level / 2)
    p = t / t.sum()
    w = 1 - wd
    return KappaResult(
        weights=weights,
        estimate=kappa,
        se=se,
        ci_lower=kappa - z * se,
        ci_upper=kappa + z * se,
        conf_level=float(conf_level),
        observed_agreement=float((w * p).sum()),
        expected_agreement=float((w * np.outer(p.sum(1), p.sum(0))).sum()),
        n=int(round(t.sum())),
    )


@dataclass(frozen=True, repr=False)
class SquareTableTest(ResultDisplay):
    """A chi-square test on a square table (Bowker symmetry or Stuart-Maxwell homogeneity).

    Attributes
    ----------
    test : str
        ``bowker`` or ``stuart_maxwell``.
    statistic, df, p_value : float
        Chi-square statistic, degrees of freedom and p-value.
    n : int
        Number of pairs.
    note : str
        Any reduction applied (empty pairs or categories dropped).

    Examples
    --------
    >>> from netstats.grading import bowker_test
    >>> bowker_test([[10, 3, 1], [5, 12, 2], [0, 4, 9]])
    SquareTableTest
    Bowker test of symmetry (chi-square), 46 pairs
      test  statistic  df  p_value  n note
    bowker      2.167   3   0.5385 46
    """

    test: str
    statistic: float
    df: float
    p_value: float
    n: int
    note: str = ""

    @property
    def summary(self) -> pd.DataFrame:
        """One-row tidy table."""
        return pd.DataFrame([self.__dict__])

    @property
    def method(self) -> str:
        """One-line description (test, pairs, reductions)."""
        name = {
            "bowker": "Bowker test of symmetry",
            "stuart_maxwell": "Stuart-Maxwell test of marginal homogeneity",
        }.get(self.test, self.test)
        note = f"; {self.note}" if self.note else ""
        return f"{name} (chi-square), {plural(self.n, 'pair')}{note}"

    def to_frame(self) -> pd.DataFrame:
        """Same as :attr:`summary`."""
        return self.summary


def bowker_test(table: npt.ArrayLike) -> SquareTableTest:
    """Bowker's test of symmetry of a k x k table (McNemar for k = 2, no continuity correction).

    Parameters
    ----------
    table : array-like, shape (k, k)
        Counts of paired ratings.

    Returns
    -------
    SquareTableTest
        ``statistic`` = sum over i < j of (n_ij - n_ji)^2 / (n_ij + n_ji).

    Notes
    -----
    Equal to R ``mcnemar.test(table, correct = FALSE)`` (for k > 2 R never corrects). Cell
    pairs with n_ij + n_ji = 0 carry no information: they are left out and the degrees of
    freedom reduced by one each (R returns NaN instead); ``note`` says how many. With no
    off-diagonal counts the statistic is 0 with p = 1 and df = 0.

    References
    ----------
    Bowker AH. J Am Stat Assoc 1948;43:572-574.

    Examples
    --------
    >>> bowker_test([[10, 3], [3, 10]]).statistic
    0.0
    """
    t = _square(table)
    iu = np.triu_indices(t.shape[0], 1)
    a = t[iu]
    b = t.T[iu]
    keep = (a + b) > 0
    stat = float(np.sum((a[keep] - b[keep]) ** 2 / (a[keep] + b[keep])))
    df = int(keep.sum())
    dropped = int((~keep).sum())
    p = float(stats.chi2.sf(stat, df)) if df > 0 else 1.0
    note = f"{dropped} empty off-diagonal cell pair(s) left out" if dropped else ""
    return SquareTableTest("bowker", stat, float(df), p, int(round(t.sum())), note)


def stuart_maxwell_test(table: npt.ArrayLike) -> SquareTableTest:
    """Stuart-Maxwell test of marginal homogeneity of a k x k table.

    Parameters
    ----------
    table : array-like, shape (k, k)
        Counts of paired ratings.

    Returns
    -------
    SquareTableTest
        ``statistic`` = N d' V^- d with d the differences of the column and row margins
        (proportions) and V their covariance; ``df`` = rank of V.

    Notes
    -----
    Uses the Moore-Penrose inverse of the k x k covariance matrix, which equals the usual
    form (drop one category, invert) when that matrix is nonsingular and still works when a
    category is never rated or never changes. For k = 2 it equals McNemar's statistic
    without continuity correction.

    References
    ----------
    Stuart A. Biometrika 1955;42:412-416. Maxwell AE. Br J Psychiatry 1970;116:651-655.

    Examples
    --------
    >>> round(stuart_maxwell_test([[10, 8], [2, 10]]).statistic, 4)
    3.6
    """
    t = _square(table)
    n = t.sum()
    p = t / n
    row = p.sum(1)
    col = p.sum(0)
    d = col - row
    v = -(p + p.T)
    np.fill_diagonal(v, row + col - 2 * np.diag(p))
    rank = int(np.linalg.matrix_rank(v, tol=1e-12))
    if rank == 0:
        return SquareTableTest(
            "stuart_maxwell", 0.0, 0.0, 1.0, int(round(n)), "no off-diagonal counts"
        )
    stat = float(n * d @ np.linalg.pinv(v, rcond=1e-12) @ d)
    note = "" if rank == t.shape[0] - 1 else f"covariance of rank {rank} (generalised inverse)"
    return SquareTableTest(
        "stuart_maxwell", stat, float(rank), float(stats.chi2.sf(stat, rank)), int(round(n)), note
    )

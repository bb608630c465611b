"""Discrimination, calibration and clinical-utility metrics for predicted probabilities.

The outcome is coded 1 = SSTR-positive, 0 = negative; ``prob`` is the predicted probability
of a positive scan.  Every estimate carries a confidence interval and names its method.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import ClassVar

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import stats
from scipy.special import expit, logit
from sklearn.metrics import average_precision_score
from sklearn.metrics import roc_curve as _sk_roc_curve

from netstats._display import ResultDisplay, plural
from netstats.exceptions import StatisticalWarning

__all__ = [
    "AUCResult",
    "CalibrationResult",
    "DeLongTestResult",
    "auroc_delong",
    "calibration",
    "calibration_curve",
    "classification_metrics",
    "decision_curve",
    "delong_test",
    "roc_curve",
    "threshold_metrics",
]


def _check_conf_level(conf_level: float) -> float:
    if not isinstance(conf_level, (float, int)) or not 0 < conf_level < 1:
        raise ValueError(f"conf_level must lie strictly between 0 and 1, got {conf_level!r}")
    return float(conf_level)


def _check_outcome(y: npt.ArrayLike, *probs: npt.ArrayLike) -> tuple[np.ndarray, ...]:
    """Validate a 0/1 outcome and aligned scores; return float arrays."""
    yy = np.asarray(y)
    if yy.ndim != 1:
        raise ValueError(f"y must be one-dimensional, got shape {yy.shape}")
    if yy.dtype == bool:
        yy = yy.astype(int)
    try:
        yf = yy.astype(float)
    except (TypeError, ValueError):
        raise TypeError("y must be numeric 0/1 or boolean") from None
    if np.isnan(yf).any():
        raise ValueError("y contains missing values")
    if not np.isin(yf, (0.0, 1.0)).all():
        bad = np.unique(yf[~np.isin(yf, (0.0, 1.0))])[:5]
        raise ValueError(f"y must be coded 0/1 (1 = SSTR-positive); found {bad.tolist()}")
    out = [yf]
    for p in probs:
        pp = np.asarray(p, dtype=float)
        if pp.shape != yf.shape:
            raise ValueError(f"scores have shape {pp.shape}, y has shape {yf.shape}")
        if np.isnan(pp).any():
            raise ValueError("predicted scores contain missing values")
        out.append(pp)
    return tuple(out)


def _check_both_classes(y: np.ndarray) -> None:
    if y.sum() == 0 or y.sum() == len(y):
        raise ValueError("y must contain both SSTR-positive (1) and negative (0) scans")


def _check_probabilities(p: np.ndarray, name: str = "prob") -> None:
    if (p < 0).any() or (p > 1).any():
        raise ValueError(f"{name} must be probabilities in [0, 1]")


class _Result(ResultDisplay):
    """Shared one-row table of the fields for the small frozen results below."""

    __slots__ = ()

    #: Short name of the method, the ``method`` column of :meth:`to_frame`.
    _method_name: ClassVar[str] = ""

    def to_frame(self) -> pd.DataFrame:
        """The result as a one-row DataFrame: one column per field, then ``method``."""
        row = {f.name: getattr(self, f.name) for f in fields(self)}  # type: ignore[arg-type]
        row["method"] = self._method_name
        return pd.DataFrame([row])

    @property
    def summary(self) -> pd.DataFrame:
        """The result as a one-row DataFrame."""
        return self.to_frame()


# --- DeLong ----------------------------------------------------------------------------


def _placements(y: np.ndarray, score: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """DeLong structural components V10 (per positive) and V01 (per negative), with ties
    counted one half, from mid-ranks (Sun and Xu 2014)."""
    pos, neg = score[y == 1], score[y == 0]
    m, n = len(pos), len(neg)
    rank_all = stats.rankdata(np.concatenate([pos, neg]))
    v10 = (rank_all[:m] - stats.rankdata(pos)) / n
    v01 = 1.0 - (rank_all[m:] - stats.rankdata(neg)) / m
    return v10, v01


@dataclass(frozen=True, repr=False)
class AUCResult(_Result):
    """Area under the ROC curve with its DeLong standard error and CI.

    Attributes
    ----------
    estimate, se, ci_lower, ci_upper : float
        AUROC, its DeLong standard error and Wald CI (clipped to [0, 1], as pROC does).
    conf_level : float
        Confidence level of the intervals.
    n_positive, n_negative : int
        SSTR-positive and negative scans.

    Examples
    --------
    >>> from netstats import sstr
    >>> y = [0, 0, 1, 1, 0, 1, 1, 0]
    >>> prob = [0.1, 0.4, 0.35, 0.8, 0.2, 0.9, 0.6, 0.5]
    >>> sstr.auroc_delong(y, prob)
    AUCResult
    AUROC with DeLong SE, 95% Wald CI clipped to [0, 1]; 4 positive / 4 negative
                 value
    estimate     0.875
    se          0.1443
    ci_lower    0.5921
    ci_upper         1
    conf_level    0.95
    n_positive       4
    n_negative       4
    method      DeLong
    """

    estimate: float
    se: float
    ci_lower: float
    ci_upper: float
    conf_level: float
    n_positive: int
    n_negative: int

    _method_name: ClassVar[str] = "DeLong"

    @property
    def method(self) -> str:
        """One-line description (SE, CI, class sizes)."""
        return (
            f"AUROC with DeLong SE, {self.conf_level:.0%} Wald CI clipped to [0, 1]; "
            f"{self.n_positive} positive / {self.n_negative} negative"
        )


def auroc_delong(y: npt.ArrayLike, score: npt.ArrayLike, *, conf_level: float = 0.95) -> AUCResult:
    """AUROC with the DeLong variance and a Wald confidence interval.

    Parameters
    ----------
    y : array-like of {0, 1}
        Observed outcome, 1 = SSTR-positive.
    score : array-like of float
        Predicted probability (or any score, higher = more likely positive).
    conf_level : float, default=0.95
        Confidence level of the intervals.

    Returns
    -------
    AUCResult
        AUROC, DeLong SE and CI.

    Notes
    -----
    Ties between a positive and a negative count one half.  The interval is
    ``AUC +/- z * SE`` clipped to [0, 1], matching R ``pROC::ci.auc(method="delong")``;
    the ROC direction is fixed (higher score = positive), i.e. pROC ``direction = "<"``.

    References
    ----------
    DeLong ER, DeLong DM, Clarke-Pearson DL. Biometrics 1988;44:837-45.
    Sun X, Xu W. IEEE Signal Process Lett 2014;21:1389-93.

    Examples
    --------
    >>> auroc_delong([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]).estimate
    0.75
    """
    cl = _check_conf_level(conf_level)
    yf, s = _check_outcome(y, score)
    _check_both_classes(yf)
    v10, v01 = _placements(yf, s)
    m, n = len(v10), len(v01)
    auc = float(v10.mean())
    var = (v10.var(ddof=1) if m > 1 else 0.0) / m + (v01.var(ddof=1) if n > 1 else 0.0) / n
    se = float(np.sqrt(var))
    z = stats.norm.ppf(0.5 + cl / 2)
    return AUCResult(
        estimate=auc,
        se=se,
        ci_lower=float(max(auc - z * se, 0.0)),
        ci_upper=float(min(auc + z * se, 1.0)),
        conf_level=cl,
        n_positive=m,
        n_negative=n,
    )


@dataclass(frozen=True, repr=False)
class DeLongTestResult(_Result):
    """Paired DeLong comparison of two AUROCs on the same scans.

    Attributes
    ----------
    auc_1, auc_2 : float
        AUROC of each score.
    estimate : float
        ``auc_1 - auc_2``.
    se, ci_lower, ci_upper, conf_level : float
        Standard error and Wald CI of the difference.
    statistic : float
        z statistic.
    p_value : float
        Two-sided p-value.

    Examples
    --------
    >>> from netstats import sstr
    >>> y = [0, 0, 1, 1, 0, 1, 1, 0]
    >>> prob = [0.1, 0.4, 0.35, 0.8, 0.2, 0.9, 0.6, 0.5]
    >>> res = sstr.delong_test(y, prob, [0.2, 0.3, 0.5, 0.6, 0.4, 0.7, 0.5, 0.45])
    >>> print(res.method)
    Paired DeLong test of two AUROCs on the same scans (AUROC 0.875 vs 1.000), 95% Wald CI of the difference
    >>> round(res.estimate, 3), round(res.p_value, 4)
    (-0.125, 0.3865)
    """

    auc_1: float
    auc_2: float
    estimate: float
    se: float
    ci_lower: float
    ci_upper: float
    conf_level: float
    statistic: float
    p_value: float

    _method_name: ClassVar[str] = "paired DeLong test"

    @property
    def method(self) -> str:
        """One-line description (test, CI)."""
        return (
            f"Paired DeLong test of two AUROCs on the same scans (AUROC {self.auc_1:.3f} vs "
            f"{self.auc_2:.3f}), {self.conf_level:.0%} Wald CI of the difference"
        )


def delong_test(
    y: npt.ArrayLike,
    score_1: npt.ArrayLike,
    score_2: npt.ArrayLike,
    *,
    conf_level: float = 0.95,
) -> DeLongTestResult:
    """Paired DeLong test of two AUROCs measured on the same scans.

    Parameters
    ----------
    y : array-like of {0, 1}
        Observed outcome, 1 = SSTR-positive.
    score_1, score_2 : array-like of float
        Scores of the two models for the same scans.
    conf_level : float, default=0.95
        Confidence level of the intervals.

    Returns
    -------
    DeLongTestResult
        Difference, its CI, z statistic and p-value.

    Notes
    -----
    ``z = (AUC1 - AUC2) / sqrt(V1 + V2 - 2 C)`` with the DeLong covariance; matches
    R ``pROC::roc.test(method="delong", paired=TRUE)``.

    References
    ----------
    DeLong ER, DeLong DM, Clarke-Pearson DL. Biometrics 1988;44:837-45.

    Examples
    --------
    >>> from netstats import sstr
    >>> y = [0, 0, 1, 1, 0, 1, 1, 0]
    >>> prob = [0.1, 0.4, 0.35, 0.8, 0.2, 0.9, 0.6, 0.5]
    >>> res = sstr.delong_test(y, prob, [0.2, 0.3, 0.5, 0.6, 0.4, 0.7, 0.5, 0.45])
    >>> round(res.auc_1, 3), round(res.auc_2, 3), round(res.p_value, 4)
    (0.875, 1.0, 0.3865)
    """
    cl = _check_conf_level(conf_level)
    yf, s1, s2 = _check_outcome(y, score_1, score_2)
    _check_both_classes(yf)
    a10, a01 = _placements(yf, s1)
    b10, b01 = _placements(yf, s2)
    m, n = len(a10), len(a01)
    s10 = np.cov(np.vstack([a10, b10]), ddof=1)
    s01 = np.cov(np.vstack([a01, b01]), ddof=1)
    cov = s10 / m + s01 / n
    auc1, auc2 = float(a10.mean()), float(b10.mean())
    diff = auc1 - auc2
    var = float(cov[0, 0] + cov[1, 1] - 2 * cov[0, 1])
    se = float(np.sqrt(max(var, 0.0)))
    if se == 0:
        raise ValueError("the two scores rank the scans identically: the test is undefined")
    zstat = diff / se
    zq = stats.norm.ppf(0.5 + cl / 2)
    return DeLongTestResult(
        auc_1=auc1,
        auc_2=auc2,
        estimate=diff,
        se=se,
        ci_lower=diff - zq * se,
        ci_upper=diff + zq * se,
        conf_level=cl,
        statistic=float(zstat),
        p_value=float(2 * stats.norm.sf(abs(zstat))),
    )


# --- calibration ----------------------------------------------------------------------


@dataclass(frozen=True, repr=False)
class CalibrationResult(_Result):
    """Logistic recalibration of predicted probabilities.

    Attributes
    ----------
    estimate : float
        Calibration slope (ideal 1): ``b`` in ``logit P(y=1) = a + b logit(p)``.
    ci_lower, ci_upper : float
        Wald CI of the slope.
    intercept, intercept_ci_lower, intercept_ci_upper : float
        Calibration intercept (calibration-in-the-large, ideal 0): ``a`` in
        ``logit P(y=1) = a + offset(logit(p))``, with its Wald CI.
    intercept_joint : float
        ``a`` of the joint fit ``a + b logit(p)`` (the "Intercept" of R ``rms::val.prob``).
    brier : float
        Mean squared error of the probabilities.
    conf_level : float
        Confidence level of the intervals.
    n : int
        Scans.

    Examples
    --------
    >>> from netstats import sstr
    >>> y = [0, 0, 1, 1, 0, 1, 1, 0]
    >>> prob = [0.1, 0.4, 0.35, 0.8, 0.2, 0.9, 0.6, 0.5]
    >>> res = sstr.calibration(y, prob)
    >>> print(res.method)
    Logistic recalibration (Cox 1958): slope and intercept with 95% Wald CIs, Brier score; 8 scans
    >>> round(res.estimate, 3), round(res.brier, 4)
    (2.065, 0.1366)
    """

    estimate: float
    ci_lower: float
    ci_upper: float
    intercept: float
    intercept_ci_lower: float
    intercept_ci_upper: float
    intercept_joint: float
    brier: float
    conf_level: float
    n: int

    _method_name: ClassVar[str] = "logistic recalibration (Cox 1958)"

    @property
    def method(self) -> str:
        """One-line description (model, CIs, size)."""
        return (
            f"Logistic recalibration (Cox 1958): slope and intercept with "
            f"{self.conf_level:.0%} Wald CIs, Brier score; {plural(self.n, 'scan')}"
        )


def _logistic_fit(
    y: np.ndarray, X: np.ndarray, offset: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Maximum-likelihood logistic fit by Newton-Raphson; returns coefficients and SEs."""
    beta = np.zeros(X.shape[1])
    off = np.zeros(len(y)) if offset is None else offset
    for _ in range(100):
        eta = X @ beta + off
        mu = expit(eta)
        w = mu * (1 - mu)
        info = X.T @ (X * w[:, None])
        step = np.linalg.solve(info, X.T @ (y - mu))
        beta = beta + step
        if np.max(np.abs(step)) < 1e-12:
            break
    else:
        raise ValueError("the calibration model did not converge (separation?)")
    mu = expit(X @ beta + off)
    info = X.T @ (X * (mu * (1 - mu))[:, None])
    return beta, np.sqrt(np.diag(np.linalg.inv(info)))


def calibration(
    y: npt.ArrayLike, prob: npt.ArrayLike, *, conf_level: float = 0.95
) -> CalibrationResult:
    """Calibration slope, calibration intercept and Brier score.

    Parameters
    ----------
    y : array-like of {0, 1}
        Observed outcome, 1 = SSTR-positive.
    prob : array-like of float
        Predicted probabilities in (0, 1).
    conf_level : float, default=0.95
        Confidence level of the intervals.

    Returns
    -------
    CalibrationResult
        Slope, intercepts and Brier score.

    Notes
    -----
    The slope and ``intercept_joint`` come from the logistic regression of ``y`` on
    ``logit(prob)`` (R ``rms::val.prob`` "Slope" and "Intercept"); ``intercept`` is the
    calibration-in-the-large of Van Calster et al., fitted with the slope fixed at 1 (an
    offset).  Probabilities of exactly 0 or 1 have infinite logits and are refused.

    References
    ----------
    Cox DR. Biometrika 1958;45:562-5.
    Van Calster B et al. J Clin Epidemiol 2016;74:167-76.
    Harrell FE. rms: Regression Modeling Strategies, ``val.prob``.

    Examples
    --------
    >>> from netstats import sstr
    >>> y = [0, 0, 1, 1, 0, 1, 1, 0]
    >>> prob = [0.1, 0.4, 0.35, 0.8, 0.2, 0.9, 0.6, 0.5]
    >>> res = sstr.calibration(y, prob)
    >>> round(res.estimate, 3), round(res.intercept, 3)
    (2.065, 0.103)
    """
    cl = _check_conf_level(conf_level)
    yf, p = _check_outcome(y, prob)
    _check_probabilities(p)
    _check_both_classes(yf)
    if ((p <= 0) | (p >= 1)).any():
        raise ValueError("prob must lie strictly between 0 and 1 for calibration on the logit")
    lp = logit(p)
    ones = np.ones_like(lp)
    beta, se = _logistic_fit(yf, np.column_stack([ones, lp]))
    a0, se0 = _logistic_fit(yf, ones[:, None], offset=lp)
    z = stats.norm.ppf(0.5 + cl / 2)
    return CalibrationResult(
        estimate=float(beta[1]),
        ci_lower=float(beta[1] - z * se[1]),
        ci_upper=float(beta[1] + z * se[1]),
        intercept=float(a0[0]),
        intercept_ci_lower=float(a0[0] - z * se0[0]),
        intercept_ci_upper=float(a0[0] + z * se0[0]),
        intercept_joint=float(beta[0]),
        brier=float(np.mean((p - yf) ** 2)),
        conf_level=cl,
        n=len(yf),
    )


def _clopper_pearson(
    k: np.ndarray, n: np.ndarray, conf_level: float
) -> tuple[np.ndarray, np.ndarray]:
    """Exact (Clopper-Pearson) binomial interval; NaN where ``n == 0``."""
    a = 1 - conf_level
    k = np.asarray(k, dtype=float)
    n = np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        lo = np.where(k > 0, stats.beta.ppf(a / 2, k, n - k + 1), 0.0)
        hi = np.where(k < n, stats.beta.ppf(1 - a / 2, k + 1, n - k), 1.0)
    lo = np.where(n > 0, lo, np.nan)
    hi = np.where(n > 0, hi, np.nan)
    return lo, hi


def calibration_curve(
    y: npt.ArrayLike, prob: npt.ArrayLike, *, n_bins: int = 10, conf_level: float = 0.95
) -> pd.DataFrame:
    """Observed against predicted positivity in groups of equal size.

    Parameters
    ----------
    y : array-like of {0, 1}
        Observed outcome, 1 = SSTR-positive.
    prob : array-like of float
        Predicted probabilities of SSTR positivity, in [0, 1].
    n_bins : int, default=10
        Number of groups (scans sorted by ``prob`` and split into near-equal sizes).
    conf_level : float, default=0.95
        Confidence level of the intervals.

    Returns
    -------
    DataFrame
        One row per group: ``bin`` (1..n_bins), ``n``, ``mean_predicted`` (probability),
        ``observed`` (fraction positive), ``ci_lower``, ``ci_upper`` (Clopper-Pearson CI of
        ``observed``), ``conf_level``, ``method``.

    Examples
    --------
    >>> from netstats import sstr
    >>> y = [0, 0, 1, 1, 0, 1, 1, 0]
    >>> prob = [0.1, 0.4, 0.35, 0.8, 0.2, 0.9, 0.6, 0.5]
    >>> sstr.calibration_curve(y, prob, n_bins=2)[["bin", "n", "mean_predicted", "observed"]]
       bin  n  mean_predicted  observed
    0    1  4          0.2625      0.25
    1    2  4          0.7000      0.75
    """
    cl = _check_conf_level(conf_level)
    yf, p = _check_outcome(y, prob)
    _check_probabilities(p)
    if not isinstance(n_bins, (int, np.integer)) or n_bins < 1:
        raise ValueError(f"n_bins must be a positive integer, got {n_bins!r}")
    n_bins = min(int(n_bins), len(p))
    order = np.argsort(p, kind="mergesort")
    groups = np.array_split(order, n_bins)
    k = np.array([yf[g].sum() for g in groups])
    n = np.array([len(g) for g in groups])
    lo, hi = _clopper_pearson(k, n, cl)
    return pd.DataFrame(
        {
            "bin": np.arange(1, n_bins + 1),
            "n": n,
            "mean_predicted": [p[g].mean() for g in groups],
            "observed": k / n,
            "ci_lower": lo,
            "ci_upper": hi,
            "conf_level": cl,
            "method": "equal-size groups, Clopper-Pearson",
        }
    )


# --- clinical utility -----------------------------------------------------------------


def decision_curve(
    y: npt.ArrayLike,
    prob: npt.ArrayLike,
    *,
    thresholds: Sequence[float] | npt.ArrayLike | None = None,
) -> pd.DataFrame:
    """Net benefit of acting on the model against acting on everyone or no one.

    "Acting" means treating the scan as SSTR-positive (e.g. proceeding to SSA or PRRT
    work-up) when ``prob >= threshold``.

    Parameters
    ----------
    y : array-like of {0, 1}
        Observed outcome, 1 = SSTR-positive.
    prob : array-like of float
        Predicted probabilities of SSTR positivity, in [0, 1].
    thresholds : array-like of float in (0, 1), default=0.01, 0.02, ..., 0.99
        Threshold probabilities to evaluate.

    Returns
    -------
    DataFrame
        Long format, one row per threshold x strategy: ``threshold`` (probability),
        ``strategy`` ("model", "treat_all", "treat_none"), ``net_benefit`` (true
        positives per patient minus weighted false positives), ``n_true_positive``,
        ``n_false_positive``, ``n``.

    Notes
    -----
    ``NB = TP/n - FP/n * t / (1 - t)``; treat-all has ``TP`` = all positives and ``FP`` =
    all negatives; treat-none has net benefit 0.

    References
    ----------
    Vickers AJ, Elkin EB. Med Decis Making 2006;26:565-74.

    Examples
    --------
    >>> from netstats import sstr
    >>> y = [0, 0, 1, 1, 0, 1, 1, 0]
    >>> prob = [0.1, 0.4, 0.35, 0.8, 0.2, 0.9, 0.6, 0.5]
    >>> dc = sstr.decision_curve(y, prob, thresholds=[0.3, 0.5])
    >>> dc.query("strategy == 'model'")[["threshold", "net_benefit"]].round(3)
       threshold  net_benefit
    0        0.3        0.393
    1        0.5        0.250
    """
    yf, p = _check_outcome(y, prob)
    _check_probabilities(p)
    t = (
        np.round(np.arange(1, 100) / 100, 2)
        if thresholds is None
        else np.asarray(thresholds, float)
    )
    if t.ndim != 1 or ((t <= 0) | (t >= 1)).any():
        raise ValueError("thresholds must be a 1-d array of values strictly between 0 and 1")
    n = len(yf)
    act = p[None, :] >= t[:, None]
    tp = (act & (yf[None, :] == 1)).sum(axis=1)
    fp = (act & (yf[None, :] == 0)).sum(axis=1)
    odds = t / (1 - t)
    n_pos, n_neg = int(yf.sum()), int(n - yf.sum())
    frames = [
        pd.DataFrame(
            {
                "threshold": t,
                "strategy": "model",
                "net_benefit": tp / n - fp / n * odds,
                "n_true_positive": tp,
                "n_false_positive": fp,
            }
        ),
        pd.DataFrame(
            {
                "threshold": t,
                "strategy": "treat_all",
                "net_benefit": n_pos / n - n_neg / n * odds,
                "n_true_positive": n_pos,
                "n_false_positive": n_neg,
            }
        ),
        pd.DataFrame(
            {
                "threshold": t,
                "strategy": "treat_none",
                "net_benefit": 0.0,
                "n_true_positive": 0,
                "n_false_positive": 0,
            }
        ),
    ]
    out = pd.concat(frames, ignore_index=True)
    out["n"] = n
    return out


def threshold_metrics(
    y: npt.ArrayLike, prob: npt.ArrayLike, *, threshold: float = 0.5, conf_level: float = 0.95
) -> pd.DataFrame:
    """Sensitivity, specificity and predictive values at a probability threshold.

    A scan is predicted positive when ``prob >= threshold``.

    Parameters
    ----------
    y : array-like of {0, 1}
        Observed outcome, 1 = SSTR-positive.
    prob : array-like of float
        Predicted probabilities of SSTR positivity, in [0, 1].
    threshold : float, default=0.5
        A scan is predicted positive when ``prob >= threshold``.
    conf_level : float, default=0.95
        Confidence level of the intervals.

    Returns
    -------
    DataFrame
        One row per measure (``sensitivity``, ``specificity``, ``ppv``, ``npv``):
        ``measure``, ``threshold``, ``numerator``, ``denominator``, ``estimate``
        (proportion), ``ci_lower``, ``ci_upper`` (exact Clopper-Pearson), ``conf_level``,
        ``method``.  A measure with a zero denominator has NaN estimate and CI.

    References
    ----------
    Clopper CJ, Pearson ES. Biometrika 1934;26:404-13.

    Examples
    --------
    >>> from netstats import sstr
    >>> y = [0, 0, 1, 1, 0, 1, 1, 0]
    >>> prob = [0.1, 0.4, 0.35, 0.8, 0.2, 0.9, 0.6, 0.5]
    >>> sstr.threshold_metrics(y, prob, threshold=0.5)[["measure", "numerator", "denominator"]]
           measure  numerator  denominator
    0  sensitivity          3            4
    1  specificity          3            4
    2          ppv          3            4
    3          npv          3            4
    """
    cl = _check_conf_level(conf_level)
    yf, p = _check_outcome(y, prob)
    _check_probabilities(p)
    if not 0 <= threshold <= 1:
        raise ValueError(f"threshold must lie in [0, 1], got {threshold!r}")
    pred = p >= threshold
    pos = yf == 1
    tp = int((pred & pos).sum())
    fp = int((pred & ~pos).sum())
    fn = int((~pred & pos).sum())
    tn = int((~pred & ~pos).sum())
    rows = [
        ("sensitivity", tp, tp + fn),
        ("specificity", tn, tn + fp),
        ("ppv", tp, tp + fp),
        ("npv", tn, tn + fn),
    ]
    k = np.array([r[1] for r in rows])
    n = np.array([r[2] for r in rows])
    lo, hi = _clopper_pearson(k, n, cl)
    with np.errstate(invalid="ignore", divide="ignore"):
        est = np.where(n > 0, k / np.maximum(n, 1), np.nan)
    return pd.DataFrame(
        {
            "measure": [r[0] for r in rows],
            "threshold": float(threshold),
            "numerator": k,
            "denominator": n,
            "estimate": est,
            "ci_lower": lo,
            "ci_upper": hi,
            "conf_level": cl,
            "method": "Clopper-Pearson",
        }
    )


def _auprc_logit_ci(ap: float, n_pos: int, z: float) -> tuple[float, float]:
    if not 0 < ap < 1:
        return (np.nan, np.nan)
    half = z / np.sqrt(n_pos * ap * (1 - ap))
    return float(expit(logit(ap) - half)), float(expit(logit(ap) + half))


def classification_metrics(
    y: npt.ArrayLike, prob: npt.ArrayLike, *, conf_level: float = 0.95
) -> pd.DataFrame:
    """All discrimination and calibration metrics of a set of predictions, tidy.

    Parameters
    ----------
    y : array-like of {0, 1}
        Observed outcome, 1 = SSTR-positive.
    prob : array-like of float
        Predicted probabilities of positivity, strictly inside (0, 1).
    conf_level : float, default=0.95
        Confidence level of the intervals.

    Returns
    -------
    DataFrame
        One row per metric with ``metric``, ``estimate``, ``ci_lower``, ``ci_upper``,
        ``conf_level``, ``method``.  Metrics: ``auroc`` (DeLong CI), ``auprc`` (average
        precision for positives, logit CI), ``auprc_negative`` (average precision for the
        rare SSTR-negative class, logit CI), ``brier`` (normal-approximation CI of a mean),
        ``calibration_intercept`` and ``calibration_slope`` (Wald CIs).

    References
    ----------
    Boyd K, Eng KH, Page CD. ECML PKDD 2013: 451-66 (logit interval for the AUPRC).

    Examples
    --------
    >>> from netstats import sstr
    >>> y = [0, 0, 1, 1, 0, 1, 1, 0]
    >>> prob = [0.1, 0.4, 0.35, 0.8, 0.2, 0.9, 0.6, 0.5]
    >>> sstr.classification_metrics(y, prob)[["metric", "estimate"]].round(3)
                      metric  estimate
    0                  auroc     0.875
    1                  auprc     0.917
    2         auprc_negative     0.888
    3                  brier     0.137
    4  calibration_intercept     0.103
    5      calibration_slope     2.065
    """
    cl = _check_conf_level(conf_level)
    yf, p = _check_outcome(y, prob)
    _check_probabilities(p)
    _check_both_classes(yf)
    z = float(stats.norm.ppf(0.5 + cl / 2))
    auc = auroc_delong(yf, p, conf_level=cl)
    rows = [("auroc", auc.estimate, auc.ci_lower, auc.ci_upper, "DeLong")]
    ap = float(average_precision_score(yf, p))
    rows.append(
        ("auprc", ap, *_auprc_logit_ci(ap, int(yf.sum()), z), "average precision, logit CI")
    )
    apn = float(average_precision_score(1 - yf, 1 - p))
    rows.append(
        (
            "auprc_negative",
            apn,
            *_auprc_logit_ci(apn, int((1 - yf).sum()), z),
            "average precision for SSTR-negative, logit CI",
        )
    )
    sq = (p - yf) ** 2
    b, se_b = sq.mean(), sq.std(ddof=1) / np.sqrt(len(sq))
    rows.append(("brier", b, b - z * se_b, b + z * se_b, "mean squared error, normal CI"))
    try:
        cal = calibration(yf, p, conf_level=cl)
        rows.append(
            (
                "calibration_intercept",
                cal.intercept,
                cal.intercept_ci_lower,
                cal.intercept_ci_upper,
                "logistic, slope fixed at 1",
            )
        )
        rows.append(("calibration_slope", cal.estimate, cal.ci_lower, cal.ci_upper, "logistic"))
    except (ValueError, np.linalg.LinAlgError) as exc:
        warnings.warn(f"calibration not estimable: {exc}", StatisticalWarning, stacklevel=2)
        rows.append(("calibration_intercept", np.nan, np.nan, np.nan, "logistic, slope fixed at 1"))
        rows.append(("calibration_slope", np.nan, np.nan, np.nan, "logistic"))
    out = pd.DataFrame(rows, columns=["metric", "estimate", "ci_lower", "ci_upper", "method"])
    out.insert(4, "conf_level", cl)
    return out


def roc_curve(y: npt.ArrayLike, prob: npt.ArrayLike) -> pd.DataFrame:
    """Empirical ROC curve.

    Parameters
    ----------
    y : array-like of {0, 1}
        Observed outcome, 1 = SSTR-positive.
    prob : array-like of float
        Scores, higher = more likely positive.

    Returns
    -------
    DataFrame
        One row per distinct threshold (plus the (0, 0) corner): ``threshold`` (scan called
        positive when ``prob >= threshold``; ``inf`` at the corner),
        ``false_positive_rate`` and ``true_positive_rate`` (proportions).

    Examples
    --------
    >>> from netstats import sstr
    >>> y = [0, 0, 1, 1, 0, 1, 1, 0]
    >>> prob = [0.1, 0.4, 0.35, 0.8, 0.2, 0.9, 0.6, 0.5]
    >>> sstr.roc_curve(y, prob).head(3)
       threshold  false_positive_rate  true_positive_rate
    0        inf                  0.0                0.00
    1        0.9                  0.0                0.25
    2        0.8                  0.0                0.50
    """
    yf, p = _check_outcome(y, prob)
    _check_both_classes(yf)
    fpr, tpr, thr = _sk_roc_curve(yf, p, drop_intermediate=False)
    return pd.DataFrame({"threshold": thr, "false_positive_rate": fpr, "true_positive_rate": tpr})

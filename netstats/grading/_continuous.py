"""Agreement of two continuous measurements: Bland-Altman, Lin's CCC, Shrout-Fleiss ICC."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import stats

from netstats._display import ResultDisplay, plural

__all__ = [
    "BlandAltmanResult",
    "bland_altman",
    "icc",
    "lin_ccc",
]


def _paired(x: npt.ArrayLike, y: npt.ArrayLike, min_n: int = 3) -> tuple[np.ndarray, np.ndarray]:
    a = np.asarray(x, dtype=float).ravel()
    b = np.asarray(y, dtype=float).ravel()
    if a.shape != b.shape:
        raise ValueError(f"first and second measurements differ in length ({a.size} vs {b.size})")
    if np.any(np.isnan(a)) or np.any(np.isnan(b)):
        raise ValueError("measurements contain missing values; drop incomplete pairs first")
    if a.size < min_n:
        raise ValueError(f"at least {min_n} complete pairs are needed, got {a.size}")
    return a, b


def _check_conf(conf_level: float) -> float:
    if not 0 < conf_level < 1:
        raise ValueError(f"conf_level must be in (0, 1), got {conf_level!r}")
    return float(conf_level)


@dataclass(frozen=True, repr=False)
class BlandAltmanResult(ResultDisplay):
    """Bland-Altman analysis of two paired measurements.

    Attributes
    ----------
    summary : pandas.DataFrame
        Rows ``bias``, ``loa_lower``, ``loa_upper``; columns ``statistic``, ``estimate``,
        ``se``, ``ci_lower``, ``ci_upper``, ``conf_level`` (on the analysis scale), and
        ``ratio``, ``ratio_ci_lower``, ``ratio_ci_upper`` (exp of the log-scale values, i.e.
        second / first, when ``log=True``; NaN otherwise).
    points : pandas.DataFrame
        One row per pair: ``mean`` and ``difference`` (second - first) on the analysis scale.
    log : bool
        Whether the measurements were log-transformed (natural log).
    offset : float
        Constant added before taking logs.
    n : int
        Number of pairs.

    Examples
    --------
    >>> from netstats.grading import bland_altman
    >>> bland_altman([2.0, 5.0, 10.0, 1.5], [3.0, 6.0, 9.0, 2.5])
    BlandAltmanResult
    Bland-Altman on the natural-log scale (log(x)), ratios second / first; bias and limits of agreement with 95% CIs; 4 pairs
    statistic  estimate     se  ci_lower  ci_upper  conf_level  ratio  ratio_ci_lower  ratio_ci_upper
         bias    0.2483 0.1363   -0.1856    0.6822        0.95  1.282          0.8306           1.978
    loa_lower   -0.2861 0.2573    -1.105    0.5326        0.95 0.7512          0.3313           1.703
    loa_upper    0.7827 0.2573  -0.03602     1.601        0.95  2.187          0.9646            4.96
    """

    summary: pd.DataFrame
    points: pd.DataFrame
    log: bool
    offset: float
    n: int

    @property
    def method(self) -> str:
        """One-line description (scale, difference, limits, pairs)."""
        conf = float(self.summary["conf_level"].iloc[0])
        if self.log:
            offset = f" + {self.offset:g}" if self.offset else ""
            scale = f"natural-log scale (log(x{offset})), ratios second / first"
        else:
            scale = "raw scale, differences second - first"
        return (
            f"Bland-Altman on the {scale}; bias and limits of agreement with "
            f"{conf:.0%} CIs; {plural(self.n, 'pair')}"
        )

    def to_frame(self) -> pd.DataFrame:
        """Same as :attr:`summary`."""
        return self.summary


def bland_altman(
    first: npt.ArrayLike,
    second: npt.ArrayLike,
    *,
    log: bool = True,
    offset: float = 0.0,
    loa_multiplier: float | None = None,
    conf_level: float = 0.95,
) -> BlandAltmanResult:
    """Bias and limits of agreement of two paired measurements, with confidence intervals.

    Parameters
    ----------
    first, second : array-like of float
        Paired measurements (e.g. Ki-67 % of primary and metastasis); no missing values.
    log : bool, default=True
        Analyse natural logs, so that the bias and limits back-transform to ratios
        second / first. Ki-67 differences grow with its level, so logs are the default.
    offset : float, default=0.0
        Added to both measurements before the log (needed when a value is 0).
    loa_multiplier : float, optional
        Limits are bias +/- multiplier * SD; default the normal quantile for ``conf_level``
        (1.96 for 95 %).
    conf_level : float, default=0.95
        Level of the limits of agreement and of the CIs.

    Returns
    -------
    BlandAltmanResult
        Bias and limits with CIs (``summary``, log and ratio scales) and the plotted points.

    Raises
    ------
    ValueError
        Fewer than 3 pairs, missing values, or non-positive values on the log scale.

    Notes
    -----
    Differences are second - first. SE(bias) = s / sqrt(n); SE(limit) = s sqrt(1/n +
    z^2 / (2 (n - 1))) (Bland & Altman 1999, section 5.1); CIs use the t distribution with
    n - 1 df. The pairs are assumed independent; for several pairs per patient use
    :func:`netstats.grading.concordance`, which bootstraps patients.

    References
    ----------
    Bland JM, Altman DG. Lancet 1986;i:307-310. Bland JM, Altman DG. Stat Methods Med Res
    1999;8:135-160.

    Examples
    --------
    >>> ba = bland_altman([2.0, 5.0, 10.0, 1.5], [3.0, 6.0, 9.0, 2.5])
    >>> ba.summary["statistic"].tolist()
    ['bias', 'loa_lower', 'loa_upper']
    """
    conf = _check_conf(conf_level)
    a, b = _paired(first, second)
    if log:
        if np.any(a + offset <= 0) or np.any(b + offset <= 0):
            raise ValueError("values + offset must be > 0 for log=True; pass offset (e.g. 0.5)")
        a = np.log(a + offset)
        b = np.log(b + offset)
    n = a.size
    d = b - a
    bias = float(d.mean())
    s = float(d.std(ddof=1))
    z = float(stats.norm.ppf(0.5 + conf / 2)) if loa_multiplier is None else float(loa_multiplier)
    t = float(stats.t.ppf(0.5 + conf / 2, n - 1))
    se_bias = s / np.sqrt(n)
    se_loa = s * np.sqrt(1 / n + z**2 / (2 * (n - 1)))
    est = np.array([bias, bias - z * s, bias + z * s])
    se = np.array([se_bias, se_loa, se_loa])
    lo = est - t * se
    hi = est + t * se
    summ = pd.DataFrame(
        {
            "statistic": ["bias", "loa_lower", "loa_upper"],
            "estimate": est,
            "se": se,
            "ci_lower": lo,
            "ci_upper": hi,
            "conf_level": conf,
            "ratio": np.exp(est) if log else np.nan,
            "ratio_ci_lower": np.exp(lo) if log else np.nan,
            "ratio_ci_upper": np.exp(hi) if log else np.nan,
        }
    )
    points = pd.DataFrame({"mean": (a + b) / 2, "difference": d})
    return BlandAltmanResult(summary=summ, points=points, log=log, offset=float(offset), n=n)


def lin_ccc(
    first: npt.ArrayLike, second: npt.ArrayLike, *, conf_level: float = 0.95
) -> pd.DataFrame:
    """Lin's concordance correlation coefficient with a Fisher-z confidence interval.

    Parameters
    ----------
    first, second : array-like of float
        Paired measurements (at least 3 pairs, no missing values).
    conf_level : float, default=0.95
        Confidence level.

    Returns
    -------
    pandas.DataFrame
        One row: ``statistic`` ("ccc"), ``estimate``, ``se`` (of z = atanh(ccc)),
        ``ci_lower``, ``ci_upper``, ``conf_level``, ``pearson_r``, ``bias_correction``
        (C_b = ccc / r), ``n``.

    Notes
    -----
    Variances and covariance use divisor n (Lin 1989). The SE of z = atanh(ccc) is Lin's
    (1989, 2000) delta-method formula with n - 2 in the denominator, as in
    ``epiR::epi.ccc(ci = "z-transform")``.

    References
    ----------
    Lin LI-K. Biometrics 1989;45:255-268; correction Biometrics 2000;56:324-325.

    Examples
    --------
    >>> round(float(lin_ccc([1, 2, 3, 4], [1, 2, 3, 4])["estimate"].iloc[0]), 6)
    1.0
    """
    conf = _check_conf(conf_level)
    x, y = _paired(first, second)
    n = x.size
    sx2 = x.var()
    sy2 = y.var()
    if sx2 == 0 or sy2 == 0:
        raise ValueError("a measurement is constant; the CCC is undefined")
    sxy = np.mean((x - x.mean()) * (y - y.mean()))
    r = sxy / np.sqrt(sx2 * sy2)
    rho = 2 * sxy / (sx2 + sy2 + (x.mean() - y.mean()) ** 2)
    if np.isclose(abs(rho), 1.0):
        se = 0.0
        lo = hi = rho
    else:
        u = (y.mean() - x.mean()) / (sx2 * sy2) ** 0.25
        se = np.sqrt(
            (1 - r**2) * rho**2 / ((1 - rho**2) * r**2)
            + 2 * rho**3 * (1 - rho) * u**2 / (r * (1 - rho**2) ** 2)
            - rho**4 * u**4 / (2 * r**2 * (1 - rho**2) ** 2)
        ) / np.sqrt(n - 2)
        zq = stats.norm.ppf(0.5 + conf / 2)
        zr = np.arctanh(rho)
        lo, hi = np.tanh(zr - zq * se), np.tanh(zr + zq * se)
    return pd.DataFrame(
        {
            "statistic": ["ccc"],
            "estimate": [float(rho)],
            "se": [float(se)],
            "ci_lower": [float(lo)],
            "ci_upper": [float(hi)],
            "conf_level": [conf],
            "pearson_r": [float(r)],
            "bias_correction": [float(rho / r)],
            "n": [n],
        }
    )


def _mean_squares(x: np.ndarray) -> tuple[float, float, float, float]:
    """Two-way ANOVA mean squares (subjects, raters, residual, within) of an n x k array."""
    n, k = x.shape
    grand = x.mean()
    ss_b = k * np.sum((x.mean(1) - grand) ** 2)
    ss_j = n * np.sum((x.mean(0) - grand) ** 2)
    ss_e = np.sum((x - grand) ** 2) - ss_b - ss_j
    msb = ss_b / (n - 1)
    msj = ss_j / (k - 1)
    mse = ss_e / ((n - 1) * (k - 1))
    msw = (ss_j + ss_e) / (n * (k - 1))
    return msb, msj, mse, msw


def _icc_estimates(x: np.ndarray) -> np.ndarray:
    """ICC1, ICC2, ICC3, ICC1k, ICC2k, ICC3k of an n x k array (NaN if undefined)."""
    n, k = x.shape
    msb, msj, mse, msw = _mean_squares(x)
    if msb == 0:
        return np.full(6, np.nan)
    return np.array(
        [
            (msb - msw) / (msb + (k - 1) * msw),
            (msb - mse) / (msb + (k - 1) * mse + k * (msj - mse) / n),
            (msb - mse) / (msb + (k - 1) * mse),
            (msb - msw) / msb,
            (msb - mse) / (msb + (msj - mse) / n),
            (msb - mse) / msb,
        ]
    )


def icc(first: npt.ArrayLike, second: npt.ArrayLike, *, conf_level: float = 0.95) -> pd.DataFrame:
    """Shrout-Fleiss intraclass correlation coefficients (six forms) with F-based CIs.

    Parameters
    ----------
    first, second : array-like of float
        Two measurements per subject (at least 3 subjects, no missing values).
    conf_level : float, default=0.95
        Confidence level.

    Returns
    -------
    pandas.DataFrame
        Six rows, ``statistic`` in ICC1, ICC2, ICC3, ICC1k, ICC2k, ICC3k; columns
        ``description``, ``estimate``, ``f_statistic``, ``df1``, ``df2``, ``p_value``
        (H0: ICC = 0), ``ci_lower``, ``ci_upper``, ``conf_level``, ``n``.

    Notes
    -----
    Two-way ANOVA mean squares (subjects, raters, residual) with k = 2. ICC1: one-way random
    (absolute agreement); ICC2: two-way random, absolute agreement; ICC3: two-way mixed,
    consistency; ``k`` forms are for the mean of the k ratings. CIs as Shrout & Fleiss
    (1979) and McGraw & Wong (1996), ICC2 with Satterthwaite's approximate df, as in
    ``psych::ICC(lmer = FALSE)``. For primary vs metastasis the natural choice is ICC2 (or
    ICC1, since "first" and "second" are not fixed raters).

    References
    ----------
    Shrout PE, Fleiss JL. Psychol Bull 1979;86:420-428. McGraw KO, Wong SP. Psychol Methods
    1996;1:30-46.

    Examples
    --------
    >>> icc([1, 2, 3, 4], [1.1, 2.2, 2.9, 4.2])["statistic"].tolist()[:3]
    ['ICC1', 'ICC2', 'ICC3']
    """
    conf = _check_conf(conf_level)
    a, b = _paired(first, second)
    x = np.column_stack([a, b])
    msb, msj, mse, msw = _mean_squares(x)
    if msb == 0:
        raise ValueError("no variation between subjects; the ICC is undefined")
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        return _icc_table(x, msb, msj, mse, msw, conf)


def _icc_table(
    x: np.ndarray, msb: float, msj: float, mse: float, msw: float, conf: float
) -> pd.DataFrame:
    """The six ICCs with F statistics and CIs; perfect agreement (F infinite) gives limits 1."""
    n, k = x.shape
    icc1, icc2, icc3, icc1k, icc2k, icc3k = _icc_estimates(x)
    f1 = msb / msw
    df1n, df1d = n - 1, n * (k - 1)
    f3 = msb / mse
    df3n, df3d = n - 1, (n - 1) * (k - 1)
    q = 0.5 + conf / 2
    f1l = f1 / stats.f.ppf(q, df1n, df1d)
    f1u = f1 * stats.f.ppf(q, df1d, df1n)
    f3l = f3 / stats.f.ppf(q, df3n, df3d)
    f3u = f3 * stats.f.ppf(q, df3d, df3n)
    fj = msj / mse
    vn = (k - 1) * (n - 1) * (k * icc2 * fj + n * (1 + (k - 1) * icc2) - k * icc2) ** 2
    vd = (n - 1) * k**2 * icc2**2 * fj**2 + (n * (1 + (k - 1) * icc2) - k * icc2) ** 2
    v = vn / vd
    fu = stats.f.ppf(q, n - 1, v)
    fl = stats.f.ppf(q, v, n - 1)
    l2 = n * (msb - fu * mse) / (fu * (k * msj + (k * n - k - n) * mse) + n * msb)
    u2 = n * (fl * msb - mse) / (k * msj + (k * n - k - n) * mse + n * fl * msb)
    rows = [
        (
            "ICC1",
            "single rater, one-way random, absolute",
            icc1,
            f1,
            df1n,
            df1d,
            (f1l - 1) / (f1l + k - 1),
            (f1u - 1) / (f1u + k - 1),
        ),
        ("ICC2", "single rater, two-way random, absolute agreement", icc2, f3, df3n, df3d, l2, u2),
        (
            "ICC3",
            "single rater, two-way mixed, consistency",
            icc3,
            f3,
            df3n,
            df3d,
            (f3l - 1) / (f3l + k - 1),
            (f3u - 1) / (f3u + k - 1),
        ),
        (
            "ICC1k",
            "mean of k raters, one-way random, absolute",
            icc1k,
            f1,
            df1n,
            df1d,
            1 - 1 / f1l,
            1 - 1 / f1u,
        ),
        (
            "ICC2k",
            "mean of k raters, two-way random, absolute agreement",
            icc2k,
            f3,
            df3n,
            df3d,
            l2 * k / (1 + l2 * (k - 1)),
            u2 * k / (1 + u2 * (k - 1)),
        ),
        (
            "ICC3k",
            "mean of k raters, two-way mixed, consistency",
            icc3k,
            f3,
            df3n,
            df3d,
            1 - 1 / f3l,
            1 - 1 / f3u,
        ),
    ]
    out = pd.DataFrame(
        rows,
        columns=[
            "statistic",
            "description",
            "estimate",
            "f_statistic",
            "df1",
            "df2",
            "ci_lower",
            "ci_upper",
        ],
    )
    for col in ("ci_lower", "ci_upper"):
        out[col] = np.where(np.isinf(out["f_statistic"]), 1.0, out[col])
    out["p_value"] = stats.f.sf(out["f_statistic"], out["df1"], out["df2"])
    out["conf_level"] = conf
    out["n"] = n
    return out[
        [
            "statistic",
            "description",
            "estimate",
            "f_statistic",
            "df1",
            "df2",
            "p_value",
            "ci_lower",
            "ci_upper",
            "conf_level",
            "n",
        ]
    ]

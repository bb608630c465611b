"""Log-rank and weighted log-rank tests (k groups, stratified) and pairwise comparisons."""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import combinations
from typing import Literal, cast

import numpy as np
import pandas as pd

from netstats._display import ResultDisplay, plural
from netstats.exceptions import SchemaError
from netstats.survival._checks import check_survival_data
from netstats.survival._dist import chi2_sf
from netstats.survival._km import risk_counts

__all__ = ["LogrankResult", "logrank", "pairwise_logrank"]

Weights = Literal["logrank", "gehan-breslow", "tarone-ware", "fleming-harrington"]
_WEIGHTS = ("logrank", "gehan-breslow", "tarone-ware", "fleming-harrington")
_P_ADJUST = {"holm": "holm", "bonferroni": "bonferroni", "BH": "fdr_bh"}
Variance = Literal["hypergeometric", "breslow"]
_VARIANCES = ("hypergeometric", "breslow")


def _stratum_scores(
    t: np.ndarray,
    e: np.ndarray,
    gi: np.ndarray,
    k: int,
    weights: str,
    p: float,
    q: float,
    case_weights: np.ndarray | None = None,
    variance: str = "hypergeometric",
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Weighted observed, expected and covariance of O - E within one stratum.

    ``gi`` holds integer group codes 0..k-1. Vectorised over the distinct event times.
    With ``case_weights`` every count is a sum of weights; the last value returned (events
    per group) always counts rows.
    """
    _, _, d_k, n_k = risk_counts(t, e, gi, k, weights=case_weights)
    has_event = d_k.sum(axis=1) > 0
    rows_k = d_k if case_weights is None else risk_counts(t, e, gi, k)[2]
    d_k = d_k[has_event]
    n_k = n_k[has_event]
    if d_k.shape[0] == 0:
        return np.zeros(k), np.zeros(k), np.zeros((k, k)), np.zeros(k)
    n = n_k.sum(axis=1)
    d = d_k.sum(axis=1)
    if weights == "logrank":
        w = np.ones_like(n)
    elif weights == "gehan-breslow":
        w = n
    elif weights == "tarone-ware":
        w = np.sqrt(n)
    else:
        s_left = np.concatenate(([1.0], np.cumprod(1.0 - d / n)[:-1]))
        w = s_left**p * (1.0 - s_left) ** q
    share = n_k / n[:, None]
    obs = (w[:, None] * d_k).sum(axis=0)
    exp = (w[:, None] * d[:, None] * share).sum(axis=0)
    if variance == "breslow":
        fac = d  # score test of the Cox model, Breslow ties: d [diag(p) - p p']
    else:
        with np.errstate(divide="ignore", invalid="ignore"):
            fac = np.where(n > 1, d * (n - d) / (n - 1), 0.0)
    a = w**2 * fac
    cov = np.diag((a[:, None] * share).sum(axis=0)) - np.einsum("t,ti,tj->ij", a, share, share)
    return obs, exp, cov, rows_k.sum(axis=0)


def _chisq(u: np.ndarray, cov: np.ndarray) -> tuple[float, int]:
    """Quadratic form U' V^- U and its df.

    V has rows summing to zero, so one group is dropped (as R ``survdiff`` does); a group
    with no one at risk at any event time leaves the reduced matrix singular, handled with a
    pseudo-inverse and a correspondingly smaller df.
    """
    red = cov[1:, 1:]
    scale = float(np.abs(red).max()) if red.size else 0.0
    if scale == 0.0:
        return 0.0, 0
    tol = 1e-10 * scale
    rank = int(np.linalg.matrix_rank(red, tol=tol))
    if rank == red.shape[0]:
        return float(u[1:] @ np.linalg.solve(red, u[1:])), rank
    return float(u[1:] @ np.linalg.pinv(red, rcond=1e-10) @ u[1:]), rank


def _check_options(weights: str, p: float, q: float, variance: str = "hypergeometric") -> None:
    if variance not in _VARIANCES:
        raise ValueError(f"variance must be one of {_VARIANCES}, got {variance!r}")
    if weights not in _WEIGHTS:
        raise ValueError(f"weights must be one of {_WEIGHTS}, got {weights!r}")
    for name, v in (("p", p), ("q", q)):
        if isinstance(v, bool) or not isinstance(v, int | float | np.floating):
            raise TypeError(f"{name} must be a number >= 0, got {type(v).__name__}")
        if not np.isfinite(v) or v < 0:
            raise ValueError(f"{name} must be finite and >= 0, got {v!r}")
    if weights != "fleming-harrington" and (p != 0 or q != 0):
        raise ValueError(f"p and q apply only to weights='fleming-harrington', not {weights!r}")


_WEIGHT_TEXT = {
    "logrank": "equal weights",
    "gehan-breslow": "weights n at risk",
    "tarone-ware": "weights sqrt(n at risk)",
    "fleming-harrington": "weights S(t-)^p (1 - S(t-))^q",
}


@dataclass(frozen=True, repr=False)
class LogrankResult(ResultDisplay):
    """Result of :func:`logrank`.

    Attributes
    ----------
    statistic : float
        Chi-square statistic.
    df : int
        Degrees of freedom (number of groups - 1).
    p_value : float
        Upper-tail chi-square p-value.
    weights : str
        Weight function used.
    p, q : float
        Fleming-Harrington exponents (0 unless ``weights="fleming-harrington"``).
    strata : str or None
        The stratification column.
    summary : pandas.DataFrame
        One row per group: ``group``, ``n``, ``n_events`` (rows, never weighted),
        ``observed`` and ``expected`` (weighted sums, as R ``survdiff`` reports them; plain
        counts for the log-rank weights without case weights), ``variance`` (diagonal of
        the covariance of O - E). With case weights two columns follow ``n_events``:
        ``weighted_n`` and ``weighted_events`` (sums of the case weights).
    case_weights : str or None
        The case-weight column (None: unweighted).
    variance : str
        "hypergeometric" (R ``survdiff``) or "breslow" (score test of R ``coxph``).

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"time": [2.0, 4, 6, 9, 12, 3, 5, 7, 8, 15],
    ...                    "event": [1, 1, 0, 1, 0, 1, 1, 1, 0, 1],
    ...                    "arm": ["<a>"] * 5 + ["b"] * 5})
    >>> from netstats.survival import logrank
    >>> logrank(df, group="arm")
    LogrankResult
    log-rank test (equal weights), 2 groups, 10 rows, 7 events: chi2 = 0.002502 on 1 df, p = 0.9601
    group  n  n_events  observed  expected  variance
      <a>  5         3         3      2.94     1.454
        b  5         4         4      4.06     1.454
    """

    statistic: float
    df: int
    p_value: float
    weights: str
    p: float
    q: float
    strata: str | None
    summary: pd.DataFrame = field(repr=False)
    case_weights: str | None = None
    variance: str = "hypergeometric"

    @property
    def method(self) -> str:
        """One-line description of the test."""
        name = {
            "logrank": "log-rank",
            "gehan-breslow": "Gehan-Breslow (Wilcoxon)",
            "tarone-ware": "Tarone-Ware",
            "fleming-harrington": f"Fleming-Harrington G(p={self.p:g}, q={self.q:g})",
        }[self.weights]
        strat = f", stratified by {self.strata}" if self.strata else ""
        n = int(self.summary["n"].sum())
        n_events = int(self.summary["n_events"].sum())
        sizes = f"{n} rows, {plural(n_events, 'event')}"
        extra = ""
        if self.case_weights:
            w_n = float(self.summary["weighted_n"].sum())
            w_d = float(self.summary["weighted_events"].sum())
            extra = f", case weights {self.case_weights}"
            sizes += f" (unweighted; weighted n = {w_n:.4g}, events = {w_d:.4g})"
        if self.variance == "breslow":
            extra += ", Cox score-test variance (Breslow ties)"
        return (
            f"{name} test ({_WEIGHT_TEXT[self.weights]}){strat}{extra}, "
            f"{plural(len(self.summary), 'group')}, {sizes}: chi2 = {self.statistic:.4g} on "
            f"{self.df} df, p = {self.p_value:.4g}"
        )

    def _display_frame(self) -> pd.DataFrame:
        return self.summary

    def to_frame(self) -> pd.DataFrame:
        """One-row tidy table: ``test``, ``weights``, ``p``, ``q``, ``strata``,
        ``statistic``, ``df``, ``p_value``."""
        return pd.DataFrame(
            [
                {
                    "test": "logrank",
                    "weights": self.weights,
                    "p": self.p,
                    "q": self.q,
                    "strata": self.strata,
                    "statistic": self.statistic,
                    "df": self.df,
                    "p_value": self.p_value,
                }
            ]
        )


def _logrank_arrays(
    t: np.ndarray,
    e: np.ndarray,
    codes: np.ndarray,
    strata: np.ndarray | None,
    levels: list[object],
    weights: str,
    p: float,
    q: float,
    case_weights: np.ndarray | None = None,
    variance: str = "hypergeometric",
) -> tuple[float, int, float, pd.DataFrame]:
    k = len(levels)
    obs = np.zeros(k)
    exp = np.zeros(k)
    cov = np.zeros((k, k))
    n_events = np.zeros(k)
    blocks = [slice(None)] if strata is None else [strata == c for c in np.unique(strata)]
    for m in blocks:
        cw = None if case_weights is None else case_weights[m]
        o, x, c, dk = _stratum_scores(t[m], e[m], codes[m], k, weights, p, q, cw, variance)
        obs += o
        exp += x
        cov += c
        n_events += dk
    stat, df = _chisq(obs - exp, cov)
    pval = float(chi2_sf(stat, df)) if df > 0 else np.nan
    weighted = {}
    if case_weights is not None:
        weighted = {
            "weighted_n": np.bincount(codes, weights=case_weights, minlength=k),
            "weighted_events": np.bincount(codes, weights=case_weights * e, minlength=k),
        }
    summary = pd.DataFrame(
        {
            "group": levels,
            "n": np.bincount(codes, minlength=k).astype(np.int64),
            "n_events": n_events.astype(np.int64),
            **weighted,
            "observed": obs,
            "expected": exp,
            "variance": np.diag(cov).copy(),
        }
    )
    return stat, df, pval, summary


def logrank(
    data: pd.DataFrame,
    *,
    time: str = "time",
    event: str = "event",
    group: str,
    strata: str | None = None,
    weights: Weights = "logrank",
    p: float = 0.0,
    q: float = 0.0,
    case_weights: str | None = None,
    variance: Variance = "hypergeometric",
) -> LogrankResult:
    """Compare survival curves of k groups with a (weighted, stratified) log-rank test.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per subject; not modified.
    time : str, default="time"
        Follow-up time in months.
    event : str, default="event"
        Event indicator (bool or 0/1).
    group : str
        Column with the groups to compare (at least two levels).
    strata : str or None, default=None
        Column whose levels are separate strata: the O - E and variances are summed over
        strata (R ``survdiff(... + strata(x))``).
    weights : {"logrank", "gehan-breslow", "tarone-ware", "fleming-harrington"}
        Weight at each event time t: 1; n(t) (Gehan 1965, Breslow 1970); sqrt(n(t))
        (Tarone & Ware 1977); S(t-)^p (1 - S(t-))^q with S the pooled Kaplan-Meier within
        the stratum (Harrington & Fleming 1982).
    p, q : float, default=0
        Fleming-Harrington exponents. ``p=1, q=0`` is the Peto-Peto-Prentice test, R's
        ``survdiff(rho=1)``.
    case_weights : str or None, default=None
        Column with case (frequency) weights, finite and >= 0; zero-weight rows are
        dropped. Not to be confused with ``weights``, the weight function over time.
    variance : {"hypergeometric", "breslow"}, default="hypergeometric"
        Covariance of O - E: "hypergeometric" as R ``survdiff`` (exact for tied events);
        "breslow" without the tie factor ``(n - d) / (n - 1)``, i.e. the score test of R
        ``coxph(Surv(time, event) ~ group, ties="breslow")``.

    Returns
    -------
    LogrankResult
        ``statistic``, ``df``, ``p_value`` and ``summary`` with one row per group:
        ``group``, ``n``, ``n_events`` (rows), ``weighted_n`` and ``weighted_events``
        (with case weights only), ``observed`` and ``expected`` (weighted sums of events,
        as R ``survdiff``), ``variance`` (variance of weighted O - E).

    Raises
    ------
    netstats.exceptions.SchemaError
        Invalid columns, or fewer than two groups.
    ValueError, TypeError
        Invalid ``weights``, ``p`` or ``q``.

    Notes
    -----
    The statistic is ``U' V^- U`` with ``U = O - E`` (weighted) and the hypergeometric
    covariance ``V = sum w^2 d (n - d) / (n - 1) [diag(n_k/n) - n_k n_l / n^2]`` (exact
    for ties, as in R ``survdiff``); df is the rank of V (k - 1).

    Case weights replace every count (n, n_k, d, d_k, and the pooled Kaplan-Meier of the
    Fleming-Harrington weights) by the sum of the weights. R ``survdiff`` has no weights:
    with integer weights the hypergeometric statistic equals ``survdiff`` on the data with
    each row repeated that many times; with any weights O - E equals the score of
    ``coxph(..., weights=, ties="breslow")`` at beta = 0, and ``variance="breslow"`` gives
    that model's score test exactly. Neither is a robust (sandwich) test: the weights
    count as frequencies, so scaling them all by c scales the statistic by c.

    References
    ----------
    Mantel N (1966). Cancer Chemother Rep 50:163-170. Harrington DP, Fleming TR (1982).
    A class of rank test procedures for censored survival data. Biometrika 69:553-566.
    Tarone RE, Ware J (1977). Biometrika 64:156-160. Therneau TM: survival::survdiff.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"time": [1, 2, 3, 4, 5, 6], "event": 1, "arm": list("aabbab")})
    >>> round(logrank(df, group="arm").statistic, 4)
    0.899
    >>> df["w"] = [1.0, 2.0, 1.0, 0.5, 1.0, 1.0]
    >>> logrank(df, group="arm", case_weights="w").summary[["group", "n", "weighted_n"]]
      group  n  weighted_n
    0     a  3         4.0
    1     b  3         2.5
    """
    _check_options(weights, p, q, variance)
    clean = check_survival_data(
        data, time=time, event=event, group=group, strata=strata, weights=case_weights
    ).positive()
    levels = list(clean.group_levels)
    if len(levels) < 2:
        raise SchemaError(f"{group}: need at least two groups to compare, found {levels}")
    codes = cast(np.ndarray, clean.group)  # not None: a group column was given
    stat, df, pval, summary = _logrank_arrays(
        clean.time,
        clean.event,
        codes,
        clean.strata,
        levels,
        weights,
        float(p),
        float(q),
        clean.weights,
        variance,
    )
    return LogrankResult(
        statistic=stat,
        df=df,
        p_value=pval,
        weights=weights,
        p=float(p),
        q=float(q),
        strata=strata,
        summary=summary,
        case_weights=case_weights,
        variance=variance,
    )


def pairwise_logrank(
    data: pd.DataFrame,
    *,
    time: str = "time",
    event: str = "event",
    group: str,
    strata: str | None = None,
    weights: Weights = "logrank",
    p: float = 0.0,
    q: float = 0.0,
    p_adjust: Literal["holm", "bonferroni", "BH"] = "holm",
    case_weights: str | None = None,
    variance: Variance = "hypergeometric",
) -> pd.DataFrame:
    """Log-rank tests between every pair of groups, with a multiplicity adjustment.

    Parameters
    ----------
    data, time, event, group, strata, weights, p, q
        As in :func:`logrank`; each pair is tested on the rows of its two groups only.
    p_adjust : {"holm", "bonferroni", "BH"}, default="holm"
        Adjustment of the p-values over all pairs (Benjamini-Hochberg for "BH").
    case_weights, variance
        As in :func:`logrank`.

    Returns
    -------
    pandas.DataFrame
        One row per pair: ``group_a``, ``group_b``, ``statistic`` (chi-square, 1 df),
        ``p_value`` (unadjusted), ``p_adjusted``, ``p_adjust`` (method name), ``weights``.

    Notes
    -----
    Adjustment by ``statsmodels.stats.multitest.multipletests``, which matches R
    ``p.adjust``.

    References
    ----------
    Holm S (1979). Scand J Stat 6:65-70. Benjamini Y, Hochberg Y (1995). JRSS-B 57:289-300.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"time": range(1, 10), "event": 1, "arm": list("abcabcabc")})
    >>> pairwise_logrank(df, group="arm")[["group_a", "group_b"]].values.tolist()
    [['a', 'b'], ['a', 'c'], ['b', 'c']]
    """
    if p_adjust not in _P_ADJUST:
        raise ValueError(f"p_adjust must be one of {tuple(_P_ADJUST)}, got {p_adjust!r}")
    _check_options(weights, p, q, variance)
    clean = check_survival_data(
        data, time=time, event=event, group=group, strata=strata, weights=case_weights
    ).positive()
    levels = list(clean.group_levels)
    if len(levels) < 2:
        raise SchemaError(f"{group}: need at least two groups to compare, found {levels}")
    codes = cast(np.ndarray, clean.group)  # not None: a group column was given
    rows = []
    for (ia, a), (ib, b) in combinations(enumerate(levels), 2):
        m = (codes == ia) | (codes == ib)
        stat, _, pval, _ = _logrank_arrays(
            clean.time[m],
            clean.event[m],
            (codes[m] == ib).astype(np.int64),
            None if clean.strata is None else clean.strata[m],
            [a, b],
            weights,
            float(p),
            float(q),
            None if clean.weights is None else clean.weights[m],
            variance,
        )
        rows.append({"group_a": a, "group_b": b, "statistic": stat, "p_value": pval})
    from statsmodels.stats.multitest import multipletests  # 0.6 s of imports: on first use

    out = pd.DataFrame(rows)
    out["p_adjusted"] = multipletests(out["p_value"], method=_P_ADJUST[p_adjust])[1]
    out["p_adjust"] = p_adjust
    out["weights"] = weights
    return out

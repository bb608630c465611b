"""Kaplan-Meier estimator with Greenwood variance, R-compatible CIs, quantiles and landmarks.

Case weights (``weights=``) and the infinitesimal-jackknife variance (``variance="robust"``)
follow R ``survfit``; the CI transforms are R's five (log, log-log, plain, logit, arcsin).

The estimator is written in vectorised NumPy (sorted cumulative sums), which is both exact
and faster than calling lifelines or statsmodels (see issue 9); the tests cross-check it
against R's ``survfit`` and against lifelines.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from netstats._display import ResultDisplay, plural
from netstats.exceptions import StatisticalWarning
from netstats.survival._checks import SurvivalData, check_survival_data
from netstats.survival._dist import norm_ppf
from netstats.survival._influence import aj_influence_variance

__all__ = ["KaplanMeierResult", "kaplan_meier", "km_table"]

ConfType = Literal["log", "log-log", "plain", "logit", "arcsin"]
_CONF_TYPES = ("log", "log-log", "plain", "logit", "arcsin")
KmVariance = Literal["greenwood", "robust"]
_KM_VARIANCES = ("greenwood", "robust")
#: Columns added to a weighted table: R ``survfit``'s ``n.risk``, ``n.event``, ``n.censor``.
WEIGHTED_COLUMNS = ["weighted_at_risk", "weighted_events", "weighted_censored"]
#: Fraction of a group's subjects still at risk below which the tail of a curve is "sparse"
#: (Pocock, Clayton & Altman 2002 advise curtailing curves around 10-20 % at risk).
SPARSE_TAIL_FRACTION = 0.10
#: Tolerance R's ``quantile.survfit`` uses to decide that a curve equals a probability.
_QUANTILE_TOL = float(np.sqrt(np.finfo(float).eps))

SUMMARY_COLUMNS = [
    "group",
    "time",
    "n_at_risk",
    "n_events",
    "n_censored",
    "survival",
    "std_err",
    "std_err_cumhaz",
    "ci_lower",
    "ci_upper",
    "conf_level",
    "conf_type",
]


def _check_conf(conf_level: float, conf_type: str) -> None:
    if isinstance(conf_level, bool) or not isinstance(conf_level, int | float | np.floating):
        raise TypeError(f"conf_level must be a number in (0, 1), got {type(conf_level).__name__}")
    if not 0.0 < float(conf_level) < 1.0:
        raise ValueError(f"conf_level must be in (0, 1), got {conf_level!r}")
    if conf_type not in _CONF_TYPES:
        raise ValueError(f"conf_type must be one of {_CONF_TYPES}, got {conf_type!r}")


def _check_variance(variance: str) -> None:
    if variance not in _KM_VARIANCES:
        raise ValueError(f"variance must be one of {_KM_VARIANCES}, got {variance!r}")


#: Rows probed to choose between hashing (many ties) and sorting (mostly distinct times).
_PROBE = 4096


def _time_codes(time: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct times in increasing order and each row's position among them.

    With many ties (dates at day resolution) hashing (``pandas.factorize``, O(n)) and then
    sorting only the distinct values is fastest; with mostly distinct times one argsort of
    all rows is. The choice, made on the first rows, changes speed only, never the result.
    """
    n = time.size
    probe = time[:_PROBE]
    if n > _PROBE and pd.unique(probe).size > 0.5 * probe.size:
        order = np.argsort(time)
        ts = time[order]
        new = np.empty(n, dtype=bool)
        new[0] = True
        np.not_equal(ts[1:], ts[:-1], out=new[1:])
        pos = np.empty(n, dtype=np.int64)
        pos[order] = np.cumsum(new) - 1
        return ts[new], pos
    codes, uniq = pd.factorize(time, sort=False)
    order = np.argsort(uniq)
    rank = np.empty(order.size, dtype=np.int64)
    rank[order] = np.arange(order.size)
    return np.asarray(uniq)[order], rank[codes]


def risk_counts(
    time: np.ndarray,
    event: np.ndarray,
    groups: np.ndarray | None = None,
    n_groups: int = 1,
    entry: np.ndarray | None = None,
    weights: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Risk-set counts at every distinct exit time, by group, in one pass.

    Parameters
    ----------
    time, event : numpy.ndarray
        Exit times and event flags.
    groups : numpy.ndarray of int or None
        Group codes 0..n_groups-1 (None: one group).
    n_groups : int
        Number of groups.
    entry : numpy.ndarray or None
        Delayed-entry times (at risk at t when entry < t <= time).
    weights : numpy.ndarray or None
        Case weights: the counts are then sums of weights.

    Returns
    -------
    tuple of numpy.ndarray
        ``times`` (u,), ``n_exit`` (u, k), ``n_events`` (u, k), ``n_at_risk`` (u, k), all
        counts as float.
    """
    ut, pos = _time_codes(time)
    u = ut.size
    k = n_groups
    cell = pos if groups is None else pos * k + groups
    w_ev = event.astype(float) if weights is None else weights * event
    n_exit = np.bincount(cell, weights=weights, minlength=u * k).reshape(u, k).astype(float)
    n_ev = np.bincount(cell, weights=w_ev, minlength=u * k).reshape(u, k)
    # at risk at t_j: exits at or after t_j (reverse cumulative sum)
    n_risk = np.cumsum(n_exit[::-1], axis=0)[::-1]
    if entry is not None:
        # minus those entering at or after t_j: entry >= t_j  <=>  j < #(times <= entry)
        after = np.searchsorted(ut, entry, side="right")
        cell_e = after if groups is None else after * k + groups
        late = np.bincount(cell_e, weights=weights, minlength=(u + 1) * k).reshape(u + 1, k)
        n_risk = n_risk - np.cumsum(late[::-1], axis=0)[::-1][1:]
    return ut, n_exit, n_ev, n_risk


def _km_arrays(
    time: np.ndarray,
    event: np.ndarray,
    entry: np.ndarray | None,
    weights: np.ndarray | None = None,
    variance: str = "greenwood",
) -> dict[str, np.ndarray]:
    """KM table for one group: one row per distinct exit time (event or censoring).

    With ``weights`` (all > 0) the estimate uses weighted counts; the ``n_*`` columns stay
    row counts and the weighted sums are added as ``weighted_*``.
    """
    ut, n_exit, n_ev, n_risk_k = risk_counts(time, event, entry=entry)
    out: dict[str, np.ndarray] = {
        "time": ut,
        "n_at_risk": n_risk_k[:, 0].astype(np.int64),
        "n_events": n_ev[:, 0].astype(np.int64),
        "n_censored": (n_exit[:, 0] - n_ev[:, 0]).astype(np.int64),
    }
    if weights is not None:
        _, n_exit, n_ev, n_risk_k = risk_counts(time, event, entry=entry, weights=weights)
        out["weighted_at_risk"] = n_risk_k[:, 0]
        out["weighted_events"] = n_ev[:, 0]
        out["weighted_censored"] = n_exit[:, 0] - n_ev[:, 0]
    d = n_ev[:, 0]
    n_risk = n_risk_k[:, 0]
    with np.errstate(divide="ignore", invalid="ignore"):
        surv = np.cumprod(1.0 - d / n_risk)
        green = np.cumsum(d / (n_risk * (n_risk - d)))
    if variance == "robust":
        w = np.ones(time.size) if weights is None else weights
        var_s, _ = aj_influence_variance(time, event.astype(np.int64), w, entry, ut, [])
        with np.errstate(divide="ignore", invalid="ignore"):
            # on the log S scale, like the Greenwood column; a zero SE stays zero (also
            # where S is 0), as in R's conversion for the CI
            se_h = np.where((var_s == 0) | (surv == 0), 0.0, np.sqrt(var_s) / surv)
    else:
        # R reports an infinite cumulative-hazard SE once the curve reaches zero.
        se_h = np.sqrt(green)
    out["survival"] = surv
    out["std_err_cumhaz"] = se_h
    return out


def _confint(
    surv: np.ndarray, se_h: np.ndarray, conf_level: float, conf_type: str
) -> tuple[np.ndarray, np.ndarray]:
    """Pointwise CI exactly as R's ``survival:::survfit_confint`` (se on the log scale)."""
    z = norm_ppf(1.0 - (1.0 - conf_level) / 2.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        if conf_type == "plain":
            half = se_h * surv * z
            return np.maximum(surv - half, 0.0), np.minimum(surv + half, 1.0)
        if conf_type == "log":
            xx = np.where(surv == 0, np.nan, surv)
            lower = np.exp(np.log(xx) - z * se_h)
            upper = np.minimum(np.exp(np.log(xx) + z * se_h), 1.0)
            return lower, np.where(np.isnan(xx), np.nan, upper)
        if conf_type == "log-log":
            xx = np.where((surv == 0) | (surv == 1), np.nan, surv)
            se2 = z * se_h / np.log(xx)
            lower = np.exp(-np.exp(np.log(-np.log(xx)) - se2))
            upper = np.exp(-np.exp(np.log(-np.log(xx)) + se2))
            return lower, upper
        xx = np.where(surv == 0, np.nan, surv)
        if conf_type == "logit":
            se2 = z * se_h * (1.0 + xx / (1.0 - xx))
            logit = np.log(surv / (1.0 - surv))
            return 1.0 - 1.0 / (1.0 + np.exp(logit - se2)), 1.0 - 1.0 / (1.0 + np.exp(logit + se2))
        # arcsin(sqrt(S))
        se2 = 0.5 * z * se_h * np.sqrt(xx / (1.0 - xx))
        root = np.arcsin(np.sqrt(xx))
        return np.sin(np.maximum(0.0, root - se2)) ** 2, np.sin(
            np.minimum(np.pi / 2, root + se2)
        ) ** 2


def km_table(
    data: pd.DataFrame,
    *,
    time: str = "time",
    event: str = "event",
    group: str | None = None,
    conf_level: float = 0.95,
    conf_type: ConfType = "log",
    entry: str | None = None,
    weights: str | None = None,
    variance: KmVariance = "greenwood",
) -> pd.DataFrame:
    """Kaplan-Meier table: survival, Greenwood SE and pointwise CI at every distinct time.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per subject (or patient x line); not modified.
    time : str, default="time"
        Column with the follow-up time in months (>= 0).
    event : str, default="event"
        Column with the event indicator (bool or 0/1; 1 = event, 0 = censored).
    group : str or None, default=None
        Column whose levels get separate curves. Levels are ordered by the categories of a
        categorical column, otherwise sorted.
    conf_level : float, default=0.95
        Level of the pointwise confidence intervals.
    conf_type : {"log", "log-log", "plain", "logit", "arcsin"}, default="log"
        CI transform, as R ``survfit(conf.type=)``. "log" is R ``survfit``'s default;
        lifelines uses "log-log".
    entry : str or None, default=None
        Column with delayed-entry times (left truncation): a subject is at risk at ``t``
        when ``entry < t <= time``.
    weights : str or None, default=None
        Column with case weights (finite, >= 0), as R ``survfit(weights=)``. Rows with
        weight 0 are dropped; negative, missing or infinite weights are refused.
    variance : {"greenwood", "robust"}, default="greenwood"
        "greenwood": Greenwood's formula on the (weighted) counts, which is R's variance
        without weights, with integer weights, and with ``robust=FALSE``. "robust": the
        infinitesimal-jackknife variance ``sum_i (w_i D_i(t))^2`` (``D_i`` the derivative
        of S(t) with respect to row i's weight), R's default once some case weight is not
        an integer (``survfit(..., robust=TRUE)``).

    Returns
    -------
    pandas.DataFrame
        Long table, one row per group x distinct exit time, with columns

        - ``group`` : group label ("all" when ``group`` is None)
        - ``time`` : exit time (months)
        - ``n_at_risk`` : number at risk just before ``time`` (rows, never weighted)
        - ``n_events`` : events at ``time`` (rows)
        - ``n_censored`` : censored at ``time`` (rows)
        - ``survival`` : Kaplan-Meier estimate S(time) (proportion)
        - ``std_err`` : Greenwood standard error of S(time), on the survival scale (what R's
          ``summary.survfit`` prints as ``std.err``)
        - ``std_err_cumhaz`` : Greenwood standard error on the cumulative-hazard (log S)
          scale (the ``std.err`` component of R's ``survfit`` object)
        - ``ci_lower``, ``ci_upper`` : pointwise CI for S(time) (proportion)
        - ``conf_level`` : the CI level
        - ``conf_type`` : the CI transform

        With ``weights``, three more columns follow ``n_censored``: ``weighted_at_risk``,
        ``weighted_events``, ``weighted_censored``, the sums of the case weights (R's
        ``n.risk``, ``n.event``, ``n.censor``), from which the estimate is computed; the
        ``n_*`` columns keep counting rows (patients), so risk tables and disclosure
        thresholds never show a weighted sum as a number of patients.

    Raises
    ------
    netstats.exceptions.SchemaError
        If a column is missing or holds invalid values (see ``check_survival_data``).
    ValueError
        If ``conf_level``, ``conf_type`` or ``variance`` is invalid.

    See Also
    --------
    kaplan_meier : the same table wrapped in a result with medians and landmarks.

    Notes
    -----
    Ties: events are counted before censorings at the same time (censored subjects are at
    risk at their censoring time), as in R. The Greenwood variance of log S is
    ``sum d / (n (n - d))``; it is infinite once S reaches 0, where, as in R, the SE on the
    survival scale and the CI are missing (NaN). CIs follow R ``survfit_confint``:
    "log" ``S exp(+-z se)`` with the upper limit capped at 1; "log-log"
    ``S^exp(+-z se / log S)`` (missing where S is 0 or 1); "plain" ``S +- z S se`` clipped to
    [0, 1]; "logit" ``logit S +- z se / (1 - S)``; "arcsin"
    ``arcsin sqrt(S) +- z se sqrt(S / (1 - S)) / 2`` (both missing where S is 1, as R's).

    Case weights act as frequencies: integer weights give exactly the table of the data with
    each row repeated that many times (apart from the ``n_*`` row counts), with the Greenwood
    variance; the robust variance instead treats a row of weight k as one subject counted k
    times (which is why R uses it only for non-integer weights). R keeps the exit
    times of zero-weight rows as rows with zero counts; here those rows are dropped, which
    changes no estimate.

    References
    ----------
    Kaplan EL, Meier P (1958). Nonparametric estimation from incomplete observations.
    JASA 53:457-481. Greenwood M (1926). The natural duration of cancer. Reports on Public
    Health and Medical Subjects 33. Therneau TM (2023). survival: survfit.formula,
    R package 3.5.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"time": [3.0, 5.0, 5.0, 8.0], "event": [1, 1, 0, 1]})
    >>> km_table(df)[["time", "n_at_risk", "survival"]]
       time  n_at_risk  survival
    0   3.0          4      0.75
    1   5.0          3      0.50
    2   8.0          1      0.00

    Case weights (here 2, 1, 1, 1: the first row counts twice):

    >>> df["w"] = [2.0, 1.0, 1.0, 1.0]
    >>> km_table(df, weights="w")[["time", "n_at_risk", "weighted_at_risk", "survival"]]
       time  n_at_risk  weighted_at_risk  survival
    0   3.0          4               5.0       0.6
    1   5.0          3               3.0       0.4
    2   8.0          1               1.0       0.0
    """
    _check_conf(conf_level, conf_type)
    _check_variance(variance)
    clean = check_survival_data(
        data, time=time, event=event, entry=entry, group=group, weights=weights
    ).positive()
    return _km_frame(clean, float(conf_level), conf_type, variance)


def _repeat(value: object, size: int) -> np.ndarray:
    """Object array holding ``value`` ``size`` times (``np.full`` is ~50x slower for objects)."""
    one = np.empty(1, dtype=object)
    one[0] = value
    return one.repeat(size)


def _summary_columns(weighted: bool) -> list[str]:
    """Column order of a KM table (the weighted sums after the row counts)."""
    if not weighted:
        return list(SUMMARY_COLUMNS)
    return SUMMARY_COLUMNS[:5] + WEIGHTED_COLUMNS + SUMMARY_COLUMNS[5:]


def _km_frame(
    clean: SurvivalData, conf_level: float, conf_type: str, variance: str = "greenwood"
) -> pd.DataFrame:
    t, e, entry, g, w = clean.time, clean.event, clean.entry, clean.group, clean.weights
    columns = _summary_columns(w is not None)
    parts: list[dict[str, np.ndarray]] = []
    for code, level in enumerate(clean.group_levels):
        mask = slice(None) if g is None else (g == code)
        arr = _km_arrays(
            t[mask],
            e[mask],
            None if entry is None else entry[mask],
            None if w is None else w[mask],
            variance,
        )
        lo, hi = _confint(arr["survival"], arr["std_err_cumhaz"], conf_level, conf_type)
        with np.errstate(invalid="ignore"):
            arr["std_err"] = arr["std_err_cumhaz"] * arr["survival"]
        arr["ci_lower"], arr["ci_upper"] = lo, hi
        arr["group"] = _repeat(level, arr["time"].size)
        parts.append(arr)
    # one DataFrame built once, its dict already in the final column order (``columns=``
    # would cost a reindex); every array is new, so the frame takes them without copying
    names = columns[:-2]
    if len(parts) == 1:
        data: dict[str, np.ndarray] = {c: parts[0][c] for c in names}
    else:
        data = {c: np.concatenate([arr[c] for arr in parts]) for c in names}
    size = len(data["time"])
    data["conf_level"] = np.full(size, conf_level)
    data["conf_type"] = _repeat(conf_type, size)
    return pd.DataFrame(data, copy=False)


def _findq(x: np.ndarray, y: np.ndarray, p: float, tol: float) -> float:
    """One quantile from a cumulative curve, R ``survival:::findq`` rule.

    ``x`` holds the start time followed by the curve's times, ``y`` is 0 followed by
    ``1 - S``. Where the curve equals ``p`` over a flat stretch the midpoint of the stretch
    is returned; NaN values of ``y`` (undefined CI limits) are ignored.
    """
    if np.all(np.isnan(y)) or np.nanmax(y) < p:
        return np.nan
    xmax = x[-1]
    keep = ~pd.Series(y).duplicated().to_numpy()
    x, y = x[keep], y[keep]
    valid = np.flatnonzero(~np.isnan(y))
    order = valid[np.argsort(y[valid], kind="stable")]
    ys = y[order]

    def first_at_or_above(shift: float) -> int | None:
        k = int(np.searchsorted(ys + shift, p, side="left"))
        if k == ys.size or (k == 0 and p < ys[0] + shift):
            return None
        return int(order[k])

    if p == 0:
        return float(x[0])
    i1 = first_at_or_above(tol)
    i2 = first_at_or_above(-tol)
    last = y[-1]
    if not np.isnan(last) and abs(p - last) < tol:
        return np.nan if i1 is None else float((x[i1] + xmax) / 2.0)
    if i1 is None or i2 is None:
        return np.nan
    return float((x[i1] + x[i2]) / 2.0)


@dataclass(frozen=True, repr=False)
class KaplanMeierResult(ResultDisplay):
    """Kaplan-Meier curves by group, as returned by :func:`kaplan_meier`.

    Attributes
    ----------
    summary : pandas.DataFrame
        The long table documented in :func:`km_table`.
    conf_level : float
        Level of the pointwise and quantile CIs.
    conf_type : str
        CI transform ("log", "log-log", "plain", "logit" or "arcsin").
    groups : tuple
        Group labels in display order ("all" when no group column was given).
    group_sizes : tuple of int
        Number of rows per group, in the order of ``groups`` (rows with a positive case
        weight: never a sum of weights).
    time_col, event_col, group_col, entry_col : str or None
        The input column names, kept for labels.
    weights_col : str or None
        The case-weight column (None: unweighted).
    variance : str
        "greenwood" or "robust" (infinitesimal jackknife).

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"time": [2.0, 4, 6, 9, 12, 3, 5, 7, 8, 15],
    ...                    "event": [1, 1, 0, 1, 0, 1, 1, 1, 0, 1],
    ...                    "arm": ["<a>"] * 5 + ["b"] * 5})
    >>> from netstats.survival import kaplan_meier
    >>> fit = kaplan_meier(df, group="arm")
    >>> fit  # medians per group; NaN: upper limit not reached
    KaplanMeierResult
    Kaplan-Meier, 2 groups by arm, Greenwood SE, 95% CI (log transform); 10 rows, 7 events
    group  n  n_events  median  ci_lower  ci_upper
      <a>  5         3       9         4       NaN
        b  5         4       7         5       NaN
    >>> fit.at([6.0])[["group", "n_at_risk", "survival"]].round(3)
      group  n_at_risk  survival
    0   <a>          3       0.6
    1     b          3       0.6
    """

    summary: pd.DataFrame = field(repr=False)
    conf_level: float
    conf_type: str
    groups: tuple[object, ...]
    group_sizes: tuple[int, ...]
    time_col: str
    event_col: str
    group_col: str | None = None
    entry_col: str | None = None
    weights_col: str | None = None
    variance: str = "greenwood"

    @property
    def method(self) -> str:
        """One-line description of the estimator (groups, weights, variance, CI, sizes)."""
        trunc = f", left-truncated at {self.entry_col}" if self.entry_col else ""
        by = f" by {self.group_col}" if self.group_col else ""
        wt = f", case weights {self.weights_col}" if self.weights_col else ""
        se = "Greenwood SE" if self.variance == "greenwood" else "robust (jackknife) SE"
        n_events = int(self.summary["n_events"].sum())
        sizes = f"{sum(self.group_sizes)} rows, {plural(n_events, 'event')}"
        if self.weights_col:
            # every row exits once, so its weight is among the events or the censored
            w_n = float((self.summary["weighted_events"] + self.summary["weighted_censored"]).sum())
            w_d = float(self.summary["weighted_events"].sum())
            sizes += f" (unweighted; weighted n = {w_n:.4g}, events = {w_d:.4g})"
        return (
            f"Kaplan-Meier{trunc}{wt}, {plural(len(self.groups), 'group')}{by}, {se}, "
            f"{self.conf_level:.0%} CI ({self.conf_type} transform); {sizes}"
        )

    def to_frame(self) -> pd.DataFrame:
        """Return a copy of :attr:`summary`."""
        return self.summary.copy()

    def _display_frame(self) -> pd.DataFrame:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", StatisticalWarning)  # NaN shows "not reached"
            medians = self.median()
        counts = self.summary.groupby("group", sort=False)["n_events"].sum()
        out = medians[["group"]].copy()
        sizes = dict(zip(self.groups, self.group_sizes, strict=True))
        out["n"] = [sizes.get(g, 0) for g in medians["group"]]
        out["n_events"] = counts.reindex(medians["group"]).to_numpy().astype(int)
        if self.weights_col:
            by = self.summary.groupby("group", sort=False)
            total = by["weighted_events"].sum() + by["weighted_censored"].sum()
            out["weighted_n"] = total.reindex(medians["group"]).to_numpy()
            out["weighted_events"] = (
                by["weighted_events"].sum().reindex(medians["group"]).to_numpy()
            )
        out["median"] = medians["estimate"]
        out["ci_lower"] = medians["ci_lower"]
        out["ci_upper"] = medians["ci_upper"]
        return out

    def quantile(self, q: float | Sequence[float] = 0.5) -> pd.DataFrame:
        """Survival-time quantiles with CIs, by R ``quantile.survfit``'s rules.

        Parameters
        ----------
        q : float or sequence of float, default=0.5
            Probabilities of the event distribution in [0, 1]: 0.5 is the median, 0.25 the
            time by which 25 % have had the event.

        Returns
        -------
        pandas.DataFrame
            One row per group x q: ``group``, ``q``, ``estimate`` (months), ``ci_lower``,
            ``ci_upper`` (months; NaN when not reached), ``conf_level``, ``conf_type``.

        Warns
        -----
        StatisticalWarning
            When an estimate is not reached (the curve never falls to 1 - q).

        Notes
        -----
        Where S(t) equals 1 - q exactly over an interval, the estimate is the midpoint of the
        interval (the midpoint with the last follow-up time when it is the final stretch).
        The CI inverts the pointwise CI band: the lower limit is where the lower band crosses
        1 - q, the upper limit where the upper band does (Brookmeyer & Crowley 1982).

        References
        ----------
        Brookmeyer R, Crowley J (1982). A confidence interval for the median survival time.
        Biometrics 38:29-41.
        """
        qs = np.atleast_1d(np.asarray(q, dtype=float))
        if qs.ndim != 1 or np.any(np.isnan(qs)) or np.any((qs < 0) | (qs > 1)):
            raise ValueError(f"q must be probabilities in [0, 1], got {q!r}")
        rows = []
        missing = []
        for level, sub in self.summary.groupby("group", sort=False):
            x = np.concatenate(([0.0], sub["time"].to_numpy()))
            ys = {
                k: np.concatenate(([0.0], 1.0 - sub[c].to_numpy()))
                for k, c in (("est", "survival"), ("lo", "ci_lower"), ("hi", "ci_upper"))
            }
            for p in qs:
                est = _findq(x, ys["est"], p, _QUANTILE_TOL)
                if np.isnan(est):
                    missing.append(f"{level} (q={p:g})")
                rows.append(
                    {
                        "group": level,
                        "q": p,
                        "estimate": est,
                        "ci_lower": _findq(x, ys["lo"], p, _QUANTILE_TOL),
                        "ci_upper": _findq(x, ys["hi"], p, _QUANTILE_TOL),
                    }
                )
        if missing:
            warnings.warn(
                "survival quantile not reached (curve never falls to 1 - q) for "
                + ", ".join(missing)
                + "; estimate is NaN",
                StatisticalWarning,
                stacklevel=2,
            )
        out = pd.DataFrame(rows, columns=["group", "q", "estimate", "ci_lower", "ci_upper"])
        out["conf_level"] = self.conf_level
        out["conf_type"] = self.conf_type
        return out

    def median(self) -> pd.DataFrame:
        """Median survival time with CI per group (``quantile(0.5)``; same columns)."""
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            out = self.quantile(0.5)
        for w in caught:
            warnings.warn(
                str(w.message).replace("survival quantile", "median survival"),
                w.category,
                stacklevel=2,
            )
        return out

    def at(self, times: npt.ArrayLike) -> pd.DataFrame:
        """Landmark survival at chosen times, with the counts a risk table needs.

        Parameters
        ----------
        times : array-like of float
            Times in months (>= 0).

        Returns
        -------
        pandas.DataFrame
            One row per group x time: ``group``, ``time`` (months), ``n_at_risk`` (at risk at
            ``time``: 0 after the last follow-up), ``n_events`` and ``n_censored``
            (cumulative counts up to and including ``time``), ``survival``, ``std_err``
            (survival scale), ``ci_lower``, ``ci_upper``, ``conf_level``, ``conf_type``.
            The counts are rows (patients); a weighted result adds ``weighted_at_risk``,
            ``weighted_events`` and ``weighted_censored`` after ``n_censored``.

        Warns
        -----
        StatisticalWarning
            When fewer than 10 % of a group's largest risk set (its size, without delayed
            entry) remain at risk at a requested time (sparse tail).

        Notes
        -----
        Matches R ``summary(survfit, times=, extend=TRUE)``: S(t) is the value at the last
        exit time <= t (1, with CI limits 1, before the first), the number at risk is that of
        the first exit time >= t.
        """
        out, sparse = self._at_table(times)
        if sparse:
            warnings.warn(
                f"sparse tail: fewer than {SPARSE_TAIL_FRACTION:.0%} of the group still at risk "
                "for " + ", ".join(sparse) + "; estimates there are unstable",
                StatisticalWarning,
                stacklevel=2,
            )
        return out

    def _at_table(self, times: npt.ArrayLike) -> tuple[pd.DataFrame, list[str]]:
        """The table of :meth:`at` and the sparse-tail cases, without warning."""
        ts = np.atleast_1d(np.asarray(times, dtype=float))
        if ts.ndim != 1 or np.any(~np.isfinite(ts)) or np.any(ts < 0):
            raise ValueError(f"times must be finite and >= 0, got {times!r}")
        parts = []
        sparse = []
        for level in self.groups:
            sub = self.summary[self.summary["group"] == level]
            # largest risk set: the group size, or fewer under delayed entry
            size = int(sub["n_at_risk"].max())
            tt = sub["time"].to_numpy()
            k = np.searchsorted(tt, ts, side="right")  # rows with time <= t
            j = np.searchsorted(tt, ts, side="left")  # first row with time >= t

            def take(col: str, before: float, k: np.ndarray = k, sub: pd.DataFrame = sub):
                v = np.concatenate(([before], sub[col].to_numpy(dtype=float)))
                return v[k]

            nr = np.concatenate((sub["n_at_risk"].to_numpy(), [0]))[j]
            weighted = {}
            if self.weights_col:
                wr = sub["weighted_at_risk"].to_numpy(dtype=float)
                weighted = {
                    "weighted_at_risk": np.concatenate((wr, [0.0]))[j],
                    "weighted_events": np.concatenate(([0.0], np.cumsum(sub["weighted_events"])))[
                        k
                    ],
                    "weighted_censored": np.concatenate(
                        ([0.0], np.cumsum(sub["weighted_censored"]))
                    )[k],
                }
            frame = pd.DataFrame(
                {
                    "group": level,
                    "time": ts,
                    "n_at_risk": nr.astype(np.int64),
                    "n_events": np.concatenate(([0], np.cumsum(sub["n_events"])))[k],
                    "n_censored": np.concatenate(([0], np.cumsum(sub["n_censored"])))[k],
                    **weighted,
                    "survival": take("survival", 1.0),
                    "std_err": take("std_err", 0.0),
                    # before the first exit time R reports the limits as 1 whatever the transform
                    "ci_lower": take("ci_lower", 1.0),
                    "ci_upper": take("ci_upper", 1.0),
                }
            )
            low = frame["time"][nr < SPARSE_TAIL_FRACTION * size]
            sparse += [f"{level} at time {v:g}" for v in low]
            parts.append(frame)
        out = pd.concat(parts, ignore_index=True)
        out["conf_level"] = self.conf_level
        out["conf_type"] = self.conf_type
        return out, sparse


def kaplan_meier(
    data: pd.DataFrame,
    *,
    time: str = "time",
    event: str = "event",
    group: str | None = None,
    conf_level: float = 0.95,
    conf_type: ConfType = "log",
    entry: str | None = None,
    weights: str | None = None,
    variance: KmVariance = "greenwood",
) -> KaplanMeierResult:
    """Fit Kaplan-Meier curves (optionally by group) and return a result object.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per subject (or patient x line); not modified.
    time : str, default="time"
        Column with the follow-up time in months (>= 0).
    event : str, default="event"
        Column with the event indicator (bool or 0/1).
    group : str or None, default=None
        Column whose levels get separate curves.
    conf_level : float, default=0.95
        CI level for the curve, quantiles and landmarks.
    conf_type : {"log", "log-log", "plain", "logit", "arcsin"}, default="log"
        CI transform (R ``survfit(conf.type=)``); "log" is R's default, lifelines uses
        "log-log".
    entry : str or None, default=None
        Column with delayed-entry times (left truncation).
    weights : str or None, default=None
        Column with case weights (finite, >= 0; zero-weight rows are dropped), as R
        ``survfit(weights=)``.
    variance : {"greenwood", "robust"}, default="greenwood"
        Greenwood's formula on the weighted counts, or the infinitesimal-jackknife
        variance (R's default when a weight is not an integer); see :func:`km_table`.

    Returns
    -------
    KaplanMeierResult
        ``.summary`` (see :func:`km_table` for every column), ``.median()``,
        ``.quantile(q)`` and ``.at(times)``.

    Raises
    ------
    netstats.exceptions.SchemaError
        If a column is missing or holds invalid values.
    ValueError
        If ``conf_level``, ``conf_type`` or ``variance`` is invalid.

    Notes
    -----
    A thin wrapper around :func:`km_table`; see its Notes for ties, the Greenwood variance,
    case weights and the CI transforms. With weights, ``group_sizes`` and the ``n_*`` counts
    stay row counts; the weighted sums are in the ``weighted_*`` columns.

    References
    ----------
    Kaplan EL, Meier P (1958). JASA 53:457-481.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"time": [2.0, 4.0, 6.0, 9.0, 12.0], "event": [1, 1, 0, 1, 0]})
    >>> fit = kaplan_meier(df)
    >>> fit.median()[["group", "estimate"]]
      group  estimate
    0   all       9.0
    >>> df["w"] = [1.0, 0.5, 2.0, 1.5, 1.0]
    >>> print(kaplan_meier(df, weights="w", conf_type="logit").method)
    Kaplan-Meier, case weights w, 1 group, Greenwood SE, 95% CI (logit transform); 5 rows, 3 events (unweighted; weighted n = 6, events = 3)
    """
    _check_conf(conf_level, conf_type)
    _check_variance(variance)
    clean = check_survival_data(
        data, time=time, event=event, entry=entry, group=group, weights=weights
    ).positive()
    levels = list(clean.group_levels)
    table = _km_frame(clean, float(conf_level), conf_type, variance)
    if clean.group is None:
        sizes: tuple[int, ...] = (int(clean.time.size),)
    else:
        sizes = tuple(int(c) for c in np.bincount(clean.group, minlength=len(levels)))
    return KaplanMeierResult(
        summary=table,
        conf_level=float(conf_level),
        conf_type=conf_type,
        groups=tuple(levels),
        group_sizes=sizes,
        time_col=time,
        event_col=event,
        group_col=group,
        entry_col=entry,
        weights_col=weights,
        variance=variance,
    )

"""Restricted mean survival time (RMST) with the variance of the estimator."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from netstats._display import ResultDisplay, plural
from netstats.exceptions import SchemaError, StatisticalWarning
from netstats.survival._checks import check_survival_data
from netstats.survival._dist import norm_ppf, norm_sf
from netstats.survival._km import _check_conf, risk_counts

__all__ = ["RMSTResult", "rmst"]


def _weighted_km(
    time: np.ndarray, event: np.ndarray, entry: np.ndarray | None, weight: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Kaplan-Meier curve with case weights and delayed entry, one row per distinct exit time.

    Returns ``times``, ``survival``, the weighted number at risk (rows with entry < t <= time)
    and the weighted number of events, as R ``survfit(Surv(entry, time, event) ~ 1,
    weights = w)`` (``n.risk``, ``n.event``).
    """
    ut, _, d2, n_risk2 = risk_counts(time, event, entry=entry, weights=weight)
    d, n_risk = d2[:, 0], n_risk2[:, 0]
    with np.errstate(divide="ignore", invalid="ignore"):
        surv = np.cumprod(np.where(n_risk > 0, 1.0 - d / n_risk, 1.0))
    return ut, surv, n_risk, d


def _rmst_one(
    time: np.ndarray,
    event: np.ndarray,
    tau: float,
    entry: np.ndarray | None = None,
    weight: np.ndarray | None = None,
) -> tuple[float, float]:
    """Area under the KM curve on [0, tau] and its Greenwood-type variance.

    Follows R ``survival:::survmean``: var = sum_i A_i^2 d_i / (n_i (n_i - d_i)) over exit
    times t_i <= tau, where A_i is the area under the curve from t_i to tau (terms with
    n_i = d_i are 0); with weights and delayed entry n_i and d_i are the weighted numbers
    at risk and of events.
    """
    times, surv, n_risk, n_ev = _weighted_km(time, event, entry, weight)
    keep = times <= tau
    t = np.append(times[keep], tau)
    s = surv[keep]
    n = n_risk[keep]
    d = n_ev[keep]
    with np.errstate(divide="ignore", invalid="ignore"):
        hh = np.where(n - d == 0, 0.0, d / (n * (n - d)))
    widths = np.diff(np.concatenate(([0.0], t)))
    rect = widths * np.concatenate(([1.0], s))
    area_after = np.cumsum(rect[::-1])[::-1][1:]  # area from t_i to tau, one per exit time
    return float(rect.sum()), float(np.sum(area_after**2 * hh))


@dataclass(frozen=True, repr=False)
class RMSTResult(ResultDisplay):
    """Result of :func:`rmst`.

    Attributes
    ----------
    tau : float
        Horizon in months.
    conf_level : float
        CI level.
    entry : str or None
        Delayed-entry column used (left truncation), or None.
    weights : str or None
        Case-weight column used, or None.
    n_dropped : int
        Rows left out because their case weight is 0.
    summary : pandas.DataFrame
        One row per group: ``group``, ``tau`` (months), ``estimate`` (RMST, months),
        ``std_err`` (months), ``ci_lower``, ``ci_upper`` (months), ``conf_level``.
    contrasts : pandas.DataFrame
        One row per non-reference group and contrast (empty without groups):
        ``group_a`` (compared group), ``group_b`` (reference: the first level),
        ``contrast`` ("difference", a - b in months, or "ratio", a / b), ``estimate``,
        ``std_err`` (months for the difference; of the log ratio for the ratio),
        ``ci_lower``, ``ci_upper``, ``p_value`` (Wald, H0: difference 0 / ratio 1),
        ``conf_level``.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"time": [2.0, 4, 6, 9, 12, 3, 5, 7, 8, 15],
    ...                    "event": [1, 1, 0, 1, 0, 1, 1, 1, 0, 1],
    ...                    "arm": ["<a>"] * 5 + ["b"] * 5})
    >>> from netstats.survival import rmst
    >>> res = rmst(df, group="arm", tau=8.0)
    >>> res
    RMSTResult
    Restricted mean survival time to tau = 8 months, 2 groups, Greenwood-type variance, 95% Wald CI; contrasts vs <a>
    group  tau  estimate  std_err  ci_lower  ci_upper  conf_level
      <a>    8         6    1.131     3.783     8.217        0.95
        b    8       6.2   0.8672       4.5       7.9        0.95
    >>> res.contrasts["contrast"].tolist()
    ['difference', 'ratio']
    """

    tau: float
    conf_level: float
    summary: pd.DataFrame = field(repr=False)
    contrasts: pd.DataFrame = field(repr=False)
    entry: str | None = None
    weights: str | None = None
    n_dropped: int = 0

    @property
    def method(self) -> str:
        """One-line description (horizon, variance, CI, groups, entry, weights)."""
        n_contrasts = len(self.contrasts)
        vs = ""
        if n_contrasts:
            vs = f"; contrasts vs {self.contrasts['group_b'].iloc[0]}"
        extra = ""
        if self.entry is not None:
            extra += f", delayed entry ({self.entry})"
        if self.weights is not None:
            dropped = f", {plural(self.n_dropped, 'row')} of weight 0 left out"
            extra += f", case weights ({self.weights}{dropped if self.n_dropped else ''})"
        return (
            f"Restricted mean survival time to tau = {self.tau:g} months, "
            f"{plural(len(self.summary), 'group')}{extra}, Greenwood-type variance, "
            f"{self.conf_level:.0%} Wald CI{vs}"
        )

    def to_frame(self) -> pd.DataFrame:
        """Return a copy of :attr:`summary`."""
        return self.summary.copy()


def rmst(
    data: pd.DataFrame,
    *,
    time: str = "time",
    event: str = "event",
    group: str | None = None,
    tau: float,
    conf_level: float = 0.95,
    entry: str | None = None,
    weights: str | None = None,
) -> RMSTResult:
    """Restricted mean survival time up to ``tau``, by group, with differences and ratios.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per subject; not modified.
    time : str, default="time"
        Follow-up time in months.
    event : str, default="event"
        Event indicator (bool or 0/1).
    group : str or None, default=None
        Group column; the first level (categorical order, else sorted) is the reference of
        the contrasts.
    tau : float
        Horizon in months (> 0).
    conf_level : float, default=0.95
        CI level.
    entry : str or None, default=None
        Delayed-entry (left-truncation) time in months: a subject is at risk on
        (entry, time]. Must be >= 0 and < ``time``.
    weights : str or None, default=None
        Case weights (e.g. inverse-probability weights): finite and >= 0; rows of weight 0
        are left out (counted in ``n_dropped``).

    Returns
    -------
    RMSTResult
        ``summary`` (one row per group) and ``contrasts`` (difference and ratio of each
        group against the reference); columns are listed in :class:`RMSTResult`.

    Raises
    ------
    netstats.exceptions.SchemaError
        Invalid columns, entry not before exit, or missing, infinite or negative weights.
    ValueError, TypeError
        Invalid ``tau`` or ``conf_level``.

    Warns
    -----
    StatisticalWarning
        When ``tau`` is beyond a group's last follow-up time: the curve's last value is
        carried forward (R does the same silently; survRM2 refuses).

    Notes
    -----
    The RMST is the area under the Kaplan-Meier curve on [0, tau]. Its variance is that of
    the *estimator*, ``sum_i A_i^2 d_i / (n_i (n_i - d_i))`` with ``A_i`` the area from
    event time t_i to tau, exactly R ``print(survfit(...), rmean=tau)``'s ``se(rmean)`` and
    survRM2's formula. It is not the variance of the truncated time ``min(T, tau)``, which
    lifelines' ``restricted_mean_survival_time(..., return_variance=True)`` returns and which
    does not shrink with the sample size. Group CIs are ``estimate +- z se``; the difference
    uses ``se = sqrt(v_a + v_b)``; the ratio is built on the log scale with the delta method,
    ``se(log r) = sqrt(v_a / m_a^2 + v_b / m_b^2)`` (Uno et al. 2014, survRM2).

    With ``entry`` and ``weights`` the curve is the weighted, left-truncated Kaplan-Meier
    estimate and ``n_i``, ``d_i`` are the weighted numbers at risk (entry < t_i <= time) and
    of events, exactly R ``survfit(Surv(entry, time, event) ~ group, weights = w)`` with
    ``print(fit, rmean = tau)``. The curve starts at time 0; with delayed entry it is
    conditional on surviving to the earliest entry times. Integer weights give the same
    estimate as replicating rows; the variance treats weights as frequencies (R's
    convention), so for inverse-probability weights a robust or bootstrap SE is safer.
    For the covariate-adjusted difference and ratio see :func:`rmst_adjusted`.

    References
    ----------
    Royston P, Parmar MKB (2013). Restricted mean survival time: an alternative to the
    hazard ratio. BMC Med Res Methodol 13:152. Uno H et al. (2014). Moving beyond the hazard
    ratio in quantifying the between-group difference in survival analysis. J Clin Oncol
    32:2380-2385. Klein JP, Moeschberger ML (2003). Survival Analysis, section 4.5.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"time": [2.0, 4.0, 6.0, 8.0], "event": [1, 1, 1, 1]})
    >>> float(rmst(df, tau=6.0).summary["estimate"].iloc[0])
    4.5

    Delayed entry and case weights:

    >>> df["entry"] = [0.0, 1.0, 0.0, 3.0]
    >>> df["w"] = [1.0, 2.0, 0.0, 1.0]
    >>> res = rmst(df, tau=6.0, entry="entry", weights="w")
    >>> round(float(res.summary["estimate"].iloc[0]), 4), res.n_dropped
    (3.7778, 1)
    """
    _check_conf(conf_level, "log")
    check_tau(tau)
    clean = check_survival_data(
        data, time=time, event=event, group=group, entry=entry, weights=weights
    )
    w = clean.weights
    n_dropped = 0 if w is None else int((w == 0).sum())
    use = np.ones(clean.time.size, dtype=bool) if w is None else w > 0
    levels = list(clean.group_levels)
    z = float(norm_ppf(1.0 - (1.0 - conf_level) / 2.0))
    rows = []
    short = []
    for code, level in enumerate(levels):
        m = use if clean.group is None else use & (clean.group == code)
        if not m.any():
            where = "" if clean.group is None else f" in group {level!r}; drop the group first"
            raise SchemaError(
                f"{weights}: every case weight is 0{where or '; nothing to estimate'}"
            )
        t, e = clean.time[m], clean.event[m]
        en = None if clean.entry is None else clean.entry[m]
        est, var = _rmst_one(t, e, float(tau), en, None if w is None else w[m])
        if t.max() < tau:
            short.append(f"{level} (last follow-up {t.max():.1f} months)")
        se = np.sqrt(var)
        rows.append(
            {
                "group": level,
                "tau": float(tau),
                "estimate": est,
                "std_err": se,
                "ci_lower": est - z * se,
                "ci_upper": est + z * se,
            }
        )
    if short:
        warnings.warn(
            f"tau = {tau:g} is beyond the last follow-up of "
            + ", ".join(short)
            + "; the last survival value is carried forward to tau",
            StatisticalWarning,
            stacklevel=2,
        )
    summary = pd.DataFrame(rows)
    summary["conf_level"] = float(conf_level)
    contrasts = _contrasts(summary, z, float(conf_level))
    return RMSTResult(
        tau=float(tau),
        conf_level=float(conf_level),
        summary=summary,
        contrasts=contrasts,
        entry=entry,
        weights=weights,
        n_dropped=n_dropped,
    )


def check_tau(tau: object) -> None:
    """Refuse a horizon that is not a finite positive number (months)."""
    if isinstance(tau, bool) or not isinstance(tau, int | float | np.integer | np.floating):
        raise TypeError(f"tau must be a number (months), got {type(tau).__name__}")
    if not np.isfinite(tau) or tau <= 0:
        raise ValueError(f"tau must be finite and > 0, got {tau!r}")


def _wald_p(estimate: float, se: float) -> float:
    """Two-sided Wald p-value; NaN when the SE is 0 (no events before tau in either
    group: the contrast is exact, and a test of it is undefined)."""
    if not se > 0:
        return float("nan")
    return float(2 * norm_sf(abs(estimate / se)))


def _contrasts(summary: pd.DataFrame, z: float, conf_level: float) -> pd.DataFrame:
    cols = [
        "group_a",
        "group_b",
        "contrast",
        "estimate",
        "std_err",
        "ci_lower",
        "ci_upper",
        "p_value",
        "conf_level",
    ]
    rows = []
    groups = summary["group"].tolist()  # keep the labels' own type (no float upcast)
    ref = summary.iloc[0][["estimate", "std_err"]].to_dict()
    for i in range(1, len(summary)):
        row = summary.iloc[i][["estimate", "std_err"]].to_dict()
        diff = row["estimate"] - ref["estimate"]
        se_d = float(np.hypot(row["std_err"], ref["std_err"]))
        rows.append(
            [
                groups[i],
                groups[0],
                "difference",
                diff,
                se_d,
                diff - z * se_d,
                diff + z * se_d,
                _wald_p(diff, se_d),
                conf_level,
            ]
        )
        log_r = np.log(row["estimate"] / ref["estimate"])
        se_r = float(
            np.sqrt(
                (row["std_err"] / row["estimate"]) ** 2 + (ref["std_err"] / ref["estimate"]) ** 2
            )
        )
        rows.append(
            [
                groups[i],
                groups[0],
                "ratio",
                float(np.exp(log_r)),
                se_r,
                float(np.exp(log_r - z * se_r)),
                float(np.exp(log_r + z * se_r)),
                _wald_p(float(log_r), se_r),
                conf_level,
            ]
        )
    return pd.DataFrame(rows, columns=cols)

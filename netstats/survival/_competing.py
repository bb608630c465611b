"""Competing risks: Aalen-Johansen cumulative incidence and Gray's test.

Both are written here in vectorised NumPy because lifelines' ``AalenJohansenFitter``
breaks ties by random jitter (results change from run to run) and has no Gray test. Ties
are handled deterministically: all events at one time, whatever their cause, leave the risk
set together, as in R ``cmprsk::cuminc`` and ``survival::survfit``. The variance is cmprsk's
by default or survfit's infinitesimal jackknife; case weights and delayed entry as survfit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal, cast

import numpy as np
import numpy.typing as npt
import pandas as pd

from netstats._display import ResultDisplay, plural
from netstats.exceptions import SchemaError
from netstats.survival._checks import check_survival_data
from netstats.survival._dist import chi2_sf, norm_ppf
from netstats.survival._influence import aj_influence_variance
from netstats.survival._km import _check_conf, risk_counts

__all__ = [
    "CumulativeIncidenceResult",
    "GrayTestResult",
    "cumulative_incidence",
    "gray_test",
]

CifConfType = Literal["log-log", "plain"]
CifVariance = Literal["cmprsk", "aalen-johansen"]
_CIF_VARIANCES = ("cmprsk", "aalen-johansen")


def _event_causes(
    data: pd.DataFrame, event: str, event_codes: Mapping[object, int] | None
) -> tuple[np.ndarray, dict[int, object]]:
    """Integer cause codes (0 = censored, 1..K) and the label of each code."""
    raw = data[event]
    if raw.isna().any():
        bad = raw.isna().to_numpy()
        rows = list(data.index[bad][:5])
        raise SchemaError(f"{event}: {int(bad.sum())} missing event codes (rows {rows})")
    if event_codes is not None:
        if not isinstance(event_codes, Mapping):
            raise TypeError("event_codes must be a mapping {value in column: int code}")
        codes_used = list(event_codes.values())
        if (
            any(
                isinstance(c, bool) or not isinstance(c, int | np.integer) or c < 0
                for c in codes_used
            )
            or 0 not in codes_used
            or len(set(codes_used)) != len(codes_used)
        ):
            raise ValueError(
                "event_codes must map values to distinct ints >= 0, with 0 for censoring, "
                f"got {dict(event_codes)!r}"
            )
        unknown = ~raw.isin(list(event_codes.keys())).to_numpy()
        if unknown.any():
            vals = sorted(map(str, pd.unique(raw[unknown])))[:5]
            raise SchemaError(
                f"{event}: {int(unknown.sum())} values not in event_codes (e.g. {vals}); "
                f"expected one of {list(event_codes.keys())}"
            )
        codes = raw.map(dict(event_codes)).to_numpy(dtype=np.int64)
        labels = {int(c): v for v, c in event_codes.items() if c != 0}
        return codes, labels
    if pd.api.types.is_bool_dtype(raw):
        return raw.to_numpy(dtype=np.int64), {1: 1}
    values = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float)
    ok = np.isfinite(values) & (values >= 0) & (values == np.round(values))
    if not ok.all():
        ex = list(zip(data.index[~ok][:5], raw[~ok][:5], strict=True))
        raise SchemaError(
            f"{event}: {int((~ok).sum())} event codes are not integers >= 0 ({ex}); code "
            "0 = censored and 1..K = causes, or pass event_codes= for string labels"
        )
    codes = values.astype(np.int64)
    return codes, {int(c): int(c) for c in sorted(set(codes.tolist())) if c != 0}


def _cif_one_group(
    t: np.ndarray,
    codes: np.ndarray,
    causes: list[int],
    weights: np.ndarray | None = None,
    entry: np.ndarray | None = None,
    variance: str = "cmprsk",
) -> dict[str, np.ndarray]:
    """Aalen-Johansen CIFs and their variances at every distinct time of one group.

    With ``weights`` (all > 0) every count in the estimator and in cmprsk's variance is a
    sum of weights; the ``n_*``/``d_*`` outputs count rows, ``w_*`` hold the weighted sums.
    """
    event = codes > 0
    ut, n_exit_raw, _, n_risk_raw = risk_counts(t, event, entry=entry)
    pos = np.searchsorted(ut, t)
    m = ut.size
    wt = np.ones(t.size) if weights is None else weights
    rs = np.bincount(pos, weights=wt, minlength=m)[::-1].cumsum()[::-1]
    if entry is not None:
        rs = risk_counts(t, event, entry=entry, weights=wt)[3][:, 0]
    d_by = {k: np.bincount(pos, weights=wt * (codes == k), minlength=m) for k in causes}
    d_all = np.bincount(pos, weights=wt * event, minlength=m)
    n_exit_w = np.bincount(pos, weights=wt, minlength=m)
    fkn = np.cumprod(1.0 - d_all / rs)  # all-cause KM S(t)
    fk = np.concatenate(([1.0], fkn[:-1]))  # S(t-)
    raw_events = np.bincount(pos, weights=event.astype(float), minlength=m)
    out: dict[str, np.ndarray] = {
        "time": ut,
        "n_at_risk": n_risk_raw[:, 0].astype(np.int64),
        "n_censored": (n_exit_raw[:, 0] - raw_events).astype(np.int64),
        "survival": fkn,
        "w_at_risk": rs,
        "w_censored": n_exit_w - d_all,
    }
    if variance == "aalen-johansen":
        _, var_f = aj_influence_variance(t, codes, wt, entry, ut, causes)
    with np.errstate(divide="ignore", invalid="ignore"):
        for k in causes:
            d1 = d_by[k]
            f = np.cumsum(fk * d1 / rs)
            out[f"cif_{k}"] = f
            out[f"d_{k}"] = np.bincount(pos, weights=(codes == k).astype(float), minlength=m)
            out[f"d_{k}"] = out[f"d_{k}"].astype(np.int64)
            out[f"w_{k}"] = d1
            if variance == "aalen-johansen":
                out[f"var_{k}"] = var_f[k]
                continue
            d2 = d_all - d1
            inv = np.where(fkn > 0, 1.0 / fkn, 0.0)
            # Aalen-type delta-method variance of Gray's cinc (cmprsk): contributions of the
            # other causes' events, then of the cause's own events, accumulated over time
            tie2 = np.where(d2 > 1, 1.0 - (d2 - 1.0) / (rs - 1.0), 1.0)
            w2 = np.where((d2 > 0) & (fkn > 0), fk**2 * tie2 * d2 / rs**2, 0.0)
            tie1 = np.where(d1 > 1, 1.0 - (d1 - 1.0) / (rs - 1.0), 1.0)
            w1 = np.where(d1 > 0, fk**2 * tie1 * d1 / rs**2, 0.0)
            b2 = f * inv
            b1 = 1.0 + inv * f
            v1 = np.cumsum(b2**2 * w2 + b1**2 * w1)
            v2 = np.cumsum(inv * b2 * w2 + inv * b1 * w1)
            v3 = np.cumsum(inv**2 * w2 + inv**2 * w1)
            var_at = v1 + f**2 * v3 - 2.0 * f * v2
            # cmprsk updates the variance only at the cause's own event times
            last = np.maximum.accumulate(np.where(d1 > 0, np.arange(ut.size), -1))
            var = np.where(last >= 0, var_at[np.maximum(last, 0)], 0.0)
            out[f"var_{k}"] = np.maximum(var, 0.0)
    return out


def _cif_confint(
    f: np.ndarray, se: np.ndarray, conf_level: float, conf_type: str
) -> tuple[np.ndarray, np.ndarray]:
    z = norm_ppf(1.0 - (1.0 - conf_level) / 2.0)
    if conf_type == "plain":
        return np.maximum(f - z * se, 0.0), np.minimum(f + z * se, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        ff = np.where((f <= 0) | (f >= 1), np.nan, f)
        se_g = se / (ff * np.abs(np.log(ff)))
        lower = ff ** np.exp(z * se_g)
        upper = ff ** np.exp(-z * se_g)
    return lower, upper


@dataclass(frozen=True, repr=False)
class CumulativeIncidenceResult(ResultDisplay):
    """Cumulative incidence curves, as returned by :func:`cumulative_incidence`.

    Attributes
    ----------
    summary : pandas.DataFrame
        Long table, one row per group x cause x distinct exit time: ``group``, ``cause``,
        ``time`` (months), ``n_at_risk``, ``n_events`` (events of this cause at ``time``),
        ``n_censored`` (censored at ``time``), ``estimate`` (cumulative incidence,
        proportion), ``std_err`` (proportion), ``ci_lower``, ``ci_upper``, ``conf_level``,
        ``conf_type``. The ``n_*`` columns count rows (patients); with case weights
        ``weighted_at_risk``, ``weighted_events`` and ``weighted_censored`` (sums of the
        weights, R ``survfit``'s ``n.risk``, ``n.event``, ``n.censor``) follow
        ``n_censored``.
    conf_level : float
        CI level.
    conf_type : str
        CI transform ("log-log" or "plain").
    groups : tuple
        Group labels ("all" without a group column).
    causes : tuple
        Cause labels, in code order.
    group_sizes : tuple of int
        Rows per group (rows with a positive weight; never a sum of weights).
    time_col, event_col, group_col : str or None
        Input column names.
    entry_col, weights_col : str or None
        Delayed-entry and case-weight columns (None when not used).
    variance : str
        "cmprsk" (delta method of ``cmprsk::cuminc``) or "aalen-johansen"
        (infinitesimal jackknife, R ``survfit``).

    Examples
    --------
    >>> import pandas as pd
    >>> from netstats.survival import cumulative_incidence
    >>> df = pd.DataFrame({"time": [1.0, 2, 3, 4, 5, 6], "event": [1, 2, 0, 1, 1, 2]})
    >>> cumulative_incidence(df)  # the cumulative incidence at the last time
    CumulativeIncidenceResult
    Aalen-Johansen cumulative incidence, 2 causes, 1 group, delta-method variance as cmprsk::cuminc, 95% CI (log-log transform); 6 rows
    group  cause  n_events  last_time  estimate  ci_lower  ci_upper
      all      1         3          6    0.6111   0.04453     0.925
      all      2         2          6    0.3889  0.001589    0.8707
    """

    summary: pd.DataFrame = field(repr=False)
    conf_level: float
    conf_type: str
    groups: tuple[object, ...]
    causes: tuple[object, ...]
    group_sizes: tuple[int, ...]
    time_col: str
    event_col: str
    group_col: str | None = None
    entry_col: str | None = None
    weights_col: str | None = None
    variance: str = "cmprsk"

    @property
    def method(self) -> str:
        """One-line description (estimator, weights, variance, CI transform, sizes)."""
        by = f" by {self.group_col}" if self.group_col else ""
        trunc = f", left-truncated at {self.entry_col}" if self.entry_col else ""
        wt = f", case weights {self.weights_col}" if self.weights_col else ""
        var = (
            "delta-method variance as cmprsk::cuminc"
            if self.variance == "cmprsk"
            else "infinitesimal-jackknife variance as survival::survfit"
        )
        sizes = f"{sum(self.group_sizes)} rows"
        if self.weights_col:
            first = self.summary[self.summary["cause"] == self.causes[0]]
            # every row exits once: its weight is in the events or the censored of a time
            w_n = float(
                first["weighted_censored"].sum()
                + self.summary.groupby("cause", sort=False)["weighted_events"].sum().sum()
            )
            sizes += f" (unweighted; weighted n = {w_n:.4g})"
        return (
            f"Aalen-Johansen cumulative incidence{trunc}{wt}, "
            f"{plural(len(self.causes), 'cause')}, {plural(len(self.groups), 'group')}{by}, "
            f"{var}, {self.conf_level:.0%} CI ({self.conf_type} transform); {sizes}"
        )

    def to_frame(self) -> pd.DataFrame:
        """Return a copy of :attr:`summary`."""
        return self.summary.copy()

    def _display_frame(self) -> pd.DataFrame:
        """Events and the cumulative incidence at the last time, per group and cause."""
        keys = ["group", "cause"]
        last = self.summary.groupby(keys, sort=False).tail(1).set_index(keys)
        events = self.summary.groupby(keys, sort=False)["n_events"].sum()
        out = last[["time", "estimate", "ci_lower", "ci_upper"]].rename(
            columns={"time": "last_time"}
        )
        out.insert(0, "n_events", events.reindex(out.index).astype(int))
        if self.weights_col:
            w_events = self.summary.groupby(keys, sort=False)["weighted_events"].sum()
            out.insert(1, "weighted_events", w_events.reindex(out.index))
        return out.reset_index()

    def at(self, times: npt.ArrayLike) -> pd.DataFrame:
        """Cumulative incidence at chosen times, with risk-table counts.

        Parameters
        ----------
        times : array-like of float
            Times in months (>= 0).

        Returns
        -------
        pandas.DataFrame
            One row per group x cause x time: ``group``, ``cause``, ``time``, ``n_at_risk``
            (at risk at ``time``; 0 after the last follow-up), ``n_events`` (cumulative
            events of the cause up to ``time``), ``n_censored`` (cumulative), ``estimate``,
            ``std_err``, ``ci_lower``, ``ci_upper`` (0 before the first time), ``conf_level``,
            ``conf_type``. Counts are rows; a weighted result adds ``weighted_at_risk``,
            ``weighted_events`` and ``weighted_censored`` after ``n_censored``.
        """
        ts = np.atleast_1d(np.asarray(times, dtype=float))
        if ts.ndim != 1 or np.any(~np.isfinite(ts)) or np.any(ts < 0):
            raise ValueError(f"times must be finite and >= 0, got {times!r}")
        parts = []
        for (level, cause), sub in self.summary.groupby(["group", "cause"], sort=False):
            tt = sub["time"].to_numpy()
            k = np.searchsorted(tt, ts, side="right")
            j = np.searchsorted(tt, ts, side="left")

            def take(col: str, sub: pd.DataFrame = sub, k: np.ndarray = k) -> np.ndarray:
                return np.concatenate(([0.0], sub[col].to_numpy(dtype=float)))[k]

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

            parts.append(
                pd.DataFrame(
                    {
                        "group": level,
                        "cause": cause,
                        "time": ts,
                        "n_at_risk": np.concatenate((sub["n_at_risk"].to_numpy(), [0]))[j],
                        "n_events": np.concatenate(([0], np.cumsum(sub["n_events"])))[k],
                        "n_censored": np.concatenate(([0], np.cumsum(sub["n_censored"])))[k],
                        **weighted,
                        "estimate": take("estimate"),
                        "std_err": take("std_err"),
                        "ci_lower": take("ci_lower"),
                        "ci_upper": take("ci_upper"),
                    }
                )
            )
        out = pd.concat(parts, ignore_index=True)
        out["conf_level"] = self.conf_level
        out["conf_type"] = self.conf_type
        return out


def cumulative_incidence(
    data: pd.DataFrame,
    *,
    time: str = "time",
    event: str = "event",
    group: str | None = None,
    conf_level: float = 0.95,
    conf_type: CifConfType = "log-log",
    event_codes: Mapping[object, int] | None = None,
    weights: str | None = None,
    entry: str | None = None,
    variance: CifVariance = "cmprsk",
) -> CumulativeIncidenceResult:
    """Aalen-Johansen cumulative incidence of each cause, by group.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per subject; not modified.
    time : str, default="time"
        Follow-up time in months.
    event : str, default="event"
        Cause of the end of follow-up: integer codes 0 = censored, 1..K = causes (e.g. 1
        progression, 2 stop for toxicity, 3 death), or any labels translated by
        ``event_codes``.
    group : str or None, default=None
        Group column.
    conf_level : float, default=0.95
        CI level.
    conf_type : {"log-log", "plain"}, default="log-log"
        CI transform of the cumulative incidence F: "log-log" is
        ``F^exp(+-z se / (F |log F|))`` (stays in (0, 1); missing where F is 0 or 1, like
        R's log-log band for survival); "plain" is ``F +- z se`` clipped to [0, 1].
    event_codes : mapping or None, default=None
        Translation of the event column's values to integer codes, e.g.
        ``{"censored": 0, "progression": 1, "toxicity": 2}``; 0 must be present. The labels
        become the ``cause`` values of the output.
    weights : str or None, default=None
        Column with case weights (finite, >= 0; zero-weight rows are dropped), as R
        ``survfit(Surv(time, factor(event)) ~ group, weights=)``.
    entry : str or None, default=None
        Column with delayed-entry times (left truncation): at risk at ``t`` when
        ``entry < t <= time``, as R ``survfit(Surv(entry, time, factor(event)) ~ 1)``.
        Needs ``variance="aalen-johansen"`` (cmprsk has no delayed entry).
    variance : {"cmprsk", "aalen-johansen"}, default="cmprsk"
        "cmprsk": the delta-method variance of ``cmprsk::cuminc`` (with case weights: the
        same formula on weighted counts, which for integer weights equals ``cuminc`` on the
        rows repeated). "aalen-johansen": the infinitesimal-jackknife variance
        ``sum_i (w_i D_i(t))^2`` that R ``survfit`` reports for multi-state curves
        (computed in closed form, O(rows + times)).

    Returns
    -------
    CumulativeIncidenceResult
        ``.summary`` (columns in :class:`CumulativeIncidenceResult`) and ``.at(times)``.

    Raises
    ------
    netstats.exceptions.SchemaError
        Invalid columns or event codes.
    ValueError, TypeError
        Invalid options, or ``entry`` with ``variance="cmprsk"``.

    Notes
    -----
    ``F_k(t) = sum_{t_j <= t} S(t_j-) d_kj / n_j`` with S the all-cause Kaplan-Meier
    (Aalen-Johansen estimator; equal to R ``survfit``'s multi-state ``pstate``). Tied times
    are not broken: all events at a time leave the risk set together, so the result is
    deterministic (lifelines jitters ties at random). The variance is the Aalen-type
    delta-method estimator of Gray's ``cmprsk::cuminc`` (with its correction for tied
    events); it changes only at the cause's own event times, as in cmprsk. R ``survfit``
    reports an infinitesimal-jackknife SE instead, which differs slightly. With a single
    cause the estimate equals 1 - Kaplan-Meier. ``variance="aalen-johansen"`` gives R
    ``survfit``'s SE (the derivative of F_k(t) with respect to each row's weight, squared,
    weighted and summed), with case weights and delayed entry as well.

    Case weights replace every count by the sum of the weights (frequency weights: integer
    weights give the estimate, and cmprsk's variance, of the data with each row repeated; the
    jackknife variance treats a row of weight k as one subject counted k times); the ``n_*``
    columns keep counting rows, so tables and figures never show a weighted sum as a number
    of patients.

    References
    ----------
    Aalen OO, Johansen S (1978). Scand J Stat 5:141-150. Gray RJ (2022). cmprsk: Subdistribution
    Analysis of Competing Risks, R package 2.2-11 (function cuminc). Marubini E, Valsecchi
    MG (1995). Analysing Survival Data from Clinical Trials and Observational Studies,
    chapter 10. Wiley.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"time": [1.0, 2, 3, 4], "event": [1, 2, 0, 1]})
    >>> cumulative_incidence(df).summary.query("cause == 1")["estimate"].tolist()
    [0.25, 0.25, 0.25, 0.75]
    >>> df["w"] = [2.0, 1.0, 1.0, 0.0]  # the last row drops out
    >>> fit = cumulative_incidence(df, weights="w", variance="aalen-johansen")
    >>> fit.summary.query("cause == 1")[["time", "n_at_risk", "weighted_at_risk", "estimate"]]
       time  n_at_risk  weighted_at_risk  estimate
    0   1.0          3               4.0       0.5
    1   2.0          2               2.0       0.5
    2   3.0          1               1.0       0.5
    """
    _check_conf(conf_level, "log")
    if conf_type not in ("log-log", "plain"):
        raise ValueError(f"conf_type must be 'log-log' or 'plain', got {conf_type!r}")
    if variance not in _CIF_VARIANCES:
        raise ValueError(f"variance must be one of {_CIF_VARIANCES}, got {variance!r}")
    if entry is not None and variance == "cmprsk":
        raise ValueError(
            "delayed entry needs variance='aalen-johansen' (cmprsk::cuminc has no left truncation)"
        )
    full = check_survival_data(
        data, time=time, event=None, group=group, entry=entry, weights=weights
    )
    codes, labels = _event_causes(data, event, event_codes)
    if full.weights is not None:
        codes = codes[full.weights > 0]
        if event_codes is None:  # causes seen only in zero-weight rows drop with them
            labels = {k: v for k, v in labels.items() if k in set(codes.tolist())}
    clean = full.positive()
    causes = sorted(labels)
    if not causes:
        raise SchemaError(f"{event}: no events of any cause (all rows censored)")
    levels = list(clean.group_levels)
    parts = []
    sizes = []
    for code, level in enumerate(levels):
        m = np.ones(codes.size, bool) if clean.group is None else clean.group == code
        sizes.append(int(m.sum()))
        arr = _cif_one_group(
            clean.time[m],
            codes[m],
            causes,
            None if clean.weights is None else clean.weights[m],
            None if clean.entry is None else clean.entry[m],
            variance,
        )
        for k in causes:
            se = np.sqrt(arr[f"var_{k}"])
            lo, hi = _cif_confint(arr[f"cif_{k}"], se, float(conf_level), conf_type)
            weighted = {}
            if clean.weights is not None:
                weighted = {
                    "weighted_at_risk": arr["w_at_risk"],
                    "weighted_events": arr[f"w_{k}"],
                    "weighted_censored": arr["w_censored"],
                }
            parts.append(
                pd.DataFrame(
                    {
                        "group": level,
                        "cause": labels[k],
                        "time": arr["time"],
                        "n_at_risk": arr["n_at_risk"],
                        "n_events": arr[f"d_{k}"],
                        "n_censored": arr["n_censored"],
                        **weighted,
                        "estimate": arr[f"cif_{k}"],
                        "std_err": se,
                        "ci_lower": lo,
                        "ci_upper": hi,
                    }
                )
            )
    summary = pd.concat(parts, ignore_index=True)
    summary["conf_level"] = float(conf_level)
    summary["conf_type"] = conf_type
    return CumulativeIncidenceResult(
        summary=summary,
        conf_level=float(conf_level),
        conf_type=conf_type,
        groups=tuple(levels),
        causes=tuple(labels[k] for k in causes),
        group_sizes=tuple(sizes),
        time_col=time,
        event_col=event,
        group_col=group,
        entry_col=entry,
        weights_col=weights,
        variance=variance,
    )


# ------------------------------------------------------------------- Gray's test ------------
def _gray_stratum(
    t: np.ndarray, m: np.ndarray, g: np.ndarray, ng: int, rho: float
) -> tuple[np.ndarray, np.ndarray]:
    """Score vector and covariance (all ng groups) of Gray's test in one stratum.

    ``m`` is 0 censored, 1 cause of interest, 2 other cause; ``g`` holds group codes 0..ng-1.
    Vectorised over the distinct event times; notation follows Gray (1988), section 2.
    """
    ev_times = np.unique(t[m > 0])
    if ev_times.size == 0:
        return np.zeros(ng), np.zeros((ng, ng))
    tn = ev_times.size
    at_risk = np.empty((tn, ng))
    d1 = np.empty((tn, ng))
    d2 = np.empty((tn, ng))
    for j in range(ng):
        tj = np.sort(t[g == j])
        at_risk[:, j] = tj.size - np.searchsorted(tj, ev_times, side="left")
        for arr, code in ((d1, 1), (d2, 2)):
            tc = np.sort(t[(g == j) & (m == code)])
            arr[:, j] = np.searchsorted(tc, ev_times, "right") - np.searchsorted(
                tc, ev_times, "left"
            )
    pos = at_risk > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        step = np.where(pos, (at_risk - d1 - d2) / at_risk, 1.0)
        km_right = np.cumprod(step, axis=0)  # group all-cause KM, right-continuous
        km_left = np.vstack([np.ones((1, ng)), km_right[:-1]])
        f1_inc = np.where(pos, km_left * d1 / at_risk, 0.0)
        f1_left = np.vstack([np.zeros((1, ng)), np.cumsum(f1_inc, axis=0)[:-1]])
        h = np.where(pos, at_risk / km_left, 0.0)  # t1 in Gray's notation
        tr = h.sum(axis=1)
        tq = (h * (1.0 - f1_left)).sum(axis=1)
        nd1 = d1.sum(axis=1)
        nd2 = d2.sum(axis=1)
        f = np.cumsum(nd1 / tr)  # pooled weighted CIF, right-continuous
        fm = np.concatenate(([0.0], f[:-1]))
        fb = (1.0 - fm) ** rho
        a = fb[:, None, None] * (
            np.einsum("ti,ij->tij", h, np.eye(ng))
            - h[:, :, None] * h[:, None, :] / tr[:, None, None]
        )
        c = np.cumsum(a * (nd1 / (tr * (1.0 - fm)))[:, None, None], axis=0)
        score = (
            fb[:, None] * np.where(pos, d1 - nd1[:, None] * h * (1.0 - f1_left) / tq[:, None], 0.0)
        ).sum(axis=0)
        # own-cause events
        act1 = pos & (nd1[:, None] > 0)
        t4 = np.where(km_right > 0, 1.0 - (1.0 - f[:, None]) / km_right, 1.0)
        t5 = np.where(
            nd1[:, None] > 1, 1.0 - (nd1[:, None] - 1.0) / (tr[:, None] * km_left - 1.0), 1.0
        )
        t3 = np.where(act1, t5 * km_left * nd1[:, None] / (tr[:, None] * at_risk), 0.0)
        t4 = np.where(act1, t4, 0.0)
        b = a - t4[:, None, :] * c
        v3 = (t4**2 * t3).sum(axis=0)
        v2 = np.einsum("tik,tk->ik", b, t4 * t3)
        cov = np.einsum("tik,tlk,tk->il", b, b, t3)
        # other-cause events
        act2 = (km_right > 0) & (d2 > 0) & (nd2[:, None] > 0)
        u4 = np.where(act2, (1.0 - f[:, None]) / km_right, 0.0)
        u5 = np.where(d2 > 1, 1.0 - (d2 - 1.0) / (at_risk - 1.0), 1.0)
        u3 = np.where(act2, u5 * km_left**2 * d2 / at_risk**2, 0.0)
        u = u4**2 * u3
        v3 = v3 + u.sum(axis=0)
        v2 = v2 - np.einsum("tik,tk->ik", c, u)
        cov = cov + np.einsum("tik,tlk,tk->il", c, c, u)
    c_end = c[-1]
    cov = cov + np.einsum("ik,lk,k->il", c_end, c_end, v3) + c_end @ v2.T + v2 @ c_end.T
    return score, cov


@dataclass(frozen=True, repr=False)
class GrayTestResult(ResultDisplay):
    """Result of :func:`gray_test`.

    Attributes
    ----------
    summary : pandas.DataFrame
        One row per cause: ``cause``, ``statistic`` (chi-square), ``df``, ``p_value``.
    rho : float
        Power of the weight function ``(1 - F(t-))^rho``.
    strata : str or None
        Stratification column.
    groups : tuple
        Groups compared.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(3)
    >>> df = pd.DataFrame({"x": rng.binomial(1, 0.5, 300), "time": rng.exponential(10, 300),
    ...                    "status": rng.choice([0, 1, 2], 300, p=[0.3, 0.4, 0.3])})
    >>> from netstats.survival import gray_test
    >>> res = gray_test(df, event="status", group="x")
    >>> print(res.method)
    Gray's test of equal cumulative incidence across 2 groups (rho = 0), one test per cause
    >>> res.summary["cause"].tolist()
    [1, 2]
    """

    summary: pd.DataFrame = field(repr=False)
    rho: float
    strata: str | None
    groups: tuple[object, ...]

    @property
    def method(self) -> str:
        """One-line description (weight exponent, strata, groups)."""
        strat = f", stratified by {self.strata}" if self.strata else ""
        return (
            f"Gray's test of equal cumulative incidence across "
            f"{plural(len(self.groups), 'group')} (rho = {self.rho:g}{strat}), one test per cause"
        )

    def to_frame(self) -> pd.DataFrame:
        """Return a copy of :attr:`summary`."""
        return self.summary.copy()


def gray_test(
    data: pd.DataFrame,
    *,
    time: str = "time",
    event: str = "event",
    group: str,
    strata: str | None = None,
    rho: float = 0.0,
    event_codes: Mapping[object, int] | None = None,
) -> GrayTestResult:
    """Gray's k-sample test of equal cumulative incidence, for each cause.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per subject; not modified.
    time, event, event_codes
        As in :func:`cumulative_incidence`.
    group : str
        Groups to compare (at least two).
    strata : str or None, default=None
        Stratification column: scores and variances are summed over strata.
    rho : float, default=0
        Power of the weight ``(1 - F(t-))^rho`` (cmprsk's ``rho``).

    Returns
    -------
    GrayTestResult
        ``summary`` with one row per cause: ``cause``, ``statistic``, ``df`` (groups - 1),
        ``p_value``.

    Raises
    ------
    netstats.exceptions.SchemaError
        Invalid columns or fewer than two groups.

    Notes
    -----
    The test compares subdistribution hazards: the score is a weighted sum over event times
    of observed minus expected events of the cause, the variance the asymptotic estimator of
    Gray (1988). Written from the paper's formulas and checked against
    ``cmprsk::cuminc(...)$Tests``.

    References
    ----------
    Gray RJ (1988). A class of K-sample tests for comparing the cumulative incidence of a
    competing risk. Ann Stat 16:1141-1154.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"time": [1.0, 2, 3, 4, 5, 6], "event": [1, 2, 1, 0, 1, 2],
    ...                    "arm": list("ababab")})
    >>> gray_test(df, group="arm").summary.columns.tolist()
    ['cause', 'statistic', 'df', 'p_value']
    """
    if (
        isinstance(rho, bool)
        or not isinstance(rho, int | float | np.floating)
        or not np.isfinite(rho)
    ):
        raise TypeError(f"rho must be a finite number, got {rho!r}")
    clean = check_survival_data(data, time=time, event=None, group=group, strata=strata)
    codes, labels = _event_causes(data, event, event_codes)
    levels = list(clean.group_levels)
    if len(levels) < 2:
        raise SchemaError(f"{group}: need at least two groups to compare, found {levels}")
    gi = cast(np.ndarray, clean.group)  # not None: a group column was given
    ng = len(levels)
    rows = []
    for k in sorted(labels):
        m = np.where(codes == k, 1, np.where(codes > 0, 2, 0))
        score = np.zeros(ng)
        cov = np.zeros((ng, ng))
        blocks = (
            [np.ones(codes.size, bool)]
            if clean.strata is None
            else [clean.strata == c for c in range(len(clean.strata_levels))]
        )
        for sel in blocks:
            s, v = _gray_stratum(clean.time[sel], m[sel], gi[sel], ng, float(rho))
            score += s
            cov += v
        u = score[: ng - 1]
        vv = cov[: ng - 1, : ng - 1]
        scale = float(np.abs(vv).max())
        df = int(np.linalg.matrix_rank(vv, tol=1e-10 * scale)) if scale > 0 else 0
        if df == ng - 1:
            stat = float(u @ np.linalg.solve(vv, u))
        else:  # e.g. a group with no events of any cause: generalised inverse, smaller df
            stat = float(u @ np.linalg.pinv(vv, rcond=1e-10) @ u) if df > 0 else 0.0
        rows.append(
            {
                "cause": labels[k],
                "statistic": stat,
                "df": df,
                "p_value": float(chi2_sf(stat, df)) if df > 0 else np.nan,
            }
        )
    return GrayTestResult(
        summary=pd.DataFrame(rows), rho=float(rho), strata=strata, groups=tuple(levels)
    )

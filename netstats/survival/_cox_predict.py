"""Predictions from a fitted Cox model: baseline hazard, survival curves, adjusted curves.

Internal module behind :func:`baseline_hazard`, :func:`predict_survival` and
:func:`adjusted_survival` (and the thin :class:`~netstats.survival.CoxResult` methods).
Everything is computed from the fit's own sorted risk sets (``CoxResult._rs``) and centred
design (``CoxResult._x``), so strata, case weights, (start, stop] data and both tie
methods take one code path.

Per event time ``t_g`` (stratum ``s``) and, for Efron's method, per pseudo-row
``k = 0..d-1`` with denominator ``den_k = S0 - (k/d) D0`` and mean death weight ``c``
(Breslow: ``k/d = 0``):

- hazard increment ``dL_g = sum_k c / den_k`` (R ``survfit.coxph``: Efron-adjusted
  increments under ``ties="efron"``),
- variance increment ``sum_k c / den_k^2``,
- derivative of ``dL_g`` in beta, ``-sum_k c xbar_k / den_k`` with ``xbar_k`` the
  pseudo-row's weighted covariate mean.

The cumulative hazard of a profile ``z`` (centred covariates) is
``H(t|z) = exp(z'b) L(t)`` with variance (Tsiatis 1981; R's ``survfit.coxph(se.fit=TRUE)``)
``exp(2 z'b) [sum_g var_g + d(t)' V d(t)]``, ``d(t) = z L(t) - sum_g (c xbar / den)_g``
and ``V`` the fit's covariance (robust when the fit used it, as R).
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import sparse

from netstats._display import ResultDisplay, plural
from netstats.exceptions import SchemaError
from netstats.survival import _cox_core as core
from netstats.survival._cox_design import _check_missing
from netstats.survival._dist import norm_ppf
from netstats.survival._km import _check_conf as check_km_conf

if TYPE_CHECKING:
    from netstats.survival._cox import CoxResult

__all__ = [
    "AdjustedSurvivalResult",
    "CoxSurvivalResult",
    "adjusted_survival",
    "baseline_hazard",
    "predict_survival",
]

FloatArray = npt.NDArray[np.float64]
ConfType = Literal["log", "log-log", "plain"]
CONF_TYPES = ("log", "log-log", "plain")

#: Rows x times of one block of the influence-function matrix of :func:`adjusted_survival`.
IF_BLOCK = 2_000_000


# ---------------------------------------------------------------------- strata labels
def strata_levels(data: pd.DataFrame, names: Sequence[str]) -> tuple[object, ...]:
    """Labels of the strata codes ``cox`` assigns (code ``j`` is label ``j``): the sorted
    values for one column, tuples of the sorted combinations for several."""
    if not names:
        return ()
    if len(names) == 1:
        return tuple(pd.factorize(data[names[0]], sort=True)[1].tolist())
    sizes = data.groupby(list(names), sort=True, observed=True).size()
    return tuple(tuple(key) for key in sizes.index.tolist())


def strata_labels(columns: Sequence[str], levels: Sequence[Any]) -> tuple[str, ...]:
    """R's labels of the strata (``"sex=1"``, ``"sex=1, enum=2"``) from the levels
    :func:`cox` numbers them by (``CoxResult._strata_levels``, see
    :func:`strata_levels`), in the order of their codes."""
    if not columns:
        return ()
    if len(columns) == 1:
        return tuple(f"{columns[0]}={_level(v)}" for v in levels)
    return tuple(
        ", ".join(f"{c}={_level(v)}" for c, v in zip(columns, k, strict=True)) for k in levels
    )


def _level(value: Any) -> str:
    """A stratum level as R prints it (``1`` for a whole float ``1.0``)."""
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value)


def _stratum_name(fit: CoxResult, code: int) -> object:
    if not fit.strata:
        return "all"
    level = fit._strata_levels[code]
    if len(fit.strata) == 1:
        return level
    return strata_labels(fit.strata, fit._strata_levels)[code]


def _newdata_strata(fit: CoxResult, newdata: pd.DataFrame) -> npt.NDArray[np.int64]:
    """Stratum code of every row of ``newdata`` (0 for an unstratified fit)."""
    if not fit.strata:
        return np.zeros(len(newdata), dtype=np.int64)
    missing = [c for c in fit.strata if c not in newdata.columns]
    if missing:
        raise SchemaError(
            f"the model is stratified by {', '.join(fit.strata)}: newdata must name each "
            f"row's stratum (missing column(s): {', '.join(missing)})"
        )
    lookup = {level: j for j, level in enumerate(fit._strata_levels)}
    codes = np.empty(len(newdata), dtype=np.int64)
    if len(fit.strata) == 1:
        keys: list[object] = newdata[fit.strata[0]].tolist()
    else:
        keys = [tuple(row) for row in newdata[list(fit.strata)].itertuples(index=False)]
    for i, key in enumerate(keys):
        if key not in lookup:
            known = ", ".join(map(str, fit._strata_levels))
            raise SchemaError(
                f"stratum {key!r} (column(s) {', '.join(fit.strata)}) was not in the fitted "
                f"data; known strata: {known}"
            )
        codes[i] = lookup[key]
    return codes


# ---------------------------------------------------------------------- new covariates
_CATEGORICAL = re.compile(r"^C\(\s*`?([^`,()]+?)`?\s*(?:,.*)?\)$")


def check_levels(fit: CoxResult, newdata: pd.DataFrame) -> None:
    """Raise :class:`SchemaError` when a categorical covariate of ``newdata`` has a value
    the fit did not see (formulaic would code it as all zeros, i.e. the reference)."""
    spec = fit._design.spec
    if spec is None:
        return
    for expr, (kind, state) in spec.encoder_state.items():
        if str(getattr(kind, "value", kind)) != "categorical":
            continue
        m = _CATEGORICAL.match(str(expr).strip())
        col = m.group(1) if m else str(expr)
        if col not in newdata.columns:
            continue  # the design reports missing columns
        levels = list(state.get("categories", []))
        values = newdata[col]
        bad = sorted({str(v) for v in values[~values.isin(levels)].tolist()})
        if bad:
            raise SchemaError(
                f"column {col!r} has value(s) {', '.join(bad)} not seen when the model was "
                f"fitted; levels: {', '.join(map(str, levels))}"
            )


def design_rows(fit: CoxResult, newdata: pd.DataFrame) -> FloatArray:
    """Design matrix of ``newdata`` centred as the fit's engine (its column means)."""
    if not isinstance(newdata, pd.DataFrame):
        raise TypeError(f"newdata must be a pandas DataFrame, got {type(newdata).__name__}")
    if len(newdata) == 0:
        raise ValueError("newdata has no rows")
    check_levels(fit, newdata)
    with warnings.catch_warnings():
        warnings.simplefilter("error", category=Warning)
        try:
            x = fit._design.transform(newdata)
        except SchemaError:
            raise
        except Warning as exc:  # pragma: no cover - check_levels reports these first
            raise SchemaError(f"newdata does not match the fitted design: {exc}") from None
    return np.asarray(x - fit._design.means, dtype=float)


def reference_means(fit: CoxResult) -> FloatArray:
    """The covariate values a centred prediction refers to, R's ``coxph(...)$means``.

    As R's ``coxph(nocenter = c(-1, 0, 1))``: 0 for a column whose values are all -1, 0
    or 1 (indicators, treatment-coded categories), otherwise the column mean, case-weighted
    for right-censored data and unweighted for (start, stop] data (R's ``agreg.fit``).
    """
    rs = fit._rs
    x = fit._design.matrix
    if rs.start is None:
        means = fit._design.means + (rs.weights @ fit._x) / rs.weights.sum()
    else:
        means = fit._design.means.copy()
    nocenter = np.all(np.isin(x, (-1.0, 0.0, 1.0)), axis=0)
    return np.where(nocenter, 0.0, means)


def mean_offset(fit: CoxResult) -> float:
    """The offset a centred baseline refers to: its case-weighted mean (R's
    ``survfit.coxph``, ``offset.mean``); 0 without an offset."""
    if fit._offset is None:
        return 0.0
    w = fit._rs.weights
    return float(w @ fit._offset / w.sum())


# ---------------------------------------------------------------------- per-time sums
@dataclass(frozen=True)
class _Hazard:
    """Per event group: time, stratum code, hazard, variance and beta-derivative
    increments (at the engine's centring), and Efron pieces for the influence function."""

    time: FloatArray
    stratum: npt.NDArray[np.int64]
    haz: FloatArray
    var: FloatArray
    xb: FloatArray  # (n_groups, p)
    a1: FloatArray  # sum_k 1/(d den_k)
    a2: FloatArray  # sum_k c/den_k^2, times exp(shift) (see risk)
    b2: FloatArray  # sum_k c f_k/den_k^2, times exp(shift)
    # exp(x'b - shift of the row's stratum), sorted rows: risk * a2 and risk * b2 are the
    # true-scale products (the shifts cancel)
    risk: FloatArray


def _hazard(fit: CoxResult) -> _Hazard:
    rs = fit._rs
    x = fit._x
    p = x.shape[1]
    if rs.death_rows.size == 0:  # pragma: no cover - cox() refuses fits without events
        z = np.zeros(0)
        return _Hazard(z, np.zeros(0, np.int64), z, z, np.zeros((0, p)), z, z, z, z)
    ev = core.evaluate(rs, x, fit.coef, hessian=False)
    first = rs.group_first
    dr = rs.death_rows
    den = ev.den
    c = rs.cweight
    f = ev.frac
    gshift = (
        ev.shift[rs.row_sidx[dr[first]]] if ev.shift.size > 1 else np.full(first.size, ev.shift[0])
    )
    es = np.exp(-gshift)
    num = ev.s1[ev.group] - f[:, None] * ev.d1[ev.group]
    haz = np.add.reduceat(c / den, first) * es
    var = np.add.reduceat(c / den**2, first) * es**2
    xb = np.add.reduceat((c / den**2)[:, None] * num, first, axis=0) * es[:, None]
    nd = rs.n_deaths
    a1 = np.add.reduceat(1.0 / den, first) / nd * es
    a2 = np.add.reduceat(c / den**2, first) * es
    b2 = np.add.reduceat(c * f / den**2, first) * es
    return _Hazard(
        time=rs.stop[dr[first]],
        stratum=rs.strata[dr[first]],
        haz=haz,
        var=var,
        xb=xb,
        a1=a1,
        a2=a2,
        b2=b2,
        risk=ev.risk,
    )


@dataclass(frozen=True)
class _Grid:
    """Reported times of one stratum: every distinct stop time (as R's survfit) with the
    weighted numbers at risk and of events, and the number of event groups up to each."""

    time: FloatArray
    n_risk: FloatArray
    n_event: FloatArray
    upto: npt.NDArray[np.int64]  # groups (global index) with time <= t, for cumsums


def _grids(fit: CoxResult, hz: _Hazard) -> dict[int, _Grid]:
    rs = fit._rs
    out: dict[int, _Grid] = {}
    for j in range(rs.row_bounds.size - 1):
        lo, hi = int(rs.row_bounds[j]), int(rs.row_bounds[j + 1])
        code = int(rs.strata[lo])
        stop = rs.stop[lo:hi]
        w = rs.weights[lo:hi]
        times = np.unique(stop)
        o = np.argsort(stop, kind="stable")
        cw = np.concatenate([[0.0], np.cumsum(w[o])])
        n_risk = cw[-1] - cw[np.searchsorted(stop[o], times, side="left")]
        if rs.start is not None:
            start = rs.start[lo:hi]
            so = np.argsort(start, kind="stable")
            cs = np.concatenate([[0.0], np.cumsum(w[so])])
            n_risk = n_risk - (cs[-1] - cs[np.searchsorted(start[so], times, side="left")])
        ev = rs.event[lo:hi]
        n_event = np.bincount(
            np.searchsorted(times, stop[ev]), weights=w[ev], minlength=times.size
        ).astype(float)
        in_s = np.flatnonzero(hz.stratum == code)
        base = int(in_s[0]) if in_s.size else 0
        upto = base + np.searchsorted(hz.time[in_s], times, side="right")
        out[code] = _Grid(times, n_risk, n_event, upto.astype(np.int64))
    return out


def _cum(values: FloatArray) -> FloatArray:
    """Prefix sums with a leading zero: ``out[m]`` sums ``values[:m]`` (groups are
    contiguous per stratum, so a stratum's sum is ``out[upto] - out[first]``)."""
    shape = (values.shape[0] + 1,) + values.shape[1:]
    out = np.zeros(shape)
    np.cumsum(values, axis=0, out=out[1:])
    return out


def _profile_curve(
    fit: CoxResult,
    hz: _Hazard,
    grid: _Grid,
    first: int,
    z: FloatArray,
    se: bool,
    offset: float = 0.0,
) -> tuple[FloatArray, FloatArray]:
    """Cumulative hazard of profile ``z`` (engine-centred) with ``offset`` on ``grid``
    and its SE (the offset is known: it scales the hazard and its SE alike)."""
    ch = _cum(hz.haz)
    h0 = ch[grid.upto] - ch[first]
    risk = float(np.exp(z @ fit.coef + offset))
    cumhaz = risk * h0
    if not se:
        return cumhaz, np.full(cumhaz.size, np.nan)
    cv = _cum(hz.var)
    cx = _cum(hz.xb)
    v0 = cv[grid.upto] - cv[first]
    d = h0[:, None] * z[None, :] - (cx[grid.upto] - cx[first])
    quad = np.einsum("ij,jk,ik->i", d, fit.var, d)
    return cumhaz, risk * np.sqrt(np.maximum(v0 + quad, 0.0))


def _first_group(hz: _Hazard, code: int) -> int:
    in_s = np.flatnonzero(hz.stratum == code)
    return int(in_s[0]) if in_s.size else 0


def _check_conf(conf_type: str, conf_level: float) -> None:
    check_km_conf(conf_level, "log")  # the level's checks, shared with Kaplan-Meier
    if conf_type not in CONF_TYPES:
        raise ValueError(f"conf_type must be one of {', '.join(CONF_TYPES)}, got {conf_type!r}")


def survival_ci(
    surv: FloatArray, se_log: FloatArray, conf_type: str, conf_level: float
) -> tuple[FloatArray, FloatArray]:
    """Pointwise limits of a survival probability from the SE of ``-log S`` (R's
    ``survfit_confint(logse=TRUE)``); limits are ``S`` itself where the SE is 0."""
    q = norm_ppf(0.5 + conf_level / 2.0)
    s = np.asarray(surv, dtype=float)
    e = np.asarray(se_log, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        if conf_type == "plain":
            lo = np.maximum(s - q * e * s, 0.0)
            hi = np.minimum(s + q * e * s, 1.0)
        elif conf_type == "log":
            lo = s * np.exp(-q * e)
            hi = np.minimum(s * np.exp(q * e), 1.0)
        else:
            ls = np.log(s)
            shift = q * e / ls
            lo = np.exp(-np.exp(np.log(-ls) - shift))
            hi = np.exp(-np.exp(np.log(-ls) + shift))
    zero = e == 0
    lo = np.where(zero, s, lo)
    hi = np.where(zero, s, hi)
    return lo, hi


# ---------------------------------------------------------------------- baseline hazard
def baseline_hazard(fit: CoxResult, *, centered: bool = True, se: bool = True) -> pd.DataFrame:
    """Baseline cumulative hazard of a Cox model, per stratum.

    Breslow's estimator for a Breslow fit and its Efron-adjusted form for an Efron fit
    (as R's ``survfit.coxph`` and ``basehaz``), with case weights, strata and
    (start, stop] data.

    Parameters
    ----------
    fit : CoxResult
        From :func:`cox`.
    centered : bool, default=True
        Hazard at the fitting data's covariate means as R's ``coxph`` defines them (see
        Notes; R's ``basehaz(fit, centered=TRUE)``) and, with an offset, at its
        case-weighted mean (as R); ``False``: at all covariates and the offset zero (the
        model's baseline; R's ``basehaz(centered=FALSE)`` keeps the mean offset).
    se : bool, default=True
        Add the standard error of the cumulative hazard (including the uncertainty in
        the coefficients, as R's ``survfit(fit, se.fit=TRUE)$std.err``).

    Returns
    -------
    pandas.DataFrame
        One row per stratum and distinct stop time: ``stratum`` (the stratum's value,
        ``"all"`` unstratified), ``time``, ``n_risk`` and ``n_event`` (case-weighted),
        ``hazard`` (increment), ``cumhaz`` and ``se_cumhaz``.

    Notes
    -----
    The centring follows R's ``coxph(...)$means``: columns whose values are all -1, 0 or
    1 (indicators, treatment-coded categories) are not centred (their reference is 0);
    the others are centred at their mean, case-weighted for right-censored data and
    unweighted for (start, stop] data.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from netstats.survival import cox, baseline_hazard
    >>> rng = np.random.default_rng(1)
    >>> df = pd.DataFrame({"x": rng.uniform(0, 2, 200)})
    >>> df["time"] = rng.exponential(24 / np.exp(0.5 * df["x"]))
    >>> df["event"] = (rng.uniform(size=200) < 0.8).astype(int)
    >>> fit = cox(df, "x", time="time", event="event")
    >>> bh = baseline_hazard(fit)
    >>> bh.loc[:2, ["time", "n_risk", "cumhaz"]].round(3)
        time  n_risk  cumhaz
    0  0.076   200.0   0.005
    1  0.174   199.0   0.010
    2  0.227   198.0   0.015
    """
    hz = _hazard(fit)
    grids = _grids(fit, hz)
    ref = reference_means(fit) if centered else np.zeros(fit.coef.size)
    z = ref - fit._design.means
    off = mean_offset(fit) if centered else 0.0
    frames = []
    for code in sorted(grids):
        grid = grids[code]
        first = _first_group(hz, code)
        cumhaz, sd = _profile_curve(fit, hz, grid, first, z, se, off)
        frames.append(
            pd.DataFrame(
                {
                    "stratum": [_stratum_name(fit, code)] * grid.time.size,
                    "time": grid.time,
                    "n_risk": grid.n_risk,
                    "n_event": grid.n_event,
                    "hazard": np.diff(np.concatenate([[0.0], cumhaz])),
                    "cumhaz": cumhaz,
                    "se_cumhaz": sd,
                }
            )
        )
    out = pd.concat(frames, ignore_index=True)
    return out if se else out.drop(columns="se_cumhaz")


# ---------------------------------------------------------------------- survival curves
@dataclass(frozen=True, repr=False)
class CoxSurvivalResult(ResultDisplay):
    """Predicted survival curves of a Cox model for covariate profiles.

    Attributes
    ----------
    summary : pandas.DataFrame
        One row per profile and time: ``profile`` (the index label of the profile's row
        in ``newdata``), ``stratum``, ``time``, ``n_risk``, ``n_event``, ``cumhaz``,
        ``se_cumhaz``, ``survival``, ``se_survival``, ``ci_lower``, ``ci_upper``.
    profiles : pandas.DataFrame
        The ``newdata`` rows, with the linear predictor (``linear_predictor``, centred at
        the fitting sample's means, plus the row's offset when the model has one) of each.
    conf_type : {"log", "log-log", "plain"}
    conf_level : float
    ties : {"efron", "breslow"}

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from netstats.survival import cox, predict_survival
    >>> rng = np.random.default_rng(1)
    >>> df = pd.DataFrame({"x": rng.uniform(0, 2, 200)})
    >>> df["time"] = rng.exponential(24 / np.exp(0.5 * df["x"]))
    >>> df["event"] = (rng.uniform(size=200) < 0.8).astype(int)
    >>> curves = predict_survival(cox(df, "x", time="time", event="event"),
    ...                           pd.DataFrame({"x": [0.0, 1.0]}))
    >>> print(curves.method)
    Cox model survival (Efron hazard, Tsiatis SE), 2 profiles; 95% log CI
    """

    summary: pd.DataFrame
    profiles: pd.DataFrame
    conf_type: str
    conf_level: float
    ties: str

    @property
    def method(self) -> str:
        """One-line description."""
        n = self.profiles.shape[0]
        return (
            f"Cox model survival ({self.ties.capitalize()} hazard, Tsiatis SE), "
            f"{plural(n, 'profile')}; {self.conf_level:.0%} {self.conf_type} CI"
        )

    def to_frame(self) -> pd.DataFrame:
        """The curves (a copy)."""
        return self.summary.copy()

    def at(self, times: Sequence[float]) -> pd.DataFrame:
        """The curves read at ``times`` (step functions, right-continuous); before a
        stratum's first time the survival is 1 and the cumulative hazard 0."""
        return _read_at(self.summary, "profile", times)


def _read_at(summary: pd.DataFrame, key: str, times: Sequence[float]) -> pd.DataFrame:
    ts = np.asarray(times, dtype=float)
    if ts.ndim != 1 or not np.all(np.isfinite(ts)) or np.any(ts < 0):
        raise ValueError(f"times must be finite and >= 0, got {times!r}")
    values = [c for c in summary.columns if c not in (key, "stratum", "time", "n_risk", "n_event")]
    rows = []
    for k, sub in summary.groupby(key, sort=False):
        t = sub["time"].to_numpy()
        idx = np.searchsorted(t, ts, side="right") - 1
        part = pd.DataFrame({key: [k] * ts.size, "time": ts})
        if "stratum" in sub:
            part.insert(1, "stratum", sub["stratum"].iloc[0])
        for col in values:
            v = sub[col].to_numpy(dtype=float)
            start = 0.0 if col in ("cumhaz", "se_cumhaz", "se_survival", "se") else 1.0
            part[col] = np.where(idx >= 0, v[np.maximum(idx, 0)], start)
        rows.append(part)
    return pd.concat(rows, ignore_index=True)


def predict_survival(
    fit: CoxResult,
    newdata: pd.DataFrame,
    *,
    conf_type: ConfType = "log",
    conf_level: float | None = None,
) -> CoxSurvivalResult:
    """Survival curves of a Cox model for new covariate profiles, with pointwise CIs.

    As R's ``survfit(fit, newdata=, se.fit=TRUE, conf.type=)``: the curve of profile
    ``z`` is ``exp(-exp(z'b) L(t))`` with ``L`` the baseline cumulative hazard (Breslow, or
    Efron-adjusted for an Efron fit) of the profile's stratum.

    Parameters
    ----------
    fit : CoxResult
        From :func:`cox`.
    newdata : pandas.DataFrame
        One row per profile with the model's covariate columns (categorical values must
        be levels seen in the fit), the offset's columns when the model has one and, for
        a stratified fit, the strata column(s).
    conf_type : {"log", "log-log", "plain"}, default="log"
        CI transform (R's default ``"log"``: ``S exp(+-q se)`` with ``se`` the SE of the
        cumulative hazard; ``"log-log"`` on ``log(-log S)``; ``"plain"`` ``S +- q S se``).
        Limits are capped to [0, 1] as R's; before the first event (SE 0) both limits are
        ``S = 1`` (R gives NA for ``"log-log"`` there).
    conf_level : float, optional
        Defaults to the fit's ``conf_level``.

    Returns
    -------
    CoxSurvivalResult
        See its ``summary``. The SE of the cumulative hazard is Tsiatis' (R's
        ``std.err``), including the term for the uncertainty in the coefficients;
        ``se_survival`` is ``survival * se_cumhaz`` (R's ``summary()$std.err``).

    Raises
    ------
    SchemaError
        A covariate or strata column missing from ``newdata``, a categorical value or a
        stratum not seen in the fit.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from netstats.survival import cox, predict_survival
    >>> rng = np.random.default_rng(1)
    >>> df = pd.DataFrame({"x": rng.uniform(0, 2, 200)})
    >>> df["time"] = rng.exponential(24 / np.exp(0.5 * df["x"]))
    >>> df["event"] = (rng.uniform(size=200) < 0.8).astype(int)
    >>> curves = predict_survival(cox(df, "x", time="time", event="event"),
    ...                           pd.DataFrame({"x": [1.0]}))
    >>> curves.at([2.5])[["time", "survival"]].round(3)
       time  survival
    0   2.5     0.821
    """
    level = fit.conf_level if conf_level is None else conf_level
    _check_conf(conf_type, level)
    z = design_rows(fit, newdata)
    offsets = fit._design.offset_for(newdata)
    if offsets is None:
        offsets = np.zeros(len(newdata))
    codes = _newdata_strata(fit, newdata)
    hz = _hazard(fit)
    grids = _grids(fit, hz)
    frames = []
    for i, label in enumerate(newdata.index):
        code = int(codes[i])
        if code not in grids:  # pragma: no cover - every fitted stratum has rows
            raise SchemaError(f"stratum {_stratum_name(fit, code)!r} has no rows in the fit")
        grid = grids[code]
        cumhaz, sd = _profile_curve(
            fit, hz, grid, _first_group(hz, code), z[i], True, float(offsets[i])
        )
        surv = np.exp(-cumhaz)
        lo, hi = survival_ci(surv, sd, conf_type, level)
        frames.append(
            pd.DataFrame(
                {
                    "profile": [label] * grid.time.size,
                    "stratum": [_stratum_name(fit, code)] * grid.time.size,
                    "time": grid.time,
                    "n_risk": grid.n_risk,
                    "n_event": grid.n_event,
                    "cumhaz": cumhaz,
                    "se_cumhaz": sd,
                    "survival": surv,
                    "se_survival": surv * sd,
                    "ci_lower": lo,
                    "ci_upper": hi,
                }
            )
        )
    profiles = newdata.copy()
    profiles["linear_predictor"] = (
        z + fit._design.means - reference_means(fit)
    ) @ fit.coef + offsets
    return CoxSurvivalResult(
        summary=pd.concat(frames, ignore_index=True),
        profiles=profiles,
        conf_type=conf_type,
        conf_level=level,
        ties=fit.ties,
    )


# ---------------------------------------------------------------------- adjusted curves
@dataclass(frozen=True, repr=False)
class AdjustedSurvivalResult(ResultDisplay):
    """Direct-standardised (g-formula) survival curves by a group variable.

    Attributes
    ----------
    summary : pandas.DataFrame
        One row per group level and time: ``group`` (the level), ``time``, ``survival``
        (the mean over the data's rows of the predicted curve with the group set to the
        level), ``se``, ``ci_lower``, ``ci_upper``.
    group : str
        The group column.
    levels : tuple
        Its levels, in order.
    n : int
        Rows averaged over.
    conf_type, conf_level
        CI transform and level.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from netstats.survival import cox, adjusted_survival
    >>> rng = np.random.default_rng(3)
    >>> df = pd.DataFrame({"arm": rng.choice(["a", "b"], 80), "age": rng.normal(60, 8, 80)})
    >>> df["time"] = rng.exponential(20, 80).round(1) + 0.1
    >>> df["event"] = (rng.uniform(size=80) < 0.7).astype(int)
    >>> fit = cox(df, "C(arm) + age", time="time", event="event")
    >>> adj = adjusted_survival(fit, df, group="arm", times=[12.0])
    >>> print(adj.method)
    Adjusted survival by arm (g-formula, mean of 80 predicted curves; influence-function SE); 95% log CI
    """

    summary: pd.DataFrame
    group: str
    levels: tuple[object, ...]
    n: int
    conf_type: str
    conf_level: float

    @property
    def method(self) -> str:
        """One-line description."""
        return (
            f"Adjusted survival by {self.group} (g-formula, mean of {self.n} predicted "
            f"curves; influence-function SE); {self.conf_level:.0%} {self.conf_type} CI"
        )

    def to_frame(self) -> pd.DataFrame:
        """The curves (a copy)."""
        return self.summary.copy()


def _beta_influence(fit: CoxResult) -> FloatArray:
    """``w_i dbeta/dw_i`` per sorted row: the weighted dfbeta residuals (R's
    ``residuals(fit, "dfbeta")`` times the weights)."""
    rs = fit._rs
    resid = core.score_residuals(rs, fit._x, fit.coef)
    return (resid * rs.weights[:, None]) @ fit.naive_var


@dataclass(frozen=True)
class _Influence:
    """Pieces of the influence function of a mean of predicted curves on a time grid."""

    fit: CoxResult
    hz: _Hazard
    grid: FloatArray
    upto: dict[int, npt.NDArray[np.int64]]  # per stratum: groups (global) with time <= t
    first: dict[int, int]
    dfb: FloatArray

    @classmethod
    def build(cls, fit: CoxResult, grid: FloatArray) -> _Influence:
        rs = fit._rs
        hz = _hazard(fit)
        upto: dict[int, npt.NDArray[np.int64]] = {}
        first: dict[int, int] = {}
        for code in np.unique(rs.strata).tolist():
            in_s = np.flatnonzero(hz.stratum == code)
            first[code] = int(in_s[0]) if in_s.size else 0
            upto[code] = first[code] + np.searchsorted(hz.time[in_s], grid, side="right")
        return cls(fit, hz, grid, upto, first, _beta_influence(fit))

    def mean_curve(self, z: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Mean over the (sorted) rows of the curves of profiles ``z`` and its SE."""
        n, nt = self.fit._rs.n, self.grid.size
        surv = np.empty(nt)
        se = np.empty(nt)
        block = max(1, IF_BLOCK // max(n, 1))
        r = np.exp(z @ self.fit.coef)
        for t0 in range(0, nt, block):
            sl = slice(t0, min(nt, t0 + block))
            surv[sl], se[sl] = self._block(z, r, sl)
        return surv, se

    def _block(self, z: FloatArray, r: FloatArray, sl: slice) -> tuple[FloatArray, FloatArray]:
        fit, hz, rs = self.fit, self.hz, self.fit._rs
        n, m = rs.n, sl.stop - sl.start
        ch, cx, ca2 = _cum(hz.haz), _cum(hz.xb), _cum(hz.a2)
        grid = self.grid[sl]
        death_g = np.full(n, -1, dtype=np.int64)
        death_g[rs.death_rows] = rs.death_group
        s_i = np.empty((n, m))
        total = np.empty((n, m))
        # Sorted rows are grouped by stratum: each stratum is a slice (views, no copies).
        bounds = rs.row_bounds
        parts = []
        for lo_row, hi_row in zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True):
            code = int(rs.strata[lo_row])
            rows = slice(lo_row, hi_row)
            f0, u = self.first[code], self.upto[code][sl]
            lam = ch[u] - ch[f0]  # the stratum's baseline cumulative hazard, m
            np.multiply(-r[rows, None], lam[None, :], out=s_i[rows])
            np.exp(s_i[rows], out=s_i[rows])
            sr = s_i[rows] * (r[rows, None] / n)  # (1/n) S_i r_i
            big_b = sr.sum(axis=0)  # B_s(t)
            big_a = lam[:, None] * (sr.T @ z[rows])  # A_s(t), m x p
            parts.append(big_a - big_b[:, None] * (cx[u] - cx[f0]))
            # the rows' weight derivatives of the stratum's baseline hazard, times B_s(t)
            lo, hi = rs.idx_start[rows, None], rs.idx_stop[rows, None]
            dl = total[rows]
            np.subtract(ca2[np.maximum(np.minimum(u[None, :], hi), lo)], ca2[lo], out=dl)
            dl *= -hz.risk[rows, None]
            dg = death_g[rows]
            dies = np.flatnonzero(dg >= 0)
            if dies.size:
                gd = dg[dies]
                val = hz.a1[gd] + hz.risk[lo_row + dies] * hz.b2[gd]
                dl[dies] += val[:, None] * (hz.time[gd][:, None] <= grid[None, :])
            dl *= rs.weights[rows, None] * big_b[None, :]
        sbar = s_i.mean(axis=0)
        # total = (S_i - S) / n - [dfbeta_i' sum_s (A_s - B_s X_s) + B_s(i) dL_i]
        total += self.dfb @ np.sum(parts, axis=0).T
        total *= -1.0
        s_i -= sbar[None, :]
        s_i /= n
        total += s_i
        clusters = fit._cluster_codes
        if clusters is not None:
            collapse = sparse.csr_array(
                (np.ones(n), (clusters, np.arange(n))), shape=(int(clusters.max()) + 1, n)
            )
            total = collapse @ total
        return sbar, np.sqrt(np.einsum("ij,ij->j", total, total))


def _check_adjusted(
    fit: CoxResult, data: pd.DataFrame, group: str, levels: Sequence[object] | None
) -> tuple[tuple[object, ...], pd.DataFrame]:
    """Validate the arguments of :func:`adjusted_survival`; return the levels and the
    data in the engine's sorted row order."""
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"data must be a pandas DataFrame, got {type(data).__name__}")
    if not isinstance(group, str) or group not in data.columns:
        raise SchemaError(f"group column {group!r} not found in data")
    if group in fit.strata:
        raise SchemaError(
            f"group column {group!r} is a stratum of the model (no coefficient): "
            "adjusted curves compare levels of a covariate"
        )
    if group not in fit._design.variables:
        raise SchemaError(f"group column {group!r} is not a covariate of the model")
    if fit.offset:
        raise SchemaError(
            "adjusted curves are not available for a model with an offset "
            f"({', '.join(fit.offset)}): fit the offset's variable as a covariate"
        )
    rs = fit._rs
    if rs.start is not None:
        raise SchemaError(
            "adjusted curves need one row per subject: the model was fitted to (start, stop] "
            "rows, whose covariates change over time"
        )
    if len(data) != rs.n:
        raise SchemaError(
            f"data has {len(data)} rows but the model was fitted to {rs.n}: pass the "
            "fitting data (same rows, same order)"
        )
    _check_missing(data, [group], role="group")
    lv = tuple(sorted(pd.unique(data[group]).tolist())) if levels is None else tuple(levels)
    if not lv:
        raise ValueError("no levels to standardise to")
    ordered = data.iloc[rs.order]  # sorted row order of the engine
    codes = _newdata_strata(fit, ordered)
    if fit.strata and not np.array_equal(codes, rs.strata):
        raise SchemaError("data are not the rows the model was fitted to (strata differ)")
    return lv, ordered


def adjusted_survival(
    fit: CoxResult,
    data: pd.DataFrame,
    *,
    group: str,
    levels: Sequence[object] | None = None,
    times: Sequence[float] | None = None,
    conf_type: ConfType = "log",
    conf_level: float | None = None,
) -> AdjustedSurvivalResult:
    """Direct-standardised (marginal, g-formula) survival curves by a group variable.

    For each level ``g`` of ``group`` every row of ``data`` gets ``group = g`` (its other
    covariates and stratum unchanged) and the predicted survival curves are averaged:
    ``S_g(t) = mean_i S(t | x_i, group = g)``, the survival the whole cohort would have
    under level ``g`` (as R ``riskRegression::ate(..., estimator="GFORMULA")``).

    Parameters
    ----------
    fit : CoxResult
        From :func:`cox`; ``group`` must be one of its covariates (not a stratum).
    data : pandas.DataFrame
        The data the model was fitted to (same rows, same order): the influence function
        pairs each row's model contribution with its own predicted curve.
    group : str
        The covariate column whose levels are compared.
    levels : sequence, optional
        Levels to standardise to; default the sorted distinct values of ``data[group]``.
    times : sequence of float, optional
        Times to report; default every distinct event time of the fit (where the curves
        step). The cost is rows x times x levels: give a grid for large data.
    conf_type : {"log", "log-log", "plain"}, default="log"
        CI transform, as :func:`predict_survival` (applied to the SE of ``log S_g``).
    conf_level : float, optional
        Defaults to the fit's ``conf_level``.

    Returns
    -------
    AdjustedSurvivalResult

    Raises
    ------
    SchemaError
        ``group`` not a covariate of the model, a level not seen in the fit, ``data``
        without the fit's rows, or a fit to (start, stop] data (no one row per subject).

    Notes
    -----
    The standard error is from the influence function of ``S_g(t)``: the sum over rows
    (clusters, when the fit used a cluster-robust variance) of the squared effects of
    each row, ``(S_i(t) - S_g(t)) / n`` for the averaging plus the row's effect through
    the estimated coefficients (its weighted dfbeta residual) and the baseline hazard
    (its infinitesimal-jackknife influence on the Breslow or Efron increments), as
    riskRegression's ``ate`` with ``se=TRUE`` (equal to it without tied event times; with
    ties ``ate`` does not take the exact derivative). The coefficients' part is thus a
    sandwich (robust) variance whichever variance the fit reports. The mean is over the
    rows unweighted: case weights of the fit enter through the model only.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from netstats.survival import cox, adjusted_survival
    >>> rng = np.random.default_rng(3)
    >>> df = pd.DataFrame({"arm": rng.choice(["a", "b"], 80), "age": rng.normal(60, 8, 80)})
    >>> df["time"] = rng.exponential(20, 80).round(1) + 0.1
    >>> df["event"] = (rng.uniform(size=80) < 0.7).astype(int)
    >>> fit = cox(df, "C(arm) + age", time="time", event="event")
    >>> adjusted_survival(fit, df, group="arm", times=[12.0]).summary[
    ...     ["group", "survival"]].round(3)
      group  survival
    0     a     0.722
    1     b     0.788
    """
    level = fit.conf_level if conf_level is None else conf_level
    _check_conf(conf_type, level)
    lv, ordered = _check_adjusted(fit, data, group, levels)
    rs = fit._rs
    grid_t = np.unique(rs.stop[rs.event]) if times is None else np.asarray(times, dtype=float)
    if grid_t.ndim != 1 or not np.all(np.isfinite(grid_t)) or np.any(grid_t < 0):
        raise ValueError(f"times must be finite and >= 0, got {times!r}")
    infl = _Influence.build(fit, grid_t)
    rows_summary = []
    for g in lv:
        newd = ordered.copy()
        newd[group] = pd.Series([g] * rs.n, index=newd.index, dtype=ordered[group].dtype)
        z = design_rows(fit, newd)
        surv_mean, se = infl.mean_curve(z)
        with np.errstate(divide="ignore", invalid="ignore"):
            se_log = np.where(surv_mean > 0, se / surv_mean, np.nan)
        lo, hi = survival_ci(surv_mean, se_log, conf_type, level)
        rows_summary.append(
            pd.DataFrame(
                {
                    "group": [g] * grid_t.size,
                    "time": grid_t,
                    "survival": surv_mean,
                    "se": se,
                    "ci_lower": lo,
                    "ci_upper": hi,
                }
            )
        )
    n = rs.n
    return AdjustedSurvivalResult(
        summary=pd.concat(rows_summary, ignore_index=True),
        group=group,
        levels=lv,
        n=n,
        conf_type=conf_type,
        conf_level=level,
    )

"""Competing-risks regression: Fine-Gray subdistribution hazards and cause-specific Cox."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from netstats._display import ResultDisplay, plural
from netstats.exceptions import ConvergenceError, NetstatsError, SchemaError
from netstats.survival._cox import CoxResult, _numeric, cox
from netstats.survival._cox_design import build_design
from netstats.survival._dist import norm_ppf, norm_sf

__all__ = ["FineGrayResult", "cause_specific_cox", "fine_gray"]

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, repr=False)
class FineGrayResult(ResultDisplay):
    """A fitted Fine-Gray subdistribution-hazards model.

    Attributes
    ----------
    summary : pandas.DataFrame
        One row per model column; see :func:`fine_gray`.
    coef, var : numpy.ndarray
        Log subdistribution hazard ratios and their sandwich covariance (as ``crr``).
    naive_var : numpy.ndarray
        Inverse information, ignoring the estimated censoring weights.
    loglik, loglik_null : float
        Log pseudo-partial likelihood at the estimate and at zero (as ``crr``).
    cause : int or str
        Event code of the cause of interest.
    n, n_events, n_competing, n_censored : int
    conf_level : float
    iterations : int

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(3)
    >>> df = pd.DataFrame({"x": rng.binomial(1, 0.5, 300), "time": rng.exponential(10, 300),
    ...                    "status": rng.choice([0, 1, 2], 300, p=[0.3, 0.4, 0.3])})
    >>> from netstats.survival import fine_gray
    >>> fine_gray(df, "x", time="time", event="status", cause=1)
    FineGrayResult
    Fine-Gray subdistribution hazards for cause 1, Breslow ties, KM censoring weights, crr sandwich SE; 300 rows, 127 events, 79 competing, 94 censored; 95% CI
    term    hr  ci_lower  ci_upper  p_value
       x 0.977    0.6935     1.377   0.8943
    """

    summary: pd.DataFrame
    coef: FloatArray
    var: FloatArray
    naive_var: FloatArray
    loglik: float
    loglik_null: float
    cause: object
    n: int
    n_events: int
    n_competing: int
    n_censored: int
    conf_level: float
    iterations: int

    @property
    def method(self) -> str:
        """One-line description (cause, ties, weights, variance, sizes)."""
        return (
            f"Fine-Gray subdistribution hazards for cause {self.cause!r}, Breslow ties, "
            f"KM censoring weights, crr sandwich SE; {self.n} rows, "
            f"{plural(self.n_events, 'event')}, {self.n_competing} competing, "
            f"{self.n_censored} censored; {self.conf_level:.0%} CI"
        )

    def to_frame(self) -> pd.DataFrame:
        """The per-term summary table (a copy)."""
        return self.summary.copy()

    def _display_frame(self) -> pd.DataFrame:
        return self.summary[["term", "hr", "ci_lower", "ci_upper", "p_value"]]


@dataclass(frozen=True)
class _FGData:
    """Sorted data and the fixed pieces of the Fine-Gray pseudo-likelihood."""

    time: FloatArray
    x: FloatArray
    fail: npt.NDArray[np.bool_]  # cause of interest
    comp: npt.NDArray[np.bool_]  # competing cause
    cens: npt.NDArray[np.bool_]
    g_minus: FloatArray  # censoring KM just before each row's time
    fail_rows: npt.NDArray[np.int64]
    first_ge: npt.NDArray[np.int64]  # first row with time >= the failure time
    n_le: npt.NDArray[np.int64]  # per row: failures with time <= its time


def _censoring_km_before(time: FloatArray, cens: npt.NDArray[np.bool_]) -> FloatArray:
    """KM estimate of the censoring distribution just before each time (``crr``'s ``uuu``)."""
    uniq, inv = np.unique(time, return_inverse=True)
    at_risk = time.size - np.searchsorted(np.sort(time), uniq, side="left")
    dc = np.bincount(inv, weights=cens.astype(float), minlength=uniq.size)
    g_after = np.cumprod(1.0 - dc / at_risk)
    g_before = np.concatenate([[1.0], g_after[:-1]])
    return g_before[inv]


def _prepare(time: FloatArray, status: npt.NDArray[np.int64], x: FloatArray) -> _FGData:
    order = np.argsort(time, kind="stable")
    t = time[order]
    st = status[order]
    fail = st == 1
    comp = st == 2
    cens = st == 0
    fail_rows = np.flatnonzero(fail)
    return _FGData(
        time=t,
        x=x[order],
        fail=fail,
        comp=comp,
        cens=cens,
        g_minus=_censoring_km_before(t, cens),
        fail_rows=fail_rows,
        first_ge=np.searchsorted(t, t[fail_rows], side="left"),
        n_le=np.searchsorted(t[fail_rows], t, side="right"),
    )


def _risk_sets(
    d: _FGData, beta: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Risk-set sums at each failure row: weight 1 if still at risk, ``G(t-)/G(T_j-)`` for a
    competing-event row ``j`` with ``T_j < t``."""
    eta = d.x @ beta
    shift = float(eta.max())
    r = np.exp(eta - shift)
    rx = d.x * r[:, None]
    suffix0 = np.concatenate([np.cumsum(r[::-1])[::-1], [0.0]])
    suffix1 = np.vstack([np.cumsum(rx[::-1], axis=0)[::-1], np.zeros((1, d.x.shape[1]))])
    a = np.where(d.comp, r / d.g_minus, 0.0)
    prefix0 = np.concatenate([[0.0], np.cumsum(a)])
    prefix1 = np.vstack([np.zeros((1, d.x.shape[1])), np.cumsum(d.x * a[:, None], axis=0)])
    gf = d.g_minus[d.fail_rows]
    k = d.first_ge
    s0 = suffix0[k] + gf * prefix0[k]
    s1 = suffix1[k] + gf[:, None] * prefix1[k]
    return r, s0, s1, np.array([shift])


def _evaluate(d: _FGData, beta: FloatArray) -> tuple[float, FloatArray, FloatArray]:
    r, s0, s1, shift = _risk_sets(d, beta)
    xbar = s1 / s0[:, None]
    eta_f = d.x[d.fail_rows] @ beta
    loglik = float(eta_f.sum() - np.log(s0).sum() - shift[0] * s0.size)
    score = d.x[d.fail_rows].sum(axis=0) - xbar.sum(axis=0)
    # Information: sum_i S2_i / S0_i - xbar_i xbar_i', with S2 assembled per row.
    gf = d.g_minus[d.fail_rows]
    inv = 1.0 / s0
    c_le = np.concatenate([[0.0], np.cumsum(inv)])[d.n_le]  # failures at or before the row
    g_tail = np.cumsum((gf * inv)[::-1])[::-1]
    g_after = np.concatenate([g_tail, [0.0]])[d.n_le]  # failures strictly after the row
    coefs = r * (c_le + np.where(d.comp, g_after / d.g_minus, 0.0))
    info = (d.x * coefs[:, None]).T @ d.x - xbar.T @ xbar
    return loglik, score, info


def _sandwich(d: _FGData, beta: FloatArray, info: FloatArray) -> FloatArray:
    """``crr``'s variance: ``I^-1 (sum_i (eta_i + psi_i)(eta_i + psi_i)') I^-1``."""
    r, s0, s1, _ = _risk_sets(d, beta)
    x = d.x
    p = x.shape[1]
    xbar = s1 / s0[:, None]
    gf = d.g_minus[d.fail_rows]
    inv = 1.0 / s0

    def cum_le(values: FloatArray) -> FloatArray:
        c = np.concatenate([np.zeros((1,) + values.shape[1:]), np.cumsum(values, axis=0)])
        return c[d.n_le]

    def cum_gt(values: FloatArray) -> FloatArray:
        total = values.sum(axis=0)
        return total - cum_le(values)

    # eta_i: score residuals with the IPCW-weighted at-risk process.
    a1 = cum_le(inv)
    ax1 = cum_le(xbar * inv[:, None])
    b1 = cum_gt(gf * inv)
    bx1 = cum_gt(xbar * (gf * inv)[:, None])
    resid = -r[:, None] * (x * a1[:, None] - ax1)
    cw = np.where(d.comp, r / d.g_minus, 0.0)
    resid -= cw[:, None] * (x * b1[:, None] - bx1)
    resid[d.fail_rows] += x[d.fail_rows] - xbar

    # psi_i: the contribution of estimating the censoring distribution.
    cens_times, dc = np.unique(d.time[d.cens], return_counts=True)
    if cens_times.size:
        k = np.searchsorted(d.time, cens_times, side="left")  # rows with time < s: [0, k)
        a = np.where(d.comp, r / d.g_minus, 0.0)
        pc0 = np.concatenate([[0.0], np.cumsum(a)])[k]
        pc1 = np.vstack([np.zeros((1, p)), np.cumsum(x * a[:, None], axis=0)])[k]
        # failures with time >= s
        nf_lt = np.searchsorted(d.time[d.fail_rows], cens_times, side="left")
        beta_tail = np.concatenate([np.cumsum((gf * inv)[::-1])[::-1], [0.0]])[nf_lt]
        betax_tail = np.vstack(
            [np.cumsum((xbar * (gf * inv)[:, None])[::-1], axis=0)[::-1], np.zeros((1, p))]
        )[nf_lt]
        q = pc1 * beta_tail[:, None] - pc0[:, None] * betax_tail
        y = (d.time.size - k).astype(float)
        step = np.concatenate([np.zeros((1, p)), np.cumsum(q * (dc / y**2)[:, None], axis=0)])
        n_cens_le = np.searchsorted(cens_times, d.time, side="right")
        psi = -step[n_cens_le]
        own = np.searchsorted(cens_times, d.time[d.cens])
        psi[d.cens] += q[own] / y[own][:, None]
        resid += psi
    bread = np.linalg.inv(info)
    return bread @ (resid.T @ resid) @ bread.T


def _status(
    data: pd.DataFrame, event: str, cause: object, censor_code: object
) -> npt.NDArray[np.int64]:
    if event not in data.columns:
        raise SchemaError(f"event column {event!r} not found in data")
    col = data[event]
    n_missing = int(col.isna().sum())
    if n_missing:
        raise SchemaError(f"column {event!r} (event) has {n_missing} missing value(s)")
    values = col.to_numpy()
    if not (values == cause).any():
        raise SchemaError(f"cause {cause!r} does not occur in column {event!r}")
    if cause == censor_code:
        raise ValueError("cause must differ from censor_code")
    return np.where(values == cause, 1, np.where(values == censor_code, 0, 2)).astype(np.int64)


def fine_gray(
    data: pd.DataFrame,
    formula: str | None = None,
    *,
    time: str,
    event: str,
    cause: object = 1,
    censor_code: object = 0,
    covariates: Sequence[str] | None = None,
    conf_level: float = 0.95,
    max_iter: int = 50,
) -> FineGrayResult:
    """Fine-Gray proportional subdistribution-hazards regression (as ``cmprsk::crr``).

    Parameters
    ----------
    data : pandas.DataFrame
        One row per subject. Never modified.
    formula : str, optional
        Right-hand side of the model formula (as :func:`cox`).
    time : str
        Time to the first event or censoring (any unit).
    event : str
        Event-type column: ``censor_code`` for censored, ``cause`` for the event of
        interest, any other value for a competing event.
    cause : object, default=1
        Code of the event of interest.
    censor_code : object, default=0
        Code of censored rows.
    covariates : sequence of str, optional
        Alternative to ``formula`` (as :func:`cox`).
    conf_level : float, default=0.95
        Confidence level of the intervals.
    max_iter : int, default=50
        Maximum Newton-Raphson iterations.

    Returns
    -------
    FineGrayResult
        ``summary`` has one row per model column: ``term``, ``coef`` (log subdistribution
        hazard ratio), ``hr`` (subdistribution hazard ratio), ``se`` (crr's sandwich SE),
        ``naive_se`` (inverse information), ``z``, ``p_value``, ``ci_lower``,
        ``ci_upper`` (of ``hr``), ``conf_level``, ``n`` and ``n_events`` (rows, and
        events of ``cause``, with the column equal to 1 for 0/1 columns; all rows
        otherwise).

    Raises
    ------
    SchemaError
        Missing columns or values, no event of the chosen cause.
    ConvergenceError
        No finite maximum (separation) or no convergence.

    Notes
    -----
    Subjects with a competing event stay in the risk set after their event with weight
    ``G(t-)/G(T_j-)``, ``G`` the Kaplan-Meier estimate of the censoring distribution
    (evaluated just before each time, as ``crr``); tied event times use Breslow's
    method. The variance is Fine and Gray's sandwich including the term for the
    estimated censoring distribution, exactly as ``crr`` computes it. Only a single
    censoring group is supported (``crr``'s ``cengroup`` is not), and there are no
    time-varying ``cov2`` terms. ``survival::finegray`` followed by a weighted
    ``coxph`` gives slightly different estimates (it evaluates ``G`` on intervals).

    References
    ----------
    Fine JP, Gray RJ (1999). A proportional hazards model for the subdistribution of a
    competing risk. JASA 94:496-509.
    Gray RJ (2022). cmprsk: Subdistribution Analysis of Competing Risks, R package 2.2.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(3)
    >>> df = pd.DataFrame({"x": rng.binomial(1, 0.5, 300)})
    >>> df["time"] = rng.exponential(10, 300)
    >>> df["status"] = rng.choice([0, 1, 2], 300, p=[0.3, 0.4, 0.3])
    >>> fit = fine_gray(df, "x", time="time", event="status", cause=1)
    >>> fit.summary["term"].tolist()
    ['x']
    """
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"data must be a pandas DataFrame, got {type(data).__name__}")
    if not 0.0 < conf_level < 1.0:
        raise ValueError(f"conf_level must be in (0, 1), got {conf_level}")
    t = _numeric(data, time, "time")
    if (t < 0).any():
        raise SchemaError(f"{int((t < 0).sum())} row(s) have negative {time!r}")
    status = _status(data, event, cause, censor_code)
    design = build_design(data, formula=formula, covariates=covariates)
    sd = design.matrix.std(axis=0)
    if np.any(sd == 0):
        const = [c for c, s in zip(design.columns, sd, strict=True) if s == 0]
        raise SchemaError(
            f"covariate(s) with zero variance cannot be estimated: {', '.join(const)}"
        )
    d = _prepare(t, status, design.matrix - design.means)
    p = design.matrix.shape[1]
    beta = np.zeros(p)
    ll0, score, info = _evaluate(d, beta)
    ll = ll0
    converged = False
    it = 0
    for it in range(1, max_iter + 1):  # noqa: B007 - iteration count is reported
        try:
            step = np.linalg.solve(info, score)
        except np.linalg.LinAlgError:
            raise ConvergenceError("Fine-Gray information matrix is singular") from None
        new = beta + step
        new_ll, new_score, new_info = _evaluate(d, new)
        halvings = 0
        while not np.isfinite(new_ll) or new_ll < ll - 1e-12 * abs(ll):
            halvings += 1
            if halvings > 30:
                raise ConvergenceError("Fine-Gray fit: step halving failed")
            new = (beta + new) / 2.0
            new_ll, new_score, new_info = _evaluate(d, new)
        small = float(np.max(np.abs(new - beta))) < 1e-5
        change = abs(new_ll - ll) / max(abs(new_ll), 1e-300)
        beta, ll, score, info = new, new_ll, new_score, new_info
        if change < 1e-10 and small:
            converged = True
            break
    naive = np.asarray(np.linalg.inv(info), dtype=np.float64)
    if (
        not converged
        or np.any(np.abs(beta) * sd > 25)
        or np.any(np.sqrt(np.diag(naive)) * sd > 1e3)
    ):
        raise ConvergenceError(
            "Fine-Gray model did not converge (no finite maximum; check for separation): "
            + ", ".join(design.columns)
        )
    var = _sandwich(d, beta, info)
    se = np.sqrt(np.diag(var))
    z = beta / se
    q = norm_ppf(0.5 + conf_level / 2.0)
    x = design.matrix
    fail = status == 1
    indicator = np.all((x == 0) | (x == 1), axis=0)
    summary = pd.DataFrame(
        {
            "term": list(design.columns),
            "coef": beta,
            "hr": np.exp(beta),
            "se": se,
            "naive_se": np.sqrt(np.diag(naive)),
            "z": z,
            "p_value": 2.0 * norm_sf(np.abs(z)),
            "ci_lower": np.exp(beta - q * se),
            "ci_upper": np.exp(beta + q * se),
            "conf_level": conf_level,
            "n": np.where(indicator, (x == 1).sum(axis=0), x.shape[0]).astype(np.int64),
            "n_events": np.where(
                indicator, ((x == 1) & fail[:, None]).sum(axis=0), fail.sum()
            ).astype(np.int64),
        }
    )
    return FineGrayResult(
        summary=summary,
        coef=beta,
        var=var,
        naive_var=naive,
        loglik=ll,
        loglik_null=ll0,
        cause=cause,
        n=int(t.size),
        n_events=int(fail.sum()),
        n_competing=int((status == 2).sum()),
        n_censored=int((status == 0).sum()),
        conf_level=conf_level,
        iterations=it,
    )


def cause_specific_cox(
    data: pd.DataFrame,
    formula: str | None = None,
    *,
    time: str,
    event: str,
    cause: object = 1,
    censor_code: object = 0,
    ties: Literal["efron", "breslow"] = "efron",
    **kwargs: object,
) -> CoxResult:
    """Cause-specific Cox model: events of other causes are treated as censored.

    Parameters
    ----------
    data : pandas.DataFrame
        Never modified.
    formula, time, ties, **kwargs
        As :func:`cox` (``covariates``, ``strata``, ``cluster``, ``start``, ``weights``,
        ``conf_level`` ...).
    event : str
        Event-type column (``censor_code`` censored, ``cause`` the event of interest).
    cause : object, default=1
        Code of the event of interest.
    censor_code : object, default=0
        Code of censored rows.

    Returns
    -------
    CoxResult
        As :func:`cox`; hazard ratios are cause-specific.

    Notes
    -----
    The cause-specific hazard is the rate of the event of interest among those still
    free of every event; it answers aetiological questions, while :func:`fine_gray`
    models the cumulative incidence.

    References
    ----------
    Putter H, Fiocco M, Geskus RB (2007). Tutorial in biostatistics: competing risks and
    multi-state models. Stat Med 26:2389-2430.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(4)
    >>> df = pd.DataFrame({"x": rng.normal(size=200), "time": rng.exponential(5, 200)})
    >>> df["status"] = rng.choice([0, 1, 2], 200)
    >>> cause_specific_cox(df, "x", time="time", event="status", cause=2).n_events > 0
    True
    """
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"data must be a pandas DataFrame, got {type(data).__name__}")
    status = _status(data, event, cause, censor_code)
    indicator = "_cause_event"
    while indicator in data.columns:
        indicator += "_"
    frame = data.assign(**{indicator: (status == 1).astype(np.int64)})
    try:
        return cox(frame, formula, time=time, event=indicator, ties=ties, **kwargs)  # type: ignore[arg-type]
    except NetstatsError as exc:
        raise type(exc)(str(exc).replace(indicator, f"{event} == {cause!r}")) from None

"""Proportional-hazards diagnostics for Cox models, equivalent to R survival 3.x ``cox.zph``."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from netstats._display import ResultDisplay, plural
from netstats.exceptions import StatisticalWarning
from netstats.survival import _cox_core as core
from netstats.survival._cox_design import rcs_basis
from netstats.survival._dist import chi2_sf, norm_ppf

if TYPE_CHECKING:
    from netstats.survival._cox import CoxResult

__all__ = ["ZphResult", "cox_zph"]

#: p-value below which :func:`cox_zph` warns that proportional hazards look violated.
PH_WARNING_LEVEL = 0.05


@dataclass(frozen=True, repr=False)
class ZphResult(ResultDisplay):
    """Result of :func:`cox_zph`.

    Attributes
    ----------
    summary : pandas.DataFrame
        One row per model term plus ``GLOBAL``: ``term``, ``chisq``, ``df``, ``p_value``.
    transform : str
        Time transform used (``"km"``, ``"identity"``, ``"rank"``, ``"log"``, or the name
        of a user function; ``"user"`` for a lambda).
    time : numpy.ndarray
        Event time of each scaled Schoenfeld residual (original units).
    x : numpy.ndarray
        Transformed event time (the plotting abscissa).
    residuals : pandas.DataFrame
        Scaled Schoenfeld residuals, one column per term, one row per event; an estimate
        of the time-varying coefficient ``beta(t)`` (NaN where a term is constant in a
        stratum).
    var : numpy.ndarray
        Covariance used for the confidence band of the smooth (R's ``cox.zph()$var``).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> df = pd.DataFrame({"ki67": rng.uniform(1, 30, 200)})
    >>> df["time"] = rng.exponential(24 / np.exp(0.05 * df["ki67"]))
    >>> df["event"] = (rng.uniform(size=200) < 0.8).astype(int)
    >>> from netstats.survival import cox
    >>> zph = cox(df, "ki67", time="time", event="event").check_ph()
    >>> print(zph.method)
    Proportional-hazards score test (Grambsch-Therneau, as R cox.zph), km time transform; 160 events, 1 term
    >>> zph.summary["term"].tolist()
    ['ki67', 'GLOBAL']
    """

    summary: pd.DataFrame
    transform: str
    time: npt.NDArray[np.float64]
    x: npt.NDArray[np.float64]
    residuals: pd.DataFrame
    var: npt.NDArray[np.float64]

    @property
    def method(self) -> str:
        """One-line description (test, time transform, events)."""
        return (
            f"Proportional-hazards score test (Grambsch-Therneau, as R cox.zph), "
            f"{self.transform} time transform; {plural(len(self.time), 'event')}, "
            f"{plural(len(self.residuals.columns), 'term')}"
        )

    def to_frame(self) -> pd.DataFrame:
        """The test table (a copy)."""
        return self.summary.copy()

    def smooth(
        self, term: str, *, df: int = 4, n_points: int = 40, conf_level: float = 0.95
    ) -> pd.DataFrame:
        """Regression-spline smooth of one term's scaled residuals with a confidence band.

        As R's ``plot.cox.zph``: a natural cubic spline with ``df`` degrees of freedom
        (intercept included; knots at quantiles of the grid and the data, as R), fitted by
        least squares, band ``fit +/- z * sqrt(var[k, k] * h(x))``. R draws ``+/- 2``; here
        ``z`` is the normal quantile for ``conf_level``.

        Returns
        -------
        pandas.DataFrame
            Columns ``x`` (transformed time), ``estimate`` (smoothed beta(t)), ``ci_lower``,
            ``ci_upper`` and ``conf_level``.
        """
        if term not in self.residuals.columns:
            raise ValueError(f"unknown term {term!r}; terms: {', '.join(self.residuals.columns)}")
        if df < 2:
            raise ValueError(f"df must be at least 2, got {df}")
        k = list(self.residuals.columns).index(term)
        y = self.residuals[term].to_numpy()
        ok = np.isfinite(y)
        xx, y = self.x[ok], y[ok]
        grid = np.linspace(xx.min(), xx.max(), n_points)
        both = np.concatenate([grid, xx])
        inner = np.quantile(both, np.linspace(0, 1, df)[1:-1]) if df > 2 else np.array([])
        knots = np.concatenate([[both.min()], inner, [both.max()]])
        basis = np.column_stack([np.ones(both.size), rcs_basis(both, knots)[:, : df - 1]])
        pmat, xmat = basis[:n_points], basis[n_points:]
        coef, *_ = np.linalg.lstsq(xmat, y, rcond=None)
        xtx = np.linalg.inv(xmat.T @ xmat)
        h = np.einsum("ij,jk,ik->i", pmat, xtx, pmat)
        fit = pmat @ coef
        z = norm_ppf(0.5 + conf_level / 2.0)
        half = z * np.sqrt(self.var[k, k] * h)
        return pd.DataFrame(
            {
                "x": grid,
                "estimate": fit,
                "ci_lower": fit - half,
                "ci_upper": fit + half,
                "conf_level": conf_level,
            }
        )


def _km_before(rs: core.RiskSets, times: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Unweighted, unstratified Kaplan-Meier survival just before each of ``times``."""
    stop = rs.stop
    start = rs.start if rs.start is not None else np.full(stop.size, -np.inf)
    ev = rs.event
    etimes, d = np.unique(stop[ev], return_counts=True)
    at_risk = (stop.size - np.searchsorted(np.sort(stop), etimes, side="left")) - (
        stop.size - np.searchsorted(np.sort(start), etimes, side="left")
    )
    surv = np.cumprod(1.0 - d / at_risk)
    idx = np.searchsorted(etimes, times, side="left")  # event times strictly before t
    return np.concatenate([[1.0], surv])[idx]


def cox_zph(
    fit: CoxResult,
    *,
    transform: Literal["km", "identity", "rank", "log"]
    | Callable[[npt.NDArray[np.float64]], npt.ArrayLike] = "km",
    warn: bool = True,
) -> ZphResult:
    """Test the proportional-hazards assumption of a Cox model (R ``cox.zph``).

    Parameters
    ----------
    fit : CoxResult
        A model fitted by :func:`cox`.
    transform : {"km", "identity", "rank", "log"} or callable, default="km"
        Function of time ``g(t)`` the coefficients are allowed to vary with:
        ``1 - KM(t-)`` (R's default), ``t``, the rank of ``t``, ``log(t)`` (times must be
        positive), or a function mapping the array of the rows' (stop) times to an array
        of finite values of the same length, applied elementwise (R's
        ``transform = function(t) ...``).
    warn : bool, default=True
        Issue a :class:`StatisticalWarning` when any test has ``p < 0.05``.

    Returns
    -------
    ZphResult
        ``summary`` columns: ``term`` (model term, or ``GLOBAL``), ``chisq`` (score
        statistic), ``df`` (degrees of freedom: columns of the term), ``p_value``
        (chi-square upper tail).

    Warns
    -----
    StatisticalWarning
        When a term or the global test has ``p < 0.05``.

    Notes
    -----
    survival 3.x's ``cox.zph`` is an exact score test of ``H0: gamma = 0`` in the
    model with extra covariates ``x * g(t)``, evaluated at ``(beta_hat, 0)``
    (Grambsch & Therneau 1994 as implemented by Therneau since survival 3.0). It is not
    the older approximate test (survival 2.x, lifelines), whose statistics differ.
    Terms with several columns (categoricals, splines) get one test with as many
    degrees of freedom. The ``km`` transform uses the unweighted, unstratified KM of all
    rows, as R does. Scaled Schoenfeld residuals are ``beta + d * I^-1 r`` per event
    (per-term combination for multi-column terms, as R). For a fit with
    ``ties="exact"`` the risk-set means are Breslow's, as in R (``cox.zph`` has no exact
    form); offsets enter the linear predictor.

    References
    ----------
    Grambsch PM, Therneau TM (1994). Proportional hazards tests and diagnostics based on
    weighted residuals. Biometrika 81:515-526.
    Therneau TM (2023). survival: A Package for Survival Analysis in R, version 3.5.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from netstats.survival._cox import cox
    >>> rng = np.random.default_rng(2)
    >>> df = pd.DataFrame({"x": rng.normal(size=300)})
    >>> df["time"] = rng.exponential(np.exp(-0.5 * df["x"]))
    >>> df["event"] = 1
    >>> zph = cox_zph(cox(df, "x", time="time", event="event"))
    >>> list(zph.summary["term"])
    ['x', 'GLOBAL']
    >>> cox_zph(cox(df, "x", time="time", event="event"), transform=np.sqrt).transform
    'sqrt'
    """
    rs = fit._rs
    x = fit._x
    beta = fit.coef
    p = beta.size
    times = rs.stop
    tname, ttimes = _transform_times(transform, rs, times)
    dr = rs.death_rows
    if np.ptp(ttimes[dr]) == 0:
        # g(t) is constant over the event times: the score test has no information (R's
        # cox.zph stops with "system is exactly singular").
        raise ValueError(
            "cox_zph needs events at two or more distinct times; all events occur at "
            f"time {times[dr][0]:g}, so time-varying coefficients cannot be tested"
        )
    gtime_rows = ttimes - ttimes[dr].mean()
    gtime = gtime_rows[dr][rs.group_first]
    u, imat = core.zph_information(rs, x, beta, gtime)

    terms = fit._design.terms
    names = list(terms)
    chisq = []
    dfs = []
    for name in names:
        jj = terms[name]
        kk = list(range(p)) + [p + j for j in jj]
        uu = np.concatenate([np.zeros(p), u[jj]])
        chisq.append(float(uu @ np.linalg.solve(imat[np.ix_(kk, kk)], uu)))
        dfs.append(len(jj))
    uu = np.concatenate([np.zeros(p), u])
    chisq.append(float(uu @ np.linalg.solve(imat, uu)))
    dfs.append(p)
    table = pd.DataFrame({"term": names + ["GLOBAL"], "chisq": chisq, "df": dfs})
    table["p_value"] = chi2_sf(table["chisq"], table["df"])
    if warn and (table["p_value"] < PH_WARNING_LEVEL).any():
        bad = table.loc[table["p_value"] < PH_WARNING_LEVEL, "term"].tolist()
        warnings.warn(
            f"proportional hazards look violated (cox.zph p < {PH_WARNING_LEVEL}) for: "
            f"{', '.join(bad)}; consider strata, time interactions or a landmark split",
            StatisticalWarning,
            stacklevel=2,
        )

    resid, var = _scaled_schoenfeld(fit, imat[:p, :p], terms)
    return ZphResult(
        summary=table,
        transform=tname,
        time=times[dr],
        x=ttimes[dr],
        residuals=pd.DataFrame(resid, columns=names),
        var=var,
    )


def _transform_times(
    transform: str | Callable[[npt.NDArray[np.float64]], npt.ArrayLike],
    rs: core.RiskSets,
    times: npt.NDArray[np.float64],
) -> tuple[str, npt.NDArray[np.float64]]:
    """The transform's name and ``g(t)`` of every row's stop time."""
    if callable(transform):
        name = getattr(transform, "__name__", "user")
        name = "user" if name == "<lambda>" else name
        try:
            values = np.asarray(transform(times.copy()), dtype=float)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"transform {name!r} failed on the event times: {exc}") from exc
        if values.shape != times.shape:
            raise ValueError(
                f"transform {name!r} must return one value per time ({times.size}), "
                f"got shape {values.shape}"
            )
        bad = ~np.isfinite(values)
        if bad.any():
            k = int(np.argmax(bad))
            raise ValueError(
                f"transform {name!r} gives {int(bad.sum())} non-finite value(s), e.g. "
                f"{values[k]} at time {times[k]:g}"
            )
        return name, values
    if transform == "identity":
        return "identity", times
    if transform == "rank":
        from scipy.stats import rankdata  # scipy.stats loads only for this transform

        return "rank", rankdata(times)
    if transform == "log":
        if (times <= 0).any():
            raise ValueError(
                f"transform 'log' needs positive times; {int((times <= 0).sum())} row(s) have "
                f"time <= 0 (smallest {times.min():g})"
            )
        return "log", np.log(times)
    if transform == "km":
        return "km", 1.0 - _km_before(rs, times)
    raise ValueError(
        f"transform must be 'km', 'identity', 'rank', 'log' or a function, got {transform!r}"
    )


def _scaled_schoenfeld(
    fit: CoxResult, info: npt.NDArray[np.float64], terms: dict[str, list[int]]
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    rs = fit._rs
    x = fit._x
    beta = fit.coef
    p = beta.size
    sres, _ = core.schoenfeld(rs, x, beta)
    dr = rs.death_rows
    # used[s, j]: events in stratum s if column j varies within that stratum (R's "used").
    n_str = int(rs.strata.max()) + 1
    used = np.zeros((n_str, p))
    for s in range(n_str):
        rows = rs.strata == s
        varies = x[rows].std(axis=0) > 0 if rows.sum() > 1 else np.zeros(p, bool)
        used[s] = varies * rs.event[rows].sum()
    wtmat = np.zeros((p, p))
    for s in range(n_str):
        wtmat += np.minimum.outer(used[s], used[s])
    vmean = info / np.where(wtmat == 0, 1.0, wtmat)
    nterm = len(terms)
    multi = any(len(j) > 1 for j in terms.values())
    if multi:
        temp = np.zeros((p, nterm))
        for i, jj in enumerate(terms.values()):
            temp[jj, i] = 1.0 if len(jj) == 1 else beta[jj]
        sres = sres @ temp
        vmean = temp.T @ vmean @ temp
        used = used[:, [jj[0] for jj in terms.values()]]
    ev_str = rs.strata[dr]
    out = np.full(sres.shape, np.nan)
    for s in range(n_str):
        k = np.flatnonzero(used[s] > 0)
        rows = ev_str == s
        if k.size:
            out[np.ix_(rows, k)] = np.linalg.solve(vmean[np.ix_(k, k)], sres[np.ix_(rows, k)].T).T
    for i, jj in enumerate(terms.values()):
        out[:, i] += beta[jj[0]] if len(jj) == 1 else 1.0
    return out, np.asarray(np.linalg.inv(vmean), dtype=np.float64)

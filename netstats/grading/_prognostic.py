"""Ki-67 as a prognostic factor: Cox model with a restricted cubic spline in log2 Ki-67."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import stats

from netstats._display import ResultDisplay, plural
from netstats.exceptions import SchemaError, StatisticalWarning
from netstats.survival._cox import cox
from netstats.survival._cox_design import rcs_basis as _rcs_basis

__all__ = ["Ki67HazardResult", "ki67_hazard", "rcs_basis"]

#: Knot quantiles by number of knots (Harrell, Regression Modeling Strategies, Table 2.3).
RCS_KNOT_QUANTILES: dict[int, tuple[float, ...]] = {
    3: (0.10, 0.50, 0.90),
    4: (0.05, 0.35, 0.65, 0.95),
    5: (0.05, 0.275, 0.50, 0.725, 0.95),
}


def rcs_basis(x: npt.ArrayLike, knots: npt.ArrayLike) -> np.ndarray:
    """Restricted cubic spline basis (Harrell's parametrisation, ``rms::rcs``).

    Parameters
    ----------
    x : array-like of float
        Values.
    knots : array-like of float
        k >= 3 increasing knots.

    Returns
    -------
    numpy.ndarray, shape (n, k - 1)
        Column 0 is x; column j (1 <= j <= k - 2) is
        [(x - t_j)_+^3 - (x - t_{k-1})_+^3 (t_k - t_j) / (t_k - t_{k-1})
        + (x - t_k)_+^3 (t_{k-1} - t_j) / (t_k - t_{k-1})] / (t_k - t_1)^2,
        linear beyond the outer knots.

    References
    ----------
    Harrell FE. Regression Modeling Strategies, 2nd ed. Springer 2015, section 2.4.5.

    Examples
    --------
    >>> from netstats.grading import rcs_basis
    >>> rcs_basis([1.0, 2.0, 3.0, 4.0], [1.0, 2.5, 4.0]).round(3)
    array([[1.   , 0.   ],
           [2.   , 0.111],
           [3.   , 0.861],
           [4.   , 2.25 ]])
    """
    t = np.asarray(knots, dtype=float)
    if t.size < 3 or np.any(np.diff(t) <= 0):
        raise ValueError("knots must be at least 3 strictly increasing values")
    return _rcs_basis(x, t)


@dataclass(frozen=True, repr=False)
class Ki67HazardResult(ResultDisplay):
    """Cox models of Ki-67: log-linear (per doubling) and restricted cubic spline.

    Attributes
    ----------
    per_doubling : pandas.DataFrame
        One row from the model linear in log2 Ki-67: ``term`` ("log2_ki67"), ``estimate``
        (log HR per doubling), ``se``, ``hazard_ratio``, ``ci_lower``, ``ci_upper``,
        ``conf_level``, ``p_value`` (Wald).
    curve : pandas.DataFrame
        Spline model: ``ki67_percent``, ``hazard_ratio`` relative to ``reference``,
        ``ci_lower``, ``ci_upper``, ``conf_level``.
    nonlinearity : pandas.DataFrame
        Wald test that the non-linear spline terms are 0: ``statistic``, ``df``, ``p_value``.
    spline_coefficients : pandas.DataFrame
        ``term``, ``estimate``, ``se`` of the spline model (basis of log2 Ki-67).
    knots : tuple of float
        Knots on the log2 Ki-67 scale.
    reference : float
        Ki-67 (%) with hazard ratio 1 on the curve.
    n, n_events : int
        Patients and events used.
    excluded : pandas.DataFrame
        ``reason``, ``n_rows``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from netstats.grading import ki67_hazard
    >>> rng = np.random.default_rng(3)
    >>> ki = rng.lognormal(1.6, 0.9, 150)
    >>> d = pd.DataFrame({"months": rng.exponential(40 / ki**0.4), "death": 1, "ki67_percent": ki})
    >>> res = ki67_hazard(d, time="months", event="death")
    >>> print(res.method)  # doctest: +ELLIPSIS
    Cox PH (Efron ties) of Ki-67: HR per doubling (log-linear) and restricted cubic spline of log2 Ki-67 (3 knots, HR 1 at ...%); 150 patients, 150 events
    >>> res.curve.columns.tolist()
    ['ki67_percent', 'hazard_ratio', 'ci_lower', 'ci_upper', 'conf_level']
    """

    per_doubling: pd.DataFrame
    curve: pd.DataFrame
    nonlinearity: pd.DataFrame
    spline_coefficients: pd.DataFrame
    knots: tuple[float, ...]
    reference: float
    n: int
    n_events: int
    excluded: pd.DataFrame

    @property
    def summary(self) -> pd.DataFrame:
        """HR per doubling with the non-linearity p-value."""
        out = self.per_doubling.copy()
        out["p_nonlinear"] = float(self.nonlinearity["p_value"].iloc[0])
        return out

    @property
    def method(self) -> str:
        """One-line description (models, spline, sizes)."""
        return (
            f"Cox PH (Efron ties) of Ki-67: HR per doubling (log-linear) and restricted cubic "
            f"spline of log2 Ki-67 ({len(self.knots)} knots, HR 1 at {self.reference:g}%); "
            f"{plural(self.n, 'patient')}, {plural(self.n_events, 'event')}"
        )

    def to_frame(self) -> pd.DataFrame:
        """Same as :attr:`summary`."""
        return self.summary


def _fit_cox(df: pd.DataFrame, cols: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Coefficients and model-based covariance of a Cox fit (Efron ties, as R ``coxph``)."""
    fit = cox(df, time="_time", event="_event", covariates=cols, robust=False)
    return np.asarray(fit.coef, dtype=float), np.asarray(fit.var, dtype=float)


def ki67_hazard(
    data: pd.DataFrame,
    *,
    time: str,
    event: str,
    marker: str = "ki67_percent",
    n_knots: int = 3,
    knots: Sequence[float] | None = None,
    reference: float | None = None,
    grid: npt.ArrayLike | None = None,
    offset: float = 0.0,
    conf_level: float = 0.95,
) -> Ki67HazardResult:
    """Ki-67 as a prognostic factor: HR per doubling and a spline-shaped hazard ratio curve.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per patient.
    time, event : str
        Follow-up time (e.g. months) and event indicator (0/1 or bool) columns.
    marker : str, default="ki67_percent"
        Ki-67 index (%).
    n_knots : int, default=3
        Number of spline knots (3 to 5), at the quantiles of Harrell's Table 2.3.
    knots : sequence of float, optional
        Knots on the Ki-67 % scale, overriding ``n_knots``.
    reference : float, optional
        Ki-67 (%) with HR 1 on the curve; default the median.
    grid : array-like of float, optional
        Ki-67 values (%) for the curve; default 100 log-spaced points between the 2.5th and
        97.5th percentiles.
    offset : float, default=0.0
        Added before log2 (needed when a value is 0).
    conf_level : float, default=0.95
        Level of the Wald intervals.

    Returns
    -------
    Ki67HazardResult
        HR per doubling, the HR curve with pointwise CIs and the non-linearity test.

    Raises
    ------
    SchemaError
        Missing columns.
    ValueError
        Bad options, no events, non-positive Ki-67 + offset, or too few distinct values.

    Warns
    -----
    StatisticalWarning
        Fewer than 10 events per spline parameter.

    Notes
    -----
    Two Cox proportional-hazards models (netstats' Cox engine, Efron ties, as R ``coxph``): one linear
    in log2(Ki-67 + offset), whose coefficient is the log HR per doubling, and one with a
    restricted cubic spline in log2 Ki-67 (Harrell's basis, ``rms::rcs``). Knots are
    quantiles (linear interpolation, R type 7) of log2 Ki-67 among the analysed patients;
    ``rms`` uses order statistics for the outer knots when n < 100. The curve is
    exp((B(x) - B(ref)) beta) with CIs from the model covariance. Rows with a missing value
    are excluded and counted.

    References
    ----------
    Harrell FE. Regression Modeling Strategies, 2nd ed. Springer 2015.
    Royston P, Altman DG, Sauerbrei W. Dichotomizing continuous predictors in multiple
    regression: a bad idea. Stat Med 2006;25:127-141.

    Examples
    --------
    >>> rng = np.random.default_rng(3)
    >>> ki = rng.lognormal(1.6, 0.9, 150)
    >>> d = pd.DataFrame({"months": rng.exponential(40 / ki**0.4), "death": 1, "ki67_percent": ki})
    >>> res = ki67_hazard(d, time="months", event="death")
    >>> bool(res.per_doubling["hazard_ratio"].iloc[0] > 1)
    True
    """
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"data must be a pandas DataFrame, got {type(data).__name__}")
    missing = [c for c in (time, event, marker) if c not in data.columns]
    if missing:
        raise SchemaError(f"data lacks column(s): {', '.join(missing)}")
    if not 0 < conf_level < 1:
        raise ValueError(f"conf_level must be in (0, 1), got {conf_level!r}")
    if knots is None and n_knots not in RCS_KNOT_QUANTILES:
        raise ValueError(f"n_knots must be 3, 4 or 5, got {n_knots!r}")
    d = data[[time, event, marker]].apply(pd.to_numeric, errors="coerce")
    ok = d.notna().all(axis=1)
    excluded = pd.DataFrame(
        [("missing time, event or marker", int((~ok).sum()))], columns=["reason", "n_rows"]
    )
    d = d[ok]
    if np.any(d[marker] + offset <= 0):
        raise ValueError(f"{marker} + offset must be > 0 for log2; pass offset (e.g. 0.5)")
    if d[event].sum() == 0:
        raise ValueError("no events: the Cox model is not estimable")
    lx = np.log2(d[marker].to_numpy(dtype=float) + offset)
    if knots is None:
        t = np.quantile(lx, RCS_KNOT_QUANTILES[n_knots])
    else:
        t = np.log2(np.asarray(knots, dtype=float) + offset)
    if np.any(np.diff(t) <= 0):
        raise ValueError(
            "knots are not distinct: too few distinct Ki-67 values for this many knots"
        )
    basis = rcs_basis(lx, t)
    cols = [f"s{j}" for j in range(basis.shape[1])]
    frame = pd.DataFrame(basis, columns=cols)
    frame["_time"] = d[time].to_numpy(dtype=float)
    frame["_event"] = d[event].to_numpy(dtype=float)
    n_events = int(frame["_event"].sum())
    if n_events < 10 * len(cols):
        warnings.warn(
            f"{n_events} events for {len(cols)} spline parameters (< 10 per parameter): the "
            "curve is unstable; consider fewer knots",
            StatisticalWarning,
            stacklevel=2,
        )
    z = stats.norm.ppf(0.5 + conf_level / 2)
    lin_coef, lin_var = _fit_cox(frame, ["s0"])
    b = float(lin_coef[0])
    se = float(np.sqrt(lin_var[0, 0]))
    per_doubling = pd.DataFrame(
        {
            "term": ["log2_ki67"],
            "estimate": [b],
            "se": [se],
            "hazard_ratio": [np.exp(b)],
            "ci_lower": [np.exp(b - z * se)],
            "ci_upper": [np.exp(b + z * se)],
            "conf_level": [float(conf_level)],
            "p_value": [float(2 * stats.norm.sf(abs(b / se)))],
        }
    )
    beta, cov = _fit_cox(frame, cols)
    nl = beta[1:]
    stat_nl = float(nl @ np.linalg.solve(cov[1:, 1:], nl))
    nonlinearity = pd.DataFrame(
        {
            "statistic": [stat_nl],
            "df": [len(nl)],
            "p_value": [float(stats.chi2.sf(stat_nl, len(nl)))],
        }
    )
    ref = float(np.median(d[marker])) if reference is None else float(reference)
    if grid is None:
        lo, hi = np.quantile(d[marker].to_numpy(dtype=float) + offset, [0.025, 0.975])
        grid_v = np.geomspace(lo, hi, 100) - offset
    else:
        grid_v = np.asarray(grid, dtype=float)
    diff = rcs_basis(np.log2(grid_v + offset), t) - rcs_basis(np.log2([ref + offset]), t)
    eta = diff @ beta
    se_eta = np.sqrt(np.einsum("ij,jk,ik->i", diff, cov, diff))
    curve = pd.DataFrame(
        {
            "ki67_percent": grid_v,
            "hazard_ratio": np.exp(eta),
            "ci_lower": np.exp(eta - z * se_eta),
            "ci_upper": np.exp(eta + z * se_eta),
            "conf_level": float(conf_level),
        }
    )
    coefs = pd.DataFrame(
        {
            "term": ["log2_ki67", *[f"rcs{j}" for j in range(1, len(cols))]],
            "estimate": beta,
            "se": np.sqrt(np.diag(cov)),
        }
    )
    return Ki67HazardResult(
        per_doubling=per_doubling,
        curve=curve,
        nonlinearity=nonlinearity,
        spline_coefficients=coefs,
        knots=tuple(float(v) for v in t),
        reference=ref,
        n=len(frame),
        n_events=n_events,
        excluded=excluded,
    )

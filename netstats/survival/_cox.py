"""Cox proportional-hazards regression: the public ``cox`` function and its result."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from netstats._display import ResultDisplay, plural
from netstats.exceptions import ConvergenceError, SchemaError, StatisticalWarning
from netstats.survival import _cox_core as core
from netstats.survival._cox_design import Design, build_design
from netstats.survival._cox_predict import strata_levels
from netstats.survival._dist import chi2_sf, norm_ppf, norm_sf

if TYPE_CHECKING:
    from netstats.survival._cox_predict import CoxSurvivalResult
    from netstats.survival._cox_residuals import ResidualType
    from netstats.survival._cox_zph import ZphResult

__all__ = ["ConvergenceError", "CoxResult", "cox"]

#: Events per model parameter below which a :class:`StatisticalWarning` is issued.
MIN_EVENTS_PER_PARAMETER = 10
#: |coefficient x SD(covariate)| above which a fit is treated as diverging (monotone
#: likelihood, e.g. perfect separation): a hazard ratio of e^25 per SD.
DIVERGENCE_LIMIT = 25.0
#: SE x SD(covariate) above which the information has collapsed (coefficient at infinity).
MAX_SCALED_SE = 1e3


@dataclass(frozen=True, repr=False)
class CoxResult(ResultDisplay):
    """A fitted Cox proportional-hazards model.

    Attributes
    ----------
    summary : pandas.DataFrame
        One row per model column; see :func:`cox`.
    tests : pandas.DataFrame
        Global tests with columns ``test`` (``wald``, ``likelihood_ratio``, ``score`` and,
        with robust variance, ``robust_score``), ``statistic``, ``df`` and ``p_value``.
        The Wald and robust score tests use R's generalised inverse (``coxph.wtest``) and
        their ``df`` is the rank of the matrix inverted, as R's ``coxph.wtest(...)$df``
        (R's ``summary`` prints the number of coefficients instead); it is below the
        number of coefficients only when that matrix is singular (then a
        :class:`StatisticalWarning` names the cause).
    coef : numpy.ndarray
        Log hazard ratios, in the order of ``summary``.
    var : numpy.ndarray
        Covariance matrix used for inference (robust when ``variance == "robust"``).
    naive_var : numpy.ndarray
        Model-based covariance (inverse information).
    variance : {"model", "robust"}
        Which covariance ``se``-based inference uses.
    robust_reason : {"cluster", "weights", "requested"} or None
        Why the robust variance is used: a named cluster (as R, even with one row per
        cluster), non-integer case weights (R's default), or ``robust=True``.
    rank : int
        Rank of ``var`` as the Wald test uses it (the number of coefficients unless the
        robust variance is singular, e.g. no more clusters than coefficients).
    ties : {"efron", "breslow", "exact"}
    loglik, loglik_null : float
        Log partial likelihood at the estimate and at zero (both with the offset, as R's
        ``loglik``).
    n, n_events, n_clusters : int
        Rows, events and clusters (``n_clusters`` is 0 without ``cluster``).
    conf_level : float
    iterations : int
        Newton-Raphson iterations.
    cluster : str or None
        Cluster column of the robust variance.
    strata : tuple of str
        Stratification columns.
    row_label : str
        What a row is, for display: ``"lines"`` when the data have a ``line`` column
        (patient x therapy-line rows), ``"rows"`` otherwise.
    offset : tuple of str
        Offset terms (``offset(...)`` of the formula, then the ``offset`` column); empty
        without an offset.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> df = pd.DataFrame({"ki67": rng.uniform(1, 30, 200)})
    >>> df["time"] = rng.exponential(24 / np.exp(0.05 * df["ki67"]))
    >>> df["event"] = (rng.uniform(size=200) < 0.8).astype(int)
    >>> from netstats.survival import cox
    >>> fit = cox(df, "ki67", time="time", event="event")
    >>> fit
    CoxResult
    Cox PH, Efron ties, model-based SE, 200 rows, 160 events; 95% CI
    term    hr  ci_lower  ci_upper     z   p_value
    ki67 1.047     1.025     1.069 4.302 1.693e-05
    >>> round(float(fit.concordance), 3)
    0.602
    """

    summary: pd.DataFrame
    tests: pd.DataFrame
    coef: npt.NDArray[np.float64]
    var: npt.NDArray[np.float64]
    naive_var: npt.NDArray[np.float64]
    variance: Literal["model", "robust"]
    ties: Literal["efron", "breslow", "exact"]
    loglik: float
    loglik_null: float
    n: int
    n_events: int
    n_clusters: int
    conf_level: float
    iterations: int
    cluster: str | None = None
    strata: tuple[str, ...] = ()
    row_label: str = "rows"
    robust_reason: Literal["cluster", "weights", "requested"] | None = None
    rank: int = 0
    _design: Design = field(repr=False, compare=False, default=None)  # type: ignore[assignment]
    _rs: core.RiskSets = field(repr=False, compare=False, default=None)  # type: ignore[assignment]
    _x: npt.NDArray[np.float64] = field(repr=False, compare=False, default=None)  # type: ignore[arg-type]
    _cluster_codes: npt.NDArray[np.int64] | None = field(repr=False, compare=False, default=None)
    offset: tuple[str, ...] = ()
    # Summed offset of every row in sorted order (as ``_x``; None without an offset): the
    # fitted linear predictor is ``_x @ coef + _offset``.
    _offset: npt.NDArray[np.float64] | None = field(repr=False, compare=False, default=None)
    _row_index: pd.Index | None = field(repr=False, compare=False, default=None)
    _strata_levels: tuple[Any, ...] = field(repr=False, compare=False, default=())

    # ------------------------------------------------------------------ display
    @property
    def method(self) -> str:
        """One-line description of the fit (ties, variance, clusters, sizes)."""
        strata = f" stratified by {', '.join(self.strata)}" if self.strata else ""
        if self.variance == "robust" and self.cluster:
            var = f"robust SE clustered on {self.cluster}"
        elif self.variance == "robust" and self.robust_reason == "weights":
            var = "robust SE: non-integer case weights"
        elif self.variance == "robust":
            var = "robust SE (each row its own cluster)"
        else:
            var = "model-based SE"
        units = f"{self.n} {self.row_label}"
        if self.cluster:
            who = "patients" if self.cluster == "patient_id" else f"{self.cluster} clusters"
            units += f" / {self.n_clusters} {who}"
        offset = f", offset {' + '.join(self.offset)}" if self.offset else ""
        return (
            f"Cox PH{strata}, {self.ties.capitalize()} ties{offset}, {var}, {units}, "
            f"{plural(self.n_events, 'event')}; {self.conf_level:.0%} CI"
        )

    def to_frame(self) -> pd.DataFrame:
        """The per-term summary table (a copy)."""
        return self.summary.copy()

    def _display_frame(self) -> pd.DataFrame:
        return self.summary[["term", "hr", "ci_lower", "ci_upper", "z", "p_value"]]

    # ------------------------------------------------------------------ derived
    @cached_property
    def _concordance(self) -> tuple[float, float, npt.NDArray[np.float64]]:
        eta = self._x @ self.coef
        if self._offset is not None:  # R's concordance uses the linear predictor with it
            eta = eta + self._offset
        counts, c, se = core.concordance(self._rs, eta, self._cluster_codes)
        return c, se, counts

    @property
    def concordance(self) -> float:
        """Harrell's C of the linear predictor (as R ``coxph``'s ``concordance``)."""
        return self._concordance[0]

    @property
    def concordance_se(self) -> float:
        """Infinitesimal-jackknife standard error of :attr:`concordance` (as R)."""
        return self._concordance[1]

    @property
    def concordance_counts(self) -> dict[str, float]:
        """Weighted numbers of concordant, discordant and predictor-tied pairs."""
        c = self._concordance[2]
        return {"concordant": float(c[0]), "discordant": float(c[1]), "tied_x": float(c[2])}

    # ------------------------------------------------------------------ prediction
    def predict_linear(self, data: pd.DataFrame, *, centered: bool = True) -> pd.Series:
        """Linear predictor ``x'beta`` (plus the offset) for new rows.

        Parameters
        ----------
        data : pandas.DataFrame
            Rows with the covariate columns used in the fit (and the offset's columns).
        centered : bool, default=True
            Subtract the fitting sample's covariate means as R's ``coxph`` defines them
            (0 for columns of -1/0/1 values, case-weighted means for right-censored data;
            R's ``predict(type="lp", reference="sample")``).

        Returns
        -------
        pandas.Series
            One value per row of ``data`` (log relative hazard, no unit).

        Notes
        -----
        The offset of the new rows is added as it is, as R's ``predict(fit, newdata,
        type="lp")`` does for an unstratified model (R subtracts the fitting sample's
        mean offset only in some other paths, e.g. ``se.fit=TRUE`` or
        ``reference="zero"``; a constant, which cancels in every hazard ratio).

        Examples
        --------
        >>> import numpy as np, pandas as pd
        >>> from netstats.survival import cox
        >>> rng = np.random.default_rng(3)
        >>> df = pd.DataFrame({"x": rng.normal(size=100), "o": rng.normal(size=100)})
        >>> df["time"] = rng.exponential(np.exp(-0.5 * df["x"] - df["o"]))
        >>> df["event"] = 1
        >>> fit = cox(df, "x + offset(o)", time="time", event="event")
        >>> new = pd.DataFrame({"x": [0.0, 1.0], "o": [0.0, 0.5]})
        >>> lp = fit.predict_linear(new, centered=False)
        >>> bool(np.allclose(lp, fit.coef[0] * new["x"] + new["o"]))
        True
        """
        from netstats.survival._cox_predict import check_levels, reference_means

        check_levels(self, data)
        x = self._design.transform(data)
        if centered:
            x = x - reference_means(self)
        lp = x @ self.coef
        offset = self._design.offset_for(data)
        if offset is not None:
            lp = lp + offset
        return pd.Series(lp, index=data.index, name="linear_predictor")

    def predict_partial_hazard(self, data: pd.DataFrame, *, centered: bool = True) -> pd.Series:
        """Relative hazard ``exp(x'beta)`` for new rows (see :meth:`predict_linear`)."""
        return np.exp(self.predict_linear(data, centered=centered)).rename("partial_hazard")

    def check_ph(
        self,
        transform: Literal["km", "identity", "rank", "log"]
        | Callable[[npt.NDArray[np.float64]], npt.ArrayLike] = "km",
        *,
        warn: bool = True,
    ) -> ZphResult:
        """Test proportional hazards (R ``cox.zph``); see :func:`cox_zph`."""
        from netstats.survival._cox_zph import cox_zph

        return cox_zph(self, transform=transform, warn=warn)

    # ------------------------------------------------------------------ residuals
    def residuals(
        self,
        type: ResidualType = "martingale",
        *,
        collapse: Any = None,
        weighted: bool | None = None,
        null: bool = False,
    ) -> pd.DataFrame:
        """Residuals of the fit (R ``residuals.coxph``); see :func:`cox_residuals`."""
        from netstats.survival._cox_residuals import cox_residuals

        return cox_residuals(self, type, collapse=collapse, weighted=weighted, null=null)

    # ------------------------------------------------------------------ survival prediction
    def baseline_hazard(self, *, centered: bool = True) -> pd.DataFrame:
        """Baseline cumulative hazard per stratum; see :func:`baseline_hazard`."""
        from netstats.survival._cox_predict import baseline_hazard

        return baseline_hazard(self, centered=centered)

    def predict_survival(
        self,
        newdata: pd.DataFrame,
        *,
        conf_type: Literal["log", "log-log", "plain"] = "log",
        conf_level: float | None = None,
    ) -> CoxSurvivalResult:
        """Survival curves for covariate profiles; see :func:`predict_survival`."""
        from netstats.survival._cox_predict import predict_survival

        return predict_survival(self, newdata, conf_type=conf_type, conf_level=conf_level)


# ---------------------------------------------------------------------- validation
def _column(data: pd.DataFrame, name: str, role: str) -> pd.Series:
    if not isinstance(name, str):
        raise TypeError(f"{role} must be a column name (str), got {type(name).__name__}")
    if name not in data.columns:
        raise SchemaError(f"{role} column {name!r} not found in data")
    col = data[name]
    n_missing = int(col.isna().sum())
    if n_missing:
        raise SchemaError(
            f"column {name!r} ({role}) has {n_missing} missing value(s); "
            "remove or impute them explicitly before fitting"
        )
    return col


def _numeric(data: pd.DataFrame, name: str, role: str) -> npt.NDArray[np.float64]:
    if not isinstance(name, str):
        raise TypeError(f"{role} must be a column name (str), got {type(name).__name__}")
    if name not in data.columns:
        raise SchemaError(f"{role} column {name!r} not found in data")
    col = data[name]
    if not (pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col)):
        _column(data, name, role)  # reports missing values first
        raise TypeError(f"{role} column {name!r} must be numeric, got dtype {col.dtype}")
    values = col.to_numpy(dtype=float, na_value=np.nan)
    finite = np.isfinite(values)
    if not finite.all():
        n_missing = int(np.isnan(values).sum())
        if n_missing:
            raise SchemaError(
                f"column {name!r} ({role}) has {n_missing} missing value(s); "
                "remove or impute them explicitly before fitting"
            )
        raise SchemaError(
            f"column {name!r} ({role}) has {int((~finite).sum())} non-finite value(s)"
        )
    return values


def _event(data: pd.DataFrame, name: str) -> npt.NDArray[np.bool_]:
    values = _numeric(data, name, "event")
    bad = int((~np.isin(values, (0.0, 1.0))).sum())
    if bad:
        raise SchemaError(f"event column {name!r} must be 0/1 or boolean; {bad} row(s) are not")
    return values == 1.0


def _codes(
    data: pd.DataFrame, names: Sequence[str], role: str, *, sort: bool = True
) -> npt.NDArray[np.int64]:
    """Integer codes of the groups (``sort=False``: in order of appearance, which skips
    sorting the labels; enough for clusters, whose order does not matter)."""
    for name in names:
        _column(data, name, role)
    if len(names) == 1:
        codes = np.asarray(pd.factorize(data[names[0]], sort=sort)[0], dtype=np.int64)
    else:
        grouped = data.groupby(list(names), sort=True, observed=True).ngroup()
        codes = np.asarray(grouped.to_numpy(), dtype=np.int64)
    return codes


def _check_design(
    design: Design, rs: core.RiskSets, xc: npt.NDArray[np.float64], xt: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    """Raise on constant or collinear columns; return the columns' standard deviations
    (pooled within strata when stratified), the scale of the divergence checks.

    ``xc`` is the centred design in sorted row order, ``xt`` its transpose (C-contiguous).
    Centring maps equal values to equal values and keeps distinct ones apart (up to
    rounding far below any usable spread), so a column is constant exactly when its
    centred values are.
    """
    x = design.matrix
    names = design.columns
    constant = np.ptp(xt, axis=1) == 0
    const = [names[j] for j in np.flatnonzero(constant)]
    if const:
        raise SchemaError(
            f"covariate(s) with zero variance cannot be estimated: {', '.join(const)}"
        )
    # Rank check on the p x p correlation matrix (cheap for large n).
    cov = (xt @ xt.T) / x.shape[0]
    sd = np.sqrt(np.diag(cov))
    gram = cov / np.outer(sd, sd)
    eig = np.linalg.eigvalsh(gram)
    if eig[0] < 1e-10 * max(eig[-1], 1.0):
        _, r = np.linalg.qr(np.linalg.cholesky(gram + 1e-12 * np.eye(gram.shape[0])).T)
        diag = np.abs(np.diag(r))
        dep = [names[j] for j in np.flatnonzero(diag < 1e-5 * diag.max())]
        raise SchemaError(
            "design matrix is rank deficient (collinear covariates): "
            f"{', '.join(dep) or ', '.join(names)} can be written as a combination of other columns"
        )
    # A covariate constant within every stratum carries no information either.
    n_str = int(rs.strata.max()) + 1
    if n_str > 1:
        within = np.zeros(x.shape[1], dtype=bool)
        squares = np.zeros(x.shape[1])
        bounds = np.searchsorted(rs.strata, np.arange(n_str + 1))  # rows are sorted by stratum
        for lo, hi in zip(bounds[:-1], bounds[1:], strict=True):
            if hi - lo > 1:
                block = xc[lo:hi]
                within |= np.ptp(block, axis=0) > 0
                squares += ((block - block.mean(axis=0)) ** 2).sum(axis=0)
        dead = [names[j] for j in np.flatnonzero(~within)]
        if dead:
            raise SchemaError(f"covariate(s) constant within every stratum: {', '.join(dead)}")
        # The stratified likelihood sees only within-stratum spread: strata whose
        # covariate levels sit far apart must not make a finite estimate look divergent.
        sd = np.sqrt(squares / x.shape[0])
    return sd


def _outcome(
    data: pd.DataFrame, *, time: str, event: str, start: str | None, weights: str | None
) -> tuple[
    npt.NDArray[np.float64],
    npt.NDArray[np.bool_],
    npt.NDArray[np.float64] | None,
    npt.NDArray[np.float64] | None,
]:
    """Validated time, event, start and weight arrays."""
    stop_t = _numeric(data, time, "time")
    ev = _event(data, event)
    start_t = None
    if start is not None:
        start_t = _numeric(data, start, "start")
        bad = int((start_t >= stop_t).sum())
        if bad:
            raise SchemaError(
                f"{bad} row(s) have {start!r} >= {time!r}; intervals must be (start, stop]"
            )
    elif (stop_t < 0).any():
        raise SchemaError(f"{int((stop_t < 0).sum())} row(s) have negative {time!r}")
    w = None
    if weights is not None:
        w = _numeric(data, weights, "weights")
        if (w <= 0).any():
            raise SchemaError(
                f"weights column {weights!r} has {int((w <= 0).sum())} non-positive value(s)"
            )
    return stop_t, ev, start_t, w


# ---------------------------------------------------------------------- main entry
def cox(
    data: pd.DataFrame,
    formula: str | None = None,
    *,
    time: str,
    event: str,
    covariates: Sequence[str] | None = None,
    ties: Literal["efron", "breslow", "exact"] = "efron",
    strata: str | Sequence[str] | None = None,
    cluster: str | None = None,
    robust: bool | Literal["auto"] = "auto",
    start: str | None = None,
    weights: str | None = None,
    offset: str | None = None,
    conf_level: float = 0.95,
    max_iter: int = 50,
) -> CoxResult:
    """Fit a Cox proportional-hazards model.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per subject, or per (start, stop] interval with ``start``.
        Never modified.
    formula : str, optional
        Right-hand side of a model formula (formulaic syntax), e.g.
        ``"log2_ki67 + C(regimen) + age:C(sex) + rcs(age, 4)"``. ``C()`` makes a
        categorical with treatment coding (first sorted level as reference), ``:`` and
        ``*`` interactions, ``rcs(x, k)`` Harrell's restricted cubic spline (as
        ``rms::rcs``), ``bs()``/``cr()`` other spline bases. No intercept is fitted.
        ``offset(expr)`` adds ``expr`` (e.g. ``offset(np.log(person_years))``) to the
        linear predictor with its coefficient fixed at 1, as in R.
    time : str
        Event or censoring time column (stop time with ``start``). Any unit; results do
        not depend on it.
    event : str
        Event indicator column (1/True = event, 0/False = censored).
    covariates : sequence of str, optional
        Alternative to ``formula``: columns entered as they are (numeric) or as
        categoricals (non-numeric dtypes).
    ties : {"efron", "breslow", "exact"}, default="efron"
        Tied event times: Efron's or Breslow's approximation, or the exact partial
        likelihood (R's ``ties="exact"``: the discrete-time, conditional logistic
        likelihood; slower, without case weights or robust variance, as in R).
    strata : str or sequence of str, optional
        Column(s) defining strata with separate baseline hazards.
    cluster : str, optional
        Column identifying correlated rows (e.g. ``patient_id``) for the robust variance.
    robust : bool or "auto", default="auto"
        ``"auto"`` uses the cluster-robust sandwich variance when ``cluster`` is given
        (as R's ``cluster()``, also when every cluster has one row), and whenever the
        case weights are not all integers (inverse-probability or survey weights, for
        which the model-based variance is wrong; each row its own cluster unless
        ``cluster`` is given). ``True`` forces it (each row its own
        cluster without ``cluster``; with ``start`` a ``cluster`` is then required, as in
        R), ``False`` uses the model-based variance.
    start : str, optional
        Start-time column for counting-process (start, stop] data (time-varying
        covariates); a row is at risk at ``t`` when ``start < t <= stop``.
    weights : str, optional
        Case-weight column (positive values).
    offset : str, optional
        Offset column: a known part of the linear predictor, coefficient fixed at 1 (R's
        ``offset()``); summed with any ``offset()`` terms of the formula.
    conf_level : float, default=0.95
        Confidence level of the hazard-ratio intervals.
    max_iter : int, default=50
        Maximum Newton-Raphson iterations.

    Returns
    -------
    CoxResult
        ``summary`` has one row per model column:

        - ``term`` : model column name
        - ``coef`` : log hazard ratio (per unit of the covariate)
        - ``hr`` : hazard ratio ``exp(coef)``
        - ``se`` : model-based standard error of ``coef``
        - ``robust_se`` : sandwich standard error (NaN when not used)
        - ``z``, ``p_value`` : Wald statistic and two-sided p-value, using the
          variance in ``variance``
        - ``ci_lower``, ``ci_upper`` : confidence limits of ``hr``
        - ``conf_level`` : confidence level
        - ``n``, ``n_events`` : rows (and events) with the column equal to 1 for 0/1
          columns (e.g. a category), all rows otherwise
        - ``variance`` : ``"model"`` or ``"robust"``

    Raises
    ------
    SchemaError
        Missing columns, missing or non-finite values (naming the column and the number
        of rows; the offset included), ``start >= stop``, non-positive weights,
        zero-variance or collinear covariates (naming them).
    ValueError
        ``ties="exact"`` with case weights other than 1 or a robust variance
        (``cluster``/``robust=True``), which R's ``coxph`` refuses too.
    ConvergenceError
        The likelihood has no finite maximum (perfect separation) or Newton-Raphson did
        not converge; the message names the diverging terms.

    Warns
    -----
    StatisticalWarning
        Fewer than 10 events per model parameter; a singular robust variance (e.g. no
        more clusters than coefficients), for which the Wald and robust score tests use
        a generalised inverse and report its rank as ``df``.

    Notes
    -----
    The log partial likelihood is maximised by Newton-Raphson with step halving,
    starting at zero, until the relative change in log-likelihood is below 1e-10 and
    the largest step below 1e-5. Efron's approximation for ties is the default (as R's
    ``coxph``); Breslow's is available. Case weights enter as in R (Efron's correction
    uses the mean weight of the tied deaths). ``ties="exact"`` maximises the exact
    partial likelihood: at an event time with ``d`` deaths the denominator sums the
    risk scores' products over every set of ``d`` rows at risk (an elementary
    symmetric polynomial, computed by the recursion of R's ``coxexact.c`` in ``d``
    vectorised passes over the risk set); it equals Breslow's and Efron's likelihood
    where no times are tied. Offsets enter the linear predictor of the likelihood, the
    null log-likelihood and score test (both at ``beta = 0`` with the offset, as R's
    ``loglik[1]`` and ``score``), the residuals and the concordance (R's uses the
    linear predictor with the offset); the robust score test is that of ``beta = 0``
    with the offset (R's ``coxph`` evaluates its residuals at linear predictor 0, which
    drops the offset). The robust variance is R's
    ``coxph(..., cluster=)``: ``D'D`` with ``D`` the weighted dfbeta residuals summed
    by cluster. Tests: Wald (with the variance used for the CIs), likelihood ratio and
    score (at beta = 0), plus R's robust score test when the robust variance is used.
    Concordance is Harrell's C as R's ``concordance()`` computes it for a ``coxph`` fit
    (ties in the predictor count 1/2, tied event times are not comparable), with its
    infinitesimal-jackknife SE. R additionally merges event times that differ by
    floating-point noise (``timefix``); netstats compares times exactly.

    References
    ----------
    Cox DR (1972). Regression models and life-tables. JRSS B 34:187-220.
    Efron B (1977). The efficiency of Cox's likelihood function for censored data.
    JASA 72:557-565.
    Lin DY, Wei LJ (1989). The robust inference for the Cox proportional hazards model.
    JASA 84:1074-1078.
    Therneau TM, Grambsch PM (2000). Modeling Survival Data. Springer.
    Harrell FE (2015). Regression Modeling Strategies, 2nd ed. Springer (rcs).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> df = pd.DataFrame({"ki67": rng.uniform(1, 30, 200)})
    >>> df["time"] = rng.exponential(24 / np.exp(0.05 * df["ki67"]))
    >>> df["event"] = (rng.uniform(size=200) < 0.8).astype(int)
    >>> fit = cox(df, "ki67", time="time", event="event")
    >>> fit.summary[["term", "hr"]].round(2)
       term    hr
    0  ki67  1.05

    An offset (here the log of each patient's follow-up window, a known exposure) and
    the exact partial likelihood for times recorded in whole months:

    >>> df["log_window"] = np.log(rng.uniform(0.5, 2.0, 200))
    >>> df["month"] = np.ceil(df["time"])
    >>> fit = cox(df, "ki67 + offset(log_window)", time="month", event="event", ties="exact")
    >>> print(fit.method)
    Cox PH, Exact ties, offset offset(log_window), model-based SE, 200 rows, 160 events; 95% CI
    >>> same = cox(df, "ki67", time="month", event="event", ties="exact", offset="log_window")
    >>> bool(np.isclose(same.coef[0], fit.coef[0], rtol=1e-12))
    True
    """
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"data must be a pandas DataFrame, got {type(data).__name__}")
    if ties not in ("efron", "breslow", "exact"):
        raise ValueError(f"ties must be 'efron', 'breslow' or 'exact', got {ties!r}")
    if robust not in ("auto", True, False):
        raise ValueError(f"robust must be True, False or 'auto', got {robust!r}")
    if not 0.0 < conf_level < 1.0:
        raise ValueError(f"conf_level must be in (0, 1), got {conf_level}")
    strata_cols = (strata,) if isinstance(strata, str) else tuple(strata or ())
    if robust is True and start is not None and cluster is None:
        raise ValueError(
            "robust variance with (start, stop] data needs cluster= (the subject id): rows of "
            "one subject are not independent"
        )

    stop_t, ev, start_t, w = _outcome(data, time=time, event=event, start=start, weights=weights)
    if ties == "exact":
        _check_exact(cluster, robust, weights, w)
    strata_codes = _codes(data, strata_cols, "strata") if strata_cols else None
    cl_codes = _codes(data, (cluster,), "cluster", sort=False) if cluster is not None else None

    design = build_design(data, formula=formula, covariates=covariates, offset=offset)
    rs = core.prepare(
        stop_t, ev, start=start_t, strata=strata_codes, weights=w, ties=ties, offset=design.offset
    )
    x = np.take(design.matrix, rs.order, axis=0)
    x -= design.means
    xt = core.transpose(x)
    scale = _check_design(design, rs, x, xt)
    p = design.matrix.shape[1]
    n_events = int(ev.sum())
    if n_events == 0:
        raise SchemaError(f"no events in column {event!r}; a Cox model needs at least one")
    if n_events < MIN_EVENTS_PER_PARAMETER * p:
        warnings.warn(
            f"{n_events} events for {p} parameters ({n_events / p:.1f} per parameter, fewer "
            f"than {MIN_EVENTS_PER_PARAMETER}); estimates may be unstable",
            StatisticalWarning,
            stacklevel=2,
        )

    ev0 = core.evaluate(rs, x, np.zeros(p), xt=xt)
    try:
        beta, fit_ev, iters, converged = core.newton(
            rs, x, np.zeros(p), max_iter=max_iter, start=ev0, xt=xt
        )
    except core.NewtonFailure as exc:
        raise ConvergenceError(_divergence_message(design, exc.beta, str(exc))) from None
    if not converged:
        raise ConvergenceError(
            _divergence_message(design, beta, f"no convergence in {iters} iterations")
        )
    try:
        naive_var = np.linalg.inv(fit_ev.information)
    except np.linalg.LinAlgError:
        naive_var = np.full((p, p), np.inf)
    naive_var = (naive_var + naive_var.T) / 2.0
    scaled_se = np.sqrt(np.abs(np.diag(naive_var))) * scale
    if np.any(np.abs(beta) * scale > DIVERGENCE_LIMIT) or not np.all(scaled_se < MAX_SCALED_SE):
        raise ConvergenceError(
            _divergence_message(design, beta, "the log partial likelihood has no finite maximum")
        )

    reason = _robust_reason(robust, cl_codes, w)
    use_robust = reason is not None
    cl_sorted = None if cl_codes is None else cl_codes[rs.order]
    var = naive_var
    robust_score = None
    n_clusters = 0 if cl_codes is None else int(cl_codes.max()) + 1
    if use_robust:
        groups = cl_sorted if cl_sorted is not None else np.arange(rs.n)
        resid = core.score_residuals(rs, x, beta, fit_ev) * rs.weights[:, None]
        dfb = _collapse(resid @ naive_var, groups)
        var = dfb.T @ dfb
        r0 = _collapse(core.score_residuals(rs, x, np.zeros(p), ev0) * rs.weights[:, None], groups)
        u0 = r0.sum(axis=0)
        robust_score = core.wald_test(r0.T @ r0, u0)

    wald = core.wald_test(var, beta)
    if use_robust and wald[1] < p:
        _warn_singular(wald[1], p, n_clusters if cl_sorted is not None else rs.n, cl_sorted)

    summary = _summary(design, ev, beta, naive_var, var, use_robust, conf_level)
    tests = _tests(wald, fit_ev.loglik, ev0, robust_score, p)
    return CoxResult(
        summary=summary,
        tests=tests,
        coef=beta,
        var=var,
        naive_var=naive_var,
        variance="robust" if use_robust else "model",
        ties=ties,
        loglik=fit_ev.loglik,
        loglik_null=ev0.loglik,
        n=int(rs.n),
        n_events=n_events,
        n_clusters=n_clusters,
        conf_level=conf_level,
        iterations=iters,
        cluster=cluster if use_robust and cluster is not None else None,
        strata=strata_cols,
        row_label="lines" if "line" in data.columns else "rows",
        robust_reason=reason,
        rank=wald[1],
        _design=design,
        _rs=rs,
        _x=x,
        _cluster_codes=cl_sorted if use_robust else None,
        _row_index=data.index,
        _strata_levels=strata_levels(data, strata_cols),
        offset=design.offsets,
        _offset=None if design.offset is None else design.offset[rs.order],
    )


def _check_exact(
    cluster: str | None,
    robust: bool | Literal["auto"],
    weights: str | None,
    w: npt.NDArray[np.float64] | None,
) -> None:
    """Refuse what R's exact method refuses: a robust variance and case weights."""
    if cluster is not None or robust is True:
        raise ValueError(
            "the robust variance is not available with ties='exact' (its score residuals "
            "are not defined, as in R's coxph); drop cluster/robust or use ties='efron'"
        )
    if w is not None and np.any(w != 1.0):
        raise ValueError(
            f"case weights (column {weights!r}) are not supported with ties='exact' (as in "
            "R's coxph); use ties='efron' or 'breslow'"
        )


def _robust_reason(
    robust: bool | Literal["auto"],
    cl_codes: npt.NDArray[np.int64] | None,
    w: npt.NDArray[np.float64] | None,
) -> Literal["cluster", "weights", "requested"] | None:
    """Why the robust variance is used (None: model-based), following R's defaults: a
    named cluster always (even when every cluster has one row, as R's ``cluster()``)."""
    if robust is False:
        return None
    if cl_codes is not None:
        return "cluster"
    if robust is True:
        return "requested"
    if w is not None and bool(np.any(w != np.floor(w))):
        return "weights"
    return None


def _warn_singular(
    rank: int, p: int, n_groups: int, clusters: npt.NDArray[np.int64] | None
) -> None:
    unit = "clusters" if clusters is not None else "rows"
    cause = (
        f"{n_groups} {unit} for {p} coefficients"
        if n_groups <= p
        else f"rank {rank} for {p} coefficients"
    )
    warnings.warn(
        f"robust variance is singular: {cause}; the Wald test uses a generalised inverse "
        f"with {rank} df and the standard errors are unreliable",
        StatisticalWarning,
        stacklevel=3,
    )


def _collapse(
    values: npt.NDArray[np.float64], groups: npt.NDArray[np.int64]
) -> npt.NDArray[np.float64]:
    size = int(groups.max()) + 1
    return np.column_stack(
        [np.bincount(groups, weights=values[:, j], minlength=size) for j in range(values.shape[1])]
    )


def _divergence_message(design: Design, beta: npt.NDArray[np.float64], why: str) -> str:
    scaled = np.abs(beta) * design.matrix.std(axis=0)
    order = np.argsort(-scaled)
    worst = [f"{design.columns[j]} (coef {beta[j]:.3g})" for j in order[:3] if scaled[j] > 5]
    hint = (
        f"; diverging: {', '.join(worst)} - likely perfect separation (monotone likelihood), "
        "e.g. a category with no events or all events first"
        if worst
        else ""
    )
    return f"Cox model did not converge: {why}{hint}"


def _summary(
    design: Design,
    event: npt.NDArray[np.bool_],
    beta: npt.NDArray[np.float64],
    naive_var: npt.NDArray[np.float64],
    var: npt.NDArray[np.float64],
    use_robust: bool,
    conf_level: float,
) -> pd.DataFrame:
    se = np.sqrt(np.diag(naive_var))
    used = np.sqrt(np.diag(var))
    z = beta / used
    q = norm_ppf(0.5 + conf_level / 2.0)
    x = design.matrix
    n_rows = np.full(x.shape[1], x.shape[0])
    n_ev = np.full(x.shape[1], event.sum())
    head = x[:1000]
    for j in np.flatnonzero(np.all((head == 0) | (head == 1), axis=0)):  # 0/1 candidates
        col = x[:, j]
        if np.all((col == 0) | (col == 1)):
            n_rows[j] = (col == 1).sum()
            n_ev[j] = ((col == 1) & event).sum()
    return pd.DataFrame(
        {
            "term": list(design.columns),
            "coef": beta,
            "hr": np.exp(beta),
            "se": se,
            "robust_se": used if use_robust else np.full(beta.size, np.nan),
            "z": z,
            "p_value": 2.0 * norm_sf(np.abs(z)),
            "ci_lower": np.exp(beta - q * used),
            "ci_upper": np.exp(beta + q * used),
            "conf_level": conf_level,
            "n": n_rows.astype(np.int64),
            "n_events": n_ev.astype(np.int64),
            "variance": "robust" if use_robust else "model",
        }
    )


def _tests(
    wald: tuple[float, int],
    loglik: float,
    ev0: Any,
    robust_score: tuple[float, int] | None,
    p: int,
) -> pd.DataFrame:
    """Global tests; Wald and robust score as ``(statistic, rank)`` from ``wald_test``."""
    lr = 2.0 * (loglik - ev0.loglik)
    score = float(ev0.score @ np.linalg.solve(ev0.information, ev0.score))
    rows = [("wald", *wald), ("likelihood_ratio", lr, p), ("score", score, p)]
    if robust_score is not None:
        rows.append(("robust_score", *robust_score))
    frame = pd.DataFrame(rows, columns=["test", "statistic", "df"])
    frame["p_value"] = chi2_sf(frame["statistic"], frame["df"])
    return frame

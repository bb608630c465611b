"""Residuals of a fitted Cox model as tidy DataFrames, equivalent to R's ``residuals.coxph``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from netstats.exceptions import SchemaError
from netstats.survival import _cox_core as core
from netstats.survival._cox_predict import strata_labels

if TYPE_CHECKING:
    from netstats.survival._cox import CoxResult

__all__ = ["RESIDUAL_TYPES", "ResidualType", "cox_functional_form", "cox_residuals"]

ResidualType = Literal[
    "martingale", "deviance", "score", "dfbeta", "dfbetas", "schoenfeld", "scaledsch"
]
#: The residual types of :func:`cox_residuals`, in R's order.
RESIDUAL_TYPES: tuple[str, ...] = (
    "martingale",
    "deviance",
    "score",
    "dfbeta",
    "dfbetas",
    "schoenfeld",
    "scaledsch",
)
_PER_EVENT = ("schoenfeld", "scaledsch")
#: Span of the functional-form smoother (R's ``lowess`` default ``f = 2/3``).
LOWESS_FRAC = 2.0 / 3.0
_WEIGHTED_BY_DEFAULT = ("dfbeta", "dfbetas")


def cox_residuals(
    fit: CoxResult,
    type: ResidualType = "martingale",
    *,
    collapse: Sequence[Any] | pd.Series | npt.NDArray[Any] | None = None,
    weighted: bool | None = None,
    null: bool = False,
) -> pd.DataFrame:
    """Residuals of a fitted Cox model, as R's ``residuals.coxph``.

    Parameters
    ----------
    fit : CoxResult
        A model fitted by :func:`cox`.
    type : {"martingale", "deviance", "score", "dfbeta", "dfbetas", "schoenfeld", \
"scaledsch"}, default="martingale"
        ``martingale``: observed minus expected events of the row. ``deviance``: the
        martingale residual made more symmetric, ``sign(m) sqrt(-2 (m + d log(d - m)))``.
        ``score``: the row's contribution to the score (one column per model column).
        ``dfbeta``: approximate change in each coefficient when the row is left out
        (score residuals times the model-based variance). ``dfbetas``: ``dfbeta``
        divided by the coefficients' model-based standard errors. ``schoenfeld``: per
        event, the covariates minus their risk-weighted mean over the risk set.
        ``scaledsch``: Schoenfeld residuals times the variance and the number of events,
        plus the coefficients (an estimate of ``beta(t)``, as R).
    collapse : array-like, optional
        One label per row of the fitted data, e.g. ``data["patient_id"]`` (a Series is
        aligned on the data's index, other sequences are in its row order): the
        residuals are summed within each label, as R's ``collapse=`` (for (start, stop]
        data or several rows per patient). Not for the Schoenfeld types, which are per
        event.
    weighted : bool, optional
        Multiply by the case weights. Default as R: ``True`` for ``dfbeta`` and
        ``dfbetas``, ``False`` for the other types. Irrelevant without case weights.
    null : bool, default=False
        Martingale or deviance residuals of the null model (all coefficients zero, the
        same strata, case weights and risk sets; R's ``coxph(Surv(...) ~ 1)``), the
        usual check of a covariate's functional form. ``linear_predictor`` is then zero.

    Returns
    -------
    pandas.DataFrame
        Per-row types (``martingale``, ``deviance``, ``score``, ``dfbeta``,
        ``dfbetas``): one row per data row, index of the fitted data, and

        - ``row`` : position of the row in the fitted data (0-based)
        - ``event`` : whether the row ends in an event (``martingale`` and ``deviance``
          only, as the next)
        - ``linear_predictor`` : ``x'beta`` centred at the fit's covariate means
        - ``martingale`` / ``deviance`` : the residual, or for the other types one
          column per model column, named as ``fit.summary["term"]``

        With ``collapse``: one row per label (index named after ``collapse``, sorted as
        R's ``rowsum``), ``n_rows`` (rows summed) and the residual column(s).
        Schoenfeld types: one row per event, in the order of (stratum, event time) as
        R, with ``row`` (position of the event's row), ``time`` (event time, in the data's unit),
        ``stratum`` (``"all"`` without strata, else R's label such as ``"sex=1"``) and
        one column per model column.

    Raises
    ------
    ValueError
        Unknown ``type``; ``collapse`` of the wrong length, or with a Schoenfeld type;
        ``null`` with a type other than martingale or deviance; a fit with ties other
        than Efron's or Breslow's.
    SchemaError
        ``collapse`` has missing labels.

    Notes
    -----
    Every value is R survival 3.5's ``residuals(fit, type)`` at the fitted
    coefficients, for Efron and Breslow ties, strata, case weights and (start, stop]
    data. Weighting follows R: martingale, deviance, score and Schoenfeld residuals are
    unweighted (the weights enter the risk sets only), ``dfbeta``/``dfbetas`` are
    multiplied by the case weights; ``dfbeta``, ``dfbetas`` and ``scaledsch`` use the
    model-based variance ``fit.naive_var`` also when the fit reports a robust one. So
    ``sum(w * martingale) = 0`` within each stratum, ``sum(w * score) = 0`` and
    ``sum(w * schoenfeld) = 0`` at the estimate, and ``dfbeta = w * score @ naive_var``.
    ``scaledsch`` is R's ``residuals(type="scaledsch")``: for a stratified fit or a
    term with several columns it differs from the scaled residuals of :func:`cox_zph`,
    which follow R's ``cox.zph`` (per-stratum weighting, one combined column per term).
    Collapsed deviance residuals are computed from the summed martingale residuals and
    event counts (as R); for a label with more than one event this uses the Poisson
    deviance ``sign(m) sqrt(-2 (m + d log((d - m) / d)))``, which equals R's formula for
    ``d <= 1`` (R's formula, missing the ``/ d``, can give NaN for ``d > 1``).

    References
    ----------
    Therneau TM, Grambsch PM, Fleming TR (1990). Martingale-based residuals for survival
    models. Biometrika 77:147-160.
    Therneau TM, Grambsch PM (2000). Modeling Survival Data. Springer, chapters 4-7.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from netstats.survival import cox, cox_residuals
    >>> rng = np.random.default_rng(1)
    >>> df = pd.DataFrame({"ki67": rng.uniform(1, 30, 200)})
    >>> df["time"] = rng.exponential(24 / np.exp(0.05 * df["ki67"]))
    >>> df["event"] = (rng.uniform(size=200) < 0.8).astype(int)
    >>> fit = cox(df, "ki67", time="time", event="event")
    >>> mart = cox_residuals(fit, "martingale")
    >>> list(mart.columns)
    ['row', 'event', 'linear_predictor', 'martingale']
    >>> abs(round(float(mart["martingale"].sum()), 10))
    0.0
    >>> fit.residuals("dfbeta").shape
    (200, 2)
    >>> fit.residuals("schoenfeld").columns.tolist()
    ['row', 'time', 'stratum', 'ki67']
    """
    if type not in RESIDUAL_TYPES:
        raise ValueError(f"type must be one of {', '.join(RESIDUAL_TYPES)}; got {type!r}")
    if collapse is not None and type in _PER_EVENT:
        raise ValueError(f"collapse= is for per-row residuals; {type} residuals are one per event")
    if fit.ties not in ("efron", "breslow"):
        raise ValueError(
            f"residuals are implemented for Efron and Breslow ties, not ties={fit.ties!r}"
        )
    if null and type not in ("martingale", "deviance"):
        raise ValueError(f"null=True gives martingale or deviance residuals, not {type}")
    if weighted is None:
        weighted = type in _WEIGHTED_BY_DEFAULT
    rs = fit._rs
    x = fit._x
    beta = np.zeros_like(fit.coef) if null else fit.coef
    terms = list(fit.summary["term"])
    if type in _PER_EVENT:
        return _per_event(fit, type, weighted, terms)

    status = rs.event.astype(float)
    if type in ("martingale", "deviance"):
        values = martingale(rs, x, beta)[:, None]
        names = [type]
    else:
        values = core.score_residuals(rs, x, beta)
        var = fit.naive_var
        if type == "dfbeta":
            values = values @ var
        elif type == "dfbetas":
            values = (values @ var) / np.sqrt(np.diag(var))
        names = terms
    if weighted:
        values = values * rs.weights[:, None]
    # sorted positions -> input rows
    out = np.empty_like(values)
    out[rs.order] = values
    st = np.empty(rs.n)
    st[rs.order] = status

    if collapse is not None:
        labels, codes = _collapse_codes(collapse, rs.n, fit._row_index)
        size = labels.size
        summed: npt.NDArray[np.float64] = np.column_stack(
            [np.bincount(codes, weights=out[:, j], minlength=size) for j in range(out.shape[1])]
        ).astype(float)
        if type == "deviance":
            events = np.bincount(codes, weights=st, minlength=size).astype(float)
            summed = deviance(summed[:, 0], events)[:, None]
        frame = pd.DataFrame(summed, columns=names, index=labels)
        frame.insert(0, "n_rows", np.bincount(codes, minlength=size).astype(np.int64))
        return frame

    if type == "deviance":
        out = deviance(out[:, 0], st)[:, None]
    index = fit._row_index if fit._row_index is not None else pd.RangeIndex(rs.n)
    frame = pd.DataFrame(out, columns=names, index=index)
    if type in ("martingale", "deviance"):
        lp = np.empty(rs.n)
        lp[rs.order] = x @ beta
        frame.insert(0, "linear_predictor", lp)
        frame.insert(0, "event", st == 1.0)
    frame.insert(0, "row", np.arange(rs.n, dtype=np.int64))
    return frame


def cox_functional_form(
    fit: CoxResult,
    data: pd.DataFrame,
    covariates: str | Sequence[str],
    *,
    model: Literal["null", "fitted"] = "null",
    frac: float = LOWESS_FRAC,
) -> pd.DataFrame:
    """Martingale residuals against continuous covariates with a lowess smooth: the check
    of a covariate's functional form.

    Parameters
    ----------
    fit : CoxResult
        A model fitted by :func:`cox` on ``data``.
    data : pandas.DataFrame
        The data the model was fitted on (same rows; matched by position).
    covariates : str or sequence of str
        Numeric columns of ``data`` to check (they need not be in the model).
    model : {"null", "fitted"}, default="null"
        ``"null"``: residuals of the model without covariates (same strata, case weights
        and risk sets), whose smooth against a covariate estimates the shape of its
        effect on the log hazard. ``"fitted"``: residuals of the fitted model; a flat
        smooth says the model's form of the covariate is adequate, a curve shows what is
        missing.
    frac : float, default=2/3
        Span of the smoother (R's ``lowess`` default).

    Returns
    -------
    pandas.DataFrame
        Long format, one row per covariate x data row (rows with a missing covariate
        value left out):

        - ``covariate`` : the column checked
        - ``row`` : position of the row in the fitted data (0-based)
        - ``value`` : the covariate's value (its own unit)
        - ``martingale`` : the martingale residual (no unit)
        - ``smooth`` : the lowess smooth at ``value``
        - ``model`` : ``"null"`` or ``"fitted"``

    Raises
    ------
    SchemaError
        A covariate column is missing or not numeric.
    ValueError
        ``data`` has another number of rows than the fit; bad ``model`` or ``frac``.

    Notes
    -----
    The smoother is R's ``lowess`` (Cleveland 1979: local linear fits with tricube
    weights, three robustness iterations, ``delta`` = 1% of the covariate's range),
    computed by statsmodels; values agree with R's to ~1e-11.

    References
    ----------
    Therneau TM, Grambsch PM, Fleming TR (1990). Martingale-based residuals for survival
    models. Biometrika 77:147-160.
    Cleveland WS (1979). Robust locally weighted regression and smoothing scatterplots.
    JASA 74:829-836.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from netstats.survival import cox, cox_functional_form
    >>> rng = np.random.default_rng(5)
    >>> d = pd.DataFrame({"ki67": rng.uniform(1, 40, 120)})
    >>> d["time"], d["event"] = rng.exponential(np.exp(-0.05 * d["ki67"])), 1
    >>> ff = cox_functional_form(cox(d, "ki67", time="time", event="event"), d, "ki67")
    >>> ff.columns.tolist()
    ['covariate', 'row', 'value', 'martingale', 'smooth', 'model']
    """
    if model not in ("null", "fitted"):
        raise ValueError(f"model must be 'null' or 'fitted', got {model!r}")
    if not 0.0 < frac <= 1.0:
        raise ValueError(f"frac must be in (0, 1], got {frac}")
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"data must be a pandas DataFrame, got {type(data).__name__}")
    names = [covariates] if isinstance(covariates, str) else list(covariates)
    if len(data) != fit.n:
        raise ValueError(
            f"data has {len(data)} rows but the model was fitted on {fit.n}; pass the "
            "data the model was fitted on"
        )
    for name in names:
        if name not in data.columns:
            raise SchemaError(f"covariate column {name!r} not found in data")
        if not pd.api.types.is_numeric_dtype(data[name]) or pd.api.types.is_bool_dtype(data[name]):
            raise SchemaError(
                f"covariate column {name!r} must be numeric (a continuous covariate), "
                f"got dtype {data[name].dtype}"
            )
    res = cox_residuals(fit, "martingale", null=model == "null")
    mart = res["martingale"].to_numpy()
    parts = []
    for name in names:
        x = data[name].to_numpy(dtype=float, na_value=np.nan)
        ok = np.flatnonzero(np.isfinite(x))
        parts.append(
            pd.DataFrame(
                {
                    "covariate": name,
                    "row": ok.astype(np.int64),
                    "value": x[ok],
                    "martingale": mart[ok],
                    "smooth": _lowess(x[ok], mart[ok], frac),
                    "model": model,
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


def _lowess(
    x: npt.NDArray[np.float64], y: npt.NDArray[np.float64], frac: float
) -> npt.NDArray[np.float64]:
    """R's ``lowess(x, y, f = frac)`` fitted values, in the order of ``x``."""
    if x.size < 2 or np.ptp(x) == 0:
        return np.full(x.size, float(np.mean(y)) if x.size else np.nan)
    from statsmodels.nonparametric.smoothers_lowess import lowess

    fitted = lowess(y, x, frac=frac, it=3, delta=0.01 * float(np.ptp(x)), return_sorted=False)
    return np.asarray(fitted, dtype=float)


def martingale(
    rs: core.RiskSets, x: npt.NDArray[np.float64], beta: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    """Unweighted martingale residuals (rows in sorted order), as R ``coxph``.

    ``event - exp(eta) * H`` with ``H`` the (case-weighted) Breslow or Efron cumulative
    hazard increments over the event times at which the row is at risk; with Efron ties
    a death in a tied group of ``d`` gets the ``k``-th increment with weight ``1 - k/d``.
    """
    ev = core.evaluate(rs, x, beta, hessian=False)
    dr = rs.death_rows
    if dr.size == 0:
        return np.zeros(rs.n)
    first = rs.group_first
    cd = rs.cweight / ev.den  # the den of the pseudo-rows share the risk weights' scale
    a_g = np.add.reduceat(cd, first)
    b_g = np.add.reduceat(cd * rs.frac, first)
    cum = core.at_risk_cumsum(rs, a_g)
    cum[dr] -= b_g[rs.death_group]
    return rs.event.astype(float) - ev.risk * cum


def deviance(
    mart: npt.NDArray[np.float64], events: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    """Deviance residuals from martingale residuals and (summed) event counts."""
    d = events
    with np.errstate(divide="ignore", invalid="ignore"):
        log_term = np.where(d > 0, d * np.log(np.where(d > 0, (d - mart) / d, 1.0)), 0.0)
    return np.asarray(np.sign(mart) * np.sqrt(np.maximum(-2.0 * (mart + log_term), 0.0)))


def _per_event(fit: CoxResult, type: str, weighted: bool, terms: list[str]) -> pd.DataFrame:
    """Schoenfeld and scaled Schoenfeld residuals, one row per event."""
    rs = fit._rs
    sres, _ = core.schoenfeld(rs, fit._x, fit.coef)
    dr = rs.death_rows
    if weighted:
        sres = sres * rs.weights[dr][:, None]
    if type == "scaledsch":
        sres = sres @ fit.naive_var * dr.size + fit.coef
    levels = strata_labels(fit.strata, fit._strata_levels)
    if levels:
        stratum = np.asarray(levels, dtype=object)[rs.strata[dr]]
    elif fit.strata:  # a result built without the labels: the stratum codes
        stratum = rs.strata[dr].astype(str).astype(object)
    else:
        stratum = np.full(dr.size, "all", dtype=object)
    frame = pd.DataFrame(sres, columns=terms)
    frame.insert(0, "stratum", stratum)
    frame.insert(0, "time", rs.stop[dr])
    frame.insert(0, "row", rs.order[dr].astype(np.int64))
    return frame


def _collapse_codes(
    collapse: Sequence[Any] | pd.Series | npt.NDArray[Any], n: int, rows: pd.Index | None
) -> tuple[pd.Index, npt.NDArray[np.int64]]:
    """Sorted distinct labels (an index named after ``collapse``) and each row's code.

    A Series is aligned on the fitted data's index (so a re-ordered one still matches);
    other sequences are taken in the row order of the fitted data."""
    name = collapse.name if isinstance(collapse, pd.Series) else None
    if isinstance(collapse, pd.Series):
        if rows is not None and len(collapse) == n and not collapse.index.equals(rows):
            if not (
                collapse.index.is_unique and collapse.index.sort_values().equals(rows.sort_values())
            ):
                raise ValueError(
                    "collapse is a Series whose index does not match the rows of the fitted "
                    "data; pass the column of the data the model was fitted on"
                )
            collapse = collapse.reindex(rows)
        values = pd.Series(collapse.to_numpy())
    else:
        values = pd.Series(np.asarray(collapse, dtype=object))
    if values.size != n:
        raise ValueError(
            f"collapse has {values.size} value(s); it needs one per row of the fit ({n})"
        )
    missing = int(values.isna().sum())
    if missing:
        raise SchemaError(
            f"collapse{f' column {name!r}' if name is not None else ''} has {missing} "
            "missing value(s); every row needs a label"
        )
    codes, uniques = pd.factorize(values, sort=True)
    index = pd.Index(uniques, name=name if name is not None else "cluster")
    return index, np.asarray(codes, dtype=np.int64)

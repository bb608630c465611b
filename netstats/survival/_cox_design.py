"""Design matrices for the Cox model: formulaic formulas plus Harrell's restricted cubic spline."""

from __future__ import annotations

import copy
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import cache, cached_property
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from netstats.exceptions import SchemaError

if TYPE_CHECKING:
    from formulaic import ModelSpec

# formulaic (0.25 s of imports) loads when the first formula is built, not with the package.

__all__ = ["rcs"]  # noqa: F822  (rcs resolves through the module __getattr__)

#: Quantile range of the outer knots of ``rcs`` by number of knots (Harrell 2015, sec. 2.4.6).
_RCS_OUTER = {3: 0.10, 4: 0.05, 5: 0.05, 6: 0.05, 7: 0.025}


def rcs_knots(x: npt.ArrayLike, nk: int = 5) -> npt.NDArray[np.float64]:
    """Default knots of Harrell's restricted cubic spline (``Hmisc::rcspline.eval``).

    Knots sit at the quantiles ``seq(outer, 1 - outer, length=nk)`` (R's type-7
    quantiles; ``outer`` is 0.1 for 3 knots, 0.05 for 4-6 and 0.025 for 7). When the
    smallest (largest) value holds at least 5 % of the data while no interior value
    does, that value's neighbour becomes the first (last) knot and the remaining knots
    are placed among the other values, as ``rcspline.eval(fractied=0.05)`` does.
    """
    xx = np.asarray(x, dtype=float)
    if nk not in _RCS_OUTER:
        raise ValueError(f"rcs supports 3 to 7 knots, got {nk}")
    uniq, counts = np.unique(xx, return_counts=True)
    if uniq.size - 2 <= nk:
        raise ValueError(
            f"rcs: {nk} knots requested for a variable with {uniq.size} distinct values; "
            "pass explicit knots"
        )
    outer = _RCS_OUTER[nk]
    f = counts / xx.size
    first: list[float] = []
    last: list[float] = []
    nke = nk
    if f[1:-1].max() < 0.05:
        if f[0] >= 0.05:
            first = [float(xx[xx > xx.min()].min())]
            xx = xx[xx > first[0]]
            nke -= 1
        if f[-1] >= 0.05:
            last = [float(xx[xx < xx.max()].max())]
            xx = xx[xx < last[0]]
            nke -= 1
    knots = np.quantile(xx, np.linspace(outer, 1 - outer, nke))
    if np.unique(knots).size < knots.size:
        raise ValueError("rcs: default knots are not distinct; pass explicit knots")
    return np.concatenate([first, knots, last])


def rcs_basis(x: npt.ArrayLike, knots: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """Restricted cubic spline basis (``rms::rcs``, ``norm=2``): ``x`` and k-2 nonlinear terms."""
    x = np.asarray(x, dtype=float)
    t = np.asarray(knots, dtype=float)
    k = t.size
    kd3 = (t[-1] - t[0]) ** 2
    cols = [x]
    for j in range(k - 2):
        term = (
            np.clip(x - t[j], 0, None) ** 3
            - np.clip(x - t[k - 2], 0, None) ** 3 * (t[k - 1] - t[j]) / (t[k - 1] - t[k - 2])
            + np.clip(x - t[k - 1], 0, None) ** 3 * (t[k - 2] - t[j]) / (t[k - 1] - t[k - 2])
        )
        cols.append(term / kd3)
    return np.column_stack(cols)


def _rcs(data: Any, nk: int = 5, knots: Sequence[float] | None = None, _state: dict = {}) -> dict:  # noqa: B006
    """Harrell's restricted cubic spline for formulas: ``rcs(age)``, ``rcs(age, 4)``.

    Knots are fixed on the fitting data and reused for prediction (stateful transform).
    Columns are ``[0]`` (linear) and ``[1]``... (nonlinear), as ``rms::rcs``'s
    ``x, x', x''``.
    """
    if "knots" not in _state:
        _state["knots"] = list(knots) if knots is not None else rcs_knots(data, nk).tolist()
    basis = rcs_basis(data, _state["knots"])
    return {str(j): basis[:, j] for j in range(basis.shape[1])}


@cache
def _rcs_transform() -> Any:
    """``rcs`` as a formulaic stateful transform (built once, on first use)."""
    from formulaic.utils.stateful_transforms import stateful_transform

    return stateful_transform(_rcs)


def _context() -> dict[str, Any]:
    """The names formulas may call besides formulaic's own: ``rcs``."""
    return {"rcs": _rcs_transform()}


def __getattr__(name: str) -> Any:
    if name == "rcs":
        return _rcs_transform()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@dataclass(frozen=True)
class Design:
    """A fitted design: matrix, column names, terms and the spec to rebuild it."""

    matrix: npt.NDArray[np.float64]
    columns: tuple[str, ...]
    terms: dict[str, list[int]]
    means: npt.NDArray[np.float64]
    spec: ModelSpec | None  # None: plain numeric columns, no formula
    variables: tuple[str, ...]
    #: Offset terms (``offset(...)`` in the formula, then the ``offset=`` column), their
    #: specs (a column name or the formulaic spec of the expression) and their summed
    #: values on the fitting data (input row order; None without an offset).
    offsets: tuple[str, ...] = ()
    offset_specs: tuple[str | ModelSpec, ...] = ()
    offset: npt.NDArray[np.float64] | None = None

    @cached_property
    def sd(self) -> npt.NDArray[np.float64]:
        """Population standard deviation of each column (exactly 0 for constant columns)."""
        sd = self.matrix.std(axis=0)
        sd[np.ptp(self.matrix, axis=0) == 0] = 0.0
        return sd

    def transform(self, data: pd.DataFrame) -> npt.NDArray[np.float64]:
        """Design matrix for new data (same columns, levels and knots)."""
        missing_cols = [c for c in self.variables if c not in data.columns]
        if missing_cols:
            raise SchemaError(f"covariate column(s) not found in data: {', '.join(missing_cols)}")
        _check_missing(data, self.variables)
        if self.spec is None:
            return data[list(self.variables)].to_numpy(dtype=float)
        _check_kinds(self.spec, data)
        # formulaic updates the encoder state it is given: a copy keeps the fitted levels
        # and knots intact whatever ``data`` holds
        mm = copy.deepcopy(self.spec).get_model_matrix(data, context=_context())
        return np.asarray(mm, dtype=float)[:, 1:]

    def offset_for(self, data: pd.DataFrame) -> npt.NDArray[np.float64] | None:
        """Summed offset of the rows of ``data`` (None when the model has no offset)."""
        if not self.offsets:
            return None
        return _offset_values(data, self.offsets, self.offset_specs)[0]


def split_offsets(formula: str) -> tuple[str, list[str]]:
    """Separate ``offset(...)`` terms from a right-hand side: ``"x + offset(log(t))"`` ->
    ``("x", ["log(t)"])``. Terms are split at top-level ``+`` signs (outside brackets,
    quotes and back-quotes)."""
    terms: list[str] = []
    depth, quote = 0, ""
    cur: list[str] = []
    for ch in formula:
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "`'\"":
            quote = ch
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == "+" and depth == 0:
            terms.append("".join(cur))
            cur = []
            continue
        cur.append(ch)
    terms.append("".join(cur))
    rest, offsets = [], []
    for term in terms:
        t = term.strip()
        match = re.fullmatch(r"offset\((.*)\)", t, flags=re.DOTALL)
        if match and _balanced(match.group(1)):
            if not match.group(1).strip():
                raise ValueError("offset() needs an expression, e.g. offset(log(person_years))")
            offsets.append(match.group(1).strip())
        elif re.search(r"(?<![\w.])offset\s*\(", t):
            raise ValueError(
                f"offset() must be a term of its own, added with '+'; got {t!r} in {formula!r}"
            )
        else:
            rest.append(term)
    return "+".join(rest).strip(), offsets


def _balanced(text: str) -> bool:
    depth = 0
    for ch in text:
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if depth < 0:
            return False
    return depth == 0


def _offset_values(
    data: pd.DataFrame, labels: Sequence[str], specs: Sequence[str | ModelSpec]
) -> tuple[npt.NDArray[np.float64], list[str | ModelSpec]]:
    """Sum of the offset terms on ``data`` (specs of formula offsets are ModelSpecs once
    fitted; a bare string is an expression to evaluate, or the ``offset=`` column)."""
    from formulaic import model_matrix

    total = np.zeros(len(data))
    fitted: list[str | ModelSpec] = []
    for label, spec in zip(labels, specs, strict=True):
        if isinstance(spec, str) and not label.startswith("offset("):  # a column
            if spec not in data.columns:
                raise SchemaError(f"offset column {spec!r} not found in data")
            col = data[spec]
            if not pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col):
                raise TypeError(f"offset column {spec!r} must be numeric, got dtype {col.dtype}")
            values = col.to_numpy(dtype=float, na_value=np.nan)
        else:
            expr = label[len("offset(") : -1]
            _check_missing(data, _used_columns(data, expr), role="offset")
            try:
                if not isinstance(spec, str):  # a fitted ModelSpec
                    mm = spec.get_model_matrix(data, context=_context())
                else:
                    mm = model_matrix(f"0 + ({expr})", data, context=_context())
                    spec = mm.model_spec
            except Exception as exc:  # formulaic reports unknown names etc.
                raise SchemaError(f"cannot evaluate {label} on the data: {exc}") from None
            if mm.shape[1] != 1:
                raise TypeError(
                    f"{label} must be one numeric value per row; it makes {mm.shape[1]} "
                    "columns (a categorical?)"
                )
            values = np.asarray(mm, dtype=float)[:, 0]
        bad = ~np.isfinite(values)
        if bad.any():
            n_missing = int(np.isnan(values).sum())
            what = f"{n_missing} missing" if n_missing else f"{int(bad.sum())} non-finite"
            raise SchemaError(
                f"offset {label!r} has {what} value(s); an offset must be finite on every row"
            )
        total += values
        fitted.append(spec)
    return total, fitted


def _used_columns(data: pd.DataFrame, formula: str) -> list[str]:
    """Columns of ``data`` named in ``formula`` (plain or back-quoted)."""
    used = []
    for name in data.columns:
        if not isinstance(name, str):
            continue
        pattern = r"(?<![\w.`])`?" + re.escape(name) + r"`?(?![\w.`])"
        if re.search(pattern, formula):
            used.append(name)
    return used


def _check_missing(data: pd.DataFrame, names: Sequence[str], role: str = "covariate") -> None:
    for name in names:
        n_missing = int(data[name].isna().sum())
        if n_missing:
            raise SchemaError(
                f"column {name!r} ({role}) has {n_missing} missing value(s); "
                "remove or impute them explicitly before fitting or predicting"
            )


def _check_kinds(spec: Any, data: pd.DataFrame) -> None:
    """Refuse new data whose column is text where the fit saw numbers (formulaic would
    otherwise code it as a categorical, or fail deep inside its encoder)."""
    for expr, (kind, _state) in spec.encoder_state.items():
        name = str(expr).strip("`")
        if str(getattr(kind, "value", kind)) != "numerical" or name not in data.columns:
            continue
        col = data[name]
        if not (pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col)):
            raise SchemaError(
                f"column {name!r} must be numeric as when the model was fitted, got dtype "
                f"{col.dtype} (numbers stored as text? convert with pandas.to_numeric)"
            )


def _formula_from_covariates(data: pd.DataFrame, covariates: Sequence[str]) -> str:
    parts = []
    for name in covariates:
        if name not in data.columns:
            raise SchemaError(f"covariate column {name!r} not found in data")
        col = data[name]
        numeric = pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col)
        parts.append(f"`{name}`" if numeric else f"C(`{name}`)")
    return " + ".join(parts)


def _plain_numeric(data: pd.DataFrame, covariates: Sequence[str]) -> Design | None:
    """Fast path: every covariate is a numeric column, so no formula machinery is needed."""
    cols = list(covariates)
    if len(cols) == 0:
        raise ValueError("the model has no covariates")
    for name in cols:
        if name not in data.columns:
            raise SchemaError(f"covariate column {name!r} not found in data")
        col = data[name]
        if not pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col):
            return None
    matrix = np.ascontiguousarray(data[cols].to_numpy(dtype=float, na_value=np.nan))
    if not np.isfinite(matrix).all():
        bad = ~np.isfinite(matrix).all(axis=0)
        _check_missing(data, cols)
        raise SchemaError(f"column {cols[int(np.argmax(bad))]!r} (covariate) has non-finite values")
    return Design(
        matrix=matrix,
        columns=tuple(cols),
        terms={c: [j] for j, c in enumerate(cols)},
        means=matrix.mean(axis=0),
        spec=None,
        variables=tuple(cols),
    )


def build_design(
    data: pd.DataFrame,
    *,
    formula: str | None,
    covariates: Sequence[str] | None,
    offset: str | None = None,
) -> Design:
    """Build the Cox design matrix (no intercept) from a formula or a list of columns.

    ``offset(...)`` terms of the formula and the ``offset`` column are summed into
    ``Design.offset`` (coefficient fixed at 1, as R's ``offset()``).
    """
    if (formula is None) == (covariates is None):
        raise TypeError("give exactly one of formula or covariates")
    exprs: list[str] = []
    if formula is not None:
        formula, exprs = split_offsets(str(formula))
        if not formula:
            raise ValueError(
                "the model has no covariates besides its offset; a Cox model needs at least one"
            )
    labels = [f"offset({e})" for e in exprs]
    specs: list[str | ModelSpec] = list(exprs)
    if offset is not None:
        if not isinstance(offset, str):
            raise TypeError(f"offset must be a column name (str), got {type(offset).__name__}")
        labels.append(offset)
        specs.append(offset)
    design = _build(data, formula=formula, covariates=covariates)
    if not labels:
        return design
    values, fitted = _offset_values(data, labels, specs)
    return replace(design, offsets=tuple(labels), offset_specs=tuple(fitted), offset=values)


def _build(data: pd.DataFrame, *, formula: str | None, covariates: Sequence[str] | None) -> Design:
    if covariates is not None:
        if isinstance(covariates, str):
            raise TypeError("covariates must be a sequence of column names, not a string")
        plain = _plain_numeric(data, covariates)
        if plain is not None:
            return plain
        formula = _formula_from_covariates(data, covariates)
    formula = str(formula)
    if "~" in formula:
        raise ValueError(
            "formula is the right-hand side only, e.g. 'age + C(sex)'; pass time/event separately"
        )
    from formulaic import Formula, model_matrix

    rhs = Formula(f"1 + {formula}")
    variables = _used_columns(data, formula)
    unknown = sorted(
        str(v) for v in rhs.required_variables if str(v) not in data.columns and str(v) != "rcs"
    )
    unknown = [u for u in unknown if not any(c.startswith(u + ".") for c in variables)]
    if unknown:
        raise SchemaError(f"covariate column(s) not found in data: {', '.join(unknown)}")
    _check_missing(data, variables)
    for name in variables:
        col = data[name]
        if pd.api.types.is_numeric_dtype(col) and not np.isfinite(col.to_numpy(dtype=float)).all():
            raise SchemaError(f"column {name!r} (covariate) has non-finite values")
    mm = model_matrix(rhs, data, na_action="raise", context=_context())
    spec = mm.model_spec
    matrix = np.asarray(mm, dtype=float)
    columns = [str(c) for c in mm.columns]
    if columns[0] != "Intercept":
        raise ValueError("formula must not remove the intercept; Cox models have none")
    terms: dict[str, list[int]] = {}
    for term, sl in spec.term_slices.items():
        name = str(term)
        if name == "1":
            continue
        terms[name] = list(range(sl.start - 1, sl.stop - 1))
    matrix = matrix[:, 1:]
    if matrix.shape[1] == 0:
        raise ValueError("the model has no covariates")
    return Design(
        matrix=matrix,
        columns=tuple(columns[1:]),
        terms=terms,
        means=matrix.mean(axis=0),
        spec=spec,
        variables=tuple(variables),
    )

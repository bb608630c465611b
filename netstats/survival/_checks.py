"""Central validation of survival input data.

Every public survival function calls :func:`check_survival_data` once, at its boundary, and
works on the clean arrays it returns; the private helpers assume clean input.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from netstats.exceptions import SchemaError

__all__ = ["SurvivalData", "check_survival_data"]

_MAX_EXAMPLES = 5


@dataclass(frozen=True)
class SurvivalData:
    """Validated survival arrays (one entry per input row, in input order).

    Attributes
    ----------
    time : numpy.ndarray of float
        Exit (event or censoring) times.
    event : numpy.ndarray of bool
        True where the row ends with an event.
    entry : numpy.ndarray of float or None
        Delayed-entry times (left truncation), or None.
    group : numpy.ndarray of int or None
        Group codes 0..len(group_levels)-1, or None when no group column was given.
    group_levels : tuple
        Group labels in display order (categorical order, else sorted); ``("all",)``
        without a group column. ``group_levels[code]`` is the label of a code.
    strata : numpy.ndarray of int or None
        Stratum codes, or None.
    strata_levels : tuple
        Stratum labels (empty without a strata column).
    weights : numpy.ndarray of float or None
        Case weights (finite, >= 0), or None when no weights column was given.

    Examples
    --------
    >>> import pandas as pd
    >>> from netstats.survival import check_survival_data
    >>> d = check_survival_data(pd.DataFrame({"time": [1.0, 2.5, 4.0], "event": [1, 0, 1],
    ...                                       "arm": ["b", "a", "b"]}), group="arm")
    >>> d.group.tolist(), d.group_levels
    ([1, 0, 1], ('a', 'b'))
    """

    time: np.ndarray
    event: np.ndarray
    entry: np.ndarray | None
    group: np.ndarray | None
    strata: np.ndarray | None
    group_levels: tuple[object, ...] = ("all",)
    strata_levels: tuple[object, ...] = ()
    weights: np.ndarray | None = None

    def positive(self) -> SurvivalData:
        """The rows with a positive case weight (all rows without weights).

        Zero-weight rows contribute nothing to a weighted estimator, so they are dropped, as
        if absent from the data; a group or stratum left without rows is dropped too, like
        an unused category.
        """
        if self.weights is None or bool((self.weights > 0).all()):
            return self
        keep = self.weights > 0

        def sub(a: np.ndarray | None) -> np.ndarray | None:
            return None if a is None else a[keep]

        def relevel(
            codes: np.ndarray | None, levels: tuple[object, ...]
        ) -> tuple[np.ndarray | None, tuple[object, ...]]:
            """Drop levels left without rows and renumber (as for unused categories)."""
            if codes is None:
                return None, levels
            kept = codes[keep]
            present = np.bincount(kept, minlength=len(levels)) > 0
            if present.all():
                return kept, levels
            new_code = np.cumsum(present) - 1
            return new_code[kept], tuple(lv for lv, p in zip(levels, present, strict=True) if p)

        g, g_levels = relevel(self.group, self.group_levels)
        s, s_levels = relevel(self.strata, self.strata_levels)
        return SurvivalData(
            time=self.time[keep],
            event=self.event[keep],
            entry=sub(self.entry),
            group=g,
            strata=s,
            group_levels=g_levels,
            strata_levels=s_levels,
            weights=self.weights[keep],
        )


def _examples(frame: pd.DataFrame, mask: np.ndarray, column: str) -> str:
    rows = frame.index[mask][:_MAX_EXAMPLES]
    values = frame.loc[rows, column]
    shown = ", ".join(f"row {idx!r}: {val!r}" for idx, val in zip(rows, values, strict=True))
    more = " ..." if int(mask.sum()) > _MAX_EXAMPLES else ""
    return f"{shown}{more}"


def _require_column(data: pd.DataFrame, column: str, role: str) -> None:
    if not isinstance(column, str):
        raise TypeError(f"{role} must be a column name (str), got {type(column).__name__}")
    if column not in data.columns:
        raise SchemaError(
            f"{role} column {column!r} not found; available columns: {list(map(str, data.columns))}"
        )


def _plain_numeric(raw: pd.Series) -> bool:
    """True for a NumPy integer or float column (not bool, object or a nullable dtype)."""
    return isinstance(raw.dtype, np.dtype) and raw.dtype.kind in "iuf"


def _numeric_times(data: pd.DataFrame, column: str, role: str, problems: list[str]) -> np.ndarray:
    raw = data[column]
    if pd.api.types.is_bool_dtype(raw) or not (
        pd.api.types.is_numeric_dtype(raw) or raw.dtype == object
    ):
        problems.append(f"{column}: {role} must be numeric (months), got dtype {raw.dtype}")
        return np.full(len(raw), np.nan)
    if _plain_numeric(raw):  # NumPy ints or floats: nothing to coerce, NaN is missing
        values = raw.to_numpy(dtype=float)
        missing = np.isnan(values)
    else:
        values = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        bad_type = raw.notna().to_numpy() & np.isnan(values)
        if bad_type.any():
            problems.append(
                f"{column}: {int(bad_type.sum())} non-numeric {role} values ({_examples(data, bad_type, column)})"
            )
        missing = raw.isna().to_numpy()
    if missing.any():
        problems.append(
            f"{column}: {int(missing.sum())} missing {role} values ({_examples(data, missing, column)}); "
            "drop or impute these rows before the analysis"
        )
    finite = np.isfinite(values) | np.isnan(values)
    if not finite.all():
        problems.append(
            f"{column}: {int((~finite).sum())} infinite {role} values ({_examples(data, ~finite, column)})"
        )
    negative = values < 0
    if negative.any():
        problems.append(
            f"{column}: {int(negative.sum())} negative {role} values ({_examples(data, negative, column)}); "
            "times must be >= 0"
        )
    return values


def _event_values(data: pd.DataFrame, column: str, problems: list[str]) -> np.ndarray:
    raw = data[column]
    numeric = _plain_numeric(raw)
    if numeric:  # NumPy ints or floats: NaN is missing, nothing to coerce
        values = raw.to_numpy(dtype=float)
        missing = np.isnan(values)
    else:
        missing = raw.isna().to_numpy()
    if missing.any():
        problems.append(
            f"{column}: {int(missing.sum())} missing event values ({_examples(data, missing, column)})"
        )
    if pd.api.types.is_bool_dtype(raw) and not missing.any():
        return raw.to_numpy(dtype=bool)
    if not numeric:
        values = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    ok = np.isin(values, (0.0, 1.0)) | missing
    if not ok.all():
        problems.append(
            f"{column}: {int((~ok).sum())} event values not in {{0, 1, False, True}} "
            f"({_examples(data, ~ok, column)}); code events as 1/True and censoring as 0/False"
        )
    return values == 1.0


def _weight_values(data: pd.DataFrame, column: str, problems: list[str]) -> np.ndarray:
    """Case weights: numeric, finite and >= 0 (zero allowed: the row then counts for nothing)."""
    raw = data[column]
    if pd.api.types.is_bool_dtype(raw) or not (
        pd.api.types.is_numeric_dtype(raw) or raw.dtype == object
    ):
        problems.append(f"{column}: case weights must be numeric, got dtype {raw.dtype}")
        return np.ones(len(raw))
    values = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    bad = ~np.isfinite(values) | (values < 0)
    if bad.any():
        problems.append(
            f"{column}: {int(bad.sum())} case weights missing, non-numeric, infinite or negative "
            f"({_examples(data, bad, column)}); weights must be finite numbers >= 0"
        )
    return values


def _labels(
    data: pd.DataFrame, column: str, role: str, problems: list[str]
) -> tuple[np.ndarray, tuple[object, ...]]:
    """Integer codes (hash-based, O(n)) and the ordered labels of a label column."""
    raw = data[column]
    if isinstance(raw.dtype, pd.CategoricalDtype):
        codes = raw.cat.codes.to_numpy(dtype=np.int64)
        levels = list(raw.cat.categories)
    else:
        codes, uniq = pd.factorize(raw, sort=False)
        levels = list(uniq)
        try:
            order = sorted(range(len(levels)), key=lambda i: levels[i])
        except TypeError:  # labels that cannot be compared keep first-appearance order
            order = list(range(len(levels)))
        remap = np.empty(len(levels), dtype=np.int64)
        remap[order] = np.arange(len(levels))
        levels = [levels[i] for i in order]
        codes = np.where(codes >= 0, remap[np.maximum(codes, 0)], -1)
    missing = codes < 0
    if missing.any():
        problems.append(
            f"{column}: {int(missing.sum())} missing {role} labels ({_examples(data, missing, column)})"
        )
        return codes, tuple(levels)
    # drop levels that do not occur (unused categories) and renumber
    present = np.bincount(codes, minlength=len(levels)) > 0
    if not present.all():
        new_code = np.cumsum(present) - 1
        codes = new_code[codes]
        levels = [lv for lv, keep in zip(levels, present, strict=True) if keep]
    return codes.astype(np.int64), tuple(levels)


def check_survival_data(
    data: pd.DataFrame,
    *,
    time: str = "time",
    event: str | None = "event",
    entry: str | None = None,
    group: str | None = None,
    strata: str | None = None,
    weights: str | None = None,
    min_rows: int = 1,
) -> SurvivalData:
    """Validate survival columns of a DataFrame and return clean arrays.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per subject (or per patient x line).
    time : str, default="time"
        Column with the follow-up time in months: numeric, finite, >= 0.
    event : str or None, default="event"
        Column with the event indicator: bool or 0/1. None skips the event check (used by
        competing-risks code, which validates its own cause codes).
    entry : str or None, default=None
        Column with delayed-entry times (left truncation): numeric, >= 0 and < ``time``.
    group, strata : str or None, default=None
        Columns with group / stratum labels (no missing values).
    weights : str or None, default=None
        Column with case weights: numeric, finite, >= 0. Zero is allowed (use
        :meth:`SurvivalData.positive` to drop those rows); negative, missing or infinite
        weights are refused, naming the row and the value.
    min_rows : int, default=1
        Minimum number of rows required.

    Returns
    -------
    SurvivalData
        Validated arrays in input row order.

    Raises
    ------
    TypeError
        If ``data`` is not a DataFrame or a column name is not a string.
    netstats.exceptions.SchemaError
        Naming every problem found: the column, the number of bad rows and up to five
        examples (row label and value).

    Examples
    --------
    >>> import pandas as pd
    >>> d = check_survival_data(pd.DataFrame({"time": [1.0, 2.5], "event": [1, 0]}))
    >>> d.event.tolist()
    [True, False]
    """
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"data must be a pandas DataFrame, got {type(data).__name__}")
    roles: list[tuple[str | None, str]] = [
        (time, "time"),
        (event, "event"),
        (entry, "entry"),
        (group, "group"),
        (strata, "strata"),
        (weights, "weights"),
    ]
    for column, role in roles:
        if column is not None:
            _require_column(data, column, role)
    if len(data) < min_rows:
        raise SchemaError(f"need at least {min_rows} row(s), got {len(data)}")
    problems: list[str] = []
    t = _numeric_times(data, time, "time", problems)
    e = _event_values(data, event, problems) if event is not None else np.zeros(len(t), bool)
    en = None
    if entry is not None:
        en = _numeric_times(data, entry, "entry", problems)
        late = en >= t
        if late.any():
            problems.append(
                f"{entry}: {int(late.sum())} entry times not before the exit time in {time!r} "
                f"({_examples(data, late, entry)}); delayed entry must satisfy entry < time"
            )
    g, g_levels = _labels(data, group, "group", problems) if group is not None else (None, ("all",))
    s, s_levels = _labels(data, strata, "strata", problems) if strata is not None else (None, ())
    w = _weight_values(data, weights, problems) if weights is not None else None
    if problems:
        head = f"{len(problems)} problem(s) in survival data"
        raise SchemaError(head + "\n" + "\n".join(f"  - {p}" for p in problems))
    return SurvivalData(
        time=t,
        event=e,
        entry=en,
        group=g,
        strata=s,
        group_levels=g_levels,
        strata_levels=s_levels,
        weights=w,
    )

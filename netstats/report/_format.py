"""Number formatting for reports: the only place where numbers become strings.

Statistics modules return numbers; notebooks and tables call these helpers so a report
rounds, writes intervals and p-values the same way everywhere.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:
    from netstats.tables import TableOneResult

__all__ = [
    "MISSING",
    "SUPPRESSED",
    "display_frame",
    "fmt_count_percent",
    "fmt_estimate_ci",
    "fmt_mean_sd",
    "fmt_median_iqr",
    "fmt_number",
    "fmt_p",
    "fmt_count_percent_value",
    "format_table_one",
    "round_half_up",
]

#: Shown for a missing or not-estimable value.
MISSING = "NE"
#: Shown for a count withheld by small-cell suppression.
SUPPRESSED = "*"
_DASH = "\u2013"


def _is_missing(x: Any) -> bool:
    if x is None or x is pd.NA or x is pd.NaT:
        return True
    try:
        return bool(math.isnan(float(x)))
    except (TypeError, ValueError):
        return False


def round_half_up(x: float, digits: int = 1) -> float:
    """Round half away from zero on the decimal representation (``2.25 -> 2.3``).

    Python's :func:`round` rounds half to even on the binary value (``round(2.675, 2)`` is
    2.67), which surprises readers of a table; reports use this rule instead.

    Examples
    --------
    >>> round_half_up(2.25, 1), round_half_up(-0.125, 2), round_half_up(2.675, 2)
    (2.3, -0.13, 2.68)
    """
    if _is_missing(x) or math.isinf(float(x)):
        return float(x)
    q = Decimal(1).scaleb(-digits)
    value = Decimal(repr(float(x))).quantize(q, rounding=ROUND_HALF_UP)
    return float(value)


def fmt_number(x: Any, digits: int = 1) -> str:
    """A number rounded half-up to ``digits`` decimals, ``"NE"`` when missing.

    Examples
    --------
    >>> fmt_number(12.345, 1), fmt_number(float("nan")), fmt_number(-0.04, 1), fmt_number(3, 0)
    ('12.3', 'NE', '0.0', '3')
    """
    if _is_missing(x):
        return MISSING
    if math.isinf(float(x)):
        return "\u221e" if float(x) > 0 else "-\u221e"
    value = round_half_up(float(x), digits)
    if value == 0:
        value = 0.0  # no "-0.0"
    return f"{value:.{digits}f}"


def fmt_estimate_ci(estimate: Any, ci_lower: Any, ci_upper: Any, digits: int = 1) -> str:
    """``"12.3 (9.1–15.0)"``: an estimate with its interval; ``NE`` for a missing bound.

    With a negative bound the interval reads ``"(-1.3 to -0.5)"`` (a dash would be
    ambiguous next to a minus sign).

    Examples
    --------
    >>> fmt_estimate_ci(12.34, 9.06, 15.0)
    '12.3 (9.1–15.0)'
    >>> fmt_estimate_ci(30.0, 21.5, float("nan"))
    '30.0 (21.5–NE)'
    >>> fmt_estimate_ci(-0.91, -1.32, -0.5, digits=2)
    '-0.91 (-1.32 to -0.50)'
    """
    est = fmt_number(estimate, digits)
    if _is_missing(ci_lower) and _is_missing(ci_upper):
        return est
    lo, hi = fmt_number(ci_lower, digits), fmt_number(ci_upper, digits)
    sep = " to " if lo.startswith("-") or hi.startswith("-") else _DASH
    return f"{est} ({lo}{sep}{hi})"


def fmt_p(p: Any, digits: int = 3, *, threshold: float | None = None) -> str:
    """A p-value: ``"<0.001"`` below the smallest printable value, never ``"0.000"``.

    Parameters
    ----------
    p : float
        The p-value.
    digits : int, default=3
        Decimals shown; values below ``10**-digits`` print as ``"<0.001"`` (for 3).
    threshold : float, optional
        Another lower limit to print as ``"<threshold"``.

    Examples
    --------
    >>> fmt_p(0.0432), fmt_p(0.00002), fmt_p(0.99999), fmt_p(None)
    ('0.043', '<0.001', '>0.999', 'NE')
    """
    if _is_missing(p):
        return MISSING
    p = float(p)
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"p-value must lie in [0, 1], got {p!r}")
    smallest = 10.0**-digits
    limit = max(smallest, threshold) if threshold is not None else smallest
    if p < limit:
        return f"<{limit:.{digits}f}"
    rounded = round_half_up(p, digits)
    if rounded >= 1.0:
        return f">{1 - smallest:.{digits}f}"
    return f"{rounded:.{digits}f}"


_P_COLUMNS = ("p_value", "p_adjusted")


def _fmt_significant(x: Any, significant: int) -> str:
    if _is_missing(x):
        return ""
    x = float(x)
    if not math.isfinite(x):
        return "inf" if x > 0 else ("-inf" if x < 0 else "")
    if x == int(x) and abs(x) < 10**significant:
        return str(int(x))
    text = f"{x:#.{significant}g}"  # '#' keeps trailing zeros: 1.00, 36.0
    return text[:-1] if text.endswith(".") else text


def display_frame(frame: pd.DataFrame, *, significant: int = 3) -> pd.DataFrame:
    """A copy of a result table for reading on screen: numbers as short strings.

    Float columns keep ``significant`` significant digits (whole numbers print without a
    decimal point), p-value columns (``p_value``, ``p_adjusted``) go through :func:`fmt_p`,
    missing values print empty.  Only the displayed copy changes: the CSV a report writes
    keeps every digit.

    Parameters
    ----------
    frame : DataFrame
        A tidy result table.
    significant : int, default=3
        Significant digits of float columns.

    Returns
    -------
    DataFrame
        Same rows and columns; float columns as strings.

    Examples
    --------
    >>> t = pd.DataFrame({"term": ["age"], "hr": [1.0123456], "ci_upper": [132.3229],
    ...                   "p_value": [0.00002], "n": [12]})
    >>> display_frame(t).iloc[0, :4].tolist()
    ['age', '1.01', '132', '<0.001']
    """
    out = frame.copy()
    for col in out.columns:
        values = out[col]
        if not pd.api.types.is_float_dtype(values):
            continue
        if col in _P_COLUMNS:
            # A value outside [0, 1] is a bug upstream: show it as it is, never clipped.
            out[col] = [
                fmt_p(v)
                if not _is_missing(v) and 0.0 <= float(v) <= 1.0
                else _fmt_significant(v, significant)
                for v in values
            ]
        else:
            out[col] = [_fmt_significant(v, significant) for v in values]
    return out


def fmt_count_percent(n: Any, total: Any, digits: int = 1) -> str:
    """``"15 (57.7%)"``; ``"*"`` when the count is suppressed (missing).

    Examples
    --------
    >>> fmt_count_percent(15, 26), fmt_count_percent(None, 26), fmt_count_percent(0, 0)
    ('15 (57.7%)', '*', '0')
    """
    if _is_missing(n):
        return SUPPRESSED
    n_int = int(n)
    if _is_missing(total) or int(total) == 0:
        return f"{n_int}"
    return f"{n_int} ({fmt_number(100.0 * n_int / int(total), digits)}%)"


def fmt_mean_sd(mean: Any, sd: Any, digits: int = 1) -> str:
    """``"59.9 (8.8)"``: mean and standard deviation.

    Examples
    --------
    >>> fmt_mean_sd(59.94, 8.76)
    '59.9 (8.8)'
    """
    if _is_missing(mean):
        return MISSING
    return f"{fmt_number(mean, digits)} ({fmt_number(sd, digits)})"


def fmt_median_iqr(median: Any, q1: Any, q3: Any, digits: int = 1) -> str:
    """``"2.4 [1.2, 4.5]"``: median and interquartile range.

    Examples
    --------
    >>> fmt_median_iqr(2.4, 1.2, 4.5)
    '2.4 [1.2, 4.5]'
    """
    if _is_missing(median):
        return MISSING
    return f"{fmt_number(median, digits)} [{fmt_number(q1, digits)}, {fmt_number(q3, digits)}]"


_INDENT = "\u2003"


def format_table_one(
    result: TableOneResult,
    *,
    threshold: int = 5,
    digits: int = 1,
    labels: dict[str, str] | None = None,
) -> pd.DataFrame:
    """Table 1 as printed: one row per variable with its levels indented below it.

    Parameters
    ----------
    result : TableOneResult
        From :func:`netstats.tables.table_one`.
    threshold : int, default=5
        Small-cell suppression threshold (:func:`netstats.report.suppress_table_one`);
        ``0`` turns it off.
    digits : int, default=1
        Decimals of percentages and continuous summaries.
    labels : dict, optional
        Display names of variables (default: :func:`netstats.labels.label`, with units).

    Returns
    -------
    DataFrame
        Columns ``Characteristic``, ``Overall``, one per group, then one ``SMD`` column
        (3 decimals; with more than two groups the largest pairwise SMD).  A variable's
        row reads ``"Age at diagnosis (years), mean (SD)"`` or ``"Sex, n (%)"``; its levels
        follow, indented; ``Missing`` rows appear only where a value is missing.  Cells
        read ``"n (%)"`` (missing: % of the group), ``"mean (SD)"`` or ``"median [Q1,
        Q3]"``; ``"*"`` marks a withheld value.  ``attrs["caption_notes"]`` and
        ``attrs["footnotes"]`` say how to read it (shown by
        :func:`netstats.report.present`).

    Examples
    --------
    >>> import pandas as pd
    >>> from netstats.report import format_table_one
    >>> from netstats.tables import table_one
    >>> df = pd.DataFrame({"age_at_diagnosis": [50.0, 60, 70, 65, 55, 61, 72],
    ...                    "grade": ["G1", "G1", "G2", "G2", "G1", "G1", "G3"]})
    >>> format_table_one(table_one(df, columns=["age_at_diagnosis", "grade"]), threshold=3)
                            Characteristic     Overall
    0                                    N           7
    1  Age at diagnosis (years), mean (SD)  61.9 (7.9)
    2                WHO 2019 grade, n (%)
    3                                   G1   4 (57.1%)
    4                                   G2           *
    5                                   G3           *
    """
    from netstats import labels as registry
    from netstats.report._privacy import suppress_table_one

    names = labels or {}
    table = suppress_table_one(result, threshold=threshold)
    summ = table.summary
    groups = ["Overall", *table.groups] if table.groups else ["Overall"]
    group_names = {
        g: g if g == "Overall" else registry.level_label(result.group, g) for g in groups
    }
    sizes = summ[summ["kind"] == "n"]
    hidden_groups = set(sizes.loc[sizes["n"].isna(), "group"])
    size_of = {str(r.group): r.n for r in sizes.itertuples(index=False)}
    several = len([g for g in table.groups if g != "Missing"]) > 2
    rows: list[dict[str, str]] = []
    for variable, part in summ.groupby("variable", sort=False):
        variable = str(variable)
        if variable == "n":
            by_group = {str(r.group): r for r in part.itertuples(index=False)}
            rows.append(
                {"Characteristic": "N"}
                | {g: _count(by_group[g].n) for g in groups if g in by_group}
            )
            continue
        kind = str(part["kind"].iloc[0])
        name = names.get(variable, registry.label(variable))
        smd = _smd_cell(table.smd, variable, hidden_groups)
        if kind == "categorical" and part["n"].isna().any():
            # the SMD is a function of the level shares: with a level withheld it would
            # give the withheld counts back (one equation per pair of groups)
            smd = SUPPRESSED if smd else smd
        if kind == "categorical":
            rows.append({"Characteristic": f"{name}, n (%)", "SMD": smd})
            rows += _level_rows(variable, part, groups, size_of, digits)
        else:
            rows += _continuous_rows(f"{name}", kind, part, groups, size_of, digits, smd)
    columns = ["Characteristic", *groups]
    has_smd = len(table.smd) > 0
    if has_smd:
        columns.append("SMD")
    frame = pd.DataFrame(rows).reindex(columns=columns).fillna("")
    frame = frame.rename(columns=group_names)
    notes = ["n (%) with % of the non-missing values; Missing as % of the group"]
    if has_smd:
        notes.append(
            "SMD: largest standardised mean difference between any two groups (Yang & Dalton)"
            if several
            else "SMD: standardised mean difference (Yang & Dalton)"
        )
    frame.attrs["caption_notes"] = notes
    if table.notes:
        frame.attrs["footnotes"] = [f"{table.note}."]
    return frame


def fmt_count_percent_value(n: Any, percent: Any, digits: int = 1) -> str:
    """``"15 (57.7%)"`` from a count and its percentage (``"15"`` without a percentage).

    Examples
    --------
    >>> fmt_count_percent_value(15, 57.69), fmt_count_percent_value(0, float("nan"))
    ('15 (57.7%)', '0')
    """
    if _is_missing(n):
        return SUPPRESSED
    if _is_missing(percent):
        return f"{int(n)}"
    return f"{int(n)} ({fmt_number(percent, digits)}%)"


def _level_rows(
    variable: str, part: pd.DataFrame, groups: list[str], size_of: dict, digits: int
) -> list[dict[str, str]]:
    """The indented level rows of a categorical variable (Missing only when present)."""
    from netstats import labels as registry

    rows = []
    for level, cells in part.groupby("level", sort=False):
        by_group = {str(r.group): r for r in cells.itertuples(index=False)}
        if level == "Missing":
            row = _missing_row(by_group, groups, size_of, digits)
            if row is not None:
                rows.append(row)
            continue
        row = {"Characteristic": _INDENT + registry.level_label(variable, level)}
        row |= {g: _level_cell(by_group[g], digits) for g in groups if g in by_group}
        rows.append(row)
    return rows


def _continuous_rows(
    name: str,
    kind: str,
    part: pd.DataFrame,
    groups: list[str],
    size_of: dict,
    digits: int,
    smd: str,
) -> list[dict[str, str]]:
    """The summary row of a continuous variable, and its Missing row when any is missing."""
    by_group = {str(r.group): r for r in part.itertuples(index=False)}
    stat = "median [Q1, Q3]" if kind == "nonnormal" else "mean (SD)"
    row = {"Characteristic": f"{name}, {stat}", "SMD": smd}
    for g in groups:
        if g not in by_group:
            continue
        rec = by_group[g]
        if _is_missing(rec.mean):
            row[g] = SUPPRESSED if rec.suppressed else MISSING
        elif kind == "nonnormal":
            row[g] = fmt_median_iqr(rec.median, rec.q1, rec.q3, digits)
        else:
            row[g] = fmt_mean_sd(rec.mean, rec.sd, digits)
    miss = _missing_row(by_group, groups, size_of, digits, field="n_missing")
    return [row] if miss is None else [row, miss]


def _level_cell(rec: Any, digits: int) -> str:
    """n (%) of one level in one group; the % from the non-missing count if not given."""
    if _is_missing(rec.n):
        return SUPPRESSED
    percent = rec.percent
    if _is_missing(percent):
        valid = None if _is_missing(rec.n_missing) else int(rec.n_group) - int(rec.n_missing)
        if valid:
            percent = 100.0 * int(rec.n) / valid
        elif int(rec.n) == 0:
            percent = 0.0
        elif _is_missing(rec.n_missing):
            return f"{int(rec.n)} ({SUPPRESSED})"  # the % would reveal a withheld count
    return fmt_count_percent_value(rec.n, percent, digits)


def _missing_row(
    by_group: dict[str, Any],
    groups: list[str],
    size_of: dict[str, Any],
    digits: int,
    *,
    field: str = "n",
) -> dict[str, str] | None:
    """The indented Missing row, or None when nothing is missing in any group."""
    values = {g: getattr(by_group[g], field) for g in groups if g in by_group}
    if all(not _is_missing(v) and int(v) == 0 for v in values.values()):
        return None
    row = {"Characteristic": _INDENT + "Missing"}
    for g, v in values.items():
        total = size_of.get(g)
        if _is_missing(v):
            row[g] = SUPPRESSED
        elif _is_missing(total) or not int(total):
            row[g] = f"{int(v)}"
        else:
            row[g] = f"{int(v)} ({fmt_number(100.0 * int(v) / int(total), digits)}%)"
    return row


def _smd_cell(smd: pd.DataFrame, variable: str, hidden_groups: set[str]) -> str:
    pairs = smd[smd["variable"] == variable]
    if not len(pairs):
        return ""
    if any({p.group_1, p.group_2} & hidden_groups for p in pairs.itertuples(index=False)):
        return SUPPRESSED
    values = pairs["smd"].astype(float)
    if values.isna().all():
        return MISSING
    return fmt_number(values.abs().max(), 3)


def _count(n: Any) -> str:
    return SUPPRESSED if _is_missing(n) else f"{int(n)}"

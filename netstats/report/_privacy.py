"""Small-cell suppression of report tables.

- :func:`suppress_counts` withholds counts below a threshold (default 5) and then enough
  further cells (complementary suppression) that no withheld count can be recovered from
  the published row and column totals.
- :func:`suppress_table_one`, :func:`suppress_proportions`, :func:`suppress_small`: the
  same for Table 1, for proportions and for counts not tied to totals (numbers at risk).

The scan of rendered outputs for identifiers and dates is in :mod:`netstats.report._scan`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from netstats.exceptions import NetstatsError

if TYPE_CHECKING:
    from netstats.tables import TableOneResult

__all__ = [
    "DEFAULT_THRESHOLD",
    "PrivacyError",
    "suppress_counts",
    "suppress_proportions",
    "suppress_small",
    "suppress_table_one",
]

#: Counts from 1 to ``DEFAULT_THRESHOLD - 1`` are withheld unless told otherwise.
DEFAULT_THRESHOLD = 5


class PrivacyError(NetstatsError, ValueError):
    """A rendered output holds a patient identifier or a full date.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from netstats.report import PrivacyError, check_outputs
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "table.csv").write_text("patient,grade\\nP000001,G2\\n")
    >>> try:
    ...     check_outputs(folder, identifiers=["P000001"])
    ... except PrivacyError as exc:
    ...     print(len(exc.findings), exc.findings[0].kind)
    1 identifier
    """

    def __init__(self, message: str, findings: Sequence[Any] = ()) -> None:
        super().__init__(message)
        self.findings = list(findings)


# --------------------------------------------------------------------------------------
# small-cell suppression
# --------------------------------------------------------------------------------------
def _check_threshold(threshold: object) -> int:
    if isinstance(threshold, bool) or not isinstance(threshold, int | np.integer):
        raise TypeError(
            f"threshold must be an int (0 disables suppression), got {type(threshold).__name__}"
        )
    if threshold < 0:
        raise ValueError(f"threshold must be >= 0 (0 disables suppression), got {threshold}")
    return int(threshold)


def _lines(keys: pd.DataFrame, by: Sequence[str]) -> list[np.ndarray]:
    """Row positions of each line (group of equal ``by`` values) whose total is published."""
    if not by:
        return [np.arange(len(keys))]
    codes = keys.groupby(list(by), sort=False, dropna=False).ngroup().to_numpy()
    return [np.flatnonzero(codes == c) for c in np.unique(codes)]


def _counts(data: pd.DataFrame, count: str, others: Sequence[str]) -> np.ndarray:
    for col in [count, *others]:
        if col not in data.columns:
            raise KeyError(f"column {col!r} not found; columns are {list(data.columns)}")
    values = pd.to_numeric(data[count], errors="raise")
    if values.isna().any():
        raise ValueError(f"column {count!r} has missing values; counts must be complete")
    arr = values.to_numpy(dtype=float)
    if (arr < 0).any() or not np.array_equal(arr, np.round(arr)):
        raise ValueError(f"column {count!r} must hold non-negative integers")
    return arr.astype(np.int64)


def _connected(edges: list[tuple[int, int]], start: int, goal: int) -> set[int]:
    """Nodes reachable from ``start`` in an undirected graph given as an edge list."""
    adj: dict[int, list[int]] = {}
    for a, b in edges:
        adj.setdefault(a, []).append(b)
        adj.setdefault(b, []).append(a)
    seen, stack = {start}, [start]
    while stack:
        node = stack.pop()
        for nxt in adj.get(node, []):
            if nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return seen


def _bridge_fix(
    withheld: np.ndarray, counts: np.ndarray, row_of: np.ndarray, col_of: np.ndarray
) -> bool:
    """Withhold one more cell when a withheld cell lies on no cycle of withheld cells.

    Rows and columns are the nodes of a bipartite graph whose edges are withheld cells; a
    cell that is a bridge of this graph is fixed by the totals (it cannot move along a
    cycle).  Joining its two sides with the smallest published non-zero cell puts it on a
    cycle.  Returns True when a cell was added.
    """
    n_rows = int(row_of.max()) + 1
    cells = np.flatnonzero(withheld & (counts > 0))
    edges = [(int(row_of[i]), n_rows + int(col_of[i])) for i in cells]
    for k in range(len(cells)):
        rest = edges[:k] + edges[k + 1 :]
        side_row = _connected(rest, edges[k][0], edges[k][1])
        if edges[k][1] in side_row:
            continue  # on a cycle
        side_col = _connected(rest, edges[k][1], edges[k][0])
        rows_b = {v for v in side_col if v < n_rows}
        cols_a = {v - n_rows for v in side_row if v >= n_rows}
        cand = np.flatnonzero(
            ~withheld & (counts > 0) & np.isin(row_of, list(rows_b)) & np.isin(col_of, list(cols_a))
        )
        if len(cand) == 0:
            continue  # cannot be joined: left to the disclosure flag
        order = np.lexsort((cand, counts[cand]))
        withheld[cand[order[0]]] = True
        return True
    return False


def _complement(
    withheld: np.ndarray,
    counts: np.ndarray,
    lines: list[np.ndarray],
    grid: tuple[np.ndarray, np.ndarray] | None = None,
) -> None:
    """Withhold complements in place until no line has exactly one withheld cell and
    (for a two-way table) every withheld cell lies on a cycle of withheld cells."""
    changed = True
    while changed:
        changed = False
        if grid is not None and not any(withheld[line].sum() == 1 for line in lines):
            changed = _bridge_fix(withheld, counts, *grid)
            if changed:
                continue
        for line in lines:
            if withheld[line].sum() != 1:
                continue
            candidates = line[~withheld[line] & (counts[line] > 0)]
            if len(candidates) == 0:
                continue  # the line's total itself discloses the cell: flagged below
            order = np.lexsort((candidates, counts[candidates]))
            withheld[candidates[order[0]]] = True
            changed = True


def suppress_counts(
    data: pd.DataFrame,
    *,
    count: str = "n",
    rows: Sequence[str] = (),
    cols: Sequence[str] = (),
    threshold: int = DEFAULT_THRESHOLD,
    dependent: Sequence[str] = (),
    preset: str | None = None,
    on_disclosive: Literal["flag", "withhold"] = "withhold",
) -> pd.DataFrame:
    """Withhold small counts, with complementary suppression against recovery from totals.

    The table is long: one row per cell with a ``count`` column.  ``rows`` and ``cols`` name
    the key columns of the two dimensions whose totals are (or may be) published: every
    set of cells sharing the ``rows`` key sums to a row total, every set sharing the ``cols``
    key to a column total.  With neither given, the whole column is one line with a total.

    Parameters
    ----------
    data : DataFrame
        One row per cell; never modified.
    count : str, default="n"
        Column of non-negative integer counts.
    rows, cols : sequence of str, default=()
        Key columns of the published row and column totals.  A one-way table uses one of
        them (or neither).
    threshold : int, default=5
        Counts ``1 <= n < threshold`` are withheld.  ``0`` turns suppression off (it must
        be asked for explicitly; there is no ``None``).
    dependent : sequence of str, default=()
        Columns derived from the count (percentages, rates) that are withheld with it.
    preset : str, optional
        Boolean column of cells withheld whatever their count (e.g. every cell of a group
        too small to show); marked ``"preset"``.
    on_disclosive : {"flag", "withhold"}, default="withhold"
        When a line's total would still reveal a withheld cell: withhold every non-zero
        cell of the table as well (the margins must then not be published either), or
        only flag it (``total_disclosive``).

    Returns
    -------
    DataFrame
        A copy of ``data`` with ``count`` as nullable ``Int64`` (``<NA>`` where withheld),
        the ``dependent`` columns set to NaN in those rows, and a column ``suppressed``:
        ``""`` (published), ``"primary"`` (below the threshold), ``"preset"`` or
        ``"complementary"``
        (withheld so that a primary cell cannot be derived from the totals), and
        ``total_disclosive``: True on every cell of a line whose total would still reveal
        a withheld cell (no other non-zero cell to withhold with it); the caller must not
        publish that line's total.

    Notes
    -----
    Zero counts are published (a zero reveals no individual) and never chosen as
    complements.  Complements are chosen greedily: while a row or column line has exactly
    one withheld cell, the smallest published non-zero cell of that line is withheld too
    (ties broken by table order, so the result is deterministic).  In a two-way table that
    rule is not enough: a withheld cell that is a bridge of the graph of withheld cells
    (rows and columns as nodes) is still fixed by the totals, so the smallest published
    non-zero cell joining the two sides is withheld too, until every withheld cell lies on
    a cycle of withheld non-zero cells and can move by at least one unit with all totals
    fixed: its value cannot be recovered (checked against linear-programming bounds in
    the tests).  A line with no other non-zero cell cannot be protected by
    its cells; it is flagged in ``total_disclosive``.  This is the "no line with a single suppression"
    rule of statistical disclosure control; it does not defend against external knowledge.

    References
    ----------
    Hundepool A. et al. *Statistical Disclosure Control*. Wiley, 2012, ch. 5 (tabular data,
    primary and secondary cell suppression).

    Examples
    --------
    >>> t = pd.DataFrame({"grade": ["G1", "G2", "G3"], "n": [12, 3, 20]})
    >>> suppress_counts(t, count="n")[["grade", "n", "suppressed"]]  # doctest: +NORMALIZE_WHITESPACE
      grade     n     suppressed
    0    G1  <NA>  complementary
    1    G2  <NA>        primary
    2    G3    20
    """
    threshold = _check_threshold(threshold)
    counts = _counts(data, count, [*rows, *cols, *dependent, *([preset] if preset else [])])
    keys = data.reset_index(drop=True)
    lines = []
    if rows or not cols:
        lines += _lines(keys, rows)
    if cols:
        lines += _lines(keys, cols)

    primary = (counts > 0) & (counts < threshold)
    forced = (
        data[preset].fillna(False).to_numpy(dtype=bool)
        if preset
        else np.zeros(len(counts), dtype=bool)
    )
    withheld = primary | forced
    grid = None
    if rows and cols:
        grid = (
            keys.groupby(list(rows), sort=False, dropna=False).ngroup().to_numpy(),
            keys.groupby(list(cols), sort=False, dropna=False).ngroup().to_numpy(),
        )
    _complement(withheld, counts, lines, grid)
    if on_disclosive not in ("flag", "withhold"):
        raise ValueError(f"on_disclosive must be 'flag' or 'withhold', got {on_disclosive!r}")
    if on_disclosive == "withhold" and any(
        withheld[line].sum() == 1 and counts[line][withheld[line]].sum() > 0 for line in lines
    ):
        withheld |= counts > 0
    out = data.copy()
    out[count] = pd.Series(counts, index=data.index, dtype="Int64").mask(withheld)
    for col in dependent:
        out[col] = out[col].astype(float).where(~withheld)
    out["suppressed"] = np.where(
        primary,
        "primary",
        np.where(forced, "preset", np.where(withheld, "complementary", "")),
    )
    disclosive = np.zeros(len(counts), dtype=bool)
    for line in lines:
        if withheld[line].sum() == 1 and counts[line][withheld[line]].sum() > 0:
            disclosive[line] = True
    out["total_disclosive"] = disclosive
    return out


# --------------------------------------------------------------------------------------
# Table 1
# --------------------------------------------------------------------------------------
_STAT_COLUMNS = ["percent", "mean", "sd", "median", "q1", "q3"]


def _table_one_disclosive(
    cells: pd.DataFrame, counts: np.ndarray, hidden_groups: set[str]
) -> list[str]:
    """Lines of a variable's table whose published total gives away a withheld cell.

    Row lines (a level across the groups and ``Overall``) are tied together by
    ``Overall = sum of groups``; column lines (a group's levels) by the group size, which
    counts only when it is published (the group is not hidden).
    """
    withheld = cells["n"].isna().to_numpy()
    nonzero = np.asarray(counts, dtype=float) > 0
    bad = []
    for level, idx in cells.groupby("level", sort=False).indices.items():
        if len(idx) > 1 and (withheld[idx] & nonzero[idx]).sum() == 1:
            bad.append(f"level {level}")
    for group, idx in cells.groupby("group", sort=False).indices.items():
        if group not in hidden_groups and (withheld[idx] & nonzero[idx]).sum() == 1:
            bad.append(f"group {group}")
    return bad


def suppress_table_one(
    result: TableOneResult, *, threshold: int = DEFAULT_THRESHOLD
) -> TableOneResult:
    """Small-cell suppression of a :func:`netstats.tables.table_one` result.

    Parameters
    ----------
    result : TableOneResult
        The numeric Table 1.
    threshold : int, default=5
        Counts ``1 <= n < threshold`` are withheld; ``0`` turns suppression off.

    Returns
    -------
    TableOneResult
        The same table with withheld counts as ``<NA>`` (``n`` and ``n_missing`` become
        ``Int64``), a ``suppressed`` column (see :func:`suppress_counts`), and the
        statistics that could reveal a withheld count set to NaN.

    Notes
    -----
    1. Group sizes: a group smaller than the threshold is withheld whole (its size, every
       count and statistic, its SMDs), with a complementary group so that the overall
       size does not give it away.
    2. Each variable is a levels x groups table whose levels (``"Missing"`` included) add
       up to the group size and whose groups add up to ``"Overall"``; it is suppressed
       with :func:`suppress_counts` (rows = levels, columns = groups), the withheld groups
       preset.  Continuous variables are the two-level table (with a value, missing).
    3. Percentages are of the non-missing subjects, so they would reveal a withheld
       missing count: when ``"Missing"`` is withheld the percentages of that variable and
       group are withheld too.  Means, SDs and quartiles of fewer than ``threshold``
       values are withheld.

    Raises
    ------
    PrivacyError
        When a withheld count could still be derived from a published total.

    Examples
    --------
    >>> import pandas as pd
    >>> from netstats.report import suppress_table_one
    >>> from netstats.tables import table_one
    >>> df = pd.DataFrame({"grade": ["G1", "G1", "G1", "G1", "G2", "G2", "G3"]})
    >>> shown = suppress_table_one(table_one(df, columns=["grade"]), threshold=3)
    >>> shown.summary[["level", "n", "suppressed"]].iloc[1:]
         level     n     suppressed
    1       G1  <NA>  complementary
    2       G2  <NA>        primary
    3       G3  <NA>        primary
    4  Missing     0
    """
    from netstats.tables import OVERALL, TableOneResult

    threshold = _check_threshold(threshold)
    summ = result.summary.copy()
    sizes = summ[(summ["kind"] == "n") & (summ["group"] != OVERALL)]
    hidden_groups: set[str] = set()
    if len(sizes):
        sized = suppress_counts(sizes, count="n", threshold=threshold)
        hidden_groups = set(sized.loc[sized["suppressed"] != "", "group"])
    n_total = int(summ.loc[(summ["kind"] == "n") & (summ["group"] == OVERALL), "n"].iloc[0])
    if 0 < n_total < threshold:  # the whole cohort is a small cell: show no count at all
        hidden_groups |= {OVERALL, *summ["group"].unique()}

    pieces = []
    for (variable, kind), part in summ.groupby(["variable", "kind"], sort=False):
        part = part.copy()
        if kind == "n":
            cells = part.assign(_preset=part["group"].isin(hidden_groups))
            out = suppress_counts(cells, count="n", threshold=threshold, preset="_preset")
            # the overall size is published; a lone hidden group would follow from it
            pieces.append(out.drop(columns="_preset"))
            continue
        if kind == "categorical":
            cells = part
        else:  # continuous: the (with value, missing) two-level table
            value = part.assign(level="value")
            missing = part.assign(level="Missing", n=part["n_missing"])
            cells = pd.concat([value, missing], ignore_index=True)
            value_n = value["n"].to_numpy(dtype=float)
        cells = cells.assign(_preset=cells["group"].isin(hidden_groups))
        out = suppress_counts(
            cells,
            count="n",
            rows=["level"],
            cols=["group"],
            threshold=threshold,
            preset="_preset",
        )
        bad = _table_one_disclosive(out, cells["n"].to_numpy(), hidden_groups)
        if len(bad):
            raise PrivacyError(
                f"Table 1 variable {variable!r}: a withheld count would follow from a "
                f"published total (cells {bad}); merge small levels"
            )
        missing_hidden = set(out.loc[(out["level"] == "Missing") & out["n"].isna(), "group"])
        if kind == "categorical":
            hide = out["n"].isna() | out["group"].isin(missing_hidden)
            out["percent"] = out["percent"].where(~hide)
            out["n_missing"] = (
                out["n_missing"].astype("Int64").mask(out["group"].isin(missing_hidden))
            )
            pieces.append(out.drop(columns="_preset"))
        else:
            value = out[out["level"] == "value"].copy()
            miss = out[out["level"] == "Missing"]
            value["n_missing"] = pd.array(miss["n"].to_numpy(), dtype="Int64")
            few = pd.Series(
                value["group"].isin(hidden_groups).to_numpy() | (value_n < max(threshold, 1)),
                index=value.index,
            )
            for col in _STAT_COLUMNS:
                value[col] = value[col].where(~few)
            flags = np.where(miss["suppressed"].to_numpy() != "", miss["suppressed"], "")
            value["suppressed"] = np.where(
                value["suppressed"].to_numpy() != "", value["suppressed"], flags
            )
            value["level"] = ""
            pieces.append(value.drop(columns="_preset"))
    summary = pd.concat(pieces, ignore_index=True).drop(columns="total_disclosive")
    summary["n"] = summary["n"].astype("Int64")
    summary["n_missing"] = summary["n_missing"].astype("Int64")
    smd_frame = result.smd.copy()
    if hidden_groups:
        involved = smd_frame["group_1"].isin(hidden_groups) | smd_frame["group_2"].isin(
            hidden_groups
        )
        smd_frame["smd"] = smd_frame["smd"].where(~involved)
    return TableOneResult(
        summary=summary, smd=smd_frame, group=result.group, groups=list(result.groups)
    )


def suppress_proportions(
    data: pd.DataFrame,
    *,
    estimate: str = "estimate",
    n: str = "n",
    rows: pd.Series | None = None,
    withhold: Sequence[str] = ("ci_lower", "ci_upper", "se"),
    threshold: int = DEFAULT_THRESHOLD,
) -> pd.DataFrame:
    """Withhold proportions that reveal a small count (``estimate * n`` or its complement).

    Parameters
    ----------
    data : DataFrame
        One row per proportion; never modified.
    estimate, n : str
        Columns of the proportion (0-1) and its denominator.
    rows : boolean Series, optional
        Which rows are proportions of counts (default: all).
    withhold : sequence of str
        Further columns withheld with the estimate (its interval).
    threshold : int, default=5
        ``0`` turns suppression off.

    Returns
    -------
    DataFrame
        A copy with the withheld values set to NaN and a boolean column ``suppressed``.

    Examples
    --------
    >>> t = pd.DataFrame({"estimate": [0.1, 0.5, 0.9], "n": [10, 10, 10]})
    >>> suppress_proportions(t, withhold=())["estimate"].tolist()
    [nan, 0.5, nan]
    """
    threshold = _check_threshold(threshold)
    out = data.copy()
    total = out[n].to_numpy(dtype=float)
    k = np.rint(out[estimate].to_numpy(dtype=float) * total)
    rest = total - k
    small = ((k >= 1) & (k < threshold)) | ((rest >= 1) & (rest < threshold))
    if rows is not None:
        small &= rows.to_numpy(dtype=bool)
    for col in [estimate, *[c for c in withhold if c in out.columns]]:
        out[col] = out[col].astype(float).where(~small)
    out["suppressed"] = small
    return out


def suppress_small(
    data: pd.DataFrame,
    *,
    columns: Sequence[str],
    threshold: int = DEFAULT_THRESHOLD,
) -> pd.DataFrame:
    """Withhold counts ``1 <= n < threshold`` in columns that are not summed to totals.

    For counts that no published total ties together (numbers at risk under a survival
    curve, events at a landmark), so no complementary suppression is needed.

    Parameters
    ----------
    data : DataFrame
        Never modified.
    columns : sequence of str
        Count columns to check.
    threshold : int, default=5
        ``0`` turns suppression off.

    Returns
    -------
    DataFrame
        A copy with those counts as ``Int64`` (``<NA>`` where withheld).

    Examples
    --------
    >>> suppress_small(pd.DataFrame({"n_at_risk": [40, 12, 3, 0]}), columns=["n_at_risk"])
       n_at_risk
    0         40
    1         12
    2       <NA>
    3          0
    """
    threshold = _check_threshold(threshold)
    out = data.copy()
    for col in columns:
        counts = _counts(data, col, [])
        out[col] = pd.Series(counts, index=data.index, dtype="Int64").mask(
            (counts > 0) & (counts < threshold)
        )
    return out

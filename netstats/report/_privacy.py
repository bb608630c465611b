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
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from netstats import labels
from netstats.exceptions import NetstatsError
from netstats.report._cells import Equation, exposed, protect
from netstats.tables import OVERALL, TableOneResult

__all__ = [
    "DEFAULT_THRESHOLD",
    "PrivacyError",
    "SuppressedTableOne",
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


def require_columns(data: pd.DataFrame, columns: Sequence[str], where: str) -> None:
    """Raise one error naming every column ``where`` needs that ``data`` lacks."""
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"{where}: expected a DataFrame, got {type(data).__name__}")
    missing = [c for c in columns if c not in data.columns]
    if missing:
        raise KeyError(
            f"{where}: column(s) {missing} not found; columns are "
            f"{[c for c in data.columns if not str(c).startswith('_')]}"
        )


def _shown(value: object) -> str:
    return repr(value) if isinstance(value, str) else str(value)


def _counts(data: pd.DataFrame, count: str, others: Sequence[str]) -> np.ndarray:
    require_columns(data, [count, *others], "small-cell suppression")
    values = pd.to_numeric(data[count], errors="coerce")
    arr = values.to_numpy(dtype=float)
    bad = values.isna() | (arr < 0) | (arr != np.round(arr))
    if bad.any():
        rows = [
            f"row {i}: {_shown(data[count].iloc[i])}" for i in np.flatnonzero(bad.to_numpy())[:10]
        ]
        more = f" (and {int(bad.sum()) - 10} more)" if bad.sum() > 10 else ""
        raise ValueError(
            f"column {count!r} must hold complete counts (non-negative integers); "
            f"{int(bad.sum())} cell(s) do not: {'; '.join(rows)}{more}"
        )
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
    withheld: np.ndarray,
    counts: np.ndarray,
    row_of: np.ndarray,
    col_of: np.ndarray,
    known: np.ndarray,
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
            ~withheld
            & ~known
            & (counts > 0)
            & np.isin(row_of, list(rows_b))
            & np.isin(col_of, list(cols_a))
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
    known: np.ndarray | None = None,
) -> None:
    """Withhold complements in place until no line has exactly one withheld cell and
    (for a two-way table) every withheld cell lies on a cycle of withheld cells."""
    if known is None:
        known = np.zeros(len(counts), dtype=bool)
    changed = True
    while changed:
        changed = False
        if grid is not None and not any(withheld[line].sum() == 1 for line in lines):
            changed = _bridge_fix(withheld, counts, *grid, known)
            if changed:
                continue
        for line in lines:
            if withheld[line].sum() != 1:
                continue
            candidates = line[~withheld[line] & ~known[line] & (counts[line] > 0)]
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
    known: str | None = None,
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
    known : str, optional
        Boolean column of cells whose value the reader can work out anyway (e.g. the only
        non-zero cell of a line whose total is published elsewhere): never chosen as a
        complement, since withholding them would protect nothing.
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
    Zero counts are published (a zero reveals no individual) and chosen as complements
    only when no choice of non-zero cells protects every small count.  The line totals
    are equations the reader knows; complements are chosen by an integer program
    (:func:`netstats.report._cells.protect`: fewest cells, then least information) and
    checked by an interval audit: every withheld small count must be able to take at
    least two values, one of them at or above the threshold, given the published cells
    and totals.  A line whose own total gives a cell away whatever is withheld is
    flagged in ``total_disclosive``.  This does not defend against external knowledge.

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
    if on_disclosive not in ("flag", "withhold"):
        raise ValueError(f"on_disclosive must be 'flag' or 'withhold', got {on_disclosive!r}")
    flags = [c for c in (preset, known) if c]
    counts = _counts(data, count, [*rows, *cols, *dependent, *flags])
    keys = data.reset_index(drop=True)
    lines = []
    if rows or not cols:
        lines += _lines(keys, rows)
    if cols:
        lines += _lines(keys, cols)
    equations = [Equation.total(line, counts[line].sum()) for line in lines]

    primary = (counts > 0) & (counts < threshold)
    forced = (
        data[preset].fillna(False).to_numpy(dtype=bool)
        if preset
        else np.zeros(len(counts), dtype=bool)
    )
    fixed = (
        data[known].fillna(False).to_numpy(dtype=bool)
        if known
        else np.zeros(len(counts), dtype=bool)
    )
    withheld, ok = protect(
        counts,
        equations,
        sensitive=primary,
        threshold=threshold,
        preset=forced,
        candidate=(counts > 0) & ~fixed,
    )
    if not ok:  # a withheld zero can absorb what the totals would otherwise pin
        withheld_z, ok = protect(
            counts,
            equations,
            sensitive=primary,
            threshold=threshold,
            preset=forced,
            candidate=~fixed,
        )
        if ok:
            withheld = withheld_z
    bad = exposed(counts, withheld, primary, equations, threshold)
    disclosive = np.zeros(len(counts), dtype=bool)
    for line in lines:
        if bad[line].any():
            disclosive[line] = True
    if on_disclosive == "withhold" and not ok:
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


@dataclass(frozen=True, repr=False)
class SuppressedTableOne(TableOneResult):
    """A Table 1 after small-cell suppression, with what was merged or withheld.

    Attributes
    ----------
    notes : tuple of str
        One sentence per variable whose levels were merged or whose counts were withheld
        entirely (see :func:`suppress_table_one`); empty when suppression needed neither.
    """

    notes: tuple[str, ...] = ()

    @property
    def note(self) -> str:
        """The notes as one line (``""`` when there are none)."""
        return "; ".join(self.notes)


def _table_one_equations(cells: pd.DataFrame, hidden_groups: set[str]) -> list[Equation]:
    """Published relations of one variable: ``Overall = sum of groups`` for every level,
    ``size = sum of levels`` for every shown group (its size is published)."""
    counts = cells["n"].to_numpy(dtype=np.int64)
    pos = cells.reset_index(drop=True)
    eqs = []
    for _, idx in pos.groupby("level", sort=False).indices.items():
        idx = np.asarray(idx)
        whole = idx[pos["group"].to_numpy()[idx] == OVERALL]
        parts = idx[pos["group"].to_numpy()[idx] != OVERALL]
        if len(whole) == 1 and len(parts):
            eqs.append(Equation.margin(parts, int(whole[0])))
    for group, idx in pos.groupby("group", sort=False).indices.items():
        if group not in hidden_groups:
            eqs.append(Equation.total(np.asarray(idx), counts[np.asarray(idx)].sum()))
    return eqs


def _suppress_cells(
    cells: pd.DataFrame, threshold: int, hidden_groups: set[str]
) -> tuple[pd.DataFrame, list[str]]:
    """Suppress one variable's levels x groups table; return it and its exposed lines.

    Complements are chosen by :func:`netstats.report._cells.protect` under the relations
    of :func:`_table_one_equations`; a line is reported when a withheld small count in it
    still has a feasible interval too narrow (:func:`netstats.report._cells.exposed`).
    """
    cells = cells.reset_index(drop=True)
    counts = cells["n"].to_numpy(dtype=np.int64)
    preset = cells["group"].isin(hidden_groups).to_numpy()
    primary = (counts > 0) & (counts < threshold)
    equations = _table_one_equations(cells, hidden_groups)
    withheld, _ = protect(counts, equations, sensitive=primary, threshold=threshold, preset=preset)
    bad_cells = exposed(counts, withheld, primary, equations, threshold)
    out = cells.copy()
    out["n"] = pd.Series(counts, dtype="Int64").mask(withheld)
    out["suppressed"] = np.where(
        primary, "primary", np.where(preset, "preset", np.where(withheld, "complementary", ""))
    )
    out["total_disclosive"] = False
    out["_preset"] = preset
    bad = [f"level {lev}" for lev in cells.loc[bad_cells, "level"].astype(str).unique()]
    return out, bad


def _table_one_lines(cells: pd.DataFrame, hidden_groups: set[str]) -> list[np.ndarray]:
    """Row positions of the lines tied by a total: levels (``Overall = sum of groups``)
    and shown groups (their published size)."""
    levels = cells.groupby("level", sort=False).indices
    groups = cells.groupby("group", sort=False).indices
    return [np.asarray(idx) for idx in levels.values() if len(idx) > 1] + [
        np.asarray(idx) for group, idx in groups.items() if group not in hidden_groups
    ]


def _table_one_known(cells: pd.DataFrame, hidden_groups: set[str]) -> np.ndarray:
    """Cells of one variable that the published sizes and zeros give away.

    The only non-zero cell of a shown group equals the group size; the only unknown
    non-zero cell of a level then follows from ``Overall = sum of groups``; and so on.
    """
    counts = cells["n"].to_numpy(dtype=float)
    known = (counts == 0) & ~cells["group"].isin(hidden_groups).to_numpy()
    lines = _table_one_lines(cells, hidden_groups)
    changed = True
    while changed:
        changed = False
        for idx in lines:
            unknown = idx[~known[idx]]
            if len(unknown) == 1:
                known[unknown[0]] = True
                changed = True
    return known & (counts > 0)


def _merge_levels(cells: pd.DataFrame, levels: list[str]) -> pd.DataFrame:
    """Replace ``levels`` of a categorical variable by one level, just before ``Missing``."""
    label = f"other (merged: {', '.join(levels)})"
    merged = cells["level"].isin(levels)
    pooled = (
        cells[merged]
        .groupby("group", sort=False)
        .agg(
            n=("n", "sum"),
            percent=("percent", "sum"),
            **{c: (c, "first") for c in cells.columns if c not in ("group", "n", "percent")},
        )
        .reset_index()
        .assign(level=label)[list(cells.columns)]
    )
    rest = cells[~merged]
    return pd.concat(
        [rest[rest["level"] != "Missing"], pooled, rest[rest["level"] == "Missing"]],
        ignore_index=True,
    )


def _merge_candidates(
    cells: pd.DataFrame, threshold: int, hidden_groups: set[str]
) -> list[list[str]]:
    """Level sets to try merging, in order: small overall, then small in any shown group."""
    levels = cells[cells["level"] != "Missing"]
    overall = levels[levels["group"] == OVERALL].set_index("level")["n"]
    shown = levels[~levels["group"].isin(hidden_groups)]
    small_cell = shown.loc[(shown["n"] > 0) & (shown["n"] < threshold), "level"]
    tries = []
    for chosen in (
        set(overall.index[(overall > 0) & (overall < threshold)]),
        set(overall.index[(overall > 0) & (overall < threshold)]) | set(small_cell),
    ):
        if not chosen:
            continue
        # a lone small level is merged with the smallest other levels
        for lev in overall[overall > 0].sort_values(kind="stable").index:
            if len(chosen) >= 2:
                break
            chosen.add(lev)
        ordered = [str(lev) for lev in overall.index if lev in chosen]
        left = overall[(overall > 0) & ~overall.index.isin(ordered)]
        if len(ordered) >= 2 and len(left) and ordered not in tries:
            tries.append(ordered)
    return tries


def _withhold_variable(
    cells: pd.DataFrame, threshold: int, hidden_groups: set[str], variable: str
) -> pd.DataFrame:
    """Withhold every non-zero count of one variable, except those the totals fix anyway.

    A shown group whose subjects all have one level has that count equal to its
    (published) size; such derivable cells, and any that follow from them, are shown.
    """
    counts = cells["n"].to_numpy(dtype=np.int64)
    preset = cells["group"].isin(hidden_groups).to_numpy()
    withheld = (counts > 0) | preset
    lines = _table_one_lines(cells, hidden_groups)
    changed = True
    while changed:
        changed = False
        for idx in lines:
            lone = idx[withheld[idx] & (counts[idx] > 0)]
            if len(lone) == 1:
                if preset[lone[0]] or counts[lone[0]] < threshold:
                    raise PrivacyError(
                        f"Table 1 variable {variable!r}: a small count follows from the "
                        "published group sizes even with every count withheld"
                    )
                withheld[lone[0]] = False
                changed = True
    out = cells.copy()
    out["n"] = pd.Series(counts, index=cells.index, dtype="Int64").mask(withheld)
    out["suppressed"] = np.where(
        preset, "preset", np.where(withheld & (counts > 0), "variable", "")
    )
    out["total_disclosive"] = False
    out["_preset"] = preset
    return out


def _resolve_variable(
    cells: pd.DataFrame,
    variable: str,
    kind: str,
    threshold: int,
    hidden_groups: set[str],
    on_disclosive: str,
) -> tuple[pd.DataFrame, str]:
    """Suppress one variable; merge or withhold it if a total would still disclose a
    withheld count.  Returns the suppressed cells and a note (``""`` if none needed)."""
    out, bad = _suppress_cells(cells, threshold, hidden_groups)
    if not bad:
        return out, ""
    if on_disclosive == "raise":
        raise PrivacyError(
            f"Table 1 variable {variable!r}: a withheld count would follow from a "
            f"published total (cells {bad}); merge small levels"
        )
    if on_disclosive == "merge" and kind == "categorical":
        for levels in _merge_candidates(cells, threshold, hidden_groups):
            merged_out, merged_bad = _suppress_cells(
                _merge_levels(cells, levels), threshold, hidden_groups
            )
            if not merged_bad:
                shown = ", ".join(labels.level_label(variable, v) for v in levels)
                return merged_out, f"{labels.label(variable)}: levels {shown} merged (small counts)"
    out = _withhold_variable(cells, threshold, hidden_groups, variable)
    return out, (
        f"{labels.label(variable)}: counts withheld (a small count would follow from the totals)"
    )


def suppress_table_one(
    result: TableOneResult,
    *,
    threshold: int = DEFAULT_THRESHOLD,
    on_disclosive: Literal["merge", "withhold", "raise"] = "merge",
) -> SuppressedTableOne:
    """Small-cell suppression of a :func:`netstats.tables.table_one` result.

    Parameters
    ----------
    result : TableOneResult
        The numeric Table 1.
    threshold : int, default=5
        Counts ``1 <= n < threshold`` are withheld; ``0`` turns suppression off.
    on_disclosive : {"merge", "withhold", "raise"}, default="merge"
        What to do with a variable whose withheld counts would still follow from the
        published totals after complementary suppression:

        - ``"merge"``: merge the small levels of a categorical variable into one level
          ``"other (merged: a, b)"`` and suppress again; if that is still disclosive (or
          the variable is continuous), withhold the variable's counts as in ``"withhold"``.
        - ``"withhold"``: withhold every non-zero count of the variable (a count equal to
          a published group size is shown, as the totals give it anyway).
        - ``"raise"``: raise :class:`PrivacyError`.

    Returns
    -------
    SuppressedTableOne
        The same table with withheld counts as ``<NA>`` (``n``, ``n_missing`` and
        ``n_group`` become ``Int64``), a ``suppressed`` column (see
        :func:`suppress_counts`; ``"variable"`` marks a count withheld with the whole
        variable), the statistics that could reveal a withheld count set to NaN, and
        ``notes``: one sentence per variable merged or withheld.

    Notes
    -----
    1. Group sizes: a group smaller than the threshold is withheld whole (its size, every
       count and statistic, its SMDs), with a complementary group so that the overall
       size does not give it away.
    2. Each variable is a levels x groups table whose levels (``"Missing"`` included) add
       up to the group size and whose groups add up to ``"Overall"``; it is suppressed
       with :func:`suppress_counts` (rows = levels, columns = groups), the withheld groups
       preset.  Continuous variables are the two-level table (with a value, missing).
    3. A variable is disclosive when a row or a shown group's column still has exactly
       one withheld non-zero count.  Merging tries, in order, the levels with an overall
       count below the threshold, then also those with a small count in a shown group
       (a lone small level is merged with the smallest other level), keeping at least
       one level apart; the first merge that is not disclosive is kept.
    4. Percentages are of the non-missing subjects, so they would reveal a withheld
       missing count: when ``"Missing"`` is withheld the percentages of that variable and
       group are withheld too.  Means, SDs and quartiles of fewer than ``threshold``
       values are withheld.  SMDs are those of the levels as given.

    Raises
    ------
    PrivacyError
        With ``on_disclosive="raise"``, when a withheld count could still be derived from
        a published total.

    Examples
    --------
    >>> import pandas as pd
    >>> from netstats.report import suppress_table_one
    >>> from netstats.tables import table_one
    >>> df = pd.DataFrame({"grade": ["G1", "G1", "G1", "G1", "G2", "G2", "G3"]})
    >>> shown = suppress_table_one(table_one(df, columns=["grade"]), threshold=3)
    >>> shown.summary[["level", "n", "suppressed"]].iloc[1:]
         level     n suppressed
    1       G1     4
    2       G2  <NA>    primary
    3       G3  <NA>    primary
    4  Missing     0
    >>> shown.notes
    ()
    """
    threshold = _check_threshold(threshold)
    if on_disclosive not in ("merge", "withhold", "raise"):
        raise ValueError(
            f"on_disclosive must be 'merge', 'withhold' or 'raise', got {on_disclosive!r}"
        )
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
    notes: list[str] = []
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
        out, note = _resolve_variable(
            cells, str(variable), str(kind), threshold, hidden_groups, on_disclosive
        )
        if note:
            notes.append(note)
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
    if "n_group" in summary.columns:  # a hidden group's size is withheld here too
        summary["n_group"] = (
            summary["n_group"].astype("Int64").mask(summary["group"].isin(hidden_groups))
        )
    smd_frame = result.smd.copy()
    if hidden_groups:
        involved = smd_frame["group_1"].isin(hidden_groups) | smd_frame["group_2"].isin(
            hidden_groups
        )
        smd_frame["smd"] = smd_frame["smd"].where(~involved)
    return SuppressedTableOne(
        summary=summary,
        smd=smd_frame,
        group=result.group,
        groups=list(result.groups),
        notes=tuple(notes),
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

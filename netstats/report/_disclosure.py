"""One disclosure model for every table a notebook publishes, and its output-checking record.

A notebook creates one :class:`Disclosure` and passes it to
:class:`netstats.report.ReportOutputs`; every table then goes through one of its methods
(:meth:`Disclosure.counts`, :meth:`Disclosure.table_one`, :meth:`Disclosure.proportions`,
:meth:`Disclosure.km_at`, :meth:`Disclosure.model`) before it is published.  Each method
knows which cells of its table are counts, which columns are derived from them and which
linear relations tie them, withholds or coarsens what a reader could otherwise recover,
and notes the decision on the frame; :meth:`ReportOutputs.table` hands that note to the
guard, which writes ``disclosure.json`` (every output, the checks applied, the cells
withheld or coarsened and why) beside the notebook's manifest.

The same group published in two tables is one group: once a group (the set of its key
values) is withheld, every later row of the notebook naming that group is withheld too.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from netstats.report._privacy import (
    DEFAULT_THRESHOLD,
    SuppressedTableOne,
    _check_threshold,
    require_columns,
    suppress_counts,
    suppress_table_one,
)
from netstats.tables import TableOneResult

__all__ = ["DISCLOSURE_FILE", "SAFE_DOF", "Disclosure", "count_columns"]

#: Name of the record each notebook writes beside its manifest.
DISCLOSURE_FILE = "disclosure.json"
#: Fewest residual degrees of freedom for a model table to pass (ACRO's default).
SAFE_DOF = 10
#: Key of the decision note in :attr:`pandas.DataFrame.attrs`.
_ATTR = "netstats_disclosure"
_DERIVED = ("estimate", "ci_lower", "ci_upper", "se", "std_err", "percent", "survival")
_KM_DERIVED = ("survival", "estimate", "std_err", "se", "ci_lower", "ci_upper")


def count_columns(frame: pd.DataFrame) -> list[str]:
    """Columns that hold counts by the naming convention ``n`` and ``n_*``.

    Examples
    --------
    >>> count_columns(pd.DataFrame({"group": ["a"], "n": [3], "n_events": [1], "nx": [2]}))
    ['n', 'n_events']
    """
    return [
        str(c)
        for c in frame.columns
        if (str(c) == "n" or str(c).startswith("n_")) and pd.api.types.is_numeric_dtype(frame[c])
    ]


def _note(frame: pd.DataFrame, **note: Any) -> pd.DataFrame:
    frame.attrs[_ATTR] = note
    return frame


def _cells(frame: pd.DataFrame, mask: np.ndarray, keys: Sequence[str], column: str, why: str):
    rows = []
    for i in np.flatnonzero(mask):
        rec = frame.iloc[i]
        rows.append(
            {
                "row": {k: str(rec[k]) for k in keys if k in frame.columns},
                "column": column,
                "reason": why or str(rec.get("suppressed", "")),
            }
        )
    return rows


def _merge_small(
    frame: pd.DataFrame, key: str, count: str, keys: Sequence[str], threshold: int
) -> tuple[pd.DataFrame, list[str]]:
    """Merge the levels of ``key`` whose total is below the threshold into one level.

    A lone small level is merged with the next smallest level.  Other columns than the
    keys and the count are dropped (they described the unmerged cells).
    """
    totals = frame.groupby(key, sort=False)[count].sum()
    small = [str(v) for v in totals.index[(totals > 0) & (totals < threshold)]]
    if not small:
        return frame, []
    if len(small) == 1:
        rest = totals[~totals.index.astype(str).isin(small) & (totals > 0)]
        if len(rest) < 2:
            return frame, []
        small.append(str(rest.sort_values(kind="stable").index[0]))
    label = f"other (merged: {', '.join(sorted(small))})"
    work = frame[[*keys, count]].copy()
    work[key] = work[key].astype(str).where(~work[key].astype(str).isin(small), label)
    merged = work.groupby(list(keys), sort=False, dropna=False)[count].sum().reset_index()
    return merged, sorted(small)


class Disclosure:
    """The disclosure decisions of one notebook: suppression, coarsening and the record.

    Parameters
    ----------
    threshold : int, default=5
        Counts ``1 <= n < threshold`` are not published; ``0`` turns protection off (the
        record still lists every output).

    Examples
    --------
    >>> guard = Disclosure(threshold=5)
    >>> t = pd.DataFrame({"grade": ["G1", "G2", "G3"], "n": [12, 3, 20]})
    >>> guard.counts(t)["n"].tolist()
    [<NA>, <NA>, 20]
    >>> sorted(guard.withheld_groups)
    [('G1',), ('G2',)]
    """

    def __init__(self, threshold: int = DEFAULT_THRESHOLD) -> None:
        self.threshold = _check_threshold(threshold)
        self.outputs: dict[str, dict[str, Any]] = {}
        self._withheld: set[frozenset[str]] = set()

    # ------------------------------------------------------------------ groups
    @property
    def withheld_groups(self) -> set[tuple[str, ...]]:
        """Key values of every group withheld so far (sorted tuples)."""
        return {tuple(sorted(g)) for g in self._withheld}

    def _register(self, frame: pd.DataFrame, mask: np.ndarray, keys: Sequence[str]) -> None:
        for i in np.flatnonzero(mask):
            self._withheld.add(frozenset(str(frame.iloc[i][k]) for k in keys))

    def _known_withheld(self, frame: pd.DataFrame, keys: Sequence[str]) -> np.ndarray:
        """Rows naming a group withheld in an earlier table."""
        if not self._withheld or not keys:
            return np.zeros(len(frame), dtype=bool)
        vals = [frozenset(str(v) for v in row) for row in frame[list(keys)].itertuples(False)]
        return np.array([any(g <= v for g in self._withheld) for v in vals], dtype=bool)

    # ------------------------------------------------------------------ tables
    def counts(
        self,
        frame: pd.DataFrame,
        *,
        count: str = "n",
        rows: Sequence[str] = (),
        cols: Sequence[str] = (),
        dependent: Sequence[str] = (),
    ) -> pd.DataFrame:
        """A frequency table with small counts withheld and optimal complements.

        ``rows`` and ``cols`` name the key columns whose totals the reader can form (see
        :func:`netstats.report.suppress_counts`); with neither, the whole column adds up
        to one total.  Columns in ``dependent`` (percentages) are withheld with their
        count.  Returns the table with a ``suppressed`` column.
        """
        keys = [*rows, *cols] or [c for c in frame.columns if c != count and c not in dependent]
        coarsened: list[dict[str, Any]] = []

        def attempt(data: pd.DataFrame, mode: str) -> pd.DataFrame:
            work = data.reset_index(drop=True)
            work = work.assign(_preset=self._known_withheld(work, keys))
            return suppress_counts(
                work,
                count=count,
                rows=rows,
                cols=cols,
                threshold=self.threshold,
                dependent=dependent,
                preset="_preset",
                on_disclosive=mode,  # type: ignore[arg-type]
            ).drop(columns=["_preset"])

        source = frame
        out = attempt(source, "flag")
        for dim in (rows, cols):
            if not out["total_disclosive"].any() or len(dim) != 1:
                continue
            merged, levels = _merge_small(source, dim[0], count, keys, self.threshold)
            if not levels:
                continue
            trial = attempt(merged, "flag")
            if trial["total_disclosive"].sum() < out["total_disclosive"].sum():
                source, out = merged, trial
                coarsened.append(
                    {
                        "column": dim[0],
                        "reason": f"levels {', '.join(levels)} merged (small totals)",
                    }
                )
        unsafe: list[dict[str, str]] = []
        if out["total_disclosive"].any():
            out = attempt(source, "withhold")
            # a line whose own total is small gives its cell away whatever is withheld:
            # that total must not be published anywhere (the record says so)
            flagged = out["total_disclosive"].to_numpy()
            unsafe = [{k: str(out.iloc[i][k]) for k in keys} for i in np.flatnonzero(flagged)]
        out = out.drop(columns="total_disclosive")
        withheld = out[count].isna().to_numpy() & source[count].notna().to_numpy()
        self._register(out, withheld, keys)
        relations = [f"sum of {count} over each {r}" for r in (rows, cols) if r] or [
            f"sum of {count}"
        ]
        return _note(
            out,
            method="counts",
            counts=[count],
            derived=list(dependent),
            keys=list(keys),
            relations=relations,
            lines=[list(r) for r in (rows, cols) if r],
            checks=["threshold", "complementary suppression (integer program, interval audit)"],
            withheld=_cells(out, withheld, keys, count, ""),
            coarsened=coarsened,
            reasons=dict(out.loc[withheld, "suppressed"].value_counts().sort_index()),
            **({"status_hint": "review", "totals_not_publishable": unsafe} if unsafe else {}),
        )

    def table_one(self, result: TableOneResult) -> SuppressedTableOne:
        """Table 1 protected as one system (levels, groups, ``Overall``, missing counts).

        See :func:`netstats.report.suppress_table_one`; the summary frame carries the
        decision note for :meth:`ReportOutputs.table`.
        """
        shown = suppress_table_one(result, threshold=self.threshold)
        summ = shown.summary
        withheld = (summ["n"].isna() & (summ["suppressed"] != "")).to_numpy()
        self._register(summ, withheld & (summ["kind"] == "n").to_numpy(), ["group"])
        _note(
            summ,
            method="table_one",
            counts=["n", "n_missing", "n_group"],
            derived=["percent", "mean", "sd", "median", "q1", "q3", "smd"],
            keys=["variable", "level", "group"],
            relations=[
                "levels (Missing included) add up to the group size",
                "groups add up to Overall",
                "percent = n / (group size - missing)",
            ],
            checks=["threshold", "complementary suppression (integer program, interval audit)"],
            withheld=_cells(summ, withheld, ["variable", "level", "group"], "n", ""),
            reasons=dict(summ.loc[withheld, "suppressed"].value_counts().sort_index()),
            notes=list(shown.notes),
        )
        return shown

    def proportions(
        self,
        frame: pd.DataFrame,
        *,
        count: str,
        denominator: str,
        group: str = "group",
        also: Sequence[str] = (),
    ) -> pd.DataFrame:
        """Proportions ``count / denominator`` with every column that identifies a count.

        A row whose denominator (or ``also`` counts, e.g. ``n_patients``) is small is
        withheld whole; a row whose count or complement is small loses the count, the
        estimate and the interval bounds (an exact binomial bound gives the count back
        from the denominator).  Nested or overlapping groups (``"any"`` against each
        regimen) are not added up, so a withheld count cannot be differenced out.
        """
        require_columns(frame, [count, denominator, *also], "Disclosure.proportions")
        t = self.threshold
        out = frame.reset_index(drop=True).copy()
        n = out[denominator].to_numpy(dtype=float)
        k = out[count].to_numpy(dtype=float)
        small = lambda v: (v >= 1) & (v < t)  # noqa: E731
        whole = small(n) | self._known_withheld(out, [group])
        for col in also:
            whole |= small(out[col].to_numpy(dtype=float))
        part = ~whole & (small(k) | small(n - k))
        derived = [c for c in out.columns if c in _DERIVED]
        for col in [denominator, *also]:
            out[col] = out[col].astype("Int64").mask(whole)
        out[count] = out[count].astype("Int64").mask(whole | part)
        for col in derived:
            out[col] = out[col].astype(float).where(~(whole | part))
        out["suppressed"] = np.where(whole, "group", np.where(part, "count", ""))
        self._register(out, whole, [group])
        return _note(
            out,
            method="proportions",
            counts=[count, denominator, *also],
            derived=derived,
            keys=[group],
            relations=[f"estimate = {count} / {denominator}", "exact binomial CI of the two"],
            checks=["threshold", "proportion x denominator", "CI inversion"],
            withheld=_cells(out, whole, [group], "row", "small group")
            + _cells(out, part, [group], count, "small count or complement"),
        )

    def km_at(self, frame: pd.DataFrame, *, group: str = "group") -> pd.DataFrame:
        """Landmark rows of a Kaplan-Meier or cumulative-incidence table, made safe.

        ``n_censored`` is dropped (it is ``n - n_at_risk - n_events``, so the other two
        and the group size would give it back); a small ``n_events`` is withheld with
        the estimate and its interval (with few censorings the estimate is
        ``1 - n_events / n``); a small ``n_at_risk`` is withheld with the estimate (the
        curve stops where fewer than ``threshold`` remain); where the censored count
        would be small, ``n_at_risk`` is rounded to a multiple of ``threshold``. The
        weighted counts of a case-weighted fit (``weighted_at_risk``, ``weighted_events``,
        ``weighted_censored``) are dropped: with known or constant weights they give the
        patient counts back.
        """
        require_columns(frame, ["n_at_risk", "n_events"], "Disclosure.km_at")
        t = self.threshold
        out = frame.reset_index(drop=True).copy()
        risk = out["n_at_risk"].to_numpy(dtype=float)
        events = out["n_events"].to_numpy(dtype=float)
        cens = (
            out["n_censored"].to_numpy(dtype=float)
            if "n_censored" in out.columns
            else np.zeros(len(out))
        )
        small = lambda v: (v >= 1) & (v < t)  # noqa: E731
        keys = [c for c in (group, "cause", "time") if c in out.columns]
        gone = (
            self._known_withheld(out, [group])
            if group in out.columns
            else np.zeros(len(out), dtype=bool)
        )
        few_risk = small(risk) | gone
        few_events = small(events) | gone
        rounded = ~few_risk & small(cens) & (t > 1)
        derived = [c for c in out.columns if c in _KM_DERIVED]
        new_risk = np.where(rounded, t * np.round(risk / max(t, 1)), risk)
        out["n_at_risk"] = pd.array(new_risk.astype(np.int64), dtype="Int64")
        out["n_at_risk"] = out["n_at_risk"].mask(few_risk)
        out["n_events"] = out["n_events"].astype("Int64").mask(few_events)
        for col in derived:
            out[col] = out[col].astype(float).where(~(few_risk | few_events))
        weighted = [c for c in out.columns if str(c).startswith("weighted_")]
        out = out.drop(columns=[c for c in ("n_censored",) if c in out.columns] + weighted)
        out["suppressed"] = np.where(
            few_risk,
            "few at risk",
            np.where(few_events, "few events", np.where(rounded, "at risk rounded", "")),
        )
        return _note(
            out,
            method="km_at",
            counts=["n_at_risk", "n_events"],
            derived=derived,
            keys=keys,
            relations=["n = n_at_risk + n_events + n_censored", "estimate from the KM steps"],
            checks=["threshold", "differencing of the censored count", "KM-step inversion"],
            withheld=_cells(out, few_risk, keys, "n_at_risk", "fewer than threshold at risk")
            + _cells(out, few_events & ~few_risk, keys, "n_events", "few events"),
            coarsened=_cells(out, rounded, keys, "n_at_risk", f"rounded to base {t}")
            + [{"column": "n_censored", "reason": "dropped (a difference of published counts)"}]
            + [{"column": c, "reason": "dropped (weighted counts)"} for c in weighted],
        )

    def model(self, frame: pd.DataFrame, *, n_obs: int, n_params: int) -> pd.DataFrame:
        """A regression table with its residual degrees of freedom (ACRO's model check).

        The table is returned as it is; the record lists ``n_obs - n_params`` and fails
        the check when it is below :data:`SAFE_DOF`.
        """
        dof = int(n_obs) - int(n_params)
        return _note(
            frame.copy(),
            method="model",
            checks=["residual degrees of freedom"],
            residual_df=dof,
            status_hint="pass" if dof >= SAFE_DOF else "review",
        )

    # ------------------------------------------------------------------ record
    def check(self, name: str, frame: pd.DataFrame, caption: str = "") -> dict[str, Any]:
        """Record one published table: its decision note, or a threshold check of its
        count columns when it went through no method of the guard."""
        note = dict(frame.attrs.get(_ATTR) or {})
        t = self.threshold
        status = "pass"
        if not note:
            cols = count_columns(frame)
            small = {
                c: int(((frame[c] >= 1) & (frame[c] < t)).sum())
                for c in cols
                if frame[c].notna().any()
            }
            small = {c: k for c, k in small.items() if k}
            note = {"method": "none", "counts": cols, "checks": ["threshold (inferred)"]}
            if small and t > 0:
                status = "review"
                note["small_counts"] = small
        elif note.get("status_hint"):
            status = note.pop("status_hint")
        for key in ("withheld", "coarsened"):
            note.setdefault(key, [])
        note.update(name=name, caption=caption, status=status, kind="table")
        note["reasons"] = {str(k): int(v) for k, v in note.get("reasons", {}).items()}
        self.outputs[name] = note
        return note

    def to_dict(self, notebook: str | None = None) -> dict[str, Any]:
        """The record as plain data (outputs sorted by name)."""
        return {
            "notebook": notebook,
            "threshold": self.threshold,
            "outputs": [self.outputs[k] for k in sorted(self.outputs)],
        }

    def write(self, folder: str | Path, notebook: str | None = None) -> Path:
        """Write ``disclosure.json`` (sorted keys, no timestamps) into ``folder``."""
        path = Path(folder) / DISCLOSURE_FILE
        text = json.dumps(self.to_dict(notebook), indent=1, sort_keys=True, default=str)
        path.write_text(text + "\n", encoding="utf-8")
        return path

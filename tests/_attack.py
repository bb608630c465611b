"""The attacker's tools: integer interval audits and inversions of published numbers.

Written apart from :mod:`netstats.report._cells` (the defence) so that a shared mistake
does not hide a leak: every relation is written out as a dense matrix over the unknown
(withheld) cells, and each unknown is minimised and maximised with an integer program.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.stats import beta


class System:
    """Unknown non-negative integers with linear equalities and inequalities."""

    def __init__(self) -> None:
        self.names: dict[object, int] = {}
        self.eq: list[tuple[dict[int, float], float]] = []
        self.le: list[tuple[dict[int, float], float]] = []
        self.upper: dict[int, float] = {}

    def var(self, key: object) -> int:
        """The index of unknown ``key`` (created on first use)."""
        return self.names.setdefault(key, len(self.names))

    def add(self, terms: dict[object, float], rhs: float, *, kind: str = "eq") -> None:
        """``sum(coef * unknown) (== or <=) rhs``; ``terms`` maps unknown keys to coefs."""
        row: dict[int, float] = {}
        for key, coef in terms.items():
            i = self.var(key)
            row[i] = row.get(i, 0.0) + coef
        (self.eq if kind == "eq" else self.le).append((row, float(rhs)))

    def bounds(self, key: object) -> tuple[float, float]:
        """Smallest and largest feasible value of one unknown (integer program)."""
        n = len(self.names)
        k = self.names[key]
        cons = []
        for rows, kind in ((self.eq, "eq"), (self.le, "le")):
            if not rows:
                continue
            mat = np.zeros((len(rows), n))
            rhs = np.zeros(len(rows))
            for r, (row, b) in enumerate(rows):
                for i, a in row.items():
                    mat[r, i] = a
                rhs[r] = b
            cons.append(LinearConstraint(mat, rhs if kind == "eq" else -np.inf, rhs))
        ub = np.full(n, np.inf)
        for i, u in self.upper.items():
            ub[i] = u
        out = []
        for sign in (1.0, -1.0):
            c = np.zeros(n)
            c[k] = sign
            res = milp(c, constraints=cons, bounds=Bounds(np.zeros(n), ub), integrality=np.ones(n))
            if res.status == 3 or res.x is None:
                out.append(np.inf if sign < 0 else 0.0)
            else:
                out.append(round(float(res.x[k])))
        return out[0], out[1]

    def pinned_small(self, keys: list[object], threshold: int) -> dict[object, int]:
        """Unknowns whose feasible interval is one value in ``1 .. threshold - 1``."""
        found = {}
        for key in keys:
            if key not in self.names:
                continue
            lo, hi = self.bounds(key)
            if lo == hi and 1 <= lo < threshold:
                found[key] = int(lo)
        return found


def clopper_pearson(k: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Exact binomial interval of ``k`` out of ``n``."""
    a = (1 - level) / 2
    lo = 0.0 if k == 0 else float(beta.ppf(a, k, n - k + 1))
    hi = 1.0 if k == n else float(beta.ppf(1 - a, k + 1, n - k))
    return lo, hi


def invert_interval(lo: float, hi: float, n_max: int = 200) -> list[tuple[int, int]]:
    """Every ``(k, n)`` whose Clopper-Pearson interval matches published bounds (3 d.p.)."""
    hits = []
    for n in range(1, n_max + 1):
        for k in range(n + 1):
            a, b = clopper_pearson(k, n)
            if abs(a - lo) < 5e-4 and abs(b - hi) < 5e-4:
                hits.append((k, n))
    return hits


def counts_from_proportion(p: float, n: int, tol: float = 5e-4) -> list[int]:
    """Counts ``k`` with ``k / n`` equal to a published proportion."""
    return [k for k in range(n + 1) if abs(k / n - p) < tol]


# --------------------------------------------------------------------------------------
# attacks on published tables
# --------------------------------------------------------------------------------------
def _merged(label: str) -> list[str]:
    text = str(label)
    if text.startswith("other (merged: ") and text.endswith(")"):
        return text[len("other (merged: ") : -1].split(", ")
    return []


def align(truth: pd.DataFrame, published: pd.DataFrame, keys: list[str], count: str = "n"):
    """The true counts on the published table's cells (merged levels added up)."""
    truth = truth.copy()
    for key in keys:
        for label in published[key].astype(str).unique():
            parts = _merged(label)
            if parts:
                truth[key] = (
                    truth[key].astype(str).where(~truth[key].astype(str).isin(parts), label)
                )
        truth[key] = truth[key].astype(str)
    pub = published.copy()
    for key in keys:
        pub[key] = pub[key].astype(str)
    summed = truth.groupby(keys, sort=False)[count].sum().rename("_truth").reset_index()
    return pub.merge(summed, on=keys, how="left", validate="one_to_one")


def attack_counts(
    truth: pd.DataFrame,
    published: pd.DataFrame,
    *,
    keys: list[str],
    lines: list[list[str]],
    threshold: int,
    count: str = "n",
) -> dict[str, int]:
    """Withheld small counts pinned by the line totals (the attacker knows every total)."""
    cells = align(truth, published, keys, count)
    hidden = cells[count].isna().to_numpy()
    true = cells["_truth"].to_numpy(dtype=float)
    system = System()
    for line in lines or [[]]:
        groups = cells.groupby(line, sort=False).indices if line else {"all": np.arange(len(cells))}
        for idx in groups.values():
            terms = {int(i): 1.0 for i in idx if hidden[i]}
            if terms:
                known = float(np.nansum(np.where(hidden[idx], 0.0, true[idx])))
                system.add(terms, float(true[idx].sum()) - known)
    small = [int(i) for i in np.flatnonzero(hidden & (true >= 1) & (true < threshold))]
    found = system.pinned_small(small, threshold)
    return {"|".join(cells.loc[i, keys].astype(str)): v for i, v in found.items()}


def attack_proportions(
    published: pd.DataFrame, *, count: str, denominator: str, threshold: int, group: str = "group"
) -> dict[str, int]:
    """Withheld counts given back by estimate x denominator or by the exact CI bounds."""
    found = {}
    for rec in published.to_dict("records"):
        k, n = rec.get(count), rec.get(denominator)
        if pd.notna(k) and (pd.notna(n) or k == 0):
            continue
        if pd.notna(rec.get("estimate")) and pd.notna(n):
            hits = counts_from_proportion(float(rec["estimate"]), int(n))
            for v in hits:
                if 1 <= v < threshold or 1 <= int(n) - v < threshold:
                    found[f"{rec[group]}: estimate x {denominator}"] = v
        lo, hi = rec.get("ci_lower"), rec.get("ci_upper")
        if pd.notna(lo) and pd.notna(hi):
            hits = invert_interval(float(lo), float(hi), n_max=60)
            if len(hits) == 1:
                v, m = hits[0]
                if 1 <= v < threshold or 1 <= m < threshold or 1 <= m - v < threshold:
                    found[f"{rec[group]}: Clopper-Pearson inversion"] = v
    return found


def attack_km(
    published: pd.DataFrame, sizes: dict[str, int], *, threshold: int, group: str = "group"
) -> dict[str, int]:
    """Landmark counts given back by differencing (``n - at risk - events``) or by the
    first KM step (``n (1 - S)`` with no censoring)."""
    found = {}
    for rec in published.to_dict("records"):
        n = sizes.get(str(rec[group]))
        if n is None:
            continue
        where = f"{rec[group]} at {rec.get('time')}" + (
            f" ({rec['cause']})" if "cause" in rec else ""
        )
        risk, events = rec.get("n_at_risk"), rec.get("n_events")
        rounded = str(rec.get("suppressed", "")) == "at risk rounded"
        cens = rec.get("n_censored", np.nan)
        if (
            "cause" not in rec
            and pd.isna(cens)
            and pd.notna(risk)
            and pd.notna(events)
            and not rounded
        ):
            v = int(n - risk - events)
            if 1 <= v < threshold:
                found[f"{where}: n_censored = n - n_at_risk - n_events"] = v
        surv = rec.get("survival")
        if "cause" not in rec and pd.isna(events) and pd.notna(surv):
            d = n * (1 - float(surv))
            if abs(d - round(d)) < 1e-3 and 1 <= round(d) < threshold:
                found[f"{where}: n_events = n (1 - S)"] = int(round(d))
        cif = rec.get("estimate")
        if "cause" in rec and pd.isna(events) and pd.notna(cif):
            # with little censoring before t the cumulative incidence is events / n
            d = n * float(cif)
            if 0.5 <= d < threshold - 0.5:
                found[f"{where}: n_events ~ n F(t)"] = int(round(d))
    return found


def _t1_totals(system: System, out: pd.DataFrame, t: np.ndarray, hidden: np.ndarray, sizes) -> None:
    """Levels add up to Overall; a shown group's levels add up to its size."""
    for _, idx in out.groupby("level").indices.items():
        terms, known = {}, 0.0
        for i in idx:
            sign = -1.0 if out.loc[i, "group"] == "Overall" else 1.0
            if hidden[i]:
                terms[int(i)] = sign
            else:
                known += sign * t[i]
        if terms:
            system.add(terms, -known)
    for grp, idx in out.groupby("group").indices.items():
        if pd.isna(sizes.get(grp)):
            continue
        terms = {int(i): 1.0 for i in idx if hidden[i]}
        if terms:
            system.add(terms, float(sizes[grp]) - float(np.sum(t[idx][~hidden[idx]])))


def _t1_denominators(
    system: System, out: pd.DataFrame, t: np.ndarray, hidden: np.ndarray, sizes
) -> None:
    """The published missing count, or n / percent of a shown level, gives a group's
    non-missing count: the Missing cell and the sum of the other levels."""
    for grp, idx in out.groupby("group").indices.items():
        miss = [i for i in idx if out.loc[i, "level"] == "Missing"]
        shown_miss = out.loc[idx, "n_missing"].dropna()
        ratio = [
            float(out.loc[i, "n"]) * 100 / float(out.loc[i, "percent"])
            for i in idx
            if not hidden[i]
            and out.loc[i, "level"] != "Missing"
            and pd.notna(out.loc[i, "percent"])
            and float(out.loc[i, "percent"]) > 0
        ]
        size = sizes.get(grp)
        if miss and hidden[miss[0]]:
            if len(shown_miss):
                system.add({int(miss[0]): 1.0}, float(shown_miss.iloc[0]))
            elif ratio and pd.notna(size):
                system.add({int(miss[0]): 1.0}, float(size) - round(ratio[0]))
        rest = [i for i in idx if out.loc[i, "level"] != "Missing"]
        terms = {int(i): 1.0 for i in rest if hidden[i]}
        if ratio and terms:
            known = float(np.sum([t[i] for i in rest if not hidden[i]]))
            system.add(terms, round(ratio[0]) - known)


def attack_table_one(summary: pd.DataFrame, truth: pd.DataFrame, threshold: int) -> dict[str, int]:
    """Table 1 (long form): totals, Overall, sizes, missing counts and percentages."""
    found = {}
    sizes = summary[summary["kind"] == "n"].set_index("group")["n"]
    for var in summary.loc[summary["kind"] == "categorical", "variable"].unique():
        out = summary[summary["variable"] == var].reset_index(drop=True)
        t = align(truth[truth["variable"] == var], out, ["level", "group"], "n")["_truth"]
        t = t.to_numpy(dtype=float)
        hidden = out["n"].isna().to_numpy()
        system = System()
        _t1_totals(system, out, t, hidden, sizes)
        _t1_denominators(system, out, t, hidden, sizes)
        for i in np.flatnonzero(hidden):
            rec = out.loc[i]
            size = sizes.get(rec["group"])
            if pd.notna(rec.get("percent")) and pd.notna(size) and pd.notna(rec.get("n_missing")):
                v = float(rec["percent"]) / 100 * (float(size) - float(rec["n_missing"]))
                if 1 <= round(v) < threshold:
                    found[f"{var}|{rec['level']}|{rec['group']}: percent"] = int(round(v))
        small = [int(i) for i in np.flatnonzero(hidden & (t >= 1) & (t < threshold))]
        for i, v in system.pinned_small(small, threshold).items():
            found[f"{var}|{out.loc[i, 'level']}|{out.loc[i, 'group']}"] = v
    return found

"""Descriptive tables: Table 1 by a grouping, with missing counts and standardised differences.

Everything here returns numbers in tidy (long) DataFrames; turning them into the printed
"n (%)" and "mean (SD)" strings, with small-cell suppression, is done by
:func:`netstats.report.format_table_one`.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from netstats._display import ResultDisplay, plural

__all__ = [
    "TABLE_ONE_COLUMNS",
    "TableOneResult",
    "data_completeness",
    "patient_characteristics",
    "smd",
    "table_one",
]

#: Columns of :attr:`TableOneResult.summary`.
TABLE_ONE_COLUMNS = [
    "variable",
    "kind",
    "level",
    "group",
    "n",
    "n_group",
    "n_missing",
    "percent",
    "mean",
    "sd",
    "median",
    "q1",
    "q3",
]
OVERALL = "Overall"


@dataclass(frozen=True, repr=False)
class TableOneResult(ResultDisplay):
    """Table 1: descriptive statistics by group, missing counts and SMDs.

    Attributes
    ----------
    summary : DataFrame
        Long table, see :func:`table_one`.
    smd : DataFrame
        One row per variable and pair of groups: ``variable``, ``group_1``, ``group_2``,
        ``smd``.
    group : str or None
        The grouping column.
    groups : list
        Group labels in table order (without ``"Overall"``).

    Examples
    --------
    >>> import pandas as pd
    >>> from netstats.tables import table_one
    >>> df = pd.DataFrame({"age": [50.0, 60, 70, 65], "grade": ["G1", "G1", "G2", "G2"],
    ...                    "arm": ["<65", "<65", ">=65", ">=65"]})
    >>> table_one(df, columns=["age", "grade"], group="arm")
    Table 1
    2 variables by arm (<65, >=65), 4 subjects: n (% of non-missing), mean (SD) or median [Q1, Q3]; SMD of Yang & Dalton (2012)
    group                Overall           <65        >=65
    variable level
    n                          4             2           2
    age             61.25 (8.54)  55 (7.071)  67.5 (3.536)
    grade    G1        2 (50.0%)    2 (100.0%)    0 (0.0%)
             G2        2 (50.0%)      0 (0.0%)   2 (100.0%)
             Missing           0             0           0
    """

    summary: pd.DataFrame
    smd: pd.DataFrame
    group: str | None
    groups: list[str]

    _display_title: ClassVar[str | None] = "Table 1"
    _display_max_rows: ClassVar[int] = 60

    @property
    def method(self) -> str:
        """One-line description (grouping, sizes, statistics shown)."""
        by = f" by {self.group} ({', '.join(map(str, self.groups))})" if self.group else ""
        n_row = self.summary[(self.summary["variable"] == "n") & (self.summary["group"] == OVERALL)]
        n = int(n_row["n"].iloc[0]) if len(n_row) else 0
        nvar = self.summary["variable"].nunique() - 1
        return (
            f"{plural(nvar, 'variable')}{by}, {plural(n, 'subject')}: n (% of non-missing), "
            f"mean (SD) or median [Q1, Q3]; SMD of Yang & Dalton (2012)"
        )

    def to_frame(self) -> pd.DataFrame:
        """The long summary table."""
        return self.summary.copy()

    def _display_frame(self) -> pd.DataFrame:
        """A wide view: one row per variable and level, one text column per group."""

        def cell(r: Any) -> str:
            if r.kind in ("n", "categorical"):
                pct = "" if r.kind == "n" or pd.isna(r.percent) else f" ({r.percent:.1f}%)"
                return f"{r.n}{pct}"
            if r.kind == "continuous":
                return f"{r.mean:.4g} ({r.sd:.4g})"
            return f"{r.median:.4g} [{r.q1:.4g}, {r.q3:.4g}]"

        s = self.summary
        text = s.assign(cell=[cell(r) for r in s.itertuples(index=False)])
        order = [OVERALL, *[str(g) for g in self.groups]] if self.group else [OVERALL]
        wide = text.pivot_table(
            index=["variable", "level"], columns="group", values="cell", aggfunc="first", sort=False
        )
        return wide.reindex(columns=[c for c in order if c in wide.columns])


def _categories(series: pd.Series) -> list[str]:
    if isinstance(series.dtype, pd.CategoricalDtype):
        return [str(c) for c in series.cat.categories]
    return sorted(str(v) for v in series.dropna().unique())


def _cat_smd(p1: np.ndarray, p2: np.ndarray) -> float:
    """Yang & Dalton (2012) SMD for a categorical variable from level proportions."""
    p1, p2 = p1[1:], p2[1:]  # drop the first level (the rest determine it)
    if len(p1) == 0:
        return 0.0
    cov = []
    for p in (p1, p2):
        c = -np.outer(p, p)
        c[np.diag_indices_from(c)] = p * (1 - p)
        cov.append(c)
    diff = p2 - p1
    value = float(diff @ np.linalg.pinv((cov[0] + cov[1]) / 2) @ diff)
    return float(np.sqrt(max(value, 0.0)))


def _cont_smd(x1: np.ndarray, x2: np.ndarray) -> float:
    if len(x1) < 2 or len(x2) < 2:
        return float("nan")
    pooled = np.sqrt((np.var(x1, ddof=1) + np.var(x2, ddof=1)) / 2)
    if pooled == 0:
        return 0.0 if np.mean(x1) == np.mean(x2) else float("inf")
    return float((np.mean(x2) - np.mean(x1)) / pooled)


def smd(x1: pd.Series, x2: pd.Series, *, categorical: bool | None = None) -> float:
    """Standardised mean difference between two samples (missing values left out).

    Continuous: ``(mean2 - mean1) / sqrt((sd1^2 + sd2^2) / 2)`` (SDs with ``ddof=1``).
    Categorical: Mahalanobis distance of the level proportions (first level dropped,
    generalised inverse of the averaged multinomial covariance), always >= 0.

    References
    ----------
    Yang D., Dalton J.E. "A unified approach to measuring the effect size between two
    groups using SAS". SAS Global Forum 2012, paper 335-2012.

    Examples
    --------
    >>> round(smd(pd.Series([1.0, 2, 3]), pd.Series([2.0, 3, 4])), 6)
    1.0
    """
    if categorical is None:
        categorical = not pd.api.types.is_numeric_dtype(x1) or pd.api.types.is_bool_dtype(x1)
    a, b = x1.dropna(), x2.dropna()
    if categorical:
        levels = sorted(set(map(str, a)) | set(map(str, b)))
        if len(a) == 0 or len(b) == 0:
            return float("nan")
        p1 = a.astype(str).value_counts(normalize=True).reindex(levels, fill_value=0.0)
        p2 = b.astype(str).value_counts(normalize=True).reindex(levels, fill_value=0.0)
        return _cat_smd(p1.to_numpy(float), p2.to_numpy(float))
    return _cont_smd(a.to_numpy(float), b.to_numpy(float))


def _check(data: pd.DataFrame, columns: Sequence[str], group: str | None) -> None:
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"data must be a DataFrame, got {type(data).__name__}")
    missing = [c for c in [*columns, *([group] if group else [])] if c not in data.columns]
    if missing:
        raise KeyError(f"columns not found: {missing}; available: {list(data.columns)}")
    if group in columns:
        raise ValueError(f"the grouping column {group!r} cannot also be a row variable")


def table_one(
    data: pd.DataFrame,
    *,
    columns: Sequence[str],
    group: str | None = None,
    categorical: Sequence[str] | None = None,
    nonnormal: Sequence[str] = (),
) -> TableOneResult:
    """Table 1: each variable summarised overall and by group, with missing counts and SMDs.

    Parameters
    ----------
    data : DataFrame
        One row per subject; never modified.
    columns : sequence of str
        Variables in display order.
    group : str, optional
        Grouping column.  Rows with a missing group are counted in ``"Overall"`` only and
        reported as a group named ``"Missing"`` so nothing is dropped silently.
    categorical : sequence of str, optional
        Variables summarised as counts; default: every non-numeric (or boolean) column.
    nonnormal : sequence of str, default=()
        Continuous variables summarised by median [Q1, Q3] rather than mean (SD).

    Returns
    -------
    TableOneResult
        ``summary`` has one row per variable x level x group (continuous: one level ``""``),
        with columns

        - ``variable`` (str): the column, or ``"n"`` for the group sizes row;
        - ``kind`` (str): ``"n"``, ``"categorical"``, ``"continuous"`` or ``"nonnormal"``;
        - ``level`` (str): category label, ``"Missing"`` for the missing count of a
          categorical variable, ``""`` otherwise;
        - ``group`` (str): group label or ``"Overall"``;
        - ``n`` (int): subjects in the level (categorical), with a value (continuous) or in
          the group (``"n"`` row);
        - ``n_group`` (int): subjects in the group;
        - ``n_missing`` (int): subjects of the group with the variable missing;
        - ``percent`` (float, %): ``n`` over the non-missing subjects of the group;
        - ``mean``, ``sd`` (``ddof=1``), ``median``, ``q1``, ``q3`` (float, the variable's
          unit): continuous variables only.

        ``smd`` holds the pairwise SMDs (see :func:`smd`).

    Notes
    -----
    Percentages use the non-missing subjects as denominator (as the R and Python
    ``tableone`` packages do); the missing count of a categorical variable is also a level
    (``"Missing"``) so that levels add up to the group size, which small-cell suppression
    relies on.  Quartiles use linear interpolation (``numpy`` default, R type 7).  This is
    written here rather than wrapping the ``tableone`` package because ``tableone``
    returns formatted strings, and report tables must stay numeric until small-cell
    suppression has been applied; the tests check the SMDs and summaries against
    ``tableone``.

    References
    ----------
    Yang D., Dalton J.E. SAS Global Forum 2012, paper 335-2012 (SMDs).
    Pollard T.J. et al. "tableone: An open source Python package for producing summary
    statistics for research papers". JAMIA Open 2018;1(1):26-31.

    Examples
    --------
    >>> df = pd.DataFrame({"age": [50.0, 60, 70, 65], "sex": ["f", "m", "f", None],
    ...                    "grade": ["G1", "G1", "G2", "G2"]})
    >>> t1 = table_one(df, columns=["age", "sex"], group="grade")
    >>> t1.summary.query("variable == 'sex' and group == 'G2'")[["level", "n", "n_missing"]]
          level  n  n_missing
    12        f  1          1
    13        m  0          1
    14  Missing  1          1
    """
    _check(data, columns, group)
    categorical = (
        list(categorical)
        if categorical is not None
        else [
            c
            for c in columns
            if not pd.api.types.is_numeric_dtype(data[c]) or pd.api.types.is_bool_dtype(data[c])
        ]
    )
    nonnormal = list(nonnormal)
    if group is None:
        groups: list[str] = []
        parts = [(OVERALL, data)]
    else:
        labels = data[group].astype("string")
        groups = _categories(data[group])
        if labels.isna().any():
            groups.append("Missing")
            labels = labels.fillna("Missing")
        parts = [(OVERALL, data)] + [(g, data[labels == g]) for g in groups]

    rows: list[dict[str, object]] = []
    for name, part in parts:
        rows.append(
            {
                "variable": "n",
                "kind": "n",
                "level": "",
                "group": name,
                "n": len(part),
                "n_group": len(part),
                "n_missing": 0,
            }
        )
    for col in columns:
        is_cat = col in categorical
        levels = _categories(data[col]) if is_cat else [""]
        for name, part in parts:
            values = part[col]
            n_missing = int(values.isna().sum())
            n_valid = len(part) - n_missing
            base = {"variable": col, "group": name, "n_group": len(part), "n_missing": n_missing}
            if is_cat:
                text = values.dropna().astype(str)
                for level in levels:
                    k = int((text == level).sum())
                    pct = 100.0 * k / n_valid if n_valid else float("nan")
                    rows.append(
                        base | {"kind": "categorical", "level": level, "n": k, "percent": pct}
                    )
                rows.append(base | {"kind": "categorical", "level": "Missing", "n": n_missing})
            else:
                x = values.dropna().to_numpy(float)
                stats = {
                    "mean": float("nan"),
                    "sd": float("nan"),
                    "median": float("nan"),
                    "q1": float("nan"),
                    "q3": float("nan"),
                }
                if len(x):
                    q1, med, q3 = np.percentile(x, [25, 50, 75])
                    stats = {
                        "mean": float(x.mean()),
                        "sd": float(x.std(ddof=1)) if len(x) > 1 else float("nan"),
                        "median": float(med),
                        "q1": float(q1),
                        "q3": float(q3),
                    }
                kind = "nonnormal" if col in nonnormal else "continuous"
                rows.append(base | {"kind": kind, "level": "", "n": n_valid} | stats)
    summary = pd.DataFrame(rows).reindex(columns=TABLE_ONE_COLUMNS)
    summary["n"] = summary["n"].astype(int)
    summary["n_group"] = summary["n_group"].astype(int)
    summary["n_missing"] = summary["n_missing"].astype(int)
    summary["level"] = summary["level"].astype(str)

    smd_rows = []
    compared = [g for g in groups if g != "Missing"]
    lookup = dict(parts)
    for col in columns:
        for g1, g2 in itertools.combinations(compared, 2):
            value = smd(lookup[g1][col], lookup[g2][col], categorical=col in categorical)
            smd_rows.append({"variable": col, "group_1": g1, "group_2": g2, "smd": value})
    smd_frame = pd.DataFrame(smd_rows, columns=["variable", "group_1", "group_2", "smd"])
    return TableOneResult(summary=summary, smd=smd_frame, group=group, groups=groups)


def data_completeness(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Completeness of every column of every table.

    Parameters
    ----------
    tables : dict of str to DataFrame
        Tables by name (e.g. ``Cohort.tables``).

    Returns
    -------
    DataFrame
        One row per table and column: ``table``, ``column``, ``n_rows``, ``n_present``,
        ``n_missing`` (counts) and ``percent_present`` (%, NaN for an empty table).

    Examples
    --------
    >>> data_completeness({"t": pd.DataFrame({"a": [1, None]})})
      table column  n_rows  n_present  n_missing  percent_present
    0     t      a       2          1          1             50.0
    """
    rows = []
    for name, frame in tables.items():
        for col in frame.columns:
            present = int(frame[col].notna().sum())
            rows.append(
                {
                    "table": name,
                    "column": col,
                    "n_rows": len(frame),
                    "n_present": present,
                    "n_missing": len(frame) - present,
                    "percent_present": 100.0 * present / len(frame) if len(frame) else np.nan,
                }
            )
    return pd.DataFrame(
        rows, columns=["table", "column", "n_rows", "n_present", "n_missing", "percent_present"]
    )


_SITE_ORDER = {"primary": 0}


def patient_characteristics(cohort: Any) -> pd.DataFrame:
    """One row per patient with the baseline characteristics a Table 1 shows.

    Parameters
    ----------
    cohort : Cohort
        A validated :class:`netstats.Cohort`; never modified.

    Returns
    -------
    DataFrame
        One row per patient, in the order of ``cohort.patients``:

        - ``patient_id``, ``sex``, ``primary_site``, ``functional_status``,
          ``hereditary_syndrome``, ``stage_at_diagnosis``: as in the patients table;
        - ``age_at_diagnosis`` (years): given, or from ``birth_date`` to
          ``diagnosis_date`` (days / 365.25);
        - ``who_grade`` (WHO 2019 grade) and ``ki67_percent`` (%) of the diagnostic
          specimen: the earliest specimen, a primary-site one first on the same date, then
          by ``sample_id``; missing when the patient has none;
        - ``first_line_regimen`` and ``first_line_class`` (drug class,
          :func:`netstats.vocab.drug_class`): line 1; ``"none"`` without a recorded line.

    Examples
    --------
    >>> import netstats
    >>> from netstats.tables import patient_characteristics, table_one
    >>> chars = patient_characteristics(netstats.simulate_cohort(n_patients=60, seed=1))
    >>> len(chars)
    60
    >>> t1 = table_one(chars, columns=["age_at_diagnosis", "who_grade"], group="sex")
    >>> t1.groups
    ['female', 'male']
    """
    from netstats.grading import grade_specimens
    from netstats.vocab import drug_class

    pts = cohort.patients
    out = pts[
        [
            "patient_id",
            "sex",
            "primary_site",
            "functional_status",
            "hereditary_syndrome",
            "stage_at_diagnosis",
        ]
    ].copy()
    age = pts["age_at_diagnosis"].astype(float)
    derived = (pts["diagnosis_date"] - pts["birth_date"]).dt.days / 365.25
    out.insert(1, "age_at_diagnosis", age.fillna(derived))

    path = cohort.pathology
    if len(path):
        graded = grade_specimens(path)[["sample_id", "who_grade"]]
        spec = path[["patient_id", "sample_id", "sample_date", "site", "ki67_percent"]].merge(
            graded, on="sample_id", how="left"
        )
        spec = spec.assign(_site=spec["site"].map(_SITE_ORDER).fillna(1))
        spec = spec.sort_values(["patient_id", "sample_date", "_site", "sample_id"])
        first = spec.drop_duplicates("patient_id")[["patient_id", "who_grade", "ki67_percent"]]
        out = out.merge(first, on="patient_id", how="left")
        out["who_grade"] = out["who_grade"].astype("string")
    else:
        out["who_grade"] = pd.array([pd.NA] * len(out), dtype="string")
        out["ki67_percent"] = np.nan

    lines = cohort.therapy_lines
    first_line = lines.loc[lines["line"] == 1, ["patient_id", "regimen"]].drop_duplicates(
        "patient_id"
    )
    out = out.merge(
        first_line.rename(columns={"regimen": "first_line_regimen"}), on="patient_id", how="left"
    )
    out["first_line_regimen"] = out["first_line_regimen"].astype("string").fillna("none")
    out["first_line_class"] = (
        out["first_line_regimen"]
        .map(lambda r: "none" if r == "none" else drug_class(str(r)))
        .astype("string")
    )
    return out

"""Shrout-Fleiss intraclass correlations of k >= 2 raters, from long or wide data."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from netstats._display import ResultDisplay, plural
from netstats.exceptions import SchemaError
from netstats.grading._continuous import _check_conf, _icc_table, _mean_squares

__all__ = ["ICCResult", "icc_raters"]

_MAX_EXAMPLES = 5


@dataclass(frozen=True, repr=False)
class ICCResult(ResultDisplay):
    """Result of :func:`icc_raters`.

    Attributes
    ----------
    summary : pandas.DataFrame
        Six rows, ``statistic`` in ICC1, ICC2, ICC3, ICC1k, ICC2k, ICC3k; columns
        ``description``, ``estimate``, ``f_statistic``, ``df1``, ``df2``, ``p_value``
        (H0: ICC = 0), ``ci_lower``, ``ci_upper``, ``conf_level``, ``n`` (subjects used),
        as :func:`netstats.grading.icc`.
    raters : tuple
        Rater labels (columns of the subject x rater table), in order.
    n_subjects : int
        Complete subjects used.
    n_dropped : int
        Subjects left out because a rating was missing (``missing="drop"``).
    dropped : tuple
        Labels of the subjects left out.
    conf_level : float
        CI level.

    Examples
    --------
    >>> import pandas as pd
    >>> from netstats.grading import icc_raters
    >>> wide = pd.DataFrame({"a": [9, 6, 8, 7, 10, 6], "b": [2, 1, 4, 1, 5, 2],
    ...                      "c": [5, 3, 6, 2, 6, 4], "d": [8, 2, 8, 6, 9, 7]})
    >>> res = icc_raters(wide)
    >>> res.method
    'Shrout-Fleiss ICCs (two-way ANOVA) of 4 raters on 6 subjects, F tests, 95% CIs'
    >>> res.summary[["statistic", "estimate", "ci_lower", "ci_upper"]].round(4)
      statistic  estimate  ci_lower  ci_upper
    0      ICC1    0.1657   -0.1329    0.7226
    1      ICC2    0.2898    0.0188    0.7611
    2      ICC3    0.7148    0.3425    0.9459
    3     ICC1k    0.4428   -0.8844    0.9124
    4     ICC2k    0.6201    0.0711    0.9272
    5     ICC3k    0.9093    0.6757    0.9859
    """

    summary: pd.DataFrame = field(repr=False)
    raters: tuple[object, ...]
    n_subjects: int
    n_dropped: int
    dropped: tuple[object, ...]
    conf_level: float

    @property
    def method(self) -> str:
        """One-line description (raters, subjects, tests, dropped subjects)."""
        left_out = ""
        if self.n_dropped:
            left_out = f"; {plural(self.n_dropped, 'incomplete subject')} left out"
        return (
            f"Shrout-Fleiss ICCs (two-way ANOVA) of {plural(len(self.raters), 'rater')} on "
            f"{plural(self.n_subjects, 'subject')}, F tests, {self.conf_level:.0%} CIs{left_out}"
        )

    def to_frame(self) -> pd.DataFrame:
        """Return a copy of :attr:`summary`."""
        return self.summary.copy()


def _need_column(data: pd.DataFrame, column: object, role: str) -> None:
    if not isinstance(column, str):
        raise TypeError(f"{role} must be a column name (str), got {type(column).__name__}")
    if column not in data.columns:
        raise SchemaError(
            f"{role} column {column!r} not found; available columns: {list(map(str, data.columns))}"
        )


def _numeric(frame: pd.DataFrame, columns: Sequence[object]) -> pd.DataFrame:
    """The rating columns as float; non-numeric or infinite ratings are refused."""
    problems = []
    out = {}
    for c in columns:
        raw = frame[c]
        if pd.api.types.is_bool_dtype(raw) or not pd.api.types.is_numeric_dtype(raw):
            problems.append(f"{c}: ratings must be numeric, got dtype {raw.dtype}")
            continue
        v = raw.astype(float)
        inf = np.isinf(v.to_numpy())
        if inf.any():
            problems.append(f"{c}: {int(inf.sum())} infinite ratings")
        out[c] = v
    if problems:
        raise SchemaError(
            f"{len(problems)} problem(s) in the ratings\n" + "\n".join(f"  - {p}" for p in problems)
        )
    return pd.DataFrame(out, index=frame.index)


def _from_long(data: pd.DataFrame, subject: str, rater: str, value: str) -> pd.DataFrame:
    for col, role in ((subject, "subject"), (rater, "rater"), (value, "value")):
        _need_column(data, col, role)
    for col, role in ((subject, "subject"), (rater, "rater")):
        miss = data[col].isna().to_numpy()
        if miss.any():
            rows = ", ".join(repr(r) for r in data.index[miss][:_MAX_EXAMPLES])
            raise SchemaError(f"{col}: {int(miss.sum())} missing {role} labels (rows {rows})")
    ratings = _numeric(data, [value])[value]
    dup = data.duplicated([subject, rater], keep=False).to_numpy()
    if dup.any():
        pairs = data.loc[dup, [subject, rater]].drop_duplicates().head(_MAX_EXAMPLES)
        shown = "; ".join(f"{s!r} x {r!r}" for s, r in pairs.itertuples(index=False))
        raise SchemaError(
            f"{int(dup.sum())} rows repeat a {subject} x {rater} cell ({shown}); "
            "each subject has at most one rating per rater"
        )
    frame = pd.DataFrame(
        {"s": data[subject].to_numpy(), "r": data[rater].to_numpy(), "v": ratings.to_numpy()}
    )
    return frame.pivot(index="s", columns="r", values="v").rename_axis(index=None, columns=None)


def _from_wide(
    data: pd.DataFrame, raters: Sequence[str] | None, subject: str | None
) -> pd.DataFrame:
    if subject is not None:
        _need_column(data, subject, "subject")
    if raters is None:
        raters = [c for c in data.columns if c != subject]
    elif isinstance(raters, str) or not isinstance(raters, Sequence):
        raise TypeError("raters must be a list of column names")
    repeated = sorted({str(c) for c in raters if list(raters).count(c) > 1})
    if repeated:
        raise SchemaError(f"rater column(s) listed more than once: {', '.join(repeated)}")
    if subject is not None and subject in raters:
        raise SchemaError(f"{subject!r} is the subject column and cannot also be a rater")
    for c in raters:
        if c not in data.columns:
            raise SchemaError(
                f"rater column {c!r} not found; available columns: {list(map(str, data.columns))}"
            )
    wide = _numeric(data, list(raters))
    if subject is not None:
        labels = data[subject]
        if labels.isna().any() or labels.duplicated().any():
            raise SchemaError(f"{subject}: subject labels must be unique and not missing")
        wide.index = pd.Index(labels.to_numpy())
    return wide


def icc_raters(
    data: pd.DataFrame,
    *,
    subject: str | None = None,
    rater: str | None = None,
    value: str | None = None,
    raters: Sequence[str] | None = None,
    missing: Literal["raise", "drop"] = "raise",
    conf_level: float = 0.95,
) -> ICCResult:
    """Shrout-Fleiss intraclass correlations (six forms) of k >= 2 raters, with F tests and CIs.

    Parameters
    ----------
    data : pandas.DataFrame
        Long (one row per subject x rater: give ``subject``, ``rater`` and ``value``) or
        wide (one row per subject, one column per rater: give ``raters``, or nothing to
        use every column but ``subject``). Not modified.
    subject : str or None, default=None
        Subject (tumour, specimen) label column; in wide data optional (labels the rows).
    rater : str or None, default=None
        Rater (pathologist, measurement) label column of long data.
    value : str or None, default=None
        Rating column of long data.
    raters : sequence of str or None, default=None
        Rating columns of wide data.
    missing : {"raise", "drop"}, default="raise"
        A subject without a rating from every rater (a missing cell, NaN or, in long data,
        an absent row) raises an error naming them; ``"drop"`` leaves such subjects out
        and reports them (``n_dropped``, ``dropped``), as ``psych::ICC(na.omit(x))``.
    conf_level : float, default=0.95
        Confidence level.

    Returns
    -------
    ICCResult
        ``summary``: the six ICCs with F statistics, p-values and CIs.

    Raises
    ------
    netstats.exceptions.SchemaError
        Missing columns, non-numeric or infinite ratings, repeated subject x rater cells,
        or (``missing="raise"``) incomplete subjects.
    ValueError
        Fewer than 2 raters or 3 complete subjects, no variation between subjects, or an
        invalid ``missing`` / ``conf_level``.

    Notes
    -----
    Two-way ANOVA of the complete n x k table: mean squares between subjects (MSB),
    raters (MSJ), residual (MSE) and within subjects (MSW). ICC1 = (MSB - MSW) /
    (MSB + (k - 1) MSW) (one-way random, each subject rated by different raters); ICC2 =
    (MSB - MSE) / (MSB + (k - 1) MSE + k (MSJ - MSE) / n) (two-way random, absolute
    agreement); ICC3 = (MSB - MSE) / (MSB + (k - 1) MSE) (two-way mixed, consistency);
    the ``k`` forms are for the mean of the k ratings. F tests and CIs as Shrout & Fleiss
    (1979) and McGraw & Wong (1996), ICC2's with Satterthwaite's approximate df: exactly
    ``psych::ICC(x, lmer = FALSE)``. psych itself stops on a missing rating in that mode
    (its default ``lmer = TRUE`` instead fits a mixed model to the available ratings,
    which this function does not do). As in psych, ICC2k can exceed 1 (and its CI be
    inverted) in degenerate tables where MSB < MSE. To compare raters pairwise use
    :func:`netstats.grading.icc` on two columns; for 2 raters both give the same table.

    References
    ----------
    Shrout PE, Fleiss JL. Psychol Bull 1979;86:420-428. McGraw KO, Wong SP. Psychol Methods
    1996;1:30-46.

    Examples
    --------
    >>> import pandas as pd
    >>> long = pd.DataFrame({"tumour": [1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4],
    ...                      "reader": list("abcabcabcab"),
    ...                      "ki67": [2.0, 2.5, 3.0, 10, 12, 9, 25, 30, 28, 5, 6]})
    >>> res = icc_raters(long, subject="tumour", rater="reader", value="ki67",
    ...                  missing="drop")
    >>> res.n_subjects, res.dropped
    (3, (4,))
    >>> res.summary["statistic"].tolist()[:3]
    ['ICC1', 'ICC2', 'ICC3']
    """
    conf = _check_conf(conf_level)
    if missing not in ("raise", "drop"):
        raise ValueError(f"missing must be 'raise' or 'drop', got {missing!r}")
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"data must be a pandas DataFrame, got {type(data).__name__}")
    if rater is not None or value is not None:
        if subject is None or rater is None or value is None:
            raise ValueError("long data needs subject, rater and value (all three)")
        if raters is not None:
            raise ValueError("give either raters (wide data) or rater and value (long data)")
        wide = _from_long(data, subject, rater, value)
    else:
        wide = _from_wide(data, raters, subject)
    k = wide.shape[1]
    if k < 2:
        raise ValueError(f"at least 2 raters are needed, got {k}")
    incomplete = wide.isna().any(axis=1).to_numpy()
    dropped = tuple(wide.index[incomplete])
    if incomplete.any() and missing == "raise":
        shown = "; ".join(
            f"subject {s!r}: " + ", ".join(map(str, wide.columns[wide.loc[s].isna().to_numpy()]))
            for s in dropped[:_MAX_EXAMPLES]
        )
        more = " ..." if len(dropped) > _MAX_EXAMPLES else ""
        raise SchemaError(
            f"{plural(len(dropped), 'subject')} lack a rating ({shown}{more}); every subject "
            "needs one rating per rater. Pass missing='drop' to leave them out "
            "(as psych::ICC(na.omit(x)))"
        )
    x = wide.to_numpy()[~incomplete]
    n = x.shape[0]
    if n < 3:
        raise ValueError(f"at least 3 complete subjects are needed, got {n}")
    msb, msj, mse, msw = _mean_squares(x)
    if msb == 0:
        raise ValueError("no variation between subjects; the ICC is undefined")
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        summary = _icc_table(x, msb, msj, mse, msw, conf)
    return ICCResult(
        summary=summary,
        raters=tuple(wide.columns),
        n_subjects=n,
        n_dropped=len(dropped),
        dropped=dropped,
        conf_level=conf,
    )

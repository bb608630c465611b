"""Publication layout of result tables: what a clinician reads, built from a tidy frame.

:func:`present` turns a result frame (numbers, codes, column names) into a
:class:`Presented` table of strings by convention:

- an estimate with ``ci_lower``/``ci_upper`` becomes one column ``"HR (95% CI)"`` reading
  ``"1.23 (1.15-1.31)"``; p-values go through :func:`~netstats.report.fmt_p`;
- a value that could not be estimated reads ``"NE"``; a count withheld by small-cell
  suppression reads ``"*"`` with the footnote "Withheld: fewer than k ...";
- columns with one value on every row (``conf_level 0.95``, ``conf_type log``) leave the
  body and are stated in the caption;
- headers and values take their reader's names from :mod:`netstats.labels`, model terms
  read "Drug class: SSA vs PRRT (reference)".

:meth:`Presented.to_html` renders it with Great Tables (self-contained HTML, no network
resources); :meth:`Presented.to_json` is the machine-readable form other exporters read.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from netstats import labels
from netstats.report._format import MISSING, SUPPRESSED, _is_missing, fmt_number, fmt_p

__all__ = ["MAX_SHOWN_ROWS", "PREVIEW_ROWS", "Presented", "present"]

#: Tables longer than this are shown as a preview with a link to their CSV.
MAX_SHOWN_ROWS = 40
#: Rows of the preview of a long table.
PREVIEW_ROWS = 10
#: An interval whose upper bound is this many times its lower bound is not informative
#: (separation, a factor level without events): shown as NE with a footnote.
MAX_CI_RATIO = 1e4

# estimate column -> short name of the estimate in the header
_ESTIMATES: dict[str, str] = {
    "hr": "HR",
    "odds_ratio": "OR",
    "survival": "Survival",
    "cif": "Cumulative incidence",
    "cumulative_incidence": "Cumulative incidence",
    "rmst": "RMST",
    "estimate": "Estimate",
}
_RATIO_ESTIMATES = {"hr", "odds_ratio"}
_P_COLUMNS = ("p_value", "p_adjusted", "p")
# Columns of model internals a publication table leaves to the CSV once the estimate and
# its interval are shown.
_INTERNALS = {"coef", "se", "robust_se", "z", "std_err", "log_hr", "variance_kind"}
# Bookkeeping columns of suppression.
_FLAGS = ("suppressed", "total_disclosive")
_IDENT_RE = re.compile(r"\b[A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)+\b")
_INDENT = "\u2003"
_BREAK = "\ue001"  # a line break inside a cell, while Great Tables escapes the text


@dataclass(frozen=True)
class Presented:
    """A table laid out for reading: strings only, with caption notes and footnotes.

    Attributes
    ----------
    frame : DataFrame
        The cells as strings, headers as reader's names.
    caption : str
        The caption, with the settings that were constant across rows appended.
    footnotes : list of str
        Notes under the table (withheld cells, not-estimable intervals, ...).
    n_rows : int
        Rows of the full table (``frame`` holds them all; :meth:`to_html` may preview).

    Examples
    --------
    >>> import pandas as pd
    >>> shown = present(pd.DataFrame({"group": ["1", "2"], "n": [12, None]}), threshold=5)
    >>> shown.frame.to_dict("list"), shown.footnotes
    ({'Group': ['1', '2'], 'n': ['12', '*']}, ['* Withheld: fewer than 5 patients or records (small-cell suppression).'])
    """

    frame: pd.DataFrame
    caption: str = ""
    footnotes: list[str] = field(default_factory=list)
    n_rows: int = 0

    def rows(self) -> list[list[str]]:
        """The body as a list of rows of strings."""
        return [[str(v) for v in row] for row in self.frame.itertuples(index=False)]

    def to_json(self, name: str, *, max_rows: int | None = None) -> dict[str, Any]:
        """The machine-readable table: name, caption, columns, rows, footnotes.

        Parameters
        ----------
        name : str
            Output name of the table.
        max_rows : int, optional
            Keep only the first rows (the preview of a long table).
        """
        rows = self.rows()
        if max_rows is not None:
            rows = rows[:max_rows]
        return {
            "name": name,
            "caption": self.caption,
            "columns": [str(c) for c in self.frame.columns],
            "rows": rows,
            "footnotes": list(self.footnotes),
            "n_rows": self.n_rows,
        }

    def to_html(
        self, *, table_id: str, title: str | None = None, max_rows: int | None = None
    ) -> str:
        """The table as self-contained HTML (Great Tables), footnotes as source notes.

        Parameters
        ----------
        table_id : str
            HTML id of the table (fixed, so re-renders are identical).
        title : str, optional
            Title above the table; the caption is the subtitle.
        max_rows : int, optional
            Show only the first rows.
        """
        import great_tables as gt

        frame = self.frame if max_rows is None else self.frame.head(max_rows)
        if not len(frame):
            import html as _html

            caption = _html.escape(title or self.caption)
            return f'<div id="{_html.escape(table_id)}"><p>{caption}: none.</p></div>'

        # Great Tables needs unique, non-empty column names; line breaks inside a cell
        # (e.g. the endpoint rules) stand in as a private-use character until the HTML is made.
        safe = frame.apply(
            lambda col: col.map(lambda v: v.replace("\n", _BREAK) if isinstance(v, str) else v)
        )
        safe.columns = [f"c{i}" for i in range(len(frame.columns))]
        table = gt.GT(safe, id=table_id)
        table = table.cols_label(**{f"c{i}": str(c) for i, c in enumerate(frame.columns)})
        if title or self.caption:
            table = table.tab_header(
                title=title or self.caption, subtitle=self.caption if title else None
            )
        for note in self.footnotes:
            table = table.tab_source_note(note)
        table = table.cols_align(align="left", columns=["c0"]).tab_options(
            table_font_size="14px",
            heading_align="left",
            heading_title_font_size="15px",
            heading_subtitle_font_size="13px",
            source_notes_font_size="12px",
            data_row_padding="3px",
            container_width="100%",
            table_margin_left="0",
        )
        # Cells may start with indentation (levels under their variable): keep it.
        html = table.as_raw_html()
        return html.replace(_INDENT, "&emsp;").replace(_BREAK, "<br>")


def _is_count(name: str, values: pd.Series) -> bool:
    key = str(name)
    return key in ("n", "count") or key.startswith("n_") or key.endswith("_n")


def _numeric(values: pd.Series) -> bool:
    """A numeric column (booleans are not numbers here), or one holding only missing values."""
    if pd.api.types.is_bool_dtype(values):
        return False
    return pd.api.types.is_numeric_dtype(values) or bool(values.isna().all())


def _decimals(values: pd.Series) -> int:
    finite = [abs(float(v)) for v in values if not _is_missing(v) and math.isfinite(float(v))]
    if not finite:
        return 1
    top = max(finite)
    if top < 1:
        return 3
    if top < 10:
        return 2
    return 1


def _constant(values: pd.Series) -> Any:
    """The one value of a column, or a sentinel when it has several (or none)."""
    seen = values.drop_duplicates()
    if len(seen) != 1:
        return _NOT_CONSTANT
    return seen.iloc[0]


_NOT_CONSTANT = object()


def _setting_text(name: str, value: Any) -> str | None:
    """How a constant column is stated in the caption (None: not worth saying)."""
    if _is_missing(value) or (isinstance(value, str) and not value.strip()):
        return None
    key = str(name)
    if key == "conf_type":
        return f"confidence intervals on the {_text('', value).lower()} scale"
    numeric = isinstance(value, int | float) and not isinstance(value, bool)
    if key == "q" and numeric:
        return None if float(value) == 0.5 else f"quantile {fmt_number(value, 2)}"
    if key == "conf_level" and numeric:
        return None  # stated in the header: "(95% CI)"
    if key in ("tau",):
        return None  # the caption names the horizon of a restricted mean
    if key == "n_events":
        return f"{_cell(key, value, digits=0)} events"
    if key == "n":
        return f"n = {_cell(key, value, digits=0)}"
    if key == "variance":
        return f"{value} variance"
    shown = _cell(key, value, digits=None)
    if _is_count(key, pd.Series()):
        return f"{labels.label(key)} = {shown}"
    return f"{labels.label(key)}: {shown}"


def _cell(name: str, value: Any, *, digits: int | None) -> str:
    if _is_missing(value):
        return MISSING
    if isinstance(value, bool) or type(value).__name__ == "bool_":
        return "Yes" if value else "No"
    if isinstance(value, int) or (
        isinstance(value, float) and float(value).is_integer() and _is_count(name, pd.Series())
    ):
        return f"{int(value)}"
    if isinstance(value, float) or type(value).__name__.startswith("float"):
        v = float(value)
        if not math.isfinite(v):
            return MISSING
        return fmt_number(v, digits if digits is not None else _decimals(pd.Series([v])))
    if type(value).__name__.startswith(("int", "uint")):
        return f"{int(value)}"
    return _text(name, value)


def _text(name: str, value: Any) -> str:
    raw = str(value)
    if _IDENT_RE.fullmatch(raw) and labels.known(raw):
        return labels.label(raw)  # a value that names a column (``n_missing``)
    text = labels.level_label(name, value) if name else raw
    if text == "nan" or text == "<NA>":
        return MISSING
    first = text.split(" ", 1)[0]
    if text[:1].islower() and not any(ch.isupper() for ch in first):
        text = text[0].upper() + text[1:]  # level values start with a capital
    # Any identifier left in free text reads as words.
    return _IDENT_RE.sub(lambda m: labels.readable(m.group(0)).lower(), text)


def _ci_header(short: str, level: Any) -> str:
    pct = "95%" if _is_missing(level) else f"{fmt_number(100 * float(level), 0)}%"
    if not _is_missing(level) and (100 * float(level)) % 1:
        pct = f"{fmt_number(100 * float(level), 1)}%"
    return f"{short} ({pct} CI)"


def present(
    frame: pd.DataFrame,
    *,
    caption: str = "",
    threshold: int | None = None,
    estimate: str | None = None,
    references: Mapping[str, str] | None = None,
    digits: Mapping[str, int] | None = None,
    drop: Sequence[str] = (),
    footnotes: Sequence[str] = (),
    max_ci_ratio: float = MAX_CI_RATIO,
    verbatim: Sequence[str] = (),
) -> Presented:
    """Lay a result frame out for publication.

    Parameters
    ----------
    frame : DataFrame
        A tidy result table (numbers, codes, column names); never modified.
    caption : str, default=""
        The caption; settings constant across rows are appended.
    threshold : int, optional
        The small-cell suppression threshold, named in the footnote of withheld cells.
    estimate : str, optional
        Short name of the estimate in the interval header (``"Median"``, ``"HR"``);
        inferred from the columns otherwise (``hr`` -> HR, ``q`` 0.5 -> Median, ...).
    references : mapping, optional
        Factor -> reference level, named in model terms ("... vs PRRT (reference)").
    digits : mapping, optional
        Decimals by column (default: 3 below 1, 2 below 10, else 1; ratios 2).
    drop : sequence of str, default=()
        Further columns to leave out of the body (they stay in the CSV).
    footnotes : sequence of str, default=()
        Further footnotes.
    max_ci_ratio : float, default=1e4
        An interval whose upper bound exceeds its lower bound this many times is shown as
        ``"NE"`` with a footnote (separation or a level without events).
    verbatim : sequence of str, default=()
        Text columns shown exactly as they are (no level labels), such as file names.

    Returns
    -------
    Presented

    Examples
    --------
    >>> import pandas as pd
    >>> medians = pd.DataFrame({"group": ["1", "2"], "q": 0.5, "estimate": [20.71, 12.2],
    ...                         "ci_lower": [17.8, 9.2], "ci_upper": [23.7, 16.6],
    ...                         "conf_level": 0.95, "conf_type": "log"})
    >>> shown = present(medians, caption="Median PFS (months)")
    >>> shown.frame.to_dict("list")
    {'Group': ['1', '2'], 'Median (95% CI)': ['20.7 (17.8–23.7)', '12.2 (9.2–16.6)']}
    >>> shown.caption
    'Median PFS (months); confidence intervals on the log scale'
    """
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"frame must be a DataFrame, got {type(frame).__name__}")
    lay = _Layout(frame, references=references, digits=dict(digits or {}))
    lay.caption = [caption] if caption else []
    lay.caption += list(frame.attrs.get("caption_notes", []))
    lay.factors()
    lay.methods()
    lay.interval(estimate, max_ci_ratio)
    lay.drop_redundant(drop)
    lay.constants()
    body = lay.cells(set(verbatim))
    if lay.withheld:
        whom = f"fewer than {threshold} patients or records" if threshold else "a small count"
        lay.notes.insert(0, f"{SUPPRESSED} Withheld: {whom} (small-cell suppression).")
    return Presented(
        frame=body,
        caption="; ".join(p for p in lay.caption if p),
        footnotes=[*lay.notes, *frame.attrs.get("footnotes", []), *footnotes],
        n_rows=len(body),
    )


class _Layout:
    """The steps of :func:`present`, sharing the frame being laid out."""

    def __init__(
        self, frame: pd.DataFrame, *, references: Mapping[str, str] | None, digits: dict
    ) -> None:
        data = frame.reset_index(drop=True)
        data = data.loc[:, ~data.columns.duplicated()]
        data.columns = [str(c) for c in data.columns]
        self.data = data
        self.references = references
        self.digits = digits
        self.notes: list[str] = []
        self.caption: list[str] = []
        self.withheld = False
        self.est_col: str | None = None
        self.header = ""
        none = pd.Series(False, index=data.index)
        self.reference_rows = none.copy()
        # rows flagged by suppression: their missing cells are withheld, not "not estimable"
        self.flagged = none.copy()
        if "suppressed" in data.columns:
            self.flagged = (
                data["suppressed"].map(lambda v: False if _is_missing(v) else bool(v)).astype(bool)
            )

    @property
    def cols(self) -> list[str]:
        return list(self.data.columns)

    def factors(self) -> None:
        """One-hot factors: name the reference level, "1 (reference)" on its row."""
        if not ({"factor", "level", "reference", "term"} <= set(self.cols)):
            return
        terms = []
        for i, rec in enumerate(self.data.itertuples(index=False)):
            factor = rec.factor
            if _is_missing(factor) or not str(factor):
                terms.append(_term(rec.term, self.references))
                continue
            lvl = labels.level_label(factor, rec.level)
            name = labels.label(str(factor), unit=False)
            if str(rec.level) == str(rec.reference):
                terms.append(f"{name}: {lvl} (reference)")
                self.reference_rows.iloc[i] = True
            else:
                terms.append(f"{name}: {lvl} vs {labels.level_label(factor, rec.reference)}")
        self.data["term"] = terms
        self.data = self.data.drop(columns=["factor", "level", "reference"])
        self.references = None

    def methods(self) -> None:
        """The usual method into the caption; rows with another one get a footnote."""
        if "method" not in self.cols or len(self.data) < 2:
            return
        methods = self.data["method"].astype(str)
        usual = methods[~self.reference_rows].mode()
        usual_text = str(usual.iloc[0]) if len(usual) else ""
        for i, m in enumerate(methods):
            if m not in (usual_text, "reference"):
                row = (
                    _text("term", self.data["term"].iloc[i])
                    if "term" in self.cols
                    else f"Row {i + 1}"
                )
                self.notes.append(f"{row}: {m}.")
        if usual_text:
            self.caption.append(usual_text[0].upper() + usual_text[1:])
        self.data = self.data.drop(columns="method")

    def interval(self, estimate: str | None, max_ci_ratio: float) -> None:
        """The estimate and its interval as one column."""
        data, cols = self.data, self.cols
        self.est_col = next(
            (
                c
                for c in _ESTIMATES
                if c in cols
                and "ci_lower" in cols
                and "ci_upper" in cols
                and all(_numeric(data[k]) for k in (c, "ci_lower", "ci_upper"))
            ),
            None,
        )
        if self.est_col is None:
            return
        est_col = self.est_col
        level = data["conf_level"].iloc[0] if "conf_level" in cols and len(data) else None
        short = estimate or _infer_estimate(data, est_col)
        self.header = _ci_header(short, level)
        ratio = est_col in _RATIO_ESTIMATES or short in ("HR", "OR")
        k = self.digits.get(est_col, 2 if ratio else _decimals(data[est_col]))
        ratio_rows = (
            data["contrast"].astype(str).eq("ratio")
            if "contrast" in cols
            else pd.Series(False, index=data.index)
        )
        texts, absurd = [], False
        for i, (e, lo, hi) in enumerate(
            zip(data[est_col], data["ci_lower"], data["ci_upper"], strict=True)
        ):
            text = _interval_text(
                e,
                lo,
                hi,
                digits=2 if bool(ratio_rows.iloc[i]) else k,
                reference=bool(self.reference_rows.iloc[i]),
                withheld=bool(self.flagged.iloc[i]),
                max_ratio=max_ci_ratio if ratio else None,
            )
            absurd |= text.endswith("(NE)")
            texts.append(text)
        data = data.assign(**{est_col: texts}).drop(columns=["ci_lower", "ci_upper"])
        internals = _INTERNALS | ({"estimate"} if est_col != "estimate" else set())
        self.data = data.drop(columns=[c for c in internals if c in data.columns])
        if absurd:
            self.notes.append(
                "NE: the interval is not estimable (it spans more than "
                f"{max_ci_ratio:.0e}-fold, as under separation or a level without events)."
            )

    def drop_redundant(self, drop: Sequence[str]) -> None:
        """Suppression flags, columns asked for, formatted copies (``p``, ``*_ci``)."""
        gone = [c for c in (*_FLAGS, *drop) if c in self.cols]
        gone += [
            c
            for c in self.cols
            if (c == "p" and "p_value" in self.cols) or (c.endswith("_ci") and self.est_col)
        ]
        self.data = self.data.drop(columns=sorted(set(gone)))

    def constants(self) -> None:
        """Columns with one value on every row: into the caption."""
        if len(self.data) < 2:
            self.data = self.data.drop(columns=[c for c in ("conf_level", "q") if c in self.cols])
            return
        for c in self.cols:
            if c == self.est_col or len(self.cols) <= 2:
                continue
            value = _constant(self.data[c])
            if value is _NOT_CONSTANT or _is_missing(value):
                continue  # a column withheld on every row stays, with its marker
            text = _setting_text(c, value)
            if text:
                self.caption.append(text)
            self.data = self.data.drop(columns=c)

    def cells(self, verbatim: set[str]) -> pd.DataFrame:
        """Every remaining column as strings, under its reader's header."""
        out: dict[str, list[str]] = {}
        for c in self.cols:
            values = self.data[c]
            if c == self.est_col:
                out[self.header] = [str(v) for v in values]
                self.withheld |= any(str(v) == SUPPRESSED for v in values)
                continue
            count = _is_count(c, values) or pd.api.types.is_integer_dtype(values)
            k = self.digits.get(c)
            if k is None and pd.api.types.is_float_dtype(values) and not count:
                finite = values.dropna()
                whole = len(finite) and bool(((finite % 1) == 0).all())
                k = 0 if whole and c not in _P_COLUMNS else _decimals(values)
            shown = []
            for i, v in enumerate(values):
                withheld = (isinstance(v, str) and v == SUPPRESSED) or (
                    _is_missing(v) and (count or bool(self.flagged.iloc[i]))
                )
                self.withheld |= withheld
                shown.append(
                    SUPPRESSED
                    if withheld
                    else _value(
                        c,
                        v,
                        count=count,
                        digits=k,
                        verbatim=c in verbatim,
                        references=self.references,
                    )
                )
            out[_header(c)] = shown
        return pd.DataFrame(out, index=range(len(self.data)))


def _interval_text(
    e: Any,
    lo: Any,
    hi: Any,
    *,
    digits: int,
    reference: bool,
    withheld: bool,
    max_ratio: float | None,
) -> str:
    from netstats.report._format import fmt_estimate_ci

    if reference:
        return "1 (reference)"
    if _is_missing(e):
        return SUPPRESSED if withheld else MISSING
    if (
        max_ratio is not None
        and not _is_missing(lo)
        and not _is_missing(hi)
        and (float(lo) <= 0 or float(hi) / float(lo) > max_ratio)
    ):
        return f"{fmt_number(e, digits)} (NE)"
    return fmt_estimate_ci(e, lo, hi, digits=digits)


def _value(
    c: str,
    v: Any,
    *,
    count: bool,
    digits: int | None,
    verbatim: bool,
    references: Mapping[str, str] | None,
) -> str:
    """One cell of a column that is not the interval (withheld cells handled before)."""
    if c in _P_COLUMNS and not isinstance(v, str):
        return fmt_p(v) if _is_missing(v) or 0 <= float(v) <= 1 else MISSING
    if c == "term":
        plain = references is None and "[" not in str(v) and "_" not in str(v)
        return _text("", v) if plain else _term(v, references)
    if c in ("column", "variable") and isinstance(v, str):
        return labels.label(v)
    if verbatim and isinstance(v, str):
        return " ".join(v.split())
    if count and not _is_missing(v) and not isinstance(v, str):
        return f"{int(v)}"
    return _cell(c, v, digits=digits)


def _infer_estimate(data: pd.DataFrame, est_col: str) -> str:
    if est_col != "estimate":
        return _ESTIMATES[est_col]
    if "q" in data.columns and len(data) and (data["q"] == 0.5).all():
        return "Median"
    if "tau" in data.columns:
        return "RMST"
    if "statistic" in data.columns and data["statistic"].nunique() > 1:
        return "Estimate"
    return "Estimate"


def _header(name: str) -> str:
    if name in _P_COLUMNS:
        return "p"
    text = labels.label(name)
    return _IDENT_RE.sub(lambda m: labels.readable(m.group(0)), text)


def _term(value: Any, references: Mapping[str, str] | None) -> str:
    if _is_missing(value):
        return MISSING
    text = str(value)
    if text == "intercept":
        return "Intercept"
    shown = labels.term_label(text, reference=dict(references or {}) or None)
    return _IDENT_RE.sub(lambda m: labels.readable(m.group(0)).lower(), shown)

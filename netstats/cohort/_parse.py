"""Turning a raw table (text cells, or whatever a file format gave) into canonical dtypes.

Every cell that cannot be read is recorded in the :class:`ProblemLog` with its source row,
column, value and rule; it becomes missing in the output, and the error stops the cohort
from loading, so nothing is lost silently.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
import warnings
from decimal import Decimal, InvalidOperation

import numpy as np
import pandas as pd

from netstats import vocab
from netstats.cohort._flags import DELIMITED, FlaggedCell
from netstats.cohort._problems import ProblemLog, Severity
from netstats.schema import Column, TableSpec

MISSING_TOKENS = frozenset({"", "na", "n/a", "nan", "null", "nat", ".", "#n/a", "missing"})
"""Cell texts read as missing (case-insensitive). "none" is not one: it is a vocabulary value
(hereditary_syndrome)."""

MAX_EXACT_INT = 2.0**53
"""Largest whole number a float holds exactly; larger counts are refused, not wrapped."""

_INVISIBLE = (
    "[\x00-\x1f\x7f-\x9f\xad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e"
    "\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb"
    "\U000110bd\U000110cd\U00013430-\U00013438\U0001bca0-\U0001bca3\U0001d173-\U0001d17a"
    "\U000e0001\U000e0020-\U000e007f]"
)
"""Control (C0, C1) and formatting (zero-width, bidirectional, ...) characters, Unicode
categories Cc and Cf: never part of an identifier, and invisible when the cell is shown."""

_UNKNOWN_WORDS = frozenset({"unknown", "unk", "not known", "unbekannt", "inconnu", "?"})

_TRUE = frozenset({"true", "t", "yes", "y", "1", "positive", "pos"})
_FALSE = frozenset({"false", "f", "no", "n", "0", "negative", "neg"})


def normalize_header(name: object) -> str:
    """Canonical form of a header: stripped, lower case, blanks and hyphens to underscores."""
    text = str(name).replace("\ufeff", "").strip().lower()
    return re.sub(r"[\s\-]+", "_", text)


def _is_missing(series: pd.Series) -> pd.Series:
    """Missing cells: NA, or text that is blank or a conventional missing token."""
    na = series.isna().to_numpy()
    present = np.flatnonzero(~na)
    if len(present):
        # each distinct text is stripped and looked up once (columns repeat their values)
        codes, uniques = pd.factorize(series.iloc[present].astype(str))
        token = np.array([u.strip().lower() in MISSING_TOKENS for u in uniques], dtype=bool)
        na[present] = token[codes]
    return pd.Series(na, index=series.index, name=series.name)


def _source_rows(index: pd.Index, row_offset: int) -> np.ndarray:
    return np.asarray(index, dtype=np.int64) + row_offset


def _parse_dates(
    raw: pd.Series, missing: pd.Series, date_format: str | None
) -> tuple[pd.Series, pd.Series]:
    out = pd.Series(pd.NaT, index=raw.index, dtype="datetime64[ns]")
    present = raw[~missing]
    if present.empty:
        return out, pd.Series(False, index=raw.index)
    if pd.api.types.is_datetime64_any_dtype(present):
        parsed = (
            pd.to_datetime(present).dt.tz_localize(None)
            if getattr(present.dt, "tz", None)
            else pd.to_datetime(present)
        )
    else:
        text = present.map(lambda v: v.isoformat() if hasattr(v, "isoformat") else str(v).strip())
        fmt = date_format or "ISO8601"
        if date_format is None:
            # A calendar date is the day as written: "2015-06-02T23:30:00-05:00" is
            # 2015-06-02 whatever the other cells' offsets are (never converted to UTC).
            text = text.str.replace(_ISO_OFFSET, r"\1", regex=True)
        parsed = _to_datetime(text, fmt)
        if date_format is None:
            # ISO 8601 allows reduced precision ("2015", "2015-06"); a cohort date must be a
            # day, so a partial date is not silently moved to the first of the month.
            parsed = parsed.where(~text.str.fullmatch(_PARTIAL_DATE).fillna(False).astype(bool))
    if getattr(parsed.dt, "tz", None) is not None:
        parsed = parsed.dt.tz_localize(None)
    parsed = parsed.dt.normalize().astype("datetime64[ns]")
    out.loc[present.index] = parsed
    bad = pd.Series(False, index=raw.index)
    bad.loc[present.index] = parsed.isna().to_numpy()
    return out, bad


_PARTIAL_DATE = r"[+-]?\d{4}(-\d{1,2})?"
_ISO_OFFSET = re.compile(
    r"^(\d{4}-\d{2}-\d{2}[T ]\d{2}(?::?\d{2}(?::?\d{2}(?:[.,]\d+)?)?)?)\s*(?:Z|[+-]\d{2}(?::?\d{2})?)$"
)
_EXCEL_SERIAL = re.compile(r"\d{5}(\.0+)?")
_DAY_FIRST = re.compile(r"\d{1,2}[./-]\d{1,2}[./-]\d{4}")


def _to_datetime(text: pd.Series, fmt: str) -> pd.Series:
    """Parse text dates; unreadable cells (also out-of-bounds years) become NaT."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            parsed = pd.to_datetime(text, format=fmt, errors="coerce")
        except (ValueError, TypeError, OverflowError):
            # Mixed time zones and other whole-column failures: parse cell by cell.
            def one(value: str) -> object:
                try:
                    stamp = pd.to_datetime(value, format=fmt, errors="coerce")
                except (ValueError, TypeError, OverflowError):
                    return pd.NaT
                if not isinstance(stamp, pd.Timestamp):
                    return pd.NaT
                return stamp.tz_localize(None) if stamp.tzinfo is not None else stamp

            parsed = pd.to_datetime(text.map(one), errors="coerce")
    if not pd.api.types.is_datetime64_any_dtype(parsed):
        # Cells with different offsets: each keeps its own wall-clock day (no UTC shift).
        parsed = pd.to_datetime(parsed.map(_wall_time), errors="coerce")
    return parsed


def _wall_time(value: object) -> object:
    """A time stamp's local date and time as written, its offset dropped."""
    if isinstance(value, pd.Timestamp | dt.datetime):
        stamp = pd.Timestamp(value)
        return stamp.tz_localize(None) if stamp.tzinfo is not None else stamp
    return pd.NaT


def date_hint(value: object) -> str:
    """A hint for a common unreadable date: partial, Excel serial number or day-first.

    The hint depends only on the kind of mistake, not on the value, so that the summary
    groups many such cells into one line.
    """
    text = str(value).strip()
    if re.fullmatch(_PARTIAL_DATE, text):
        return "; it is a partial date (year or year-month): give the full day"
    if _EXCEL_SERIAL.fullmatch(text):
        return (
            "; it looks like an Excel serial day number (days since 1899-12-30): format the "
            "column as dates before exporting"
        )
    if _DAY_FIRST.fullmatch(text):
        return "; if the column is written day first, pass date_format='%d/%m/%Y'"
    return ""


def _text_to_float(text: pd.Series) -> pd.Series:
    """Correctly rounded text-to-float conversion (``repr`` round-trips exactly).

    ``pd.to_numeric`` uses a faster parser that can be off by one unit in the last place,
    so a saved cohort would not load back bit for bit; NumPy's conversion follows Python's
    ``float``.  Unreadable cells become NaN.
    """
    try:
        return pd.Series(text.to_numpy(dtype=str).astype("float64"), index=text.index)
    except ValueError:

        def one(value: str) -> float:
            try:
                return float(value)
            except ValueError:
                return np.nan

        return text.map(one).astype("float64")


_CENSORED = re.compile(r"(<=|>=|[<>\u2264\u2265])\s*[+-]?\d+([.,]\d+)?\s*%?")
_DECIMAL_COMMA = re.compile(r"[+-]?\d+,\d+")
_THOUSANDS = re.compile(r"[+-]?\d{1,3}(,\d{3})+")
_THOUSANDS_POINT = re.compile(r"[+-]?[0-9]{1,3}(\.[0-9]{3})+")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
"""The only number syntax read as written: ASCII digits, one decimal point, an exponent.
Python's ``float`` also takes "1_5" (as 15) and non-ASCII digits; a cohort cell does not."""

_NOT_FINITE = "is not a finite number"
_NOT_WHOLE = "is not a whole number"
_TOO_LARGE = f"is too large for a whole number (limit {MAX_EXACT_INT:.0f})"


def _read_number(text: str, *, percent: bool) -> tuple[float | None, str, str]:
    """Read a number that plain ``float`` refused: ``(value, rule, message)``.

    ``value`` is None when the text stays unreadable.  Documented normalisations (rule
    ``normalised``, a warning): a trailing percent sign in a column measured in percent,
    and a decimal comma ("5,2").  A bound such as "<1" is not a measurement (rule
    ``censored_value``); "1,000" is ambiguous (decimal comma or thousands separator).
    """
    if _CENSORED.fullmatch(text):
        return (
            None,
            "censored_value",
            "is a bound, not a measured value; enter the measured value, or leave the cell "
            "blank and record the bound elsewhere",
        )
    notes = []
    body = text
    if percent and body.endswith("%"):
        body = body[:-1].rstrip()
        notes.append("percent sign removed")
    if _DECIMAL_COMMA.fullmatch(body):
        if _THOUSANDS.fullmatch(body):
            return (
                None,
                "type",
                "is ambiguous: a comma may be a decimal comma or a thousands separator; "
                "write the number with a decimal point and no separators",
            )
        body = body.replace(",", ".")
        notes.append("decimal comma read as a decimal point")
    if not notes or not _PLAIN_NUMBER.fullmatch(body):
        return None, "type", _NOT_FINITE
    value = float(body)
    if not np.isfinite(value):
        return None, "type", _NOT_FINITE
    return value, "normalised", f"read as a number ({'; '.join(notes)})"


def _whole_number_note(text: str) -> str | None:
    """Why the text of a cell in a whole-number column is not an exact whole number.

    Decided on the text itself, not on its float: "1.0000000000000001" is not whole and
    "9007199254740993" (2^53 + 1) has no exact float, although both round to one.
    """
    if _THOUSANDS_POINT.fullmatch(text):
        return (
            "is ambiguous in a whole-number column: the point may be a thousands separator "
            "(1.000 = 1000) or a decimal point; write the number without separators"
        )
    if not _PLAIN_NUMBER.fullmatch(text):
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:  # pragma: no cover - the pattern admits only valid numbers
        return None
    if not number.is_finite():
        return None
    if number != number.to_integral_value():
        return _NOT_WHOLE
    if abs(number) > Decimal(int(MAX_EXACT_INT)):
        return _TOO_LARGE
    return None


def _parse_numbers(
    raw: pd.Series, missing: pd.Series, *, percent: bool = False, whole: bool = False
) -> tuple[pd.Series, pd.Series, list[tuple[object, str, str, object]]]:
    """Numbers from cells; returns values, unreadable mask and per-cell notes.

    Notes are ``(index, rule, message, raw value)`` for normalised and specially
    explained cells; cells flagged in the mask without a note are plain type errors.
    ``whole``: the column holds whole numbers (checked exactly on the text).
    """
    out = pd.Series(np.nan, index=raw.index, dtype="float64")
    present = raw[~missing]
    notes: list[tuple[object, str, str, object]] = []
    if present.dtype == bool or pd.api.types.is_bool_dtype(present):
        present = present.astype(float)
    if pd.api.types.is_integer_dtype(present):
        # A typed integer beyond 2^53 has no exact float: refused before conversion.
        limit = int(MAX_EXACT_INT)
        big = (present > limit) | (present < -limit)
        values = present.astype("float64").where(~big)
        notes.extend((idx, "type", _TOO_LARGE, raw.loc[idx]) for idx in present.index[big])
    elif pd.api.types.is_numeric_dtype(present):
        values = present.astype("float64")
    else:
        text = present.map(lambda v: v if isinstance(v, str) else _cell_text(v)).str.strip()
        values = _text_to_float(text)
        values = values.where(text.str.fullmatch(_PLAIN_NUMBER).fillna(False).astype(bool))
        for idx in values.index[values.isna().to_numpy()]:
            value, rule, message = _read_number(text.loc[idx], percent=percent)
            if value is not None:
                values.loc[idx] = value
            if rule != "type" or message != _NOT_FINITE:
                notes.append((idx, rule, message, raw.loc[idx]))
        if whole:
            # With at most 15 digits the float decides exactly whether a number is whole
            # (and the range checks below see its true size); longer texts and thousands
            # points are judged on the text, one by one.
            points = text.str.fullmatch(_THOUSANDS_POINT).fillna(False).astype(bool)
            long = (text.str.count(r"[0-9]") > 15) & values.notna()
            looked = text.index[(points | long).to_numpy(dtype=bool)]
            refused = []
            for idx, cell, original in zip(
                looked, text.loc[looked].tolist(), raw.loc[looked].tolist(), strict=True
            ):
                note = _whole_number_note(cell)
                if note is not None:
                    refused.append(idx)
                    notes.append((idx, "type", note, original))
            values.loc[refused] = np.nan
    bad = pd.Series(False, index=raw.index)
    bad.loc[present.index] = (values.isna() | np.isinf(values)).to_numpy()
    out.loc[present.index] = values.where(~np.isinf(values))
    return out, bad, notes


def _cell_text(value: object) -> str:
    """Text of a non-string cell from a typed format (numbers, dates, bytes)."""
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return str(value)


def _parse_bools(raw: pd.Series, missing: pd.Series) -> tuple[pd.Series, pd.Series]:
    out = pd.Series(pd.NA, index=raw.index, dtype="boolean")
    present = raw[~missing]
    text = present.astype(str).str.strip().str.lower().str.replace(r"\.0$", "", regex=True)
    is_true = text.isin(_TRUE)
    is_false = text.isin(_FALSE)
    out.loc[present.index[is_true.to_numpy()]] = True
    out.loc[present.index[is_false.to_numpy()]] = False
    bad = pd.Series(False, index=raw.index)
    bad.loc[present.index] = (~(is_true | is_false)).to_numpy()
    return out, bad


def _parse_strings(raw: pd.Series, missing: pd.Series) -> pd.Series:
    out = pd.Series(pd.NA, index=raw.index, dtype="string")
    present = raw[~missing]

    def text(v: object) -> str:
        # Numbers read by a typed format keep their written form (1.0 -> "1").
        if isinstance(v, float | np.floating) and float(v).is_integer():
            return str(int(v))
        return str(v).strip()

    out.loc[present.index] = present.map(text).astype("string")
    return out


def _parse_column(
    raw: pd.Series,
    col: Column,
    spec: TableSpec,
    problems: ProblemLog,
    *,
    date_format: str | None,
    row_offset: int,
) -> pd.Series:
    rows = _source_rows(raw.index, row_offset)
    flagged = raw.map(lambda v: isinstance(v, FlaggedCell)) if raw.dtype == object else None
    if flagged is not None and flagged.any():
        # Cells the reader could not read (Excel errors, formulas without a value, merged
        # cells): reported with their own rule, then missing like any unreadable cell.
        for pos in np.flatnonzero(flagged.to_numpy()):
            cell: FlaggedCell = raw.iloc[pos]
            problems.add(
                spec.name, col.name, cell.rule, cell.message, row=int(rows[pos]), value=cell.value
            )
        raw = raw.where(~flagged, None)
    missing = _is_missing(raw)

    def report(bad: pd.Series, rule: str, message: str) -> None:
        mask = bad.to_numpy()
        problems.add_cells(spec.name, col.name, rule, message, rows[mask], raw[mask].tolist())

    if col.type == "date":
        fmt = date_format or "ISO 8601 (YYYY-MM-DD)"
        out, bad = _parse_dates(raw, missing, date_format)
        positions = np.flatnonzero(bad.to_numpy())
        for pos in positions:
            value = raw.iloc[pos]
            hint = date_hint(value) if date_format is None else ""
            problems.add(
                spec.name,
                col.name,
                "date_format",
                f"cannot be read as a date in format {fmt}{hint}",
                row=int(rows[pos]),
                value=value,
            )
    elif col.type in ("float", "int"):
        out, bad, notes = _parse_numbers(
            raw, missing, percent=col.unit == "%", whole=col.type == "int"
        )
        noted_index = []
        position = {idx: pos for pos, idx in enumerate(raw.index)}
        for idx, rule, message, value in notes:
            severity: Severity = "warning" if rule == "normalised" else "error"
            problems.add(
                spec.name,
                col.name,
                rule,
                message,
                row=int(rows[position[idx]]),
                value=value,
                severity=severity,
            )
            noted_index.append(idx)
        noted = pd.Series(raw.index.isin(noted_index), index=raw.index)
        report(bad & ~noted, "type", _NOT_FINITE)
        if col.type == "int":
            fractional = out.notna() & (out % 1 != 0)
            report(fractional, "type", _NOT_WHOLE)
            huge = out.notna() & ~fractional & (out.abs() > MAX_EXACT_INT)
            report(huge, "type", _TOO_LARGE)
            out = out.where(~(fractional | huge)).round().astype("Int64")
    elif col.type == "bool":
        out, bad = _parse_bools(raw, missing)
        report(bad, "type", "is not true/false (accepted: true/false, yes/no, 1/0)")
    else:
        out = _parse_strings(raw, missing)
        if col.type == "string":
            hidden = out.fillna("").str.contains(_INVISIBLE, regex=True).astype(bool)
            report(
                hidden,
                "control_character",
                "contains an invisible control or formatting character (escaped in the "
                "value); a Windows-1252 file read as Latin-1 gives these: save the file as "
                "UTF-8 and check the identifier",
            )
            out = out.where(~hidden)
        if col.type == "category" and col.vocabulary is not None:
            out = _normalize_category(out, raw, col, spec, problems, rows)
    return out


def _normalize_category(
    values: pd.Series,
    raw: pd.Series,
    col: Column,
    spec: TableSpec,
    problems: ProblemLog,
    rows: np.ndarray,
) -> pd.Series:
    voc = vocab.VOCABULARIES[col.vocabulary]  # type: ignore[index]
    present = values.dropna()
    mapping: dict[str, str | None] = {}
    for value in present.unique():
        if col.vocabulary == "regimen":
            mapping[value] = vocab.normalize_regimen(value)[0]
        else:
            mapping[value] = voc.normalize(value)
    canonical = present.map(mapping)
    out = pd.Series(pd.NA, index=values.index, dtype="string")
    out.loc[canonical.index] = canonical.astype("string")
    unknown = canonical[canonical.isna()]
    positions = values.index.get_indexer(unknown.index)
    for pos, (idx, value) in zip(positions, present.loc[unknown.index].items(), strict=True):
        del idx
        if col.vocabulary == "regimen":
            parts = vocab.normalize_regimen(value)[1]
            hints = [(p, voc.suggest(p)) for p in parts]
            hint = "; ".join(f"did you mean {s!r} for {p!r}?" for p, s in hints if s)
        else:
            suggestion = voc.suggest(value)
            hint = f"did you mean {suggestion!r}?" if suggestion else ""
            if value.strip().lower() in _UNKNOWN_WORDS:
                # "unknown" is not a category: a value not recorded is a blank cell.
                hint = "a value not recorded is left blank" + (f"; {hint}" if hint else "")
        message = f"unknown {voc.name}; expected one of {', '.join(voc.values)}"
        if hint:
            message += f" ({hint})"
        problems.add(spec.name, col.name, "vocabulary", message, row=int(rows[pos]), value=value)
    del raw
    return out


def _drop_blank_rows(
    frame: pd.DataFrame, spec: TableSpec, problems: ProblemLog, row_offset: int
) -> pd.DataFrame:
    """Remove records whose every cell is missing, with one warning per removed row.

    A blank record is not data (spreadsheets leave them between blocks); it is reported,
    never dropped silently, and the rows around it keep their source row numbers.
    """
    if frame.empty or frame.shape[1] == 0:
        return frame
    blank = pd.concat([_is_missing(frame.iloc[:, i]) for i in range(frame.shape[1])], axis=1)
    blank_rows = blank.all(axis=1)
    if not blank_rows.any():
        return frame
    rows = _source_rows(frame.index[blank_rows.to_numpy()], row_offset)
    if blank_rows.all():
        problems.add(spec.name, None, "empty_table", f"the {spec.name} table holds only blank rows")
    else:
        problems.add_cells(
            spec.name,
            None,
            "blank_row",
            "blank row (every cell empty) is not a record and is skipped",
            rows,
            [None] * len(rows),
            severity="warning",
        )
    return frame.loc[~blank_rows.to_numpy()]


def coerce_table(
    raw: pd.DataFrame,
    spec: TableSpec,
    problems: ProblemLog,
    *,
    date_format: str | None = None,
    row_offset: int = 2,
) -> pd.DataFrame:
    """Parse ``raw`` into the canonical columns and dtypes of ``spec``.

    Headers are matched case-insensitively (blanks and hyphens count as underscores).
    Missing optional columns are added empty; missing required columns, duplicated
    headers, unknown columns (with a suggestion) and unreadable cells are recorded in
    ``problems``.  The returned frame has every column of ``spec`` in canonical order and
    keeps ``raw``'s index (so problems found later can name the source row).
    """
    delimited = bool(raw.attrs.get(DELIMITED, False))
    headers = [normalize_header(c) for c in raw.columns]
    seen: dict[str, int] = {}
    for h in headers:
        seen[h] = seen.get(h, 0) + 1
    for h, n in seen.items():
        if n > 1:
            problems.add(
                spec.name, h, "duplicate_header", f"header appears {n} times; keep one column"
            )
    frame = raw.copy()
    frame.columns = pd.Index(headers)
    frame = frame.loc[:, ~frame.columns.duplicated()]
    frame = _drop_blank_rows(frame, spec, problems, row_offset)

    known = set(spec.names)
    position = {h: i for i, h in enumerate(frame.columns)}
    for h in frame.columns:
        if h not in known and not h.startswith("unnamed:"):
            close = difflib.get_close_matches(h, spec.names, n=1, cutoff=0.75)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            problems.add(
                spec.name,
                h,
                "unknown_column",
                f"column is not part of the {spec.name} table and is ignored{hint}",
                severity="warning",
            )
        elif h.startswith("unnamed:") and not _is_missing(frame[h]).all():
            filled = ~_is_missing(frame[h])
            trailing = all(str(c).startswith("unnamed:") for c in frame.columns[position[h] :])
            if delimited and trailing and not filled.all():
                # A value beyond the last header in some records only: those records have
                # one field too many, and every value after the stray comma moved right.
                problems.add_cells(
                    spec.name,
                    None,
                    "shifted_row",
                    "record has a value beyond the last column with a header, so its values "
                    "are shifted one column right (an unquoted comma, e.g. a decimal comma "
                    "'5,2', splits a cell in two): quote the cell or write a decimal point",
                    _source_rows(frame.index[filled.to_numpy()], row_offset),
                    frame.loc[filled, h].tolist(),
                )
            else:
                problems.add(
                    spec.name,
                    h,
                    "unknown_column",
                    "column without a header holds values and is ignored",
                    severity="warning",
                )
    out: dict[str, pd.Series] = {}
    for col in spec.columns:
        if col.derived:
            out[col.name] = pd.Series(index=frame.index, dtype=col.dtype)
            continue
        if col.name not in frame.columns:
            if col.required:
                problems.add(
                    spec.name,
                    col.name,
                    "required_column",
                    f"required column is missing ({col.description.lower()})",
                )
            out[col.name] = pd.Series(index=frame.index, dtype=col.dtype)
            continue
        out[col.name] = _parse_column(
            frame[col.name], col, spec, problems, date_format=date_format, row_offset=row_offset
        )
    return pd.DataFrame(out, index=frame.index)

"""Decoding REDCap exports: coded answers back to the labels of the project's data dictionary.

A raw REDCap export stores the code of every multiple-choice answer (``sex`` = ``1``), one
0/1 column per checkbox option (``regimen___3``) and ``1``/``0`` for yes/no fields. The data
dictionary, downloadable from the same project, says what each code means. Decoding is part
of reading the export faithfully: no value is renamed to netstats' vocabulary here; that
happens when the cohort is validated.
"""

from __future__ import annotations

from typing import Any, Literal

import pandas as pd

from netstats.cohort._problems import ProblemLog, summarize_problems
from netstats.exceptions import CohortValidationError

__all__ = ["REDCAP_DICTIONARY_COLUMNS", "decode_redcap", "redcap_choices"]

REDCAP_DICTIONARY_COLUMNS: dict[str, tuple[str, str]] = {
    "field_name": ("Variable / Field Name", "field_name"),
    "form_name": ("Form Name", "form_name"),
    "field_type": ("Field Type", "field_type"),
    "choices": ("Choices, Calculations, OR Slider Labels", "select_choices_or_calculations"),
}
"""Dictionary columns used, as (CSV download header, API metadata name)."""

_CHOICE_TYPES = ("radio", "dropdown", "checkbox")
_IMPLIED_CHOICES = {
    "yesno": {"1": "Yes", "0": "No"},
    "truefalse": {"1": "True", "0": "False"},
}
_TABLE = "redcap_export"


def _dictionary_column(dictionary: pd.DataFrame, key: str) -> pd.Series:
    header, api_name = REDCAP_DICTIONARY_COLUMNS[key]
    for name in (header, api_name):
        if name in dictionary.columns:
            return dictionary[name]
    raise ValueError(
        f"the REDCap data dictionary has no {header!r} column (nor {api_name!r}, its name in "
        f"API metadata); columns found: {list(dictionary.columns)}"
    )


def redcap_choices(choices: str, *, field: str = "") -> dict[str, str]:
    """Parse a REDCap choices string into a mapping from code to label.

    Parameters
    ----------
    choices : str
        The dictionary's "Choices, Calculations, OR Slider Labels" cell of a radio,
        dropdown or checkbox field: ``"1, Female | 2, Male"``. A label may contain commas;
        only the first comma of each choice separates code and label.
    field : str, default=""
        Field name, for the error message.

    Returns
    -------
    dict of str to str
        Codes (as text, stripped) to labels, in dictionary order.

    Raises
    ------
    ValueError
        When a choice has no comma, a code is empty or repeated.

    Examples
    --------
    >>> redcap_choices("1, Female | 2, Male")
    {'1': 'Female', '2': 'Male'}
    >>> redcap_choices("5, Capecitabine, oral | 6, Temozolomide")
    {'5': 'Capecitabine, oral', '6': 'Temozolomide'}
    """
    where = f" of field {field!r}" if field else ""
    mapping: dict[str, str] = {}
    for part in str(choices).split("|"):
        if not part.strip():
            continue
        code, sep, label = part.partition(",")
        code = code.strip()
        if not sep or not code:
            raise ValueError(
                f"choice {part.strip()!r}{where} is not 'code, label' (choices: {choices!r})"
            )
        if code in mapping:
            raise ValueError(f"code {code!r} appears twice in the choices{where}: {choices!r}")
        mapping[code] = label.strip()
    if not mapping:
        raise ValueError(f"no choices{where}: {choices!r}")
    return mapping


def _code_text(value: Any) -> str | None:
    """A cell as the code it holds: ``1``, ``1.0`` and ``"1"`` are all ``"1"``."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value).strip()
    return text or None


def _checkbox_column(field: str, code: str) -> str:
    # REDCap names checkbox columns field___code, the code lower-cased.
    return f"{field}___{code.lower()}"


def decode_redcap(
    export: pd.DataFrame,
    dictionary: pd.DataFrame,
    *,
    checkbox_sep: str = " + ",
    unknown: Literal["raise", "keep"] = "raise",
) -> pd.DataFrame:
    """Replace the codes of a raw REDCap export by the labels of its data dictionary.

    Parameters
    ----------
    export : pandas.DataFrame
        A raw ("coded") REDCap export, one row per record or repeated instance, as read
        from the CSV file (text or numbers; row *i* of the frame is line *i* + 2 of the
        file). Not modified.
    dictionary : pandas.DataFrame
        The project's data dictionary, as downloaded (columns "Variable / Field Name",
        "Form Name", "Field Type", "Choices, Calculations, OR Slider Labels", ...) or as
        returned by the API's metadata export (``field_name``, ``form_name``,
        ``field_type``, ``select_choices_or_calculations``).
    checkbox_sep : str, default=" + "
        Separator of the labels of ticked boxes. The default is netstats' notation for a
        combination, so a checkbox field of agents reads as a regimen.
    unknown : {"raise", "keep"}, default="raise"
        What to do with a code that the dictionary does not list (an option removed from
        the project after data entry, a typo in an imported file): ``"raise"`` reports
        every such cell in one error; ``"keep"`` leaves the code as written, so that the
        cohort validation reports it with every other problem.

    Returns
    -------
    pandas.DataFrame
        The export with the same rows and index:

        - radio and dropdown fields: the label of each code;
        - yesno and truefalse fields: ``"Yes"``/``"No"`` and ``"True"``/``"False"``;
        - checkbox fields: the ``field___code`` columns replaced, where the first one stood,
          by one column ``field`` holding the labels of the ticked boxes in dictionary
          order, joined by ``checkbox_sep``; missing when no box is ticked;
        - every other column unchanged.

        Decoded columns have pandas' ``string`` dtype; empty cells are missing.

    Raises
    ------
    CohortValidationError
        With ``unknown="raise"``, when cells hold codes the dictionary does not list; its
        ``problems`` table has one row per cell (``table`` is ``"redcap_export"``,
        ``row`` the line in the CSV file, ``rule`` ``"redcap_choice"``). Also when a
        checkbox column holds something other than 0 or 1, or names an option the
        dictionary lacks.
    ValueError
        When the dictionary lacks a required column or a choices cell cannot be parsed.

    See Also
    --------
    netstats.cohort.Cohort.from_tables : validate the tables built from the decoded export.

    Notes
    -----
    Only fields present in the export are decoded; a dictionary may describe more.
    Calculated, slider, text and notes fields are left alone: dates stay text, to be
    parsed (with ``date_format`` when not ISO 8601) by the cohort validation.

    Examples
    --------
    >>> import pandas as pd
    >>> dictionary = pd.DataFrame({
    ...     "Variable / Field Name": ["record_id", "sex", "agents"],
    ...     "Form Name": ["baseline", "baseline", "therapy"],
    ...     "Field Type": ["text", "radio", "checkbox"],
    ...     "Choices, Calculations, OR Slider Labels": [
    ...         "", "1, Female | 2, Male", "6, capecitabine | 7, temozolomide"],
    ... })
    >>> export = pd.DataFrame({"record_id": ["1", "2"], "sex": ["2", "1"],
    ...                        "agents___6": ["1", "0"], "agents___7": ["1", "1"]})
    >>> decode_redcap(export, dictionary)
      record_id     sex                       agents
    0         1    Male  capecitabine + temozolomide
    1         2  Female                 temozolomide
    """
    if unknown not in ("raise", "keep"):
        raise ValueError(f"unknown must be 'raise' or 'keep', got {unknown!r}")
    names = _dictionary_column(dictionary, "field_name").astype(str).str.strip()
    types = _dictionary_column(dictionary, "field_type").astype(str).str.strip().str.lower()
    choices = _dictionary_column(dictionary, "choices")
    log = ProblemLog()
    out: dict[str, pd.Series] = {}
    consumed: set[str] = set()
    replaced_at: dict[str, str] = {}
    for field, ftype, spec in zip(names, types, choices, strict=True):
        if ftype in _IMPLIED_CHOICES:
            mapping = _IMPLIED_CHOICES[ftype]
        elif ftype in _CHOICE_TYPES:
            mapping = redcap_choices(spec, field=field)
        else:
            continue
        if ftype == "checkbox":
            columns = _checkbox_columns(export, field, mapping, log)
            if columns:
                out[field] = _decode_checkbox(export, field, columns, mapping, checkbox_sep, log)
                consumed.update(columns.values())
                replaced_at[min(columns.values(), key=list(export.columns).index)] = field
        elif field in export.columns:
            out[field] = _decode_choice(export[field], field, mapping, unknown, log)
    problems = log.to_frame()
    if len(problems):
        raise CohortValidationError(
            "REDCap export could not be decoded\n" + summarize_problems(problems), problems
        )
    frame: dict[str, pd.Series] = {}
    for column in export.columns:
        if column in replaced_at:
            frame[replaced_at[column]] = out[replaced_at[column]]
        elif column not in consumed:
            frame[column] = out.get(column, export[column])
    return pd.DataFrame(frame, index=export.index)


def _decode_choice(
    values: pd.Series, field: str, mapping: dict[str, str], unknown: str, log: ProblemLog
) -> pd.Series:
    codes = values.map(_code_text)
    labels = codes.map(mapping)
    bad = codes.notna() & labels.isna()
    if unknown == "raise":
        listed = ", ".join(f"{k} {v}" for k, v in mapping.items())
        for position in bad.to_numpy().nonzero()[0]:
            log.add(
                _TABLE,
                field,
                "redcap_choice",
                f"code {codes.iloc[position]!r} is not a choice of {field} ({listed})",
                row=int(position) + 2,
                value=codes.iloc[position],
            )
    return labels.where(~bad, codes).astype("string")


def _checkbox_columns(
    export: pd.DataFrame, field: str, mapping: dict[str, str], log: ProblemLog
) -> dict[str, str]:
    """The export's columns of a checkbox field, by code; unknown options are problems."""
    prefix = f"{field}___"
    present = [c for c in export.columns if str(c).startswith(prefix)]
    by_code = {code: _checkbox_column(field, code) for code in mapping}
    for column in present:
        if column not in by_code.values():
            log.add(
                _TABLE,
                column,
                "redcap_choice",
                f"column {column!r} is an option that the choices of {field} do not list",
            )
    return {code: col for code, col in by_code.items() if col in present}


def _decode_checkbox(
    export: pd.DataFrame,
    field: str,
    columns: dict[str, str],
    mapping: dict[str, str],
    sep: str,
    log: ProblemLog,
) -> pd.Series:
    """One column of the ticked labels, in dictionary order, joined by ``sep``."""
    ticked: list[list[str]] = [[] for _ in range(len(export))]
    for code, column in columns.items():
        cells = export[column].map(_code_text)
        bad = cells.notna() & ~cells.isin(["0", "1"])
        for position in bad.to_numpy().nonzero()[0]:
            log.add(
                _TABLE,
                column,
                "redcap_checkbox",
                f"a checkbox column of {field} holds {cells.iloc[position]!r}; expected 0 or 1",
                row=int(position) + 2,
                value=cells.iloc[position],
            )
        for position in cells.eq("1").to_numpy().nonzero()[0]:
            ticked[position].append(mapping[code])
    return pd.Series(
        [sep.join(labels) if labels else pd.NA for labels in ticked],
        index=export.index,
        dtype="string",
    )

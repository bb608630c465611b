"""Decoding raw REDCap exports with their data dictionary (netstats.io.decode_redcap)."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from netstats import CohortValidationError
from netstats.io import decode_redcap, redcap_choices
from netstats.vocab import SEX, normalize_regimen

ROOT = Path(__file__).resolve().parents[1]
TUTORIAL_DATA = ROOT / "docs" / "tutorials" / "data"

HEADERS = [
    "Variable / Field Name",
    "Form Name",
    "Field Type",
    "Choices, Calculations, OR Slider Labels",
]
API_NAMES = ["field_name", "form_name", "field_type", "select_choices_or_calculations"]


def dictionary(*fields: tuple[str, str, str], api: bool = False) -> pd.DataFrame:
    rows = [(name, "form", ftype, choices) for name, ftype, choices in fields]
    return pd.DataFrame(rows, columns=API_NAMES if api else HEADERS)


DICT = dictionary(
    ("record_id", "text", ""),
    ("sex", "radio", "1, Female | 2, Male"),
    ("site", "dropdown", "1, Pancreas | 2, Small intestine | 10, Other, specified"),
    ("fdg", "yesno", ""),
    ("flag", "truefalse", ""),
    ("agents", "checkbox", "6, capecitabine | 7, temozolomide | 3, everolimus"),
    ("ki67", "text", ""),
)
EXPORT = pd.DataFrame(
    {
        "record_id": ["1", "2", "3", "4"],
        "sex": ["2", "1", "", "1"],
        "site": ["1", "10", "2", ""],
        "agents___7": ["1", "1", "0", ""],
        "agents___3": ["0", "0", "1", ""],
        "agents___6": ["1", "0", "0", ""],
        "fdg": ["1", "0", "", "1"],
        "flag": ["0", "1", "1", ""],
        "ki67": ["4.5", "", "12", "0.8"],
    }
)


def test_decodes_every_choice_type():
    out = decode_redcap(EXPORT, DICT)
    assert list(out.columns) == ["record_id", "sex", "site", "agents", "fdg", "flag", "ki67"]
    assert out["sex"].tolist() == ["Male", "Female", pd.NA, "Female"]
    # A label may hold commas: only the first comma of a choice separates code and label.
    assert out["site"].tolist() == ["Pancreas", "Other, specified", "Small intestine", pd.NA]
    # Ticked boxes in dictionary order (6, 7, 3), not column order; none ticked -> missing.
    assert out["agents"].tolist() == [
        "capecitabine + temozolomide",
        "temozolomide",
        "everolimus",
        pd.NA,
    ]
    assert out["fdg"].tolist() == ["Yes", "No", pd.NA, "Yes"]
    assert out["flag"].tolist() == ["False", "True", "True", pd.NA]
    for column in ("sex", "site", "agents", "fdg", "flag"):
        assert out[column].dtype == "string"
    # Other fields untouched, input not modified.
    pd.testing.assert_series_equal(out["ki67"], EXPORT["ki67"])
    pd.testing.assert_series_equal(out["record_id"], EXPORT["record_id"])
    assert "agents___6" in EXPORT.columns and EXPORT.loc[0, "sex"] == "2"


def test_numeric_export_reads_like_text():
    # pandas' default read_csv gives ints, or floats when a column has blanks.
    numeric = pd.read_csv(io.StringIO(EXPORT.to_csv(index=False)))
    assert numeric["sex"].dtype == float and numeric["agents___6"].dtype == float
    numeric["record_id"] = EXPORT["record_id"]
    numeric["ki67"] = EXPORT["ki67"]
    pd.testing.assert_frame_equal(decode_redcap(numeric, DICT), decode_redcap(EXPORT, DICT))


def test_api_metadata_names_give_the_same_result():
    api = DICT.copy()
    api.columns = API_NAMES
    pd.testing.assert_frame_equal(decode_redcap(EXPORT, api), decode_redcap(EXPORT, DICT))


def test_index_is_kept_and_checkbox_separator_configurable():
    export = EXPORT.set_index(pd.Index([10, 11, 12, 13]))
    out = decode_redcap(export, DICT, checkbox_sep="; ")
    assert list(out.index) == [10, 11, 12, 13]
    assert out.loc[10, "agents"] == "capecitabine; temozolomide"


def test_unknown_codes_are_all_reported_with_row_column_and_value():
    export = EXPORT.copy()
    export.loc[1, "sex"] = "3"
    export.loc[3, "sex"] = "9"
    export.loc[2, "site"] = "4"
    with pytest.raises(CohortValidationError, match="redcap_choice") as info:
        decode_redcap(export, DICT)
    problems = info.value.problems
    assert len(problems) == 3
    got = set(zip(problems["row"], problems["column"], problems["value"], strict=True))
    # Row as a spreadsheet shows the CSV file: header is row 1.
    assert got == {(3, "sex", "3"), (5, "sex", "9"), (4, "site", "4")}
    assert (problems["table"] == "redcap_export").all()
    assert (problems["severity"] == "error").all()
    message = problems.loc[problems["value"] == "3", "message"].item()
    assert "1 Female, 2 Male" in message


def test_unknown_codes_kept_on_request():
    export = EXPORT.copy()
    export.loc[1, "sex"] = "3"
    out = decode_redcap(export, DICT, unknown="keep")
    assert out["sex"].tolist() == ["Male", "3", pd.NA, "Female"]


def test_bad_checkbox_cells_and_unlisted_options_are_errors():
    export = EXPORT.copy()
    export.loc[0, "agents___7"] = "2"
    export["agents___99"] = "0"
    with pytest.raises(CohortValidationError) as info:
        decode_redcap(export, DICT)
    problems = info.value.problems
    assert set(problems["rule"]) == {"redcap_checkbox", "redcap_choice"}
    bad = problems[problems["rule"] == "redcap_checkbox"]
    assert bad[["row", "column", "value"]].values.tolist() == [[2, "agents___7", "2"]]
    assert problems.loc[problems["rule"] == "redcap_choice", "column"].item() == "agents___99"


def test_fields_absent_from_the_export_are_ignored():
    out = decode_redcap(EXPORT[["record_id", "sex"]], DICT)
    assert list(out.columns) == ["record_id", "sex"]


def test_dictionary_without_required_column_names_it():
    with pytest.raises(ValueError, match="Field Type"):
        decode_redcap(EXPORT, DICT.drop(columns="Field Type"))


@pytest.mark.parametrize(
    "choices, match",
    [("1 Female | 2 Male", "not 'code, label'"), ("1, a | 1, b", "twice"), (" | ", "no choices")],
)
def test_malformed_choices_are_refused(choices, match):
    with pytest.raises(ValueError, match=match):
        redcap_choices(choices, field="sex")
    with pytest.raises(ValueError, match="sex"):
        decode_redcap(EXPORT, dictionary(("sex", "radio", choices)))


def test_bad_unknown_option():
    with pytest.raises(ValueError, match="unknown"):
        decode_redcap(EXPORT, DICT, unknown="drop")  # type: ignore[arg-type]


labels = st.text(alphabet="abcdefgh XYZ-", min_size=1, max_size=12).map(str.strip).filter(bool)


@settings(max_examples=60, deadline=None)
@given(
    mapping=st.dictionaries(st.integers(0, 99).map(str), labels, min_size=1, max_size=6),
    data=st.data(),
)
def test_decoding_inverts_the_coding(mapping, data):
    codes = list(mapping)
    cells = data.draw(st.lists(st.sampled_from([*codes, ""]), min_size=1, max_size=20))
    spec = " | ".join(f"{c}, {label}" for c, label in mapping.items())
    out = decode_redcap(pd.DataFrame({"f": cells}), dictionary(("f", "dropdown", spec)))
    back = {label: code for code, label in mapping.items()}
    decoded = [None if pd.isna(v) else back[v] for v in out["f"]]
    # Labels may repeat across codes; then only the label is checked.
    if len(set(mapping.values())) == len(mapping):
        assert decoded == [c or None for c in cells]
    assert [None if pd.isna(v) else v for v in out["f"]] == [
        mapping[c] if c else None for c in cells
    ]


def test_tutorial_files_are_reproduced_by_their_script(tmp_path):
    subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "make_redcap_export.py"), str(tmp_path)],
        check=True,
        capture_output=True,
    )
    for name in ("redcap_export.csv", "redcap_dictionary.csv", "redcap_corrections.csv"):
        assert (tmp_path / name).read_bytes() == (TUTORIAL_DATA / name).read_bytes(), name


def test_tutorial_export_decodes_to_the_synthetic_cohort_after_corrections():
    """The REDCap round trip loses nothing: decoded and corrected, the export gives back the
    synthetic cohort's values for the records it holds."""
    import netstats as ns

    export = pd.read_csv(TUTORIAL_DATA / "redcap_export.csv", dtype=str, keep_default_na=False)
    dd = pd.read_csv(TUTORIAL_DATA / "redcap_dictionary.csv", dtype=str, keep_default_na=False)
    fixes = pd.read_csv(TUTORIAL_DATA / "redcap_corrections.csv", dtype=str, keep_default_na=False)
    with pytest.raises(CohortValidationError) as info:
        decode_redcap(export, dd)
    assert info.value.problems[["column", "value"]].values.tolist() == [["sex", "3"]]
    for fix in fixes.itertuples():
        at = (
            (export["record_id"] == fix.record_id)
            & (export["redcap_repeat_instrument"] == fix.redcap_repeat_instrument)
            & (export["redcap_repeat_instance"] == fix.redcap_repeat_instance)
        )
        assert export.loc[at, fix.field].tolist() == [fix.exported]
        export.loc[at, fix.field] = fix.corrected
    decoded = decode_redcap(export, dd)
    synthetic = ns.load_cohort(ROOT / "data" / "synthetic")
    first = sorted(synthetic.patients["patient_id"])[:150]
    expected = synthetic.therapy_lines[synthetic.therapy_lines["patient_id"].isin(first)]
    lines = decoded[decoded["redcap_repeat_instrument"] == "therapy_line"]
    regimens = lines["agents"].map(lambda r: normalize_regimen(r)[0])
    assert regimens.tolist() == expected["regimen"].tolist()
    patients = synthetic.patients[synthetic.patients["patient_id"].isin(first)]
    sexes = decoded.loc[decoded["redcap_repeat_instrument"] == "", "sex"].map(SEX.normalize)
    assert sexes.tolist() == patients.sort_values("patient_id")["sex"].tolist()

"""Display labels: every schema column and vocabulary level has a reader's name."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from netstats import labels, schema, vocab
from netstats.endpoints import REASON_CODES

SCHEMA_COLUMNS = sorted({c.name for t in schema.TABLES.values() for c in t.columns})
VOCABULARIES = {
    "sex": vocab.SEX,
    "primary_site": vocab.PRIMARY_SITES,
    "functional_status": vocab.FUNCTIONAL_STATUS,
    "hereditary_syndrome": vocab.HEREDITARY_SYNDROMES,
    "stage_at_diagnosis": vocab.STAGES,
    "site": vocab.SAMPLE_SITES,
    "specimen_type": vocab.SPECIMEN_TYPES,
    "differentiation": vocab.DIFFERENTIATION,
    "regimen": vocab.REGIMENS,
    "end_reason": vocab.END_REASONS,
    "best_response": vocab.RESPONSES,
    "tracer": vocab.TRACERS,
}


@pytest.mark.parametrize("column", SCHEMA_COLUMNS)
def test_every_schema_column_has_a_curated_label(column):
    shown = labels.label(column)
    assert labels.known(column)
    assert "_" not in shown


@pytest.mark.parametrize(
    ("column", "value"),
    [(col, v) for col, voc in VOCABULARIES.items() for v in voc.values]
    + [("drug_class", c) for c in vocab.DRUG_CLASSES],
)
def test_every_level_reads_without_codes(column, value):
    shown = labels.level_label(column, value)
    assert "_" not in shown
    assert shown.strip() == shown and shown


@pytest.mark.parametrize("code", sorted(REASON_CODES))
def test_every_endpoint_reason_has_a_label_of_its_own(code):
    shown = labels.level_label("pfs_reason", code)
    assert "_" not in shown and shown[0].isupper()
    if code.startswith(("censored_", "missing_")):  # named, not just de-underscored
        assert shown != labels.readable(code)


def test_units_are_appended_once():
    assert labels.label("age_at_diagnosis") == "Age at diagnosis (years)"
    assert labels.label("age_at_diagnosis", unit=False) == "Age at diagnosis"
    assert labels.unit("mitoses_per_2mm2") == "per 2 mm\u00b2"
    assert labels.unit("sex") is None


@pytest.mark.parametrize(
    ("term", "reference", "expected"),
    [
        ("C(drug_class)[T.SSA]", {"drug_class": "PRRT"}, "Drug class: SSA vs PRRT (reference)"),
        ("C(drug_class, Treatment('PRRT'))[T.TKI]", "PRRT", "Drug class: TKI vs PRRT (reference)"),
        ("sex[T.male]", "female", "Sex: Male vs Female (reference)"),
        ("primary_site[pancreas]", None, "Primary site: Pancreas"),
        ("missingindicator_log1p_mitoses", None, "Mitoses, log(1 + per 2 mm\u00b2) missing"),
        ("num__age_at_scan", None, "Age at scan"),
        ("log2_ki67", None, "Ki-67, per doubling"),
    ],
)
def test_term_labels(term, reference, expected):
    assert labels.term_label(term, reference=reference) == expected


def test_one_hot_names_split_on_known_levels():
    cats = {"primary_site": vocab.PRIMARY_SITES.values, "sex": ["female", "male"]}
    assert labels.term_label("cat__primary_site_small_intestine", categorical=cats) == (
        "Primary site: Small intestine"
    )
    assert labels.term_label("sex_male", categorical=cats) == "Sex: Male"


def test_endpoint_columns():
    assert labels.label("pfs_months") == "PFS (months)"
    assert labels.label("ttnt_event") == "TTNT event"
    assert labels.endpoint_label("os") == "Overall survival"
    assert labels.endpoint_label("unknown_thing") == "Unknown thing"


def test_register_overrides_and_falls_back():
    labels.register("test_only_column", "Column from a user cohort", unit="mg")
    labels.register("test_only_column", levels={"a_b": "Level AB"})
    assert labels.label("test_only_column") == "Column from a user cohort (mg)"
    assert labels.level_label("test_only_column", "a_b") == "Level AB"
    with pytest.raises(TypeError):
        labels.register("", "x")


def test_missing_and_boolean_levels():
    assert labels.level_label("sex", None) == "Missing"
    assert labels.level_label("sex", float("nan")) == "Missing"
    assert labels.level_label("fdg_avid", True) == "Yes"
    assert labels.level_label("line", 2) == "Line 2"


@given(st.from_regex(re.compile(r"[a-z][a-z0-9]{0,8}(_[a-z0-9]{1,8}){1,4}"), fullmatch=True))
def test_no_label_shows_a_snake_case_identifier(name):
    assert "_" not in labels.label(name)
    assert "_" not in labels.term_label(name)
    assert "_" not in labels.level_label(None, name)

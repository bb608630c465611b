"""Controlled vocabularies: synonyms, case-insensitive matching and suggestions."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from netstats import vocab


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("Lutathera", "177Lu-DOTATATE"),
        ("177Lu-DOTATATE", "177Lu-DOTATATE"),
        ("lu-177 dotatate", "177Lu-DOTATATE"),
        ("  EVEROLIMUS ", "everolimus"),
        ("Afinitor", "everolimus"),
        ("capecitabine + temozolomide", "CAPTEM"),
        ("Sandostatin LAR", "octreotide LAR"),
        ("bland embolization", "bland embolisation"),
        ("watch and wait", "watch-and-wait"),
    ],
)
def test_regimen_synonyms(raw, canonical):
    assert vocab.normalize_regimen(raw) == (canonical, [])


def test_combination_is_one_canonical_line_in_fixed_order():
    a = vocab.normalize_regimen("Everolimus + Octreotide")
    b = vocab.normalize_regimen("octreotide LAR plus everolimus")
    assert a == b == ("octreotide LAR + everolimus", [])
    assert vocab.drug_class(a[0]) == "SSA + mTOR inhibitor"


def test_unknown_component_is_named():
    canonical, unknown = vocab.normalize_regimen("everolimus + wonderdrug")
    assert canonical is None
    assert unknown == ["wonderdrug"]


def test_every_regimen_has_a_known_drug_class():
    for regimen in vocab.REGIMENS.values:
        assert vocab.drug_class(regimen) in vocab.DRUG_CLASSES


@pytest.mark.parametrize(
    ("voc", "typo", "suggestion"),
    [
        (vocab.REGIMENS, "everolimu", "everolimus"),
        (vocab.REGIMENS, "sunitinb", "sunitinib"),
        (vocab.TRACERS, "68Ga-DOTATAT", "68Ga-DOTATATE"),
        (vocab.SAMPLE_SITES, "livr", "liver"),
    ],
)
def test_suggestion_for_typos(voc, typo, suggestion):
    assert voc.normalize(typo) is None
    assert voc.suggest(typo) == suggestion


def test_drug_class_rejects_non_canonical():
    with pytest.raises(ValueError, match="not a canonical regimen"):
        vocab.drug_class("Lutathera")


@given(st.sampled_from(sorted(vocab.VOCABULARIES)), st.data())
def test_normalisation_is_idempotent_and_case_insensitive(name, data):
    voc = vocab.VOCABULARIES[name]
    value = data.draw(st.sampled_from(voc.values))
    assert voc.normalize(value) == value
    assert voc.normalize(value.upper()) == value
    assert voc.normalize(f"  {value.lower()} ") == value


def test_synonym_pointing_to_unknown_value_is_rejected():
    with pytest.raises(ValueError, match="maps to unknown"):
        vocab.Vocabulary("x", ("a",), {"b": "c"})

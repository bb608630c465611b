"""The data model is the single source of truth for the data dictionary."""

from __future__ import annotations

from pathlib import Path

import pytest

from netstats import schema, vocab

README = Path(__file__).parents[1] / "data" / "README.md"


def test_data_readme_embeds_the_generated_dictionary():
    text = README.read_text(encoding="utf-8")
    start, end = "<!-- data-dictionary:start -->\n", "<!-- data-dictionary:end -->"
    embedded = text[text.index(start) + len(start) : text.index(end)]
    assert embedded == schema.data_dictionary_markdown(), "run `make data-readme`"


def test_every_table_has_its_key_columns_required():
    for spec in schema.TABLES.values():
        for key in spec.key:
            assert spec.column(key).required, f"{spec.name}.{key}"
        assert spec.column("patient_id").required


def test_category_columns_name_a_vocabulary():
    for spec in schema.TABLES.values():
        for col in spec.columns:
            if col.type == "category":
                assert col.vocabulary in vocab.VOCABULARIES, col.name


def test_dictionary_lists_every_column_once():
    dd = schema.data_dictionary()
    assert not dd.duplicated(["table", "column"]).any()
    assert len(dd) == sum(len(t.columns) for t in schema.TABLES.values())
    assert set(dd.columns) == {
        "table",
        "column",
        "type",
        "unit",
        "required",
        "allowed",
        "description",
    }


def test_empty_table_has_canonical_dtypes():
    frame = schema.empty_table("therapy_lines")
    assert list(frame.columns) == schema.TABLES["therapy_lines"].names
    assert str(frame["start_date"].dtype) == "datetime64[ns]"
    assert str(frame["line"].dtype) == "Int64"


def test_unknown_column_lookup_raises():
    with pytest.raises(KeyError, match="no column 'ki67'"):
        schema.TABLES["pathology"].column("ki67")

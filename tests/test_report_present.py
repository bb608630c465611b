"""Publication layout of result tables (report.present) and its display in reports."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from netstats import labels
from netstats.report import ReportOutputs, format_table_one, present
from netstats.report._outputs import TABLE_MIME
from netstats.tables import table_one

FORBIDDEN = re.compile(r"<NA>|\bnan\b|\bNaN\b|\[T\.|\b[a-z][a-z0-9]*_[a-z0-9_]+\b")


def _all_text(shown) -> str:
    cells = [str(c) for c in shown.frame.columns] + [v for row in shown.rows() for v in row]
    return "\n".join([shown.caption, *cells, *shown.footnotes])


def test_estimate_and_interval_become_one_column_and_constants_go_to_caption():
    medians = pd.DataFrame(
        {
            "group": ["1", "2"],
            "q": 0.5,
            "estimate": [20.71, 12.19],
            "ci_lower": [17.84, 9.2],
            "ci_upper": [23.66, 16.56],
            "conf_level": 0.95,
            "conf_type": "log",
        }
    )
    shown = present(medians, caption="Median PFS (months)")
    assert list(shown.frame.columns) == ["Group", "Median (95% CI)"]
    assert shown.frame["Median (95% CI)"].tolist() == ["20.7 (17.8–23.7)", "12.2 (9.2–16.6)"]
    assert "log scale" in shown.caption and "0.95" not in _all_text(shown)
    assert medians["estimate"].tolist() == [20.71, 12.19]  # the input is left alone


def test_hazard_ratios_terms_with_reference_and_p_values():
    cox = pd.DataFrame(
        {
            "term": ["log2_ki67", "C(drug_class)[T.SSA]"],
            "coef": [0.2054, -0.3],
            "hr": [1.2281, 0.7408],
            "se": [0.03, 0.1],
            "p_value": [2.9e-9, 0.4321],
            "ci_lower": [1.1475, 0.61],
            "ci_upper": [1.3143, 0.9],
            "conf_level": 0.9,
        }
    )
    shown = present(cox, references={"drug_class": "PRRT"})
    assert list(shown.frame.columns) == ["Term", "HR (90% CI)", "p"]
    assert shown.frame["Term"].tolist() == [
        "Ki-67, per doubling",
        "Drug class: SSA vs PRRT (reference)",
    ]
    assert shown.frame["HR (90% CI)"].iloc[0] == "1.23 (1.15–1.31)"
    assert shown.frame["p"].tolist() == ["<0.001", "0.432"]


def test_not_estimable_and_absurd_intervals_read_ne_with_a_footnote():
    ors = pd.DataFrame(
        {
            "term": ["prior_everolimus", "age_at_scan"],
            "odds_ratio": [0.234, np.nan],
            "ci_lower": [1e-7, np.nan],
            "ci_upper": [5.47e5, np.nan],
        }
    )
    shown = present(ors)
    assert shown.frame["OR (95% CI)"].tolist() == ["0.23 (NE)", "NE"]
    assert any("not estimable" in note for note in shown.footnotes)
    assert "e+05" not in _all_text(shown) and "e-07" not in _all_text(shown)


def test_withheld_counts_show_the_marker_and_name_the_threshold():
    counts = pd.DataFrame(
        {
            "line": pd.array([1, 1, 2], dtype="Int64"),
            "regimen": ["octreotide LAR", "CAPTEM", "watch-and-wait"],
            "n": pd.array([None, 12, None], dtype="Int64"),
            "suppressed": ["primary", "", "complementary"],
        }
    )
    shown = present(counts, threshold=5)
    assert shown.frame["n"].tolist() == ["*", "12", "*"]
    assert shown.frame["Regimen"].tolist() == ["Octreotide LAR", "CAPTEM", "Watch and wait"]
    assert "Suppressed" not in shown.frame.columns
    assert shown.footnotes[0].startswith("* Withheld: fewer than 5")
    no_withheld = present(counts.dropna(subset=["n"]), threshold=5)
    assert not any("Withheld" in n for n in no_withheld.footnotes)


def test_one_hot_factor_names_its_reference_level():
    ors = pd.DataFrame(
        {
            "term": ["who_grade_G1", "who_grade_G2"],
            "factor": ["who_grade", "who_grade"],
            "level": ["G1", "G2"],
            "reference": ["G1", "G1"],
            "estimate": [1.0, 0.77],
            "ci_lower": [np.nan, 0.14],
            "ci_upper": [np.nan, 4.3],
            "method": ["reference", "Wald"],
        }
    )
    shown = present(ors, estimate="OR")
    assert shown.frame["Term"].tolist() == [
        "WHO 2019 grade: G1 (reference)",
        "WHO 2019 grade: G2 vs G1",
    ]
    assert shown.frame["OR (95% CI)"].tolist() == ["1 (reference)", "0.77 (0.14–4.30)"]


def test_table_output_html_json_and_long_tables(tmp_path):
    out = ReportOutputs(tmp_path, suppression_threshold=5)
    frame = pd.DataFrame({"who_grade": ["G1", "G2"], "n": pd.array([12, None], dtype="Int64")})
    shown = out.table("grades", frame, caption="Grades")
    bundle = shown._repr_mimebundle_()
    doc = bundle[TABLE_MIME]
    assert doc["name"] == "grades" and doc["caption"] == "Grades"
    assert doc["columns"] == ["WHO 2019 grade", "n"] and doc["rows"] == [["G1", "12"], ["G2", "*"]]
    assert doc["footnotes"] and json.loads(json.dumps(doc)) == doc
    html = bundle["text/html"]
    assert "WHO 2019 grade" in html and "http" not in html.lower().replace("https://", "http")
    assert not re.search(r"(?:src|href)=\"https?://|@import", html)
    assert (tmp_path / "tables/grades.csv").read_text() == "who_grade,n\nG1,12\nG2,\n"
    long = out.table("long", pd.DataFrame({"x": np.arange(100) / 7}), caption="Many rows")
    html = long._repr_html_()
    assert 'href="tables/long.csv"' in html and html.count("<tr") < 20
    assert len(long._repr_mimebundle_()[TABLE_MIME]["rows"]) < 20
    assert pd.read_csv(tmp_path / "tables/long.csv")["x"].iloc[1] == pytest.approx(1 / 7)


def test_table_one_layout_one_row_per_variable_with_indented_levels():
    df = pd.DataFrame(
        {
            "age_at_diagnosis": [50.0, 60, 70, 65, 55, 61, 72, 58, 49, 66, 70, 52],
            "sex": ["female", "male"] * 6,
            "who_grade": ["G1", "G2", "G3"] * 4,
        }
    )
    t1 = table_one(df, columns=["age_at_diagnosis", "sex"], group="who_grade")
    wide = format_table_one(t1, threshold=0)
    assert list(wide.columns) == ["Characteristic", "Overall", "G1", "G2", "G3", "SMD"]
    first = wide["Characteristic"].tolist()
    assert first[:2] == ["N", "Age at diagnosis (years), mean (SD)"]
    assert first[2] == "Sex, n (%)" and first[3].strip() == "Female" and first[3] != "Female"
    assert "Missing" not in " ".join(first)  # nothing is missing
    # n (%) everywhere a level is counted
    levels = wide.iloc[3:5, 1:5].to_numpy().ravel()
    assert all(re.fullmatch(r"\d+ \(\d+\.\d%\)", v) for v in levels), levels
    # one SMD column: the largest pairwise SMD
    age_smd = t1.smd[t1.smd["variable"] == "age_at_diagnosis"]["smd"].abs().max()
    assert float(wide.loc[1, "SMD"]) == pytest.approx(age_smd, abs=5e-4)
    assert any("largest" in n for n in wide.attrs["caption_notes"])


_NAMES = sorted(
    {"group", "n", "n_events", "estimate", "ci_lower", "ci_upper", "p_value", "term", "who_grade"}
    | {"regimen", "sex", "conf_level", "conf_type", "q", "ki67_percent", "line"}
)
_text_values = st.one_of(
    st.sampled_from(["non_functional", "small_intestine", "G1", "watch-and-wait", "x_y_z"]),
    st.from_regex(r"[a-z]{1,6}(_[a-z0-9]{1,5}){0,2}", fullmatch=True),
    st.none(),
)
_float_values = st.one_of(
    st.none(), st.just(float("nan")), st.floats(-1e6, 1e6, allow_nan=False), st.floats(0, 1)
)


@st.composite
def _frames(draw):
    names = draw(
        st.lists(
            st.one_of(
                st.sampled_from(_NAMES),
                st.from_regex(r"[a-z]{1,6}_[a-z0-9]{1,6}", fullmatch=True),
            ),
            min_size=1,
            max_size=6,
            unique=True,
        )
    )
    n = draw(st.integers(1, 6))
    data = {}
    for name in names:
        kind = draw(st.sampled_from(["text", "float", "int"]))
        if kind == "text":
            data[name] = pd.array(draw(st.lists(_text_values, min_size=n, max_size=n)), "string")
        elif kind == "float":
            data[name] = draw(st.lists(_float_values, min_size=n, max_size=n))
        else:
            values = draw(
                st.lists(st.one_of(st.none(), st.integers(0, 500)), min_size=n, max_size=n)
            )
            data[name] = pd.array(values, dtype="Int64")
    return pd.DataFrame(data)


@settings(max_examples=150, deadline=None)
@given(_frames())
def test_presented_tables_never_show_na_nan_or_identifiers(frame):
    shown = present(frame, caption="A table", threshold=5)
    text = _all_text(shown)
    assert not FORBIDDEN.search(text), text
    assert len(shown.frame) == len(frame)
    assert all(isinstance(v, str) for row in shown.rows() for v in row)


def test_labels_registry_reads_every_presented_header():
    shown = present(pd.DataFrame({"ki67_percent": [1.5, 2.5], "my_new_column": ["a", "b"]}))
    assert list(shown.frame.columns) == [labels.label("ki67_percent"), "My new column"]

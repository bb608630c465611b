"""Small-cell suppression (with complementary suppression) and the output privacy scan."""

from __future__ import annotations

import base64
import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from netstats.report import (
    Disclosure,
    PrivacyError,
    check_outputs,
    check_text,
    cohort_identifiers,
    find_dates,
    suppress_counts,
    suppress_proportions,
    suppress_table_one,
)
from netstats.tables import table_one


def _long(table: np.ndarray) -> pd.DataFrame:
    r, c = np.indices(table.shape)
    return pd.DataFrame({"r": r.ravel(), "c": c.ravel(), "n": table.ravel()})


def _feasible_range(table: np.ndarray, withheld: np.ndarray) -> list[tuple[float, float]]:
    """Min and max of every withheld cell given the row and column totals (LP, x >= 0)."""
    cells = np.flatnonzero(withheld.ravel())
    shape = table.shape
    a_eq, b_eq = [], []
    for i in range(shape[0]):
        row = [1.0 if np.unravel_index(k, shape)[0] == i else 0.0 for k in cells]
        if any(row):
            a_eq.append(row)
            b_eq.append(table[i][withheld[i]].sum())
    for j in range(shape[1]):
        col = [1.0 if np.unravel_index(k, shape)[1] == j else 0.0 for k in cells]
        if any(col):
            a_eq.append(col)
            b_eq.append(table[:, j][withheld[:, j]].sum())
    ranges = []
    for pos in range(len(cells)):
        c = np.zeros(len(cells))
        c[pos] = 1.0
        lo = linprog(c, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs").fun
        hi = -linprog(-c, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs").fun
        ranges.append((lo, hi))
    return ranges


# --------------------------------------------------------------------------------------
# suppression
# --------------------------------------------------------------------------------------
def test_one_way_primary_and_complementary():
    t = pd.DataFrame({"grade": ["G1", "G2", "G3"], "n": [12, 3, 20], "pct": [34.3, 8.6, 57.1]})
    out = suppress_counts(t, count="n", dependent=["pct"])
    assert out["suppressed"].tolist() == ["complementary", "primary", ""]
    assert out["n"].isna().tolist() == [True, True, False]
    assert out["pct"].isna().tolist() == [True, True, False]
    assert out["n"].dtype == "Int64"
    assert not out["total_disclosive"].any()


def test_zero_is_published_and_never_a_complement():
    t = pd.DataFrame({"k": list("abcd"), "n": [0, 2, 9, 7]})
    out = suppress_counts(t, count="n")
    assert out["suppressed"].tolist() == ["", "primary", "", "complementary"]


def test_threshold_zero_disables_and_bad_thresholds_raise():
    t = pd.DataFrame({"n": [1, 2, 30]})
    assert suppress_counts(t, threshold=0)["n"].tolist() == [1, 2, 30]
    with pytest.raises(TypeError, match="0 disables"):
        suppress_counts(t, threshold=None)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=">= 0"):
        suppress_counts(t, threshold=-1)
    with pytest.raises(ValueError, match="non-negative integers"):
        suppress_counts(pd.DataFrame({"n": [1.5]}))


def test_two_way_complementary_pattern_cannot_be_recovered():
    table = np.array([[20, 3, 15], [12, 9, 30], [8, 11, 2]])
    out = suppress_counts(_long(table), count="n", rows=["r"], cols=["c"])
    withheld = out["n"].isna().to_numpy().reshape(table.shape)
    assert withheld[0, 1] and withheld[2, 2]  # the primaries
    for line in [*withheld, *withheld.T]:
        assert line.sum() != 1
    for lo, hi in _feasible_range(table, withheld):
        assert hi - lo >= 1 - 1e-9


def test_input_not_mutated_and_row_order_invariant():
    t = _long(np.array([[20, 3, 15], [12, 9, 30], [8, 11, 2]]))
    before = t.copy()
    a = suppress_counts(t, count="n", rows=["r"], cols=["c"])
    pd.testing.assert_frame_equal(t, before)
    shuffled = t.sample(frac=1, random_state=3)
    b = suppress_counts(shuffled, count="n", rows=["r"], cols=["c"])
    # withheld set may depend on ties only; this table has none among the candidates
    key = ["r", "c"]
    pd.testing.assert_frame_equal(
        a.sort_values(key).reset_index(drop=True), b.sort_values(key).reset_index(drop=True)
    )


@settings(max_examples=60, deadline=None)
@given(
    st.integers(2, 4).flatmap(
        lambda r: st.integers(2, 4).flatmap(
            lambda c: st.lists(
                st.lists(st.integers(1, 30), min_size=c, max_size=c), min_size=r, max_size=r
            )
        )
    )
)
def test_withheld_cells_never_recoverable_from_totals(rows):
    """Property: with positive cells, every withheld cell can move by >= 1 (LP bounds)."""
    table = np.array(rows)
    out = suppress_counts(_long(table), count="n", rows=["r"], cols=["c"])
    withheld = out["n"].isna().to_numpy().reshape(table.shape)
    assert (withheld | (table >= 5)).all()  # every small count withheld
    if out["total_disclosive"].any():
        return  # flagged for the caller: no cells left to protect it with
    for lo, hi in _feasible_range(table, withheld):
        assert hi - lo >= 1 - 1e-9


def test_unprotectable_line_flagged_or_withheld():
    # row 0's small count sits in the only non-zero column: withheld zeros cannot absorb
    # it (the other columns add up to 0), so the totals give it away
    table = np.array([[3, 0, 0], [10, 0, 0], [9, 0, 0]])
    flagged = suppress_counts(_long(table), count="n", rows=["r"], cols=["c"], on_disclosive="flag")
    assert flagged["total_disclosive"].any()
    assert 1 <= flagged["n"].isna().sum() <= 3
    out = suppress_counts(_long(table), count="n", rows=["r"], cols=["c"])  # default: withhold
    assert out["n"].isna().sum() == 3  # every non-zero cell
    # a withheld zero protects the same small count when another column can absorb it
    table = np.array([[3, 0, 0], [10, 12, 7], [9, 8, 6]])
    out = suppress_counts(_long(table), count="n", rows=["r"], cols=["c"], on_disclosive="flag")
    assert not out["total_disclosive"].any() and out["n"].notna().any()
    with pytest.raises(ValueError, match="on_disclosive"):
        suppress_counts(_long(table), count="n", on_disclosive="ignore")  # type: ignore[arg-type]


def test_suppress_proportions_hides_small_numerators_and_complements():
    t = pd.DataFrame(
        {"estimate": [0.1, 0.5, 0.95, 0.0], "n": [10, 10, 20, 10], "ci_lower": [0.0] * 4}
    )
    out = suppress_proportions(t)
    assert out["estimate"].isna().tolist() == [True, False, True, False]
    assert out["ci_lower"].isna().tolist() == [True, False, True, False]


# --------------------------------------------------------------------------------------
# Table 1 suppression
# --------------------------------------------------------------------------------------
def _baseline(rng, n=60):
    return pd.DataFrame(
        {
            "age": rng.normal(60, 10, n),
            "sex": rng.choice(["f", "m"], n),
            "site": rng.choice(["a", "b", "c"], n, p=[0.8, 0.15, 0.05]),
            "grade": rng.choice(["G1", "G2", "G3"], n, p=[0.5, 0.45, 0.05]),
        }
    )


def test_table_one_small_group_hidden_with_a_complement(rng):
    df = _baseline(rng)
    res = suppress_table_one(table_one(df, columns=["age", "sex", "site"], group="grade"))
    sizes = res.summary[res.summary["kind"] == "n"].set_index("group")["n"]
    counts = df["grade"].value_counts()
    assert 0 < counts["G3"] < 5
    other = counts.drop("G3").idxmin()  # the complement: the smaller of G1, G2
    assert pd.isna(sizes["G3"]) and pd.isna(sizes[other])
    assert sizes[counts.drop(["G3", other]).index[0]] == counts.drop(["G3", other]).iloc[0]
    assert sizes["Overall"] == len(df)
    hidden = res.summary[res.summary["group"].isin(["G3", other])]
    assert hidden["n"].isna().all()
    assert hidden[["mean", "sd", "percent"]].isna().all().all()
    assert res.smd["smd"].isna().all()  # every pair involves a hidden group


def test_table_one_percent_withheld_when_missing_count_is(rng):
    df = _baseline(rng, 80).assign(grade="all")
    df.loc[:1, "sex"] = None  # 2 missing: a small count
    res = suppress_table_one(table_one(df, columns=["sex"]))
    sex = res.summary[res.summary["variable"] == "sex"]
    assert sex["percent"].isna().all()
    assert sex.loc[sex["level"] == "Missing", "n"].isna().all()


def test_table_one_whole_cohort_below_threshold_shows_no_count():
    df = pd.DataFrame({"age": [50.0, 60, 70], "sex": ["f", "m", "f"]})
    res = suppress_table_one(table_one(df, columns=["age", "sex"]))
    assert res.summary["n"].isna().all()
    open_ = suppress_table_one(table_one(df, columns=["age", "sex"]), threshold=0)
    assert open_.summary["n"].notna().all()


# --------------------------------------------------------------------------------------
# scanning outputs
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        "seen on 2021-03-14",
        "2021/3/4",
        "14/03/2021",
        "03/14/2021",
        "14.03.2021",
        "14-Mar-2021",
        "14 March 2021",
        "March 14, 2021",
        "Dec 1st 2020",
        "2021-03-14T10:00:00",
    ],
)
def test_find_dates_common_formats(text):
    assert len(find_dates(text)) == 1


@pytest.mark.parametrize(
    "text",
    [
        "p = 0.001",
        "2021-03",
        "version 2025.9.1",
        "12/2021",
        "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
        "HR 1.23 (0.95-1.60)",
        "n=2021",
    ],
)
def test_no_false_dates(text):
    assert find_dates(text) == []


def test_identifiers_whole_tokens_only():
    ids = ["001", "P0012", "AB"]
    assert [f.match for f in check_text("patient 001 seen", identifiers=ids)] == ["001"]
    assert check_text("p = 0.001 and P00123 and 1001", identifiers=ids) == []
    assert [f.match for f in check_text("id P0012.", identifiers=ids)] == ["P0012"]
    # too short to search: "AB" would hit ordinary text
    assert check_text("AB testing", identifiers=ids) == []


def test_allowed_timestamp_is_not_a_finding():
    stamp = "2026-11-22T06:30:00Z"
    assert check_text(f"rendered {stamp}", allowed=[stamp]) == []
    assert len(check_text(f"rendered {stamp}; last contact 2026-11-22", allowed=[stamp])) == 1


def _png_with_text(key: str, value: str) -> bytes:
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(1, 1))
    buf = io.BytesIO()
    fig.savefig(buf, format="png", metadata={key: value})
    plt.close(fig)
    return buf.getvalue()


def _plant(tmp_path, kind: str, secret: str) -> None:
    (tmp_path / "clean.csv").write_text("grade,n\nG1,12\n")
    if kind == "html":
        (tmp_path / "r.html").write_text(f"<html><body><td>{secret}</td></body></html>")
    elif kind == "csv":
        (tmp_path / "t.csv").write_text(f"patient,n\n{secret},3\n")
    elif kind == "png":
        (tmp_path / "f.png").write_bytes(_png_with_text("Description", f"see {secret}"))
    elif kind == "svg":
        (tmp_path / "f.svg").write_text(f"<svg><title>{secret}</title></svg>")
    elif kind == "html_png":
        b64 = base64.b64encode(_png_with_text("Comment", secret)).decode()
        (tmp_path / "r.html").write_text(f'<img src="data:image/png;base64,{b64}">')
    elif kind == "ipynb":
        nb = {
            "cells": [
                {
                    "cell_type": "code",
                    "source": "x = 1",
                    "metadata": {},
                    "outputs": [{"output_type": "stream", "name": "stdout", "text": [secret]}],
                }
            ],
            "metadata": {},
        }
        (tmp_path / "r.ipynb").write_text(json.dumps(nb))
    elif kind == "ipynb_png":
        b64 = base64.b64encode(_png_with_text("Author", secret)).decode()
        nb = {
            "cells": [
                {
                    "cell_type": "code",
                    "source": "",
                    "metadata": {},
                    "outputs": [{"output_type": "display_data", "data": {"image/png": b64}}],
                }
            ],
            "metadata": {},
        }
        (tmp_path / "r.ipynb").write_text(json.dumps(nb))


@pytest.mark.parametrize("kind", ["html", "csv", "png", "svg", "html_png", "ipynb", "ipynb_png"])
@pytest.mark.parametrize("secret", ["P0042", "2019-02-11", "11/02/2019"])
def test_planted_secrets_are_found_with_file_named(tmp_path, kind, secret):
    _plant(tmp_path, kind, secret)
    with pytest.raises(PrivacyError, match=secret.replace(".", r"\.")) as info:
        check_outputs(tmp_path, identifiers=["P0042"])
    files = {f.file for f in info.value.findings}
    assert "clean.csv" not in files and len(files) == 1


def test_clean_outputs_pass(tmp_path):
    (tmp_path / "t.csv").write_text("grade,n,p\nG1,12,0.001\n")
    (tmp_path / "f.png").write_bytes(_png_with_text("Software", "matplotlib"))
    assert check_outputs(tmp_path, identifiers=["P0042"]) == []


def test_cohort_identifiers_from_minimal():
    from netstats.io import load_cohort
    from tests._cohorts import MINIMAL

    ids = cohort_identifiers(load_cohort(MINIMAL))
    assert {"001", "004", "S001A", "I003B"} <= set(ids)


def test_bad_count_tables_get_one_clear_error_naming_every_bad_cell():
    guard = Disclosure()
    with pytest.raises(ValueError, match=r"2 cell\(s\) do not: row 0: 2.5; row 1: 'x'"):
        guard.counts(pd.DataFrame({"g": ["a", "b", "c"], "n": [2.5, "x", 4]}))
    with pytest.raises(KeyError, match=r"km_at: column\(s\) \['n_at_risk'\] not found"):
        guard.km_at(pd.DataFrame({"group": ["a"], "time": [6.0], "n_events": [3]}))
    with pytest.raises(KeyError, match=r"proportions: column\(s\) \['k', 'n'\] not found"):
        guard.proportions(pd.DataFrame({"group": ["a"]}), count="k", denominator="n")

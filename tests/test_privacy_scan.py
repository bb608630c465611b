"""The output scan: dates in every common layout, and identifiers told from counts by context."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import netstats
from netstats.report import (
    DATE_LAYOUTS,
    PrivacyError,
    check_outputs,
    check_text,
    cohort_identifiers,
    find_dates,
    identifier_search,
    render,
)

ANALYSES = Path(__file__).resolve().parents[1] / "analyses"


# --- dates ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        "20210412",
        "2021.04.12",
        "12th April 2021",
        "12th of April 2021",
        "12.04.21",
        "04/12/21",
        "4/12/21",
        "12-04-21",
        "Apr-12-2021",
        "visit_2021-04-12",
        "scan_20210412.png",
        "2021-W15-1",
        "2021W151",
        "2021-04-12",
        "2021/4/12",
        "12/04/2021",
        "12-04-2021",
        "12 Apr 2021",
        "12-Apr-21",
        "12APR2021",
        "April 12, 2021",
        "Apr 12,2021",
        "Dec 1st 2020",
        "2021-04-12T10:00:00Z",
    ],
)
def test_every_date_layout_is_found(text):
    assert len(find_dates(f"seen on {text} in clinic")) == 1, text


@pytest.mark.parametrize(
    "text",
    [
        "p = 0.001",
        "p < 0.0412",
        "2021-04",
        "04/2021",
        "April 2021",
        "version 2025.9.1",
        "netstats v2021.04.12",
        "numpy 1.26.4, scipy 1.13.1, python 3.11.7, matplotlib 3.5.3",
        "0.12.04",
        "12.04.2",
        "20.7 (17.8-23.7)",
        "HR 1.23 (0.95-1.60); 0.12-04.21",
        "n=2021",
        "seed 12345678",
        "seed = 20261122",
        "<td>seed seed</td> <td>20261122</td>",
        "bootstrap_seed,20261122",
        "20211399",
        "19000230",
        "120 patients, 309 lines, 1204 scans",
        "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
        "median 12.04 months (21.0)",
        "decimal 12, 2021",
    ],
)
def test_ordinary_numbers_are_not_dates(text):
    assert find_dates(text) == [], text


def _ordinal(day: int) -> str:
    suffix = "th" if 10 <= day % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix}"


_FORMATS = {
    "iso": lambda d: d.isoformat(),
    "compact": lambda d: d.strftime("%Y%m%d"),
    "year_dotted": lambda d: d.strftime("%Y.%m.%d"),
    "day_first": lambda d: d.strftime("%d/%m/%Y"),
    "month_first": lambda d: d.strftime("%m/%d/%Y"),
    "dotted": lambda d: d.strftime("%d.%m.%Y"),
    "short_dotted": lambda d: d.strftime("%d.%m.%y"),
    "short_us": lambda d: d.strftime("%m/%d/%y"),
    "day_month": lambda d: d.strftime("%d %b %Y"),
    "ordinal": lambda d: f"{_ordinal(d.day)} {d:%B %Y}",
    "sas": lambda d: d.strftime("%d%b%Y").upper(),
    "month_day": lambda d: d.strftime("%B %d, %Y"),
    "month_dashed": lambda d: d.strftime("%b-%d-%Y"),
    "prefixed": lambda d: f"visit_{d.isoformat()}",
    "iso_week": lambda d: "{}-W{:02d}-{}".format(*d.isocalendar()),
}


@given(
    day=st.dates(min_value=dt.date(1950, 1, 1), max_value=dt.date(2050, 12, 31)),
    layout=st.sampled_from(sorted(_FORMATS)),
    before=st.sampled_from(["", "seen ", "(", "date: ", "| "]),
    after=st.sampled_from(["", ".", ", then", ")", " |"]),
)
def test_any_date_in_any_layout_is_found(day, layout, before, after):
    text = _FORMATS[layout](day)
    assert find_dates(f"{before}{text}{after}") != [], text


def test_layouts_are_documented():
    assert all(example for _, example in DATE_LAYOUTS.values())


# --- identifiers ------------------------------------------------------------------------
NUMERIC = [str(i) for i in range(1, 121)]


def test_short_and_numeric_ids_are_split_by_how_they_are_searched():
    search = identifier_search(["P000001", "001", "A7", "17", "AB"])
    assert set(search.tokens) == {"P000001", "001", "A7"}
    assert set(search.in_context) == {"17", "AB"}
    assert "17" in search.note and "only where" in search.note
    assert identifier_search(["P000001"]).note == ""


@pytest.mark.parametrize(
    "text",
    [
        "patient 17 progressed",
        "Patient_ID: 17",
        "ID 17 had a PR",
        "case #17",
        "subject 17",
        "MRN 17",
        "record no. 17",
    ],
)
def test_numeric_id_in_an_identifier_context_is_found(text):
    assert [f.match for f in check_text(text, identifiers=NUMERIC)] == ["17"]


@pytest.mark.parametrize(
    "text",
    [
        "17 patients had 120 lines; 17 (14.2%) progressed",
        "median PFS 17.0 months (95% CI 12.0-23.7); HR 1.17",
        "| grade | n |\n|---|---|\n| G1 | 17 |\n| G2 | 120 |\n| G3 | 5 |",
        "<table><thead><tr><th></th><th>n</th></tr></thead>"
        "<tbody><tr><th>0</th><td>17</td></tr><tr><th>1</th><td>120</td></tr></tbody></table>",
        "patients 17 of 120",  # a count of patients, plural
        '<span style="color:#111">#</span>',
    ],
)
def test_counts_are_not_numeric_ids(text):
    assert check_text(text, identifiers=NUMERIC) == []


def test_id_columns_and_listings_are_found_in_tables():
    html = (
        "<table><thead><tr><th></th><th>patient_id</th><th>pfs</th></tr></thead><tbody>"
        "<tr><th>0</th><td>17</td><td>3.2</td></tr></tbody></table>"
    )
    assert [f.match for f in check_text(html, identifiers=NUMERIC)] == ["17"]
    listing = "who,months\n" + "".join(f"{i},{i / 3:.1f}\n" for i in range(20, 26))
    assert check_text(listing, file="t.csv", identifiers=NUMERIC) != []
    assert check_text(listing, file="t.txt", identifiers=NUMERIC) == []  # not read as CSV
    decreasing = "months,at_risk\n0,120\n6,98\n12,75\n18,40\n24,17\n"
    assert check_text(decreasing, file="t.csv", identifiers=NUMERIC) == []
    by_month = "month,events\n" + "".join(f"{i},{i % 3}\n" for i in range(1, 9))
    assert check_text(by_month, file="t.csv", identifiers=NUMERIC) == []  # a time, not ids
    index = "<table>" + "".join(f"<tr><th>{i}</th><td>{i * 7}</td></tr>" for i in range(1, 9))
    assert check_text(index + "</table>", identifiers=NUMERIC) == []  # an unnamed row index
    markdown = "| Patient | response |\n|---|---|\n| 17 | PR |"
    assert [f.match for f in check_text(markdown, identifiers=NUMERIC)] == ["17"]


def test_short_alphanumeric_ids_are_whole_tokens():
    ids = ["A7", "B12"]
    assert [f.match for f in check_text("biopsy of A7 and B12.", identifiers=ids)] == ["A7", "B12"]
    assert check_text("A75 and xA7 and 1.A7 and a7", identifiers=ids) == []


def test_a_failed_scan_notes_how_ids_were_searched(tmp_path):
    (tmp_path / "notes.md").write_text("patient 17 progressed\n17 patients in all\n")
    with pytest.raises(PrivacyError, match="only where") as info:
        check_outputs(tmp_path, identifiers=NUMERIC)
    assert [f.match for f in info.value.findings] == ["17"]
    clean = tmp_path / "clean"
    clean.mkdir()
    (clean / "t.csv").write_text("grade,n\nG1,17\nG2,120\n")
    result = check_outputs(clean, identifiers=NUMERIC)
    assert result == [] and "120 identifiers" in result.notes[0]


# --- rendering --------------------------------------------------------------------------
def _numbered_cohort(folder: Path, n: int = 120, seed: int = 7) -> Path:
    """A simulated cohort whose patients are numbered 1..n (and samples/scans after them)."""
    cohort = netstats.simulate_cohort(n_patients=n, seed=seed)
    src = netstats.save_cohort(cohort, folder / "raw")
    new = {pid: str(i) for i, pid in enumerate(sorted(cohort.patients["patient_id"]), 1)}
    out = folder / "numbered"
    out.mkdir()
    for path in src.glob("*.csv"):
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
        for col in ("sample_id", "scan_id"):
            if col in table:
                table[col] = [
                    new[p] + v.removeprefix(p)
                    for p, v in zip(table["patient_id"], table[col], strict=True)
                ]
        table["patient_id"] = table["patient_id"].map(new)
        table.to_csv(out / path.name, index=False)
    return out


def test_overview_of_a_numbered_cohort_renders(tmp_path):
    data = _numbered_cohort(tmp_path)
    cohort = netstats.load_cohort(data)
    assert set(cohort.patients["patient_id"]) == set(NUMERIC)
    done = render(ANALYSES, data=data, out=tmp_path / "reports", only="01", progress=False)
    assert done.notebooks == ["01_cohort_overview"]
    # the scan did run with these ids: a planted "patient 17" is caught in the same report
    ids = cohort_identifiers(cohort)
    allowed = [done.rendered_at]
    assert check_outputs(done.out, identifiers=ids, allowed=allowed) == []
    page = done.out / "01_cohort_overview" / "01_cohort_overview_nocode.html"
    page.write_text(page.read_text() + "<p>Patient 17 withdrew.</p>")
    table = done.out / "01_cohort_overview" / "tables" / "planted.csv"
    table.write_text("patient_id,months\n42,3.1\n")
    findings = check_outputs(done.out, identifiers=ids, allowed=allowed, raise_on_finding=False)
    assert sorted(f.match for f in findings if f.kind == "identifier") == ["17", "42"]

"""The published case series loads as a real, sparse cohort and matches the papers.

Expected values are the facts reported in the case reports (see
data/case_series/README.md for the source of each value and the date rules).
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from netstats.io import load_cohort, save_cohort
from netstats.schema import TABLES
from tests._reader import report_findings

CASES = Path(__file__).resolve().parents[1] / "data" / "case_series"


@pytest.fixture(scope="module")
def cohort():
    return load_cohort(CASES)


def _line(cohort, pid: str, line: int) -> pd.Series:
    lines = cohort.therapy_lines
    return lines[(lines["patient_id"] == pid) & (lines["line"] == line)].iloc[0]


def _month(value) -> str:
    return pd.Timestamp(value).strftime("%Y-%m")


def test_loads_without_problems(cohort):
    assert cohort.n_patients == 3
    assert cohort.problems.empty
    assert cohort.truth is None
    assert list(cohort.patients["patient_id"]) == ["CS01", "CS02", "CS03"]


def test_sparse_records_stay_missing(cohort):
    p = cohort.pathology
    assert p["ki67_cells_counted"].isna().all()  # no paper reports the cells counted
    assert cohort.patients["birth_date"].isna().all()
    assert cohort.patients["death_date"].isna().all()
    cs01 = cohort.imaging[cohort.imaging["patient_id"] == "CS01"]
    assert cs01["krenning_score"].isna().all()
    assert cohort.imaging["suvmax_spleen"].isna().all()


def test_cs01_sequence_matches_the_report(cohort):
    pat = cohort.patients.set_index("patient_id").loc["CS01"]
    assert (pat["sex"], pat["age_at_diagnosis"]) == ("male", 55)
    first = _line(cohort, "CS01", 1)
    assert first["regimen"] == "octreotide LAR + TACE"
    assert first["drug_class"] == "SSA + liver-directed"
    assert _month(first["start_date"]) == "2019-08"
    assert _month(first["progression_date"]) == "2022-08"
    assert first["best_response"] == "SD"
    second = _line(cohort, "CS01", 2)
    assert (second["regimen"], second["end_reason"]) == ("surufatinib", "toxicity")
    assert _month(second["start_date"]) == "2022-09"
    assert second["end_date"] == pd.Timestamp("2024-01-08")
    third = _line(cohort, "CS01", 3)
    assert (third["regimen"], third["best_response"]) == ("everolimus", "PR")
    assert _month(third["start_date"]) == "2024-01"
    assert _month(third["last_assessment_date"]) == "2025-01"
    fourth = _line(cohort, "CS01", 4)
    assert (fourth["regimen"], fourth["end_reason"]) == ("octreotide LAR", "ongoing")
    assert pd.isna(fourth["end_date"])
    assert _month(fourth["last_assessment_date"]) == "2025-05"
    path = cohort.pathology[cohort.pathology["patient_id"] == "CS01"].set_index("site")
    assert path.loc["primary", "ki67_percent"] == 5.0
    assert path.loc["liver", "ki67_percent"] == 2.0


def test_cs01_everolimus_reexpression_scans(cohort):
    scans = cohort.imaging[cohort.imaging["patient_id"] == "CS01"].sort_values("scan_date")
    assert list(scans["tracer"]) == ["68Ga-DOTATATE", "68Ga-DOTATATE"]
    assert [_month(d) for d in scans["scan_date"]] == ["2023-09", "2025-02"]
    assert list(scans["suvmax_lesion"]) == [18.76, 83.08]
    everolimus = _line(cohort, "CS01", 3)
    assert scans["scan_date"].iloc[0] < everolimus["start_date"] < scans["scan_date"].iloc[1]


def test_cs02_prrt_and_remission(cohort):
    pat = cohort.patients.set_index("patient_id").loc["CS02"]
    assert (pat["sex"], pat["age_at_diagnosis"], pat["stage_at_diagnosis"]) == ("male", 80, "II")
    prrt = _line(cohort, "CS02", 2)
    assert prrt["regimen"] == "177Lu-DOTATATE"
    assert prrt["cycles"] == 4
    assert (_month(prrt["start_date"]), _month(prrt["end_date"])) == ("2017-03", "2017-10")
    assert (prrt["end_reason"], prrt["best_response"]) == ("completed", "CR")
    assert _line(cohort, "CS02", 1)["regimen"] == "lanreotide"
    path = cohort.pathology[cohort.pathology["patient_id"] == "CS02"].set_index("site")
    assert (path.loc["primary", "ki67_percent"], path.loc["liver", "ki67_percent"]) == (10, 15)
    scans = cohort.imaging[cohort.imaging["patient_id"] == "CS02"]
    fdg = scans[scans["tracer"] == "18F-FDG"].sort_values("scan_date")
    assert list(fdg["fdg_avid"]) == [True, False]
    assert scans["suvmax_lesion"].max() == 108.0
    final = scans[scans["scan_date"].dt.year == 2019]
    assert set(final["tracer"]) == {"68Ga-DOTANOC", "18F-FDG"}


def test_cs03_captem_raises_krenning(cohort):
    pat = cohort.patients.set_index("patient_id").loc["CS03"]
    assert (pat["sex"], pat["age_at_diagnosis"], pat["primary_site"]) == ("female", 58, "stomach")
    captem = _line(cohort, "CS03", 1)
    assert (captem["regimen"], captem["cycles"]) == ("CAPTEM", 6)
    scans = cohort.imaging[cohort.imaging["patient_id"] == "CS03"].sort_values("scan_date")
    assert list(scans["krenning_score"]) == [1, 3]
    assert list(scans["suvmax_lesion"]) == [9.09, 11.47]
    assert scans["scan_date"].iloc[0] < captem["start_date"] <= scans["scan_date"].iloc[1]
    assert cohort.pathology.set_index("patient_id").loc["CS03", "ki67_percent"] == 7.5


def test_round_trip_keeps_every_value(cohort, tmp_path):
    again = load_cohort(save_cohort(cohort, tmp_path / "cases"))
    for name in TABLES:
        pd.testing.assert_frame_equal(getattr(again, name), getattr(cohort, name))


def test_readme_cites_every_patient_and_the_date_rules():
    text = (CASES / "README.md").read_text()
    for needle in ("CS01", "CS02", "CS03", "Soeiro", "bcr-2019-233263", "15th", "2000-01-01"):
        assert needle in text


def _visible(page: str) -> str:
    """The page without scripts, styles and embedded images (the text and tables)."""
    import re

    page = re.sub(r"<(script|style)[^>]*>.*?</\1>", "", page, flags=re.S)
    return re.sub(r'data:image/[^"]+', "", page)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    from netstats.report import render

    out = tmp_path_factory.mktemp("case_series_report") / "r"
    analyses = Path(__file__).resolve().parents[1] / "analyses"
    render(
        analyses,
        data=CASES,
        out=out,
        only=["02_survival_by_line", "05_case_series"],
        suppression_threshold=0,
        check_privacy=False,
        progress=False,
    )
    return out


def test_case_series_reader_sees_no_codes_or_column_names(rendered):
    assert report_findings(rendered) == []


def test_case_series_report_is_descriptive(rendered):
    folder = rendered / "05_case_series"
    page = _visible((folder / "05_case_series_nocode.html").read_text())
    for word in ("Kaplan", "log-rank", "Log-rank", "p =", "<NA>", "\\n"):
        assert word not in page, word
    assert not re.search(r"\b(?:nan|NaN)\b", page)  # "provenance" holds "nan"
    for heading in ("Patients", "Course of each patient", "Lines of therapy", "SSTR imaging"):
        assert f">{heading}<" in page
    assert "Soeiro" in page  # the source of each case is named
    figures = {p.stem for p in (folder / "figures").glob("*.png")}
    assert {"timelines", "sstr_suvmax", "sstr_krenning", "ki67"} <= figures
    lines = pd.read_csv(folder / "tables" / "lines.csv")
    assert list(lines["Start (months)"].round(1)) == [48.0, 85.0, 101.0, 115.5, 48.0, 60.9, 0.5]


def test_case_series_report_shows_no_calendar_dates(rendered, cohort):
    folder = rendered / "05_case_series"
    shown = [folder / "05_case_series_nocode.html", *(folder / "tables").glob("*.csv")]
    dates = {
        d.strftime("%Y-%m-%d")
        for name in ("therapy_lines", "imaging", "pathology")
        for col in getattr(cohort, name).columns
        if col.endswith("_date")
        for d in getattr(cohort, name)[col].dropna()
    }
    for path in shown:
        if path.name == "provenance.csv":
            continue
        text = path.read_text()
        assert not [d for d in dates if d in text], path.name


def test_survival_report_below_its_minimum_size_is_a_note(rendered):
    page = _visible(
        (rendered / "02_survival_by_line" / "02_survival_by_line_nocode.html").read_text()
    )
    assert "fewer than the 20" in page
    for heading in ("Kaplan-Meier estimates", "Cox model of PFS", "Restricted mean survival time"):
        assert f">{heading}<" not in page, heading
    assert "log-rank p" not in page

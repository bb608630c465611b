"""Play the attacker on protected tables: differencing, proportion x denominator, CI and
KM-step inversion.  Every test fails when a withheld count below the threshold can be
recovered; the same attacks recover the counts the earlier per-table suppression leaked.
"""

from __future__ import annotations

import json
from functools import cache

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import netstats as ns
from netstats import grading, report, sstr, survival, tables
from netstats.endpoints import line_endpoints
from netstats.io._bundled import bundled_cohort_path
from tests._attack import (
    align,
    attack_counts,
    attack_km,
    attack_proportions,
    attack_table_one,
)

K = 5
TIMES = [6.0, 12.0, 24.0]


@cache
def _cohort():
    return ns.load_cohort(bundled_cohort_path())


def _grade_by_site(cohort) -> pd.DataFrame:
    graded = grading.grade_specimens(cohort.pathology)
    spec = cohort.pathology[["sample_id", "site"]].merge(
        graded[["sample_id", "who_grade"]], on="sample_id"
    )
    return (
        spec.assign(who_grade=spec["who_grade"].astype("string").fillna("not graded"))
        .groupby(["site", "who_grade"], observed=True)
        .size()
        .rename("n")
        .reset_index()
    )


def _lines(cohort) -> pd.DataFrame:
    return line_endpoints(cohort)


# --------------------------------------------------------------------------------------
# the bundled cohort, through the notebooks' protection path (fast)
# --------------------------------------------------------------------------------------
def test_grade_by_site_keeps_the_primaries_and_resists_differencing():
    truth = _grade_by_site(_cohort())
    guard = report.Disclosure(threshold=K)
    shown = guard.counts(truth, rows=["site"], cols=["who_grade"])
    primaries = shown[shown["site"] == "primary"]
    assert primaries["n"].notna().all()
    assert primaries["n"].sum() == truth.loc[truth["site"] == "primary", "n"].sum()
    assert shown["n"].notna().any() and not shown["n"].isna().all()
    found = attack_counts(
        truth, shown, keys=["site", "who_grade"], lines=[["site"], ["who_grade"]], threshold=K
    )
    assert found == {}


def test_conversion_rates_resist_proportion_and_ci_inversion():
    cohort = _cohort()
    rates = sstr.conversion_rates(sstr.reexpression_pairs(cohort, rule="krenning>=3"))
    shown = report.Disclosure(threshold=K).proportions(
        rates, count="n_converted", denominator="n_pairs", also=["n_patients"]
    )
    assert attack_proportions(shown, count="n_converted", denominator="n_pairs", threshold=K) == {}
    assert shown["estimate"].notna().any()
    # the earlier per-column suppression gave the counts back
    leaky = report.suppress_small(
        rates, columns=["n_pairs", "n_patients", "n_converted"], threshold=K
    )
    found = attack_proportions(leaky, count="n_converted", denominator="n_pairs", threshold=K)
    assert found


@pytest.mark.filterwarnings("ignore::netstats.exceptions.StatisticalWarning")
def test_km_landmarks_resist_differencing_and_step_inversion():
    lines = _lines(_cohort())
    guard = report.Disclosure(threshold=K)
    for endpoint in ("pfs", "os"):
        km = survival.kaplan_meier(
            lines, time=f"{endpoint}_months", event=f"{endpoint}_event", group="regimen"
        )
        sizes = {
            str(g): int(n)
            for g, n in lines.dropna(subset=[f"{endpoint}_months"])
            .groupby("regimen")
            .size()
            .items()
        }
        shown = guard.km_at(km.at(TIMES))
        assert "n_censored" not in shown.columns
        assert attack_km(shown, sizes, threshold=K) == {}
        leaky = report.suppress_small(
            km.at(TIMES), columns=["n_at_risk", "n_events", "n_censored"], threshold=K
        )
        if endpoint == "os":
            assert attack_km(leaky, sizes, threshold=K)


@pytest.mark.filterwarnings("ignore::netstats.exceptions.StatisticalWarning")
def test_weighted_km_landmarks_publish_no_weighted_counts():
    # With a constant weight c the weighted counts are c x the patient counts: published,
    # they would undo every withheld or rounded count.
    lines = _lines(_cohort()).dropna(subset=["pfs_months"]).assign(w=2.5)
    km = survival.kaplan_meier(
        lines, time="pfs_months", event="pfs_event", group="regimen", weights="w"
    )
    raw = km.at(TIMES)
    assert {"weighted_at_risk", "weighted_events"} <= set(raw.columns)
    shown = report.Disclosure(threshold=K).km_at(raw)
    assert not [c for c in shown.columns if str(c).startswith("weighted_")]
    sizes = {str(g): int(n) for g, n in lines.groupby("regimen").size().items()}
    assert attack_km(shown, sizes, threshold=K) == {}
    dropped = {c["column"] for c in shown.attrs["netstats_disclosure"]["coarsened"]}
    assert {"weighted_at_risk", "weighted_events"} <= dropped


@pytest.mark.filterwarnings("ignore::netstats.exceptions.StatisticalWarning")
def test_cumulative_incidence_landmarks_withhold_the_estimate_with_its_events():
    lines = _lines(_cohort()).dropna(subset=["ttf_months"])
    causes = {"progression": 1, "toxicity": 2, "death": 3}
    stop = lines.assign(
        cause=lines["ttf_reason"].map(causes).fillna(0).astype(int),
        line_group=np.where(lines["line"] == 1, "line 1", "line 2+"),
    )
    cif = survival.cumulative_incidence(stop, time="ttf_months", event="cause", group="line_group")
    sizes = {str(g): int(n) for g, n in stop.groupby("line_group").size().items()}
    shown = report.Disclosure(threshold=K).km_at(cif.at(TIMES))
    withheld = shown["n_events"].isna()
    assert withheld.any()  # the cohort has rare causes, so the check is not vacuous
    assert shown.loc[withheld, ["estimate", "ci_lower", "ci_upper"]].isna().all().all()
    assert attack_km(shown, sizes, threshold=K) == {}
    leaky = report.suppress_small(cif.at(TIMES), columns=["n_events"], threshold=K)
    assert attack_km(leaky, sizes, threshold=K)


def test_table_one_resists_totals_overall_and_percentages():
    cohort = _cohort()
    baseline = tables.patient_characteristics(cohort)
    cols = ["sex", "primary_site", "functional_status", "stage_at_diagnosis", "first_line_class"]
    t1 = tables.table_one(baseline, columns=cols, group="who_grade")
    shown = report.Disclosure(threshold=K).table_one(t1)
    truth = t1.summary[t1.summary["kind"] == "categorical"]
    assert attack_table_one(shown.summary, truth, K) == {}


# --------------------------------------------------------------------------------------
# adversarial tables: rare levels, one-patient strata, a group of exactly k, nesting
# --------------------------------------------------------------------------------------
def _frame(rows):
    return pd.DataFrame(rows, columns=["site", "grade", "n"])


@pytest.mark.parametrize(
    "table",
    [
        # one-patient stratum, alone in its row
        [("a", "G1", 1), ("b", "G1", 30), ("b", "G2", 12), ("c", "G1", 9), ("c", "G2", 7)],
        # a group of exactly k beside small cells
        [("a", "G1", 5), ("a", "G2", 2), ("b", "G1", 3), ("b", "G2", 40), ("c", "G2", 6)],
        # rare level in every row
        [
            (s, g, n)
            for s, row in zip(
                "abcd", [[20, 1, 9], [15, 2, 11], [30, 1, 8], [12, 0, 5]], strict=True
            )
            for g, n in zip(["G1", "G2", "G3"], row, strict=True)
        ],
    ],
)
def test_adversarial_two_way_tables(table):
    truth = _frame(table)
    shown = report.Disclosure(threshold=K).counts(truth, rows=["site"], cols=["grade"])
    assert shown["n"].notna().any(), "a table must not be withheld whole"
    found = attack_counts(
        truth, shown, keys=["site", "grade"], lines=[["site"], ["grade"]], threshold=K
    )
    assert found == {}


def test_same_group_is_one_group_across_tables():
    guard = report.Disclosure(threshold=K)
    first = guard.proportions(
        pd.DataFrame(
            {
                "group": ["any", "rare", "common"],
                "n_pairs": [30, 3, 27],
                "n_converted": [10, 1, 9],
                "estimate": [1 / 3, 1 / 3, 1 / 3],
            }
        ),
        count="n_converted",
        denominator="n_pairs",
    )
    assert pd.isna(first.loc[first["group"] == "rare", "n_pairs"]).all()
    later = guard.counts(pd.DataFrame({"group": ["rare", "common", "x"], "n": [9, 27, 40]}))
    assert later.loc[later["group"] == "rare", "n"].isna().all()
    assert attack_proportions(first, count="n_converted", denominator="n_pairs", threshold=K) == {}


@pytest.mark.filterwarnings("ignore::netstats.exceptions.StatisticalWarning")
def test_km_group_of_one_and_of_exactly_k():
    rng = np.random.default_rng(7)
    frame = pd.DataFrame(
        {
            "t": np.r_[rng.exponential(20, 40), [3.0], rng.exponential(5, K)],
            "e": np.r_[rng.integers(0, 2, 40), [1], np.ones(K, int)].astype(bool),
            "g": ["big"] * 40 + ["one"] + ["k"] * K,
        }
    )
    km = survival.kaplan_meier(frame, time="t", event="e", group="g")
    shown = report.Disclosure(threshold=K).km_at(km.at(TIMES))
    sizes = frame.groupby("g").size().to_dict()
    assert attack_km(shown, sizes, threshold=K) == {}
    assert shown.loc[shown["group"] == "big", "survival"].notna().any()


def test_record_lists_every_table(tmp_path):
    guard = report.Disclosure(threshold=K)
    out = report.ReportOutputs(tmp_path, notebook="t", disclosure=guard)
    out.table("a", guard.counts(pd.DataFrame({"g": ["x", "y", "z"], "n": [3, 10, 12]})))
    out.table("b", pd.DataFrame({"g": ["x"], "n": [2]}))
    doc = json.loads((tmp_path / report.DISCLOSURE_FILE).read_text())
    by_name = {o["name"]: o for o in doc["outputs"]}
    assert by_name["a"]["status"] == "pass" and by_name["a"]["withheld"]
    assert by_name["b"]["status"] == "review" and by_name["b"]["small_counts"] == {"n": 1}


# --------------------------------------------------------------------------------------
# a rendered report of the bundled cohort: the attacker reads only tables/*.csv
# --------------------------------------------------------------------------------------
@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::netstats.exceptions.StatisticalWarning")
def test_rendered_report_withholds_nothing_recoverable(tmp_path):
    out = tmp_path / "rep"
    report.render(
        data=str(bundled_cohort_path()),
        out=out,
        only=["01", "02", "03", "04"],
        suppression_threshold=K,
        progress=False,
    )
    cohort = _cohort()
    found: dict[str, dict] = {}
    rates = pd.read_csv(out / "04_sstr_pet/tables/conversion_rates.csv")
    found["conversion_rates"] = attack_proportions(
        rates, count="n_converted", denominator="n_pairs", threshold=K
    )
    lines = _lines(cohort)
    lines = lines[lines["line"] <= 3].assign(line=lambda d: "line " + d["line"].astype(str))
    for endpoint in ("pfs", "os"):
        for grp in ("line", "regimen"):
            path = out / f"02_survival_by_line/tables/{endpoint}_by_{grp}_landmarks.csv"
            if not path.exists():
                continue
            sizes = {
                str(g): int(n)
                for g, n in lines.dropna(subset=[f"{endpoint}_months"]).groupby(grp).size().items()
            }
            # the published tables name the group column after the grouping
            found[path.name] = attack_km(pd.read_csv(path), sizes, threshold=K, group=grp)
    truth = _grade_by_site(cohort)
    shown = pd.read_csv(out / "03_ki67_grade/tables/grade_by_site.csv")
    found["grade_by_site"] = attack_counts(
        truth, shown, keys=["site", "who_grade"], lines=[["site"], ["who_grade"]], threshold=K
    )
    assert shown.loc[shown["site"] == "primary", "n"].notna().all()
    t1 = tables.table_one(
        tables.patient_characteristics(cohort),
        columns=[
            "age_at_diagnosis",
            "sex",
            "primary_site",
            "functional_status",
            "hereditary_syndrome",
            "stage_at_diagnosis",
            "ki67_percent",
            "first_line_class",
        ],
        group="who_grade",
        nonnormal=["ki67_percent"],
    )
    found["table1_long"] = attack_table_one(
        pd.read_csv(out / "01_cohort_overview/tables/table1_long.csv"),
        t1.summary[t1.summary["kind"] == "categorical"],
        K,
    )
    assert {k: v for k, v in found.items() if v} == {}
    # no table withheld whole; every output is in the record
    for csv in out.glob("*/tables/*.csv"):
        frame = pd.read_csv(csv)
        for col in ("n", "n_at_risk"):
            if col in frame.columns and len(frame) > 1:
                assert frame[col].notna().any(), csv
    record = json.loads((out / report.DISCLOSURE_FILE).read_text())
    recorded = {(nb["folder"], o["name"]) for nb in record["notebooks"] for o in nb["outputs"]}
    for csv in out.glob("*/tables/*.csv"):
        assert (csv.parent.parent.name, csv.stem) in recorded
    assert 'href="disclosure.html"' in (out / "index.html").read_text()


@st.composite
def _two_way(draw):
    n_rows, n_cols = draw(st.integers(2, 4)), draw(st.integers(2, 4))
    cell = st.one_of(st.integers(0, 4), st.integers(0, 30))
    return [(f"r{i}", f"c{j}", draw(cell)) for i in range(n_rows) for j in range(n_cols)]


@settings(max_examples=20, deadline=None)
@given(_two_way())
def test_random_two_way_tables_resist_differencing(table):
    truth = pd.DataFrame(table, columns=["site", "grade", "n"])
    guard = report.Disclosure(threshold=K)
    shown = guard.counts(truth, rows=["site"], cols=["grade"])
    found = attack_counts(
        truth, shown, keys=["site", "grade"], lines=[["site"], ["grade"]], threshold=K
    )
    published = shown["n"].notna().to_numpy()
    values = align(truth, shown, ["site", "grade"])["_truth"].to_numpy()
    assert not (published & (values > 0) & (values < K)).any()
    if found:
        # the totals can pin a cell only when one of them is itself a small count: the
        # record then says which totals must not be published
        cells = align(truth, shown, ["site", "grade"])
        totals = pd.concat([cells.groupby(k)["_truth"].sum() for k in ("site", "grade")])
        assert ((totals > 0) & (totals < K)).any()
        note = guard.check("t", shown)
        assert note["status"] == "review" and note["totals_not_publishable"]


def test_report_record_and_page(tmp_path):
    from netstats.report._record import write_disclosure_record

    for name in ("01_a", "02_b"):
        guard = report.Disclosure(threshold=K)
        out = report.ReportOutputs(tmp_path / name, notebook=name, disclosure=guard)
        out.table("t", guard.counts(pd.DataFrame({"g": ["x", "y", "z"], "n": [2, 10, 12]})))
    assert write_disclosure_record(tmp_path, ["01_a", "02_b"], rendered_at="2026-01-01")
    doc = json.loads((tmp_path / report.DISCLOSURE_FILE).read_text())
    assert [nb["folder"] for nb in doc["notebooks"]] == ["01_a", "02_b"]
    page = (tmp_path / "disclosure.html").read_text()
    assert page.count("G x [n]: primary") == 2  # the reader's labels: column g, level x
    again = (tmp_path / report.DISCLOSURE_FILE).read_text()
    write_disclosure_record(tmp_path, ["01_a", "02_b"], rendered_at="2026-01-01")
    assert (tmp_path / report.DISCLOSURE_FILE).read_text() == again

"""The synthetic cohort generator: validity, determinism, scenario effects and calibration.

Calibration tests (marked slow) compare estimates from the recorded tables with the truth
the generator reports; Kaplan-Meier and Cox fits use lifelines, an implementation
independent of netstats.
"""

from __future__ import annotations

import filecmp
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pandas.testing import assert_frame_equal

from netstats.cohort import Cohort
from netstats.io import load_cohort, save_cohort
from netstats.schema import DAYS_PER_MONTH, TABLES
from netstats.simulate import (
    BUNDLED_N_PATIENTS,
    BUNDLED_SEED,
    REGIMEN_PARAMETERS,
    Scenario,
    simulate_cohort,
)
from netstats.vocab import REGIMENS, normalize_regimen

ROOT = Path(__file__).resolve().parents[1]
SYNTHETIC = ROOT / "data" / "synthetic"
ALLOWED_WARNINGS = {"few_cells"}  # documented: few_cells_share of small specimens


def _who_grade(ki67: pd.Series, mitoses: pd.Series) -> pd.Series:
    """WHO 2019 grade of well-differentiated NETs (the higher of Ki-67 and mitoses)."""
    k = np.select([ki67 < 3, ki67 <= 20], [1, 2], 3)
    m = np.select([mitoses.isna(), mitoses < 2, mitoses <= 20], [1, 1, 2], 3)
    return pd.Series(np.maximum(k, m), index=ki67.index)


def _line_pfs(cohort: Cohort) -> pd.DataFrame:
    """PFS per line from the raw dates: event = progression, or death with no later line;
    censored at the next line's start or at last contact."""
    lines = cohort.therapy_lines.sort_values(["patient_id", "line"]).copy()
    pats = cohort.patients.set_index("patient_id")
    nxt = lines.groupby("patient_id")["start_date"].shift(-1)
    death = lines["patient_id"].map(pats["death_date"])
    last = lines["patient_id"].map(pats["last_contact_date"])
    prog = lines["progression_date"]
    death_event = prog.isna() & nxt.isna() & death.notna()
    end = prog.fillna(death.where(death_event)).fillna(nxt).fillna(last)
    lines["pfs_months"] = (end - lines["start_date"]).dt.days / DAYS_PER_MONTH
    lines["pfs_event"] = prog.notna() | death_event
    return lines


# --- validity ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cohort() -> Cohort:
    return simulate_cohort(400, seed=7)


def test_default_cohort_validates_with_only_documented_warnings(cohort):
    assert isinstance(cohort, Cohort)
    assert cohort.n_patients == 400
    assert cohort.source == "simulated"
    assert set(cohort.problems["rule"]) <= ALLOWED_WARNINGS
    assert (cohort.problems["severity"] == "warning").all()


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 40))
def test_any_seed_and_size_validates(seed, n):
    c = simulate_cohort(n, seed=seed)  # from_tables raises on any error
    assert c.n_patients == n
    # A tiny cohort may have no lines or scans at all: those tables are reported absent.
    empty = {name for name in TABLES if len(getattr(c, name)) == 0}
    missing = set(c.problems.loc[c.problems["rule"] == "table_missing", "table"])
    assert missing == empty
    assert set(c.problems["rule"]) <= ALLOWED_WARNINGS | {"table_missing"}
    fast = simulate_cohort(n, seed=seed, validate=False)
    for name in TABLES:
        assert_frame_equal(getattr(fast, name), getattr(c, name))


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**32 - 1),
    nec_share=st.floats(0, 0.5),
    max_lines=st.integers(1, 5),
    reexpression_rate=st.floats(0, 1),
    hr_ki67_doubling=st.floats(0.5, 3),
    assessment_interval_months=st.floats(1, 6),
    lost_to_follow_up_share=st.floats(0, 1),
)
def test_any_scenario_validates(seed, **params):
    c = simulate_cohort(60, seed=seed, **params)
    assert set(c.problems["rule"]) <= ALLOWED_WARNINGS | {"table_missing"}


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_generator_invariants(seed):
    c = simulate_cohort(300, seed=seed, validate=False)
    lines = c.therapy_lines
    pats = c.patients.set_index("patient_id")
    # Progression ends a line at the assessment that shows it.
    prog = lines[lines["end_reason"] == "progression"]
    assert (prog["progression_date"] == prog["end_date"]).all()
    assert (prog["last_assessment_date"] == prog["progression_date"]).all()
    # A line that ended by death ends on the death date; ongoing lines are last lines of
    # patients alive at last contact.
    died = lines[lines["end_reason"] == "death"]
    assert (
        died["end_date"].to_numpy() == pats.loc[died["patient_id"], "death_date"].to_numpy()
    ).all()
    ongoing = lines[lines["end_reason"] == "ongoing"]
    last_line = lines.groupby("patient_id")["line"].transform("max")
    assert (ongoing["line"] == last_line[ongoing.index]).all()
    assert pats.loc[ongoing["patient_id"], "death_date"].isna().all()
    # Fixed-duration treatments never exceed their planned cycles.
    for regimen, params in REGIMEN_PARAMETERS.items():
        cycles = lines.loc[lines["regimen"] == regimen, "cycles"]
        if params.cycle_days is None:
            assert cycles.isna().all()
        else:
            assert cycles.between(1, params.cycles[1]).all()
    # Re-evaluation scans come after everolimus or CAPTEM has started.
    scans = c.imaging[c.imaging["tracer"] != "18F-FDG"]
    rescans = scans[scans.duplicated("patient_id", keep="first")]
    for _, scan in rescans.iterrows():
        mine = lines[lines["patient_id"] == scan["patient_id"]]
        started = mine[mine["regimen"].isin(["everolimus", "CAPTEM"])]["start_date"]
        assert (started < scan["scan_date"]).any()
    # Every patient's lines are numbered 1..k in time order, and follow-up ends last.
    assert (
        lines.groupby("patient_id")["line"].apply(lambda s: list(s) == list(range(1, len(s) + 1)))
    ).all()
    assert (c.patients["last_contact_date"] >= c.patients["diagnosis_date"]).all()


@settings(max_examples=5, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_no_few_cells_means_no_warnings(seed):
    c = simulate_cohort(30, seed=seed, few_cells_share=0.0)
    assert c.problems.empty


def test_unvalidated_tables_equal_validated_ones():
    fast = simulate_cohort(150, seed=3, validate=False)
    full = simulate_cohort(150, seed=3)
    for name in TABLES:
        assert_frame_equal(getattr(fast, name), getattr(full, name))
        assert list(getattr(fast, name).columns) == TABLES[name].names


def test_tables_use_canonical_vocabulary(cohort):
    lines = cohort.therapy_lines
    for regimen in lines["regimen"].unique():
        assert normalize_regimen(regimen) == (regimen, [])
        for part in regimen.split(" + "):
            assert part in REGIMENS.values
    assert set(REGIMEN_PARAMETERS) <= set(REGIMENS.values) | {"octreotide LAR + TACE"}
    assert lines["line"].between(1, 5).all()
    assert set(lines["end_reason"].dropna()) <= {
        "progression",
        "toxicity",
        "completed",
        "death",
        "patient_choice",
        "ongoing",
    }


def test_ki67_is_a_count(cohort):
    p = cohort.pathology
    implied = 100 * p["ki67_positive_cells"] / p["ki67_cells_counted"]
    np.testing.assert_allclose(p["ki67_percent"], implied.round(1).astype(float), atol=1e-9)
    assert (p["ki67_positive_cells"] <= p["ki67_cells_counted"]).all()
    assert (p["ki67_cells_counted"] >= 500).mean() > 0.9


def test_missing_values_are_missing_not_sentinels():
    c = simulate_cohort(2000, seed=5, validate=False)
    p, s = c.pathology, c.imaging
    assert 0.25 < p["mitoses_per_2mm2"].isna().mean() < 0.45
    assert c.patients["functional_status"].isna().any()
    assert c.patients["birth_date"].isna().any()
    for frame in (c.patients, p, c.therapy_lines, s):
        numeric = frame.select_dtypes(include=["number"]).drop(
            columns=["ki67_cells_counted", "ki67_positive_cells"], errors="ignore"
        )
        assert not (numeric < 0).any().any()
    # Plausible magnitudes: no 999-style placeholders in open-ended columns.
    assert p["tumour_size_mm"].max() < 300
    assert p["mitoses_per_2mm2"].max() < 200
    assert s[["suvmax_lesion", "suvmax_liver", "suvmax_spleen"]].max().max() < 300
    # Scans carry the fields of their tracer only.
    fdg = s["tracer"] == "18F-FDG"
    assert s.loc[fdg, "krenning_score"].isna().all()
    assert s.loc[~fdg, "fdg_avid"].isna().all()
    assert s.loc[fdg, "fdg_avid"].notna().all()


def test_case_mix_matches_the_scenario():
    c = simulate_cohort(4000, seed=9, validate=False)
    pats = c.patients
    assert (pats["primary_site"] == "pancreas").all()
    assert 0.33 <= (pats["stage_at_diagnosis"] == "IV").mean() <= 0.50
    functional = pats["functional_status"].dropna() != "non_functional"
    assert 0.08 <= functional.mean() <= 0.20
    syndrome = pats["hereditary_syndrome"]
    assert 0.01 < (syndrome.notna() & (syndrome != "none")).mean() < 0.1
    grades = c.truth["patients"]["grade"].value_counts(normalize=True)
    assert grades["NEC"] == pytest.approx(0.07, abs=0.015)
    assert grades["G2"] == pytest.approx(0.5 * 0.93, abs=0.03)


def test_latent_grade_is_who_grade_of_the_true_values(cohort):
    samples = cohort.truth["samples"]
    lo = samples["grade"].map({"G1": 0, "G2": 3, "G3": 20, "NEC": 20})
    hi = samples["grade"].map({"G1": 3, "G2": 20, "G3": 100, "NEC": 100})
    assert ((samples["ki67_true"] > lo) & (samples["ki67_true"] < hi)).all()
    path = cohort.pathology.reset_index(drop=True)
    well = path["differentiation"] == "well"
    mit = path["mitoses_per_2mm2"]
    g1 = samples["grade"].to_numpy() == "G1"
    assert (mit[g1 & well.to_numpy()].dropna() < 2).all()


# --- determinism --------------------------------------------------------------------------


def test_same_seed_same_cohort_byte_for_byte(tmp_path):
    a = save_cohort(simulate_cohort(120, seed=42), tmp_path / "a")
    b = save_cohort(simulate_cohort(120, seed=42), tmp_path / "b")
    for name in TABLES:
        assert (a / f"{name}.csv").read_bytes() == (b / f"{name}.csv").read_bytes()
    other = simulate_cohort(120, seed=43)
    assert not other.patients.equals(load_cohort(a).patients)


def test_truth_is_read_only_and_documented(cohort):
    truth = cohort.truth
    with pytest.raises(TypeError):
        truth["seed"] = 1  # type: ignore[index]
    expected = {
        "generator_version",
        "seed",
        "scenario",
        "pfs",
        "lines",
        "hr_ki67_doubling",
        "hr_per_line",
        "regimens",
        "discordance",
        "sstr_negative",
        "sstr_negative_share_g1g2",
        "reexpression_rate",
        "n_reevaluated",
        "os",
        "patients",
        "samples",
    }
    assert expected <= set(truth)
    assert truth["seed"] == 7
    assert truth["sstr_negative_share_g1g2"] < 0.05
    recorded = cohort.therapy_lines[["patient_id", "line", "regimen"]].reset_index(drop=True)
    assert_frame_equal(
        truth["lines"][["patient_id", "line", "regimen"]].astype(recorded.dtypes.to_dict()),
        recorded,
    )


def test_bundled_synthetic_cohort_regenerates_identically(tmp_path):
    fresh = save_cohort(
        simulate_cohort(BUNDLED_N_PATIENTS, seed=BUNDLED_SEED), tmp_path / "synthetic"
    )
    for name in TABLES:
        assert filecmp.cmp(fresh / f"{name}.csv", SYNTHETIC / f"{name}.csv", shallow=False), name
    readme = (SYNTHETIC / "README.md").read_text()
    assert "synthetic" in readme.lower()
    assert str(BUNDLED_SEED) in readme


# --- scenario parameters ------------------------------------------------------------------


def _median_by_grade(c: Cohort, regimen: str) -> pd.Series:
    lines = c.truth["lines"].merge(c.truth["patients"][["patient_id", "grade"]])
    sub = lines[lines["regimen"] == regimen]
    return sub.groupby("grade")["pfs_latent_months"].median()


def test_larger_ki67_hazard_ratio_widens_the_gap_between_grades():
    flat = _median_by_grade(
        simulate_cohort(6000, seed=2, validate=False, hr_ki67_doubling=1.0), "CAPTEM"
    )
    steep = _median_by_grade(
        simulate_cohort(6000, seed=2, validate=False, hr_ki67_doubling=1.6), "CAPTEM"
    )
    assert flat["G1"] / flat["G3"] < 1.3
    assert steep["G1"] / steep["G3"] > 2.0


def test_pfs_median_override_moves_the_median():
    base = simulate_cohort(5000, seed=4, validate=False).truth["pfs"]
    longer = simulate_cohort(5000, seed=4, validate=False, pfs_medians={"lanreotide": 62.0})
    pfs = longer.truth["pfs"].set_index(["regimen", "line"])
    b = base.set_index(["regimen", "line"])
    assert pfs.loc[("lanreotide", 1), "anchor_median_months"] == 62.0
    ratio = (
        pfs.loc[("lanreotide", 1), "median_pfs_months"]
        / b.loc[("lanreotide", 1), "median_pfs_months"]
    )
    assert 1.6 < ratio < 2.4


def test_reexpression_rate_controls_rescans():
    def rescans(rate: float) -> pd.Series:
        c = simulate_cohort(5000, seed=6, validate=False, reexpression_rate=rate)
        scans = c.imaging[c.imaging["tracer"] != "18F-FDG"]
        later = scans[scans.duplicated("patient_id", keep="first")]
        return later["krenning_score"]

    assert (rescans(0.0) <= 1).all()
    high = rescans(1.0)
    assert len(high) > 20 and (high >= 3).all()


def test_discordance_parameters_control_true_grade_pairs():
    c = simulate_cohort(3000, seed=8, validate=False, discordance_up=0.0, discordance_down=0.0)
    samples = c.truth["samples"]
    pairs = samples.groupby("patient_id")["grade"].agg(["first", "last", "size"])
    pairs = pairs[pairs["size"] == 2]
    assert len(pairs) > 100
    assert (pairs["first"] == pairs["last"]).all()


def test_other_scenario_parameters():
    c = simulate_cohort(
        1500,
        seed=1,
        validate=False,
        nec_share=0.0,
        max_lines=2,
        primary_sites={"pancreas": 0.5, "small_intestine": 0.5},
        cutoff_date="2020-12-31",
        accrual_end="2019-12-31",
    )
    assert (c.pathology["differentiation"] == "well").all()
    assert c.therapy_lines["line"].max() == 2
    assert set(c.patients["primary_site"]) == {"pancreas", "small_intestine"}
    assert c.patients["last_contact_date"].max() <= pd.Timestamp("2020-12-31")


def test_scenario_is_frozen_and_checked():
    sc = Scenario()
    with pytest.raises(AttributeError):
        sc.nec_share = 0.1  # type: ignore[misc]
    with pytest.raises(ValueError, match="nec_share"):
        Scenario(nec_share=1.5)
    with pytest.raises(ValueError, match="grade_shares"):
        Scenario(grade_shares=(0.5, 0.5, 0.5))
    with pytest.raises(ValueError, match="pfs_medians"):
        Scenario(pfs_medians={"aspirin": 3.0})
    with pytest.raises(ValueError, match="primary_sites"):
        Scenario(primary_sites={"kidney": 1.0})
    with pytest.raises(ValueError, match="max_lines"):
        Scenario(max_lines=6)
    with pytest.raises(ValueError, match="accrual_end <= cutoff_date"):
        Scenario(accrual_end="2026-01-01", cutoff_date="2025-06-30")


def test_bad_arguments_raise():
    with pytest.raises(TypeError, match="unknown scenario parameter"):
        simulate_cohort(10, seed=1, hr_ki67=1.3)
    with pytest.raises(ValueError, match="n_patients"):
        simulate_cohort(0, seed=1)
    with pytest.raises(TypeError, match="seed"):
        simulate_cohort(10, seed=1.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="scenario"):
        simulate_cohort(10, seed=1, scenario={"nec_share": 0.1})  # type: ignore[arg-type]


# --- calibration (slow) -------------------------------------------------------------------


@pytest.fixture(scope="module")
def large() -> Cohort:
    return simulate_cohort(20_000, seed=2026, validate=False)


@pytest.mark.slow
def test_km_median_pfs_per_regimen_and_line_matches_truth(large):
    from lifelines import KaplanMeierFitter

    lines = _line_pfs(large)
    truth = large.truth["pfs"].set_index(["regimen", "line"])
    latent = large.truth["lines"]
    checked = 0
    for (regimen, line), g in lines.groupby(["regimen", "line"]):
        if len(g) < 300:
            continue
        km = KaplanMeierFitter().fit(g["pfs_months"], g["pfs_event"])
        # Progression is dated at scheduled assessments, so the survival curve steps at
        # about every 3 months and a median can move by one step: allow one interval.
        assert (
            abs(km.median_survival_time_ - truth.loc[(regimen, line), "median_pfs_months"]) <= 3.1
        )
        # The whole curve: KM at 6, 12 and 24 months against the uncensored truth, within
        # 4 binomial standard errors.
        t = latent[(latent["regimen"] == regimen) & (latent["line"] == line)]["pfs_months"]
        for month in (6.0, 12.0, 24.0):
            true_s = (t > month).mean()
            se = np.sqrt(max(true_s * (1 - true_s), 0.01) / len(g))
            assert abs(km.predict(month) - true_s) < 4 * se + 0.01, (regimen, line, month)
        checked += 1
    assert checked >= 15


@pytest.mark.slow
def test_anchor_medians_reproduced_at_reference_ki67():
    # With every tumour at the reference Ki-67 (G2, median 5 %, tiny spread), the recorded
    # median at the anchor line is the published one.
    c = simulate_cohort(
        30_000,
        seed=12,
        validate=False,
        grade_shares=(0.0, 1.0, 0.0),
        nec_share=0.0,
        ki67_median=(1.2, 5.0, 30.0, 60.0),
        ki67_log_sd=0.01,
    )
    pfs = c.truth["pfs"].set_index(["regimen", "line"])
    for regimen in ("lanreotide", "everolimus", "sunitinib", "177Lu-DOTATATE", "CAPTEM"):
        anchor = REGIMEN_PARAMETERS[regimen].anchor_line
        got = pfs.loc[(regimen, anchor)]
        assert got["n_started"] > 300
        assert got["median_pfs_months"] == pytest.approx(got["anchor_median_months"], abs=2.0)


@pytest.mark.slow
def test_cox_recovers_hazard_ratios(large):
    from lifelines import CoxPHFitter

    lines = _line_pfs(large).merge(large.truth["patients"][["patient_id", "ki67_true"]])
    lines = lines[lines["pfs_months"] > 0]
    data = pd.DataFrame(
        {
            "t": lines["pfs_months"],
            "e": lines["pfs_event"].astype(int),
            "log2_ki67": np.log2(lines["ki67_true"]),
            "line": lines["line"].astype(float),
            "regimen": lines["regimen"].astype(str),
        }
    )
    cph = CoxPHFitter().fit(data, "t", "e", strata=["regimen"])
    hr = np.exp(cph.params_)
    # Standard errors here are about 0.005 (Ki-67) and 0.008 (line): the tolerances are
    # about 4 standard errors, which also cover the small attenuation from dating
    # progression at 3-monthly assessments and from other-cause deaths.
    assert hr["log2_ki67"] == pytest.approx(large.truth["hr_ki67_doubling"], abs=0.02)
    assert hr["line"] == pytest.approx(large.truth["hr_per_line"], abs=0.03)


@pytest.mark.slow
def test_discordance_rates_match_truth(large):
    samples = large.truth["samples"]
    wide = samples.pivot_table(
        index="patient_id", columns=samples["timing"].ne("primary"), values="grade", aggfunc="first"
    ).dropna()
    wide.columns = ["primary", "metastasis"]
    timing = samples[samples["timing"] != "primary"].set_index("patient_id")["timing"]
    wide["timing"] = timing
    wide = wide[wide["primary"] != "NEC"]
    order = {"G1": 1, "G2": 2, "G3": 3}
    up = wide["metastasis"].map(order) > wide["primary"].map(order)
    down = wide["metastasis"].map(order) < wide["primary"].map(order)
    truth = large.truth["discordance"].set_index("timing")
    for t in ("synchronous", "metachronous"):
        sel = wide["timing"] == t
        n = sel.sum()
        assert n == truth.loc[t, "n_pairs"]
        for observed, col in (
            (up[sel].mean(), "higher_in_metastasis"),
            (down[sel].mean(), "higher_in_primary"),
        ):
            p = truth.loc[t, col]
            assert abs(observed - p) < 4 * np.sqrt(p * (1 - p) / n)
    sync = truth.loc["synchronous"]
    assert sync["higher_in_metastasis"] == pytest.approx(0.25, abs=0.02)
    assert sync["higher_in_primary"] == pytest.approx(0.10, abs=0.02)
    assert truth.loc["metachronous", "discordant"] > sync["discordant"]

    # From the recorded values (counting noise near the 3 % and 20 % cut-offs), the
    # discordance rates stay within 5 percentage points of the latent truth.
    path = large.pathology.reset_index(drop=True)
    path = path[path["differentiation"] == "well"].copy()
    path["grade"] = _who_grade(path["ki67_percent"], path["mitoses_per_2mm2"])
    prim = path[path["site"] == "primary"].set_index("patient_id")["grade"]
    met = path[path["site"] != "primary"].set_index("patient_id")["grade"]
    both = pd.concat([prim.rename("p"), met.rename("m")], axis=1, join="inner")
    sync_ids = timing[timing == "synchronous"].index
    rec = both.loc[both.index.intersection(sync_ids)]
    assert (rec["m"] > rec["p"]).mean() == pytest.approx(sync["higher_in_metastasis"], abs=0.05)
    assert (rec["m"] < rec["p"]).mean() == pytest.approx(sync["higher_in_primary"], abs=0.05)


@pytest.mark.slow
def test_sstr_negative_share_among_g1_g2_matches_truth(large):
    scans = large.imaging[large.imaging["tracer"] != "18F-FDG"]
    baseline = scans.drop_duplicates("patient_id", keep="first").merge(
        large.truth["patients"][["patient_id", "grade"]]
    )
    low = baseline[baseline["grade"].isin(["G1", "G2"])]
    observed = (low["krenning_score"] <= 1).mean()
    truth = large.truth["sstr_negative_share_g1g2"]
    assert truth < 0.05
    assert abs(observed - truth) < 4 * np.sqrt(truth * (1 - truth) / len(low))
    by_grade = large.truth["sstr_negative"].set_index("grade")["share"]
    assert by_grade["G1"] < by_grade["G2"] < by_grade["G3"] < by_grade["NEC"]


@pytest.mark.slow
def test_reexpression_rate_matches_truth(large):
    scans = large.imaging[large.imaging["tracer"] != "18F-FDG"].sort_values(
        ["patient_id", "scan_date"]
    )
    first = scans.groupby("patient_id").head(1).set_index("patient_id")["krenning_score"]
    later = scans[scans.duplicated("patient_id", keep="first")].set_index("patient_id")
    negative_then = later[later.index.map(first) <= 1]
    n = len(negative_then)
    # Patients without a baseline SSTR scan can be rescanned too; they are not counted here.
    assert 0.8 * large.truth["n_reevaluated"] <= n <= large.truth["n_reevaluated"]
    rate = (negative_then["krenning_score"] >= 3).mean()
    p = large.truth["reexpression_rate"]
    assert n > 200
    assert abs(rate - p) < 4 * np.sqrt(p * (1 - p) / n)


@pytest.mark.slow
def test_km_overall_survival_matches_latent_truth(large):
    from lifelines import KaplanMeierFitter

    pats = large.patients.merge(large.truth["patients"][["patient_id", "grade"]])
    pats = pats[pats["stage_at_diagnosis"] == "IV"]
    truth = large.truth["os"].set_index("grade")
    for grade, g in pats.groupby("grade"):
        t = (g["last_contact_date"] - g["diagnosis_date"]).dt.days / DAYS_PER_MONTH
        km = KaplanMeierFitter().fit(t, g["death_date"].notna())
        expected = truth.loc[grade, "median_os_months"]
        # Censoring (cut-off, loss to follow-up) is independent of survival, so the KM
        # median estimates the latent median; 5 % covers the Monte-Carlo error.
        assert km.median_survival_time_ == pytest.approx(expected, rel=0.05), grade
        assert truth.loc[grade, "n_patients"] == len(g)


def test_regeneration_script_replaces_tables_and_keeps_other_files(tmp_path):
    from netstats.simulate import main

    out = tmp_path / "synthetic"
    out.mkdir()
    (out / "README.md").write_text("synthetic cohort\n")
    (out / "patients.csv").write_text("stale\n")
    assert main([str(out), "--n-patients", "25", "--seed", "3"]) == out
    assert (out / "README.md").read_text() == "synthetic cohort\n"
    expected = save_cohort(simulate_cohort(25, seed=3), tmp_path / "expected")
    for name in TABLES:
        assert (out / f"{name}.csv").read_bytes() == (expected / f"{name}.csv").read_bytes()

"""Re-expression on serial scans: the published case series and R reference tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from netstats.cohort import Cohort
from netstats.io import load_cohort
from netstats.schema import DAYS_PER_MONTH
from netstats.sstr import (
    PAIR_COLUMNS,
    conversion_rates,
    paired_change,
    reexpression_pairs,
    scan_trajectory,
    time_to_conversion,
)

HERE = Path(__file__).parent
REF = HERE / "reference" / "sstr"


@pytest.fixture
def case_series() -> Cohort:
    """tests/data/minimal plus the follow-up scan of the CAPTEM case (patient 004).

    Patient 001: G2 pNET, SSTR-negative 68Ga-DOTATATE in 2023-09 (lesion SUVmax 18.76),
    everolimus from 2024-01, positive in 2025-02 (SUVmax 83.08) (seed 000).
    Patient 004: G2 gastric NET, Krenning 1 (SUVmax 9.09); after 6 cycles of CAPTEM,
    Krenning 3 (SUVmax 11.47) (seed 004).  The follow-up scan date is illustrative.
    """
    c = load_cohort(HERE / "data" / "minimal")
    extra = pd.DataFrame(
        {
            "patient_id": ["004"],
            "scan_id": ["I004B"],
            "scan_date": [pd.Timestamp("2019-09-15")],
            "tracer": ["68Ga-DOTATATE"],
            "krenning_score": pd.array([3], dtype="Int64"),
            "suvmax_lesion": [11.47],
            "suvmax_liver": [6.0],
            "suvmax_spleen": [15.0],
        }
    )
    imaging = pd.concat([c.imaging, extra], ignore_index=True)
    return Cohort(c.patients, c.pathology, c.therapy_lines, imaging)


def test_case_series_pairs(case_series):
    pairs = reexpression_pairs(case_series)
    assert pairs["scan_id_before"].tolist() == ["I001A", "I004A"]
    by = pairs.set_index("patient_id")
    assert by.loc["001", "regimens_between"] == "everolimus"
    assert bool(by.loc["001", "converted"])
    assert by.loc["004", "regimens_between"] == "CAPTEM"
    assert bool(by.loc["004", "converted"])
    months = (pd.Timestamp("2025-02-10") - pd.Timestamp("2023-09-10")).days / DAYS_PER_MONTH
    assert by.loc["001", "months_between"] == pytest.approx(months, rel=1e-12)
    assert (pairs["rule"] == "krenning>=3").all()
    # Patient 003 has one SSTR scan (negative, Krenning 2): no pair.
    assert "003" not in by.index


def test_overlap_exposure_counts_surufatinib_too(case_series):
    pairs = reexpression_pairs(case_series, exposure="overlap").set_index("patient_id")
    assert pairs.loc["001", "regimens_between"] == "surufatinib; everolimus"


def test_case_series_rates(case_series):
    rates = conversion_rates(reexpression_pairs(case_series)).set_index("group")
    assert rates.loc["any", "n_pairs"] == 2
    assert rates.loc["everolimus", "n_converted"] == 1
    assert rates.loc["everolimus", "n_pairs"] == 1
    # 1/1 converted: exact 95 % interval (0.025, 1].
    assert rates.loc["everolimus", "ci_lower"] == pytest.approx(0.025, rel=1e-10)
    assert rates.loc["everolimus", "ci_upper"] == 1.0
    assert rates.loc["no therapy", "n_pairs"] == 0
    assert np.isnan(rates.loc["no therapy", "estimate"])
    classes = conversion_rates(reexpression_pairs(case_series), by="drug_class")
    assert set(classes["group"]) == {"any", "no therapy", "mTOR inhibitor", "chemotherapy"}


def test_rates_exact_ci_hand_example():
    pairs = pd.DataFrame(
        {
            "patient_id": list("abcde"),
            "converted": [True, True, False, False, False],
            "regimens_between": ["octreotide LAR + everolimus", "everolimus", "CAPTEM", "", ""],
            "drug_classes_between": [
                "SSA + mTOR inhibitor",
                "mTOR inhibitor",
                "chemotherapy",
                "",
                "",
            ],
            "rule": "krenning>=3",
        }
    ).reindex(columns=PAIR_COLUMNS)
    pairs["rule"] = "krenning>=3"
    out = conversion_rates(pairs).set_index("group")
    assert out.loc["everolimus", ["n_pairs", "n_converted"]].tolist() == [2, 2]
    assert out.loc["octreotide LAR", "n_pairs"] == 1
    assert out.loc["no therapy", "n_pairs"] == 2
    # 2/5: Clopper-Pearson 95 % limits (R binom.test(2, 5)): 0.05274495, 0.85336720
    assert_allclose(
        out.loc["any", ["ci_lower", "ci_upper"]].astype(float), [0.05274495, 0.85336720], rtol=1e-6
    )


@pytest.mark.reference
def test_paired_tests_match_r():
    data = pd.read_csv(REF / "paired_scans.csv")
    ref = pd.read_csv(REF / "paired_tests.csv").set_index("test")
    pairs = pd.DataFrame(
        {
            "krenning_before": data["krenning_before"].astype("Int64"),
            "krenning_after": data["krenning_after"].astype("Int64"),
            "suvmax_before": data["suvmax_before"],
            "suvmax_after": data["suvmax_after"],
        }
    )
    out = paired_change(pairs).set_index("measure")
    w = ref.loc["wilcoxon_krenning"]
    assert out.loc["krenning", "statistic"] == w["statistic"]
    assert_allclose(out.loc["krenning", "p_value"], w["p_value"], rtol=1e-10)
    t = ref.loc["paired_t_log_suvmax"]
    row = out.loc["log_suvmax"]
    assert_allclose(
        row[["statistic", "p_value", "estimate", "ci_lower", "ci_upper"]].astype(float),
        t[["statistic", "p_value", "estimate", "ci_lower", "ci_upper"]].astype(float),
        rtol=1e-10,
    )
    assert_allclose(out.loc["suvmax_ratio", "estimate"], np.exp(t["estimate"]), rtol=1e-12)


def test_case_series_change(case_series):
    out = paired_change(reexpression_pairs(case_series)).set_index("measure")
    assert out.loc["krenning", "n"] == 2
    # Geometric mean of 83.08/18.76 and 11.47/9.09.
    ratio = np.sqrt(83.08 / 18.76 * 11.47 / 9.09)
    assert out.loc["suvmax_ratio", "estimate"] == pytest.approx(ratio, rel=1e-12)


def test_time_to_conversion(case_series):
    ttc = time_to_conversion(case_series).set_index("patient_id")
    assert ttc.loc["001", "converted"]
    assert ttc.loc["001", "scan_id_end"] == "I001B"
    assert not ttc.loc["003", "converted"]
    assert ttc.loc["003", "time_months"] == 0
    assert "002" not in ttc.index  # never negative


def test_trajectory_and_unknown_patient(case_series):
    tr = scan_trajectory(case_series, "001")
    assert tr.scans["scan_id"].tolist() == ["I001A", "I001B"]
    assert tr.scans["positive"].tolist() == [False, True]
    assert tr.lines["regimen"].tolist() == ["octreotide LAR + TACE", "surufatinib", "everolimus"]
    with pytest.raises(ValueError, match="'999'"):
        scan_trajectory(case_series, "999")


def test_bad_options(case_series):
    with pytest.raises(ValueError, match="exposure"):
        reexpression_pairs(case_series, exposure="during")
    with pytest.raises(ValueError, match="lacks column"):
        conversion_rates(pd.DataFrame({"converted": [True]}))


def test_inputs_not_mutated(case_series):
    before = {k: v.copy() for k, v in case_series.tables.items()}
    pairs = reexpression_pairs(case_series)
    pairs_before = pairs.copy()
    conversion_rates(pairs)
    paired_change(pairs)
    time_to_conversion(case_series)
    pd.testing.assert_frame_equal(pairs, pairs_before)
    for name, frame in case_series.tables.items():
        pd.testing.assert_frame_equal(frame, before[name])

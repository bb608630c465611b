"""On generator cohorts the derived endpoints recover the generator's true PFS per line.

The generator records progression at the 3-monthly assessment that shows it and censors
lines that stop for toxicity or reach the data cut-off, so the Kaplan-Meier median of the
derived ``pfs_months`` must agree with the true (uncensored) median of the recorded PFS
reported in ``cohort.truth["pfs"]``.  Tolerance: the truth must lie inside the 99 % CI of
the KM median for every regimen x line with at least 400 lines (20 comparisons for this
seed; the seed is fixed, so the check is deterministic).
"""

from __future__ import annotations

import pytest

from netstats.endpoints import line_endpoints
from netstats.simulate import simulate_cohort
from netstats.survival import kaplan_meier


@pytest.fixture(scope="module")
def large():
    cohort = simulate_cohort(20_000, seed=11, validate=False)
    return cohort, line_endpoints(cohort)


@pytest.mark.filterwarnings("ignore::netstats.exceptions.StatisticalWarning")
def test_km_median_pfs_recovers_the_truth_per_regimen_and_line(large):
    cohort, ep = large
    truth = cohort.truth["pfs"]
    big = truth[truth["n_started"] >= 400]
    assert len(big) >= 15
    for row in big.itertuples():
        sub = ep[(ep["regimen"] == row.regimen) & (ep["line"] == row.line)]
        assert sub["pfs_months"].notna().all()
        km = kaplan_meier(
            sub.assign(pfs_event=sub["pfs_event"].astype(bool)),
            time="pfs_months",
            event="pfs_event",
            conf_level=0.99,
        )
        med = km.median().iloc[0]
        assert med["ci_lower"] <= row.median_pfs_months <= med["ci_upper"], (
            row.regimen,
            row.line,
            row.median_pfs_months,
            med.to_dict(),
        )


def test_os_from_line_start_is_never_shorter_than_pfs(large):
    _, ep = large
    both = ep.dropna(subset=["os_days", "pfs_days"])
    assert len(both) > 20_000
    assert (both["os_days"] >= both["pfs_days"]).all()


def test_every_line_is_kept_and_patients_without_lines_are_counted(large):
    cohort, ep = large
    assert len(ep) == len(cohort.therapy_lines)
    log = cohort.attrition.to_frame()
    no_lines = log[log["step"] == "patients without lines"]
    n_without = cohort.n_patients - cohort.therapy_lines["patient_id"].nunique()
    assert no_lines["n_excluded"].tolist() == [n_without]

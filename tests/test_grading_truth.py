"""On generator cohorts the estimated grade discordance recovers the generator's truth.

``cohort.truth["discordance"]`` gives the expected shares of *true* grade changes between
primary and metastasis.  The recorded grades come from counted Ki-67 (binomial noise near
the 3 % and 20 % cut-offs) and mitoses, so the recorded discordance is inflated by
misgrading: about 2 percentage points in the default scenario.  Tolerance: 2 Monte-Carlo
SEs of a share at the pair count (about 1.1 points each for ~1,700 pairs) plus 2 points
for counting noise, i.e. 4.5 points; the direction of the effects is checked exactly.
"""

from __future__ import annotations

import pytest

from netstats.grading import build_pairs, concordance
from netstats.simulate import simulate_cohort

TOLERANCE = 0.045


@pytest.fixture(scope="module")
def result():
    cohort = simulate_cohort(6_000, seed=5, validate=False)
    pairs = build_pairs(cohort.pathology, kind="primary_metastasis")
    by_timing = {
        timing: concordance(
            pairs.pairs[pairs.pairs["timing"] == timing], log_offset=0.5, ci_method="analytic"
        )
        for timing in ("synchronous", "metachronous")
    }
    overall = concordance(pairs, log_offset=0.5, ci_method="analytic")
    return cohort.truth["discordance"].set_index("timing"), overall, by_timing


def _share(res, name):
    s = res.summary
    return float(s.loc[(s["analysis"] == "grade") & (s["statistic"] == name), "estimate"].iloc[0])


def test_overall_upgrade_and_downgrade_shares(result):
    truth, overall, _ = result
    assert _share(overall, "share_upgraded") == pytest.approx(
        truth.loc["all", "higher_in_metastasis"], abs=TOLERANCE
    )
    assert _share(overall, "share_downgraded") == pytest.approx(
        truth.loc["all", "higher_in_primary"], abs=TOLERANCE
    )
    assert _share(overall, "share_discordant") == pytest.approx(
        truth.loc["all", "discordant"], abs=TOLERANCE
    )


def test_metachronous_pairs_are_more_discordant(result):
    truth, _, by_timing = result
    for timing, res in by_timing.items():
        assert _share(res, "share_discordant") == pytest.approx(
            truth.loc[timing, "discordant"], abs=TOLERANCE + 0.01
        )
    assert _share(by_timing["metachronous"], "share_upgraded") > _share(
        by_timing["synchronous"], "share_upgraded"
    )
    # Counting noise only adds discordance: the recorded share is not below the truth
    # by more than the Monte-Carlo error.
    assert (
        _share(by_timing["synchronous"], "share_discordant")
        > truth.loc["synchronous", "discordant"] - 0.025
    )

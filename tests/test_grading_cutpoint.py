"""Maximally selected log-rank statistic against R maxstat::maxstat.test (Lau92)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from netstats.exceptions import SchemaError, StatisticalWarning
from netstats.grading import ki67_cutpoint
from netstats.grading._cutpoint import _logrank_scores

REF = Path(__file__).parent / "reference" / "grading"


@pytest.fixture(scope="module")
def cdata() -> pd.DataFrame:
    return pd.read_csv(REF / "cutpoint_data.csv")


def _cut(data, **kw):
    with pytest.warns(StatisticalWarning, match="optimistic"):
        return ki67_cutpoint(data, time="os_months", event="death", **kw)


@pytest.mark.reference
@pytest.mark.parametrize(("minprop", "maxprop"), [(0.1, 0.9), (0.2, 0.8)])
def test_matches_maxstat(cdata, minprop, maxprop):
    ref = pd.read_csv(REF / "cutpoint_ref.csv")
    ref = ref[ref["minprop"] == minprop].iloc[0]
    res = _cut(cdata, minprop=minprop, maxprop=maxprop)
    assert res.cutpoint == ref["cutpoint"]
    assert res.statistic == pytest.approx(ref["statistic"], rel=1e-6)
    assert res.p_value == pytest.approx(ref["p_value"], rel=1e-6)
    per = pd.read_csv(REF / "cutpoint_stats_ref.csv")
    per = per[per["minprop"] == minprop]
    np.testing.assert_array_equal(res.statistics["cut"], per["cut"])
    np.testing.assert_allclose(res.statistics["statistic"], per["statistic"], rtol=1e-6)


def test_logrank_scores_hand_worked():
    # R exactRankTests::cscores.Surv(Surv(c(1, 2, 2, 3, 4), c(1, 1, 0, 1, 0))):
    # 0.8, 0.4667, -0.5333, -0.0333, -1.0333 (tied times share the highest rank)
    got = _logrank_scores(np.array([1.0, 2, 2, 3, 4]), np.array([1.0, 1, 0, 1, 0]))
    np.testing.assert_allclose(got, [0.8, 7 / 15, -8 / 15, -1 / 30, -31 / 30], rtol=1e-12)


def test_corrected_p_larger_than_naive(cdata):
    res = _cut(cdata)
    assert res.p_value > res.p_value_naive
    assert res.summary.loc[0, "cutpoint"] == res.cutpoint
    assert "Lausen-Schumacher (1992)" in repr(res)


def test_row_order_invariant_and_missing_rows_counted(cdata):
    a = _cut(cdata)
    shuffled = cdata.sample(frac=1, random_state=5)
    b = _cut(shuffled)
    assert (a.cutpoint, a.statistic) == pytest.approx((b.cutpoint, b.statistic), rel=1e-12)
    with_na = pd.concat(
        [cdata, pd.DataFrame({"os_months": [np.nan], "death": [1], "ki67_percent": [5.0]})]
    )
    c = _cut(with_na)
    assert c.n == len(cdata) and c.excluded.loc[0, "n_rows"] == 1
    assert c.statistic == pytest.approx(a.statistic, rel=1e-12)


def test_no_association_gives_large_p(rng):
    n = 200
    d = pd.DataFrame(
        {
            "os_months": rng.exponential(30, n),
            "death": 1,
            "ki67_percent": rng.uniform(1, 40, n).round(),
        }
    )
    res = _cut(d)
    assert res.p_value > 0.05


def test_errors(cdata):
    with pytest.raises(SchemaError, match="lacks column"):
        ki67_cutpoint(cdata, time="pfs", event="death")
    with pytest.raises(ValueError, match="minprop"):
        ki67_cutpoint(cdata, time="os_months", event="death", minprop=0.9, maxprop=0.1)
    with pytest.raises(ValueError, match="no events"):
        ki67_cutpoint(cdata.assign(death=0), time="os_months", event="death")
    with pytest.raises(ValueError, match="no admissible cut"):
        ki67_cutpoint(cdata.assign(ki67_percent=5.0), time="os_months", event="death")

"""Ki-67 Cox models (per doubling, restricted cubic spline) against R survival::coxph + rms."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from netstats.exceptions import SchemaError, StatisticalWarning
from netstats.grading import ki67_hazard, rcs_basis

REF = Path(__file__).parent / "reference" / "grading"


@pytest.fixture(scope="module")
def cdata() -> pd.DataFrame:
    return pd.read_csv(REF / "cutpoint_data.csv")


def _fit(data, **kw):
    return ki67_hazard(data, time="os_months", event="death", **kw)


@pytest.mark.reference
def test_hr_per_doubling_matches_coxph(cdata):
    ref = pd.read_csv(REF / "prognostic_coef_ref.csv")
    ref = ref[ref["model"] == "linear"].iloc[0]
    got = _fit(cdata).per_doubling.iloc[0]
    # Newton-Raphson to 1e-12 in both: deterministic, rtol 1e-6
    assert got["estimate"] == pytest.approx(ref["estimate"], rel=1e-6)
    assert got["se"] == pytest.approx(ref["se"], rel=1e-6)
    assert got["hazard_ratio"] == pytest.approx(np.exp(ref["estimate"]), rel=1e-6)


@pytest.mark.reference
@pytest.mark.parametrize("n_knots", [3, 4])
def test_spline_matches_coxph_rcs(cdata, n_knots):
    ref = pd.read_csv(REF / "prognostic_coef_ref.csv")
    ref = ref[(ref["model"] == "spline") & (ref["n_knots"] == n_knots)]
    grid = [1, 2, 3, 5, 10, 20, 30]
    res = _fit(cdata, n_knots=n_knots, grid=grid)
    np.testing.assert_allclose(res.spline_coefficients["estimate"], ref["estimate"], rtol=1e-6)
    np.testing.assert_allclose(res.spline_coefficients["se"], ref["se"], rtol=1e-6)
    cur = pd.read_csv(REF / "prognostic_curve_ref.csv")
    cur = cur[cur["n_knots"] == n_knots]
    for col in ("hazard_ratio", "ci_lower", "ci_upper"):
        np.testing.assert_allclose(res.curve[col], cur[col], rtol=1e-6)
    nl = pd.read_csv(REF / "prognostic_nonlinear_ref.csv").set_index("n_knots").loc[n_knots]
    assert res.nonlinearity["statistic"].iloc[0] == pytest.approx(nl["statistic"], rel=1e-6)
    assert res.nonlinearity["p_value"].iloc[0] == pytest.approx(nl["p_value"], rel=1e-6)


def test_rcs_basis_hand_worked():
    # knots 0, 1, 2: (x - 0)^3 - (x - 1)_+^3 * 2 + (x - 2)_+^3 * 1, divided by (2 - 0)^2
    x = np.array([-1.0, 0.5, 1.5, 3.0])
    got = rcs_basis(x, [0.0, 1.0, 2.0])
    expected = np.array([0.0, 0.125, 3.375 - 2 * 0.125, 27 - 2 * 8 + 1]) / 4
    np.testing.assert_allclose(got[:, 0], x)
    np.testing.assert_allclose(got[:, 1], expected, rtol=1e-12)
    # linear beyond the last knot: equal second differences vanish
    tail = rcs_basis(np.array([3.0, 4.0, 5.0]), [0.0, 1.0, 2.0])[:, 1]
    assert tail[2] - 2 * tail[1] + tail[0] == pytest.approx(0.0, abs=1e-12)


def test_curve_is_one_at_reference_and_fields(cdata):
    res = _fit(cdata, reference=5.0, grid=[5.0, 10.0])
    assert res.curve["hazard_ratio"].iloc[0] == pytest.approx(1.0)
    assert (
        res.reference == 5.0 and res.n == len(cdata) and res.n_events == int(cdata["death"].sum())
    )
    assert "p_nonlinear" in res.summary.columns
    assert "HR per doubling" in repr(res)


def test_few_events_warn(cdata):
    small = cdata.iloc[:40]
    with pytest.warns(StatisticalWarning, match="per parameter"):
        _fit(small, n_knots=4)


def test_errors(cdata):
    with pytest.raises(SchemaError, match="lacks column"):
        ki67_hazard(cdata, time="pfs", event="death")
    with pytest.raises(ValueError, match="n_knots"):
        _fit(cdata, n_knots=7)
    with pytest.raises(ValueError, match="offset"):
        _fit(cdata.assign(ki67_percent=0.0))
    with pytest.raises(ValueError, match="no events"):
        _fit(cdata.assign(death=0))
    with pytest.raises(ValueError, match="knots"):
        rcs_basis([1.0], [1.0, 1.0, 2.0])

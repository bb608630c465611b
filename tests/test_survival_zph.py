"""cox.zph equivalent: R survival 3.5 reference values (tests/reference/cox/cox_reference.R)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from netstats.exceptions import StatisticalWarning
from netstats.survival._cox import cox
from netstats.survival._cox_zph import cox_zph
from tests._cox_cases import CASES, REF, fit_case, load

RTOL = 1e-6
ZPH = pd.read_csv(REF / "cox_zph.csv")
ZPH_CASES = sorted({(c, t) for c, t in zip(ZPH["case"], ZPH["transform"], strict=True)})


@pytest.mark.reference
@pytest.mark.parametrize(("case", "transform"), ZPH_CASES)
def test_zph_table_matches_r(case: str, transform: str) -> None:
    zph = cox_zph(fit_case(case), transform=transform, warn=False)
    ref = ZPH[(ZPH["case"] == case) & (ZPH["transform"] == transform)]
    assert list(zph.summary["term"]) == _terms(ref)
    assert_allclose(zph.summary["chisq"], ref["chisq"], rtol=RTOL)
    assert list(zph.summary["df"]) == list(ref["df"])
    assert_allclose(zph.summary["p_value"], ref["p_value"], rtol=RTOL)


def _terms(ref: pd.DataFrame) -> list[str]:
    # R labels the categorical term 'celltype' where the formula says C(celltype).
    return ["C(celltype)" if t == "celltype" else t for t in ref["term"]]


@pytest.mark.reference
@pytest.mark.parametrize("case", sorted({c for c, t in ZPH_CASES if t == "km"}))
def test_scaled_schoenfeld_residuals_match_r(case: str) -> None:
    zph = cox_zph(fit_case(case), warn=False)
    ref = pd.read_csv(REF / f"zph_resid_{case}.csv").to_numpy()
    got = np.column_stack([zph.time, zph.x, zph.residuals.to_numpy()])
    # Row order within tied times differs (R reverses it for counting-process data): sort.
    got = got[np.lexsort(got.T[::-1])]
    ref = ref[np.lexsort(ref.T[::-1])]
    assert_allclose(got, ref, rtol=RTOL, atol=1e-10)


def test_warns_when_ph_violated() -> None:
    fit = fit_case("veteran_efron")  # karno and celltype violate PH (R: p = 1e-4, 3e-3)
    with pytest.warns(StatisticalWarning, match="karno"):
        fit.check_ph()


def test_no_warning_when_ph_holds(rng: np.random.Generator) -> None:
    df = pd.DataFrame({"x": rng.normal(size=400)})
    df["time"] = rng.exponential(np.exp(-0.7 * df["x"]))
    df["event"] = 1
    fit = cox(df, "x", time="time", event="event")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        zph = fit.check_ph(transform="identity")
    assert zph.summary["p_value"].min() > 0.05
    assert "identity time transform" in repr(zph)


def test_smooth_band_contains_fit_and_has_r_shape() -> None:
    zph = cox_zph(fit_case("lung_efron"), warn=False)
    sm = zph.smooth("age", n_points=40)
    assert list(sm.columns) == ["x", "estimate", "ci_lower", "ci_upper", "conf_level"]
    assert len(sm) == 40
    assert (sm["ci_lower"] < sm["estimate"]).all() and (sm["estimate"] < sm["ci_upper"]).all()
    # A flat residual cloud around beta: the smooth stays close to the coefficient.
    assert abs(sm["estimate"].mean() - zph.residuals["age"].mean()) < 0.05


def test_bad_transform() -> None:
    with pytest.raises(ValueError, match="transform"):
        cox_zph(fit_case("lung_efron"), transform="sqrt")  # type: ignore[arg-type]


def test_cases_module_is_consistent() -> None:
    assert set(c for c, _ in ZPH_CASES) <= set(CASES)
    assert len(load("lung")) == 212


SMOOTH = pd.read_csv(REF / "zph_smooth.csv")


@pytest.mark.reference
@pytest.mark.parametrize("case", sorted(SMOOTH["case"].unique()))
def test_smooth_matches_r_plot_cox_zph(case: str) -> None:
    zph = cox_zph(fit_case(case), warn=False)
    ref_case = SMOOTH[SMOOTH["case"] == case]
    r_terms = list(dict.fromkeys(ref_case["term"]))
    assert len(r_terms) == zph.residuals.shape[1]
    for r_term, term in zip(r_terms, zph.residuals.columns, strict=True):
        ref = ref_case[ref_case["term"] == r_term]
        sm = zph.smooth(term, df=4, n_points=40, conf_level=0.95)
        assert_allclose(sm["x"], ref["x"], rtol=RTOL, atol=1e-12)
        assert_allclose(sm["estimate"], ref["fit"], rtol=RTOL, atol=1e-10)
        # R draws +/- 2 SE; netstats uses the normal quantile of conf_level.
        z = 1.959963984540054
        assert_allclose((sm["ci_upper"] - sm["estimate"]) * 2 / z, ref["half_width_2se"], rtol=RTOL)

"""Cox model options: offsets, the exact partial likelihood for ties, and cox.zph's "log"
and user-function time transforms.

Reference values come from ``tests/reference/cox/cox_options.R`` (R 4.2.2, survival
3.5-3). Tolerances: fitted quantities (coefficients, standard errors, tests,
concordance, predictions) 1e-5 relative - both fits stop within ~1e-9 of the root of the
score but by different criteria, and the standard errors and tests are evaluated at the
two slightly different estimates; log-likelihoods 1e-8 relative (flat at the maximum: an
error ``d`` in the coefficients moves them by ~``d**2``). The score at every returned
estimate is checked by central differences of a direct log-likelihood (one event time at
a time; the exact likelihood's denominators by polynomial multiplication) that shares no
code with the engine, and the exact likelihood itself against brute-force enumeration of
the subsets on a small data set.
"""

from __future__ import annotations

import itertools
import math
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from netstats.exceptions import SchemaError, StatisticalWarning
from netstats.survival import cox, cox_zph
from tests._cox_cases import REF

VALUES = pd.read_csv(REF / "cox_options.csv", keep_default_na=False)
ZPH = pd.read_csv(REF / "cox_options_zph.csv")
DATA = {name: pd.read_csv(REF / f"options_{name}.csv") for name in ("lung", "veteran", "heart", "rats")}  # fmt: skip

LUNG = dict(time="time", event="status")
VET = dict(time="month", event="status", ties="exact")
# case -> (data, formula, keyword arguments of cox(), model columns for the direct check)
CASES: dict[str, tuple[str, str, dict, list[str]]] = {
    "lung_offset": ("lung", "age + sex + offset(lo)", LUNG, ["age", "sex"]),
    "lung_offset_strata_breslow": (
        "lung", "age + `ph.ecog` + offset(lo)", dict(LUNG, strata="sex", ties="breslow"),
        ["age", "ph.ecog"],
    ),
    "heart_offset": (
        "heart", "age + year + offset(ho)", dict(time="stop", start="start", event="event"),
        ["age", "year"],
    ),
    "rats_offset_cluster": ("rats", "rx + offset(ro)", dict(LUNG, cluster="litter"), ["rx"]),
    "vet_exact": (
        "veteran", "trt + karno + diagtime + age + prior + C(celltype)", VET,
        ["trt", "karno", "diagtime", "age", "prior", "large", "smallcell", "squamous"],
    ),
    "vet_exact_strata": (
        "veteran", "trt + karno + age", dict(VET, strata="celltype"), ["trt", "karno", "age"]
    ),
    "vet_exact_offset": ("veteran", "trt + karno + offset(vo)", VET, ["trt", "karno"]),
    "rats_exact": ("rats", "rx + C(sex)", dict(LUNG, ties="exact"), ["rx", "male"]),
    "heart_exact": (
        "heart", "age + surgery + transplant",
        dict(time="stop_d", start="start_d", event="event", ties="exact"),
        ["age", "surgery", "transplant"],
    ),
}  # fmt: skip
OFFSET_COLUMN = {"lung": "lo", "heart": "ho", "rats": "ro", "veteran": "vo"}


def _ref(case: str, quantity: str) -> np.ndarray:
    rows = VALUES[(VALUES["case"] == case) & (VALUES["quantity"] == quantity)]
    return rows["value"].astype(float).to_numpy()


def _data(name: str) -> pd.DataFrame:
    d = DATA[name].copy()
    if name == "veteran":
        for level in ("large", "smallcell", "squamous"):
            d[level] = (d["celltype"] == level).astype(float)
    if name == "rats":
        d["male"] = (d["sex"] == "m").astype(float)
    return d


def _fit(case: str, **extra: object) -> object:
    name, formula, kwargs, _ = CASES[case]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StatisticalWarning)
        return cox(_data(name), formula, **{**kwargs, **extra})


def direct_loglik(
    data: pd.DataFrame,
    columns: list[str],
    beta: np.ndarray,
    *,
    time: str,
    event: str,
    start: str | None = None,
    strata: str | None = None,
    offset: str | None = None,
    ties: str = "efron",
) -> float:
    """Log partial likelihood, one event time at a time (risk sets by masks); the exact
    denominator ``e_d(r)`` is the ``z**d`` coefficient of ``prod(1 + r_i z)``."""
    x = data[columns].to_numpy(float)
    t = data[time].to_numpy(float)
    t0 = data[start].to_numpy(float) if start else np.full(t.size, -np.inf)
    s = data[strata].to_numpy() if strata else np.zeros(t.size)
    d = data[event].to_numpy() == 1
    eta = x @ beta + (data[offset].to_numpy(float) if offset else 0.0)
    ll = 0.0
    for stratum in np.unique(s):
        for tt in np.unique(t[d & (s == stratum)]):
            risk = (s == stratum) & (t0 < tt) & (t >= tt)
            dead = risk & d & (t == tt)
            top = eta[risk].max()
            r = np.exp(eta[risk] - top)
            rd = np.exp(eta[dead] - top)
            n_d = int(dead.sum())
            ll += eta[dead].sum() - n_d * top
            if ties == "exact":
                poly = np.array([1.0])
                for ri in r:
                    poly = np.convolve(poly, [1.0, ri])[: n_d + 1]
                ll -= math.log(poly[n_d])
            else:
                for k in range(n_d):
                    f = k / n_d if ties == "efron" else 0.0
                    ll -= math.log(r.sum() - f * rd.sum())
    return ll


def _direct(case: str):
    name, _, kwargs, columns = CASES[case]
    data = _data(name)
    offset = OFFSET_COLUMN[name] if "offset" in case else None
    keys = ("time", "event", "start", "strata", "ties")
    kw = {k: kwargs[k] for k in keys if k in kwargs}
    return lambda b: direct_loglik(data, columns, b, offset=offset, **kw)


def numerical_gradient(f, beta: np.ndarray, steps: np.ndarray) -> np.ndarray:
    out = np.empty(beta.size)
    for j in range(beta.size):
        e = np.zeros(beta.size)
        e[j] = steps[j]
        out[j] = (f(beta + e) - f(beta - e)) / (2 * steps[j])
    return out


@pytest.mark.reference
@pytest.mark.parametrize("case", sorted(CASES))
def test_cases_match_r(case: str) -> None:
    fit = _fit(case)
    assert_allclose(fit.coef, _ref(case, "coef"), rtol=1e-5)
    assert_allclose(np.sqrt(np.diag(fit.var)), _ref(case, "se"), rtol=1e-5)
    assert_allclose(fit.loglik, _ref(case, "loglik")[0], rtol=1e-8)
    assert_allclose(fit.loglik_null, _ref(case, "loglik_null")[0], rtol=1e-8)
    tests = fit.tests.set_index("test")["statistic"]
    for test in ("wald", "likelihood_ratio", "score"):
        assert_allclose(tests[test], _ref(case, test)[0], rtol=1e-5, err_msg=test)
    assert_allclose(fit.concordance, _ref(case, "concordance")[0], rtol=1e-5)
    assert_allclose(fit.concordance_se, _ref(case, "concordance_se")[0], rtol=1e-5)
    assert fit.n_events == _ref(case, "n_events")[0]


def test_offset_with_robust_variance_matches_r() -> None:
    fit = _fit("rats_offset_cluster")
    assert fit.variance == "robust"
    assert_allclose(fit.summary["se"], _ref("rats_offset_cluster", "naive_se"), rtol=1e-5)
    # R's own robust score test drops the offset (residuals at linear predictor 0); the
    # test of beta = 0 in the model with the offset uses the residuals at the offset.
    robust = fit.tests.set_index("test").loc["robust_score", "statistic"]
    assert_allclose(robust, _ref("rats_offset_cluster", "robust_score_offset")[0], rtol=1e-5)
    assert abs(robust - _ref("rats_offset_cluster", "robust_score")[0]) > 0.1


@pytest.mark.parametrize(
    ("case", "rows"), [("lung_offset", [0, 4, 9, 49, 99, 199]), ("heart_offset", [0, 1, 2, 39, 79])]
)
def test_predict_linear_with_offset_matches_r_newdata(case: str, rows: list[int]) -> None:
    """R's ``predict(fit, newdata, type="lp")``: centred covariates plus the new rows'
    offset as it is."""
    fit = _fit(case)
    new = _data(CASES[case][0]).iloc[rows]
    assert_allclose(fit.predict_linear(new), _ref(case, "lp_new"), rtol=1e-5)
    raw = fit.predict_linear(new, centered=False)
    offset = new[OFFSET_COLUMN[CASES[case][0]]].to_numpy()
    x = new[CASES[case][3]].to_numpy(float)
    assert_allclose(raw, x @ fit.coef + offset, rtol=1e-12)
    with pytest.raises(SchemaError, match="offset column 'lo' not found|cannot evaluate"):
        fit.predict_linear(new.drop(columns=OFFSET_COLUMN[CASES[case][0]]))


@pytest.mark.parametrize("case", sorted(CASES))
def test_score_is_zero_at_every_estimate(case: str) -> None:
    """Central differences of the direct log-likelihood (steps of 1e-4 SE): |U_j| * SE_j
    below 1e-6, i.e. the estimate is within 1e-6 standard errors of the maximum."""
    fit = _fit(case)
    se = fit.summary["se"].to_numpy()
    f = _direct(case)
    assert_allclose(f(fit.coef), fit.loglik, rtol=1e-10)
    u = numerical_gradient(f, fit.coef, 1e-4 * se)
    assert np.all(np.abs(u) * se < 1e-6), u * se


def test_exact_information_is_the_numerical_hessian() -> None:
    """The exact fit's SEs come from the analytic second derivatives of the exact
    likelihood: compare with central differences of the direct one."""
    fit = _fit("vet_exact_strata")
    f = _direct("vet_exact_strata")
    se = fit.summary["se"].to_numpy()
    h = 1e-3 * se
    p = se.size
    hess = np.empty((p, p))
    for j in range(p):
        e = np.zeros(p)
        e[j] = h[j]
        hess[j] = numerical_gradient(f, fit.coef + e, h) - numerical_gradient(f, fit.coef - e, h)
        hess[j] /= 2 * h[j]
    assert_allclose(-hess, np.linalg.inv(fit.naive_var), rtol=1e-4)


def test_exact_likelihood_is_the_sum_over_subsets() -> None:
    """Brute force: the denominator is the sum over every d-subset of the risk set."""
    rng = np.random.default_rng(11)
    n = 14
    df = pd.DataFrame({"x1": rng.normal(size=n), "x2": rng.binomial(1, 0.5, n)})
    df["time"] = rng.integers(1, 4, n).astype(float)
    df["status"] = (rng.uniform(size=n) < 0.8).astype(int)
    df["o"] = rng.normal(scale=0.3, size=n)
    beta = np.array([0.7, -0.4])
    eta = df[["x1", "x2"]].to_numpy() @ beta + df["o"].to_numpy()
    t, d = df["time"].to_numpy(), df["status"].to_numpy() == 1
    expected = 0.0
    for tt in np.unique(t[d]):
        risk = np.flatnonzero(t >= tt)
        dead = d & (t == tt)
        k = int(dead.sum())
        total = sum(math.exp(eta[list(c)].sum()) for c in itertools.combinations(risk, k))
        expected += eta[dead].sum() - math.log(total)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StatisticalWarning)
        fit = cox(df, "x1 + x2", time="time", event="status", ties="exact", offset="o")
    from netstats.survival import _cox_core as core

    # (the engine's covariates are centred: a constant shift of eta, which cancels)
    ev = core.evaluate(fit._rs, fit._x, beta, hessian=False)
    assert_allclose(ev.loglik, expected, rtol=1e-12)
    assert fit._rs.exact is not None and fit._rs.exact.deaths.max() >= 3


def test_offset_column_and_formula_offsets_agree() -> None:
    lung = _data("lung")
    lung["pk"] = lung["ph.karno"] / 100
    lung["half"] = lung["lo"] / 2
    by_formula = cox(lung, "age + sex + offset(lo)", **LUNG)
    by_column = cox(lung, "age + sex", offset="lo", **LUNG)
    by_expression = cox(lung, "offset(np.log(pk)) + age + sex", **LUNG)
    summed = cox(lung, "age + offset(half) + sex", offset="half", **LUNG)
    by_list = cox(lung, covariates=["age", "sex"], offset="lo", **LUNG)
    for other in (by_column, by_expression, summed, by_list):
        assert_allclose(other.coef, by_formula.coef, rtol=1e-12)
        assert_allclose(other.loglik, by_formula.loglik, rtol=1e-12)
        assert_allclose(other.loglik_null, by_formula.loglik_null, rtol=1e-12)
    assert by_formula.offset == ("offset(lo)",)
    assert summed.offset == ("offset(half)", "half")
    assert "Efron ties, offset offset(lo), model-based SE" in by_formula.method
    assert "offset lo," in by_column.method
    plain = cox(lung, "age + sex", **LUNG)
    assert plain.offset == () and plain._offset is None and "offset" not in plain.method
    # the fitted linear predictor (sorted rows) carries the offset
    assert_allclose(by_column._offset, lung["lo"].to_numpy()[by_column._rs.order])


def test_exact_method_line_and_refusals() -> None:
    fit = _fit("vet_exact_offset")
    assert fit.ties == "exact"
    assert fit.method.startswith("Cox PH, Exact ties, offset offset(vo), model-based SE")
    vet = _data("veteran")
    vet["w"] = 1.0 + (vet["trt"] == 2)
    with pytest.raises(ValueError, match="case weights \\(column 'w'\\) are not supported"):
        cox(vet, "trt + karno", time="month", event="status", ties="exact", weights="w")
    ones = cox(vet.assign(w=1.0), "trt + karno", time="month", event="status", ties="exact",
               weights="w")  # fmt: skip
    assert_allclose(ones.coef, cox(vet, "trt + karno", **VET).coef, rtol=1e-12)
    with pytest.raises(ValueError, match="robust variance is not available with ties='exact'"):
        cox(vet, "trt + karno", time="month", event="status", ties="exact", cluster="celltype")
    with pytest.raises(ValueError, match="robust variance is not available"):
        cox(vet, "trt + karno", time="month", event="status", ties="exact", robust=True)
    with pytest.raises(ValueError, match="ties must be 'efron', 'breslow' or 'exact'"):
        cox(vet, "trt", time="month", event="status", ties="discrete")  # type: ignore[arg-type]


def test_offset_errors_name_the_problem() -> None:
    lung = _data("lung")
    with pytest.raises(SchemaError, match="offset column 'nope' not found"):
        cox(lung, "age", offset="nope", **LUNG)
    bad = lung.assign(lo=lung["lo"].where(lung.index != 3))
    with pytest.raises(SchemaError, match="offset 'lo' has 1 missing value"):
        cox(bad, "age", offset="lo", **LUNG)
    with pytest.raises(SchemaError, match="column 'lo' \\(offset\\) has 1 missing value"):
        cox(bad, "age + offset(lo)", **LUNG)
    with pytest.raises(SchemaError, match="has 1 non-finite"):
        cox(lung.assign(lo=lung["lo"].where(lung.index != 0, np.inf)), "age", offset="lo", **LUNG)
    with pytest.raises(ValueError, match="offset\\(\\) must be a term of its own"):
        cox(lung, "age + sex:offset(lo)", **LUNG)
    with pytest.raises(ValueError, match="no covariates besides its offset"):
        cox(lung, "offset(lo)", **LUNG)
    with pytest.raises(TypeError, match="must be one numeric value per row"):
        cox(lung.assign(g=np.where(lung["sex"] == 1, "a", "b")), "age + offset(g)", **LUNG)
    with pytest.raises(TypeError, match="offset column 'g' must be numeric"):
        cox(lung.assign(g="a"), "age", offset="g", **LUNG)


@pytest.mark.parametrize(("case", "transform"), [
    ("lung_efron", "log"), ("lung_efron", "sqrt"), ("heart_efron", "log"),
    ("heart_efron", "square"), ("lung_offset", "km"), ("vet_exact", "km"), ("vet_exact", "log"),
])  # fmt: skip
def test_zph_transforms_match_r(case: str, transform: str) -> None:
    lung, heart, vet = _data("lung"), _data("heart"), _data("veteran")
    fits = {
        "lung_efron": lambda: cox(lung, "age + sex + `ph.ecog`", **LUNG),
        "heart_efron": lambda: cox(heart, "age + year + surgery + transplant", time="stop",
                                   start="start", event="event"),
        "lung_offset": lambda: cox(lung, "age + sex + offset(lo)", **LUNG),
        "vet_exact": lambda: cox(vet, "trt + karno + age", **VET),
    }  # fmt: skip
    how = {"sqrt": np.sqrt, "square": lambda t: t**2}.get(transform, transform)
    zph = cox_zph(fits[case](), transform=how, warn=False)
    ref = ZPH[(ZPH["case"] == case) & (ZPH["transform"] == transform)]
    assert_allclose(zph.summary["chisq"], ref["chisq"], rtol=1e-5)
    assert_allclose(zph.summary["p_value"], ref["p_value"], rtol=1e-5)
    assert zph.transform == {"square": "user"}.get(transform, transform)
    if transform == "log":
        assert_allclose(zph.x, np.log(zph.time), rtol=1e-14)


def test_zph_user_transform_errors() -> None:
    fit = cox(_data("lung"), "age + sex", **LUNG)
    with pytest.raises(ValueError, match="must return one value per time \\(212\\)"):
        cox_zph(fit, transform=lambda t: t[:5])
    with pytest.raises(ValueError, match="gives 212 non-finite value"):
        cox_zph(fit, transform=lambda t: np.full(t.shape, np.nan))
    with pytest.raises(ValueError, match="transform must be 'km', 'identity', 'rank', 'log'"):
        cox_zph(fit, transform="sqrt")  # type: ignore[arg-type]
    zero = _data("lung").assign(time=lambda d: d["time"].where(d.index != 0, 0))
    with pytest.raises(ValueError, match="'log' needs positive times; 1 row"):
        cox_zph(cox(zero, "age + sex", **LUNG), transform="log")
    assert fit.check_ph(np.log1p, warn=False).transform == "log1p"


@settings(max_examples=30, deadline=None)
@given(b=st.floats(-2.0, 2.0), column=st.sampled_from(["age", "sex"]),
       ties=st.sampled_from(["efron", "breslow"]))  # fmt: skip
def test_offset_of_a_model_covariate_shifts_its_coefficient(
    b: float, column: str, ties: str
) -> None:
    """offset(b * x) with x in the model: the same likelihood surface moved by -b along x."""
    lung = _data("lung")
    base = cox(lung, "age + sex", ties=ties, **LUNG)
    fit = cox(lung.assign(o=b * lung[column]), "age + sex", offset="o", ties=ties, **LUNG)
    shift = np.where(np.array(["age", "sex"]) == column, -b, 0.0)
    assert_allclose(fit.coef, base.coef + shift, atol=1e-7)
    assert_allclose(fit.summary["se"], base.summary["se"], rtol=1e-6)
    assert_allclose(fit.loglik, base.loglik, rtol=1e-10)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), start=st.booleans(), strata=st.booleans())
def test_exact_equals_breslow_and_efron_without_ties(seed: int, start: bool, strata: bool) -> None:
    rng = np.random.default_rng(seed)
    n = 60
    df = pd.DataFrame({"x": rng.normal(size=n), "z": rng.binomial(1, 0.4, n)})
    df["time"] = rng.exponential(np.exp(-0.5 * df["x"])) + 0.5  # continuous: no ties
    df["t0"] = rng.uniform(0, 0.4, n)
    df["status"] = (rng.uniform(size=n) < 0.7).astype(int)
    df["s"] = rng.integers(0, 2, n)
    df.loc[0, "status"] = 1
    kwargs = dict(time="time", event="status", start="t0" if start else None,
                  strata="s" if strata else None)  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StatisticalWarning)
        fits = [cox(df, "x + z", ties=t, **kwargs) for t in ("exact", "breslow", "efron")]
    for other in fits[1:]:
        assert_allclose(fits[0].coef, other.coef, rtol=1e-10, atol=1e-12)
        assert_allclose(fits[0].naive_var, other.naive_var, rtol=1e-9)
        assert_allclose(fits[0].loglik, other.loglik, rtol=1e-12)
        assert_allclose(fits[0].tests["statistic"], other.tests["statistic"], rtol=1e-9)


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_exact_score_is_zero_with_ties(seed: int) -> None:
    """Random data on a coarse time grid (many ties, some event times with more deaths
    than half the risk set): the estimate is a root of the direct exact likelihood."""
    rng = np.random.default_rng(seed)
    n = 40
    df = pd.DataFrame({"x": rng.normal(size=n), "z": rng.binomial(1, 0.5, n)})
    df["time"] = np.ceil(rng.exponential(3 * np.exp(-0.6 * df["x"]), n))
    df["status"] = (rng.uniform(size=n) < 0.8).astype(int)
    df["o"] = rng.normal(scale=0.5, size=n)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StatisticalWarning)
        fit = cox(df, "x + z + offset(o)", time="time", event="status", ties="exact")
    se = fit.summary["se"].to_numpy()

    def f(b: np.ndarray) -> float:
        return direct_loglik(
            df, ["x", "z"], b, time="time", event="status", offset="o", ties="exact"
        )

    assert_allclose(f(fit.coef), fit.loglik, rtol=1e-10)
    u = numerical_gradient(f, fit.coef, 1e-4 * se)
    assert np.all(np.abs(u) * se < 1e-6), u * se


def test_exact_chunks_give_the_same_fit(monkeypatch: pytest.MonkeyPatch) -> None:
    """The tied times processed a few at a time (memory bound) or all at once."""
    from netstats.survival import _cox_core as core

    whole = _fit("vet_exact_strata")
    monkeypatch.setattr(core, "EXACT_CHUNK", 50)
    chunked = _fit("vet_exact_strata")
    assert_allclose(chunked.coef, whole.coef, rtol=1e-12)
    assert_allclose(chunked.naive_var, whole.naive_var, rtol=1e-10)
    assert_allclose(chunked.loglik, whole.loglik, rtol=1e-13)

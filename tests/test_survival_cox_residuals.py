"""Cox-model residuals: R survival 3.5 ``residuals.coxph`` reference values
(tests/reference/cox/cox_residuals.R) and the invariants the residuals satisfy.

Tolerance: 1e-6 relative (plus 1e-6 of the column's largest value, for residuals near
zero). Given the fitted coefficients every residual is a closed form, so the closed-form
tolerance applies: both fits are at the maximum-likelihood estimate to ~1e-10 (R with
eps = 1e-12; the test first checks the coefficients agree to 1e-8), far below the 1e-6
that then measures the residual formulas themselves (typical agreement ~1e-11).
"""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from netstats.exceptions import SchemaError, StatisticalWarning
from netstats.survival import cox, cox_functional_form, cox_residuals
from netstats.survival._cox_residuals import RESIDUAL_TYPES
from netstats.survival._cox_zph import cox_zph
from tests._cox_cases import REF, load

RTOL = 1e-6
RESID = pd.read_csv(REF / "cox_residuals.csv")
TERMS = pd.read_csv(REF / "cox_residuals_terms.csv")
LOWESS = pd.read_csv(REF / "cox_residuals_lowess.csv")

LUNG = "age + sex + `ph.ecog`"
LUNG_STRATA = "age + `ph.ecog` + `ph.karno`"
HEART = "age + year + surgery + transplant"
BLADDER = "rx + number + size"
OUTCOME = {
    "lung": {"time": "time", "event": "status"},
    "veteran": {"time": "time", "event": "status"},
    "heart": {"time": "stop", "event": "event", "start": "start"},
    "bladder2": {"time": "stop", "event": "event", "start": "start", "cluster": "id"},
}
# case in cox_residuals.R -> (data set, formula, options of cox(), collapse column)
CASES: dict[str, tuple[str, str, dict, str | None]] = {
    "lung_efron": ("lung", LUNG, {}, None),
    "lung_breslow": ("lung", LUNG, {"ties": "breslow"}, None),
    "lung_strata_efron": ("lung", LUNG_STRATA, {"strata": "sex"}, None),
    "lung_strata_breslow": ("lung", LUNG_STRATA, {"strata": "sex", "ties": "breslow"}, None),
    "lung_weights_efron": ("lung", LUNG, {"weights": "w"}, "inst"),
    "lung_weights_breslow": ("lung", LUNG, {"weights": "w", "ties": "breslow"}, None),
    "lung_weights_strata": ("lung", "age + `ph.ecog`", {"weights": "w", "strata": "sex"}, None),
    "veteran_efron": ("veteran", "trt + karno + C(celltype)", {}, None),
    "heart_efron": ("heart", HEART, {}, None),
    "heart_breslow": ("heart", HEART, {"ties": "breslow"}, None),
    "heart_strata": ("heart", "age + year + transplant", {"strata": "surgery"}, None),
    "bladder2_efron": ("bladder2", BLADDER, {}, "id"),
    "bladder2_breslow": ("bladder2", BLADDER, {"ties": "breslow"}, "id"),
    "bladder2_strata": ("bladder2", BLADDER, {"strata": "enum"}, "id"),
}
PAIRS = sorted(set(zip(RESID["case"], RESID["type"], strict=True)))


def _fit(case: str):
    data, formula, options, _ = CASES[case]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StatisticalWarning)
        return cox(load(data), formula, **OUTCOME[data], **options)


def _ref(case: str, type_: str) -> pd.DataFrame:
    return RESID[(RESID["case"] == case) & (RESID["type"] == type_)]


def _values(ref: pd.DataFrame, p: int) -> np.ndarray:
    return ref[[f"r{j + 1}" for j in range(p)]].to_numpy(float)


def _close(got: np.ndarray, want: np.ndarray) -> None:
    scale = np.nanmax(np.abs(want), axis=0, keepdims=True)
    assert_allclose(got, want, rtol=RTOL, atol=float(RTOL * scale.max()))


def test_reference_covers_every_type_and_case() -> None:
    assert set(RESID["case"]) == set(CASES)
    for case in CASES:
        types = {t for c, t in PAIRS if c == case and "_" not in t}
        assert types == set(RESIDUAL_TYPES)
    collapsed = {c for c, t in PAIRS if t.endswith("_collapsed")}
    assert collapsed == {c for c, spec in CASES.items() if spec[3] is not None}
    assert {t for _, t in PAIRS if t.endswith("_null")} == {"martingale_null", "deviance_null"}


@pytest.mark.reference
@pytest.mark.parametrize("case", sorted(CASES))
def test_fit_matches_r_and_terms_are_the_summary_terms(case: str) -> None:
    fit = _fit(case)
    ref = TERMS[TERMS["case"] == case]
    assert_allclose(fit.coef, ref["coef"], rtol=1e-8)
    assert len(fit.summary) == len(ref)
    for type_ in ("score", "dfbeta", "dfbetas", "schoenfeld", "scaledsch"):
        got = fit.residuals(type_)  # type: ignore[arg-type]
        assert list(got.columns[-len(ref) :]) == list(fit.summary["term"])


@pytest.mark.reference
@pytest.mark.parametrize(("case", "type_"), [(c, t) for c, t in PAIRS if t in RESIDUAL_TYPES])
def test_per_row_and_per_event_residuals_match_r(case: str, type_: str) -> None:
    fit = _fit(case)
    p = 1 if type_ in ("martingale", "deviance") else fit.coef.size
    ref = _ref(case, type_)
    want = _values(ref, p)
    got = fit.residuals(type_)  # type: ignore[arg-type]
    if type_ in ("schoenfeld", "scaledsch"):
        # R orders events by (stratum, time); within tied times it orders (start, stop]
        # data differently: compare both sorted by stratum, time and values.
        stratum = ref["stratum"].fillna("all").to_numpy()
        assert sorted(got["stratum"]) == sorted(stratum)
        g = np.column_stack([got["time"], got.iloc[:, 3:].to_numpy()])
        w = np.column_stack([ref["time"], want])
        gs = pd.factorize(got["stratum"], sort=True)[0]
        ws = pd.factorize(pd.Series(stratum), sort=True)[0]
        g = g[np.lexsort((*g.T[::-1], gs))]
        w = w[np.lexsort((*w.T[::-1], ws))]
        _close(g, w)
    else:
        assert list(got["row"]) == list(range(fit.n))
        _close(got.iloc[:, -p:].to_numpy(), want)


@pytest.mark.reference
@pytest.mark.parametrize(("case", "type_"), [(c, t) for c, t in PAIRS if t.endswith("collapsed")])
def test_collapsed_residuals_match_r(case: str, type_: str) -> None:
    fit = _fit(case)
    data = load(CASES[case][0])
    column = CASES[case][3]
    base = type_.removesuffix("_collapsed")
    p = 1 if base in ("martingale", "deviance") else fit.coef.size
    ref = _ref(case, type_)
    got = fit.residuals(base, collapse=data[column])  # type: ignore[arg-type]
    assert got.index.name == column
    assert list(got.index) == list(ref["key"])
    assert list(got["n_rows"]) == list(data.groupby(column).size())
    want = _values(ref, p)
    values = got.iloc[:, -p:].to_numpy()
    if base == "deviance":
        # R's formula holds for at most one event per cluster (see cox_residuals Notes).
        events = data.groupby(column)[OUTCOME[CASES[case][0]]["event"]].sum().to_numpy()
        one = events <= 1
        _close(values[one], want[one])
        mart = fit.residuals("martingale", collapse=data[column])["martingale"].to_numpy()
        d, m = events[~one], mart[~one]
        assert d.size > 0
        assert_allclose(values[~one, 0], np.sign(m) * np.sqrt(2 * (d * np.log(d / (d - m)) - m)))
    else:
        _close(values, want)


@pytest.mark.reference
@pytest.mark.parametrize(("case", "type_"), [(c, t) for c, t in PAIRS if t.endswith("_null")])
def test_null_model_residuals_match_r(case: str, type_: str) -> None:
    fit = _fit(case)
    base = type_.removesuffix("_null")
    got = fit.residuals(base, null=True)  # type: ignore[arg-type]
    assert (got["linear_predictor"] == 0).all()
    _close(got[[base]].to_numpy(), _values(_ref(case, type_), 1))


@pytest.mark.reference
@pytest.mark.parametrize("covariate", ["age", "ph.karno"])
def test_functional_form_smooth_matches_r_lowess(covariate: str) -> None:
    # The smooth is closed-form given the null-model residuals: tolerance 1e-6.
    lung = load("lung")
    fit = cox(lung, LUNG, time="time", event="status")
    ff = cox_functional_form(fit, lung, covariate).sort_values("value", kind="stable")
    ref = LOWESS[LOWESS["covariate"] == covariate]
    assert_allclose(ff["value"], ref["x"])
    assert_allclose(ff["smooth"], ref["y"], rtol=RTOL, atol=1e-9)


def test_functional_form_frame() -> None:
    lung = load("lung")
    fit = cox(lung, "age + sex", time="time", event="status")
    with_gap = lung.assign(karno=lung["ph.karno"].where(lung.index != 5))
    ff = cox_functional_form(fit, with_gap, ["age", "karno"])
    assert list(ff.columns) == ["covariate", "row", "value", "martingale", "smooth", "model"]
    assert ff.groupby("covariate").size().to_dict() == {"age": fit.n, "karno": fit.n - 1}
    assert 5 not in set(ff.loc[ff["covariate"] == "karno", "row"])
    null = fit.residuals(null=True)["martingale"].to_numpy()
    age = ff[ff["covariate"] == "age"]
    assert_allclose(age["martingale"], null[age["row"]])
    assert_allclose(age["value"], lung["age"])
    assert set(ff["model"]) == {"null"}
    fitted = cox_functional_form(fit, lung, "age", model="fitted")
    assert_allclose(fitted["martingale"], fit.residuals()["martingale"])
    with pytest.raises(ValueError, match="fitted on 212"):
        cox_functional_form(fit, lung.iloc[:-1], "age")
    with pytest.raises(SchemaError, match="'nope' not found"):
        cox_functional_form(fit, lung, "nope")
    with pytest.raises(SchemaError, match="must be numeric"):
        cox_functional_form(fit, lung.assign(g="a"), "g")
    with pytest.raises(ValueError, match="model must be"):
        cox_functional_form(fit, lung, "age", model="full")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="frac"):
        cox_functional_form(fit, lung, "age", frac=0.0)


def test_null_only_for_martingale_and_deviance() -> None:
    with pytest.raises(ValueError, match="null=True"):
        _fit("lung_efron").residuals("score", null=True)


def test_other_ties_refused() -> None:
    fit = dataclasses.replace(_fit("lung_efron"), ties="exact")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="Efron and Breslow"):
        fit.residuals()


# ---------------------------------------------------------------------- frame shape
def test_index_follows_the_input_rows() -> None:
    lung = load("lung")
    shuffled = lung.sample(frac=1.0, random_state=3)
    shuffled.index = [f"r{i}" for i in shuffled.index]
    fit = cox(shuffled, LUNG, time="time", event="status")
    base = cox(lung, LUNG, time="time", event="status")
    for type_ in ("martingale", "deviance", "score", "dfbeta", "dfbetas"):
        got = fit.residuals(type_)  # type: ignore[arg-type]
        assert list(got.index) == list(shuffled.index)
        assert list(got["row"]) == list(range(len(lung)))
        want = base.residuals(type_)  # type: ignore[arg-type]
        original = [int(i[1:]) for i in got.index]
        pd.testing.assert_frame_equal(
            got.drop(columns="row").set_axis(original), want.loc[original].drop(columns="row")
        )


def test_martingale_frame_columns_and_linear_predictor() -> None:
    lung = load("lung")
    fit = cox(lung, LUNG, time="time", event="status")
    mart = fit.residuals()
    assert list(mart.columns) == ["row", "event", "linear_predictor", "martingale"]
    assert_allclose(mart["linear_predictor"], fit.predict_linear(lung))
    assert (mart["event"] == (lung["status"] == 1)).all()
    assert (mart["martingale"] <= 1.0).all()
    dev = fit.residuals("deviance")
    assert list(dev.columns) == ["row", "event", "linear_predictor", "deviance"]
    assert (np.sign(dev["deviance"]) == np.sign(mart["martingale"])).all()


def test_schoenfeld_frame_has_time_stratum_and_event_rows() -> None:
    lung = load("lung")
    fit = cox(lung, LUNG_STRATA, time="time", event="status", strata="sex")
    sch = fit.residuals("schoenfeld")
    assert list(sch.columns[:3]) == ["row", "time", "stratum"]
    assert len(sch) == fit.n_events
    assert set(sch["stratum"]) == {"sex=1", "sex=2"}
    assert (lung["status"].to_numpy()[sch["row"]] == 1).all()
    assert_allclose(sch["time"], lung["time"].to_numpy()[sch["row"]])
    assert (sch["stratum"] == "sex=" + lung["sex"].astype(str).to_numpy()[sch["row"]]).all()
    plain = cox(lung, LUNG, time="time", event="status").residuals("scaledsch")
    assert set(plain["stratum"]) == {"all"}


def test_scaled_schoenfeld_equal_cox_zph_without_strata() -> None:
    # One column per term and no strata: R's residuals(type="scaledsch") and cox.zph agree.
    fit = cox(load("lung"), LUNG, time="time", event="status")
    zph = cox_zph(fit, warn=False)
    got = fit.residuals("scaledsch")
    assert_allclose(got[list(zph.residuals.columns)].to_numpy(), zph.residuals.to_numpy())
    assert_allclose(got["time"], zph.time)


def test_function_and_method_agree_and_weighted_override() -> None:
    lung = load("lung")
    fit = cox(lung, LUNG, time="time", event="status", weights="w")
    pd.testing.assert_frame_equal(cox_residuals(fit, "dfbeta"), fit.residuals("dfbeta"))
    w = lung["w"].to_numpy()[:, None]
    plain = fit.residuals("dfbeta", weighted=False).iloc[:, 1:].to_numpy()
    assert_allclose(fit.residuals("dfbeta").iloc[:, 1:].to_numpy(), plain * w)
    score = fit.residuals("score").iloc[:, 1:].to_numpy()
    assert_allclose(fit.residuals("score", weighted=True).iloc[:, 1:].to_numpy(), score * w)


def test_collapse_by_unnamed_labels_and_bad_collapse() -> None:
    data = load("bladder2")
    fit = cox(data, BLADDER, time="stop", event="event", start="start", cluster="id")
    by_list = fit.residuals("score", collapse=data["id"].tolist())
    assert by_list.index.name == "cluster"
    assert len(by_list) == data["id"].nunique()
    with pytest.raises(ValueError, match="one per row"):
        fit.residuals("score", collapse=data["id"].iloc[:-1])
    with pytest.raises(SchemaError, match="'id'.*1 missing"):
        fit.residuals("score", collapse=data["id"].where(data.index != 3))
    with pytest.raises(ValueError, match="per event"):
        fit.residuals("schoenfeld", collapse=data["id"])
    with pytest.raises(ValueError, match="type must be one of"):
        fit.residuals("pearson")  # type: ignore[arg-type]


def test_robust_fit_uses_the_model_based_variance() -> None:
    data = load("bladder2")
    fit = cox(data, BLADDER, time="stop", event="event", start="start", cluster="id")
    assert fit.variance == "robust"
    score = fit.residuals("score").iloc[:, 1:].to_numpy()
    assert_allclose(fit.residuals("dfbeta").iloc[:, 1:].to_numpy(), score @ fit.naive_var)
    # the robust variance is the cross-product of the collapsed dfbeta residuals
    dfb = fit.residuals("dfbeta", collapse=data["id"]).iloc[:, 1:].to_numpy()
    assert_allclose(dfb.T @ dfb, fit.var, rtol=1e-10)


# ---------------------------------------------------------------------- invariants
@st.composite
def small_data(draw: st.DrawFn) -> tuple[pd.DataFrame, dict]:
    seed = draw(st.integers(0, 2**31 - 1))
    n = draw(st.integers(25, 60))
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({"x1": rng.normal(size=n), "x2": rng.integers(0, 2, n).astype(float)})
    # rounded times give tied event times (Efron and Breslow differ)
    df["time"] = np.round(rng.exponential(np.exp(-0.5 * df["x1"])) * 4) / 4 + 0.25
    df["event"] = (rng.uniform(size=n) < 0.7).astype(int)
    df.loc[:2, "event"] = 1
    options: dict = {"ties": draw(st.sampled_from(["efron", "breslow"]))}
    if draw(st.booleans()):
        df["w"] = rng.choice([0.5, 1.0, 2.5], n)
        options["weights"] = "w"
    if draw(st.booleans()):
        df["s"] = np.where(np.arange(n) < n // 2, "a", "b")
        df.loc[[0, n // 2], "event"] = 1
        options["strata"] = "s"
    if draw(st.booleans()):
        df["start"] = df["time"] * rng.uniform(0, 0.5, n)
        options["start"] = "start"
    return df, options


def _quiet_fit(df: pd.DataFrame, options: dict):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StatisticalWarning)
        try:
            return cox(df, "x1 + x2", time="time", event="event", **options)
        except Exception:  # a random draw with no finite maximum: nothing to check
            return None


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=small_data())
def test_residual_invariants(case: tuple[pd.DataFrame, dict]) -> None:
    df, options = case
    fit = _quiet_fit(df, options)
    if fit is None:
        return
    w = df["w"].to_numpy() if "weights" in options else np.ones(len(df))
    mart = fit.residuals()["martingale"].to_numpy()
    groups = df["s"] if "strata" in options else pd.Series(0, index=df.index)
    for _, rows in groups.groupby(groups).groups.items():
        pos = df.index.get_indexer(rows)
        assert abs(w[pos] @ mart[pos]) < 1e-9 * max(1.0, w[pos].sum())
    score = fit.residuals("score").iloc[:, 1:].to_numpy()
    information_scale = np.sqrt(np.diag(np.linalg.inv(fit.naive_var)))
    assert np.all(np.abs(w @ score) < 1e-6 * information_scale)
    dfbeta = fit.residuals("dfbeta").iloc[:, 1:].to_numpy()
    assert_allclose(dfbeta, (score * w[:, None]) @ fit.naive_var, rtol=1e-10, atol=1e-14)
    dfbetas = fit.residuals("dfbetas").iloc[:, 1:].to_numpy()
    assert_allclose(dfbetas, dfbeta / np.sqrt(np.diag(fit.naive_var)), rtol=1e-10, atol=1e-14)
    sch = fit.residuals("schoenfeld", weighted=True)
    assert len(sch) == fit.n_events
    assert np.all(np.abs(sch.iloc[:, 3:].to_numpy().sum(axis=0)) < 1e-6 * information_scale)
    dev = fit.residuals("deviance")["deviance"].to_numpy()
    assert np.all(np.isfinite(dev))
    assert np.all((np.sign(dev) == np.sign(mart)) | (np.abs(mart) < 1e-12))


def test_stratum_labels_of_two_columns_and_whole_floats() -> None:
    lung = load("lung").assign(sex=lambda d: d["sex"].astype(float), old=lambda d: d["age"] > 65)
    fit = cox(lung, "`ph.ecog` + `ph.karno`", time="time", event="status", strata=["sex", "old"])
    sch = fit.residuals("schoenfeld")
    want = {f"sex={s}, old={o}" for s in (1, 2) for o in (False, True)}
    assert set(sch["stratum"]) == want
    rows = sch["row"].to_numpy()
    label = "sex=" + lung["sex"].astype(int).astype(str) + ", old=" + lung["old"].astype(str)
    assert (sch["stratum"].to_numpy() == label.to_numpy()[rows]).all()


def test_collapse_series_is_aligned_on_the_index() -> None:
    data = load("bladder2")
    fit = cox(data, BLADDER, time="stop", event="event", start="start", cluster="id")
    want = fit.residuals("dfbeta", collapse=data["id"])
    shuffled = data["id"].sample(frac=1.0, random_state=2)
    pd.testing.assert_frame_equal(fit.residuals("dfbeta", collapse=shuffled), want)
    with pytest.raises(ValueError, match="index does not match"):
        fit.residuals("dfbeta", collapse=data["id"].set_axis(data.index + 1000))

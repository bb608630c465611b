"""Competing risks: cumulative incidence and its variance against cmprsk::cuminc, the
estimate against survival::survfit's multi-state Aalen-Johansen, Gray's test against
cuminc's Tests (tests/reference/survival/survival_reference.R); invariants; error paths."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from netstats.exceptions import SchemaError
from netstats.survival import cumulative_incidence, gray_test, km_table

REF = Path(__file__).parent / "reference" / "survival"
RTOL = 1e-6  # deterministic
CIF_REF = pd.read_csv(REF / "cif_cuminc.csv")
AJ_REF = pd.read_csv(REF / "cif_survfit_aj.csv")
GRAY_REF = pd.read_csv(REF / "gray_test.csv", keep_default_na=False)


def load(name: str) -> pd.DataFrame:
    return pd.read_csv(REF / f"data_{name}.csv")


def step_at(sub: pd.DataFrame, col: str, times: np.ndarray) -> np.ndarray:
    """Right-continuous value of a summary column at ``times`` (0 before the first time)."""
    k = np.searchsorted(sub["time"].to_numpy(), times, side="right")
    return np.concatenate(([0.0], sub[col].to_numpy(dtype=float)))[k]


@pytest.mark.reference
@pytest.mark.parametrize(
    ("dataset", "by_group"),
    [(d, b) for d in ("cr_example", "cr_tied", "cr_mgus2") for b in (False, True)],
)
def test_cif_and_variance_match_cmprsk(dataset, by_group):
    ref = CIF_REF[(CIF_REF["dataset"] == dataset) & (CIF_REF["by_group"] == by_group)]
    res = cumulative_incidence(load(dataset), group="group" if by_group else None)
    for (grp, cause), r in ref.groupby(["group", "cause"]):
        # cuminc lists both corners of each step; the right-continuous value is the last
        r = r.drop_duplicates("time", keep="last")
        s = res.summary
        sub = s[(s["group"].astype(str) == str(grp)) & (s["cause"] == cause)]
        times = r["time"].to_numpy()
        np.testing.assert_allclose(
            step_at(sub, "estimate", times), r["estimate"], rtol=RTOL, atol=1e-14
        )
        var = step_at(sub, "std_err", times) ** 2
        np.testing.assert_allclose(var, r["variance"], rtol=RTOL, atol=1e-14)


@pytest.mark.reference
@pytest.mark.parametrize("dataset", ["cr_example", "cr_tied", "cr_mgus2"])
def test_estimate_matches_survfit_aalen_johansen(dataset):
    ref = AJ_REF[AJ_REF["dataset"] == dataset]
    res = cumulative_incidence(load(dataset), group="group").summary
    for grp, r in ref.groupby("group"):
        for cause in (1, 2):
            sub = res[(res["group"].astype(str) == str(grp)) & (res["cause"] == cause)]
            np.testing.assert_allclose(sub["time"], r["time"], rtol=RTOL)
            np.testing.assert_allclose(sub["estimate"], r[f"cif_{cause}"], rtol=RTOL, atol=1e-14)
            np.testing.assert_array_equal(sub["n_at_risk"], r["n_risk"])


@pytest.mark.reference
@pytest.mark.parametrize(
    "row", GRAY_REF.to_dict("records"), ids=lambda r: f"{r['dataset']}-{r['strata']}-{r['cause']}"
)
def test_gray_matches_cmprsk(row):
    name = row["dataset"].replace("_rho1", "")
    res = gray_test(
        load(name),
        group="group",
        strata=row["strata"] or None,
        rho=1.0 if row["dataset"].endswith("_rho1") else 0.0,
    )
    got = res.summary.set_index("cause").loc[int(row["cause"])]
    assert got["statistic"] == pytest.approx(float(row["statistic"]), rel=RTOL)
    assert got["p_value"] == pytest.approx(float(row["p_value"]), rel=RTOL)
    assert got["df"] == int(row["df"])


def test_string_causes_with_event_codes():
    d = load("cr_tied")
    names = {0: "censored", 1: "progression", 2: "toxicity"}
    labelled = d.assign(event=d["event"].map(names))
    codes = {"censored": 0, "progression": 1, "toxicity": 2}
    a = cumulative_incidence(labelled, event_codes=codes).summary
    b = cumulative_incidence(d).summary
    assert a["cause"].unique().tolist() == ["progression", "toxicity"]
    np.testing.assert_array_equal(a["estimate"], b["estimate"])
    ga = gray_test(labelled, group="group", event_codes=codes).summary
    gb = gray_test(d, group="group").summary
    np.testing.assert_array_equal(ga["statistic"], gb["statistic"])


def test_log_log_ci_formula():
    res = cumulative_incidence(load("cr_mgus2"))
    s = res.summary
    s = s[(s["estimate"] > 0) & (s["std_err"] > 0)]
    f, se = s["estimate"], s["std_err"]
    z = 1.959963984540054
    g = np.log(-np.log(f))
    sg = se / (f * np.abs(np.log(f)))
    np.testing.assert_allclose(s["ci_lower"], np.exp(-np.exp(g + z * sg)), rtol=1e-12)
    np.testing.assert_allclose(s["ci_upper"], np.exp(-np.exp(g - z * sg)), rtol=1e-12)
    assert "cmprsk" in repr(res)


def test_at_counts():
    res = cumulative_incidence(load("cr_tied"))
    at = res.at([0.0, 0.5, 100.0])
    one = at[at["cause"] == 1]
    assert one["n_at_risk"].tolist()[0] == 100 and one["n_at_risk"].tolist()[-1] == 0
    assert one["estimate"].iloc[0] == 0.0
    total = int((load("cr_tied")["event"] == 1).sum())
    assert one["n_events"].iloc[-1] == total


# ----------------------------------------------------------------- properties --------------
frames = st.lists(
    st.tuples(st.integers(0, 15), st.integers(0, 3), st.sampled_from(["a", "b"])),
    min_size=3,
    max_size=50,
).map(lambda rows: pd.DataFrame(rows, columns=["time", "event", "arm"]))


@settings(max_examples=50, deadline=None)
@given(df=frames)
def test_cifs_sum_to_one_minus_km(df):
    if (df["event"] == 0).all():
        return
    before = df.copy(deep=True)
    res = cumulative_incidence(df).summary
    total = res.groupby("time")["estimate"].sum().to_numpy()
    km = km_table(df.assign(any=(df["event"] > 0).astype(int)), event="any")
    assert np.all(total <= 1 + 1e-12)
    np.testing.assert_allclose(total, 1.0 - km["survival"].to_numpy(), atol=1e-12)
    for _, sub in res.groupby("cause"):
        assert np.all(np.diff(sub["estimate"].to_numpy()) >= -1e-15)
    pd.testing.assert_frame_equal(df, before)


@settings(max_examples=40, deadline=None)
@given(df=frames, seed=st.integers(0, 2**16))
def test_row_order_invariance(df, seed):
    if (df["event"] == 0).all() or df["arm"].nunique() < 2:
        return
    shuffled = df.sample(frac=1.0, random_state=seed)
    pd.testing.assert_frame_equal(
        cumulative_incidence(df, group="arm").summary,
        cumulative_incidence(shuffled, group="arm").summary,
    )


def test_single_cause_equals_one_minus_km(rng):
    t = np.ceil(rng.exponential(10, 200))
    e = (rng.random(200) < 0.6).astype(int)
    df = pd.DataFrame({"time": t, "event": e})
    cif = cumulative_incidence(df).summary
    km = km_table(df)
    np.testing.assert_allclose(cif["estimate"], 1 - km["survival"], rtol=1e-12, atol=1e-15)


# ----------------------------------------------------------------- error paths -------------
def test_bad_codes():
    df = pd.DataFrame({"time": [1.0, 2.0], "event": [1, 1.5]})
    with pytest.raises(SchemaError, match="event: 1 event codes are not integers"):
        cumulative_incidence(df)


def test_unknown_label():
    df = pd.DataFrame({"time": [1.0, 2.0], "event": ["pd", "death"]})
    with pytest.raises(SchemaError, match="1 values not in event_codes"):
        cumulative_incidence(df, event_codes={"none": 0, "pd": 1})


def test_event_codes_need_censoring_code():
    df = pd.DataFrame({"time": [1.0, 2.0], "event": ["pd", "death"]})
    with pytest.raises(ValueError, match="0 for censoring"):
        cumulative_incidence(df, event_codes={"pd": 1, "death": 2})


def test_no_events_and_one_group():
    with pytest.raises(SchemaError, match="no events"):
        cumulative_incidence(pd.DataFrame({"time": [1.0, 2.0], "event": [0, 0]}))
    df = pd.DataFrame({"time": [1.0, 2.0], "event": [1, 2], "arm": ["a", "a"]})
    with pytest.raises(SchemaError, match="at least two groups"):
        gray_test(df, group="arm")


def test_bad_conf_type_and_rho():
    df = pd.DataFrame({"time": [1.0, 2.0], "event": [1, 2], "arm": ["a", "b"]})
    with pytest.raises(ValueError, match="conf_type must be"):
        cumulative_incidence(df, conf_type="log")
    with pytest.raises(TypeError, match="rho must be"):
        gray_test(df, group="arm", rho="1")

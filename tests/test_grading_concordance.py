"""concordance(): analytic path equals the R-checked building blocks; cluster bootstrap."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from netstats.exceptions import SchemaError, StatisticalWarning
from netstats.grading import (
    ConcordanceResult,
    bland_altman,
    build_pairs,
    cohen_kappa,
    concordance,
    icc,
    ki67_interval,
    lin_ccc,
)

GRADES = ["G1", "G2", "G3"]
# primary (rows) x metastasis (columns), the "grades3" table of tests/reference/grading
TABLE = np.array([[30, 12, 1], [4, 25, 6], [1, 3, 9]])


def _pairs_from_table(table: np.ndarray, rng: np.random.Generator) -> pd.DataFrame:
    rows = []
    mid = {"G1": 1.5, "G2": 8.0, "G3": 30.0}
    for i, gi in enumerate(GRADES):
        for j, gj in enumerate(GRADES):
            for _ in range(table[i, j]):
                rows.append(
                    (gi, gj, mid[gi] * rng.lognormal(0, 0.2), mid[gj] * rng.lognormal(0, 0.2))
                )
    df = pd.DataFrame(
        rows,
        columns=[
            "primary_who_grade",
            "metastasis_who_grade",
            "primary_ki67_percent",
            "metastasis_ki67_percent",
        ],
    )
    df.insert(0, "patient_id", [f"P{i:03d}" for i in range(len(df))])
    return df


@pytest.fixture
def pairs(rng) -> pd.DataFrame:
    return _pairs_from_table(TABLE, rng)


def test_analytic_path_equals_building_blocks(pairs):
    res = concordance(pairs)
    assert isinstance(res, ConcordanceResult)
    assert res.ci_method == "analytic" and res.n_bootstrap == 0
    assert res.cross_table.to_numpy().tolist() == TABLE.tolist()
    assert res.cross_table.index.name == "primary" and res.cross_table.columns.name == "metastasis"
    a = res.agreement.set_index("statistic")
    for stat, w in [
        ("kappa", "unweighted"),
        ("kappa_linear", "linear"),
        ("kappa_quadratic", "quadratic"),
    ]:
        k = cohen_kappa(TABLE, weights=w)  # checked against psych and the FCE formula
        assert a.loc[stat, ["estimate", "se", "ci_lower", "ci_upper"]].tolist() == pytest.approx(
            [k.estimate, k.se, k.ci_lower, k.ci_upper], rel=1e-12
        )
    n = TABLE.sum()
    up, down = np.triu(TABLE, 1).sum(), np.tril(TABLE, -1).sum()
    assert a.loc["share_upgraded", "estimate"] == pytest.approx(up / n)
    assert a.loc["share_downgraded", "estimate"] == pytest.approx(down / n)
    assert a.loc["observed_agreement", "estimate"] == pytest.approx(np.trace(TABLE) / n)
    # exact intervals equal Clopper-Pearson (checked against R binom.test)
    cp = ki67_interval([up, down], [n, n])
    assert a.loc["share_upgraded", ["ci_lower", "ci_upper"]].tolist() == pytest.approx(
        (cp.loc[0, ["ci_lower", "ci_upper"]] / 100).tolist(), rel=1e-9
    )
    assert a.loc["share_downgraded", "ci_method"] == "clopper_pearson"
    t = res.tests.set_index("test")
    assert t.loc["bowker", "statistic"] == pytest.approx(5.0, rel=1e-12)  # R mcnemar.test: 5
    assert t.loc["bowker", "df"] == 3


def test_ki67_part_equals_building_blocks(pairs):
    res = concordance(pairs)
    k = res.ki67.set_index("statistic")
    x, y = pairs["primary_ki67_percent"], pairs["metastasis_ki67_percent"]
    ba = bland_altman(x, y).summary.set_index("statistic")
    for s in ("bias", "loa_lower", "loa_upper"):
        assert k.loc[s, ["estimate", "ci_lower", "ci_upper"]].tolist() == pytest.approx(
            ba.loc[s, ["estimate", "ci_lower", "ci_upper"]].tolist(), rel=1e-12
        )
    c = lin_ccc(np.log(x), np.log(y)).iloc[0]
    assert k.loc["ccc", ["estimate", "ci_lower", "ci_upper"]].tolist() == pytest.approx(
        [c["estimate"], c["ci_lower"], c["ci_upper"]], rel=1e-12
    )
    ic = icc(np.log(x), np.log(y)).set_index("statistic")
    assert k.loc["ICC2", "ci_upper"] == pytest.approx(ic.loc["ICC2", "ci_upper"], rel=1e-12)
    assert res.bland_altman is not None and res.bland_altman.n == len(pairs)


def test_summary_tidy_columns(pairs):
    s = concordance(pairs).summary
    assert list(s.columns) == [
        "analysis",
        "statistic",
        "estimate",
        "se",
        "ci_lower",
        "ci_upper",
        "conf_level",
        "ci_method",
        "n",
    ]
    assert set(s["analysis"]) == {"grade", "ki67_log"}
    assert "kappa" in repr(concordance(pairs))


def test_nec_and_missing_grades_excluded_and_counted(pairs):
    extra = pairs.iloc[:3].copy()
    extra["patient_id"] = ["X1", "X2", "X3"]
    extra["metastasis_who_grade"] = ["NEC", None, "G2"]
    extra["metastasis_ki67_percent"] = [60.0, 5.0, np.nan]
    res = concordance(pd.concat([pairs, extra], ignore_index=True))
    assert res.n_pairs == TABLE.sum() + 1
    exc = res.excluded.set_index("reason")["n_pairs"]
    assert exc["NEC in a member (not graded as NET)"] == 1
    assert exc["grade missing in a member"] == 1
    assert exc["Ki-67 missing in a member"] == 1


def test_row_order_invariance_and_no_mutation(pairs):
    before = pairs.copy()
    a = concordance(pairs).summary
    pd.testing.assert_frame_equal(pairs, before)
    b = concordance(pairs.sample(frac=1, random_state=1)).summary
    pd.testing.assert_frame_equal(a, b, rtol=1e-10)


def test_cluster_bootstrap_when_patients_repeat(pairs):
    clustered = pairs.assign(patient_id=[f"Q{i // 2}" for i in range(len(pairs))])
    with pytest.warns(StatisticalWarning, match="assume independent pairs"):
        res = concordance(clustered, n_bootstrap=300, random_state=7)
    assert res.ci_method == "cluster_bootstrap" and res.n_bootstrap == 300
    assert res.n_patients == len(pairs) // 2 + len(pairs) % 2
    s = res.summary
    assert (s["ci_method"] == "cluster_bootstrap").all()
    assert (s["se"] > 0).all()
    assert (s["ci_lower"] <= s["estimate"]).all() and (s["estimate"] <= s["ci_upper"]).all()
    with pytest.warns(StatisticalWarning):
        again = concordance(clustered, n_bootstrap=300, random_state=7)
    pd.testing.assert_frame_equal(res.summary, again.summary)


def test_cluster_bootstrap_close_to_analytic_for_independent_pairs(pairs):
    # one pair per patient: the bootstrap SE of kappa approximates the FCE SE
    # (300 replicates; Monte-Carlo error about 4 %, so rtol 20 %)
    boot = concordance(pairs, ci_method="cluster_bootstrap", n_bootstrap=300, random_state=3)
    ana = concordance(pairs)
    b = boot.agreement.set_index("statistic")
    a = ana.agreement.set_index("statistic")
    for s in ("kappa", "kappa_linear", "kappa_quadratic"):
        assert b.loc[s, "se"] == pytest.approx(a.loc[s, "se"], rel=0.2)


def test_accepts_pairset_and_other_prefixes():
    path = pd.DataFrame(
        {
            "patient_id": ["A", "A", "B", "B", "C", "C", "D", "D"],
            "sample_id": list("12345678"),
            "sample_date": pd.to_datetime(["2020-01-01", "2021-01-01"] * 4),
            "site": ["liver"] * 8,
            "specimen_type": ["core_biopsy", "resection"] * 4,
            "ki67_percent": [2.0, 4.0, 10.0, 12.0, 1.0, 1.5, 25.0, 15.0],
        }
    )
    ps = build_pairs(path, kind="biopsy_resection")
    res = concordance(ps, first="biopsy", second="resection")
    a = res.agreement.set_index("statistic")
    assert (
        a.loc["share_upgraded", "estimate"] == 0.25
        and a.loc["share_downgraded", "estimate"] == 0.25
    )
    assert res.cross_table.index.name == "biopsy"


def test_errors(pairs):
    with pytest.raises(SchemaError, match="lacks column"):
        concordance(pairs, first="biopsy")
    bad = pairs.assign(primary_who_grade="g2")
    with pytest.raises(SchemaError, match="unknown label 'g2'"):
        concordance(bad)
    with pytest.raises(ValueError, match="no pair has a NET grade"):
        concordance(pairs.assign(primary_who_grade="NEC"))
    with pytest.raises(ValueError, match="log_offset"):
        concordance(pairs.assign(primary_ki67_percent=0.0))
    with pytest.raises(ValueError, match="ci_method"):
        concordance(pairs, ci_method="jackknife")
    with pytest.raises(ValueError, match="n_bootstrap"):
        concordance(pairs, n_bootstrap=10)
    with pytest.raises(TypeError, match="DataFrame or PairSet"):
        concordance(pairs.to_numpy())


def test_discordance_rates_recovered_in_simulation():
    # NANETS pNET guideline: about 25 % higher in the metastasis and 10 % higher in the
    # primary. Simulate 400 patients with 1-3 metastases each; the estimates should sit close
    # to the truth and the cluster-bootstrap CIs should cover it.
    rng = np.random.default_rng(2026)
    rows = []
    for i in range(400):
        g = rng.choice(3, p=[0.4, 0.45, 0.15])
        for _ in range(rng.integers(1, 4)):
            u = rng.random()
            h = min(g + 1, 2) if u < 0.25 else (max(g - 1, 0) if u < 0.35 else g)
            rows.append((f"P{i}", GRADES[g], GRADES[h]))
    df = pd.DataFrame(rows, columns=["patient_id", "primary_who_grade", "metastasis_who_grade"])
    with pytest.warns(StatisticalWarning):
        res = concordance(df, n_bootstrap=500, random_state=1)
    a = res.agreement.set_index("statistic")
    # G3 cannot go up and G1 cannot go down: truth is 0.25 * P(g < 2), 0.10 * P(g > 0)
    truth_up, truth_down = 0.25 * 0.85, 0.10 * 0.60
    assert a.loc["share_upgraded", "ci_lower"] < truth_up < a.loc["share_upgraded", "ci_upper"]
    assert (
        a.loc["share_downgraded", "ci_lower"] < truth_down < a.loc["share_downgraded", "ci_upper"]
    )


@pytest.mark.slow
def test_cluster_bootstrap_coverage_of_kappa_with_clustered_pairs():
    # 150 simulated cohorts of 60 patients with 1-3 correlated pairs each; the percentile
    # cluster-bootstrap 95 % CI of quadratic kappa should cover the population value in
    # roughly 95 % of cohorts (binomial SE 1.8 %: accept 88-99 %)
    rng = np.random.default_rng(99)

    def cohort(n_pat):
        rows = []
        for i in range(n_pat):
            g = rng.choice(3, p=[0.4, 0.45, 0.15])
            shift = rng.choice([-1, 0, 1], p=[0.1, 0.65, 0.25])  # shared within patient
            for _ in range(rng.integers(1, 4)):
                h = int(np.clip(g + (shift if rng.random() < 0.8 else 0), 0, 2))
                rows.append((f"P{i}", GRADES[g], GRADES[h]))
        return pd.DataFrame(
            rows, columns=["patient_id", "primary_who_grade", "metastasis_who_grade"]
        )

    big = cohort(20_000)
    # population kappa from all pairs of a very large cohort (analytic path, no clustering)
    big = big.assign(patient_id=range(len(big)))
    truth = concordance(big).agreement.set_index("statistic").loc["kappa_quadratic", "estimate"]
    hits = 0
    n_sim = 150
    for _ in range(n_sim):
        with pytest.warns(StatisticalWarning):
            res = concordance(cohort(60), n_bootstrap=400, random_state=rng)
        row = res.agreement.set_index("statistic").loc["kappa_quadratic"]
        hits += row["ci_lower"] <= truth <= row["ci_upper"]
    assert 0.88 <= hits / n_sim <= 0.99


def test_progress_bar_on_request(pairs, capsys):
    concordance(
        pairs, ci_method="cluster_bootstrap", n_bootstrap=100, random_state=1, progress=True
    )
    assert "cluster bootstrap" in capsys.readouterr().err
    concordance(pairs, ci_method="cluster_bootstrap", n_bootstrap=100, random_state=1)
    assert capsys.readouterr().err == ""

"""``concordance()``: agreement of grade and Ki-67 between paired specimens."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from netstats._display import ResultDisplay, plural
from netstats._progress import progress_bar
from netstats.cohort._who import GRADES
from netstats.exceptions import SchemaError, StatisticalWarning
from netstats.grading._agreement import (
    Weights,
    _kappa_and_se,
    bowker_test,
    disagreement_weights,
    stuart_maxwell_test,
)
from netstats.grading._continuous import (
    BlandAltmanResult,
    _icc_estimates,
    bland_altman,
    icc,
    lin_ccc,
)
from netstats.grading._pairs import PairSet

__all__ = ["ConcordanceResult", "concordance"]

_GRADE_STATS = (
    "observed_agreement",
    "kappa",
    "kappa_linear",
    "kappa_quadratic",
    "share_discordant",
    "share_upgraded",
    "share_downgraded",
)
_ICC_FORMS = ("ICC1", "ICC2", "ICC3", "ICC1k", "ICC2k", "ICC3k")
_KI67_STATS = ("bias", "loa_lower", "loa_upper", "ccc", *_ICC_FORMS)
_COLUMNS = ["statistic", "estimate", "se", "ci_lower", "ci_upper", "conf_level", "ci_method", "n"]


@dataclass(frozen=True, repr=False)
class ConcordanceResult(ResultDisplay):
    """Agreement between the grades and Ki-67 of paired specimens.

    Attributes
    ----------
    first, second : str
        Prefixes of the two members (rows and columns of the cross-table).
    cross_table : pandas.DataFrame
        Counts, rows = first grade (G1-G3), columns = second grade.
    agreement : pandas.DataFrame
        Grade statistics, one row each: ``observed_agreement``, ``kappa``, ``kappa_linear``,
        ``kappa_quadratic``, ``share_discordant``, ``share_upgraded`` (second grade higher),
        ``share_downgraded`` (second lower); columns ``statistic``, ``estimate``, ``se``,
        ``ci_lower``, ``ci_upper``, ``conf_level``, ``ci_method``, ``n`` (pairs).
    tests : pandas.DataFrame
        Bowker symmetry and Stuart-Maxwell marginal homogeneity: ``test``, ``statistic``,
        ``df``, ``p_value``, ``n``, ``note``.
    ki67 : pandas.DataFrame
        Continuous Ki-67 on the natural-log scale: ``bias``, ``loa_lower``, ``loa_upper``
        (Bland-Altman, second - first), ``ccc`` (Lin), ``ICC1`` ... ``ICC3k``; same columns
        as ``agreement``.
    bland_altman : BlandAltmanResult or None
        The full Bland-Altman result (points for plotting); None with < 3 Ki-67 pairs.
    excluded : pandas.DataFrame
        ``analysis`` ("grade" or "ki67"), ``reason``, ``n_pairs``.
    n_pairs, n_patients : int
        Pairs and patients in the grade analysis.
    ci_method : str
        ``analytic`` or ``cluster_bootstrap``.
    n_bootstrap : int
        Bootstrap replicates (0 when analytic).

    Examples
    --------
    >>> import pandas as pd
    >>> pairs = pd.DataFrame({
    ...     "patient_id": ["P1", "P2", "P3", "P4"],
    ...     "primary_who_grade": ["G1", "G2", "G2", "G1"],
    ...     "metastasis_who_grade": ["G1", "G2", "G3", "G2"],
    ...     "primary_ki67_percent": [1.0, 5.0, 12.0, 2.0],
    ...     "metastasis_ki67_percent": [1.5, 6.0, 25.0, 4.0]})
    >>> import warnings
    >>> from netstats.grading import concordance
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")  # four pairs are far too few; this only shows the API
    ...     res = concordance(pairs)
    >>> print(res.method)
    Concordance of primary vs metastasis: 4 pairs / 4 patients; grade kappas, Bowker and Stuart-Maxwell tests, log Ki-67 Bland-Altman, CCC and ICC; analytic CIs
    >>> int(res.cross_table.loc["G2", "G3"])
    1
    """

    first: str
    second: str
    cross_table: pd.DataFrame
    agreement: pd.DataFrame
    tests: pd.DataFrame
    ki67: pd.DataFrame
    bland_altman: BlandAltmanResult | None
    excluded: pd.DataFrame
    n_pairs: int
    n_patients: int
    ci_method: str
    n_bootstrap: int = field(default=0)

    @property
    def summary(self) -> pd.DataFrame:
        """Grade and Ki-67 statistics in one tidy table (``analysis`` column added)."""
        a = self.agreement.assign(analysis="grade")
        k = self.ki67.assign(analysis="ki67_log")
        return pd.concat([a, k], ignore_index=True)[["analysis", *_COLUMNS]]

    @property
    def method(self) -> str:
        """One-line description (members, sizes, statistics, CI method)."""
        if self.ci_method == "cluster_bootstrap":
            ci = f"cluster bootstrap CIs ({self.n_bootstrap} resamples of patients)"
        else:
            ci = "analytic CIs"
        return (
            f"Concordance of {self.first} vs {self.second}: {plural(self.n_pairs, 'pair')} / "
            f"{plural(self.n_patients, 'patient')}; grade kappas, Bowker and Stuart-Maxwell "
            f"tests, log Ki-67 Bland-Altman, CCC and ICC; {ci}"
        )

    def to_frame(self) -> pd.DataFrame:
        """Same as :attr:`summary`."""
        return self.summary

    def _display_frame(self) -> pd.DataFrame:
        return self.summary[["analysis", "statistic", "estimate", "ci_lower", "ci_upper", "n"]]


def _grade_stats(t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Estimates and analytic SEs (NaN for shares) of the grade statistics of a 3 x 3 table."""
    n = t.sum()
    est = np.full(len(_GRADE_STATS), np.nan)
    se = np.full(len(_GRADE_STATS), np.nan)
    if n == 0:
        return est, se
    est[0] = np.trace(t) / n
    weights: tuple[Weights, ...] = ("unweighted", "linear", "quadratic")
    for i, w in enumerate(weights, start=1):
        est[i], se[i] = _kappa_and_se(t, disagreement_weights(t.shape[0], w))
    est[4] = 1 - est[0]
    est[5] = np.triu(t, 1).sum() / n
    est[6] = np.tril(t, -1).sum() / n
    return est, se


def _ki67_stats(x: np.ndarray, y: np.ndarray, conf: float) -> np.ndarray:
    """Bland-Altman bias and limits, Lin's CCC and the six ICCs (point estimates, numpy only)."""
    out = np.full(len(_KI67_STATS), np.nan)
    n = x.size
    if n < 3:
        return out
    d = y - x
    s = d.std(ddof=1)
    z = stats.norm.ppf(0.5 + conf / 2)
    out[:3] = [d.mean(), d.mean() - z * s, d.mean() + z * s]
    sx2, sy2 = x.var(), y.var()
    sxy = np.mean((x - x.mean()) * (y - y.mean()))
    den = sx2 + sy2 + (x.mean() - y.mean()) ** 2
    if sx2 > 0 and sy2 > 0:
        out[3] = 2 * sxy / den
    out[4:] = _icc_estimates(np.column_stack([x, y]))
    return out


def _cp(k: float, n: float, conf: float) -> tuple[float, float]:
    if n == 0:
        return np.nan, np.nan
    r = stats.binomtest(int(round(k)), int(round(n))).proportion_ci(conf, method="exact")
    return float(r.low), float(r.high)


def concordance(
    pairs: pd.DataFrame | PairSet,
    *,
    first: str = "primary",
    second: str = "metastasis",
    grade: str = "who_grade",
    ki67: str = "ki67_percent",
    cluster: str = "patient_id",
    ci_method: Literal["auto", "analytic", "cluster_bootstrap"] = "auto",
    n_bootstrap: int = 2000,
    log_offset: float = 0.0,
    conf_level: float = 0.95,
    random_state: int | np.random.Generator | None = None,
    progress: bool | None = None,
) -> ConcordanceResult:
    """Concordance of WHO grade and Ki-67 between the two members of specimen pairs.

    Parameters
    ----------
    pairs : pandas.DataFrame or PairSet
        One row per pair, e.g. from :func:`build_pairs`, with columns
        ``{first}_{grade}``, ``{second}_{grade}`` (G1/G2/G3/NEC) and, for the continuous
        analysis, ``{first}_{ki67}``, ``{second}_{ki67}`` (%), plus ``cluster``.
    first, second : str, default "primary", "metastasis"
        Column prefixes; "upgraded" means the second member has the higher grade.
    grade, ki67 : str
        Column stems of the grade and the Ki-67 index.
    cluster : str, default="patient_id"
        Patient identifier; pairs of one patient are resampled together.
    ci_method : {"auto", "analytic", "cluster_bootstrap"}, default="auto"
        ``auto``: the cluster bootstrap when some patient contributes several pairs, else
        analytic intervals (Wald with the Fleiss-Cohen-Everitt SE for kappas, Clopper-Pearson
        for proportions, Bland-Altman 1999, Lin's z-transform, Shrout-Fleiss F intervals).
    n_bootstrap : int, default=2000
        Bootstrap replicates (percentile intervals).
    log_offset : float, default=0.0
        Added to Ki-67 before the natural log (needed if a value is 0).
    conf_level : float, default=0.95
        Confidence level.
    random_state : int or numpy.random.Generator, optional
        Seed of the bootstrap.
    progress : bool or None, default=None
        Show a progress bar during the bootstrap; ``None`` shows it in interactive use only
        (Jupyter or a terminal), and ``TQDM_DISABLE`` turns it off.

    Returns
    -------
    ConcordanceResult
        Cross-table, grade agreement, Bowker and Stuart-Maxwell tests, Ki-67 agreement and
        exclusions; see :class:`ConcordanceResult` for every column.

    Raises
    ------
    SchemaError
        Required columns missing, or a grade label outside G1/G2/G3/NEC.
    ValueError
        Bad option values, or no pair with two NET grades.

    Warns
    -----
    StatisticalWarning
        When pairs are clustered (the Bowker and Stuart-Maxwell tests assume independent
        pairs), or when > 1 % of bootstrap replicates give an undefined statistic.

    Notes
    -----
    Grades are ordinal G1 < G2 < G3; pairs where either member is NEC (a separate entity) or
    ungraded are excluded from the grade analysis and counted in ``excluded``. Linear and
    quadratic weights are |i - j| / 2 and (i - j)^2 / 4. Ki-67 agreement is analysed on the
    log scale (differences are log ratios second / first). The cluster bootstrap resamples
    patients with replacement and recomputes every statistic; intervals are percentile
    intervals, and ``se`` is the bootstrap standard deviation.

    References
    ----------
    Cohen 1960; Fleiss, Cohen & Everitt 1969; Bowker 1948; Stuart 1955; Maxwell 1970;
    Bland & Altman 1999; Lin 1989; Shrout & Fleiss 1979; Field CA, Welsh AH. Bootstrapping
    clustered data. J R Stat Soc B 2007;69:369-390.

    Examples
    --------
    >>> pairs = pd.DataFrame({
    ...     "patient_id": ["P1", "P2", "P3", "P4"],
    ...     "primary_who_grade": ["G1", "G2", "G2", "G1"],
    ...     "metastasis_who_grade": ["G1", "G2", "G3", "G2"],
    ...     "primary_ki67_percent": [1.0, 5.0, 12.0, 2.0],
    ...     "metastasis_ki67_percent": [1.5, 6.0, 25.0, 4.0]})
    >>> res = concordance(pairs)
    >>> float(res.agreement.set_index("statistic").loc["share_upgraded", "estimate"])
    0.5
    """
    pairs = _check_inputs(pairs, ci_method, conf_level, n_bootstrap)
    g1, g2 = f"{first}_{grade}", f"{second}_{grade}"
    k1, k2 = f"{first}_{ki67}", f"{second}_{ki67}"
    _check_columns(pairs, cluster, g1, g2)
    ga, gb, cl_g, exc = _grade_codes(pairs, g1, g2, cluster)
    lx, ly, cl_k, exc_k = _log_ki67(pairs, k1, k2, cluster, log_offset)
    exc += exc_k

    k = len(GRADES)
    table = np.zeros((k, k))
    np.add.at(table, (ga, gb), 1)
    n = int(table.sum())
    n_patients = int(pd.Series(cl_g).nunique())
    clustered = bool(pd.Series(cl_g).duplicated().any() or pd.Series(cl_k).duplicated().any())
    method = (
        ci_method if ci_method != "auto" else ("cluster_bootstrap" if clustered else "analytic")
    )

    est_g, se_g = _grade_stats(table)
    if n > 0 and np.isnan(est_g[1]):
        used = [g for g, count in zip(GRADES, table.sum(0) + table.sum(1), strict=True) if count]
        warnings.warn(
            f"kappa is undefined: every pair is graded {', '.join(used)} in both members "
            "(chance agreement is 1); the observed agreement is still reported",
            StatisticalWarning,
            stacklevel=2,
        )
    conf = float(conf_level)
    ba = bland_altman(np.exp(lx), np.exp(ly), conf_level=conf) if lx.size >= 3 else None
    est_k = _ki67_stats(lx, ly, conf)

    if method == "analytic":
        lo_g, hi_g, se_k, lo_k, hi_k, ci_label_g, ci_label_k = _analytic_cis(
            table, est_g, se_g, lx, ly, ba, conf
        )
        n_boot = 0
    else:
        boot_g, boot_k = _cluster_bootstrap(
            ga, gb, cl_g, lx, ly, cl_k, conf, n_bootstrap, random_state, progress
        )
        se_g, lo_g, hi_g = _percentile(boot_g, conf)
        se_k, lo_k, hi_k = _percentile(boot_k, conf)
        ci_label_g = ["cluster_bootstrap"] * len(_GRADE_STATS)
        ci_label_k = ["cluster_bootstrap"] * len(_KI67_STATS)
        n_boot = int(n_bootstrap)

    agreement = pd.DataFrame(
        {
            "statistic": list(_GRADE_STATS),
            "estimate": est_g,
            "se": se_g,
            "ci_lower": lo_g,
            "ci_upper": hi_g,
            "conf_level": conf,
            "ci_method": ci_label_g,
            "n": n,
        }
    )
    ki = pd.DataFrame(
        {
            "statistic": list(_KI67_STATS),
            "estimate": est_k,
            "se": se_k,
            "ci_lower": lo_k,
            "ci_upper": hi_k,
            "conf_level": conf,
            "ci_method": ci_label_k,
            "n": int(lx.size),
        }
    )
    tests = pd.concat(
        [bowker_test(table).summary, stuart_maxwell_test(table).summary], ignore_index=True
    )
    if clustered:
        warnings.warn(
            f"{n_patients} patients contribute {n} pairs: the Bowker and Stuart-Maxwell tests assume "
            "independent pairs and are anti-conservative here (CIs use the patient bootstrap)",
            StatisticalWarning,
            stacklevel=2,
        )
    cross = pd.DataFrame(
        table.astype(int), index=pd.Index(GRADES, name=first), columns=pd.Index(GRADES, name=second)
    )
    return ConcordanceResult(
        first=first,
        second=second,
        cross_table=cross,
        agreement=agreement,
        tests=tests,
        ki67=ki,
        bland_altman=ba,
        excluded=pd.DataFrame(exc, columns=["analysis", "reason", "n_pairs"]),
        n_pairs=n,
        n_patients=n_patients,
        ci_method=method,
        n_bootstrap=n_boot,
    )


def _check_inputs(
    pairs: pd.DataFrame | PairSet, ci_method: str, conf_level: float, n_bootstrap: int
) -> pd.DataFrame:
    """Validate the options of :func:`concordance`; return the pairs DataFrame."""
    if isinstance(pairs, PairSet):
        pairs = pairs.pairs
    if not isinstance(pairs, pd.DataFrame):
        raise TypeError(f"pairs must be a DataFrame or PairSet, got {type(pairs).__name__}")
    if ci_method not in ("auto", "analytic", "cluster_bootstrap"):
        raise ValueError(
            f"ci_method must be 'auto', 'analytic' or 'cluster_bootstrap', got {ci_method!r}"
        )
    if not 0 < conf_level < 1:
        raise ValueError(f"conf_level must be in (0, 1), got {conf_level!r}")
    if not isinstance(n_bootstrap, (int, np.integer)) or n_bootstrap < 100:
        raise ValueError(f"n_bootstrap must be an integer >= 100, got {n_bootstrap!r}")
    return pairs


def _check_columns(pairs: pd.DataFrame, cluster: str, g1: str, g2: str) -> None:
    """Raise SchemaError for missing columns or unknown grade labels."""
    missing = [c for c in (cluster, g1, g2) if c not in pairs.columns]
    if missing:
        raise SchemaError(f"pairs table lacks column(s): {', '.join(missing)}")
    labels = [*GRADES, "NEC"]
    for c in (g1, g2):
        s = pairs[c].astype(object)
        bad = s.notna() & ~s.isin(labels)
        if bad.any():
            raise SchemaError(
                f"{c}: unknown label {s[bad].iloc[0]!r}; expected one of {', '.join(labels)} (case-sensitive)"
            )


def _grade_codes(pairs: pd.DataFrame, g1: str, g2: str, cluster: str) -> tuple:
    """Integer grade codes of the pairs with two NET grades, clusters and exclusions."""
    a = pairs[g1].astype(object)
    b = pairs[g2].astype(object)
    exc = []
    nec = a.eq("NEC") | b.eq("NEC")
    miss = a.isna() | b.isna()
    if int((miss & ~nec).sum()):
        exc.append(("grade", "grade missing in a member", int((miss & ~nec).sum())))
    if int(nec.sum()):
        exc.append(("grade", "NEC in a member (not graded as NET)", int(nec.sum())))
    ok = ~(nec | miss)
    if not ok.any():
        raise ValueError("no pair has a NET grade (G1-G3) in both members")
    code = {g: i for i, g in enumerate(GRADES)}
    ga = a[ok].map(code).to_numpy(dtype=int)
    gb = b[ok].map(code).to_numpy(dtype=int)
    cl_g = pairs.loc[ok, cluster].to_numpy()
    return ga, gb, cl_g, exc


def _log_ki67(pairs: pd.DataFrame, k1: str, k2: str, cluster: str, log_offset: float) -> tuple:
    """Log Ki-67 of complete pairs, their clusters and exclusions."""
    exc = []
    has_ki = k1 in pairs.columns and k2 in pairs.columns
    if has_ki:
        x_raw = pd.to_numeric(pairs[k1], errors="coerce").to_numpy(dtype=float)
        y_raw = pd.to_numeric(pairs[k2], errors="coerce").to_numpy(dtype=float)
        ok_k = ~np.isnan(x_raw) & ~np.isnan(y_raw)
        if int((~ok_k).sum()):
            exc.append(("ki67", "Ki-67 missing in a member", int((~ok_k).sum())))
        if np.any(x_raw[ok_k] + log_offset <= 0) or np.any(y_raw[ok_k] + log_offset <= 0):
            raise ValueError(
                "Ki-67 + log_offset must be > 0 for the log scale; pass log_offset (e.g. 0.5)"
            )
        lx = np.log(x_raw[ok_k] + log_offset)
        ly = np.log(y_raw[ok_k] + log_offset)
        cl_k = pairs.loc[ok_k, cluster].to_numpy()
    else:
        exc.append(("ki67", f"columns {k1}/{k2} absent", len(pairs)))
        lx = ly = np.array([])
        cl_k = np.array([])
    return lx, ly, cl_k, exc


def _analytic_cis(
    table: np.ndarray,
    est_g: np.ndarray,
    se_g: np.ndarray,
    lx: np.ndarray,
    ly: np.ndarray,
    ba: BlandAltmanResult | None,
    conf: float,
) -> tuple:
    """Analytic CIs (Clopper-Pearson, Wald FCE, Bland-Altman, Fisher z, Shrout-Fleiss)."""
    n = table.sum()
    zq = stats.norm.ppf(0.5 + conf / 2)
    lo_g, hi_g = np.full(len(est_g), np.nan), np.full(len(est_g), np.nan)
    counts = (
        [np.trace(table)]
        + [np.nan] * 3
        + [n - np.trace(table), np.triu(table, 1).sum(), np.tril(table, -1).sum()]
    )
    for i in range(len(_GRADE_STATS)):
        if i in (1, 2, 3):
            lo_g[i], hi_g[i] = est_g[i] - zq * se_g[i], est_g[i] + zq * se_g[i]
        else:
            lo_g[i], hi_g[i] = _cp(counts[i], n, conf)
    se_k = np.full(len(_KI67_STATS), np.nan)
    lo_k, hi_k = np.full(len(_KI67_STATS), np.nan), np.full(len(_KI67_STATS), np.nan)
    if ba is not None:
        s = ba.summary
        se_k[:3], lo_k[:3], hi_k[:3] = s["se"], s["ci_lower"], s["ci_upper"]
        try:
            c = lin_ccc(lx, ly, conf_level=conf)
            lo_k[3], hi_k[3] = c["ci_lower"].iloc[0], c["ci_upper"].iloc[0]
        except ValueError:
            pass
        try:
            ic = icc(lx, ly, conf_level=conf)
            lo_k[4:], hi_k[4:] = ic["ci_lower"].to_numpy(), ic["ci_upper"].to_numpy()
        except ValueError:
            pass
    ci_label_g = [
        "clopper_pearson",
        "wald_fce",
        "wald_fce",
        "wald_fce",
        "clopper_pearson",
        "clopper_pearson",
        "clopper_pearson",
    ]
    ci_label_k = ["bland_altman_1999"] * 3 + ["fisher_z"] + ["shrout_fleiss_f"] * 6
    return lo_g, hi_g, se_k, lo_k, hi_k, ci_label_g, ci_label_k


def _percentile(boot: np.ndarray, conf: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    q = 100 * np.array([0.5 - conf / 2, 0.5 + conf / 2])
    se = np.full(boot.shape[1], np.nan)
    lo = np.full(boot.shape[1], np.nan)
    hi = np.full(boot.shape[1], np.nan)
    for j in range(boot.shape[1]):
        v = boot[:, j]
        v = v[~np.isnan(v)]
        if v.size >= 2:
            se[j] = v.std(ddof=1)
            lo[j], hi[j] = np.percentile(v, q)
    return se, lo, hi


def _cluster_bootstrap(
    ga: np.ndarray,
    gb: np.ndarray,
    cl_g: np.ndarray,
    lx: np.ndarray,
    ly: np.ndarray,
    cl_k: np.ndarray,
    conf: float,
    n_boot: int,
    random_state: int | np.random.Generator | None,
    progress: bool | None,
) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(random_state)
    patients = pd.unique(np.concatenate([cl_g, cl_k]))
    pos = {p: i for i, p in enumerate(patients)}
    ig = np.array([pos[p] for p in cl_g], dtype=int)
    ik = np.array([pos[p] for p in cl_k], dtype=int)
    rows_g = [np.flatnonzero(ig == i) for i in range(patients.size)]
    rows_k = [np.flatnonzero(ik == i) for i in range(patients.size)]
    k = len(GRADES)
    out_g = np.full((n_boot, len(_GRADE_STATS)), np.nan)
    out_k = np.full((n_boot, len(_KI67_STATS)), np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        bar = progress_bar(range(n_boot), progress=progress, desc="cluster bootstrap", unit="rep")
        for r in bar:
            draw = rng.integers(0, patients.size, patients.size)
            sel = np.concatenate([rows_g[i] for i in draw])
            t = np.zeros((k, k))
            np.add.at(t, (ga[sel], gb[sel]), 1)
            out_g[r] = _grade_stats(t)[0]
            selk = np.concatenate([rows_k[i] for i in draw])
            out_k[r] = _ki67_stats(lx[selk], ly[selk], conf)
    failed = np.isnan(out_g[:, 1]).mean()
    if failed > 0.01:
        warnings.warn(
            f"kappa undefined in {failed:.1%} of bootstrap replicates (one grade only); "
            "its interval uses the remaining replicates",
            StatisticalWarning,
            stacklevel=3,
        )
    return out_g, out_k

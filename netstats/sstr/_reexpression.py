"""SSTR re-expression on serial scans: negative scans, what followed, and what changed.

A *pair* is an SSTR scan that is negative by the rule and the patient's next SSTR scan
with a known outcome; the therapy lines between them are the candidate inducers (for
example everolimus or CAPTEM before a repeat 68Ga-DOTATATE PET, the "induction, then
re-evaluation" approach).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from netstats._display import ResultDisplay, plural
from netstats.cohort import Cohort
from netstats.schema import DAYS_PER_MONTH
from netstats.sstr._metrics import _check_conf_level, _clopper_pearson
from netstats.sstr._outcome import PositivityRule, get_rule, sstr_scans
from netstats.vocab import COMBINATION_SEPARATOR

__all__ = [
    "PAIR_COLUMNS",
    "ScanTrajectory",
    "conversion_rates",
    "paired_change",
    "reexpression_pairs",
    "scan_trajectory",
    "time_to_conversion",
]

#: Columns of :func:`reexpression_pairs`.
PAIR_COLUMNS = [
    "patient_id",
    "scan_id_before",
    "scan_date_before",
    "scan_id_after",
    "scan_date_after",
    "months_between",
    "krenning_before",
    "krenning_after",
    "suvmax_before",
    "suvmax_after",
    "converted",
    "regimens_between",
    "drug_classes_between",
    "n_lines_between",
    "rule",
]

Exposure = Literal["started", "overlap"]


def _scored_scans(cohort: Cohort, rule: PositivityRule, analysis: str) -> pd.DataFrame:
    scans = sstr_scans(cohort.imaging).copy()
    scans["positive"] = rule(scans)
    known = scans["positive"].notna()
    cohort.attrition.record(
        analysis,
        f"SSTR scan outcome undeterminable by rule {rule.name}",
        n_before=len(scans),
        n_excluded=int((~known).sum()),
        table="imaging",
    )
    out = scans.loc[known].copy()
    out["positive"] = out["positive"].astype(bool)
    return out


def _lines_between(
    lines: pd.DataFrame, patient: str, start: pd.Timestamp, end: pd.Timestamp, exposure: Exposure
) -> pd.DataFrame:
    own = lines.loc[lines["patient_id"] == patient]
    if exposure == "started":
        hit = (own["start_date"] >= start) & (own["start_date"] < end)
    else:
        hit = (own["start_date"] < end) & (own["end_date"].isna() | (own["end_date"] > start))
    return own.loc[hit].sort_values(["start_date", "line"])


def reexpression_pairs(
    cohort: Cohort,
    *,
    rule: str | PositivityRule = "krenning>=3",
    exposure: Exposure = "started",
) -> pd.DataFrame:
    """Each SSTR-negative scan with the patient's next SSTR scan and the therapy between.

    Parameters
    ----------
    cohort : Cohort
        A validated cohort.
    rule : str or PositivityRule, default="krenning>=3"
        Positivity rule defining "negative" and "converted".
    exposure : {"started", "overlap"}, default="started"
        Which lines count as "between": ``"started"`` lines that began on or after the
        negative scan and before the next scan (the induction design); ``"overlap"`` any
        line running during the interval (also lines already under way).

    Returns
    -------
    DataFrame
        One row per pair, columns :data:`PAIR_COLUMNS`: identifiers and dates of both
        scans, ``months_between`` (months of 30.4375 days), Krenning scores and lesion
        SUVmax before/after, ``converted`` (next scan positive), ``regimens_between`` and
        ``drug_classes_between`` (``"; "``-joined, in start order; empty text for none),
        ``n_lines_between`` and ``rule``.

    Notes
    -----
    A negative scan that is the patient's last SSTR scan has no pair.  A patient with
    several negative scans contributes several pairs (not independent).  Scans whose
    outcome the rule cannot decide are left out and recorded in ``cohort.attrition``.

    Examples
    --------
    >>> import netstats
    >>> from netstats import sstr
    >>> cohort = netstats.simulate_cohort(n_patients=150, seed=1)
    >>> pairs = sstr.reexpression_pairs(cohort)
    >>> pairs[["patient_id", "converted", "regimens_between"]]
      patient_id  converted            regimens_between
    0    P000013       True  CAPTEM; everolimus; FOLFOX
    1    P000059       True     surufatinib; everolimus
    2    P000120      False                      CAPTEM
    3    P000124      False    everolimus; CAPTEM; TARE
    """
    positivity = get_rule(rule)
    if exposure not in ("started", "overlap"):
        raise ValueError(f"exposure must be 'started' or 'overlap', got {exposure!r}")
    scans = _scored_scans(cohort, positivity, f"reexpression_pairs[{positivity.name}]")
    lines = cohort.therapy_lines
    rows = []
    for pid, grp in scans.groupby("patient_id", sort=True):
        grp = grp.reset_index(drop=True)
        for i in range(len(grp) - 1):
            before, after = grp.iloc[i], grp.iloc[i + 1]
            if before["positive"]:
                continue
            between = _lines_between(
                lines, str(pid), before["scan_date"], after["scan_date"], exposure
            )
            rows.append(
                {
                    "patient_id": pid,
                    "scan_id_before": before["scan_id"],
                    "scan_date_before": before["scan_date"],
                    "scan_id_after": after["scan_id"],
                    "scan_date_after": after["scan_date"],
                    "months_between": (after["scan_date"] - before["scan_date"]).days
                    / DAYS_PER_MONTH,
                    "krenning_before": before["krenning_score"],
                    "krenning_after": after["krenning_score"],
                    "suvmax_before": before["suvmax_lesion"],
                    "suvmax_after": after["suvmax_lesion"],
                    "converted": bool(after["positive"]),
                    "regimens_between": "; ".join(between["regimen"].astype(str)),
                    "drug_classes_between": "; ".join(between["drug_class"].astype(str)),
                    "n_lines_between": len(between),
                    "rule": positivity.name,
                }
            )
    out = pd.DataFrame(rows, columns=PAIR_COLUMNS)
    out["krenning_before"] = out["krenning_before"].astype("Int64")
    out["krenning_after"] = out["krenning_after"].astype("Int64")
    for col in ("suvmax_before", "suvmax_after", "months_between"):
        out[col] = out[col].astype("float64")
    out["converted"] = out["converted"].astype(bool)
    out["n_lines_between"] = out["n_lines_between"].astype("int64")
    return out


def conversion_rates(
    pairs: pd.DataFrame,
    *,
    by: Literal["regimen", "drug_class"] = "regimen",
    conf_level: float = 0.95,
) -> pd.DataFrame:
    """Conversion to SSTR-positive by intervening regimen, with exact CIs.

    Parameters
    ----------
    pairs : DataFrame
        Output of :func:`reexpression_pairs`.
    by : {"regimen", "drug_class"}, default="regimen"
        Group by single regimen component (a combination counts for each component) or by
        drug class.
    conf_level : float, default=0.95
        Confidence level of the intervals.

    Returns
    -------
    DataFrame
        One row per group plus ``"any"`` (all pairs) and ``"no therapy"`` (pairs with no
        line between): ``rule``, ``group``, ``n_pairs``, ``n_patients``, ``n_converted``,
        ``estimate`` (proportion converted), ``ci_lower``, ``ci_upper`` (Clopper-Pearson),
        ``conf_level``, ``method``.  A pair exposed to several regimens counts in each of
        their rows, so rows other than ``"any"`` overlap.

    References
    ----------
    Clopper CJ, Pearson ES. Biometrika 1934;26:404-13.

    Examples
    --------
    >>> import netstats
    >>> from netstats import sstr
    >>> cohort = netstats.simulate_cohort(n_patients=150, seed=1)
    >>> rates = sstr.conversion_rates(sstr.reexpression_pairs(cohort), by="drug_class")
    >>> rates[["group", "n_pairs", "n_converted"]].head(3)
              group  n_pairs  n_converted
    0           any        4            2
    1    no therapy        0            0
    2  chemotherapy        3            1
    """
    cl = _check_conf_level(conf_level)
    if by not in ("regimen", "drug_class"):
        raise ValueError(f"by must be 'regimen' or 'drug_class', got {by!r}")
    missing = [c for c in PAIR_COLUMNS if c not in pairs.columns]
    if missing:
        raise ValueError(f"pairs lacks column(s) {missing}; pass reexpression_pairs() output")
    source = "regimens_between" if by == "regimen" else "drug_classes_between"
    groups: dict[str, list[int]] = {"any": list(range(len(pairs))), "no therapy": []}
    for i, text in enumerate(pairs[source].astype(str)):
        parts = {
            comp for item in text.split("; ") if item for comp in item.split(COMBINATION_SEPARATOR)
        }
        if not parts:
            groups["no therapy"].append(i)
        for comp in sorted(parts):
            groups.setdefault(comp, []).append(i)
    rows = []
    conv = pairs["converted"].to_numpy(dtype=bool)
    pids = pairs["patient_id"].to_numpy()
    for name, idx in groups.items():
        k, n = int(conv[idx].sum()), len(idx)
        lo, hi = _clopper_pearson(np.array([k]), np.array([n]), cl)
        rows.append(
            {
                "group": name,
                "n_pairs": n,
                "n_patients": len(set(pids[idx])),
                "n_converted": k,
                "estimate": k / n if n else np.nan,
                "ci_lower": float(lo[0]),
                "ci_upper": float(hi[0]),
            }
        )
    out = pd.DataFrame(rows)
    out.insert(0, "rule", pairs["rule"].iloc[0] if len(pairs) else "")
    out["conf_level"] = cl
    out["method"] = "Clopper-Pearson"
    return out


def paired_change(pairs: pd.DataFrame, *, conf_level: float = 0.95) -> pd.DataFrame:
    """Change from the negative scan to the next: Krenning score and log SUVmax.

    Parameters
    ----------
    pairs : DataFrame
        Output of :func:`reexpression_pairs` (pairs missing a value are left out of that
        measure; ``n`` says how many were used).
    conf_level : float, default=0.95
        Confidence level of the intervals.

    Returns
    -------
    DataFrame
        Rows ``krenning`` (after minus before: ``estimate`` = median difference;
        Wilcoxon signed-rank ``statistic`` V = sum of ranks of positive differences),
        ``log_suvmax`` (mean difference of natural-log SUVmax, paired t CI and test) and
        ``suvmax_ratio`` (its exponential: geometric-mean ratio after/before).  Columns
        ``measure``, ``n``, ``estimate``, ``ci_lower``, ``ci_upper``, ``statistic``,
        ``p_value``, ``conf_level``, ``method``.

    Notes
    -----
    The Wilcoxon test drops zero differences and uses the normal approximation with
    continuity correction and tie-corrected variance, as R ``wilcox.test(paired = TRUE,
    exact = FALSE, correct = TRUE)``; Krenning scores are heavily tied, so an exact test
    does not apply.

    References
    ----------
    Wilcoxon F. Biometrics Bull 1945;1:80-3.

    Examples
    --------
    >>> import netstats
    >>> from netstats import sstr
    >>> cohort = netstats.simulate_cohort(n_patients=150, seed=1)
    >>> change = sstr.paired_change(sstr.reexpression_pairs(cohort))
    >>> change["measure"].tolist()
    ['krenning', 'log_suvmax', 'suvmax_ratio']
    """
    cl = _check_conf_level(conf_level)
    kb = pairs["krenning_before"].astype("float64")
    ka = pairs["krenning_after"].astype("float64")
    ok = kb.notna() & ka.notna()
    d = (ka - kb)[ok].to_numpy()
    rows = []
    nz = d[d != 0]
    if len(nz) >= 1:
        ranks = stats.rankdata(np.abs(nz))
        v = float(ranks[nz > 0].sum())
        res = stats.wilcoxon(
            ka[ok].to_numpy(),
            kb[ok].to_numpy(),
            zero_method="wilcox",
            correction=True,
            method="asymptotic",
        )
        p = float(res.pvalue)
    else:
        v, p = np.nan, np.nan
    rows.append(
        {
            "measure": "krenning",
            "n": int(ok.sum()),
            "estimate": float(np.median(d)) if len(d) else np.nan,
            "ci_lower": np.nan,
            "ci_upper": np.nan,
            "statistic": v,
            "p_value": p,
            "method": "Wilcoxon signed-rank (normal approximation, continuity correction)",
        }
    )
    sb, sa = pairs["suvmax_before"], pairs["suvmax_after"]
    ok = sb.notna() & sa.notna() & (sb > 0) & (sa > 0)
    diff = (np.log(sa[ok]) - np.log(sb[ok])).to_numpy()
    n = len(diff)
    if n >= 2:
        t = stats.ttest_rel(np.log(sa[ok]), np.log(sb[ok]))
        ci = t.confidence_interval(confidence_level=cl)
        mean, lo, hi, tt, p = (
            float(diff.mean()),
            float(ci.low),
            float(ci.high),
            float(t.statistic),
            float(t.pvalue),
        )
    else:
        mean, lo, hi, tt, p = (float(diff.mean()) if n else np.nan), np.nan, np.nan, np.nan, np.nan
    rows.append(
        {
            "measure": "log_suvmax",
            "n": n,
            "estimate": mean,
            "ci_lower": lo,
            "ci_upper": hi,
            "statistic": tt,
            "p_value": p,
            "method": "paired t-test on log SUVmax",
        }
    )
    rows.append(
        {
            "measure": "suvmax_ratio",
            "n": n,
            "estimate": np.exp(mean),
            "ci_lower": np.exp(lo),
            "ci_upper": np.exp(hi),
            "statistic": tt,
            "p_value": p,
            "method": "geometric-mean ratio after/before (paired t on log scale)",
        }
    )
    out = pd.DataFrame(rows)
    out.insert(7, "conf_level", cl)
    return out


def time_to_conversion(
    cohort: Cohort, *, rule: str | PositivityRule = "krenning>=3"
) -> pd.DataFrame:
    """Time from each patient's first SSTR-negative scan to the first positive scan after it.

    Parameters
    ----------
    cohort : Cohort
        A validated cohort.
    rule : str or PositivityRule, default="krenning>=3"
        Positivity rule name (see :data:`netstats.sstr.POSITIVITY_RULES`).

    Returns
    -------
    DataFrame
        One row per patient with a negative SSTR scan: ``patient_id``, ``scan_id_start``,
        ``scan_date_start`` (first negative scan), ``scan_id_end``, ``scan_date_end`` (first
        later positive scan, else the last SSTR scan), ``time_months`` (months of 30.4375
        days), ``converted`` (event indicator; ``False`` = censored at the last SSTR scan),
        ``n_scans_after``, ``rule``.  Feed ``time_months`` / ``converted`` to a
        Kaplan-Meier estimator for the cumulative conversion curve.

    Notes
    -----
    Patients whose only negative scan is their last SSTR scan have time 0 and are censored.

    Examples
    --------
    >>> import netstats
    >>> from netstats import sstr
    >>> cohort = netstats.simulate_cohort(n_patients=150, seed=1)
    >>> ttc = sstr.time_to_conversion(cohort)
    >>> len(ttc), int(ttc["converted"].sum())
    (43, 2)
    """
    positivity = get_rule(rule)
    scans = _scored_scans(cohort, positivity, f"time_to_conversion[{positivity.name}]")
    rows = []
    for pid, grp in scans.groupby("patient_id", sort=True):
        grp = grp.reset_index(drop=True)
        neg = np.flatnonzero(~grp["positive"].to_numpy())
        if len(neg) == 0:
            continue
        first = int(neg[0])
        later = grp.iloc[first + 1 :]
        hit = later.loc[later["positive"]]
        end = hit.iloc[0] if len(hit) else grp.iloc[-1]
        start = grp.iloc[first]
        rows.append(
            {
                "patient_id": pid,
                "scan_id_start": start["scan_id"],
                "scan_date_start": start["scan_date"],
                "scan_id_end": end["scan_id"],
                "scan_date_end": end["scan_date"],
                "time_months": (end["scan_date"] - start["scan_date"]).days / DAYS_PER_MONTH,
                "converted": bool(len(hit)),
                "n_scans_after": len(later),
                "rule": positivity.name,
            }
        )
    cols = [
        "patient_id",
        "scan_id_start",
        "scan_date_start",
        "scan_id_end",
        "scan_date_end",
        "time_months",
        "converted",
        "n_scans_after",
        "rule",
    ]
    return pd.DataFrame(rows, columns=cols)


@dataclass(frozen=True, repr=False)
class ScanTrajectory(ResultDisplay):
    """One patient's SSTR scans and therapy lines, ready to draw.

    Attributes
    ----------
    patient_id : str
        The patient.
    rule : str
        Positivity rule name (see :data:`netstats.sstr.POSITIVITY_RULES`).
    scans : DataFrame
        SSTR scans: ``scan_id``, ``scan_date``, ``tracer``, ``krenning_score``,
        ``suvmax_lesion``, ``suvmax_liver``, ``suvmax_spleen``, ``positive`` (nullable).
    lines : DataFrame
        ``line``, ``regimen``, ``drug_class``, ``start_date``, ``end_date`` (missing =
        ongoing), ``end_reason``.
    last_date : pandas.Timestamp
        Last contact (end of the timeline).

    Examples
    --------
    >>> import netstats
    >>> from netstats import sstr
    >>> cohort = netstats.simulate_cohort(n_patients=150, seed=1)
    >>> traj = sstr.scan_trajectory(cohort, "P000013")
    >>> print(traj.method)
    SSTR scan trajectory of patient P000013: 2 scans (1 positive by krenning>=3), 4 therapy lines
    >>> traj.scans["krenning_score"].tolist()
    [1, 3]
    """

    patient_id: str
    rule: str
    scans: pd.DataFrame
    lines: pd.DataFrame
    last_date: pd.Timestamp

    @property
    def summary(self) -> pd.DataFrame:
        """The scans table.

        Returns
        -------
        DataFrame
            :attr:`scans`.
        """
        return self.scans

    @property
    def method(self) -> str:
        """One-line description (patient, scans, rule, lines)."""
        n_pos = int(self.scans["positive"].astype("boolean").fillna(False).sum())
        return (
            f"SSTR scan trajectory of patient {self.patient_id}: "
            f"{plural(len(self.scans), 'scan')} ({n_pos} positive by {self.rule}), "
            f"{plural(len(self.lines), 'therapy line')}"
        )

    def to_frame(self) -> pd.DataFrame:
        """Same as :attr:`summary`: the scans table."""
        return self.scans


def scan_trajectory(
    cohort: Cohort, patient_id: str, *, rule: str | PositivityRule = "krenning>=3"
) -> ScanTrajectory:
    """Collect one patient's SSTR scans and lines of therapy for the trajectory figure.

    Parameters
    ----------
    cohort : Cohort
        A validated cohort.
    patient_id : str
        The patient to draw.
    rule : str or PositivityRule, default="krenning>=3"
        Positivity rule name (see :data:`netstats.sstr.POSITIVITY_RULES`).

    Returns
    -------
    ScanTrajectory
        Draw it with :func:`netstats.plots.scan_trajectory`.

    Examples
    --------
    >>> import netstats
    >>> from netstats import sstr
    >>> cohort = netstats.simulate_cohort(n_patients=150, seed=1)
    >>> traj = sstr.scan_trajectory(cohort, "P000013", rule="krenning>=2")
    >>> traj.rule, len(traj.lines)
    ('krenning>=2', 4)
    """
    positivity = get_rule(rule)
    pid = str(patient_id)
    if pid not in set(cohort.patients["patient_id"].astype(str)):
        raise ValueError(f"patient_id {pid!r} is not in the cohort")
    scans = sstr_scans(cohort.imaging)
    scans = scans.loc[scans["patient_id"].astype(str) == pid].copy()
    scans["positive"] = positivity(scans)
    cols = [
        "scan_id",
        "scan_date",
        "tracer",
        "krenning_score",
        "suvmax_lesion",
        "suvmax_liver",
        "suvmax_spleen",
        "positive",
    ]
    lines = cohort.therapy_lines
    lines = lines.loc[lines["patient_id"].astype(str) == pid].sort_values("line")
    lcols = ["line", "regimen", "drug_class", "start_date", "end_date", "end_reason"]
    last = cohort.patients.loc[
        cohort.patients["patient_id"].astype(str) == pid, "last_contact_date"
    ]
    return ScanTrajectory(
        patient_id=pid,
        rule=positivity.name,
        scans=scans[cols].reset_index(drop=True),
        lines=lines[lcols].reset_index(drop=True),
        last_date=pd.Timestamp(last.iloc[0]),
    )

"""Leakage-free feature assembly: each scan gets only what was known on its date.

The rules (each one tested):

* pathology: the latest specimen taken on or before the scan date or, when there is none,
  the first specimen of the diagnostic work-up the scan belongs to (taken at most
  ``workup_window_days`` after it: staging SSTR-PET commonly precedes the diagnostic biopsy
  by days to weeks, and the biopsy result does not depend on the scan); among specimens of
  one date, the one with the highest Ki-67 (then mitoses, then ``sample_id``), following
  the WHO rule that the higher grade counts.  Its Ki-67, mitoses, differentiation and
  SSTR2A IHC are used together, never mixed across specimens;
* FDG avidity: the latest 18F-FDG scan with a recorded ``fdg_avid`` on or before the scan
  date and at most ``fdg_window_days`` earlier;
* liver tumour burden: the latest recorded value on or before the scan date (any tracer);
* therapy: lines that *started* strictly before the scan date;
* patient attributes established at diagnosis (primary site, functional status, stage)
  only when ``diagnosis_date`` is at most ``workup_window_days`` after the scan date; sex
  always; age at the scan.

Apart from the work-up's pathology and diagnosis, nothing recorded after the scan date
(later scans, lines, death or follow-up) ever enters a feature; ``workup_window_days=0``
admits nothing after the scan at all.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from netstats._display import ResultDisplay, plural
from netstats.cohort import Cohort
from netstats.cohort._who import who_grade
from netstats.exceptions import SchemaError
from netstats.sstr._outcome import PositivityRule, get_rule, sstr_scans

__all__ = [
    "CATEGORICAL_FEATURES",
    "FEATURES",
    "KI67_FLOOR_PERCENT",
    "NUMERIC_FEATURES",
    "SSTRDataset",
    "WORKUP_WINDOW_DAYS",
    "assemble_features",
    "data_sha256",
    "select_scans",
    "sstr_dataset",
]

WORKUP_WINDOW_DAYS: int = 90
"""Default diagnostic work-up window: a specimen or diagnosis up to 90 days after a scan (when
no specimen precedes it) describes the scanned tumour.  Staging imaging commonly precedes the
diagnostic biopsy by days to weeks."""

NUMERIC_FEATURES: tuple[str, ...] = (
    "age_at_scan",
    "log_ki67",
    "log1p_mitoses",
    "sstr2a_ihc",
    "liver_burden_percent",
    "n_prior_lines",
    "prior_everolimus",
    "prior_captem",
    "prior_prrt",
)
"""Numeric features: age (years), natural log of Ki-67 (%), log(1 + mitoses per 2 mm^2),
SSTR2A IHC score (0-3), liver burden (%), number of prior lines and 0/1 prior-therapy flags."""

CATEGORICAL_FEATURES: tuple[str, ...] = (
    "sex",
    "primary_site",
    "functional_status",
    "stage_at_diagnosis",
    "differentiation",
    "who_grade",
    "fdg_status",
)
"""Categorical features (text labels; missing values stay missing for the pipeline).
``who_grade`` is the WHO 2019 grade (G1, G2, G3 or NEC) of the same specimen that gives
Ki-67 and mitoses (:func:`netstats.grading.who_grade`)."""

FEATURES: tuple[str, ...] = NUMERIC_FEATURES + CATEGORICAL_FEATURES
"""All features, in the column order of :attr:`SSTRDataset.X`."""

KI67_FLOOR_PERCENT = 0.1
"""Ki-67 values below 0.1 % (including 0) are set to 0.1 % before taking the log."""

_PRIOR_COMPONENTS = {
    "prior_everolimus": "everolimus",
    "prior_captem": "CAPTEM",
}

ScanSelection = Literal["baseline", "last"]


@dataclass(frozen=True, repr=False)
class SSTRDataset(ResultDisplay):
    """Features and outcome for SSTR-positivity modelling, one row per scan.

    Attributes
    ----------
    X : DataFrame
        The :data:`FEATURES` columns (float64 for numeric, object for categorical, NaN for
        missing), index ``0..n-1``.
    y : Series
        Outcome, 1 = SSTR-positive by ``rule``, 0 = negative (int64), aligned with ``X``.
    scans : DataFrame
        Provenance of each row: ``patient_id``, ``scan_id``, ``scan_date``, ``tracer``, the
        specimen used (``sample_id``, ``sample_date``) and the FDG scan used
        (``fdg_scan_id``).
    rule : str
        Name of the positivity rule.
    scan_selection : str
        Which scan of each patient was used (``"baseline"``, ``"last"`` or ``"given"``).
    excluded : DataFrame
        Rows left out, with the attrition-log columns.

    Examples
    --------
    >>> import netstats
    >>> from netstats import sstr
    >>> cohort = netstats.simulate_cohort(n_patients=60, seed=1)
    >>> ds = sstr.sstr_dataset(cohort)
    >>> ds
    SSTRDataset
    SSTR-positivity dataset, outcome krenning>=3, baseline scan per patient: 55 scans (45 positive / 10 negative), 16 features; 2 rows excluded
           rule scan_selection  n  n_positive  n_negative
    krenning>=3       baseline 55          45          10
    >>> ds.X.shape, int(ds.y.sum())
    ((55, 16), 45)
    """

    X: pd.DataFrame
    y: pd.Series
    scans: pd.DataFrame
    rule: str
    scan_selection: str
    excluded: pd.DataFrame

    @property
    def n(self) -> int:
        """Number of scans (rows).

        Returns
        -------
        int
            Rows of ``X``.
        """
        return len(self.X)

    @property
    def summary(self) -> pd.DataFrame:
        """Dataset size and class counts.

        Returns
        -------
        DataFrame
            One row: ``rule``, ``scan_selection``, ``n``, ``n_positive``, ``n_negative``.
        """
        return pd.DataFrame(
            [
                {
                    "rule": self.rule,
                    "scan_selection": self.scan_selection,
                    "n": self.n,
                    "n_positive": int(self.y.sum()),
                    "n_negative": int((1 - self.y).sum()),
                }
            ]
        )

    @property
    def method(self) -> str:
        """One-line description (outcome rule, scan selection, class sizes)."""
        n_pos = int(self.y.sum())
        return (
            f"SSTR-positivity dataset, outcome {self.rule}, {self.scan_selection} scan per "
            f"patient: {plural(self.n, 'scan')} ({n_pos} positive / {self.n - n_pos} negative), "
            f"{plural(self.X.shape[1], 'feature')}; {len(self.excluded)} rows excluded"
        )

    def to_frame(self) -> pd.DataFrame:
        """Features and outcome in one table.

        Returns
        -------
        DataFrame
            The columns of :attr:`X` and ``positive`` (:attr:`y`), one row per scan.
        """
        return self.X.assign(positive=self.y.to_numpy())

    def _display_frame(self) -> pd.DataFrame:
        return self.summary


def data_sha256(X: pd.DataFrame, y: pd.Series | np.ndarray | None = None) -> str:
    """Compute the SHA-256 of a feature table (and outcome) in a canonical text form.

    Parameters
    ----------
    X : DataFrame
        Feature table.
    y : array-like or None, default=None
        Outcome, appended as a last column when given.

    Returns
    -------
    str
        Hexadecimal SHA-256 digest.

    Notes
    -----
    The columns are written as CSV in their given order with 17 significant digits, so the
    hash changes when any value, column or row order changes.

    Examples
    --------
    >>> import netstats
    >>> from netstats import sstr
    >>> cohort = netstats.simulate_cohort(n_patients=60, seed=1)
    >>> ds = sstr.sstr_dataset(cohort)
    >>> digest = sstr.data_sha256(ds.X, ds.y)
    >>> len(digest), digest == sstr.data_sha256(ds.X.copy(), ds.y.copy())
    (64, True)
    """
    frame = X.copy()
    if y is not None:
        frame["__outcome__"] = np.asarray(y)
    text = frame.to_csv(index=False, float_format="%.17g", lineterminator="\n")
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def select_scans(
    cohort: Cohort, *, scan: ScanSelection | Sequence[str] = "baseline"
) -> pd.DataFrame:
    """Choose one SSTR scan per patient (or the scans named).

    Parameters
    ----------
    cohort : Cohort
        The cohort.
    scan : {"baseline", "last"} or sequence of str, default="baseline"
        ``"baseline"``: each patient's first SSTR scan; ``"last"``: the latest; or a list
        of ``scan_id`` values (each must be an SSTR scan).

    Returns
    -------
    DataFrame
        Rows of ``cohort.imaging``, sorted by ``patient_id`` and ``scan_date``.

    Examples
    --------
    >>> import netstats
    >>> from netstats import sstr
    >>> cohort = netstats.simulate_cohort(n_patients=60, seed=1)
    >>> scans = sstr.select_scans(cohort, scan="baseline")
    >>> len(scans), scans["patient_id"].is_unique
    (55, True)
    """
    scans = sstr_scans(cohort.imaging)
    if isinstance(scan, str):
        if scan == "baseline":
            return scans.groupby("patient_id", sort=True).head(1)
        if scan == "last":
            return scans.groupby("patient_id", sort=True).tail(1)
        raise ValueError(f"scan must be 'baseline', 'last' or a list of scan_id, got {scan!r}")
    wanted = [str(s) for s in scan]
    unknown = sorted(set(wanted) - set(scans["scan_id"]))
    if unknown:
        raise SchemaError(f"scan_id not found among the SSTR scans: {unknown}")
    return scans.loc[scans["scan_id"].isin(wanted)]


def _latest_pathology(
    scans: pd.DataFrame, pathology: pd.DataFrame, workup_window_days: int
) -> pd.DataFrame:
    cols = ["patient_id", "sample_id", "sample_date", "differentiation", "ki67_percent"]
    cols += ["mitoses_per_2mm2", "sstr2a_ihc"]
    path = pathology[cols].copy()
    path["patient_id"] = path["patient_id"].astype("string")
    # Highest Ki-67, then mitoses, then sample_id last within a date: merge_asof takes the
    # last row at or before the scan date, so the chosen specimen sorts last.
    path = path.sort_values(
        ["sample_date", "ki67_percent", "mitoses_per_2mm2", "sample_id"],
        na_position="first",
        kind="mergesort",
    )
    path = path.drop_duplicates(["patient_id", "sample_date"], keep="last")
    left = scans[["_row", "patient_id", "scan_date"]].sort_values("scan_date")
    path = path.sort_values("sample_date", kind="mergesort")
    merged = pd.merge_asof(
        left,
        path,
        left_on="scan_date",
        right_on="sample_date",
        by="patient_id",
        direction="backward",
        allow_exact_matches=True,
    ).set_index("_row")
    unmatched = merged.index[merged["sample_date"].isna()]
    if workup_window_days > 0 and len(unmatched):
        workup = pd.merge_asof(
            left.loc[left["_row"].isin(unmatched)],
            path,
            left_on="scan_date",
            right_on="sample_date",
            by="patient_id",
            direction="forward",
            allow_exact_matches=False,
            tolerance=pd.Timedelta(days=int(workup_window_days)),
        ).set_index("_row")
        merged.loc[workup.index, workup.columns] = workup
    return merged.sort_index()


def _latest_value(
    scans: pd.DataFrame,
    table: pd.DataFrame,
    value: str,
    *,
    keep: list[str],
    tolerance: pd.Timedelta | None = None,
) -> pd.DataFrame:
    right = table.loc[table[value].notna(), ["patient_id", "scan_date", *keep]].copy()
    right["patient_id"] = right["patient_id"].astype("string")
    right = right.rename(columns={"scan_date": "_date"}).sort_values("_date", kind="mergesort")
    left = scans[["_row", "patient_id", "scan_date"]].sort_values("scan_date")
    merged = pd.merge_asof(
        left,
        right,
        left_on="scan_date",
        right_on="_date",
        by="patient_id",
        direction="backward",
        allow_exact_matches=True,
        tolerance=tolerance,
    )
    return merged.set_index("_row").sort_index()


def _prior_therapy(scans: pd.DataFrame, lines: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame(
        0.0, index=scans["_row"], columns=["n_prior_lines", *_PRIOR_COMPONENTS, "prior_prrt"]
    )
    if len(lines) == 0:
        return out
    right = lines[["patient_id", "regimen", "drug_class", "start_date"]].copy()
    right["patient_id"] = right["patient_id"].astype("string")
    pairs = scans[["_row", "patient_id", "scan_date"]].merge(right, on="patient_id")
    pairs = pairs.loc[pairs["start_date"] < pairs["scan_date"]]
    if len(pairs) == 0:
        return out
    components = pairs["regimen"].astype(str).str.split(" + ", regex=False)
    flags = pd.DataFrame({"_row": pairs["_row"].to_numpy()})
    flags["n_prior_lines"] = 1.0
    for name, component in _PRIOR_COMPONENTS.items():
        flags[name] = components.map(lambda parts, c=component: float(c in parts)).to_numpy()
    flags["prior_prrt"] = (
        pairs["drug_class"].astype(str).str.split(" + ", regex=False).map(lambda p: "PRRT" in p)
    ).to_numpy(dtype=float)
    agg = flags.groupby("_row").agg(
        {"n_prior_lines": "sum", **dict.fromkeys([*_PRIOR_COMPONENTS, "prior_prrt"], "max")}
    )
    out.loc[agg.index, agg.columns] = agg
    return out


def _as_object(series: pd.Series) -> np.ndarray:
    return np.array([np.nan if pd.isna(v) else str(v) for v in series], dtype=object)


def assemble_features(
    cohort: Cohort,
    scans: pd.DataFrame,
    *,
    fdg_window_days: int = 90,
    workup_window_days: int = WORKUP_WINDOW_DAYS,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Assemble the features of each scan from what was known on its date.

    Parameters
    ----------
    cohort : Cohort
        The cohort the scans belong to.
    scans : DataFrame
        Rows of ``cohort.imaging`` (at least ``patient_id``, ``scan_id``, ``scan_date``).
    fdg_window_days : int, default=90
        How many days before the scan an FDG scan may be and still count.
    workup_window_days : int, default=:data:`WORKUP_WINDOW_DAYS`
        How many days after the scan the diagnostic work-up's specimen and diagnosis may be
        and still describe the scanned tumour (used only when no specimen precedes the
        scan); 0 admits nothing recorded after the scan.

    Returns
    -------
    X : DataFrame
        One row per scan (same order), columns :data:`FEATURES`.
    provenance : DataFrame
        ``patient_id``, ``scan_id``, ``scan_date``, ``tracer``, ``sample_id``,
        ``sample_date`` (specimen used) and ``fdg_scan_id`` (FDG scan used).

    Notes
    -----
    See the module docstring for the rule per feature.

    Examples
    --------
    >>> import netstats
    >>> from netstats import sstr
    >>> cohort = netstats.simulate_cohort(n_patients=60, seed=1)
    >>> X, provenance = sstr.assemble_features(cohort, sstr.select_scans(cohort))
    >>> X.shape
    (55, 16)
    >>> provenance.columns.tolist()
    ['patient_id', 'scan_id', 'scan_date', 'tracer', 'sample_id', 'sample_date', 'fdg_scan_id']
    """
    for name, value in (
        ("fdg_window_days", fdg_window_days),
        ("workup_window_days", workup_window_days),
    ):
        if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 0:
            raise ValueError(f"{name} must be a non-negative integer, got {value!r}")
    base = scans[["patient_id", "scan_id", "scan_date", "tracer"]].reset_index(drop=True)
    base["patient_id"] = base["patient_id"].astype("string")
    base.insert(0, "_row", np.arange(len(base)))
    path = _latest_pathology(base, cohort.pathology, int(workup_window_days))
    imaging = cohort.imaging
    fdg = imaging.loc[imaging["tracer"] == "18F-FDG"].copy()
    fdg["_avid"] = fdg["fdg_avid"].astype("float64")
    fdg = fdg.sort_values(["scan_date", "_avid"], na_position="first", kind="mergesort")
    fdg_hit = _latest_value(
        base,
        fdg.rename(columns={"scan_id": "fdg_scan_id"}),
        "_avid",
        keep=["fdg_scan_id", "_avid"],
        tolerance=pd.Timedelta(days=int(fdg_window_days)),
    )
    burden = _latest_value(base, imaging, "liver_burden_percent", keep=["liver_burden_percent"])
    prior = _prior_therapy(base, cohort.therapy_lines)
    patients = cohort.patients.set_index(cohort.patients["patient_id"].astype("string"))
    pat = patients.loc[base["patient_id"]].reset_index(drop=True)
    scan_date = base["scan_date"]
    days_from_birth = (scan_date - pat["birth_date"]).dt.days / 365.25
    days_from_dx = (scan_date - pat["diagnosis_date"]).dt.days / 365.25
    age = days_from_birth.where(pat["birth_date"].notna(), pat["age_at_diagnosis"] + days_from_dx)
    workup_end = scan_date + pd.Timedelta(days=int(workup_window_days))
    diagnosed = (pat["diagnosis_date"] <= workup_end).to_numpy()

    ki67 = path["ki67_percent"].astype("float64")
    X = pd.DataFrame(index=pd.RangeIndex(len(base)))
    X["age_at_scan"] = age.astype("float64").to_numpy()
    X["log_ki67"] = np.log(ki67.clip(lower=KI67_FLOOR_PERCENT).to_numpy())
    X["log1p_mitoses"] = np.log1p(path["mitoses_per_2mm2"].astype("float64").to_numpy())
    X["sstr2a_ihc"] = path["sstr2a_ihc"].astype("float64").to_numpy()
    X["liver_burden_percent"] = burden["liver_burden_percent"].astype("float64").to_numpy()
    for col in prior.columns:
        X[col] = prior[col].astype("float64").to_numpy()
    X["sex"] = _as_object(pat["sex"])
    for col in ("primary_site", "functional_status", "stage_at_diagnosis"):
        X[col] = _as_object(pat[col].where(diagnosed))
    X["differentiation"] = _as_object(path["differentiation"])
    grade = who_grade(
        ki67.to_numpy(),
        path["mitoses_per_2mm2"].astype("float64").to_numpy(),
        differentiation=path["differentiation"].astype(object).to_numpy(),
    )
    X["who_grade"] = _as_object(pd.Series(grade.astype(object).to_numpy()))
    avid = fdg_hit["_avid"]
    X["fdg_status"] = np.array(
        [np.nan if pd.isna(v) else ("avid" if v > 0 else "not_avid") for v in avid], dtype=object
    )
    X = X[list(FEATURES)]

    provenance = base.drop(columns="_row").copy()
    provenance["sample_id"] = path["sample_id"].to_numpy()
    provenance["sample_date"] = path["sample_date"].to_numpy()
    provenance["fdg_scan_id"] = fdg_hit["fdg_scan_id"].to_numpy()
    return X, provenance


def sstr_dataset(
    cohort: Cohort,
    *,
    rule: str | PositivityRule = "krenning>=3",
    scan: ScanSelection | Sequence[str] = "baseline",
    fdg_window_days: int = 90,
    workup_window_days: int = WORKUP_WINDOW_DAYS,
) -> SSTRDataset:
    """Build the modelling table: one SSTR scan per row, leakage-free features, outcome.

    Parameters
    ----------
    cohort : Cohort
        A validated cohort.
    rule : str or PositivityRule, default="krenning>=3"
        Positivity rule (see :data:`netstats.sstr.POSITIVITY_RULES`).
    scan : {"baseline", "last"} or sequence of str, default="baseline"
        Which scan of each patient (see :func:`select_scans`).
    fdg_window_days : int, default=90
        FDG look-back window in days.
    workup_window_days : int, default=:data:`WORKUP_WINDOW_DAYS`
        Diagnostic work-up window in days after the scan (see :func:`assemble_features`).

    Returns
    -------
    SSTRDataset
        ``X`` (:data:`FEATURES`), ``y`` (1 = positive), provenance, rule name and the rows
        excluded.  Exclusions (patients without an SSTR scan, scans whose outcome the rule
        cannot decide) are also appended to ``cohort.attrition``.

    Examples
    --------
    >>> import netstats
    >>> cohort = netstats.simulate_cohort(n_patients=60, seed=1)
    >>> ds = sstr_dataset(cohort, rule="suvmax>liver", scan="last")
    >>> ds.rule, ds.scan_selection, ds.n
    ('suvmax>liver', 'last', 54)
    """
    if not isinstance(cohort, Cohort):
        raise TypeError(f"cohort must be a netstats Cohort, got {type(cohort).__name__}")
    positivity = get_rule(rule)
    analysis = f"sstr_dataset[{positivity.name}]"
    log: list[dict[str, Any]] = []

    def record(reason: str, table: str, n_before: int, n_excluded: int) -> None:
        cohort.attrition.record(
            analysis, reason, n_before=n_before, n_excluded=n_excluded, table=table
        )
        log.append(
            {
                "analysis": analysis,
                "step": reason,
                "table": table,
                "n_before": n_before,
                "n_excluded": n_excluded,
                "n_after": n_before - n_excluded,
                "reason": reason,
            }
        )

    chosen = select_scans(cohort, scan=scan)
    n_pat = cohort.n_patients
    n_with = chosen["patient_id"].nunique()
    if not isinstance(scan, str):
        selection = "given"
    else:
        selection = scan
        record("no SSTR scan", "patients", n_pat, n_pat - n_with)
    outcome = positivity(chosen)
    known = outcome.notna().to_numpy()
    record(
        f"outcome undeterminable by rule {positivity.name} (missing "
        f"{', '.join(positivity.columns)})",
        "imaging",
        len(chosen),
        int((~known).sum()),
    )
    chosen = chosen.loc[known]
    if len(chosen) == 0:
        raise SchemaError(f"no SSTR scan with a known outcome by rule {positivity.name!r}")
    X, provenance = assemble_features(
        cohort, chosen, fdg_window_days=fdg_window_days, workup_window_days=workup_window_days
    )
    y = pd.Series(
        outcome[known].astype(bool).to_numpy().astype(np.int64),
        name=f"sstr_positive[{positivity.name}]",
    )
    return SSTRDataset(
        X=X,
        y=y,
        scans=provenance,
        rule=positivity.name,
        scan_selection=selection,
        excluded=pd.DataFrame(log),
    )

"""Patient x line features known at the line start (no look-ahead).

Internal to :mod:`netstats.endpoints`: prior regimens, time since diagnosis, age, the Ki-67
index and WHO grade of the latest specimen on or before the start date, and the SSTR
status of the latest SSTR scan on or before it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from netstats.grading._who import who_grade
from netstats.schema import DAYS_PER_MONTH
from netstats.vocab import SSTR_TRACERS

DAYS_PER_YEAR = 365.25

KRENNING_POSITIVE = 3
"""Krenning score from which uptake counts as SSTR-positive (uptake >= liver)."""

GRADE_ORDER = ("G1", "G2", "G3", "NEC")

FEATURE_COLUMNS = [
    "prior_regimens",
    "prior_drug_classes",
    "n_prior_lines",
    "months_since_diagnosis",
    "age_at_line_start",
    "ki67_percent",
    "ki67_sample_date",
    "who_grade",
    "grade_sample_date",
    "krenning_score",
    "sstr_positive",
    "sstr_tracer",
    "sstr_scan_date",
]


def _latest_before(
    lines: pd.DataFrame, events: pd.DataFrame, date_col: str, value_cols: list[str]
) -> pd.DataFrame:
    """For each line, the row of ``events`` with the latest ``date_col`` <= its start date.

    ``events`` must hold at most one row per patient and date.  Returns a frame aligned
    with ``lines.index`` holding ``value_cols`` and ``date_col``.
    """
    out = pd.DataFrame(index=lines.index, columns=[*value_cols, date_col])
    left = lines.loc[lines["start_date"].notna(), ["patient_id", "start_date"]]
    if left.empty or events.empty:
        return out
    left = left.assign(_row=left.index).sort_values(["start_date", "_row"], kind="mergesort")
    right = events.sort_values([date_col, "patient_id"], kind="mergesort")
    right = right.assign(_date=right[date_col])
    merged = pd.merge_asof(
        left,
        right[["patient_id", "_date", date_col, *value_cols]],
        left_on="start_date",
        right_on="_date",
        by="patient_id",
        direction="backward",
        allow_exact_matches=True,
    )
    merged = merged.set_index("_row")
    for col in [*value_cols, date_col]:
        out[col] = merged[col].reindex(out.index)
    return out


def _pathology_at_start(lines: pd.DataFrame, pathology: pd.DataFrame) -> pd.DataFrame:
    path = pathology.dropna(subset=["patient_id", "sample_date"])
    if path.empty:
        return pd.DataFrame(
            {
                "ki67_percent": pd.Series(np.nan, index=lines.index, dtype="float64"),
                "ki67_sample_date": pd.Series(pd.NaT, index=lines.index, dtype="datetime64[ns]"),
                "who_grade": pd.Series(pd.NA, index=lines.index, dtype="string"),
                "grade_sample_date": pd.Series(pd.NaT, index=lines.index, dtype="datetime64[ns]"),
            }
        )
    ki = (
        path.dropna(subset=["ki67_percent"])
        .groupby(["patient_id", "sample_date"])["ki67_percent"]
        .max()
        .reset_index()
        .rename(columns={"sample_date": "ki67_sample_date"})
    )
    grade = who_grade(
        path["ki67_percent"], path["mitoses_per_2mm2"], differentiation=path["differentiation"]
    ).astype("string")
    rank = grade.map({g: i for i, g in enumerate(GRADE_ORDER)}).astype("Float64")
    graded = (
        path.assign(_rank=rank)
        .dropna(subset=["_rank"])
        .groupby(["patient_id", "sample_date"])["_rank"]
        .max()
        .reset_index()
        .rename(columns={"sample_date": "grade_sample_date"})
    )
    a = _latest_before(lines, ki, "ki67_sample_date", ["ki67_percent"])
    b = _latest_before(lines, graded, "grade_sample_date", ["_rank"])
    labels = np.array(GRADE_ORDER, dtype=object)
    rank_values = pd.to_numeric(b["_rank"], errors="coerce").to_numpy(dtype="float64")
    who = np.where(
        np.isnan(rank_values), None, labels[np.nan_to_num(rank_values, nan=0).astype(int)]
    )
    return pd.DataFrame(
        {
            "ki67_percent": pd.to_numeric(a["ki67_percent"], errors="coerce").astype("float64"),
            "ki67_sample_date": pd.to_datetime(a["ki67_sample_date"]).astype("datetime64[ns]"),
            "who_grade": pd.Series(who, index=lines.index, dtype="string"),
            "grade_sample_date": pd.to_datetime(b["grade_sample_date"]).astype("datetime64[ns]"),
        },
        index=lines.index,
    )


def _sstr_at_start(lines: pd.DataFrame, imaging: pd.DataFrame) -> pd.DataFrame:
    scans = imaging[imaging["tracer"].isin(SSTR_TRACERS)].dropna(
        subset=["patient_id", "scan_date", "krenning_score"]
    )
    if scans.empty:
        return pd.DataFrame(
            {
                "krenning_score": pd.Series(pd.NA, index=lines.index, dtype="Int64"),
                "sstr_positive": pd.Series(pd.NA, index=lines.index, dtype="boolean"),
                "sstr_tracer": pd.Series(pd.NA, index=lines.index, dtype="string"),
                "sstr_scan_date": pd.Series(pd.NaT, index=lines.index, dtype="datetime64[ns]"),
            }
        )
    # One row per patient and date: the highest Krenning score (tracer of that scan,
    # alphabetical first on ties, so the result does not depend on row order).
    scans = scans.sort_values(
        ["patient_id", "scan_date", "krenning_score", "tracer"],
        ascending=[True, True, False, True],
        kind="mergesort",
    ).drop_duplicates(["patient_id", "scan_date"])
    scans = scans.rename(columns={"scan_date": "sstr_scan_date"})
    got = _latest_before(lines, scans, "sstr_scan_date", ["krenning_score", "tracer"])
    score = pd.to_numeric(got["krenning_score"], errors="coerce").astype("Int64")
    return pd.DataFrame(
        {
            "krenning_score": score,
            "sstr_positive": (score >= KRENNING_POSITIVE).astype("boolean"),
            "sstr_tracer": got["tracer"].astype("string"),
            "sstr_scan_date": pd.to_datetime(got["sstr_scan_date"]).astype("datetime64[ns]"),
        },
        index=lines.index,
    )


def _prior(lines: pd.DataFrame) -> pd.DataFrame:
    """Regimens and drug classes of the patient's earlier lines, in line order."""
    prior_reg: list[str] = []
    prior_cls: list[str] = []
    n_prior: list[int] = []
    seen: dict[object, list[tuple[str, str]]] = {}
    for pid, regimen, cls in zip(
        lines["patient_id"], lines["regimen"], lines["drug_class"], strict=True
    ):
        history = seen.setdefault(pid, [])
        prior_reg.append("; ".join(r for r, _ in history))
        classes: list[str] = []
        for _, c in history:
            for part in c.split(" + "):
                if part and part not in classes:
                    classes.append(part)
        prior_cls.append("; ".join(classes))
        n_prior.append(len(history))
        history.append(("" if pd.isna(regimen) else str(regimen), "" if pd.isna(cls) else str(cls)))
    return pd.DataFrame(
        {
            "prior_regimens": pd.Series(prior_reg, index=lines.index, dtype="string"),
            "prior_drug_classes": pd.Series(prior_cls, index=lines.index, dtype="string"),
            "n_prior_lines": pd.Series(n_prior, index=lines.index, dtype="Int64"),
        }
    )


def line_features(
    lines: pd.DataFrame,
    patients: pd.DataFrame,
    pathology: pd.DataFrame,
    imaging: pd.DataFrame,
) -> pd.DataFrame:
    """Features of each line at its start; ``lines`` sorted by patient and line number."""
    pat = patients.drop_duplicates("patient_id").set_index("patient_id")
    dx = lines["patient_id"].map(pat["diagnosis_date"])
    birth = lines["patient_id"].map(pat["birth_date"])
    age_dx = lines["patient_id"].map(pat["age_at_diagnosis"]).astype("float64")
    since_dx = (lines["start_date"] - dx).dt.days.astype("float64")
    age_birth = (lines["start_date"] - birth).dt.days.astype("float64") / DAYS_PER_YEAR
    age = age_birth.where(birth.notna(), age_dx + since_dx / DAYS_PER_YEAR)
    out = pd.concat(
        [
            _prior(lines),
            pd.DataFrame(
                {
                    "months_since_diagnosis": since_dx / DAYS_PER_MONTH,
                    "age_at_line_start": age,
                },
                index=lines.index,
            ),
            _pathology_at_start(lines, pathology),
            _sstr_at_start(lines, imaging),
        ],
        axis=1,
    )
    return out[FEATURE_COLUMNS]

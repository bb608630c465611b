"""Patient x line features known at the line start (no look-ahead).

Internal to :mod:`netstats.endpoints`: prior regimens, time since diagnosis, age, the Ki-67
index and WHO grade of the latest specimen on or before the start date, and the SSTR
status of the latest SSTR scan on or before it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from netstats.cohort._who import who_grade
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


def as_datetime(values: pd.Series) -> pd.Series:
    """``values`` as datetime64[ns] (no parsing pass when they already are datetimes)."""
    if values.dtype.kind == "M":
        return values.astype("datetime64[ns]")
    return pd.to_datetime(values).astype("datetime64[ns]")


def _latest_before(
    lines: pd.DataFrame, events: pd.DataFrame, date_col: str, value_cols: list[str]
) -> pd.DataFrame:
    """For each line, the row of ``events`` with the latest ``date_col`` <= its start date.

    ``events`` must hold at most one row per patient and date, none of them missing.
    Returns a frame aligned with ``lines.index`` holding ``value_cols`` and ``date_col``
    (missing where the patient has no such row).  Patient and date become one sortable
    integer key (patient code, rank of the date), so each line is one binary search.
    """
    codes, _ = pd.factorize(pd.concat([lines["patient_id"], events["patient_id"]]).to_numpy())
    line_code, event_code = codes[: len(lines)], codes[len(lines) :]
    line_day = lines["start_date"].to_numpy("datetime64[ns]").view("int64")
    event_day = events[date_col].to_numpy("datetime64[ns]").view("int64")
    _, rank = np.unique(np.concatenate([line_day, event_day]), return_inverse=True)
    width = np.int64(len(rank) + 1)
    line_key = line_code.astype(np.int64) * width + rank[: len(lines)]
    event_key = event_code.astype(np.int64) * width + rank[len(lines) :]
    order = np.argsort(event_key, kind="stable")
    pos = np.searchsorted(event_key[order], line_key, side="right") - 1
    found = pos >= 0
    found[found] = event_code[order[pos[found]]] == line_code[found]
    found &= lines["start_date"].notna().to_numpy()
    take = np.where(found, order[np.maximum(pos, 0)], -1)
    picked = events[[*value_cols, date_col]].reset_index(drop=True).reindex(take)  # -1: NA
    return picked.set_axis(lines.index)


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
            "ki67_sample_date": as_datetime(a["ki67_sample_date"]),
            "who_grade": pd.Series(who, index=lines.index, dtype="string"),
            "grade_sample_date": as_datetime(b["grade_sample_date"]),
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
            "sstr_scan_date": as_datetime(got["sstr_scan_date"]),
        },
        index=lines.index,
    )


def _positions(patient_id: pd.Series) -> np.ndarray:
    """0-based position of each row within its run of equal ``patient_id`` values."""
    ids = patient_id.to_numpy()
    new = np.ones(len(ids), dtype=bool)
    new[1:] = ids[1:] != ids[:-1]
    first = np.flatnonzero(new)
    return np.arange(len(ids)) - np.repeat(first, np.diff(np.append(first, len(ids))))


def _prior(lines: pd.DataFrame) -> pd.DataFrame:
    """Regimens and drug classes of the patient's earlier lines, in line order.

    Built one line position at a time (line 2 of every patient, then line 3, ...): each
    row extends the previous row of its patient.  Drug-class lists are worked out once
    per distinct (earlier classes, new class) pair.
    """
    k = _positions(lines["patient_id"])
    regimen = lines["regimen"].astype("object").fillna("").astype(str).to_numpy(dtype=object)
    cls_code, cls_values = pd.factorize(lines["drug_class"].astype("object").fillna("").astype(str))
    n_cls = np.int64(max(len(cls_values), 1))
    prior_reg = np.full(len(lines), "", dtype=object)
    state = np.zeros(len(lines), dtype=np.int64)  # index into ``states``
    states: list[tuple[str, ...]] = [()]
    state_ids: dict[tuple[str, ...], int] = {(): 0}
    for d in range(1, int(k.max(initial=0)) + 1):
        rows = np.flatnonzero(k == d)
        prev = rows - 1
        prior_reg[rows] = regimen[prev] if d == 1 else prior_reg[prev] + "; " + regimen[prev]
        uniques, pair_codes = np.unique(state[prev] * n_cls + cls_code[prev], return_inverse=True)
        new_states = np.empty(len(uniques), dtype=np.int64)
        for u, pair in enumerate(uniques.tolist()):
            classes = list(states[pair // n_cls])
            for part in str(cls_values[pair % n_cls]).split(" + "):
                if part and part not in classes:
                    classes.append(part)
            key = tuple(classes)
            if key not in state_ids:
                state_ids[key] = len(states)
                states.append(key)
            new_states[u] = state_ids[key]
        state[rows] = new_states[pair_codes]
    labels = np.array(["; ".join(s) for s in states], dtype=object)
    return pd.DataFrame(
        {
            "prior_regimens": pd.Series(prior_reg, index=lines.index, dtype="string"),
            "prior_drug_classes": pd.Series(labels[state], index=lines.index, dtype="string"),
            "n_prior_lines": pd.Series(k, index=lines.index, dtype="Int64"),
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

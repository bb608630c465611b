"""Patient x line features known at the line start (no look-ahead).

Internal to :mod:`netstats.endpoints`: prior regimens, time since diagnosis, age, the Ki-67
index and WHO grade of the latest specimen on or before the start date, and the SSTR
status of the latest SSTR scan on or before it.  Those look-ups run on integer keys (patient
ids factorised once for all tables, dates as ranks): one sort and one binary search each.
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


def _days(values: pd.Series) -> np.ndarray:
    """Dates as int64 nanoseconds (NaT: the smallest int64)."""
    return values.to_numpy("datetime64[ns]").view("int64")


def _patient_codes(*ids: pd.Series) -> list[np.ndarray]:
    """Integer codes of patient ids shared by several tables (-1: missing id).

    One hash pass over all the string ids; every look-up after it works on integers."""
    codes, _ = pd.factorize(np.concatenate([s.to_numpy(dtype=object) for s in ids]))
    bounds = np.cumsum([0, *(len(s) for s in ids)])
    return [codes[a:b] for a, b in zip(bounds[:-1], bounds[1:], strict=True)]


def _latest_positions(
    line_code: np.ndarray,
    line_day: np.ndarray,
    line_ok: np.ndarray,
    event_code: np.ndarray,
    event_day: np.ndarray,
    tiebreak: tuple[np.ndarray, ...] = (),
) -> np.ndarray:
    """For each line, the position of the event with the latest day <= its day (-1: none).

    Patient code and the rank of the day become one sortable integer key, so each line is
    one binary search.  Among several events of a patient on that day the last in the
    order of ``tiebreak`` (keys in decreasing priority, ascending) is taken.  Lines with
    ``line_ok`` False or a missing patient (code -1) get -1.
    """
    n = len(line_code)
    _, rank = np.unique(np.concatenate([line_day, event_day]), return_inverse=True)
    width = np.int64(len(rank) + 1)
    line_key = line_code.astype(np.int64) * width + rank[:n]
    event_key = event_code.astype(np.int64) * width + rank[n:]
    if tiebreak:
        order = np.lexsort((*reversed(tiebreak), event_key))
    else:
        order = np.argsort(event_key, kind="stable")
    pos = np.searchsorted(event_key[order], line_key, side="right") - 1
    found = pos >= 0
    found[found] = event_code[order[pos[found]]] == line_code[found]
    found &= line_ok & (line_code >= 0)
    return np.where(found, order[np.maximum(pos, 0)], -1)


def _take(frame: pd.DataFrame, columns: list[str], positions: np.ndarray, index: pd.Index):
    """Rows ``positions`` of ``frame[columns]`` (-1: missing values), on ``index``."""
    picked = frame[columns].reset_index(drop=True).reindex(positions)
    return picked.set_axis(index)


def _latest_before(
    lines: pd.DataFrame, events: pd.DataFrame, date_col: str, value_cols: list[str]
) -> pd.DataFrame:
    """For each line, the row of ``events`` with the latest ``date_col`` <= its start date.

    ``events`` must hold at most one row per patient and date, none of them missing.
    Returns a frame aligned with ``lines.index`` holding ``value_cols`` and ``date_col``
    (missing where the patient has no such row); see :func:`_latest_positions`.
    """
    line_code, event_code = _patient_codes(lines["patient_id"], events["patient_id"])
    take = _latest_positions(
        line_code,
        _days(lines["start_date"]),
        lines["start_date"].notna().to_numpy(),
        event_code,
        _days(events[date_col]),
    )
    return _take(events, [*value_cols, date_col], take, lines.index)


def _pathology_at_start(
    lines: pd.DataFrame, pathology: pd.DataFrame, line_code: np.ndarray, path_code: np.ndarray
) -> pd.DataFrame:
    keep = (path_code >= 0) & pathology["sample_date"].notna().to_numpy()
    path = pathology[keep]
    if path.empty:
        return pd.DataFrame(
            {
                "ki67_percent": pd.Series(np.nan, index=lines.index, dtype="float64"),
                "ki67_sample_date": pd.Series(pd.NaT, index=lines.index, dtype="datetime64[ns]"),
                "who_grade": pd.Series(pd.NA, index=lines.index, dtype="string"),
                "grade_sample_date": pd.Series(pd.NaT, index=lines.index, dtype="datetime64[ns]"),
            }
        )
    code = path_code[keep]
    day = _days(path["sample_date"])
    line_day = _days(lines["start_date"])
    line_ok = lines["start_date"].notna().to_numpy()
    # Ki-67: on the latest sample day before the start, the highest index of that day
    ki67 = pd.to_numeric(path["ki67_percent"], errors="coerce").to_numpy(
        dtype="float64", na_value=np.nan
    )
    has_ki = np.flatnonzero(~np.isnan(ki67))
    at = _latest_positions(line_code, line_day, line_ok, code[has_ki], day[has_ki], (ki67[has_ki],))
    ki_pos = np.where(at >= 0, has_ki[np.maximum(at, 0)], -1)
    # WHO grade: on the latest graded day before the start, the highest grade of that day
    grade = who_grade(
        path["ki67_percent"], path["mitoses_per_2mm2"], differentiation=path["differentiation"]
    ).astype("string")
    rank = (
        grade.map({g: i for i, g in enumerate(GRADE_ORDER)})
        .astype("Float64")
        .to_numpy(dtype="float64", na_value=np.nan)
    )
    graded = np.flatnonzero(~np.isnan(rank))
    at = _latest_positions(line_code, line_day, line_ok, code[graded], day[graded], (rank[graded],))
    grade_pos = np.where(at >= 0, graded[np.maximum(at, 0)], -1)
    a = _take(path, ["ki67_percent", "sample_date"], ki_pos, lines.index)
    b = _take(path, ["sample_date"], grade_pos, lines.index)
    labels = np.array(GRADE_ORDER, dtype=object)
    rank_values = np.where(grade_pos >= 0, rank[np.maximum(grade_pos, 0)], np.nan)
    who = np.where(
        np.isnan(rank_values), None, labels[np.nan_to_num(rank_values, nan=0).astype(int)]
    )
    return pd.DataFrame(
        {
            "ki67_percent": pd.to_numeric(a["ki67_percent"], errors="coerce").astype("float64"),
            "ki67_sample_date": as_datetime(a["sample_date"]),
            "who_grade": pd.Series(who, index=lines.index, dtype="string"),
            "grade_sample_date": as_datetime(b["sample_date"]),
        },
        index=lines.index,
    )


def _sstr_at_start(
    lines: pd.DataFrame, imaging: pd.DataFrame, line_code: np.ndarray, scan_code: np.ndarray
) -> pd.DataFrame:
    keep = (
        imaging["tracer"].isin(SSTR_TRACERS).to_numpy()
        & (scan_code >= 0)
        & imaging["scan_date"].notna().to_numpy()
        & imaging["krenning_score"].notna().to_numpy()
    )
    scans = imaging[keep]
    if scans.empty:
        return pd.DataFrame(
            {
                "krenning_score": pd.Series(pd.NA, index=lines.index, dtype="Int64"),
                "sstr_positive": pd.Series(pd.NA, index=lines.index, dtype="boolean"),
                "sstr_tracer": pd.Series(pd.NA, index=lines.index, dtype="string"),
                "sstr_scan_date": pd.Series(pd.NaT, index=lines.index, dtype="datetime64[ns]"),
            }
        )
    # One scan per patient and date: the highest Krenning score (tracer of that scan,
    # alphabetical first on ties, so the result does not depend on row order).
    score = pd.to_numeric(scans["krenning_score"], errors="coerce").to_numpy(
        dtype="float64", na_value=np.nan
    )
    tracer_rank, _ = pd.factorize(scans["tracer"].astype("object"), sort=True)
    take = _latest_positions(
        line_code,
        _days(lines["start_date"]),
        lines["start_date"].notna().to_numpy(),
        scan_code[keep],
        _days(scans["scan_date"]),
        (score, -tracer_rank),
    )
    got = _take(scans, ["krenning_score", "tracer", "scan_date"], take, lines.index)
    krenning = pd.to_numeric(got["krenning_score"], errors="coerce").astype("Int64")
    return pd.DataFrame(
        {
            "krenning_score": krenning,
            "sstr_positive": (krenning >= KRENNING_POSITIVE).astype("boolean"),
            "sstr_tracer": got["tracer"].astype("string"),
            "sstr_scan_date": as_datetime(got["scan_date"]),
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
    line_code, path_code, scan_code = _patient_codes(
        lines["patient_id"], pathology["patient_id"], imaging["patient_id"]
    )
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
            _pathology_at_start(lines, pathology, line_code, path_code),
            _sstr_at_start(lines, imaging, line_code, scan_code),
        ],
        axis=1,
    )
    return out[FEATURE_COLUMNS]

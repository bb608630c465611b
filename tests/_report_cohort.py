"""A ~40-patient cohort for report tests: the minimal cohort replicated and perturbed.

Each replicate gets new identifiers, its own shift of every date (so the order of a
patient's events is kept) and Ki-67 counts redrawn around the original index, so grades
and primary/metastasis concordance vary.  Seeded: the same call gives the same tables.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from tests._cohorts import TABLES, raw_minimal

_DATES = {
    "patients": ["birth_date", "diagnosis_date", "last_contact_date", "death_date"],
    "pathology": ["sample_date"],
    "therapy_lines": ["start_date", "end_date", "progression_date", "last_assessment_date"],
    "imaging": ["scan_date"],
}
_IDS = {"pathology": "sample_id", "imaging": "scan_id"}


def replicated_tables(n_copies: int = 10, seed: int = 20261122) -> dict[str, pd.DataFrame]:
    """Text tables of ``4 * n_copies`` patients (valid input for ``Cohort.from_tables``)."""
    rng = np.random.default_rng(seed)
    base = raw_minimal()
    parts: dict[str, list[pd.DataFrame]] = {name: [] for name in TABLES}
    for k in range(n_copies):
        ids = base["patients"]["patient_id"]
        shift = dict(zip(ids, rng.integers(-400, 400, size=len(ids)), strict=True))
        for name in TABLES:
            t = base[name].copy()
            days = t["patient_id"].map(shift).astype(int)
            for col in _DATES[name]:
                dates = pd.to_datetime(t[col].replace("", None))
                moved = dates + pd.to_timedelta(days, unit="D")
                t[col] = moved.dt.strftime("%Y-%m-%d").fillna("")
            if name in _IDS:
                t[_IDS[name]] = f"K{k:02d}" + t[_IDS[name]]
            if name == "pathology":
                counted = t["ki67_cells_counted"].astype(int).to_numpy()
                p = t["ki67_percent"].astype(float).to_numpy() / 100
                p = np.clip(p * np.exp(rng.normal(0, 0.6, size=len(p))), 0.001, 0.6)
                pos = rng.binomial(counted, p)
                t["ki67_positive_cells"] = pos.astype(str)
                t["ki67_percent"] = [
                    f"{100 * a / b:.1f}" for a, b in zip(pos, counted, strict=True)
                ]
            t["patient_id"] = f"P{k:02d}" + t["patient_id"]
            parts[name].append(t)
    return {name: pd.concat(frames, ignore_index=True) for name, frames in parts.items()}


def write_replicated(folder: Path, n_copies: int = 10, seed: int = 20261122) -> Path:
    """Write the replicated cohort as four CSV files into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, table in replicated_tables(n_copies, seed).items():
        table.to_csv(folder / f"{name}.csv", index=False)
    return folder

"""Regenerate the synthetic input CSVs of this folder (seeded; no patient data).

Run from this folder with the project's Python: ``python make_inputs.py``. The R scripts
(agreement.R, models.R, cutpoint.R, prognostic.R) read these files and write the *_ref.csv
reference values the tests compare against.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def ki67_pairs() -> None:
    rng = np.random.default_rng(6)
    n = 30
    true = rng.lognormal(np.log(6), 0.9, n)
    prim = np.round(np.clip(true * rng.lognormal(0, 0.3, n), 0.5, 90), 1)
    met = np.round(np.clip(true * rng.lognormal(0.25, 0.35, n), 0.5, 95), 1)
    pd.DataFrame({"pair": range(1, n + 1), "first": prim, "second": met}).to_csv(
        "ki67_pairs.csv", index=False
    )
    pd.DataFrame(
        {
            "positive": [0, 1, 14, 15, 16, 100, 101, 499, 500, 3, 7, 60],
            "counted": [500, 500, 500, 500, 500, 500, 500, 500, 500, 50, 120, 2000],
        }
    ).to_csv("ki67_counts.csv", index=False)


def discordance_and_trajectories() -> None:
    rng = np.random.default_rng(61)
    rows = []
    for i in range(90):
        m = rng.integers(1, 4)
        size = round(float(rng.lognormal(np.log(25), 0.5)), 1)
        for _ in range(m):
            months = round(float(rng.choice([0, 0, rng.uniform(0, 48)])), 2)
            spec = rng.choice(["resection", "core_biopsy", "fna_cell_block"], p=[0.4, 0.4, 0.2])
            ther = bool(months > 6 and rng.random() < 0.6)
            lp = (
                -1.6
                + 0.03 * months
                + 0.5 * (spec == "fna_cell_block")
                + 0.02 * (size - 25)
                + 0.4 * ther
            )
            disc = rng.random() < 1 / (1 + np.exp(-lp))
            g1 = rng.choice(["G1", "G2"], p=[0.45, 0.55])
            g2 = ("G2" if g1 == "G1" else rng.choice(["G1", "G3"], p=[0.3, 0.7])) if disc else g1
            rows.append(
                {
                    "patient_id": f"P{i:03d}",
                    "primary_who_grade": g1,
                    "metastasis_who_grade": g2,
                    "months_between": months,
                    "timing": "synchronous" if months <= 3 else "metachronous",
                    "metastasis_specimen_type": spec,
                    "primary_tumour_size_mm": size,
                    "intervening_therapy": ther,
                }
            )
    df = pd.DataFrame(rows)
    df["discordant"] = (df.primary_who_grade != df.metastasis_who_grade).astype(int)
    df.to_csv("discordance_pairs.csv", index=False)
    rows = []
    for i in range(40):
        b0 = np.log(5) + rng.normal(0, 0.8)
        b1 = 0.15 + rng.normal(0, 0.1)
        t = np.sort(np.concatenate([[0], rng.uniform(0, 6, rng.integers(1, 5))]))
        for k, tt in enumerate(t):
            ki = float(np.clip(np.exp(b0 + b1 * tt + rng.normal(0, 0.3)), 0.3, 95))
            # the first specimen's date is drawn only for k == 0 (keeps the seeded stream)
            first = (
                pd.Timestamp("2015-01-01") + pd.Timedelta(days=int(rng.integers(0, 700)))
                if k == 0
                else None
            )
            rows.append(
                {
                    "patient_id": f"T{i:03d}",
                    "sample_id": f"T{i:03d}-{k}",
                    "sample_date": first if k == 0 else None,
                    "offset_days": int(round(tt * 365.25)),
                    "ki67_percent": round(ki, 1),
                }
            )
    tr = pd.DataFrame(rows)
    base = tr.groupby("patient_id")["sample_date"].transform("first")
    tr["sample_date"] = (
        pd.to_datetime(base) + pd.to_timedelta(tr["offset_days"], unit="D")
    ).dt.strftime("%Y-%m-%d")
    tr["site"] = "liver"
    tr["specimen_type"] = "core_biopsy"
    tr["years"] = tr["offset_days"] / 365.25
    tr.drop(columns="offset_days").to_csv("ki67_trajectories.csv", index=False)


def survival() -> None:
    rng = np.random.default_rng(67)
    n = 120
    ki = np.round(rng.lognormal(np.log(6), 0.9, n).clip(0.5, 80), 0)
    rate = 0.01 * np.exp(0.9 * (ki > 10))
    t = rng.exponential(1 / rate)
    c = rng.uniform(20, 150, n)
    pd.DataFrame(
        {
            "patient_id": [f"P{i:03d}" for i in range(n)],
            "os_months": np.round(np.minimum(t, c), 0) + 1,
            "death": (t <= c).astype(int),
            "ki67_percent": ki,
        }
    ).to_csv("cutpoint_data.csv", index=False)


if __name__ == "__main__":
    ki67_pairs()
    discordance_and_trajectories()
    survival()

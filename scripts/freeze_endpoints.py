"""Freeze ``line_endpoints`` outputs on perturbed simulated cohorts (regression values).

Usage (from the repository root)::

    python scripts/freeze_endpoints.py

Writes ``tests/data/endpoints_frozen/endpoints.csv.gz``: for seeds 101-104, a perturbed
simulated cohort of 250 patients (``tests/_endpoint_cohorts.py``) under three rule sets
each, the time, event and reason of every endpoint of every line.  The committed file
was written by the line-by-line implementation of the censoring rules before the
vectorised engine replaced it; ``tests/test_endpoints_equivalence.py`` checks that the
current engine still gives exactly these values.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
for p in (ROOT, ROOT / "tests"):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))

import pandas as pd  # noqa: E402
from _endpoint_cohorts import ALL_RULES, perturbed_cohort, random_rules  # noqa: E402

from netstats.endpoints import ENDPOINTS, endpoint_columns, line_endpoints  # noqa: E402

OUT = ROOT / "tests" / "data" / "endpoints_frozen" / "endpoints.csv.gz"
SEEDS = (101, 102, 103, 104)
N_PATIENTS = 250


def frozen_frames() -> list[pd.DataFrame]:
    frames = []
    for seed in SEEDS:
        cohort, cut = perturbed_cohort(N_PATIENTS, seed)
        for rules in random_rules(seed, 3):
            ep = line_endpoints(cohort, rules=rules, data_cutoff=cut)
            cols = [c for e in ENDPOINTS for c in endpoint_columns(e) if not c.endswith("_months")]
            frame = ep[["patient_id", "line", *cols]].copy()
            frame.insert(0, "rules", ALL_RULES.index(rules))
            frame.insert(0, "seed", seed)
            frames.append(frame)
    return frames


def main() -> None:
    OUT.parent.mkdir(parents=True, exist_ok=True)
    pd.concat(frame_list := frozen_frames(), ignore_index=True).to_csv(
        OUT, index=False, compression={"method": "gzip", "mtime": 0}
    )
    print(f"wrote {OUT} ({sum(len(f) for f in frame_list)} rows)")


if __name__ == "__main__":
    main()

"""Random simulated cohorts with every awkward date pattern, for endpoint equivalence tests.

A simulated cohort (valid, realistic) is perturbed at random: missing start, progression,
assessment, contact and diagnosis dates, undated progressions, end reasons missing or set
to ``"death"`` without an end date, baseline-day assessments, same-day ties between
progression, death, assessments and next-line starts, overlapping lines and, on a few
rows, dates in an impossible order (the engine must give the same answer as the
reference even on data a validated cohort would reject).  Used by
``tests/test_endpoints_equivalence.py`` and ``scripts/freeze_endpoints.py``.
"""

from __future__ import annotations

import dataclasses
import itertools

import numpy as np
import pandas as pd

from netstats import Cohort
from netstats.endpoints import CensoringRules
from netstats.simulate import simulate_cohort

ALL_RULES = [
    CensoringRules(
        death_window_days=w,
        censor_at_next_line=c,
        assessment_min_days=m,
        no_assessment=na,
        completion=comp,
        impute_progression_from_end_date=imp,
    )
    for w, c, m, na, comp, imp in itertools.product(
        (None, 0, 120),
        (True, False),
        (0, 1, 30),
        ("censor_at_start", "exclude"),
        ("censor", "event", "follow_on"),
        (False, True),
    )
]
"""Every combination of the rule options (216 rule sets)."""


def _blank(frame: pd.DataFrame, col: str, mask: np.ndarray) -> None:
    frame.loc[mask, col] = pd.NaT if frame[col].dtype.kind == "M" else pd.NA


def perturbed_cohort(n_patients: int, seed: int) -> tuple[Cohort, pd.Timestamp | None]:
    """A simulated cohort with awkward dates, and a random data cut-off (or None)."""
    rng = np.random.default_rng(seed)
    cohort = simulate_cohort(n_patients, seed=seed, validate=False)
    lines = cohort.therapy_lines.copy()
    pats = cohort.patients.copy()
    n, day = len(lines), pd.Timedelta(days=1)

    def pick(p: float) -> np.ndarray:
        return rng.random(n) < p

    prog_reason = lines["end_reason"].eq("progression").fillna(False).to_numpy(bool)
    _blank(lines, "progression_date", prog_reason & pick(0.08))  # undated progression
    _blank(lines, "start_date", pick(0.015))
    _blank(lines, "last_assessment_date", pick(0.05))
    has_end = lines["end_date"].notna().to_numpy()
    _blank(lines, "end_reason", has_end & pick(0.03))
    died_on = pick(0.02)
    lines.loc[died_on, "end_reason"] = "death"
    _blank(lines, "end_date", died_on & pick(0.5))
    # Same-day ties and near-ties around the line start and between events.
    m = pick(0.04)
    lines.loc[m, "last_assessment_date"] = lines.loc[m, "start_date"]
    m = pick(0.04)
    lines.loc[m, "last_assessment_date"] = lines.loc[m, "start_date"] + day * rng.integers(
        0, 40, m.sum()
    )
    m = pick(0.04)
    lines.loc[m, "progression_date"] = lines.loc[m, "last_assessment_date"]
    nxt = lines.groupby("patient_id", sort=False)["start_date"].shift(-1)
    m = pick(0.05) & nxt.notna().to_numpy()
    lines.loc[m, "progression_date"] = nxt[m]
    m = pick(0.05) & nxt.notna().to_numpy()
    lines.loc[m, "last_assessment_date"] = nxt[m] + day * rng.integers(-2, 3, m.sum())
    prev = lines.groupby("patient_id", sort=False)["start_date"].shift(1)
    m = pick(0.03) & prev.notna().to_numpy()
    lines.loc[m, "start_date"] = prev[m] + day * rng.integers(0, 3, m.sum())  # overlap
    m = pick(0.01)  # impossible order: dates shifted far back
    lines.loc[m, "progression_date"] = lines.loc[m, "start_date"] - day * 400
    m = pick(0.01)
    lines.loc[m, "last_assessment_date"] = lines.loc[m, "start_date"] - day * 30

    k = len(pats)
    pm = rng.random(k)
    _blank(pats, "last_contact_date", pm < 0.02)
    _blank(pats, "diagnosis_date", (pm >= 0.02) & (pm < 0.04))
    # Deaths on the day of a line start, an assessment or a progression (ties).
    first = lines.drop_duplicates("patient_id").set_index("patient_id")
    for col in ("start_date", "last_assessment_date", "progression_date"):
        m = rng.random(k) < 0.03
        ids = pats.loc[m, "patient_id"]
        pats.loc[m, "death_date"] = ids.map(first[col]).to_numpy()
    m = rng.random(k) < 0.01  # death before diagnosis / before the lines
    pats.loc[m, "death_date"] = pats.loc[m, "diagnosis_date"] - day * 10

    dates = pd.concat([lines["start_date"], pats["last_contact_date"]]).dropna()
    lo, hi = dates.min(), dates.max()
    cut = None if rng.random() < 0.3 else lo + (hi - lo) * float(rng.uniform(0.3, 1.05))
    if cut is not None:
        cut = cut.normalize()
        if rng.random() < 0.3:  # cut-off on an event day
            cut = pd.Timestamp(
                lines["progression_date"].dropna().sample(1, random_state=seed).iloc[0]
            )
    return dataclasses.replace(cohort, therapy_lines=lines, patients=pats), cut


def random_rules(seed: int, k: int) -> list[CensoringRules]:
    """``k`` rule sets drawn without replacement from :data:`ALL_RULES`."""
    rng = np.random.default_rng(seed)
    return [ALL_RULES[i] for i in rng.choice(len(ALL_RULES), size=k, replace=False)]

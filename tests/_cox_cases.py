"""Model specifications shared by the Cox reference tests (see tests/reference/cox/cox_reference.R)."""

from __future__ import annotations

import warnings
from pathlib import Path

import pandas as pd

from netstats.exceptions import StatisticalWarning
from netstats.survival._cox import CoxResult, cox

REF = Path(__file__).parent / "reference" / "cox"

LUNG = "age + sex + `ph.ecog`"
VET = "trt + karno + diagtime + age + prior + C(celltype)"
HEART = "age + year + surgery + transplant"

# case name in the R output -> (data file, formula, keyword arguments of cox())
CASES: dict[str, tuple[str, str, dict]] = {
    "lung_efron": ("lung", LUNG, {"time": "time", "event": "status"}),
    "lung_breslow": ("lung", LUNG, {"time": "time", "event": "status", "ties": "breslow"}),
    "lung_strata": (
        "lung",
        "age + `ph.ecog` + `ph.karno` + `wt.loss`",
        {"time": "time", "event": "status", "strata": "sex"},
    ),
    "lung_rcs": ("lung", "rcs(age, 4) + sex", {"time": "time", "event": "status"}),
    # R: weights = w, robust = FALSE (fractional weights default to the robust variance)
    "lung_weights": (
        "lung",
        LUNG,
        {"time": "time", "event": "status", "weights": "w", "robust": False},
    ),
    "lung_cluster_inst": ("lung", LUNG, {"time": "time", "event": "status", "cluster": "inst"}),
    "veteran_efron": ("veteran", VET, {"time": "time", "event": "status"}),
    "veteran_breslow": ("veteran", VET, {"time": "time", "event": "status", "ties": "breslow"}),
    "ovarian_efron": ("ovarian", "age + `ecog.ps` + rx", {"time": "futime", "event": "fustat"}),
    "ovarian_breslow": (
        "ovarian",
        "age + `ecog.ps` + rx",
        {"time": "futime", "event": "fustat", "ties": "breslow"},
    ),
    "heart_efron": ("heart", HEART, {"time": "stop", "start": "start", "event": "event"}),
    "heart_breslow": (
        "heart",
        HEART,
        {"time": "stop", "start": "start", "event": "event", "ties": "breslow"},
    ),
    "heart_cluster_efron": (
        "heart",
        HEART,
        {"time": "stop", "start": "start", "event": "event", "cluster": "id"},
    ),
    "heart_cluster_breslow": (
        "heart",
        HEART,
        {"time": "stop", "start": "start", "event": "event", "cluster": "id", "ties": "breslow"},
    ),
    "rats_cluster": (
        "rats",
        "rx + C(sex)",
        {"time": "time", "event": "status", "cluster": "litter"},
    ),
    "bladder2_cluster": (
        "bladder2",
        "rx + number + size",
        {"time": "stop", "start": "start", "event": "event", "cluster": "id"},
    ),
    "bladder2_cluster_strata": (
        "bladder2",
        "rx + number + size",
        {"time": "stop", "start": "start", "event": "event", "cluster": "id", "strata": "enum"},
    ),
}


def load(name: str) -> pd.DataFrame:
    """A data set written by the R reference script."""
    return pd.read_csv(REF / f"{name}.csv")


def fit_case(case: str) -> CoxResult:
    """Fit one reference case."""
    data, formula, kwargs = CASES[case]
    with warnings.catch_warnings():
        # Some public data sets have < 10 events per parameter; that warning is tested apart.
        warnings.simplefilter("ignore", StatisticalWarning)
        return cox(load(data), formula, **kwargs)

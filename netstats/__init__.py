"""netstats: survival, Ki-67/grade and SSTR-PET statistics for neuroendocrine-tumour cohorts.

The public API is re-exported here explicitly; submodules are imported by name
(``netstats.survival``, ``netstats.grading`` ...).  Importing netstats never touches a
display: only :mod:`netstats.plots` uses matplotlib, and it imports it lazily.
"""

from __future__ import annotations

from netstats import (
    design,
    endpoints,
    grading,
    labels,
    plots,
    report,
    resample,
    schema,
    simulate,
    sstr,
    survival,
    tables,
    vocab,
)
from netstats._version import __version__
from netstats.cohort import AttritionLog, Cohort
from netstats.exceptions import (
    CohortValidationError,
    ConvergenceError,
    NetstatsError,
    NotFittedError,
    SchemaError,
    StatisticalWarning,
)
from netstats.io import load_cohort, save_cohort
from netstats.io._bundled import bundled_analyses_path, bundled_cohort_path, load_bundled
from netstats.simulate import Scenario, simulate_cohort

__all__ = [
    "AttritionLog",
    "Cohort",
    "CohortValidationError",
    "ConvergenceError",
    "NetstatsError",
    "NotFittedError",
    "Scenario",
    "SchemaError",
    "StatisticalWarning",
    "__version__",
    "bundled_analyses_path",
    "bundled_cohort_path",
    "design",
    "endpoints",
    "grading",
    "labels",
    "load_bundled",
    "load_cohort",
    "plots",
    "report",
    "resample",
    "save_cohort",
    "schema",
    "simulate",
    "simulate_cohort",
    "sstr",
    "survival",
    "tables",
    "vocab",
]

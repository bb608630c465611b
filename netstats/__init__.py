"""netstats: survival, Ki-67/grade and SSTR-PET statistics for neuroendocrine-tumour cohorts.

The public API is re-exported here explicitly; submodules are imported by name
(``netstats.survival``, ``netstats.grading`` ...).  Importing netstats never touches a
display: only :mod:`netstats.plots` uses matplotlib, and it imports it lazily.

``import netstats`` itself is light: the version and the exceptions load at once, every
sub-package and every other re-exported name on first use (PEP 562 module
``__getattr__``), so ``netstats.survival``, ``from netstats import Cohort`` and
``from netstats.survival import cox`` work as before without paying for scikit-learn,
SciPy or matplotlib until they are needed.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from netstats._version import __version__
from netstats.exceptions import (
    CohortValidationError,
    ConvergenceError,
    NetstatsError,
    NotFittedError,
    SchemaError,
    StatisticalWarning,
)

if TYPE_CHECKING:  # static analysers, IDEs and type checkers see the eager form
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
    from netstats.cohort import AttritionLog, Cohort
    from netstats.io import load_cohort, save_cohort
    from netstats.io._bundled import bundled_analyses_path, bundled_cohort_path, load_bundled
    from netstats.simulate import Scenario, simulate_cohort

#: Sub-packages and modules re-exported by name, imported on first attribute access.
_SUBMODULES = frozenset(
    {
        "design",
        "endpoints",
        "grading",
        "labels",
        "plots",
        "report",
        "resample",
        "schema",
        "simulate",
        "sstr",
        "survival",
        "tables",
        "vocab",
    }
)

#: Re-exported names and the module each comes from, imported on first attribute access.
_LAZY_NAMES = {
    "AttritionLog": "netstats.cohort",
    "Cohort": "netstats.cohort",
    "load_cohort": "netstats.io",
    "save_cohort": "netstats.io",
    "bundled_analyses_path": "netstats.io._bundled",
    "bundled_cohort_path": "netstats.io._bundled",
    "load_bundled": "netstats.io._bundled",
    "Scenario": "netstats.simulate",
    "simulate_cohort": "netstats.simulate",
}

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


def _is_module(name: str) -> bool:
    """Whether ``netstats.<name>`` is a module (without importing it)."""
    import importlib.util

    if not name.isidentifier():
        return False
    try:
        return importlib.util.find_spec(f"netstats.{name}") is not None
    except ImportError:
        return False


def __getattr__(name: str) -> Any:
    """Import a sub-package or a re-exported name the first time it is used (PEP 562)."""
    if name in _SUBMODULES:
        value: Any = importlib.import_module(f"netstats.{name}")
    elif name in _LAZY_NAMES:
        value = getattr(importlib.import_module(_LAZY_NAMES[name]), name)
    elif not name.startswith("_") and _is_module(name):
        # a public module not re-exported (netstats.cohort, netstats.io, netstats.cli)
        value = importlib.import_module(f"netstats.{name}")
    else:
        raise AttributeError(f"module 'netstats' has no attribute {name!r}")
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    """Every public name, loaded or not (for ``dir(netstats)`` and tab completion)."""
    import pkgutil

    modules = {m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_")}
    loaded = {n for n in globals() if not n.startswith("_") or n == "__version__"}
    return sorted(
        (loaded - {"annotations", "importlib", "Any", "TYPE_CHECKING"}) | set(__all__) | modules
    )

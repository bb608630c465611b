"""Start-up stays light: what ``import netstats`` and the quick commands load.

Checked by the modules a fresh interpreter holds afterwards (``sys.modules``), not by timing:
a bare ``import netstats`` and ``netstats --version`` / ``--help`` load no scientific library
at all, ``netstats validate`` loads pandas and pandera but none of the modelling, plotting or
cluster libraries; sub-packages and re-exported names load on first use.  The timings
themselves are in ``benchmarks/bench_startup.py`` and ``docs/performance.md``.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

import netstats

ROOT = Path(__file__).resolve().parents[1]

#: Libraries a bare ``import netstats`` must not load (top-level package names).
HEAVY = (
    "dask",
    "distributed",
    "formulaic",
    "lifelines",
    "matplotlib",
    "numpy",
    "pandas",
    "pandera",
    "scipy",
    "skops",
    "sklearn",
    "statsmodels",
)

#: Libraries ``netstats validate`` must not load: only the data model is needed.
NOT_FOR_VALIDATE = (
    "dask",
    "formulaic",
    "lifelines",
    "matplotlib",
    "scipy.stats",
    "skops",
    "sklearn",
    "statsmodels",
)

_PROBE = """
import json, sys
try:
{body}
finally:
    names = sorted(sys.modules)
    sys.stderr.flush()
    print("\\n" + json.dumps(names), file=sys.__stdout__)
"""


def _loaded(body: str, *, args: tuple[str, ...] = ()) -> set[str]:
    """Names in ``sys.modules`` after running ``body`` in a fresh interpreter."""
    code = _PROBE.format(body="\n".join("    " + line for line in body.splitlines()))
    proc = subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert proc.stdout.strip(), proc.stderr
    # the probe prints the modules even when the body fails: a crash must not pass as light
    assert proc.returncode == 0, proc.stderr
    return set(json.loads(proc.stdout.strip().splitlines()[-1]))


def _heavy(loaded: set[str], names: tuple[str, ...]) -> list[str]:
    return sorted(n for n in names if n in loaded)


def test_bare_import_loads_no_scientific_library():
    loaded = _loaded("import netstats")
    assert _heavy(loaded, HEAVY) == []
    # nothing of netstats beyond the version and the exceptions either
    assert sorted(m for m in loaded if m.startswith("netstats")) == [
        "netstats",
        "netstats._version",
        "netstats.exceptions",
    ]


def test_the_probe_sees_what_a_sub_package_loads():
    # the check above can fail: using a sub-package pulls its libraries in
    loaded = _loaded("import netstats\nnetstats.survival")
    assert {"netstats.survival", "pandas", "scipy.special"} <= loaded


#: Libraries ``import netstats.survival`` must not load: they come with the first call that
#: needs them (a formula, the rank transform of cox_zph, p-value adjustment).
NOT_FOR_SURVIVAL = (
    "dask",
    "formulaic",
    "lifelines",
    "matplotlib",
    "scipy.stats",
    "skops",
    "sklearn",
    "statsmodels",
)


def test_survival_import_loads_no_modelling_library():
    loaded = _loaded("import netstats.survival")
    assert "netstats.survival._cox" in loaded
    assert _heavy(loaded, NOT_FOR_SURVIVAL) == []


def test_survival_libraries_load_on_first_use():
    # the check above can fail: a formula loads formulaic, pairwise tests statsmodels
    body = (
        "import pandas as pd\n"
        "from netstats.survival import cox, pairwise_logrank\n"
        "t = [1.0, 2, 3, 4, 5, 6, 7, 8]\n"
        "e = [1, 0, 1, 1, 0, 1, 1, 0]\n"
        "x = [0.1, 0.5, 0.2, 0.9, 0.3, 0.7, 0.4, 0.8]\n"
        "df = pd.DataFrame({'t': t, 'e': e, 'x': x, 'g': list('abcdabcd')})\n"
        "cox(df, time='t', event='e', formula='x')\n"
        "pairwise_logrank(df, time='t', event='e', group='g')"
    )
    loaded = _loaded(body)
    assert {"formulaic", "statsmodels"} <= loaded


CLI = "from netstats.cli import app\nsys.argv[0] = 'netstats'\napp()"


@pytest.mark.parametrize("flag", ["--version", "--help"])
def test_version_and_help_load_no_scientific_library(flag):
    loaded = _loaded(CLI, args=(flag,))
    assert "netstats.cli" in loaded
    assert _heavy(loaded, HEAVY) == []
    # typer's rich help formatter alone costs 0.2 s of imports
    assert "typer.rich_utils" not in loaded


def test_validate_loads_the_data_model_only():
    loaded = _loaded(CLI, args=("validate", "data/synthetic"))
    assert {"netstats.io", "pandas", "pandera"} <= loaded
    assert _heavy(loaded, NOT_FOR_VALIDATE) == []


def test_sub_packages_and_names_resolve_on_first_use():
    code = (
        "import sys, netstats\n"
        "assert 'netstats.survival' not in sys.modules\n"
        "mod = netstats.survival\n"
        "assert mod is sys.modules['netstats.survival']\n"
        "from netstats import Cohort, load_cohort\n"
        "from netstats.cohort import Cohort as C\n"
        "from netstats.io import load_cohort as L\n"
        "assert Cohort is C and load_cohort is L\n"
        "from netstats.survival import cox\n"
        "assert netstats.io is sys.modules['netstats.io']\n"
        "print('ok')\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert proc.stdout.strip() == "ok", proc.stderr


def test_every_exported_name_resolves_to_its_home_object():
    for name in netstats.__all__:
        obj = getattr(netstats, name)
        home = netstats._LAZY_NAMES.get(name)
        if home is not None:
            assert obj is getattr(sys.modules[home], name)
        elif name in netstats._SUBMODULES:
            assert obj is sys.modules[f"netstats.{name}"]


def test_unknown_names_are_attribute_errors():
    with pytest.raises(AttributeError, match="no attribute 'kaplan_meier'"):
        netstats.kaplan_meier  # noqa: B018  (it lives in netstats.survival)
    with pytest.raises(AttributeError):
        netstats._private_thing  # noqa: B018
    assert not hasattr(netstats, "not_a_module")
    assert not hasattr(netstats, "survival.nope")  # not an identifier: no import attempted


def test_dir_lists_every_public_name_loaded_or_not():
    listed = dir(netstats)
    assert set(netstats.__all__) <= set(listed)
    assert {"cohort", "io", "cli"} <= set(listed)
    assert not {"importlib", "Any", "TYPE_CHECKING", "annotations"} & set(listed)
    assert not [n for n in listed if n.startswith("_") and n != "__version__"]


def test_static_imports_match_the_lazy_tables():
    # the TYPE_CHECKING block (for IDEs and type checkers) names exactly what __getattr__ loads
    tree = ast.parse((ROOT / "netstats" / "__init__.py").read_text(encoding="utf-8"))
    static: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
            for stmt in node.body:
                assert isinstance(stmt, ast.ImportFrom)
                for alias in stmt.names:
                    static[alias.name] = stmt.module or ""
    submodules = {n for n, m in static.items() if m == "netstats"}
    names = {n: m for n, m in static.items() if m != "netstats"}
    assert submodules == netstats._SUBMODULES
    assert names == netstats._LAZY_NAMES
    eager = {"__version__", *netstats.exceptions.__all__}
    assert set(netstats.__all__) == submodules | set(names) | eager

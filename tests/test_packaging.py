"""Packaging: optional extras, messages naming a missing extra, the files shipped in the wheel.

``scripts/check_wheel.sh`` (``make check-dist``) goes further: it installs the wheel into an
empty environment and renders the reports there.
"""

from __future__ import annotations

import ast
import importlib.metadata as md
import re
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from typer.testing import CliRunner

import netstats
from netstats.cli import app
from netstats.io import _bundled, load_cohort, save_cohort
from netstats.report import DEFAULT_NOTEBOOKS, list_notebooks, parse_parameters
from tests._cohorts import MINIMAL

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: pytest itself depends on tomli there
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
EXTRAS = PROJECT["optional-dependencies"]


def _names(requirements: list[str]) -> set[str]:
    return {canonicalize_name(Requirement(r).name) for r in requirements}


def _expand(requirements: list[str]) -> list[Requirement]:
    """Requirements with ``netstats[extra]`` replaced by the extra's own requirements."""
    out: list[Requirement] = []
    for text in requirements:
        req = Requirement(text)
        if canonicalize_name(req.name) == "netstats":
            for extra in sorted(req.extras):
                out += _expand(EXTRAS[extra])
        else:
            out.append(req)
    return out


# --------------------------------------------------------------------------------------
# extras
# --------------------------------------------------------------------------------------
def test_extras_are_declared():
    assert {"sql", "dask", "docs", "dev"} <= set(EXTRAS)
    assert {"mkdocs", "mkdocs-material", "mkdocstrings", "mkdocs-jupyter"} <= _names(EXTRAS["docs"])
    assert _names(EXTRAS["sql"]) == {"sqlalchemy"}
    assert "dask" in _names(EXTRAS["dask"])
    assert "distributed" in Requirement(EXTRAS["dask"][0]).extras
    # SQL and Dask are optional: the core does not pull them in
    core = _names(PROJECT["dependencies"])
    assert not core & {"sqlalchemy", "duckdb-engine", "dask", "distributed"}
    assert "duckdb" in core  # DuckDB files load without any extra


def test_dev_extra_contains_the_other_extras_and_the_tools():
    dev = {canonicalize_name(r.name) for r in _expand(EXTRAS["dev"])}
    assert _names(EXTRAS["sql"]) | _names(EXTRAS["dask"]) <= dev
    assert {"pytest", "hypothesis", "ruff", "mypy", "build", "twine", "hatchling"} <= dev


def _installed_closure(requirements: list[Requirement]) -> set[str]:
    """Distributions the requirements install, following installed metadata recursively."""
    seen: set[str] = set()
    todo = [(r, frozenset(r.extras)) for r in requirements]
    while todo:
        req, extras = todo.pop()
        name = canonicalize_name(req.name)
        key = f"{name}[{','.join(sorted(extras))}]"
        if key in seen:
            continue
        seen.add(key)
        seen.add(name)
        try:
            requires = md.requires(name) or []
        except md.PackageNotFoundError:
            continue
        for text in requires:
            sub = Requirement(text)
            envs = [{"extra": e} for e in extras] or [{"extra": ""}]
            if sub.marker is None or any(sub.marker.evaluate(env) for env in envs):
                todo.append((sub, frozenset(sub.extras)))
    return {s for s in seen if "[" not in s}


def test_every_module_the_tests_import_is_installed_by_core_or_dev():
    declared = _installed_closure(_expand(PROJECT["dependencies"] + EXTRAS["dev"]))
    owners = md.packages_distributions()
    local = {"netstats", "tests", "conftest"} | {p.stem for p in (ROOT / "tests").glob("*.py")}
    missing = {}
    for path in sorted((ROOT / "tests").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                modules = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules = [node.module]
            else:
                continue
            for module in modules:
                top = module.split(".")[0]
                if top in sys.stdlib_module_names or top in local or top == "tomli":
                    continue
                dists = {canonicalize_name(d) for d in owners.get(top, [top])}
                if not dists & declared:
                    missing.setdefault(top, path.name)
    assert not missing, f"modules imported by tests but not installed by netstats[dev]: {missing}"


# --------------------------------------------------------------------------------------
# a missing extra is named
# --------------------------------------------------------------------------------------
@pytest.fixture
def no_sqlalchemy(monkeypatch):
    """Make ``import sqlalchemy`` fail as it does without the sql extra."""
    for name in [m for m in sys.modules if m == "sqlalchemy" or m.startswith("sqlalchemy.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "sqlalchemy", None)


@pytest.fixture
def sqlite_file(tmp_path) -> Path:
    import sqlite3

    path = tmp_path / "cohort.sqlite"
    with sqlite3.connect(path) as con:
        for csv in sorted(MINIMAL.glob("*.csv")):
            frame = pd.read_csv(csv, dtype=str, keep_default_na=False)
            frame.to_sql(csv.stem, con, index=False)
    con.close()
    return path


@pytest.mark.parametrize("as_url", [False, True])
def test_sql_without_the_extra_names_it(no_sqlalchemy, sqlite_file, as_url):
    source = f"sqlite:///{sqlite_file}" if as_url else sqlite_file
    with pytest.raises(ImportError, match=re.escape("pip install 'netstats[sql]'")):
        load_cohort(source)


def test_sql_with_the_extra_loads(sqlite_file):
    assert len(load_cohort(sqlite_file).patients) == len(load_cohort(MINIMAL).patients)


def test_cli_sql_without_the_extra_is_one_line_not_a_traceback(no_sqlalchemy, sqlite_file):
    result = CliRunner().invoke(app, ["validate", str(sqlite_file)])
    assert result.exit_code == 1
    assert "netstats[sql]" in result.output
    assert "Traceback" not in result.output
    assert not isinstance(result.exception, ImportError)  # handled, not raised


def test_duckdb_file_needs_no_extra(no_sqlalchemy, tmp_path):
    cohort = load_cohort(MINIMAL)
    save_cohort(cohort, tmp_path / "cohort.duckdb")
    loaded = load_cohort(tmp_path / "cohort.duckdb")
    pd.testing.assert_frame_equal(loaded.patients, cohort.patients)


def test_dask_without_the_extra_names_it(monkeypatch):
    from netstats.resample import bootstrap_km_median

    monkeypatch.setitem(sys.modules, "distributed", None)
    data = pd.DataFrame({"time": [1.0, 2.0, 3.0, 4.0], "event": [1, 0, 1, 1]})
    with pytest.raises(ImportError, match=re.escape("pip install 'netstats[dask]'")):
        bootstrap_km_median(data, n_resamples=10, backend="dask", client="tcp://127.0.0.1:1")


# --------------------------------------------------------------------------------------
# bundled notebooks and cohorts
# --------------------------------------------------------------------------------------
def test_bundled_paths_in_a_checkout_are_the_top_level_folders():
    assert netstats.bundled_analyses_path() == ROOT / "analyses"
    assert netstats.bundled_cohort_path() == ROOT / "data" / "synthetic"
    assert netstats.bundled_cohort_path("case_series") == ROOT / "data" / "case_series"
    with pytest.raises(ValueError, match="no bundled cohort 'nope'"):
        netstats.bundled_cohort_path("nope")  # type: ignore[arg-type]


def test_bundled_cohorts_load():
    cohort = netstats.load_bundled()
    assert len(cohort.patients) == netstats.simulate.BUNDLED_N_PATIENTS
    assert len(netstats.load_bundled("case_series").patients) > 0


def test_locate_prefers_the_copy_inside_the_package(tmp_path):
    checkout = tmp_path / "checkout"
    package = checkout / "netstats"
    (package / "analyses").mkdir(parents=True)
    (checkout / "analyses").mkdir()
    (checkout / "pyproject.toml").write_text("")
    assert _bundled._locate("analyses", package_dir=package) == package / "analyses"
    (package / "analyses").rmdir()
    assert _bundled._locate("analyses", package_dir=package) == checkout / "analyses"


def test_locate_outside_a_checkout_does_not_look_next_to_the_package(tmp_path):
    site = tmp_path / "site-packages"
    (site / "netstats").mkdir(parents=True)
    (site / "analyses").mkdir()  # somebody else's folder, not a netstats checkout
    with pytest.raises(FileNotFoundError, match="analyses/ is missing"):
        _bundled._locate("analyses", package_dir=site / "netstats")


def test_default_notebooks_do_not_depend_on_the_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert set(DEFAULT_NOTEBOOKS) <= set(list_notebooks())
    assert parse_parameters(["min_pairs=3"], only="03") == {"min_pairs": 3}


def test_report_without_data_renders_the_bundled_cohort(tmp_path, monkeypatch):
    """No --data and no --analyses: the bundled cohort (here swapped for the minimal one to
    keep the test short) and the shipped notebooks, from a folder with neither."""
    from netstats.report import _render

    monkeypatch.setattr(_render, "bundled_cohort_path", lambda: MINIMAL)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["report", "--only", "01", "--out", "r", "--no-progress"])
    assert result.exit_code == 0, result.output
    index = (tmp_path / "r" / "index.html").read_text(encoding="utf-8")
    # the data are named by their folder, never by an absolute path
    assert f"data: {MINIMAL.name}." in index and str(MINIMAL.resolve()) not in index
    assert (tmp_path / "r" / "01_cohort_overview" / "01_cohort_overview.html").is_file()


# --------------------------------------------------------------------------------------
# the distributions
# --------------------------------------------------------------------------------------
def _tracked(*folders: str) -> list[str]:
    """Files of the project in ``folders`` (git's list; every file outside a checkout)."""
    out = subprocess.run(
        ["git", "ls-files", *folders], cwd=ROOT, capture_output=True, text=True, check=False
    )
    if out.returncode == 0 and out.stdout.strip():
        return out.stdout.split()
    return [
        p.relative_to(ROOT).as_posix()
        for folder in folders
        for p in (ROOT / folder).rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    ]


@pytest.fixture(scope="module")
def dists(tmp_path_factory) -> tuple[Path, Path]:
    """Wheel and sdist built from this tree (the wheel from the sdist, as pip would)."""
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(ROOT)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = out.glob("netstats-*.whl")
    (sdist,) = out.glob("netstats-*.tar.gz")
    return wheel, sdist


def test_wheel_ships_the_notebooks_and_cohorts(dists):
    wheel, _ = dists
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
    shipped = _tracked("analyses", "data")
    assert any(p.startswith("data/synthetic/") for p in shipped)
    assert [p for p in shipped if f"netstats/{p}" not in names] == []
    assert not [n for n in names if n.startswith(("tests/", "analyses/", "data/"))]


def test_sdist_ships_tests_notebooks_and_data(dists):
    _, sdist = dists
    with tarfile.open(sdist) as tar:
        names = tar.getnames()
    root = names[0].split("/")[0]
    inside = {n.removeprefix(f"{root}/") for n in names}
    tracked = _tracked("analyses", "data", "tests", "scripts", "netstats")
    assert any(p.startswith("tests/test_") for p in tracked)
    assert [p for p in tracked if p not in inside] == []


def test_version_comes_from_one_place(dists):
    wheel, sdist = dists
    text = (ROOT / "netstats" / "_version.py").read_text(encoding="utf-8")
    version = re.search(r'__version__ = "([^"]+)"', text).group(1)
    assert netstats.__version__ == version
    assert wheel.name.startswith(f"netstats-{version}-")
    assert sdist.name == f"netstats-{version}.tar.gz"
    with zipfile.ZipFile(wheel) as zf:
        metadata = zf.read(f"netstats-{version}.dist-info/METADATA").decode()
    assert f"\nVersion: {version}\n" in metadata
    for extra in ("sql", "dask", "docs", "dev"):
        assert f"\nProvides-Extra: {extra}\n" in metadata

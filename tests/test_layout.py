"""The package layout: no import cycles, imports flowing one way, few top-level helpers.

The import graph is read from the source (AST), not by importing: every ``import`` and
``from ... import`` of a netstats module counts, at module level or inside a function, except
those under ``if TYPE_CHECKING:``.  Importing ``netstats.a.b`` also runs ``netstats.a``'s
``__init__``, so an edge to a module is also an edge to each of its parent packages (other than
the importer's own).
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

import pytest

import netstats

ROOT = Path(netstats.__file__).resolve().parent

#: The layers of the package, lowest first.  A module may import from its own layer or a lower
#: one, never a higher one: data model -> endpoints -> statistics -> plots -> report -> cli.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("exceptions", "_version", "_progress", "_display", "vocab", "schema", "labels"),  # foundations
    ("cohort", "io"),  # the data model: validation, loaders, bundled cohorts
    ("simulate", "endpoints"),  # cohorts made to order; derived endpoints
    ("survival", "resample", "grading", "sstr", "design"),  # statistics
    ("plots", "tables"),  # figures and publication tables from finished results
    ("report",),  # rendering, formatting, disclosure control
    ("cli", "_api"),  # the command line; the public-API listing
)
LAYER_OF = {part: rank for rank, parts in enumerate(LAYERS) for part in parts}

#: Private modules allowed directly in ``netstats/`` (the issue's limit is five).
MAX_TOP_LEVEL_PRIVATE = 5


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


MODULES = {_module_name(p): p for p in sorted(ROOT.rglob("*.py"))}


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(module: str, path: Path) -> set[str]:
    """The netstats modules ``module`` imports (outside ``if TYPE_CHECKING:``)."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child):
                for stmt in child.orelse:
                    visit(stmt)
                continue
            if isinstance(child, ast.Import):
                found.update(a.name for a in child.names if a.name.split(".")[0] == "netstats")
            elif isinstance(child, ast.ImportFrom):
                if child.level:
                    base = package.split(".")[: len(package.split(".")) - child.level + 1]
                    target = ".".join(base + ([child.module] if child.module else []))
                else:
                    target = child.module or ""
                if target.split(".")[0] != "netstats":
                    continue
                for alias in child.names:
                    sub = f"{target}.{alias.name}"
                    found.add(sub if sub in MODULES else target)
            else:
                visit(child)

    visit(ast.parse(path.read_text(encoding="utf-8")))
    return found


@cache
def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for module, path in MODULES.items():
        edges = set()
        for target in _imports(module, path):
            if target not in MODULES:
                raise AssertionError(f"{module} imports {target}, which does not exist")
            if target != module:
                edges.add(target)
            parts = target.split(".")
            for i in range(1, len(parts)):
                parent = ".".join(parts[:i])
                # importing netstats.a.b also runs netstats.a's __init__; the importer's own
                # packages are already being imported, so that implicit step is no edge
                if parent != module and not module.startswith(parent + "."):
                    edges.add(parent)
        graph[module] = edges
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan), or a self-import."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0

    def connect(v: str) -> None:
        nonlocal counter
        index[v] = low[v] = counter
        counter += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1 or v in graph.get(v, ()):
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            connect(v)
    return found


def _part(module: str) -> str:
    """The top-level part of netstats a module belongs to (``netstats.survival._km`` -> survival)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "netstats"


def test_the_import_graph_has_no_cycles():
    cycles = _cycles(_graph())
    assert cycles == [], "import cycles: " + "; ".join(" -> ".join(c) for c in cycles)


def test_the_cycle_finder_finds_a_cycle():
    # the check above can fail: a two-module loop and a self-import are both reported
    assert _cycles({"a": {"b"}, "b": {"a"}, "c": {"a"}}) == [["a", "b"]]
    assert _cycles({"a": {"a"}}) == [["a"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_the_import_reader_sees_lazy_and_relative_imports_but_not_type_checking(tmp_path):
    source = tmp_path / "mod.py"
    source.write_text(
        "from typing import TYPE_CHECKING\n"
        "import netstats.schema\n"
        "if TYPE_CHECKING:\n"
        "    from netstats.report import render\n"
        "def f():\n"
        "    from netstats.survival import kaplan_meier\n"
        "    from . import vocab\n",
        encoding="utf-8",
    )
    assert _imports("netstats.mod", source) == {
        "netstats.schema",
        "netstats.survival",
        "netstats.vocab",
    }


def test_every_part_of_the_package_has_a_layer():
    parts = {_part(m) for m in MODULES} - {"netstats"}
    assert parts - set(LAYER_OF) == set(), "add new parts of netstats to LAYERS"


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_flow_one_way(module):
    if module == "netstats":
        return  # the package itself re-exports from every layer
    rank = LAYER_OF[_part(module)]
    upward = sorted(
        target
        for target in _graph()[module]
        if target != "netstats" and LAYER_OF[_part(target)] > rank
    )
    assert upward == [], f"{module} (layer {rank}) imports from a higher layer: {upward}"


def test_no_module_imports_the_package_itself_except_the_api_listing():
    importers = sorted(m for m, edges in _graph().items() if "netstats" in edges)
    assert importers == ["netstats._api"]


def test_few_private_modules_at_the_top_level():
    private = sorted(p.name for p in ROOT.glob("_*.py") if p.name != "__init__.py")
    assert len(private) <= MAX_TOP_LEVEL_PRIVATE, private


def test_private_helpers_of_a_part_live_inside_it():
    # the old flat names (_simulate_*.py, _endpoints_*.py) must not come back
    prefixed = [
        p.name
        for p in ROOT.glob("_*.py")
        if any(p.name.startswith(f"_{part}_") for part in LAYER_OF if not part.startswith("_"))
    ]
    assert prefixed == []

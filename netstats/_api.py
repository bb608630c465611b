"""The public API in one list: every name in an ``__all__`` of netstats and its modules.

``python -m netstats._api`` prints ``docs/api.md`` (``make api-docs`` writes it); a test
checks that the file is up to date, that every public function and class has a numpydoc
``Examples`` section, and that every constant is described.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import re
import sys
import typing
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import ModuleType

__all__ = ["ApiEntry", "api_markdown", "public_api", "public_modules"]

_ROOT = Path(__file__).parent


@dataclass(frozen=True)
class ApiEntry:
    """One public name as a module exports it.

    Attributes
    ----------
    module : str
        The public module whose ``__all__`` lists the name.
    name : str
        The exported name.
    kind : str
        ``"function"``, ``"class"``, ``"exception"``, ``"module"``, ``"type"`` (a type
        alias), ``"object"`` (another callable, e.g. the command-line app) or
        ``"constant"``.
    home : str
        ``module.name`` of the public module that owns the object (where its code lives);
        equal to ``f"{module}.{name}"`` unless this entry is a re-export.
    summary : str
        First line of the docstring (for a constant: its ``#:`` comment or the string
        literal after it).
    """

    module: str
    name: str
    kind: str
    home: str
    summary: str

    @property
    def qualified(self) -> str:
        """``module.name``."""
        return f"{self.module}.{self.name}"

    @property
    def is_reexport(self) -> bool:
        """True when the name belongs to another public module."""
        return self.home != self.qualified


def public_modules() -> list[ModuleType]:
    """``netstats`` and every module whose dotted path has no ``_``-prefixed part.

    Returns
    -------
    list of module
        ``netstats`` first, then the others sorted by name.

    Examples
    --------
    >>> [m.__name__ for m in public_modules()][:3]
    ['netstats', 'netstats.cli', 'netstats.cohort']
    """
    import netstats

    found = []
    for info in pkgutil.walk_packages(netstats.__path__, "netstats."):
        if not any(part.startswith("_") for part in info.name.split(".")[1:]):
            found.append(importlib.import_module(info.name))
    return [netstats, *sorted(found, key=lambda m: m.__name__)]


def _kind(obj: object) -> str:
    if inspect.ismodule(obj):
        return "module"
    if typing.get_origin(obj) is not None:
        return "type"
    if inspect.isclass(obj):
        return "exception" if issubclass(obj, BaseException) else "class"
    if inspect.isfunction(obj):
        return "function"
    return "object" if callable(obj) else "constant"


def _first_line(doc: str | None) -> str:
    lines = inspect.cleandoc(doc or "").strip().splitlines()
    return lines[0].strip() if lines else ""


@cache
def _constant_docs() -> dict[tuple[str, str], str]:
    """``(module, NAME) -> description`` from ``#:`` comments or a following string."""
    docs: dict[tuple[str, str], str] = {}
    for path in sorted(_ROOT.rglob("*.py")):
        rel = path.relative_to(_ROOT.parent).with_suffix("")
        module = ".".join(rel.parts).removesuffix(".__init__")
        text = path.read_text(encoding="utf-8")
        lines = text.splitlines()
        body = ast.parse(text).body
        for i, node in enumerate(body):
            if isinstance(node, ast.Assign) and len(node.targets) == 1:
                target = node.targets[0]
            elif isinstance(node, ast.AnnAssign):
                target = node.target
            else:
                continue
            if not isinstance(target, ast.Name):
                continue
            comment: list[str] = []
            j = node.lineno - 2
            while j >= 0 and lines[j].lstrip().startswith("#:"):
                comment.insert(0, lines[j].lstrip()[2:].strip())
                j -= 1
            nxt = body[i + 1] if i + 1 < len(body) else None
            if comment:
                docs[(module, target.id)] = " ".join(comment)
            elif (
                isinstance(nxt, ast.Expr)
                and isinstance(nxt.value, ast.Constant)
                and isinstance(nxt.value.value, str)
            ):
                docs[(module, target.id)] = _first_line(nxt.value.value)
    return docs


def _home(obj: object, exporters: list[str]) -> str:
    """The exporting module that owns ``obj``: the longest prefix of its ``__module__``."""
    if inspect.ismodule(obj):
        return obj.__name__
    origin = getattr(obj, "__module__", None) if _kind(obj) != "constant" else None
    if origin:
        owners = [m for m in exporters if origin == m or origin.startswith(m + ".")]
        best = max(owners, key=len) if owners else None
        # code in a private top-level module (netstats._x) belongs to the public module
        # that exports it, not to the package itself
        if best and best != "netstats":
            return best
    others = [m for m in exporters if m != "netstats"]
    return others[0] if others else exporters[0]


def _constant_summary(module: str, name: str, obj: object) -> str:
    docs = _constant_docs()
    candidates = [key for key in docs if key[1] == name]
    own = [k for k in candidates if k[0] == module or k[0].startswith(module + ".")]
    for key in own or candidates:
        return docs[key]
    return ""


def public_api() -> list[ApiEntry]:
    """Every exported name, module by module, in ``__all__`` order.

    Returns
    -------
    list of ApiEntry
        One entry per module and name; a name exported by several modules appears once per
        module, with ``home`` naming the module that owns it.

    Examples
    --------
    >>> entries = {e.qualified: e for e in public_api()}
    >>> entries["netstats.survival.kaplan_meier"].kind
    'function'
    >>> entries["netstats.simulate_cohort"].home
    'netstats.simulate.simulate_cohort'
    """
    modules = public_modules()
    exporters: dict[int, list[str]] = {}
    for mod in modules:
        for name in getattr(mod, "__all__", []):
            exporters.setdefault(id(getattr(mod, name)), []).append(mod.__name__)
    entries = []
    for mod in modules:
        for name in getattr(mod, "__all__", []):
            obj = getattr(mod, name)
            kind = _kind(obj)
            if name == "__version__":
                home_mod, summary = mod.__name__, "The netstats version (PEP 440)."
            elif kind in ("constant", "type", "object"):
                owners = [m for m in exporters[id(obj)] if _constant_summary(m, name, obj)]
                home_mod = owners[-1] if owners else mod.__name__
                summary = _constant_summary(home_mod, name, obj)
            else:
                home_mod = _home(obj, exporters[id(obj)])
                summary = _first_line(obj.__doc__)
            home = home_mod if kind == "module" else f"{home_mod}.{name}"
            entries.append(ApiEntry(mod.__name__, name, kind, home, summary))
    return entries


def _markdown(text: str) -> str:
    """Sphinx roles and double backticks as plain Markdown code spans."""
    text = re.sub(r":(?:func|class|meth|mod|data|attr|exc):`~?([^`]+)`", r"`\1`", text)
    return text.replace("``", "`")


def api_markdown() -> str:
    """The public API as Markdown: a section per module, one line per name.

    Returns
    -------
    str
        The text of ``docs/api.md``.

    Examples
    --------
    >>> text = api_markdown()
    >>> print(text.splitlines()[0])
    # Public API
    >>> "- `kaplan_meier` (function): " in text
    True
    """
    out = [
        "# Public API",
        "",
        "Every name exported by netstats (`__all__` of the package and of each public "
        "module), with the first line of its docstring. Generated by `make api-docs` "
        "(`python -m netstats._api > docs/api.md`); `tests/test_api.py` fails when this "
        "file is out of date. Each function and class documents its parameters and has "
        "runnable Examples (checked as doctests).",
        "",
    ]
    current = None
    for e in public_api():
        if e.module != current:
            current = e.module
            doc = _first_line(sys.modules[e.module].__doc__)
            out += ["", f"## `{e.module}`", ""] + ([_markdown(doc), ""] if doc else [])
        if e.kind == "module":
            line = f"- `{e.name}` (module): see `{e.home}`"
        elif e.is_reexport:
            line = f"- `{e.name}` ({e.kind}): same as `{e.home}`"
        else:
            line = f"- `{e.name}` ({e.kind}): {_markdown(e.summary)}"
        out.append(line.rstrip())
    return "\n".join(out).replace("\n\n\n", "\n\n") + "\n"


if __name__ == "__main__":  # pragma: no cover - exercised through docs/api.md's test
    sys.stdout.write(api_markdown())

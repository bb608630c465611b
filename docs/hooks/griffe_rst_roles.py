"""Griffe extension: turn the reStructuredText bits of numpydoc docstrings into Markdown.

netstats' docstrings follow numpydoc, written for Sphinx: cross-references are roles
(``:func:`who_grade```, ``:class:`~netstats.cohort.Cohort```) and references are
``.. [1] ...`` citations.  mkdocstrings reads docstrings as Markdown, where these would show
as raw text.  This extension rewrites them before the docstrings are parsed:

- a role whose target is rendered somewhere in the API reference becomes a cross-reference
  (``[`who_grade()`][netstats.grading.who_grade]``), resolved like Sphinx does: relative to
  the object, then its parents; ``~`` keeps only the last name;
- any other role (a private helper, a pandas name) becomes inline code;
- ``.. [1] text`` becomes a list item ``[1] text`` and ``[1]_`` becomes ``[1]``.

Only targets that the reference pages render get a link, so the strict build never meets a
dangling cross-reference.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

ROLE = re.compile(r":(?:py:)?(func|meth|class|exc|mod|data|attr|obj|const):`(~?)([^`<>]+?)`")
CITATION_DEF = re.compile(r"^(\s*)\.\. \[(\w+)\]\s", re.MULTILINE)
CITATION_REF = re.compile(r"\[(\w+)\]_")

# Modules whose public names (their ``__all__``) have a page in docs/reference/.
DOCUMENTED = (
    "netstats.io",
    "netstats.cohort",
    "netstats.schema",
    "netstats.vocab",
    "netstats.exceptions",
    "netstats.simulate",
    "netstats.endpoints",
    "netstats.survival",
    "netstats.grading",
    "netstats.sstr",
    "netstats.resample",
    "netstats.design",
    "netstats.tables",
    "netstats.plots",
    "netstats.report",
)


def _final(obj: Any) -> Any:
    try:
        return obj.final_target if obj.is_alias else obj
    except (griffe.AliasResolutionError, griffe.CyclicAliasError):
        return None


class RstRoles(griffe.Extension):
    """Rewrite roles and citations of every docstring in the package."""

    def on_package(self, *, pkg: griffe.Module, loader: griffe.GriffeLoader, **kwargs: Any) -> None:
        self.pkg = pkg
        self.public: dict[str, str] = {}
        for path in DOCUMENTED:
            module = self._lookup(path)
            if module is None:
                continue
            self.public[path] = path
            for name in module.exports or ():
                member = _final(module.members.get(str(name)))
                if member is None or not member.docstring:
                    continue
                canonical = member.path
                # An object exported by several modules links to the module defining it.
                if canonical not in self.public or canonical.startswith(path + "."):
                    self.public[canonical] = f"{path}.{name}"
        self._seen: set[str] = set()
        self._rewrite(pkg)

    def _lookup(self, path: str) -> Any:
        parts = path.split(".")
        if parts[0] != self.pkg.name:
            return None
        obj: Any = self.pkg
        for part in parts[1:]:
            obj = _final(obj)
            if obj is None or part not in obj.members:
                return None
            obj = obj.members[part]
        return _final(obj)

    def _public_path(self, obj: Any) -> str | None:
        """Where ``obj`` is rendered in the reference, or None."""
        if obj.path in self.public:
            return self.public[obj.path]
        parent = obj.parent
        if parent is None or obj.name.startswith("_") or not obj.docstring or obj.is_module:
            return None
        owner = self._public_path(parent) if parent.is_class else None
        return f"{owner}.{obj.name}" if owner else None

    def _resolve(self, target: str, context: Any) -> str | None:
        target = target.strip().removesuffix("()")
        scope = context
        while scope is not None:
            found = self._lookup(f"{scope.path}.{target}")
            if found is not None:
                return self._public_path(found)
            scope = scope.parent
        found = self._lookup(target)
        return self._public_path(found) if found is not None else None

    def _replace(self, match: re.Match[str], context: Any) -> str:
        role, tilde, target = match.groups()
        shown = target.strip().removesuffix("()")
        if tilde:
            shown = shown.rsplit(".", 1)[-1]
        if role in ("func", "meth"):
            shown += "()"
        where = self._resolve(target, context)
        return f"[`{shown}`][{where}]" if where else f"`{shown}`"

    def _rewrite(self, obj: Any) -> None:
        # Walk every object once; ``from netstats import survival`` makes aliases of
        # subpackages, so members are followed to their targets inside the package.
        obj = _final(obj)
        if obj is None or obj.path in self._seen or obj.package is not self.pkg:
            return
        self._seen.add(obj.path)
        if obj.docstring is not None:
            context = obj if (obj.is_class or obj.is_module) else obj.parent
            text = ROLE.sub(lambda m: self._replace(m, context), obj.docstring.value)
            text = CITATION_DEF.sub(r"\1- [\2] ", text)
            obj.docstring.value = CITATION_REF.sub(r"[\1]", text)
        for member in obj.members.values():
            self._rewrite(member)

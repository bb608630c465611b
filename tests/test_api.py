"""The public API: listed in docs/api.md, documented, with runnable Examples everywhere."""

from __future__ import annotations

import doctest
import inspect
import re
from pathlib import Path

import pytest

from netstats._api import api_markdown, public_api

ROOT = Path(__file__).resolve().parents[1]
ENTRIES = public_api()
OWN = [e for e in ENTRIES if not e.is_reexport and e.kind != "module"]
CALLABLES = {
    e.home: e for e in OWN if e.kind in ("function", "class", "exception")
}  # one per object


def _object(home: str) -> object:
    import importlib

    module, name = home.rsplit(".", 1)
    return getattr(importlib.import_module(module), name)


def test_docs_api_md_is_up_to_date() -> None:
    current = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    assert current == api_markdown(), "docs/api.md is stale: run `make api-docs`"


def test_the_list_covers_every_module_and_name() -> None:
    modules = {e.module for e in ENTRIES}
    assert {"netstats", "netstats.survival", "netstats.grading", "netstats.sstr"} <= modules
    assert len(CALLABLES) > 150
    # one line per exported name
    text = api_markdown()
    assert sum(line.startswith("- `") for line in text.splitlines()) == len(ENTRIES)


@pytest.mark.parametrize("entry", OWN, ids=lambda e: e.home)
def test_every_public_name_has_a_summary(entry) -> None:
    assert entry.summary and not entry.summary.endswith(":"), entry.home


@pytest.mark.parametrize("home", sorted(CALLABLES))
def test_every_public_function_and_class_has_runnable_examples(home: str) -> None:
    obj = _object(home)
    doc = inspect.getdoc(obj) or ""
    match = re.search(r"^Examples\n-{8}\n(.*?)(?=^\S[^\n]*\n-{3,}\n|\Z)", doc, re.S | re.M)
    assert match, f"{home}: no numpydoc Examples section"
    # the section parses as a doctest with at least one example, none of them skipped
    test = doctest.DocTestParser().get_doctest(match.group(1), {}, home, None, 0)
    assert test.examples, f"{home}: Examples section without >>> lines"
    skipped = [ex.source for ex in test.examples if ex.options.get(doctest.SKIP)]
    assert not skipped, f"{home}: skipped examples {skipped}"

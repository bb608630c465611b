"""Doctest set-up for the package's docstring Examples (``pytest`` collects ``netstats/``).

Examples run headless (matplotlib's Agg backend, figures closed after each) and without
progress bars, whatever the terminal.
"""

from __future__ import annotations

import os
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")

#: Examples that run longer than the quick suite allows (they start a Jupyter kernel);
#: they run with the slow tests (``make test-slow``).
SLOW_DOCTESTS = {"netstats.report._render.render"}


_TESTS = Path(__file__).resolve().parent / "tests"


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """Under tests/, collect test files only.

    ``--doctest-modules`` (meant for ``netstats/``) would otherwise import every ``.py`` file
    under ``tests/`` too, among them report notebooks and generator scripts kept as test
    data, which run when imported.
    """
    path = Path(collection_path)
    is_test = path.name.startswith("test_") or path.name == "conftest.py"
    if path.suffix == ".py" and not is_test and _TESTS in path.resolve().parents:
        return True
    return None


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if isinstance(item, pytest.DoctestItem) and item.name in SLOW_DOCTESTS:
            item.add_marker(pytest.mark.slow)


@pytest.fixture(autouse=True)
def _doctest_environment(request: pytest.FixtureRequest) -> object:
    """Close figures after each doctest and keep its output free of progress bars."""
    if not isinstance(request.node, pytest.DoctestItem):
        yield None
        return
    import matplotlib.pyplot as plt

    old = os.environ.get("TQDM_DISABLE")
    os.environ["TQDM_DISABLE"] = "1"
    try:
        yield None
    finally:
        plt.close("all")
        if old is None:
            os.environ.pop("TQDM_DISABLE", None)
        else:
            os.environ["TQDM_DISABLE"] = old

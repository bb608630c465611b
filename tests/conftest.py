"""Shared fixtures. Seeds are fixed: every random test is reproducible."""

from __future__ import annotations

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")


@pytest.fixture
def rng() -> np.random.Generator:
    """A seeded generator; tests that need randomness take it from here."""
    return np.random.default_rng(20261122)


@pytest.fixture
def close_figures():
    """Close every matplotlib figure a plotting test opened."""
    import matplotlib.pyplot as plt

    yield
    plt.close("all")

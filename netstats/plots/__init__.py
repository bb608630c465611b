"""Figures drawn from finished netstats results; every function returns matplotlib Axes.

matplotlib is imported inside the plotting functions, so importing this package (or
netstats) does not load it.
"""

from __future__ import annotations

from netstats.plots._km import cumulative_incidence, km

__all__ = ["cumulative_incidence", "km"]

"""Figures drawn from finished netstats results; matplotlib is imported inside functions."""

"""The single place the netstats version is defined."""

__version__ = "0.1.0.dev0"

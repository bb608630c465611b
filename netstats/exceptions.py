"""Exceptions and warnings raised by netstats.

All errors derive from :class:`NetstatsError`, so callers can catch everything the
package raises on purpose with one ``except`` clause, and each also derives from the
built-in exception a Python user would expect (``ValueError`` for bad values).
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "CohortValidationError",
    "ConvergenceError",
    "NetstatsError",
    "NotFittedError",
    "SchemaError",
    "StatisticalWarning",
]


class NetstatsError(Exception):
    """Base class for every error netstats raises deliberately."""


class SchemaError(NetstatsError, ValueError):
    """A table does not follow the netstats data model (wrong columns, types or values)."""


class CohortValidationError(SchemaError):
    """A cohort failed validation.

    Parameters
    ----------
    message : str
        Readable summary of every problem found.
    problems : pandas.DataFrame
        One row per problem with columns ``table``, ``row``, ``column``, ``value``,
        ``rule``, ``severity`` and ``message``.
    """

    def __init__(self, message: str, problems: Any = None) -> None:
        super().__init__(message)
        self.problems = problems


class ConvergenceError(NetstatsError, RuntimeError):
    """A model fit did not converge (e.g. perfect separation in a Cox model)."""


class NotFittedError(NetstatsError, ValueError, AttributeError):
    """An estimator was used before ``fit`` (mirrors scikit-learn's exception)."""


class StatisticalWarning(UserWarning):
    """A result is fragile: few events, a median not reached, a sparse tail, PH violated."""

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
    """Base class for every error netstats raises deliberately.

    Examples
    --------
    >>> import netstats
    >>> issubclass(netstats.SchemaError, netstats.NetstatsError)
    True
    >>> import pandas as pd
    >>> try:
    ...     netstats.survival.check_survival_data(pd.DataFrame({"time": [-1.0], "event": [1]}))
    ... except netstats.NetstatsError as exc:
    ...     print(type(exc).__name__)
    SchemaError
    """


class SchemaError(NetstatsError, ValueError):
    """A table does not follow the netstats data model (wrong columns, types or values).

    Examples
    --------
    >>> import pandas as pd
    >>> from netstats.survival import check_survival_data
    >>> check_survival_data(pd.DataFrame({"time": [1.0, -2.0], "event": [1, 0]}))
    Traceback (most recent call last):
    ...
    netstats.exceptions.SchemaError: ...
    """


class CohortValidationError(SchemaError):
    """A cohort failed validation.

    Parameters
    ----------
    message : str
        Readable summary of every problem found.
    problems : pandas.DataFrame
        One row per problem with columns ``table``, ``row``, ``column``, ``value``,
        ``rule``, ``severity`` and ``message``.

    Examples
    --------
    >>> import pandas as pd
    >>> from netstats import Cohort, CohortValidationError
    >>> patients = pd.DataFrame({"patient_id": ["001"], "diagnosis_date": ["2019-05-02"],
    ...                          "last_contact_date": ["2018-01-10"], "age_at_diagnosis": [61]})
    >>> try:
    ...     Cohort.from_tables(patients)
    ... except CohortValidationError as exc:
    ...     print(exc.problems[["table", "column", "rule"]].to_string(index=False))
       table            column ...
    patients ...
    """

    def __init__(self, message: str, problems: Any = None) -> None:
        super().__init__(message)
        self.problems = problems


class ConvergenceError(NetstatsError, RuntimeError):
    """A model fit did not converge (e.g. perfect separation in a Cox model).

    Examples
    --------
    >>> import pandas as pd
    >>> from netstats import ConvergenceError
    >>> from netstats.survival import cox
    >>> df = pd.DataFrame({"time": range(1, 13), "event": 1, "x": [1] * 6 + [0] * 6})
    >>> try:  # every x = 1 fails before any x = 0: perfect separation
    ...     cox(df, "x", time="time", event="event")
    ... except ConvergenceError as exc:
    ...     print("perfect separation" in str(exc))
    True
    """


class NotFittedError(NetstatsError, ValueError, AttributeError):
    """An estimator was used before ``fit`` (mirrors scikit-learn's exception).

    Examples
    --------
    >>> from netstats import NotFittedError
    >>> issubclass(NotFittedError, AttributeError) and issubclass(NotFittedError, ValueError)
    True
    """


class StatisticalWarning(UserWarning):
    """A result is fragile: few events, a median not reached, a sparse tail, PH violated.

    Examples
    --------
    >>> import warnings
    >>> import pandas as pd
    >>> from netstats import StatisticalWarning
    >>> from netstats.survival import kaplan_meier
    >>> fit = kaplan_meier(pd.DataFrame({"time": [2.0, 4, 6], "event": [1, 0, 0]}))
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     medians = fit.median()
    >>> caught[0].category is StatisticalWarning
    True
    """

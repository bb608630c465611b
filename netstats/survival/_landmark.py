"""Landmark analysis: restart the clock at a landmark among those still at risk."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from netstats._display import ResultDisplay
from netstats.exceptions import SchemaError
from netstats.survival._checks import check_survival_data

__all__ = ["LandmarkResult", "landmark"]


@dataclass(frozen=True, repr=False)
class LandmarkResult(ResultDisplay):
    """Result of :func:`landmark`.

    Attributes
    ----------
    data : pandas.DataFrame
        The rows still at risk at the landmark (original index kept), with the time column
        reset to time since the landmark (months), the original time in
        ``<time>_from_origin`` and, when ``status_time`` was given, the status at the
        landmark in ``<status_time>_by_landmark`` (bool).
    summary : pandas.DataFrame
        The row accounting: ``reason`` and ``n_rows``: "kept (at risk at landmark)",
        "excluded: event at or before landmark", "excluded: censored at or before landmark".
    landmark_time : float
        Landmark in months.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"time": [2.0, 4, 6, 9, 12, 3, 5, 7, 8, 15],
    ...                    "event": [1, 1, 0, 1, 0, 1, 1, 1, 0, 1],
    ...                    "arm": ["<a>"] * 5 + ["b"] * 5})
    >>> from netstats.survival import landmark
    >>> lm = landmark(df, landmark_time=4.0)
    >>> lm
    LandmarkResult
    Landmark at 4 months: 7 of 10 rows at risk kept, 3 excluded; time reset to time since the landmark
                                      reason  n_rows
                  kept (at risk at landmark)       7
       excluded: event at or before landmark       3
    excluded: censored at or before landmark       0
    >>> float(lm.to_frame()["time"].min())  # months since the landmark
    1.0
    """

    data: pd.DataFrame = field(repr=False)
    summary: pd.DataFrame = field(repr=False)
    landmark_time: float

    @property
    def method(self) -> str:
        """One-line description (landmark time, rows kept and excluded)."""
        kept = int(self.summary["n_rows"].iloc[0])
        total = int(self.summary["n_rows"].sum())
        return (
            f"Landmark at {self.landmark_time:g} months: {kept} of {total} rows at risk kept, "
            f"{total - kept} excluded; time reset to time since the landmark"
        )

    def to_frame(self) -> pd.DataFrame:
        """Return a copy of :attr:`data`."""
        return self.data.copy()

    def _display_frame(self) -> pd.DataFrame:
        return self.summary


def landmark(
    data: pd.DataFrame,
    *,
    landmark_time: float,
    time: str = "time",
    event: str = "event",
    status_time: str | None = None,
) -> LandmarkResult:
    """Keep the rows at risk at a landmark and measure time from the landmark.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per subject; not modified.
    landmark_time : float
        Landmark in months (>= 0), e.g. 6 months after the start of a line of therapy.
    time : str, default="time"
        Follow-up time in months from the time origin.
    event : str, default="event"
        Event indicator (bool or 0/1).
    status_time : str or None, default=None
        Column with the time (months from origin) at which a time-dependent status, such as
        an objective response, was reached; missing when never reached. The status at the
        landmark (reached at or before it) is added as ``<status_time>_by_landmark`` and is
        the only valid way to group by it.

    Returns
    -------
    LandmarkResult
        ``data`` (kept rows, time reset) and ``summary`` (counts kept and excluded by
        reason); see :class:`LandmarkResult`.

    Raises
    ------
    netstats.exceptions.SchemaError
        Invalid columns, or negative ``status_time`` values.
    ValueError, TypeError
        Invalid ``landmark_time``.

    Notes
    -----
    Comparing groups defined by something that happens during follow-up (responders versus
    non-responders) from the time origin gives the responders credit for the time they had
    to survive to respond ("immortal time"), which biases the comparison in their favour.
    The landmark method fixes the groups at a landmark: only those still at risk then
    (time > landmark) enter, grouped by their status at the landmark, and follow-up is
    counted from the landmark. Those who had the event or were censored at or before the
    landmark are excluded and counted, never silently dropped.

    References
    ----------
    Anderson JR, Cain KC, Gelber RD (1983). Analysis of survival by tumor response.
    J Clin Oncol 1:710-719. Dafni U (2011). Landmark analysis at the 25-year landmark point.
    Circ Cardiovasc Qual Outcomes 4:363-371.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"time": [2.0, 8.0, 10.0, 5.0], "event": [1, 1, 0, 0],
    ...                    "response_time": [None, 3.0, 7.0, None]})
    >>> lm = landmark(df, landmark_time=6.0, status_time="response_time")
    >>> lm.data[["time", "response_time_by_landmark"]].values.tolist()
    [[2.0, True], [4.0, False]]
    >>> lm.summary["n_rows"].tolist()
    [2, 1, 1]
    """
    if isinstance(landmark_time, bool) or not isinstance(
        landmark_time, int | float | np.integer | np.floating
    ):
        raise TypeError(
            f"landmark_time must be a number (months), got {type(landmark_time).__name__}"
        )
    if not np.isfinite(landmark_time) or landmark_time < 0:
        raise ValueError(f"landmark_time must be finite and >= 0, got {landmark_time!r}")
    clean = check_survival_data(data, time=time, event=event)
    lm = float(landmark_time)
    kept = clean.time > lm
    out = data.loc[kept].copy()
    out[f"{time}_from_origin"] = out[time]
    out[time] = clean.time[kept] - lm
    if status_time is not None:
        if status_time not in data.columns:
            raise SchemaError(f"status_time column {status_time!r} not found")
        st = pd.to_numeric(data[status_time], errors="coerce")
        bad = (data[status_time].notna() & st.isna()) | (st < 0)
        if bad.any():
            raise SchemaError(
                f"{status_time}: {int(bad.sum())} values are not times >= 0 "
                f"(rows {list(data.index[bad.to_numpy()][:5])}); leave missing when never reached"
            )
        out[f"{status_time}_by_landmark"] = (st[kept] <= lm).fillna(False).to_numpy(dtype=bool)
    early = ~kept
    summary = pd.DataFrame(
        {
            "reason": [
                "kept (at risk at landmark)",
                "excluded: event at or before landmark",
                "excluded: censored at or before landmark",
            ],
            "n_rows": [
                int(kept.sum()),
                int((early & clean.event).sum()),
                int((early & ~clean.event).sum()),
            ],
        }
    )
    return LandmarkResult(data=out, summary=summary, landmark_time=lm)

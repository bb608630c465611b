"""What a disclosure-safe survival figure draws: the steps, the end of each curve, the risk table.

Pure functions of finished results (no matplotlib), so tests and output checkers can verify
exactly what a figure shows:

- :func:`km_steps` and :func:`cif_steps` return the drawn points of every curve. With a
  threshold ``k`` consecutive event times are joined until at least ``k`` events have
  accumulated, and only then is a step drawn, at the estimate of the result at that time (so
  the drawing is exact at every drawn point, and no step can be inverted to a count below
  ``k``); a curve ends where fewer than ``k`` remain at risk.
- :func:`risk_cells` formats a number-at-risk table: counts 1..k-1 read ``"<k"``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:  # pragma: no cover
    from netstats.survival import CumulativeIncidenceResult, KaplanMeierResult

__all__ = ["cif_steps", "curve_note", "km_steps", "risk_cell", "risk_cells"]

STEP_COLUMNS = [
    "group",
    "kind",
    "time",
    "estimate",
    "ci_lower",
    "ci_upper",
    "n_at_risk",
    "n_events",
]


def _check_threshold(threshold: int) -> int:
    if isinstance(threshold, bool) or not isinstance(threshold, (int, np.integer)):
        raise TypeError(f"threshold must be an integer >= 0, got {threshold!r}")
    if threshold < 0:
        raise ValueError(f"threshold must be >= 0, got {threshold}")
    return int(threshold)


def _curve(sub: pd.DataFrame, value: str, start: float, k: int) -> list[dict[str, Any]]:
    """Drawn points of one curve: start, merged steps, end (empty: not drawn)."""
    k_eff = max(k, 1)
    times = sub["time"].to_numpy(dtype=float)
    risk = sub["n_at_risk"].to_numpy(dtype=np.int64)
    events = sub["n_events"].to_numpy(dtype=np.int64)
    est = sub[value].to_numpy(dtype=float)
    lo = sub["ci_lower"].to_numpy(dtype=float)
    hi = sub["ci_upper"].to_numpy(dtype=float)
    if times.size == 0 or risk[0] < k_eff:
        return []
    low = np.nonzero(risk < k_eff)[0]
    last = int(low[0]) - 1 if low.size else times.size - 1  # last row with >= k at risk
    rows = [
        {
            "kind": "start",
            "time": 0.0,
            "estimate": start,
            "ci_lower": start,
            "ci_upper": start,
            "n_at_risk": int(risk[0]),
            "n_events": 0,
        }
    ]
    pending = 0
    first_pending: int | None = None
    for i in range(last + 1):
        if events[i] <= 0:
            continue
        if first_pending is None:
            first_pending = i
        pending += int(events[i])
        if pending >= k_eff:
            rows.append(
                {
                    "kind": "step",
                    "time": float(times[i]),
                    "estimate": float(est[i]),
                    "ci_lower": float(lo[i]),
                    "ci_upper": float(hi[i]),
                    "n_at_risk": int(risk[i]),
                    "n_events": pending,
                }
            )
            pending, first_pending = 0, None
    # the flat stretch after the last drawn step is exact up to the next (undrawn) event
    end = first_pending if first_pending is not None else last
    prev = rows[-1]
    rows.append(
        {
            **prev,
            "kind": "end",
            "time": max(float(times[end]), prev["time"]),
            "n_at_risk": int(risk[end]),
            "n_events": 0,
        }
    )
    return rows


def km_steps(result: KaplanMeierResult, threshold: int = 0) -> pd.DataFrame:
    """The points a Kaplan-Meier figure draws, safe at ``threshold``.

    Parameters
    ----------
    result : KaplanMeierResult
        From :func:`netstats.survival.kaplan_meier`.
    threshold : int, default=0
        Smallest count that may be shown (the report's suppression threshold); 0 or 1 draws
        every event time.

    Returns
    -------
    pandas.DataFrame
        One row per drawn point: ``group``; ``kind`` ("start" at time 0, "step" where the
        curve drops, "end" where it stops); ``time`` (months); ``estimate`` (survival),
        ``ci_lower``, ``ci_upper`` (the result's values at ``time`` for "step" rows, the last
        step's for "end"); ``n_at_risk`` at ``time``; ``n_events`` joined into the step (>=
        ``threshold`` on every "step" row). A group with fewer than ``threshold`` at the
        start has no rows.

    Notes
    -----
    Consecutive event times are joined until at least ``threshold`` events have accumulated;
    the step is drawn at the last of them, with the Kaplan-Meier estimate there, so every
    drawn point is exact and no single step stands for fewer than ``threshold`` events. Events
    left over at the end are not drawn: the curve stops at the first of them (it is exact up
    to there), or where fewer than ``threshold`` remain at risk.

    Examples
    --------
    >>> import pandas as pd
    >>> from netstats.survival import kaplan_meier
    >>> df = pd.DataFrame({"time": [1.0, 2, 3, 4, 5, 6, 7, 8], "event": [1] * 8})
    >>> km_steps(kaplan_meier(df), threshold=3)[["kind", "time", "estimate", "n_events"]]
        kind  time  estimate  n_events
    0  start   0.0     1.000         0
    1   step   3.0     0.625         3
    2   step   6.0     0.250         3
    3    end   6.0     0.250         0
    """
    k = _check_threshold(threshold)
    parts = []
    s = result.summary
    for g in result.groups:
        rows = _curve(s[s["group"] == g], "survival", 1.0, k)
        if rows:
            parts.append(pd.DataFrame(rows).assign(group=g))
    if not parts:
        return pd.DataFrame(columns=STEP_COLUMNS)
    return pd.concat(parts, ignore_index=True)[STEP_COLUMNS]


def cif_steps(
    result: CumulativeIncidenceResult,
    threshold: int = 0,
    causes: Sequence[object] | None = None,
) -> pd.DataFrame:
    """The points a cumulative-incidence figure draws, safe at ``threshold``.

    Parameters
    ----------
    result : CumulativeIncidenceResult
        From :func:`netstats.survival.cumulative_incidence`.
    threshold : int, default=0
        Smallest count that may be shown.
    causes : sequence or None, default=None
        Causes to include (all when None).

    Returns
    -------
    pandas.DataFrame
        As :func:`km_steps` with a ``cause`` column; ``estimate`` is the cumulative
        incidence and ``n_events`` counts events of that cause.

    Examples
    --------
    >>> import pandas as pd
    >>> from netstats.survival import cumulative_incidence
    >>> df = pd.DataFrame({"time": [1.0, 2, 3, 4, 5, 6], "event": [1, 1, 2, 1, 0, 1]})
    >>> cif_steps(cumulative_incidence(df), threshold=2, causes=[1])[["kind", "time", "n_events"]]
        kind  time  n_events
    0  start   0.0         0
    1   step   2.0         2
    2    end   4.0         0
    """
    k = _check_threshold(threshold)
    chosen = list(result.causes if causes is None else causes)
    s = result.summary
    parts = []
    for g in result.groups:
        for c in chosen:
            rows = _curve(s[(s["group"] == g) & (s["cause"] == c)], "estimate", 0.0, k)
            if rows:
                parts.append(pd.DataFrame(rows).assign(group=g, cause=c))
    cols = ["group", "cause", *STEP_COLUMNS[1:]]
    if not parts:
        return pd.DataFrame(columns=cols)
    return pd.concat(parts, ignore_index=True)[cols]


def risk_cell(n: int, threshold: int = 0, censored: int | None = None) -> str:
    """One number-at-risk cell: ``"<k"`` for 1..k-1, the count otherwise.

    With ``censored`` (the rows censored before this time), a count whose censored
    complement is small (1..k-1) is rounded to a multiple of k, the rule of the landmark
    tables (:meth:`netstats.report.Disclosure.km_at`): group size minus events minus the
    number at risk would otherwise give that small count back.

    Examples
    --------
    >>> [risk_cell(n, 5) for n in (0, 1, 4, 5, 17)]
    ['0', '<5', '<5', '5', '17']
    >>> risk_cell(17, 5, censored=2)
    '15'
    """
    k = _check_threshold(threshold)
    n = int(n)
    if 0 < n < k:
        return f"<{k}"
    if censored is not None and k > 1 and 0 < int(censored) < k:
        return str(int(k * np.round(n / k)))
    return str(n)


def risk_cells(counts: pd.DataFrame, threshold: int = 0) -> pd.DataFrame:
    """The number-at-risk table as shown: ``group``, ``time``, ``n_at_risk``, ``shown``.

    Parameters
    ----------
    counts : DataFrame
        ``group``, ``time`` and ``n_at_risk`` columns (e.g. from ``result.at(times)``).
    threshold : int, default=0
        Smallest count that may be shown.

    Examples
    --------
    >>> import pandas as pd
    >>> counts = pd.DataFrame({"group": "a", "time": [0.0, 12.0, 24.0], "n_at_risk": [20, 3, 0]})
    >>> risk_cells(counts, threshold=5)["shown"].tolist()
    ['20', '<5', '0']
    """
    out = counts[["group", "time", "n_at_risk"]].copy().reset_index(drop=True)
    censored = counts["n_censored"].to_numpy() if "n_censored" in counts else [None] * len(out)
    out["shown"] = [
        risk_cell(n, threshold, c) for n, c in zip(out["n_at_risk"], censored, strict=True)
    ]
    return out


def curve_note(threshold: int, hidden: Sequence[str] = ()) -> str:
    """The note a safe figure carries (empty when ``threshold`` <= 1 and nothing is hidden)."""
    parts = []
    if threshold > 1:
        parts.append(
            f"Each step joins at least {threshold} events; curves stop where fewer than "
            f"{threshold} remain at risk or fewer than {threshold} events are left to join; "
            f"at-risk counts below {threshold} read <{threshold}."
        )
    if hidden:
        parts.append(f"Not drawn (fewer than {max(threshold, 1)} patients): {', '.join(hidden)}.")
    return " ".join(parts)

"""The result of a bootstrap: point estimates, replicates and percentile intervals."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pandas as pd

from netstats._display import ResultDisplay, plural

__all__ = ["BootstrapResult"]


@dataclass(frozen=True, repr=False)
class BootstrapResult(ResultDisplay):
    """Bootstrap replicates of one or more statistics.

    Attributes
    ----------
    statistic : str
        What was resampled, e.g. "KM median" or "Cox log hazard ratio".
    terms : tuple of str
        One name per statistic (column of ``replicates``).
    estimate : numpy.ndarray
        The statistics on the original data, one per term.
    replicates : numpy.ndarray
        ``n_resamples x len(terms)`` array; NaN where a resample gave no value (median
        not reached, Cox fit failed).
    conf_level : float
        Level of the percentile intervals.
    unit : str
        "row" (ordinary bootstrap) or "cluster" (patients resampled with all their rows).
    random_state : int or None
        The seed given (None: fresh entropy).

    Examples
    --------
    >>> import pandas as pd
    >>> from netstats.resample import bootstrap_km_median
    >>> df = pd.DataFrame({"time": [1, 2, 3, 4, 5, 6, 7, 8.0], "event": [1, 1, 0, 1, 1, 0, 1, 1]})
    >>> res = bootstrap_km_median(df, n_resamples=200, random_state=1)
    >>> print(res.method)
    row-level bootstrap of the KM median: 200 resamples, percentile 95% CI, random_state=1
    >>> res.to_frame().shape  # the replicates
    (200, 2)
    """

    statistic: str
    terms: tuple[str, ...]
    estimate: npt.NDArray[np.float64]
    replicates: npt.NDArray[np.float64] = field(repr=False)
    conf_level: float
    unit: str
    random_state: int | None

    @property
    def method(self) -> str:
        """One line describing the bootstrap (unit, resamples, interval, seed)."""
        seed = "" if self.random_state is None else f", random_state={self.random_state}"
        return (
            f"{self.unit}-level bootstrap of the {self.statistic}: "
            f"{plural(self.replicates.shape[0], 'resample')}, percentile {self.conf_level:.0%} "
            f"CI{seed}"
        )

    @property
    def summary(self) -> pd.DataFrame:
        """One row per term.

        Columns: ``term``; ``estimate`` (on the original data; months for a median, log
        hazard ratio for Cox); ``std_err`` (SD of the replicates); ``ci_lower``,
        ``ci_upper`` (percentile interval); ``conf_level``; ``n_resamples``; ``n_failed``
        (resamples without a value, left out of the SE and CI).
        """
        rep = self.replicates
        ok = ~np.isnan(rep)
        tail = (1.0 - self.conf_level) / 2.0
        lo, hi, se = [], [], []
        for j in range(rep.shape[1]):
            r = rep[ok[:, j], j]
            if r.size < 2:
                lo.append(np.nan)
                hi.append(np.nan)
                se.append(np.nan)
                continue
            q = np.quantile(r, [tail, 1.0 - tail])
            lo.append(float(q[0]))
            hi.append(float(q[1]))
            se.append(float(r.std(ddof=1)))
        return pd.DataFrame(
            {
                "term": list(self.terms),
                "estimate": self.estimate,
                "std_err": se,
                "ci_lower": lo,
                "ci_upper": hi,
                "conf_level": self.conf_level,
                "n_resamples": rep.shape[0],
                "n_failed": (~ok).sum(axis=0),
            }
        )

    def to_frame(self) -> pd.DataFrame:
        """The replicates as a DataFrame (``resample`` then one column per term)."""
        out = pd.DataFrame(self.replicates, columns=list(self.terms))
        out.insert(0, "resample", np.arange(len(out)))
        return out

    def _display_frame(self) -> pd.DataFrame:
        return self.summary

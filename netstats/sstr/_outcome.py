"""SSTR positivity rules: which scans count as SSTR-positive, and by what criterion.

Every rule has a short name (``"krenning>=3"``) that is carried into every output, so a
table or model file always says how positivity was defined.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from netstats.vocab import SSTR_TRACERS

__all__ = ["POSITIVITY_RULES", "PositivityRule", "get_rule", "sstr_positive", "sstr_scans"]


@dataclass(frozen=True)
class PositivityRule:
    """A named rule deciding whether an SSTR scan is positive.

    Attributes
    ----------
    name : str
        Short name shown in every output (e.g. ``"krenning>=3"``).
    description : str
        One-line meaning with its source.
    columns : tuple of str
        Imaging columns the rule reads; a scan missing any of them has no outcome.

    Examples
    --------
    >>> import pandas as pd
    >>> from netstats.sstr import get_rule
    >>> rule = get_rule("suvmax>liver")
    >>> rule.columns
    ('suvmax_lesion', 'suvmax_liver')
    >>> scans = pd.DataFrame({"suvmax_lesion": [12.0, 5.0, None], "suvmax_liver": [6.0, 7.0, 6.5]})
    >>> rule(scans).tolist()
    [True, False, <NA>]
    """

    name: str
    description: str
    columns: tuple[str, ...]
    _decide: Callable[[pd.DataFrame], np.ndarray]

    def __call__(self, scans: pd.DataFrame) -> pd.Series:
        """Positivity of each scan as a nullable boolean (``<NA>`` when undeterminable)."""
        missing_cols = [c for c in self.columns if c not in scans.columns]
        if missing_cols:
            raise KeyError(f"rule {self.name!r} needs imaging column(s) {missing_cols}")
        known = scans[list(self.columns)].notna().all(axis=1).to_numpy()
        decided = np.zeros(len(scans), dtype=bool)
        if known.any():
            decided[known] = self._decide(scans.loc[known])
        out = pd.array(decided, dtype="boolean")
        out[~known] = pd.NA
        return pd.Series(out, index=scans.index, name=f"sstr_positive[{self.name}]")


def _krenning_at_least(k: int) -> Callable[[pd.DataFrame], np.ndarray]:
    def decide(s: pd.DataFrame) -> np.ndarray:
        return (s["krenning_score"].astype("float64") >= k).to_numpy()

    return decide


def _lesion_above(reference: str) -> Callable[[pd.DataFrame], np.ndarray]:
    def decide(s: pd.DataFrame) -> np.ndarray:
        return (s["suvmax_lesion"] > s[reference]).to_numpy(dtype=bool)

    return decide


POSITIVITY_RULES: dict[str, PositivityRule] = {
    r.name: r
    for r in (
        PositivityRule(
            "krenning>=3",
            "Krenning score >= 3 (uptake above normal liver): the usual PRRT threshold",
            ("krenning_score",),
            _krenning_at_least(3),
        ),
        PositivityRule(
            "krenning>=2",
            "Krenning score >= 2 (uptake at least equal to normal liver)",
            ("krenning_score",),
            _krenning_at_least(2),
        ),
        PositivityRule(
            "suvmax>liver",
            "SUVmax of the dominant lesion above normal-liver SUVmax",
            ("suvmax_lesion", "suvmax_liver"),
            _lesion_above("suvmax_liver"),
        ),
        PositivityRule(
            "suvmax>spleen",
            "SUVmax of the dominant lesion above normal-spleen SUVmax",
            ("suvmax_lesion", "suvmax_spleen"),
            _lesion_above("suvmax_spleen"),
        ),
    )
}
"""The positivity rules by name.

References: Krenning EP et al. Ann N Y Acad Sci 1994;733:416-24 (the 0-4 visual score);
Hope TA et al. J Nucl Med 2023;64:204-10 (SNMMI procedure standard, Krenning >= 3 for PRRT).
"""


def get_rule(rule: str | PositivityRule) -> PositivityRule:
    """Return the :class:`PositivityRule` called ``rule`` (or ``rule`` itself).

    Parameters
    ----------
    rule : str or PositivityRule
        A name from :data:`POSITIVITY_RULES`, or a rule.

    Returns
    -------
    PositivityRule
        The rule.

    Examples
    --------
    >>> from netstats.sstr import POSITIVITY_RULES, get_rule
    >>> sorted(POSITIVITY_RULES)
    ['krenning>=2', 'krenning>=3', 'suvmax>liver', 'suvmax>spleen']
    >>> print(get_rule("krenning>=3").description)
    Krenning score >= 3 (uptake above normal liver): the usual PRRT threshold
    """
    if isinstance(rule, PositivityRule):
        return rule
    if not isinstance(rule, str):
        raise TypeError(f"rule must be a rule name or PositivityRule, got {type(rule).__name__}")
    try:
        return POSITIVITY_RULES[rule]
    except KeyError:
        raise ValueError(
            f"unknown positivity rule {rule!r}; expected one of {list(POSITIVITY_RULES)}"
        ) from None


def sstr_scans(imaging: pd.DataFrame) -> pd.DataFrame:
    """Select the SSTR scans of an imaging table.

    Parameters
    ----------
    imaging : DataFrame
        The imaging table of a cohort.

    Returns
    -------
    DataFrame
        Rows with a tracer in :data:`netstats.vocab.SSTR_TRACERS`, sorted by patient, date
        and scan id.

    Examples
    --------
    >>> import pandas as pd
    >>> from netstats.sstr import sstr_scans
    >>> imaging = pd.DataFrame({"patient_id": ["P1", "P1"], "scan_id": ["I2", "I1"],
    ...                         "scan_date": pd.to_datetime(["2021-01-01", "2020-01-01"]),
    ...                         "tracer": ["18F-FDG", "68Ga-DOTATATE"]})
    >>> sstr_scans(imaging)["scan_id"].tolist()  # the FDG scan is not an SSTR scan
    ['I1']
    """
    out = imaging.loc[imaging["tracer"].isin(SSTR_TRACERS)]
    return out.sort_values(["patient_id", "scan_date", "scan_id"], kind="mergesort")


def sstr_positive(scans: pd.DataFrame, *, rule: str | PositivityRule = "krenning>=3") -> pd.Series:
    """Positivity of each SSTR scan by a named rule.

    Parameters
    ----------
    scans : DataFrame
        Rows of the imaging table (SSTR tracers).
    rule : str or PositivityRule, default="krenning>=3"
        One of :data:`POSITIVITY_RULES`: ``"krenning>=3"``, ``"krenning>=2"``,
        ``"suvmax>liver"``, ``"suvmax>spleen"``.

    Returns
    -------
    Series
        Nullable boolean aligned with ``scans``, named ``sstr_positive[<rule>]``; ``<NA>``
        where a column the rule needs is missing.

    Examples
    --------
    >>> import pandas as pd
    >>> scans = pd.DataFrame({"krenning_score": pd.array([1, 3, None], dtype="Int64")})
    >>> sstr_positive(scans).tolist()
    [False, True, <NA>]
    """
    return get_rule(rule)(scans)

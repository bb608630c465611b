"""Events and patients needed for a log-rank / Cox comparison of two arms (closed forms)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from scipy.stats import norm

from netstats._display import ResultDisplay, plural

__all__ = ["SampleSizeResult", "event_probability", "power_survival", "sample_size_survival"]

Method = Literal["schoenfeld", "freedman"]


def _check(hazard_ratio: float, sig_level: float, allocation: float, method: str) -> None:
    if not (np.isfinite(hazard_ratio) and hazard_ratio > 0 and hazard_ratio != 1):
        raise ValueError(f"hazard_ratio must be positive and not 1, got {hazard_ratio}")
    if not 0 < sig_level < 1:
        raise ValueError(f"sig_level must be in (0, 1), got {sig_level}")
    if not 0 < allocation < 1:
        raise ValueError(f"allocation must be in (0, 1), got {allocation}")
    if method not in ("schoenfeld", "freedman"):
        raise ValueError(f"method must be 'schoenfeld' or 'freedman', got {method!r}")


def _effect(hazard_ratio: float, allocation: float, method: str) -> float:
    """Standardised effect per event: the drift of the log-rank z statistic is sqrt(d) * this."""
    pi = allocation
    if method == "schoenfeld":
        return math.sqrt(pi * (1 - pi)) * abs(math.log(hazard_ratio))
    return math.sqrt(pi * (1 - pi)) * abs(hazard_ratio - 1) / (pi * hazard_ratio + 1 - pi)


def event_probability(*, hazard: float, accrual: float, follow_up: float) -> float:
    """Probability that a patient has the event by the final analysis.

    Parameters
    ----------
    hazard : float
        Constant (exponential) event hazard per month (``log(2) / median``).
    accrual : float
        Accrual period in months; entry is uniform over it (0: everyone enters at once).
    follow_up : float
        Minimum follow-up in months: time from the last entry to the analysis.

    Returns
    -------
    float
        ``1 - (exp(-h f) - exp(-h (a + f))) / (h a)``; ``1 - exp(-h f)`` when ``a = 0``.

    Notes
    -----
    Exponential survival, uniform accrual, no drop-out: the integral Schoenfeld (1983)
    approximates with Simpson's rule, done exactly.

    References
    ----------
    Schoenfeld DA (1983). Sample-size formula for the proportional-hazards regression
    model. Biometrics 39:499-503.
    Collett D (2015). Modelling Survival Data in Medical Research, 3rd ed., sec. 10.4.

    Examples
    --------
    >>> from math import log
    >>> round(event_probability(hazard=log(2) / 12, accrual=24, follow_up=12), 6)
    0.729495
    """
    if not (np.isfinite(hazard) and hazard > 0):
        raise ValueError(f"hazard must be positive, got {hazard}")
    if not (np.isfinite(accrual) and accrual >= 0):
        raise ValueError(f"accrual must be >= 0 months, got {accrual}")
    if not (np.isfinite(follow_up) and follow_up >= 0) or accrual + follow_up == 0:
        raise ValueError(
            f"follow_up must be >= 0 months (and accrual + follow_up > 0), got {follow_up}"
        )
    if accrual == 0:
        return float(-math.expm1(-hazard * follow_up))
    tail = math.exp(-hazard * follow_up) * -math.expm1(-hazard * accrual)
    return float(1.0 - tail / (hazard * accrual))


def power_survival(
    hazard_ratio: float,
    *,
    n_events: float,
    sig_level: float = 0.05,
    allocation: float = 0.5,
    method: Method = "schoenfeld",
) -> float:
    """Power of the two-sided log-rank test (or Cox Wald test) given the number of events.

    Parameters
    ----------
    hazard_ratio : float
        Hazard ratio, experimental / control arm.
    n_events : float
        Number of events at the analysis (both arms).
    sig_level : float, default=0.05
        Two-sided significance level.
    allocation : float, default=0.5
        Share of patients in the experimental arm.
    method : {"schoenfeld", "freedman"}, default="schoenfeld"
        Schoenfeld's log-hazard-ratio or Freedman's hazard-ratio approximation.

    Returns
    -------
    float
        ``Phi(sqrt(d) * effect - z_{1 - sig_level/2})`` (the far rejection tail ignored).

    References
    ----------
    Schoenfeld DA (1981). The asymptotic properties of nonparametric tests for comparing
    survival distributions. Biometrika 68:316-319.
    Freedman LS (1982). Tables of the number of patients required in clinical trials using
    the logrank test. Stat Med 1:121-129.

    Examples
    --------
    >>> round(power_survival(0.5, n_events=88, sig_level=0.05), 3)
    0.902
    """
    _check(hazard_ratio, sig_level, allocation, method)
    if not n_events > 0:
        raise ValueError(f"n_events must be positive, got {n_events}")
    drift = math.sqrt(n_events) * _effect(hazard_ratio, allocation, method)
    return float(norm.cdf(drift - norm.ppf(1 - sig_level / 2)))


@dataclass(frozen=True, repr=False)
class SampleSizeResult(ResultDisplay):
    """Events and patients for a two-arm survival comparison (see :func:`sample_size_survival`).

    ``formula`` is ``"schoenfeld"`` or ``"freedman"`` (the ``method`` argument);
    :attr:`method` is the one-line description.

    Examples
    --------
    >>> from netstats.design import sample_size_survival
    >>> sample_size_survival(0.5, power=0.9, control_median=12, accrual=24, follow_up=12)
    SampleSizeResult
    Schoenfeld formula, two-sided log-rank test at 0.05, power 0.9, HR 0.5, 50% experimental: 88 events, 145 patients
                       value
    formula       schoenfeld
    hazard_ratio         0.5
    power                0.9
    sig_level           0.05
    allocation           0.5
    events_exact       87.48
    n_events              88
    p_event           0.6097
    n_patients           145
    """

    formula: str
    hazard_ratio: float
    power: float
    sig_level: float
    allocation: float
    events_exact: float
    n_events: int
    p_event: float
    n_patients: int | None

    @property
    def summary(self) -> pd.DataFrame:
        """One row: ``formula``, ``hazard_ratio``, ``power``, ``sig_level``, ``allocation``,
        ``events_exact`` (unrounded), ``n_events``, ``p_event`` (NaN without accrual
        assumptions), ``n_patients`` (missing without accrual assumptions)."""
        row = {k: getattr(self, k) for k in self.__dataclass_fields__}
        out = pd.DataFrame([row])
        out["n_patients"] = out["n_patients"].astype("Int64")
        return out

    @property
    def method(self) -> str:
        """One-line description (formula, design parameters, events and patients)."""
        pts = "" if self.n_patients is None else f", {plural(self.n_patients, 'patient')}"
        return (
            f"{self.formula.capitalize()} formula, two-sided log-rank test at {self.sig_level:g}, "
            f"power {self.power:g}, HR {self.hazard_ratio:g}, {self.allocation:.0%} "
            f"experimental: {plural(self.n_events, 'event')}{pts}"
        )

    def to_frame(self) -> pd.DataFrame:
        """Same as :attr:`summary`."""
        return self.summary


def sample_size_survival(
    hazard_ratio: float,
    *,
    power: float = 0.8,
    sig_level: float = 0.05,
    allocation: float = 0.5,
    method: Method = "schoenfeld",
    control_median: float | None = None,
    accrual: float | None = None,
    follow_up: float | None = None,
) -> SampleSizeResult:
    """Events (and patients) needed to detect a hazard ratio with the log-rank test.

    Parameters
    ----------
    hazard_ratio : float
        Hazard ratio to detect, experimental / control (< 1: experimental arm better).
    power : float, default=0.8
        Required power.
    sig_level : float, default=0.05
        Two-sided significance level.
    allocation : float, default=0.5
        Share of patients in the experimental arm.
    method : {"schoenfeld", "freedman"}, default="schoenfeld"
        ``d = (z_a + z_b)^2 / (pi (1 - pi) log(HR)^2)`` (Schoenfeld) or
        ``d = (z_a + z_b)^2 (pi HR + 1 - pi)^2 / (pi (1 - pi) (HR - 1)^2)`` (Freedman).
    control_median, accrual, follow_up : float or None, default=None
        Median survival in the control arm, accrual period and minimum follow-up (months).
        Give all three to convert events to patients under exponential survival with
        uniform accrual (:func:`event_probability`, averaged over the arms).

    Returns
    -------
    SampleSizeResult
        ``n_events = ceil(d)``; ``n_patients = ceil(n_events / p_event)``.

    Notes
    -----
    Both formulas are large-sample approximations for the two-sided test at level
    ``sig_level``; Freedman's is more conservative for hazard ratios far from 1.

    References
    ----------
    Schoenfeld DA (1983). Sample-size formula for the proportional-hazards regression
    model. Biometrics 39:499-503.
    Freedman LS (1982). Tables of the number of patients required in clinical trials using
    the logrank test. Stat Med 1:121-129.
    Collett D (2015). Modelling Survival Data in Medical Research, 3rd ed., ch. 10.

    Examples
    --------
    >>> sample_size_survival(0.5, power=0.9).n_events
    88
    >>> res = sample_size_survival(0.5, power=0.9, control_median=12, accrual=24, follow_up=12)
    >>> res.n_patients
    145
    """
    _check(hazard_ratio, sig_level, allocation, method)
    if not 0 < power < 1:
        raise ValueError(f"power must be in (0, 1), got {power}")
    z = norm.ppf(1 - sig_level / 2) + norm.ppf(power)
    events = float(z**2 / _effect(hazard_ratio, allocation, method) ** 2)
    n_events = math.ceil(events - 1e-9)
    given = [v is not None for v in (control_median, accrual, follow_up)]
    p_event = math.nan
    n_patients = None
    if any(given):
        if not all(given):
            raise ValueError("give control_median, accrual and follow_up together (or none)")
        if not control_median > 0:  # type: ignore[operator]
            raise ValueError(f"control_median must be positive, got {control_median}")
        h_c = math.log(2) / control_median  # type: ignore[operator]
        p_c = event_probability(hazard=h_c, accrual=accrual, follow_up=follow_up)  # type: ignore[arg-type]
        p_e = event_probability(hazard=h_c * hazard_ratio, accrual=accrual, follow_up=follow_up)  # type: ignore[arg-type]
        p_event = (1 - allocation) * p_c + allocation * p_e
        n_patients = math.ceil(n_events / p_event - 1e-9)
    return SampleSizeResult(
        formula=method,
        hazard_ratio=hazard_ratio,
        power=power,
        sig_level=sig_level,
        allocation=allocation,
        events_exact=events,
        n_events=n_events,
        p_event=p_event,
        n_patients=n_patients,
    )

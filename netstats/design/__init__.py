"""Trial design for time-to-event endpoints: closed-form and simulated sample size and power.

Closed forms (Schoenfeld, Freedman) give the events needed for a two-sided log-rank/Cox
test and convert them to patients under exponential survival with uniform accrual;
:func:`simulate_power` checks a design by simulating it, on joblib or a Dask cluster:
an exponential two-arm trial (:class:`ExponentialTrial`) or an SSTR re-expression trial
whose patients come from the synthetic cohort generator (:class:`ReexpressionTrial`).
"""

from __future__ import annotations

from netstats.design._formulas import (
    SampleSizeResult,
    event_probability,
    power_survival,
    sample_size_survival,
)
from netstats.design._reexpression import ReexpressionTrial
from netstats.design._simulate import ExponentialTrial, PowerResult, simulate_power

__all__ = [
    "ExponentialTrial",
    "PowerResult",
    "ReexpressionTrial",
    "SampleSizeResult",
    "event_probability",
    "power_survival",
    "sample_size_survival",
    "simulate_power",
]

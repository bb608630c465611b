"""Simulation-based power: repeat a trial many times and count rejections."""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.stats import norm

from netstats._display import ResultDisplay, plural
from netstats.exceptions import StatisticalWarning
from netstats.resample._executor import (
    block_seeds,
    block_sizes,
    check_backend,
    check_random_state,
    run_blocks,
)
from netstats.survival import logrank

__all__ = ["ExponentialTrial", "PowerResult", "simulate_power"]


@dataclass(frozen=True)
class ExponentialTrial:
    """A two-arm trial: exponential survival, uniform accrual, analysed by the log-rank test.

    Calling it with a NumPy Generator draws one trial and returns the two-sided p-value.

    Parameters
    ----------
    n_patients : int
        Patients in both arms together; ``round(allocation * n_patients)`` are experimental.
    hazard_ratio : float
        True hazard ratio, experimental / control.
    control_median : float
        Median survival in the control arm (months).
    accrual, follow_up : float
        Accrual period (uniform entry) and minimum follow-up after the last entry (months).
    allocation : float, default=0.5
        Share of patients in the experimental arm.

    Examples
    --------
    >>> import numpy as np
    >>> from netstats.design import ExponentialTrial
    >>> trial = ExponentialTrial(n_patients=60, hazard_ratio=0.5, control_median=12,
    ...                          accrual=12, follow_up=12)
    >>> data = trial.draw(np.random.default_rng(1))
    >>> data.shape, sorted(data["arm"].unique())
    ((60, 3), ['control', 'experimental'])
    >>> 0 <= trial(np.random.default_rng(1)) <= 1  # the log-rank p-value of one trial
    True
    """

    n_patients: int
    hazard_ratio: float
    control_median: float
    accrual: float
    follow_up: float
    allocation: float = 0.5

    def draw(self, rng: np.random.Generator) -> pd.DataFrame:
        """One simulated trial: ``time`` (months, censored at the analysis), ``event``, ``arm``."""
        n_e = round(self.allocation * self.n_patients)
        arm = np.repeat(np.array(["control", "experimental"]), [self.n_patients - n_e, n_e])
        hazard = (
            math.log(2)
            / self.control_median
            * np.where(arm == "experimental", self.hazard_ratio, 1.0)
        )
        t_event = rng.exponential(1.0 / hazard)
        entry = rng.uniform(0.0, self.accrual, size=self.n_patients)
        t_admin = self.accrual + self.follow_up - entry
        return pd.DataFrame(
            {"time": np.minimum(t_event, t_admin), "event": t_event <= t_admin, "arm": arm}
        )

    @property
    def analysis(self) -> str:
        """The test each simulated trial is analysed with, in words."""
        return "log-rank test, two-sided"

    def __call__(self, rng: np.random.Generator) -> float:
        data = self.draw(rng)
        if not data["event"].any():
            return math.nan
        return float(logrank(data, group="arm").p_value)


@dataclass(frozen=True, repr=False)
class PowerResult(ResultDisplay):
    """Monte-Carlo power of a trial (see :func:`simulate_power`).

    Attributes
    ----------
    power : float
        Share of simulated trials with ``p_value < sig_level``.
    mc_std_err : float
        Monte-Carlo standard error, ``sqrt(power (1 - power) / n_sims)``.
    ci_lower, ci_upper : float
        Wilson score interval for the power at ``conf_level``.
    conf_level : float
        Level of that interval.
    sig_level : float
        Significance level of the analysis of each trial.
    n_sims : int
        Number of simulated trials.
    p_values : numpy.ndarray
        One p-value per simulated trial (NaN where the trial had no analysable data).
    analysis : str
        The trial's test in words (its ``analysis`` attribute; empty if it has none).

    Examples
    --------
    >>> from netstats.design import ExponentialTrial, simulate_power
    >>> trial = ExponentialTrial(60, hazard_ratio=0.5, control_median=12, accrual=12, follow_up=12)
    >>> res = simulate_power(trial, n_sims=20, random_state=1)
    >>> print(res.method)  # doctest: +ELLIPSIS
    Simulated power ... (Monte-Carlo SE ...; 95% CI ... to ..., Wilson), 20 trials, log-rank test, two-sided, at level 0.05
    >>> res.ci_lower <= res.power <= res.ci_upper
    True
    """

    power: float
    mc_std_err: float
    ci_lower: float
    ci_upper: float
    conf_level: float
    sig_level: float
    n_sims: int
    p_values: npt.NDArray[np.float64] = field(repr=False)
    analysis: str = ""

    @property
    def n_failed(self) -> int:
        """Simulated trials that could not be analysed (NaN p-value; never a rejection)."""
        return int(np.isnan(self.p_values).sum())

    @property
    def summary(self) -> pd.DataFrame:
        """One row: ``estimate`` (power), ``mc_std_err``, ``ci_lower``, ``ci_upper``,
        ``conf_level``, ``sig_level``, ``n_sims``, ``n_failed`` (NaN p-values, counted as
        non-rejections)."""
        return pd.DataFrame(
            [
                {
                    "estimate": self.power,
                    "mc_std_err": self.mc_std_err,
                    "ci_lower": self.ci_lower,
                    "ci_upper": self.ci_upper,
                    "conf_level": self.conf_level,
                    "sig_level": self.sig_level,
                    "n_sims": self.n_sims,
                    "n_failed": self.n_failed,
                    "analysis": self.analysis,
                }
            ]
        )

    @property
    def method(self) -> str:
        """One-line description (trials, test level, Monte-Carlo error)."""
        failed = f", {self.n_failed} not analysable" if self.n_failed else ""
        test = f"{self.analysis}, " if self.analysis else ""
        return (
            f"Simulated power {self.power:.3f} (Monte-Carlo SE {self.mc_std_err:.3f}; "
            f"{100 * self.conf_level:g}% CI {self.ci_lower:.3f} to {self.ci_upper:.3f}, "
            f"Wilson), {plural(self.n_sims, 'trial')}{failed}, {test}at level "
            f"{self.sig_level:g}"
        )

    def to_frame(self) -> pd.DataFrame:
        """Same as :attr:`summary`."""
        return self.summary


def _power_block(
    seed: np.random.SeedSequence, size: int, *, trial: Callable[[np.random.Generator], float]
) -> npt.NDArray[np.float64]:
    rng = np.random.default_rng(seed)
    return np.array([trial(rng) for _ in range(size)], dtype=float)


def simulate_power(
    trial: Callable[[np.random.Generator], float],
    *,
    n_sims: int = 1000,
    sig_level: float = 0.05,
    conf_level: float = 0.95,
    random_state: int | None = None,
    n_jobs: int | None = None,
    backend: str | None = None,
    client: Any = None,
    progress: bool | None = None,
) -> PowerResult:
    """Estimate the power of a trial by simulation, with its Monte-Carlo error.

    Parameters
    ----------
    trial : callable
        ``trial(rng) -> p_value``: draws one trial from the NumPy Generator and returns the
        p-value of its primary analysis (e.g. :class:`ExponentialTrial`,
        :class:`ReexpressionTrial`), NaN when the trial cannot be analysed. Must be
        picklable (a module-level function, class instance or :func:`functools.partial`)
        for process and Dask backends. An ``analysis`` attribute, if any, is copied to the
        result.
    n_sims : int, default=1000
        Number of simulated trials.
    sig_level : float, default=0.05
        Significance level of the primary analysis.
    conf_level : float, default=0.95
        Level of the Wilson interval for the power.
    random_state : int or None, default=None
        Seed; trials are drawn in blocks seeded from it, so results do not depend on
        ``n_jobs``, ``backend`` or the Dask cluster.
    n_jobs, backend, client, progress
        As in :func:`netstats.resample.bootstrap_cox`: joblib workers (``n_jobs``,
        ``backend``), or a ``dask.distributed.Client`` or scheduler address
        (``client="tcp://host:8786"``; every worker needs netstats installed); ``progress``
        shows a bar that advances by blocks of 100 trials.

    Returns
    -------
    PowerResult
        Power, Monte-Carlo SE, Wilson CI and every p-value.

    Warns
    -----
    StatisticalWarning
        When some simulated trials could not be analysed (NaN p-value); they count as
        non-rejections.

    References
    ----------
    Morris TP, White IR, Crowther MJ (2019). Using simulation studies to evaluate
    statistical methods. Stat Med 38:2074-2102 (Monte-Carlo SE of a rejection rate).

    Examples
    --------
    >>> from netstats.design import ExponentialTrial, simulate_power
    >>> trial = ExponentialTrial(n_patients=60, hazard_ratio=0.5, control_median=12,
    ...                          accrual=12, follow_up=12)
    >>> res = simulate_power(trial, n_sims=20, random_state=1)
    >>> res.n_sims
    20
    """
    if not callable(trial):
        raise TypeError(f"trial must be callable (rng -> p_value), got {type(trial)}")
    if isinstance(n_sims, bool) or not isinstance(n_sims, (int, np.integer)) or n_sims < 1:
        raise ValueError(f"n_sims must be a positive int, got {n_sims!r}")
    if not 0 < sig_level < 1:
        raise ValueError(f"sig_level must be in (0, 1), got {sig_level}")
    if not 0 < conf_level < 1:
        raise ValueError(f"conf_level must be in (0, 1), got {conf_level}")
    n_jobs, backend_name = check_backend(n_jobs, backend, client)
    seed = check_random_state(random_state)
    sizes = block_sizes(int(n_sims))
    blocks = run_blocks(
        _power_block,
        block_seeds(seed, len(sizes)),
        sizes,
        shared={"trial": trial},
        n_jobs=n_jobs,
        backend=backend_name,
        client=client,
        progress=progress,
        desc="simulated trials",
    )
    p_values = np.concatenate(blocks)
    n_failed = int(np.isnan(p_values).sum())
    if n_failed:
        warnings.warn(
            f"{n_failed} of {n_sims} simulated trials could not be analysed (NaN p-value); "
            "they count as non-rejections",
            StatisticalWarning,
            stacklevel=2,
        )
    rejected = int(np.sum(p_values < sig_level))  # NaN compares False: not rejected
    n = int(n_sims)
    power = rejected / n
    z = float(norm.ppf(0.5 + conf_level / 2))
    centre = (power + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(power * (1 - power) / n + z * z / (4 * n * n))
    return PowerResult(
        power=power,
        mc_std_err=math.sqrt(power * (1 - power) / n),
        ci_lower=centre - half,
        ci_upper=centre + half,
        conf_level=conf_level,
        sig_level=sig_level,
        n_sims=n,
        p_values=p_values,
        analysis=str(getattr(trial, "analysis", "")),
    )

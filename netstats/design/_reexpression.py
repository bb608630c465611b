"""A re-expression trial drawn from the synthetic cohort generator ("induction, then re-scan").

Each simulated trial screens synthetic pNET cohorts (:func:`netstats.simulate.simulate_cohort`)
until enough SSTR-negative patients have started the induction regimen and been re-scanned,
derives the endpoint from the generated scan and therapy tables with
:func:`netstats.sstr.reexpression_pairs` and :func:`netstats.sstr.conversion_rates`, exactly
as a real cohort would be analysed, and tests the re-expression proportion.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from scipy.stats import binomtest, fisher_exact

from netstats.cohort import Cohort
from netstats.schema import DAYS_PER_MONTH
from netstats.simulate import Scenario, simulate_cohort
from netstats.simulate._lines import REEXPRESSION_DRUGS
from netstats.sstr import conversion_rates, get_rule, reexpression_pairs, sstr_scans

__all__ = ["ReexpressionTrial"]

Alternative = Literal["two-sided", "greater", "less"]
_ALTERNATIVES = ("two-sided", "greater", "less")
_SEED_BOUND = 2**63 - 1


def _is_rate(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and 0 <= value <= 1


@dataclass(frozen=True)
class ReexpressionTrial:
    """SSTR-negative patients get an induction regimen and a re-evaluation SSTR scan.

    Patients come from the synthetic cohort generator. Calling the trial with a NumPy
    Generator runs one simulated trial and returns the p-value of its analysis, so it can
    be passed to :func:`simulate_power` (on joblib or a Dask cluster).

    Parameters
    ----------
    n_patients : int
        Evaluable patients: SSTR-negative by ``rule`` on a scan, with the induction regimen
        as the first line started after it and a later SSTR scan (both arms together in the
        two-arm design).
    reexpression_rate : float
        True probability that the re-evaluation scan after the induction regimen is positive
        (the generator's ``Scenario.reexpression_rate`` in that arm).
    null_rate : float or None, default=None
        Single-arm design: the rate under the null hypothesis of the exact binomial test.
    comparator : {"everolimus", "CAPTEM"} or None, default=None
        Two-arm design: the regimen of the control arm, compared by Fisher's exact test.
    comparator_rate : float or None, default=None
        True re-expression rate in the control arm (two-arm design).
    inducer : {"everolimus", "CAPTEM"}, default="everolimus"
        Induction regimen of the experimental arm.
    allocation : float, default=0.5
        Two-arm design: share of ``n_patients`` in the experimental arm
        (``round(allocation * n_patients)``).
    alternative : {"two-sided", "greater", "less"}, default="two-sided"
        Alternative hypothesis: the experimental rate is above (``"greater"``) or below
        ``null_rate`` or the control rate.
    scenario : Scenario or None, default=None
        Generator parameters of the screened population (``None``: the calibrated
        defaults). ``reexpression_rate`` and ``reevaluation_scan_share`` are set by the
        trial.
    rule : str, default="krenning>=3"
        SSTR positivity rule (:data:`netstats.sstr.POSITIVITY_RULES`) defining "negative"
        at entry and "re-expressed" at the re-scan.
    entry_window_months : float or None, default=4.0
        Eligibility: the negative scan is at most this many months before the start of the
        induction (``None``: any time before it).
    screen_batch : int, default=1000
        Patients per screened synthetic cohort; screening continues batch by batch until
        the arm is full.
    max_screened : int, default=200_000
        Patients screened per arm before the trial counts as not completed (p-value NaN,
        counted as a non-rejection and in ``n_failed``).

    Notes
    -----
    Screening: each batch is ``simulate_cohort(screen_batch, seed=s, scenario=...)`` with
    ``s`` drawn from the trial's Generator, so a trial is a deterministic function of that
    Generator's state (and of :data:`netstats.simulate.GENERATOR_VERSION`). The protocol
    re-scans every induced patient (``reevaluation_scan_share=1``). Evaluable patients are
    taken in screening order (batch, then date of the negative scan), one pair per patient;
    patients who changed therapy before the re-scan stay in their arm (intention to treat).

    Analysis: the pairs of the enrolled patients are those of
    :func:`netstats.sstr.reexpression_pairs` (``exposure="started"``); the number converted
    per arm is read from :func:`netstats.sstr.conversion_rates`. Single-arm: exact binomial
    test of ``H0: rate = null_rate`` (:func:`scipy.stats.binomtest`; two-sided p-values by
    the minimum-likelihood method). Two-arm: Fisher's exact test of the 2 x 2 table
    (:func:`scipy.stats.fisher_exact`), experimental arm first.

    What the generator implies: a re-evaluation scan happens 5-13 months after the
    induction starts (not at a fixed time), only tumours with baseline Krenning <= 1 are
    re-scanned, and the re-scan is positive with probability ``reexpression_rate``
    whatever the patient's grade or Ki-67. The number converted per arm is therefore
    binomial, and the simulated power must agree with the exact binomial (or Fisher) power
    up to Monte-Carlo error; the test suite checks this. The two arms are screened from
    separate cohorts drawn with their own ``reexpression_rate``; as re-expression does not
    depend on patient characteristics in the generator, selecting patients by the regimen
    they received does not confound the comparison.

    References
    ----------
    Clopper CJ, Pearson ES (1934). The use of confidence or fiducial limits illustrated in
    the case of the binomial. Biometrika 26:404-413.
    A'Hern RP (2001). Sample size tables for exact single-stage phase II designs. Stat Med
    20:859-866.

    Examples
    --------
    >>> import numpy as np
    >>> trial = ReexpressionTrial(n_patients=5, reexpression_rate=0.4, null_rate=0.1,
    ...                           alternative="greater", inducer="CAPTEM")
    >>> pairs = trial.draw(np.random.default_rng(1))
    >>> len(pairs), sorted(set(pairs["arm"]))
    (5, ['CAPTEM'])
    """

    n_patients: int
    reexpression_rate: float
    null_rate: float | None = None
    comparator: str | None = None
    comparator_rate: float | None = None
    inducer: str = "everolimus"
    allocation: float = 0.5
    alternative: Alternative = "two-sided"
    scenario: Scenario | None = None
    rule: str = "krenning>=3"
    entry_window_months: float | None = 4.0
    screen_batch: int = 1000
    max_screened: int = 200_000

    def __post_init__(self) -> None:
        for name in ("n_patients", "screen_batch", "max_screened"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"{name} must be a positive int, got {value!r}")
        if not _is_rate(self.reexpression_rate):
            raise ValueError(
                f"reexpression_rate must be a probability in [0, 1], got {self.reexpression_rate!r}"
            )
        drugs = ", ".join(REEXPRESSION_DRUGS)
        if self.inducer not in REEXPRESSION_DRUGS:
            raise ValueError(
                f"inducer must be one of {drugs} (the generator re-scans SSTR-negative "
                f"tumours only after these), got {self.inducer!r}"
            )
        two_arm = self.comparator is not None or self.comparator_rate is not None
        if two_arm == (self.null_rate is not None):
            raise ValueError(
                "give null_rate (single-arm design) or comparator and comparator_rate "
                "(two-arm design), not both and not neither"
            )
        if two_arm:
            if self.comparator not in REEXPRESSION_DRUGS or self.comparator == self.inducer:
                raise ValueError(
                    f"comparator must be one of {drugs} and differ from inducer "
                    f"{self.inducer!r}, got {self.comparator!r}"
                )
            if not _is_rate(self.comparator_rate):
                raise ValueError(
                    f"comparator_rate must be a probability in [0, 1], got {self.comparator_rate!r}"
                )
            if not 0 < self.allocation < 1:
                raise ValueError(f"allocation must be in (0, 1), got {self.allocation!r}")
            n_e = round(self.allocation * self.n_patients)
            if not 1 <= n_e < self.n_patients:
                raise ValueError(
                    f"n_patients={self.n_patients} with allocation={self.allocation} leaves "
                    "an arm empty"
                )
        elif not (_is_rate(self.null_rate) and 0 < self.null_rate < 1):  # type: ignore[operator]
            raise ValueError(f"null_rate must be in (0, 1), got {self.null_rate!r}")
        if self.alternative not in _ALTERNATIVES:
            raise ValueError(
                f"alternative must be one of {', '.join(_ALTERNATIVES)}, got {self.alternative!r}"
            )
        if self.scenario is not None and not isinstance(self.scenario, Scenario):
            raise TypeError(f"scenario must be a netstats.simulate.Scenario, got {self.scenario!r}")
        get_rule(self.rule)  # raises for an unknown rule name
        window = self.entry_window_months
        if window is not None and not (
            isinstance(window, (int, float)) and not isinstance(window, bool) and window >= 0
        ):
            raise ValueError(f"entry_window_months must be >= 0 or None, got {window!r}")

    # --- design -----------------------------------------------------------------------
    @property
    def arms(self) -> tuple[tuple[str, int, float], ...]:
        """``(regimen, evaluable patients, true re-expression rate)`` of each arm."""
        if self.comparator is None:
            return ((self.inducer, int(self.n_patients), float(self.reexpression_rate)),)
        n_e = round(self.allocation * self.n_patients)
        return (
            (self.inducer, n_e, float(self.reexpression_rate)),
            (self.comparator, int(self.n_patients) - n_e, float(self.comparator_rate)),  # type: ignore[arg-type]
        )

    @property
    def analysis(self) -> str:
        """The test each simulated trial is analysed with, in words."""
        if self.comparator is None:
            return f"exact binomial test vs {self.null_rate:g}, {self.alternative}"
        return f"Fisher exact test, {self.inducer} vs {self.comparator}, {self.alternative}"

    # --- one trial ----------------------------------------------------------------------
    def _screen(self, rng: np.random.Generator, regimen: str, n: int, rate: float) -> pd.DataFrame:
        base = self.scenario if self.scenario is not None else Scenario()
        sc = dataclasses.replace(base, reexpression_rate=rate, reevaluation_scan_share=1.0)
        found: list[pd.DataFrame] = []
        n_found = screened = batch = 0
        pairs = pd.DataFrame()
        while n_found < n and screened < self.max_screened:
            seed = int(rng.integers(0, _SEED_BOUND))
            size = min(int(self.screen_batch), int(self.max_screened) - screened)
            cohort = simulate_cohort(size, seed=seed, scenario=sc, validate=False)
            pairs = _induction_pairs(cohort, regimen, self.rule, self.entry_window_months)
            if len(pairs):  # an empty batch would turn the date columns into objects
                pairs["patient_id"] = f"B{batch:03d}-" + pairs["patient_id"].astype(str)
                found.append(pairs)
            n_found += len(pairs)
            screened += size
            batch += 1
        out = pd.concat(found, ignore_index=True).head(n) if found else pairs
        out.insert(0, "arm", regimen)
        return out

    def draw(self, rng: np.random.Generator) -> pd.DataFrame:
        """The enrolled patients of one simulated trial, one re-expression pair each.

        Parameters
        ----------
        rng : numpy.random.Generator
            Source of every random number (the seeds of the screened cohorts).

        Returns
        -------
        DataFrame
            ``arm`` (the induction regimen), the columns of
            :data:`netstats.sstr.PAIR_COLUMNS` and ``months_to_induction`` (negative scan
            to the start of the induction), in enrolment order; patient ids are prefixed
            with the screening batch. An arm that did not accrue within
            ``max_screened`` has fewer rows than planned.
        """
        return pd.concat(
            [self._screen(rng, reg, n, rate) for reg, n, rate in self.arms], ignore_index=True
        )

    def analyse(self, pairs: pd.DataFrame) -> float:
        """P-value of the trial's test on enrolled pairs (output of :meth:`draw`).

        Returns NaN when an arm has fewer evaluable patients than planned.
        """
        counts = []
        for regimen, n, _ in self.arms:
            own = pairs.loc[pairs["arm"] == regimen].drop(columns="arm")
            if len(own) < n:
                return math.nan
            rates = conversion_rates(own).set_index("group")
            k, m = rates.loc["any", ["n_converted", "n_pairs"]].to_numpy(dtype=int)
            counts.append((int(k), int(m)))
        if self.comparator is None:
            k, n = counts[0]
            return float(binomtest(k, n, self.null_rate, alternative=self.alternative).pvalue)
        (k_e, n_e), (k_c, n_c) = counts
        table = [[k_e, n_e - k_e], [k_c, n_c - k_c]]
        return float(fisher_exact(table, alternative=self.alternative).pvalue)

    def __call__(self, rng: np.random.Generator) -> float:
        return self.analyse(self.draw(rng))


def _induction_pairs(cohort: Cohort, regimen: str, rule: str, window: float | None) -> pd.DataFrame:
    """Re-expression pairs whose first line after the negative scan is ``regimen``.

    Only patients who could form such a pair (two or more SSTR scans and a line of
    ``regimen`` started within the window after one of them) are passed to :func:`netstats.sstr.reexpression_pairs`, which works patient
    by patient, so the pairs are those of the whole cohort (tested) at a fraction of the
    cost. ``months_to_induction`` is measured to the first line started between the scans
    (the line ``regimens_between`` starts with).
    """
    scans = sstr_scans(cohort.imaging)
    per_patient = scans["patient_id"].value_counts()
    lines = cohort.therapy_lines
    own = lines.loc[lines["regimen"] == regimen, ["patient_id", "start_date"]]
    if window is not None:  # a line of the regimen started within the window after a scan
        near = scans[["patient_id", "scan_date"]].merge(own, on="patient_id")
        lag = (near["start_date"] - near["scan_date"]).dt.days / DAYS_PER_MONTH
        own = near.loc[(lag >= 0) & (lag <= window)]
    ids = set(per_patient.index[per_patient >= 2]).intersection(own["patient_id"])

    def keep(frame: pd.DataFrame) -> pd.DataFrame:
        return frame.loc[frame["patient_id"].isin(ids)].reset_index(drop=True)

    candidates = Cohort(
        keep(cohort.patients),
        keep(cohort.pathology),
        keep(cohort.therapy_lines),
        keep(cohort.imaging),
        source=cohort.source,
    )
    pairs = reexpression_pairs(candidates, rule=rule, exposure="started")
    first = pairs["regimens_between"].str.split("; ").str[0]
    pairs = pairs.loc[first == regimen].reset_index(drop=True)
    if pairs.empty:
        return pairs.assign(months_to_induction=pd.Series(dtype="float64"))
    starts = pairs[["patient_id", "scan_date_before", "scan_date_after"]].merge(
        candidates.therapy_lines[["patient_id", "start_date", "line"]], on="patient_id"
    )
    between = (starts["start_date"] >= starts["scan_date_before"]) & (
        starts["start_date"] < starts["scan_date_after"]
    )
    first_start = (
        starts.loc[between]
        .sort_values(["start_date", "line"], kind="mergesort")
        .groupby(["patient_id", "scan_date_before"], sort=False)["start_date"]
        .first()
    )
    key = pd.MultiIndex.from_frame(pairs[["patient_id", "scan_date_before"]])
    delay = first_start.reindex(key).to_numpy() - pairs["scan_date_before"].to_numpy()
    pairs["months_to_induction"] = pd.to_timedelta(delay).days / DAYS_PER_MONTH
    if window is not None:
        pairs = pairs.loc[pairs["months_to_induction"] <= window]
    pairs = pairs.sort_values(["scan_date_before", "patient_id"], kind="mergesort")
    return pairs.drop_duplicates("patient_id", keep="first").reset_index(drop=True)

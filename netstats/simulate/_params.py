"""Parameters of the synthetic pNET cohort generator: the :class:`Scenario` and regimen anchors.

Every default is either a published figure (cited where it is defined) or a stated
assumption.  The published anchors are the ones listed in the project design notes:
RADIANT-3, the sunitinib phase III trial, SANET-p, CLARINET, E2211, COMPETE, the
Rotterdam 177Lu-DOTATATE registry and the retrospective CAPTEM series, as summarised in
the NANETS pNET guideline (Halfdanarson et al., Pancreas 2020).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

import pandas as pd

from netstats import vocab

__all__ = ["GRADES", "REGIMEN_PARAMETERS", "RegimenParameters", "Scenario"]

GRADES = ("G1", "G2", "G3", "NEC")
"""Latent tumour classes: WHO 2019 grades of well-differentiated NETs and poorly
differentiated neuroendocrine carcinoma."""

KI67_BANDS = ((0.0, 3.0), (3.0, 20.0), (20.0, 100.0), (20.0, 100.0))
"""Ki-67 index band (%) of each latent class (WHO 2019: G1 < 3, G2 3-20, G3 > 20)."""

MITOSES_MAX = (1, 20, None, None)
"""Largest mitotic count per 2 mm^2 that keeps the WHO 2019 grade (G1 < 2, G2 2-20)."""


@dataclass(frozen=True)
class RegimenParameters:
    """How one regimen behaves in the generator.

    Parameters
    ----------
    median_months : float
        Median progression-free survival (months) at ``anchor_line`` for a tumour with a
        true Ki-67 index of ``ki67_ref`` percent, as recorded at scheduled assessments.
    anchor_line : int
        Line of therapy the published median refers to (trial populations were mostly
        pretreated for targeted agents and PRRT).
    ki67_ref : float
        Ki-67 index (%) the median refers to.
    toxicity_share : float
        Probability of stopping for toxicity before progression at the anchor (turned into
        a constant hazard competing with progression).
    response_rate : float
        Probability of a best response of CR or PR among evaluable lines.
    cycle_days : int or None
        Days between cycles or sessions for fixed-duration treatments; ``None`` for
        continuous treatment until progression or toxicity.
    cycles : tuple of int
        Smallest and largest planned number of cycles (fixed-duration treatments).
    source : str
        Where the numbers come from; a number the source does not name is an assumption.
    """

    median_months: float
    anchor_line: int
    ki67_ref: float
    toxicity_share: float
    response_rate: float
    cycle_days: int | None
    cycles: tuple[int, int]
    source: str


def _r(
    median: float,
    line: int,
    tox: float,
    orr: float,
    source: str,
    *,
    ki67_ref: float = 5.0,
    cycle_days: int | None = None,
    cycles: tuple[int, int] = (0, 0),
) -> RegimenParameters:
    return RegimenParameters(median, line, ki67_ref, tox, orr, cycle_days, cycles, source)


REGIMEN_PARAMETERS: dict[str, RegimenParameters] = {
    "watch-and-wait": _r(
        18.0, 1, 0.0, 0.0, "CLARINET placebo arm: median PFS 18.0 months (Caplin 2014)"
    ),
    "octreotide LAR": _r(
        31.0,
        1,
        0.02,
        0.02,
        "CLARINET placebo median 18.0 months and pNET-subgroup HR 0.58 give about 31 "
        "months under proportional hazards; octreotide assumed equivalent (class effect, "
        "NANETS)",
    ),
    "lanreotide": _r(
        31.0,
        1,
        0.02,
        0.02,
        "CLARINET placebo median 18.0 months and pNET-subgroup HR 0.58 (Caplin 2014)",
    ),
    "octreotide LAR + TACE": _r(
        36.0, 1, 0.03, 0.25, "assumption: SSA with liver embolisation, somewhat longer than SSA"
    ),
    "everolimus": _r(11.0, 2, 0.15, 0.05, "RADIANT-3: median PFS 11.0 months, ORR 5% (Yao 2011)"),
    "sunitinib": _r(
        11.4, 2, 0.17, 0.09, "sunitinib phase III: median PFS 11.4 months, ORR 9% (Raymond 2011)"
    ),
    "surufatinib": _r(
        10.9,
        2,
        0.12,
        0.10,
        "SANET-p: median PFS 10.9 months (Xu 2020); toxicity and ORR assumed",
    ),
    "CAPTEM": _r(
        22.7,
        1,
        0.10,
        0.54,
        "E2211: median PFS 22.7 months (Kunz 2023); ORR 54% from the retrospective CAPTEM "
        "series (Cives 2016)",
        cycle_days=28,
        cycles=(6, 13),
    ),
    "temozolomide": _r(
        14.4,
        1,
        0.08,
        0.30,
        "E2211 temozolomide arm: median PFS 14.4 months",
        cycle_days=28,
        cycles=(6, 13),
    ),
    "streptozocin-based": _r(
        18.0,
        1,
        0.15,
        0.39,
        "streptozocin/doxorubicin/5-FU: response 39%, median PFS 18 months (Kouvaraki 2004)",
        cycle_days=42,
        cycles=(4, 6),
    ),
    "177Lu-DOTATATE": _r(
        30.0,
        2,
        0.05,
        0.55,
        "Rotterdam PRRT registry, pNETs: ORR 55%, median PFS 30 months (Brabander 2017)",
        cycle_days=56,
        cycles=(4, 4),
    ),
    "TACE": _r(
        18.0,
        1,
        0.05,
        0.40,
        "assumption (no randomised pNET anchor)",
        cycle_days=56,
        cycles=(1, 4),
    ),
    "TARE": _r(
        18.0,
        1,
        0.05,
        0.40,
        "assumption (no randomised pNET anchor)",
        cycle_days=56,
        cycles=(1, 2),
    ),
    "platinum-etoposide": _r(
        4.0,
        1,
        0.10,
        0.30,
        "NORDIC NEC: median PFS about 4 months (Sorbye 2013); ORR assumed",
        ki67_ref=60.0,
        cycle_days=21,
        cycles=(4, 6),
    ),
    "FOLFOX": _r(
        4.0,
        2,
        0.10,
        0.15,
        "assumption for second-line NEC chemotherapy",
        ki67_ref=60.0,
        cycle_days=14,
        cycles=(6, 12),
    ),
}
"""Regimens the generator uses, with their calibration.  All names are canonical
(:func:`netstats.vocab.normalize_regimen`)."""


def _pairs(value: Any, name: str) -> tuple[tuple[str, float], ...]:
    items = value.items() if isinstance(value, Mapping) else value
    try:
        return tuple((str(k), float(v)) for k, v in items)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be a mapping or pairs of (name, number)") from exc


def _check_share(name: str, value: float) -> None:
    if not (isinstance(value, int | float) and 0.0 <= value <= 1.0):
        raise ValueError(f"{name} must be a probability in [0, 1], got {value!r}")


_PROBABILITIES = (
    "discordance_up",
    "discordance_down",
    "reexpression_rate",
    "stop_after_line",
    "nec_stop_after_line",
)
_POSITIVE = (
    "age_sd",
    "ki67_log_sd",
    "hr_ki67_doubling",
    "hr_per_line",
    "pfs_shape",
    "assessment_interval_months",
    "metachronous_up_factor",
)


@dataclass(frozen=True)
class Scenario:
    """Parameters of a synthetic pNET cohort; the defaults reproduce the published anchors.

    Every field can be overridden by keyword in :func:`netstats.simulate.simulate_cohort`.
    Probabilities are in [0, 1]; times are in months unless the name says otherwise.

    Parameters
    ----------
    accrual_start, accrual_end : str
        Diagnosis dates are uniform between these ISO dates.
    cutoff_date : str
        Data cut-off: administrative censoring date (last contact of patients alive).
    primary_sites : tuple of (str, float)
        Primary sites and their shares (pancreas only by default; any
        :data:`netstats.vocab.PRIMARY_SITES` value).
    age_mean, age_sd : float
        Normal age at diagnosis (years), truncated to [18, 90].
    male_share : float
        Share of men.
    functional_share : float
        Share of functional tumours (10-20 % of pNETs; NANETS).
    hereditary_share : float
        Share with a hereditary syndrome (MEN1 mostly, then VHL, NF1, TSC).
    grade_shares : tuple of 3 floats
        G1, G2, G3 shares among well-differentiated NETs.
    nec_share : float
        Share of poorly differentiated NECs among all patients.
    ki67_median : tuple of 4 floats
        Median true Ki-67 index (%) of G1, G2, G3 and NEC; log-normal within the WHO band.
    ki67_log_sd : float
        Standard deviation of log Ki-67 within a grade (before truncation to the band).
    stage_iv_share : tuple of 4 floats
        Probability of stage IV at diagnosis for G1, G2, G3, NEC (more than a third of
        pNETs are metastatic at diagnosis; NANETS).
    stage_iii_share : float
        Share of stage III among patients without distant metastases.
    recurrence_per_year : tuple of 4 floats
        Yearly rate of distant recurrence after diagnosis without metastases, by class.
    few_cells_share : float
        Share of specimens with fewer than 500 cells counted for Ki-67 (small biopsies,
        FNA cell blocks); these load with the documented ``few_cells`` warning.
    mitoses_missing_share : float
        Share of specimens without a mitotic count.
    metastasis_sample_share : float
        Share of metastatic patients with a metastasis specimen paired to the primary.
    discordance_up, discordance_down : float
        Share of synchronous primary/metastasis pairs whose (true) grade is higher in the
        metastasis, or in the primary (about 25 % and 10 %; NANETS), for pairs with a
        well-differentiated primary; see :meth:`Scenario.up_down_probabilities`.
    metachronous_up_factor : float
        Multiplier of ``discordance_up`` for metachronous pairs (more discordance when the
        metastasis is sampled later).
    sstr_scan_share, fdg_scan_share : float
        Share of patients with a baseline SSTR-PET, and with a baseline 18F-FDG PET.
    sstr_intercept, sstr_ki67_slope, sstr_fdg_effect, sstr_nec_effect : float
        Latent SSTR-uptake model (ordinal logistic on the Krenning score): intercept at a
        Ki-67 of 5 %, decrease per doubling of Ki-67, decrease with FDG avidity and for
        NEC.  The defaults give under 5 % truly SSTR-negative G1/G2 tumours.
    fdg_intercept, fdg_ki67_slope : float
        Logistic model of FDG avidity: log-odds at a Ki-67 of 5 %, and per doubling.
    reexpression_rate : float
        Probability that an SSTR-negative tumour is SSTR-positive on a re-evaluation scan
        after everolimus or CAPTEM (assumption: only case reports exist).
    reevaluation_scan_share : float
        Share of SSTR-negative patients on everolimus or CAPTEM who get a re-evaluation
        SSTR-PET.
    hr_ki67_doubling : float
        Hazard ratio of progression per doubling of the true Ki-67 index (assumption).
    hr_per_line : float
        Hazard ratio of progression per additional line of therapy (assumption).
    pfs_shape : float
        Weibull shape of progression times (1 is exponential).
    max_lines : int
        Most lines of therapy per patient (1-5).
    assessment_interval_months : float
        Months between tumour assessments on therapy (every 3-4 months; NANETS).
    stop_after_line : tuple of 4 floats
        Probability that no further therapy follows the end of line 1, 2, 3, 4 (at least
        ``nec_stop_after_line`` for NEC).
    nec_stop_after_line : float
        Smallest probability of no further therapy after a line for NEC (assumption).
    post_progression_months : tuple of 3 floats
        Median survival after the last progression without further therapy, for G1/G2,
        G3 and NEC (assumption).
    watch_and_wait_share : float
        Share of low-volume SSTR-positive G1/G2 patients observed first.
    lost_to_follow_up_share : float
        Share of patients lost to follow-up at a uniform time before the cut-off.
    functional_missing_share, hereditary_missing_share, birth_date_missing_share : float
        Shares of missing functional status, hereditary syndrome and birth date.
    pfs_medians : tuple of (str, float)
        Overrides of :data:`REGIMEN_PARAMETERS` medians (months), e.g.
        ``{"everolimus": 14.1}`` for the everolimus arm of COMPETE.

    Notes
    -----
    Regimen medians, response rates and toxicity shares are in
    :data:`REGIMEN_PARAMETERS`, each with its source.  COMPETE (177Lu-edotreotide 23.9 vs
    everolimus 14.1 months in GEP-NETs) and the retrospective CAPTEM series (median PFS
    17 months) are alternative calibrations, available through ``pfs_medians``.

    References
    ----------
    .. [1] Halfdanarson TR, et al. NANETS consensus guidelines for surveillance and
       medical management of pancreatic neuroendocrine tumors. Pancreas. 2020;49:863-881.
    .. [2] Caplin ME, et al. Lanreotide in metastatic enteropancreatic neuroendocrine
       tumors (CLARINET). N Engl J Med. 2014;371:224-233.
    .. [3] Yao JC, et al. Everolimus for advanced pancreatic neuroendocrine tumors
       (RADIANT-3). N Engl J Med. 2011;364:514-523.
    .. [4] Raymond E, et al. Sunitinib malate for the treatment of pancreatic
       neuroendocrine tumors. N Engl J Med. 2011;364:501-513.
    .. [5] Xu J, et al. Surufatinib in advanced pancreatic neuroendocrine tumours
       (SANET-p). Lancet Oncol. 2020;21:1489-1499.
    .. [6] Kunz PL, et al. Temozolomide or temozolomide and capecitabine in advanced
       pancreatic neuroendocrine tumors (E2211). J Clin Oncol. 2023;41:1359-1369.
    .. [7] Brabander T, et al. Long-term efficacy, survival, and safety of
       [177Lu-DOTA0,Tyr3]octreotate in patients with gastroenteropancreatic and bronchial
       neuroendocrine tumors. Clin Cancer Res. 2017;23:4617-4624.
    .. [8] Cives M, et al. Analysis of potential response predictors to
       capecitabine/temozolomide in metastatic pancreatic neuroendocrine tumors.
       Endocr Relat Cancer. 2016;23:759-767.

    Examples
    --------
    >>> Scenario().hr_ki67_doubling
    1.25
    >>> Scenario(pfs_medians={"everolimus": 14.1}).pfs_medians
    (('everolimus', 14.1),)
    """

    accrual_start: str = "2008-01-01"
    accrual_end: str = "2024-06-30"
    cutoff_date: str = "2025-06-30"
    primary_sites: tuple[tuple[str, float], ...] = (("pancreas", 1.0),)
    age_mean: float = 58.0
    age_sd: float = 12.0
    male_share: float = 0.55
    functional_share: float = 0.15
    hereditary_share: float = 0.05
    grade_shares: tuple[float, float, float] = (0.35, 0.50, 0.15)
    nec_share: float = 0.07
    ki67_median: tuple[float, float, float, float] = (1.2, 7.0, 30.0, 60.0)
    ki67_log_sd: float = 0.6
    stage_iv_share: tuple[float, float, float, float] = (0.25, 0.40, 0.60, 0.75)
    stage_iii_share: float = 0.30
    recurrence_per_year: tuple[float, float, float, float] = (0.02, 0.07, 0.20, 0.50)
    few_cells_share: float = 0.03
    mitoses_missing_share: float = 0.35
    metastasis_sample_share: float = 0.5
    discordance_up: float = 0.25
    discordance_down: float = 0.10
    metachronous_up_factor: float = 1.5
    sstr_scan_share: float = 0.9
    fdg_scan_share: float = 0.4
    sstr_intercept: float = 4.2
    sstr_ki67_slope: float = 0.75
    sstr_fdg_effect: float = 1.0
    sstr_nec_effect: float = 1.5
    fdg_intercept: float = -0.8
    fdg_ki67_slope: float = 0.9
    reexpression_rate: float = 0.25
    reevaluation_scan_share: float = 0.6
    hr_ki67_doubling: float = 1.25
    hr_per_line: float = 1.15
    pfs_shape: float = 1.2
    max_lines: int = 5
    assessment_interval_months: float = 3.0
    stop_after_line: tuple[float, float, float, float] = (0.15, 0.25, 0.35, 0.45)
    nec_stop_after_line: float = 0.5
    post_progression_months: tuple[float, float, float] = (12.0, 6.0, 3.0)
    watch_and_wait_share: float = 0.15
    lost_to_follow_up_share: float = 0.05
    functional_missing_share: float = 0.08
    hereditary_missing_share: float = 0.20
    birth_date_missing_share: float = 0.15
    pfs_medians: tuple[tuple[str, float], ...] = field(default=())

    def __post_init__(self) -> None:
        object.__setattr__(self, "primary_sites", _pairs(self.primary_sites, "primary_sites"))
        object.__setattr__(self, "pfs_medians", _pairs(self.pfs_medians, "pfs_medians"))
        self._check_probabilities()
        self._check_vocabularies()
        self._check_positive()
        self._check_dates()

    def _check_probabilities(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name.endswith("_share") or f.name in _PROBABILITIES:
                for v in value if isinstance(value, tuple) else (value,):
                    _check_share(f.name, v)
        if not math.isclose(sum(self.grade_shares), 1.0, abs_tol=1e-9):
            raise ValueError(f"grade_shares must sum to 1, got {self.grade_shares}")
        up, down = self.up_down_probabilities(metachronous=True)
        if up[1] + down[1] > 1 or up[1] > 1 or down[1] > 1:
            raise ValueError(
                "discordance_up * metachronous_up_factor and discordance_down are too large: "
                "their per-grade probabilities exceed 1 for G2 primaries"
            )

    def _check_dates(self) -> None:
        try:
            start, end, cutoff = (
                pd.Timestamp(d) for d in (self.accrual_start, self.accrual_end, self.cutoff_date)
            )
        except ValueError as exc:
            raise ValueError(
                f"accrual_start, accrual_end and cutoff_date must be ISO dates: {exc}"
            ) from exc
        if not start <= end <= cutoff:
            raise ValueError(
                "dates must satisfy accrual_start <= accrual_end <= cutoff_date, got "
                f"{self.accrual_start}, {self.accrual_end}, {self.cutoff_date}"
            )

    def _check_vocabularies(self) -> None:
        sites = dict(self.primary_sites)
        unknown = [s for s in sites if s not in vocab.PRIMARY_SITES.values]
        if unknown:
            raise ValueError(
                f"primary_sites: unknown site(s) {unknown}; expected values of "
                f"{', '.join(vocab.PRIMARY_SITES.values)}"
            )
        if not math.isclose(sum(sites.values()), 1.0, abs_tol=1e-9):
            raise ValueError("primary_sites shares must sum to 1")
        bad = [r for r, _ in self.pfs_medians if r not in REGIMEN_PARAMETERS]
        if bad:
            raise ValueError(
                f"pfs_medians: unknown regimen(s) {bad}; expected some of "
                f"{', '.join(REGIMEN_PARAMETERS)}"
            )

    def _check_positive(self) -> None:
        for name in _POSITIVE:
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be > 0, got {getattr(self, name)!r}")
        if any(m <= 0 for _, m in self.pfs_medians) or any(m <= 0 for m in self.ki67_median):
            raise ValueError("pfs_medians and ki67_median must be > 0")
        if any(m <= 0 for m in (*self.post_progression_months, *self.recurrence_per_year)):
            raise ValueError("post_progression_months and recurrence_per_year must be > 0")
        if not (isinstance(self.max_lines, int) and 1 <= self.max_lines <= 5):
            raise ValueError(f"max_lines must be an integer in 1..5, got {self.max_lines!r}")

    def median_months(self, regimen: str) -> float:
        """Published (or overridden) median PFS of ``regimen`` at its anchor line."""
        return dict(self.pfs_medians).get(regimen, REGIMEN_PARAMETERS[regimen].median_months)

    def up_down_probabilities(
        self, *, metachronous: bool
    ) -> tuple[tuple[float, float, float], tuple[float, float, float]]:
        """Per-grade probabilities (G1, G2, G3) of a higher grade in the metastasis / primary.

        A G1 primary cannot be higher than its metastasis and a G3 primary cannot be
        lower, so the target shares are rescaled over the grades where the move is
        possible: with the grade mix of patients metastatic at diagnosis (grade shares
        weighted by ``stage_iv_share``) the marginal shares equal ``discordance_up``
        (times ``metachronous_up_factor`` when metachronous) and ``discordance_down``.
        """
        # Paired specimens come from metastatic patients: weight the grade mix by the
        # probability of stage IV at diagnosis.
        w1, w2, w3 = (g * s for g, s in zip(self.grade_shares, self.stage_iv_share, strict=False))
        total = w1 + w2 + w3
        up = self.discordance_up * (self.metachronous_up_factor if metachronous else 1.0)
        k_up = up * total / (w1 + w2) if w1 + w2 > 0 else 0.0
        k_down = self.discordance_down * total / (w2 + w3) if w2 + w3 > 0 else 0.0
        return (k_up, k_up, 0.0), (0.0, k_down, k_down)

"""Patients, specimens and baseline scans of the synthetic cohort (vectorised draws).

All dates are float days since 1970-01-01 until the tables are assembled; ``NaN`` means
missing.  Each function draws its random numbers in a fixed order from the generator it
is given, so a seed fixes every value.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import expit, ndtr, ndtri

from netstats.schema import DAYS_PER_MONTH
from netstats.simulate._params import GRADES, KI67_BANDS, MITOSES_MAX, Scenario

DAYS_PER_YEAR = 365.25
KRENNING_CUTS = np.array([-1.5, 0.0, 2.0, 4.0])
"""Cut points of the latent SSTR-uptake score between Krenning 0|1|2|3|4 (negative: <= 1)."""

SSTR_TRACER_SHARES = (
    ("68Ga-DOTATATE", 0.70),
    ("68Ga-DOTATOC", 0.12),
    ("68Ga-DOTANOC", 0.08),
    ("64Cu-DOTATATE", 0.04),
    ("111In-pentetreotide", 0.06),
)
FUNCTIONAL_TYPES = (
    ("insulinoma", 0.45),
    ("gastrinoma", 0.25),
    ("glucagonoma", 0.10),
    ("vipoma", 0.10),
    ("other_functional", 0.10),
)
SYNDROMES = (("MEN1", 0.70), ("VHL", 0.20), ("NF1", 0.05), ("TSC", 0.05))
MET_SITES = (("liver", 0.85), ("lymph_node", 0.08), ("bone", 0.04), ("peritoneum", 0.03))
# Other-cause mortality (Gompertz): yearly hazard at age 60 and log-increase per year.
GOMPERTZ_H60 = 0.008
GOMPERTZ_SLOPE = 0.085


def day(iso: str) -> float:
    """Days since 1970-01-01 of an ISO date."""
    return float(pd.Timestamp(iso).value // 86_400_000_000_000)


def choose(rng: np.random.Generator, pairs: tuple[tuple[str, float], ...], n: int) -> np.ndarray:
    """Draw ``n`` labels with the given shares (object array)."""
    labels = np.array([p[0] for p in pairs], dtype=object)
    cum = np.cumsum([p[1] for p in pairs])
    cum /= cum[-1]
    return labels[np.searchsorted(cum, rng.random(n), side="right").clip(0, len(labels) - 1)]


def truncated_lognormal(
    rng: np.random.Generator,
    median: np.ndarray,
    sd: float,
    lo: np.ndarray,
    hi: np.ndarray,
) -> np.ndarray:
    """Log-normal draws restricted to the open band (lo, hi), by inverse CDF."""
    with np.errstate(divide="ignore"):
        z_lo = (np.log(lo) - np.log(median)) / sd
    z_hi = (np.log(hi) - np.log(median)) / sd
    p_lo, p_hi = ndtr(z_lo), ndtr(z_hi)
    u = p_lo + (p_hi - p_lo) * rng.uniform(0.001, 0.999, size=median.shape)
    return median * np.exp(sd * ndtri(u))


def ki67_band(cls: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper Ki-67 bounds (%) of each latent class code."""
    lo = np.array([b[0] for b in KI67_BANDS])[cls]
    hi = np.array([b[1] for b in KI67_BANDS])[cls]
    return lo, hi


def latent_ki67(
    rng: np.random.Generator, cls: np.ndarray, sc: Scenario, median: np.ndarray | None = None
) -> np.ndarray:
    """True Ki-67 index (%) within the band of each class (log-normal, truncated)."""
    lo, hi = ki67_band(cls)
    if median is None:
        median = np.asarray(sc.ki67_median, dtype=float)[cls]
    return truncated_lognormal(rng, median, sc.ki67_log_sd, lo, hi)


@dataclass
class Patients:
    """Latent and recorded patient-level quantities (arrays of length n)."""

    diag: np.ndarray
    birth: np.ndarray
    age: np.ndarray
    sex: np.ndarray
    site: np.ndarray
    cls: np.ndarray
    ki67: np.ndarray
    stage: np.ndarray
    functional: np.ndarray
    hereditary: np.ndarray
    fdg_avid: np.ndarray
    sstr_lin: np.ndarray
    krenning: np.ndarray
    met_date: np.ndarray
    metachronous: np.ndarray
    liver_burden: np.ndarray
    death_other: np.ndarray
    censor: np.ndarray


def draw_patients(rng: np.random.Generator, n: int, sc: Scenario) -> Patients:
    """Case mix, latent tumour biology, recurrence, other-cause death and censoring."""
    start, end, cutoff = day(sc.accrual_start), day(sc.accrual_end), day(sc.cutoff_date)
    diag = np.floor(rng.uniform(start, end + 1, n))
    age = truncated_lognormal_age(rng, n, sc)
    birth = diag - np.floor(age * DAYS_PER_YEAR)
    age_recorded = np.round((diag - birth) / DAYS_PER_YEAR, 1)
    sex = np.where(rng.random(n) < sc.male_share, "male", "female").astype(object)
    site = choose(rng, sc.primary_sites, n)

    shares = np.array([*(np.array(sc.grade_shares) * (1 - sc.nec_share)), sc.nec_share])
    cls = np.searchsorted(np.cumsum(shares) / shares.sum(), rng.random(n), side="right")
    cls = cls.clip(0, 3)
    ki67 = latent_ki67(rng, cls, sc)

    stage_iv = rng.random(n) < np.asarray(sc.stage_iv_share)[cls]
    u = rng.random(n)
    stage = np.where(
        stage_iv, "IV", np.where(u < sc.stage_iii_share, "III", np.where(u < 0.65, "II", "I"))
    ).astype(object)

    functional = np.where(
        (rng.random(n) < sc.functional_share) & (cls < 3),
        choose(rng, FUNCTIONAL_TYPES, n),
        "non_functional",
    ).astype(object)
    functional[rng.random(n) < sc.functional_missing_share] = None
    hereditary = np.where(
        rng.random(n) < sc.hereditary_share, choose(rng, SYNDROMES, n), "none"
    ).astype(object)
    hereditary[rng.random(n) < sc.hereditary_missing_share] = None

    log2_ratio = np.log2(ki67 / 5.0)
    fdg_avid = rng.random(n) < expit(sc.fdg_intercept + sc.fdg_ki67_slope * log2_ratio)
    sstr_lin = (
        sc.sstr_intercept
        - sc.sstr_ki67_slope * log2_ratio
        - sc.sstr_fdg_effect * fdg_avid
        - sc.sstr_nec_effect * (cls == 3)
    )
    score = sstr_lin + rng.logistic(size=n)
    krenning = np.searchsorted(KRENNING_CUTS, score, side="right")

    # Distant recurrence after diagnosis without metastases (stage III twice as fast).
    rate = np.asarray(sc.recurrence_per_year)[cls] * np.where(stage == "III", 2.0, 1.0)
    t_rec = rng.exponential(1.0, n) / rate * DAYS_PER_YEAR
    met_date = np.where(stage_iv, diag, diag + np.floor(t_rec))
    liver_burden = np.clip(np.round(np.exp(np.log(10.0) + 1.0 * rng.standard_normal(n))), 1, 90)

    # Other-cause death from a Gompertz hazard starting at the age at diagnosis.
    h0 = GOMPERTZ_H60 * np.exp(GOMPERTZ_SLOPE * (age - 60.0))
    years = np.log1p(GOMPERTZ_SLOPE * rng.exponential(1.0, n) / h0) / GOMPERTZ_SLOPE
    death_other = diag + np.floor(years * DAYS_PER_YEAR) + 1.0

    lost = rng.random(n) < sc.lost_to_follow_up_share
    lost_date = np.floor(diag + rng.random(n) * np.maximum(cutoff - diag, 0.0))
    censor = np.where(lost, lost_date, cutoff)
    return Patients(
        diag=diag,
        birth=birth,
        age=age_recorded,
        sex=sex,
        site=site,
        cls=cls,
        ki67=ki67,
        stage=stage,
        functional=functional,
        hereditary=hereditary,
        fdg_avid=fdg_avid,
        sstr_lin=sstr_lin,
        krenning=krenning,
        met_date=met_date,
        metachronous=~stage_iv,
        liver_burden=liver_burden,
        death_other=death_other,
        censor=censor,
    )


def truncated_lognormal_age(rng: np.random.Generator, n: int, sc: Scenario) -> np.ndarray:
    """Normal age at diagnosis truncated to [18, 90] years (inverse CDF)."""
    p_lo = ndtr((18.0 - sc.age_mean) / sc.age_sd)
    p_hi = ndtr((90.0 - sc.age_mean) / sc.age_sd)
    u = p_lo + (p_hi - p_lo) * rng.uniform(0.001, 0.999, n)
    return sc.age_mean + sc.age_sd * ndtri(u)


def count_ki67(
    rng: np.random.Generator, ki67: np.ndarray, sc: Scenario
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cells counted, positive cells (binomial) and the recorded index (%, 1 decimal)."""
    n = ki67.size
    few = rng.random(n) < sc.few_cells_share
    counted = np.where(few, rng.integers(150, 500, n), rng.integers(500, 2001, n))
    positive = rng.binomial(counted, ki67 / 100.0)
    percent = np.round(100.0 * positive / counted, 1)
    return counted, positive, percent


def mitoses(rng: np.random.Generator, ki67: np.ndarray, cls: np.ndarray) -> np.ndarray:
    """Mitoses per 2 mm^2: Poisson around Ki-67 / 4, kept within the WHO grade of the class."""
    count = rng.poisson(ki67 / 4.0).astype(float)
    cap = np.array([np.inf if m is None else m for m in MITOSES_MAX])[cls]
    return np.minimum(count, cap)


def discordance(
    rng: np.random.Generator, cls: np.ndarray, metachronous: np.ndarray, sc: Scenario
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Grade move of each metastasis relative to its primary: +1, -1 or 0.

    Returns the move and the per-pair probabilities of moving up and down (the truth).
    """
    up_s, down_s = sc.up_down_probabilities(metachronous=False)
    up_m, _ = sc.up_down_probabilities(metachronous=True)
    well = cls < 3
    c = np.minimum(cls, 2)
    p_up = np.where(metachronous, np.asarray(up_m)[c], np.asarray(up_s)[c]) * well
    p_down = np.asarray(down_s)[c] * well
    u = rng.random(cls.size)
    move = np.where(u < p_up, 1, np.where(u < p_up + p_down, -1, 0))
    return move, p_up, p_down


def metastasis_ki67(
    rng: np.random.Generator, cls: np.ndarray, ki67: np.ndarray, move: np.ndarray, sc: Scenario
) -> tuple[np.ndarray, np.ndarray]:
    """True Ki-67 and class of the metastasis given the grade move."""
    met_cls = np.where(cls == 3, 3, np.clip(cls + move, 0, 2))
    same = met_cls == cls
    median = np.where(same, ki67, np.asarray(sc.ki67_median, dtype=float)[met_cls])
    lo, hi = ki67_band(met_cls)
    sd = np.where(same, 0.35, sc.ki67_log_sd)
    out = np.empty_like(ki67)
    for mask, s in ((sd == 0.35, 0.35), (sd != 0.35, sc.ki67_log_sd)):
        out[mask] = truncated_lognormal(rng, median[mask], s, lo[mask], hi[mask])
    return out, met_cls


def sstr_suv(
    rng: np.random.Generator, krenning: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """SUVmax of lesion, liver and spleen consistent with the Krenning score."""
    n = krenning.size
    liver = np.round(np.exp(np.log(7.0) + 0.2 * rng.standard_normal(n)), 2)
    spleen = np.exp(np.log(22.0) + 0.25 * rng.standard_normal(n))
    spleen = np.round(np.maximum(spleen, 1.3 * liver), 2)
    u = rng.random(n)
    lo = np.select(
        [krenning == 0, krenning == 1, krenning == 2, krenning == 3],
        [0.1 * liver, 0.3 * liver, 0.7 * liver, liver],
        spleen,
    )
    hi = np.select(
        [krenning == 0, krenning == 1, krenning == 2, krenning == 3],
        [0.3 * liver, 0.7 * liver, liver, spleen],
        spleen * np.e,
    )
    lesion = np.round(np.exp(np.log(lo) + u * (np.log(hi) - np.log(lo))), 2)
    return np.maximum(lesion, 0.1), liver, spleen


def months(days: np.ndarray) -> np.ndarray:
    """Days to months (30.4375 days)."""
    return days / DAYS_PER_MONTH


__all__ = [
    "GRADES",
    "Patients",
    "choose",
    "count_ki67",
    "day",
    "discordance",
    "draw_patients",
    "latent_ki67",
    "metastasis_ki67",
    "mitoses",
    "months",
    "sstr_suv",
]

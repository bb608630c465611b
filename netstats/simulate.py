"""Synthetic pNET cohorts calibrated to published trials, with the truth they were drawn from.

:func:`simulate_cohort` draws a complete cohort (patients, specimens, lines of therapy and
scans) from a documented model whose parameters live in :class:`Scenario`.  The data are
synthetic: no row describes a real patient.  The truth (true medians, hazard ratios and
rates) comes back in ``cohort.truth`` so that netstats' estimators can be checked against
it.

Run ``python -m netstats.simulate OUT_DIR`` (or ``scripts/make_synthetic.py``) to write the
bundled cohort in ``data/synthetic``.
"""

from __future__ import annotations

import argparse
import dataclasses
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import expit

from netstats import _simulate_disease as dis
from netstats._parse import MISSING_TOKENS
from netstats._simulate_lines import LineRows, Rescans, simulate_lines
from netstats._simulate_params import GRADES, REGIMEN_PARAMETERS, Scenario
from netstats._version import __version__
from netstats.cohort import Cohort
from netstats.schema import DAYS_PER_MONTH, TABLES
from netstats.vocab import drug_class

__all__ = [
    "BUNDLED_N_PATIENTS",
    "BUNDLED_SEED",
    "GENERATOR_VERSION",
    "REGIMEN_PARAMETERS",
    "Scenario",
    "simulate_cohort",
]

GENERATOR_VERSION = "1"
"""Bumped whenever the output for a given seed and scenario changes."""

BUNDLED_SEED = 20261122
"""Seed of the bundled ``data/synthetic`` cohort."""

BUNDLED_N_PATIENTS = 800
"""Size of the bundled ``data/synthetic`` cohort."""


def simulate_cohort(
    n_patients: int = 800,
    *,
    seed: int,
    scenario: Scenario | None = None,
    validate: bool = True,
    **overrides: Any,
) -> Cohort:
    """Draw a synthetic pNET cohort and the ground truth it was drawn from.

    Parameters
    ----------
    n_patients : int, default=800
        Number of patients (>= 1).
    seed : int
        Seed of :func:`numpy.random.default_rng`; the same seed, scenario and
        :data:`GENERATOR_VERSION` give the same cohort, byte for byte once saved.
    scenario : Scenario or None, default=None
        Model parameters; ``None`` uses the calibrated defaults.
    validate : bool, default=True
        Build the cohort with :meth:`Cohort.from_tables` (full validation).  ``False``
        builds it directly from the canonical tables, which is much faster for very large
        cohorts; the tables are identical either way.
    **overrides
        Any :class:`Scenario` field, e.g. ``hr_ki67_doubling=1.5``; applied on top of
        ``scenario``.

    Returns
    -------
    Cohort
        The four tables in canonical form, ``source="simulated"``, and ``truth``: a
        read-only mapping with

        - ``generator_version``, ``netstats_version``, ``seed``, ``n_patients``,
          ``scenario`` (the :class:`Scenario` used);
        - ``pfs``: DataFrame, one row per regimen and line among lines started before the
          patient's censoring date: ``regimen``, ``line``, ``n_started``,
          ``median_pfs_months`` (median of the progression-or-death time as it would be
          recorded, i.e. progression dated at the assessment that shows it, before
          censoring), ``median_pfs_latent_months`` (continuous latent time),
          ``anchor_median_months`` (the calibration median of the regimen);
        - ``lines``: DataFrame, one row per recorded line (``patient_id``, ``line``,
          ``regimen``) with its uncensored ``pfs_months`` (recorded scale) and
          ``pfs_latent_months``;
        - ``hr_ki67_doubling``, ``hr_per_line``, ``pfs_shape``;
        - ``regimens``: DataFrame of :data:`REGIMEN_PARAMETERS` (median at anchor line,
          anchor line, Ki-67 reference, toxicity share, response rate, source) with
          ``toxicity_hazard_per_month``;
        - ``discordance``: DataFrame by ``timing`` (synchronous, metachronous, all) over
          primary/metastasis pairs with a well-differentiated primary (NEC pairs are
          always concordant and left out): ``n_pairs``, ``higher_in_metastasis``,
          ``higher_in_primary``, ``discordant`` (expected shares of the true grades,
          given the paired primaries' grades);
        - ``sstr_negative``: DataFrame by true ``grade`` (G1, G2, G3, NEC, G1/G2):
          ``n_patients``, ``share`` (expected share with baseline Krenning <= 1);
        - ``sstr_negative_share_g1g2``: float, the G1/G2 row of the above;
        - ``reexpression_rate`` and ``n_reevaluated``: probability that a re-evaluation
          scan after everolimus or CAPTEM of an SSTR-negative tumour is positive, and
          the number of such scans in the cohort;
        - ``os``: DataFrame by true ``grade`` for patients with stage IV at diagnosis:
          ``n_patients``, ``median_os_months`` (latent, uncensored, from diagnosis);
        - ``patients``: DataFrame of latent per-patient values (``patient_id``,
          ``grade``, ``ki67_true``, ``krenning_baseline``, ``fdg_avid``,
          ``death_date_latent``);
        - ``samples``: DataFrame of latent per-specimen values (``sample_id``,
          ``ki67_true``, ``grade``, ``timing``).

    Raises
    ------
    TypeError
        If an override is not a :class:`Scenario` field or ``seed`` is not an integer.
    ValueError
        If ``n_patients < 1`` or a parameter is out of range.

    Notes
    -----
    The model, step by step (every default is documented in :class:`Scenario`):

    1. *Case mix*: diagnosis dates uniform over the accrual period, normal age, sex,
       primary site, functional status, hereditary syndrome.
    2. *Grade*: a latent class (G1, G2, G3 or NEC) with the configured shares; the true
       Ki-67 index is log-normal within the WHO 2019 band of the class; the mitotic count is
       Poisson around Ki-67/4 capped within the grade, so the WHO grade of the true values
       is the latent grade.  Recorded Ki-67 is a count: ``ki67_positive_cells`` is binomial
       given ``ki67_cells_counted`` (mostly 500-2000 cells; a ``few_cells_share`` below 500,
       which loads with the ``few_cells`` warning) and ``ki67_percent`` is
       100 * positive / counted rounded to 0.1; grades read from recorded values therefore
       differ from the latent grade near the 3 % and 20 % cut-offs.
    3. *Stage and recurrence*: stage IV at diagnosis by class; otherwise distant
       recurrence at an exponential time.  Paired metastasis specimens are synchronous
       (stage IV) or metachronous (at recurrence); the grade of the metastasis is higher
       or lower than the primary's with the probabilities of
       :meth:`Scenario.up_down_probabilities` (about 25 % higher and 10 % lower for
       synchronous pairs with the default grade mix; NANETS).
    4. *SSTR imaging*: a latent ordinal-logistic uptake score falling with log2 Ki-67,
       FDG avidity and NEC gives the Krenning score; SUVmax of lesion, liver and spleen are
       drawn consistent with it.  SSTR-negative (Krenning <= 1) tumours treated with
       everolimus or CAPTEM may get a re-evaluation scan, positive with probability
       ``reexpression_rate``; re-expression reopens SSA and PRRT.
    5. *Therapy*: guideline logic chooses up to ``max_lines`` lines.  Progression times are
       Weibull with proportional hazards: hazard ratio ``hr_per_line`` per line beyond the
       regimen's anchor line and ``hr_ki67_doubling`` per doubling of the true Ki-67 of the
       primary above the regimen's reference.  The scale is set so that progression
       *recorded at scheduled assessments* (every ``assessment_interval_months``) has the
       published median at the anchor: the continuous latent median is the published one
       minus half an assessment interval.  Toxicity (constant hazard calibrated to the
       regimen's toxicity share), patient choice and planned completion compete with
       progression; other-cause death follows a Gompertz hazard; after the last
       progression, death follows after an exponential post-progression survival.
    6. *Censoring*: administrative at ``cutoff_date``, or loss to follow-up; records after
       the censoring date are removed, ongoing lines have no end date.

    Truth quantities that depend on who got what (``pfs``, ``discordance``,
    ``sstr_negative``) are computed on the simulated patients, so they are the quantities
    that estimators applied to this cohort should recover, up to Monte-Carlo error.

    References
    ----------
    .. [1] Halfdanarson TR, et al. The North American Neuroendocrine Tumor Society
       consensus guidelines for surveillance and medical management of pancreatic
       neuroendocrine tumors. Pancreas. 2020;49(7):863-881.
    .. [2] Yao JC, et al. Everolimus for advanced pancreatic neuroendocrine tumors
       (RADIANT-3). N Engl J Med. 2011;364:514-523.
    .. [3] Raymond E, et al. Sunitinib malate for the treatment of pancreatic
       neuroendocrine tumors. N Engl J Med. 2011;364:501-513.
    .. [4] Xu J, et al. Surufatinib in advanced pancreatic neuroendocrine tumours
       (SANET-p). Lancet Oncol. 2020;21:1489-1499.
    .. [5] Caplin ME, et al. Lanreotide in metastatic enteropancreatic neuroendocrine
       tumors (CLARINET). N Engl J Med. 2014;371:224-233.
    .. [6] Kunz PL, et al. Randomized study of temozolomide or temozolomide and
       capecitabine in patients with advanced pancreatic neuroendocrine tumors (E2211).
       J Clin Oncol. 2023;41:1359-1369.
    .. [7] Brabander T, et al. Long-term efficacy, survival, and safety of
       [177Lu-DOTA0,Tyr3]octreotate in patients with gastroenteropancreatic and bronchial
       neuroendocrine tumors. Clin Cancer Res. 2017;23:4617-4624.
    .. [8] Cives M, et al. Analysis of potential response predictors to
       capecitabine/temozolomide in metastatic pancreatic neuroendocrine tumors.
       Endocr Relat Cancer. 2016;23:759-767.

    Examples
    --------
    >>> cohort = simulate_cohort(50, seed=1)
    >>> cohort.n_patients
    50
    >>> sorted(cohort.truth["pfs"].columns)[:3]
    ['anchor_median_months', 'line', 'median_pfs_latent_months']
    >>> simulate_cohort(50, seed=1, hr_ki67_doubling=1.5).truth["hr_ki67_doubling"]
    1.5
    """
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
        raise TypeError(f"seed must be an integer, got {type(seed).__name__}")
    if isinstance(n_patients, bool) or not isinstance(n_patients, int | np.integer):
        raise TypeError(f"n_patients must be an integer, got {type(n_patients).__name__}")
    if n_patients < 1:
        raise ValueError(f"n_patients must be >= 1, got {n_patients}")
    sc = scenario if scenario is not None else Scenario()
    if not isinstance(sc, Scenario):
        raise TypeError(f"scenario must be a Scenario, got {type(sc).__name__}")
    if overrides:
        known = {f.name for f in dataclasses.fields(Scenario)}
        unknown = sorted(set(overrides) - known)
        if unknown:
            raise TypeError(
                f"unknown scenario parameter(s) {unknown}; see netstats.simulate.Scenario"
            )
        sc = dataclasses.replace(sc, **overrides)

    rng = np.random.default_rng(int(seed))
    n = int(n_patients)
    pat = dis.draw_patients(rng, n, sc)
    pathology, samples, pairs = _pathology(rng, pat, sc)
    lines, rescans, death = simulate_lines(rng, pat, sc)
    last_contact = np.minimum(pat.censor, death)
    died = death <= pat.censor
    imaging = _imaging(rng, pat, rescans, last_contact, sc)
    ids = _patient_ids(n)
    tables = {
        "patients": _patients_table(pat, ids, last_contact, died, rng, sc),
        "pathology": _with_ids(pathology, ids, "sample_id", "S"),
        "therapy_lines": _lines_table(lines, ids, pat.censor),
        "imaging": _with_ids(imaging, ids, "scan_id", "I"),
    }
    truth = _truth(pat, ids, samples, pairs, lines, rescans, last_contact, death, sc, seed, n)
    if validate:
        # A tiny cohort can have no lines or scans: pass such a table as absent (a
        # table_missing warning), since validation rejects a supplied table without rows.
        supplied = {k: (v if len(v) or k == "patients" else None) for k, v in tables.items()}
        return Cohort.from_tables(**supplied, source="simulated", truth=truth)
    canonical = {name: _canonical(frame, name) for name, frame in tables.items()}
    return Cohort(**canonical, source="simulated", truth=truth)


# --- tables --------------------------------------------------------------------------------


def _patient_ids(n: int) -> np.ndarray:
    width = max(6, len(str(n)))
    return np.array([f"P{i:0{width}d}" for i in range(1, n + 1)], dtype=object)


def _dates(days: np.ndarray) -> pd.Series:
    values = np.asarray(days, dtype=float)
    out = np.full(values.shape, np.datetime64("NaT"), dtype="datetime64[ns]")
    ok = np.isfinite(values)
    out[ok] = np.floor(values[ok]).astype("int64").astype("datetime64[D]")
    return pd.Series(out, dtype="datetime64[ns]")


def _strings(values: np.ndarray) -> pd.Series:
    return pd.Series(values, dtype="string")


def _ints(values: np.ndarray) -> pd.Series:
    arr = np.asarray(values, dtype=float)
    ok = np.isfinite(arr)
    return pd.Series(pd.arrays.IntegerArray(np.where(ok, arr, 0).astype("int64"), ~ok))


def _floats(values: np.ndarray) -> pd.Series:
    return pd.Series(np.asarray(values, dtype=float), dtype="float64")


def _patients_table(
    pat: dis.Patients,
    ids: np.ndarray,
    last_contact: np.ndarray,
    died: np.ndarray,
    rng: np.random.Generator,
    sc: Scenario,
) -> pd.DataFrame:
    birth = np.where(rng.random(ids.size) < sc.birth_date_missing_share, np.nan, pat.birth)
    return pd.DataFrame(
        {
            "patient_id": _strings(ids),
            "sex": _strings(pat.sex),
            "birth_date": _dates(birth),
            "age_at_diagnosis": _floats(pat.age),
            "diagnosis_date": _dates(pat.diag),
            "primary_site": _strings(pat.site),
            "functional_status": _strings(pat.functional),
            "hereditary_syndrome": _strings(pat.hereditary),
            "stage_at_diagnosis": _strings(pat.stage),
            "last_contact_date": _dates(last_contact),
            "death_date": _dates(np.where(died, last_contact, np.nan)),
        }
    )


def _pathology(
    rng: np.random.Generator, pat: dis.Patients, sc: Scenario
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Primary specimen for everyone, paired metastasis specimen for some metastatic ones."""
    n = pat.cls.size
    stage_iv = pat.stage == "IV"
    spec_iv = dis.choose(
        rng, (("resection", 0.25), ("core_biopsy", 0.5), ("fna_cell_block", 0.25)), n
    )
    specimen = np.where(stage_iv, spec_iv, "resection").astype(object)
    met_seen = pat.met_date <= np.minimum(pat.censor, pat.death_other)
    paired = met_seen & (rng.random(n) < sc.metastasis_sample_share)
    move, p_up, p_down = dis.discordance(rng, pat.cls, pat.metachronous, sc)
    met_ki, met_cls = dis.metastasis_ki67(rng, pat.cls, pat.ki67, move, sc)
    met_site = dis.choose(rng, dis.MET_SITES, n)
    met_spec = dis.choose(
        rng, (("core_biopsy", 0.7), ("resection", 0.2), ("fna_cell_block", 0.1)), n
    )

    pi = np.flatnonzero(paired)
    who = np.concatenate([np.arange(n), pi])
    order = np.argsort(who, kind="stable")
    who = who[order]
    ki = np.concatenate([pat.ki67, met_ki[pi]])[order]
    cls = np.concatenate([pat.cls, met_cls[pi]])[order]
    is_met = np.concatenate([np.zeros(n, bool), np.ones(pi.size, bool)])[order]
    date = np.where(is_met, pat.met_date[who], pat.diag[who])
    counted, positive, percent = dis.count_ki67(rng, ki, sc)
    mit = dis.mitoses(rng, ki, cls)
    m = who.size
    mit[rng.random(m) < sc.mitoses_missing_share] = np.nan
    ihc_recorded = rng.random(m) < 0.3
    ihc = np.clip(np.floor((pat.sstr_lin[who] + rng.logistic(size=m) + 1.0) / 1.5), 0, 3)
    size = np.round(
        np.exp(np.where(is_met, np.log(20.0), np.log(28.0)) + 0.5 * rng.standard_normal(m))
    )
    size[rng.random(m) < 0.25] = np.nan
    frame = pd.DataFrame(
        {
            "patient_index": who,
            "sample_date": _dates(date),
            "site": _strings(np.where(is_met, met_site[who], "primary")),
            "specimen_type": _strings(np.where(is_met, met_spec[who], specimen[who])),
            "differentiation": _strings(np.where(cls == 3, "poor", "well")),
            "ki67_percent": _floats(percent),
            "ki67_cells_counted": _ints(counted),
            "ki67_positive_cells": _ints(positive),
            "mitoses_per_2mm2": _floats(mit),
            "sstr2a_ihc": _ints(np.where(ihc_recorded, ihc, np.nan)),
            "tumour_size_mm": _floats(size),
        }
    )
    samples = pd.DataFrame(
        {
            "patient_index": who,
            "ki67_true": ki,
            "grade": np.array(GRADES, dtype=object)[cls],
            "timing": np.where(
                is_met,
                np.where(pat.metachronous[who], "metachronous", "synchronous"),
                "primary",
            ),
        }
    )
    pairs = pd.DataFrame(
        {
            "patient_index": pi,
            "timing": np.where(pat.metachronous[pi], "metachronous", "synchronous"),
            "p_up": p_up[pi],
            "p_down": p_down[pi],
            "primary_grade": np.array(GRADES, dtype=object)[pat.cls[pi]],
            "metastasis_grade": np.array(GRADES, dtype=object)[met_cls[pi]],
        }
    )
    return frame, samples, pairs


def _with_ids(frame: pd.DataFrame, ids: np.ndarray, key: str, letter: str) -> pd.DataFrame:
    """Add patient_id and a per-patient numbered row id (e.g. P000001-S1) first."""
    who = frame["patient_index"].to_numpy()
    number = frame.groupby("patient_index").cumcount().to_numpy() + 1
    pid = ids[who]
    row_id = np.char.add(np.char.add(pid.astype(str), f"-{letter}"), number.astype(str))
    out = frame.drop(columns="patient_index")
    out.insert(0, key, _strings(row_id.astype(object)))
    out.insert(0, "patient_id", _strings(pid))
    return out.reset_index(drop=True)


def _imaging(
    rng: np.random.Generator,
    pat: dis.Patients,
    rescans: Rescans,
    last_contact: np.ndarray,
    sc: Scenario,
) -> pd.DataFrame:
    """Baseline SSTR-PET and FDG-PET, and re-evaluation SSTR-PET after everolimus/CAPTEM."""
    n = pat.cls.size
    has_sstr = rng.random(n) < sc.sstr_scan_share
    has_fdg = rng.random(n) < sc.fdg_scan_share
    sstr_day = pat.diag - np.floor(rng.uniform(0, 31, n))
    fdg_day = pat.diag - np.floor(rng.uniform(0, 31, n))
    tracer = dis.choose(rng, dis.SSTR_TRACER_SHARES, n)
    lesion, liver, spleen = dis.sstr_suv(rng, pat.krenning)
    burden = np.where(pat.stage == "IV", pat.liver_burden, 0.0)
    burden[rng.random(n) < 0.3] = np.nan
    scint = tracer == "111In-pentetreotide"

    fdg_lesion = np.round(
        np.exp(np.where(pat.fdg_avid, np.log(6.0), np.log(2.5)) + 0.3 * rng.standard_normal(n)), 2
    )
    fdg_liver = np.round(np.exp(np.log(2.3) + 0.15 * rng.standard_normal(n)), 2)

    r = rescans.patient
    new_k = np.where(
        rescans.reexpressed,
        3 + (rng.random(r.size) < 0.5),
        pat.krenning[r],
    )
    r_tracer = np.full(r.size, "68Ga-DOTATATE", dtype=object)
    r_lesion, r_liver, r_spleen = dis.sstr_suv(rng, new_k)
    keep = rescans.date <= last_contact[r]

    def block(mask, who, when, trc, kren, les, liv, spl, fdg, bur):
        return pd.DataFrame(
            {
                "patient_index": who[mask],
                "scan_date": when[mask],
                "tracer": trc[mask],
                "krenning_score": kren[mask],
                "suvmax_lesion": les[mask],
                "suvmax_liver": liv[mask],
                "suvmax_spleen": spl[mask],
                "fdg_avid": fdg[mask],
                "liver_burden_percent": bur[mask],
            }
        )

    idx = np.arange(n)
    nan = np.full(n, np.nan)
    none = np.full(n, None, dtype=object)
    parts = [
        block(
            has_sstr,
            idx,
            sstr_day,
            tracer,
            pat.krenning.astype(float),
            np.where(scint, np.nan, lesion),
            np.where(scint, np.nan, liver),
            np.where(scint, np.nan, spleen),
            none,
            burden,
        ),
        block(
            has_fdg,
            idx,
            fdg_day,
            np.full(n, "18F-FDG", dtype=object),
            nan,
            fdg_lesion,
            fdg_liver,
            nan,
            pat.fdg_avid.astype(object),
            nan,
        ),
        block(
            keep,
            r,
            rescans.date,
            r_tracer,
            new_k.astype(float),
            r_lesion,
            r_liver,
            r_spleen,
            np.full(r.size, None, dtype=object),
            np.full(r.size, np.nan),
        ),
    ]
    frame = pd.concat(parts, ignore_index=True)
    frame = frame.sort_values(["patient_index", "scan_date", "tracer"], kind="stable")
    return pd.DataFrame(
        {
            "patient_index": frame["patient_index"].to_numpy(),
            "scan_date": _dates(frame["scan_date"].to_numpy()),
            "tracer": _strings(frame["tracer"].to_numpy()),
            "krenning_score": _ints(frame["krenning_score"].to_numpy()),
            "suvmax_lesion": _floats(frame["suvmax_lesion"].to_numpy()),
            "suvmax_liver": _floats(frame["suvmax_liver"].to_numpy()),
            "suvmax_spleen": _floats(frame["suvmax_spleen"].to_numpy()),
            "fdg_avid": pd.Series(frame["fdg_avid"].to_numpy(), dtype="boolean"),
            "liver_burden_percent": _floats(frame["liver_burden_percent"].to_numpy()),
        }
    )


def _lines_table(lines: LineRows, ids: np.ndarray, censor: np.ndarray) -> pd.DataFrame:
    seen = lines.start < censor[lines.patient.astype(int)]
    order = np.lexsort((lines.line[seen], lines.patient[seen]))

    def pick(values: np.ndarray) -> np.ndarray:
        return values[seen][order]

    return pd.DataFrame(
        {
            "patient_id": _strings(ids[pick(lines.patient).astype(int)]),
            "line": _ints(pick(lines.line)),
            "regimen": _strings(pick(lines.regimen)),
            "drug_class": pd.Series(pd.NA, index=range(int(seen.sum())), dtype="string"),
            "start_date": _dates(pick(lines.start)),
            "end_date": _dates(pick(lines.end)),
            "end_reason": _strings(pick(lines.end_reason)),
            "progression_date": _dates(pick(lines.progression)),
            "best_response": _strings(pick(lines.best_response)),
            "last_assessment_date": _dates(pick(lines.last_assessment)),
            "cycles": _ints(pick(lines.cycles)),
        }
    )


def _canonical(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    """The table in canonical column order and dtypes, built without running validation.

    The generated values are already canonical; the one parsing rule applied here is the
    validator's reading of missing-value tokens in text columns, so the tables equal
    those of :meth:`Cohort.from_tables` (a test checks this).
    """
    columns = {}
    for col in TABLES[name].columns:
        values = frame[col.name].astype(col.dtype)
        if col.dtype == "string":
            uniques = values.dropna().unique()
            tokens = [u for u in uniques if u.strip().lower() in MISSING_TOKENS]
            values = values.mask(values.isin(tokens))
        columns[col.name] = values
    out = pd.DataFrame(columns).reset_index(drop=True)
    if name == "therapy_lines":
        out["drug_class"] = out["regimen"].map(drug_class).astype("string")
    return out


# --- truth ---------------------------------------------------------------------------------


def _truth(
    pat: dis.Patients,
    ids: np.ndarray,
    samples: pd.DataFrame,
    pairs: pd.DataFrame,
    lines: LineRows,
    rescans: Rescans,
    last_contact: np.ndarray,
    death: np.ndarray,
    sc: Scenario,
    seed: int,
    n: int,
) -> Mapping[str, Any]:
    seen = lines.start < pat.censor[lines.patient.astype(int)]
    pfs = (
        pd.DataFrame(
            {
                "regimen": lines.regimen[seen],
                "line": lines.line[seen].astype(int),
                "detected": lines.pfs_detected[seen],
                "latent": lines.pfs_latent[seen],
            }
        )
        .groupby(["regimen", "line"], sort=True)
        .agg(
            n_started=("detected", "size"),
            median_pfs_months=("detected", "median"),
            median_pfs_latent_months=("latent", "median"),
        )
        .reset_index()
    )
    pfs["anchor_median_months"] = pfs["regimen"].map(sc.median_months)
    order = np.lexsort((lines.line[seen], lines.patient[seen]))
    line_truth = pd.DataFrame(
        {
            "patient_id": ids[lines.patient[seen].astype(int)][order],
            "line": lines.line[seen].astype(int)[order],
            "regimen": lines.regimen[seen][order],
            "pfs_months": lines.pfs_detected[seen][order],
            "pfs_latent_months": lines.pfs_latent[seen][order],
        }
    )

    regimens = pd.DataFrame(
        [
            {
                "regimen": r,
                "median_months": sc.median_months(r),
                "anchor_line": p.anchor_line,
                "ki67_ref": p.ki67_ref,
                "toxicity_share": p.toxicity_share,
                "toxicity_hazard_per_month": np.log(2)
                / sc.median_months(r)
                * p.toxicity_share
                / (1 - p.toxicity_share),
                "response_rate": p.response_rate,
                "source": p.source,
            }
            for r, p in REGIMEN_PARAMETERS.items()
        ]
    )

    disc_rows = []
    net_pairs = pairs[pairs["primary_grade"] != "NEC"]
    for timing in ("synchronous", "metachronous", "all"):
        sub = net_pairs if timing == "all" else net_pairs[net_pairs["timing"] == timing]
        disc_rows.append(
            {
                "timing": timing,
                "n_pairs": len(sub),
                "higher_in_metastasis": float(sub["p_up"].mean()) if len(sub) else np.nan,
                "higher_in_primary": float(sub["p_down"].mean()) if len(sub) else np.nan,
                "discordant": float((sub["p_up"] + sub["p_down"]).mean()) if len(sub) else np.nan,
            }
        )
    p_neg = expit(-pat.sstr_lin)  # P(latent score < 0), i.e. Krenning <= 1
    grade = np.array(GRADES, dtype=object)[pat.cls]
    neg_rows = []
    for label, mask in [*((g, grade == g) for g in GRADES), ("G1/G2", pat.cls <= 1)]:
        neg_rows.append(
            {
                "grade": label,
                "n_patients": int(mask.sum()),
                "share": float(p_neg[mask].mean()) if mask.any() else np.nan,
            }
        )
    sstr_negative = pd.DataFrame(neg_rows)
    stage_iv = pat.stage == "IV"
    os_rows = [
        {
            "grade": g,
            "n_patients": int((stage_iv & (grade == g)).sum()),
            "median_os_months": float(
                np.median((death - pat.diag)[stage_iv & (grade == g)]) / DAYS_PER_MONTH
            )
            if (stage_iv & (grade == g)).any()
            else np.nan,
        }
        for g in GRADES
    ]
    kept = rescans.date <= last_contact[rescans.patient]
    n_reeval = int(kept.sum())
    truth: dict[str, Any] = {
        "generator_version": GENERATOR_VERSION,
        "netstats_version": __version__,
        "seed": int(seed),
        "n_patients": n,
        "scenario": sc,
        "pfs": pfs,
        "lines": line_truth,
        "hr_ki67_doubling": sc.hr_ki67_doubling,
        "hr_per_line": sc.hr_per_line,
        "pfs_shape": sc.pfs_shape,
        "regimens": regimens,
        "discordance": pd.DataFrame(disc_rows),
        "sstr_negative": sstr_negative,
        "sstr_negative_share_g1g2": float(sstr_negative["share"].iloc[-1]),
        "reexpression_rate": sc.reexpression_rate,
        "n_reevaluated": n_reeval,
        "n_reexpressed": int(rescans.reexpressed[kept].sum()),
        "os": pd.DataFrame(os_rows),
        "patients": pd.DataFrame(
            {
                "patient_id": ids,
                "grade": grade,
                "ki67_true": pat.ki67,
                "krenning_baseline": pat.krenning,
                "fdg_avid": pat.fdg_avid,
                "death_date_latent": _dates(death),
            }
        ),
        "samples": samples.assign(patient_id=ids[samples["patient_index"].to_numpy()]).drop(
            columns="patient_index"
        ),
    }
    return MappingProxyType(truth)


# --- command line --------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> Path:
    """Write the bundled synthetic cohort (``python -m netstats.simulate OUT_DIR``)."""
    from netstats.io import save_cohort

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("out", nargs="?", default="data/synthetic", help="output folder")
    parser.add_argument("--n-patients", type=int, default=BUNDLED_N_PATIENTS)
    parser.add_argument("--seed", type=int, default=BUNDLED_SEED)
    args = parser.parse_args(argv)
    cohort = simulate_cohort(args.n_patients, seed=args.seed)
    return save_cohort(cohort, args.out, format="csv", overwrite=True)


if __name__ == "__main__":  # pragma: no cover
    print(main())

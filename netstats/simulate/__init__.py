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
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import expit

from netstats._version import __version__
from netstats.cohort import Cohort
from netstats.schema import DAYS_PER_MONTH, TABLES
from netstats.simulate import _disease as dis
from netstats.simulate import _tables as tab
from netstats.simulate._lines import LineRows, Rescans, simulate_lines
from netstats.simulate._params import GRADES, REGIMEN_PARAMETERS, Scenario

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
        - ``reexpression_rate``, ``n_reevaluated`` and ``n_reexpressed``: probability
          that a re-evaluation scan after everolimus or CAPTEM of an SSTR-negative tumour
          is positive (Krenning 3-4), the number of such scans in the cohort, and how
          many of them were positive;
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

    Determinism holds for a given NumPy version: NumPy does not promise identical
    ``Generator`` streams across its releases, so a NumPy upgrade may change the cohort
    drawn from a seed (the bundled-data test detects this).

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
    pathology, samples, pairs = tab.pathology_tables(rng, pat, sc)
    lines, rescans, death = simulate_lines(rng, pat, sc)
    last_contact = np.minimum(pat.censor, death)
    died = death <= pat.censor
    imaging = tab.imaging_table(rng, pat, rescans, last_contact, sc)
    ids = tab.patient_ids(n)
    tables = {
        "patients": tab.patients_table(pat, ids, last_contact, died, rng, sc),
        "pathology": tab.with_ids(pathology, ids, "sample_id", "S"),
        "therapy_lines": tab.lines_table(lines, ids, pat.censor),
        "imaging": tab.with_ids(imaging, ids, "scan_id", "I"),
    }
    truth = _truth(pat, ids, samples, pairs, lines, rescans, last_contact, death, sc, seed, n)
    if validate:
        # A tiny cohort can have no lines or scans: pass such a table as absent (a
        # table_missing warning), since validation rejects a supplied table without rows.
        supplied = {k: (v if len(v) or k == "patients" else None) for k, v in tables.items()}
        return Cohort.from_tables(
            tables["patients"],
            supplied["pathology"],
            supplied["therapy_lines"],
            supplied["imaging"],
            source="simulated",
            truth=truth,
        )
    canonical = {name: tab.canonical(frame, name) for name, frame in tables.items()}
    return Cohort(
        canonical["patients"],
        canonical["pathology"],
        canonical["therapy_lines"],
        canonical["imaging"],
        source="simulated",
        truth=truth,
    )


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
                "death_date_latent": tab.dates(death),
            }
        ),
        "samples": samples.assign(patient_id=ids[samples["patient_index"].to_numpy()]).drop(
            columns="patient_index"
        ),
    }
    return MappingProxyType(truth)


# --- command line --------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> Path:
    """Write the bundled synthetic cohort (``python -m netstats.simulate OUT_DIR``).

    The four table files are replaced; other files in the folder (its README) are kept.
    """
    from netstats.io import save_cohort

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("out", nargs="?", default="data/synthetic", help="output folder")
    parser.add_argument("--n-patients", type=int, default=BUNDLED_N_PATIENTS)
    parser.add_argument("--seed", type=int, default=BUNDLED_SEED)
    args = parser.parse_args(argv)
    cohort = simulate_cohort(args.n_patients, seed=args.seed)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        written = save_cohort(cohort, Path(tmp) / "cohort", format="csv")
        for name in TABLES:
            shutil.copyfile(written / f"{name}.csv", out / f"{name}.csv")
    return out


if __name__ == "__main__":  # pragma: no cover
    print(main())

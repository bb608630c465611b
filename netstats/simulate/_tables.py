"""Assembling the generated arrays into the four cohort tables (canonical dtypes)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from netstats.cohort._parse import MISSING_TOKENS
from netstats.schema import TABLES
from netstats.simulate import _disease as dis
from netstats.simulate._lines import LineRows, Rescans
from netstats.simulate._params import GRADES, Scenario
from netstats.vocab import drug_class

__all__ = [
    "canonical",
    "dates",
    "imaging_table",
    "lines_table",
    "pathology_tables",
    "patient_ids",
    "patients_table",
    "with_ids",
]


def patient_ids(n: int) -> np.ndarray:
    width = max(6, len(str(n)))
    return np.array([f"P{i:0{width}d}" for i in range(1, n + 1)], dtype=object)


def dates(days: np.ndarray) -> pd.Series:
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


def patients_table(
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
            "birth_date": dates(birth),
            "age_at_diagnosis": _floats(pat.age),
            "diagnosis_date": dates(pat.diag),
            "primary_site": _strings(pat.site),
            "functional_status": _strings(pat.functional),
            "hereditary_syndrome": _strings(pat.hereditary),
            "stage_at_diagnosis": _strings(pat.stage),
            "last_contact_date": dates(last_contact),
            "death_date": dates(np.where(died, last_contact, np.nan)),
        }
    )


def pathology_tables(
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
            "sample_date": dates(date),
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


def with_ids(frame: pd.DataFrame, ids: np.ndarray, key: str, letter: str) -> pd.DataFrame:
    """Add patient_id and a per-patient numbered row id (e.g. P000001-S1) first."""
    who = frame["patient_index"].to_numpy()
    number = frame.groupby("patient_index").cumcount().to_numpy() + 1
    pid = ids[who]
    row_id = np.char.add(np.char.add(pid.astype(str), f"-{letter}"), number.astype(str))
    out = frame.drop(columns="patient_index")
    out.insert(0, key, _strings(row_id.astype(object)))
    out.insert(0, "patient_id", _strings(pid))
    return out.reset_index(drop=True)


def imaging_table(
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
            "scan_date": dates(frame["scan_date"].to_numpy()),
            "tracer": _strings(frame["tracer"].to_numpy()),
            "krenning_score": _ints(frame["krenning_score"].to_numpy()),
            "suvmax_lesion": _floats(frame["suvmax_lesion"].to_numpy()),
            "suvmax_liver": _floats(frame["suvmax_liver"].to_numpy()),
            "suvmax_spleen": _floats(frame["suvmax_spleen"].to_numpy()),
            "fdg_avid": pd.Series(frame["fdg_avid"].to_numpy(), dtype="boolean"),
            "liver_burden_percent": _floats(frame["liver_burden_percent"].to_numpy()),
        }
    )


def lines_table(lines: LineRows, ids: np.ndarray, censor: np.ndarray) -> pd.DataFrame:
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
            "start_date": dates(pick(lines.start)),
            "end_date": dates(pick(lines.end)),
            "end_reason": _strings(pick(lines.end_reason)),
            "progression_date": dates(pick(lines.progression)),
            "best_response": _strings(pick(lines.best_response)),
            "last_assessment_date": dates(pick(lines.last_assessment)),
            "cycles": _ints(pick(lines.cycles)),
        }
    )


def canonical(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    """The table in canonical column order and dtypes, built without running validation.

    The generated values are already canonical; the one parsing rule applied here is the
    validator's reading of missing-value tokens in text columns, so the tables equal
    those of :meth:`Cohort.from_tables` (a test checks this).
    """
    columns = {}
    for col in TABLES[name].columns:
        dtype: Any = col.dtype
        values = frame[col.name].astype(dtype)
        if col.dtype == "string":
            uniques = values.dropna().unique()
            tokens = [u for u in uniques if u.strip().lower() in MISSING_TOKENS]
            values = values.mask(values.isin(tokens))
        columns[col.name] = values
    out = pd.DataFrame(columns).reset_index(drop=True)
    if name == "therapy_lines":
        out["drug_class"] = out["regimen"].map(drug_class).astype("string")
    return out

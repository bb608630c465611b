"""Lines of therapy of the synthetic cohort: regimen choice, outcomes, dates (vectorised).

The natural history is simulated to the end (death or the last line) and censored at the
patient's censoring date afterwards, so the truth (latent PFS of every line, latent OS)
is known for every patient, observed or not.  Each line is one vectorised step over the
patients still on treatment.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from netstats.schema import DAYS_PER_MONTH
from netstats.simulate._disease import Patients
from netstats.simulate._params import REGIMEN_PARAMETERS, Scenario
from netstats.vocab import drug_class

REGIMENS = tuple(REGIMEN_PARAMETERS)
_IDX = {r: i for i, r in enumerate(REGIMENS)}
_CLASS = np.array([drug_class(r).split(" + ")[0] for r in REGIMENS], dtype=object)
SSA = np.array([drug_class(r).startswith("SSA") for r in REGIMENS])
REEXPRESSION_DRUGS = ("everolimus", "CAPTEM")
PATIENT_CHOICE_PER_MONTH = 0.002
GOLDEN = 0.6180339887498949


def _weights(table: dict[str, float]) -> np.ndarray:
    w = np.zeros(len(REGIMENS))
    for name, value in table.items():
        w[_IDX[name]] = value
    return w


# Guideline logic (NANETS): SSA first for SSTR-positive low-volume G1/G2 disease; CAPTEM or
# liver-directed therapy for bulky or higher-grade disease; targeted agents and PRRT later.
W_FIRST_SSTR_LOW = _weights({"octreotide LAR": 0.35, "lanreotide": 0.50, "CAPTEM": 0.05})
W_FIRST_SSTR_BULKY = _weights(
    {
        "octreotide LAR + TACE": 0.25,
        "CAPTEM": 0.35,
        "lanreotide": 0.15,
        "octreotide LAR": 0.10,
        "TACE": 0.05,
        "177Lu-DOTATATE": 0.10,
    }
)
W_FIRST_SSTR_NEG = _weights(
    {
        "CAPTEM": 0.45,
        "everolimus": 0.20,
        "sunitinib": 0.12,
        "surufatinib": 0.05,
        "streptozocin-based": 0.10,
        "temozolomide": 0.03,
        "TACE": 0.05,
    }
)
W_FIRST_G3 = _weights(
    {
        "CAPTEM": 0.60,
        "everolimus": 0.10,
        "sunitinib": 0.10,
        "streptozocin-based": 0.10,
        "177Lu-DOTATATE": 0.10,
    }
)
W_FIRST_NEC = _weights({"platinum-etoposide": 1.0})
W_LATER = _weights(
    {
        "everolimus": 0.25,
        "sunitinib": 0.15,
        "surufatinib": 0.05,
        "CAPTEM": 0.20,
        "streptozocin-based": 0.05,
        "temozolomide": 0.02,
        "TACE": 0.05,
        "TARE": 0.03,
        "177Lu-DOTATATE": 0.35,
    }
)
W_LATER_G3 = _weights(
    {
        "CAPTEM": 0.30,
        "everolimus": 0.15,
        "sunitinib": 0.10,
        "177Lu-DOTATATE": 0.20,
        "platinum-etoposide": 0.10,
        "FOLFOX": 0.05,
    }
)
W_LATER_NEC = _weights({"FOLFOX": 0.5, "CAPTEM": 0.3, "temozolomide": 0.2})
PRRT = _IDX["177Lu-DOTATATE"]
OCTREOTIDE = _IDX["octreotide LAR"]
LANREOTIDE = _IDX["lanreotide"]
WATCH = _IDX["watch-and-wait"]


@dataclass
class LineRows:
    """Columns of the therapy-line rows (arrays), before censoring at the cut-off."""

    patient: np.ndarray
    line: np.ndarray
    regimen: np.ndarray
    start: np.ndarray
    end: np.ndarray  # NaN: not ended before censoring
    end_reason: np.ndarray
    progression: np.ndarray
    best_response: np.ndarray
    last_assessment: np.ndarray
    cycles: np.ndarray  # float, NaN when not counted
    pfs_latent: np.ndarray  # months, continuous latent progression or death
    pfs_detected: np.ndarray  # months, progression at the detecting assessment or death


@dataclass
class Rescans:
    """Re-evaluation SSTR scans after everolimus or CAPTEM (before censoring)."""

    patient: np.ndarray
    date: np.ndarray
    reexpressed: np.ndarray


def _choose_regimens(
    rng: np.random.Generator,
    line: int,
    cls: np.ndarray,
    positive: np.ndarray,
    prrt_ok: np.ndarray,
    bulky: np.ndarray,
    reexpressed: np.ndarray,
    used: np.ndarray,
    stopped_class: np.ndarray,
    low_grade_watch: np.ndarray,
) -> np.ndarray:
    """Regimen code per patient (-1 when no option is left)."""
    m = cls.size
    if line == 1:
        w = np.where(positive[:, None], W_FIRST_SSTR_LOW, W_FIRST_SSTR_NEG)
        w = np.where((positive & bulky)[:, None], W_FIRST_SSTR_BULKY, w)
        watch = np.zeros(len(REGIMENS))
        watch[WATCH] = 1.0
        w = np.where(low_grade_watch[:, None], watch, w)
        w = np.where((cls == 2)[:, None], W_FIRST_G3, w)
        w = np.where((cls == 3)[:, None], W_FIRST_NEC, w)
    else:
        w = np.where((cls == 2)[:, None], W_LATER_G3, W_LATER)
        w = np.where((cls == 3)[:, None], W_LATER_NEC, w)
        w = w.copy()
        # SSA for SSTR-positive patients who have not had one (e.g. CAPTEM first for
        # bulky disease), and SSA again after SSTR re-expression.
        no_ssa_yet = ~(used & SSA[None, :]).any(axis=1)
        w[:, LANREOTIDE] = np.where(no_ssa_yet, 0.15, 0.0)
        w[:, OCTREOTIDE] = np.where(reexpressed, 1.0, 0.0)
        w[:, PRRT] *= np.where(reexpressed, 3.0, 1.0)
    w = np.array(w, dtype=float, copy=True)
    w[:, PRRT] *= prrt_ok
    w[~positive[:, None] & SSA[None, :]] = 0.0
    # Nothing twice, except SSA after re-expression; no class just stopped for toxicity.
    again = used & ~(reexpressed[:, None] & (np.arange(len(REGIMENS)) == OCTREOTIDE)[None, :])
    w[again] = 0.0
    w[_CLASS[None, :] == stopped_class[:, None]] = 0.0
    total = w.sum(axis=1)
    cum = np.cumsum(w, axis=1) / np.where(total > 0, total, 1.0)[:, None]
    pick = (cum < rng.random(m)[:, None]).sum(axis=1).clip(0, len(REGIMENS) - 1)
    return np.where(total > 0, pick, -1)


def _assessment(k: np.ndarray, interval: float, jitter_u: np.ndarray) -> np.ndarray:
    """Day (from line start) of assessment number k >= 1: a schedule with +-7 days jitter."""
    frac = np.mod(jitter_u + GOLDEN * k, 1.0)
    return k * interval + np.floor(15.0 * frac) - 7.0


def simulate_lines(
    rng: np.random.Generator, pat: Patients, sc: Scenario
) -> tuple[LineRows, Rescans, np.ndarray]:
    """Simulate every line of every metastatic patient; return rows, rescans, death dates."""
    n = pat.cls.size
    interval = round(sc.assessment_interval_months * DAYS_PER_MONTH)
    ki = pat.ki67
    start = pat.met_date + np.floor(rng.uniform(14, 91, n))
    death = pat.death_other.copy()
    active = start < death
    used = np.zeros((n, len(REGIMENS)), dtype=bool)
    stopped_class = np.full(n, "", dtype=object)
    reexpr_at = np.full(n, np.inf)
    rescanned = np.zeros(n, dtype=bool)
    negative = pat.krenning <= 1
    bulky = pat.liver_burden > 25
    watch = (
        (pat.cls <= 1) & ~bulky & (pat.krenning >= 2) & (rng.random(n) < sc.watch_and_wait_share)
    )
    pps_median = np.array(sc.post_progression_months)[np.array([0, 0, 1, 2])[pat.cls]]
    last_det = np.full(n, np.nan)
    pps = rng.exponential(1.0, n) * pps_median / np.log(2) * DAYS_PER_MONTH
    rows: list[dict[str, np.ndarray]] = []
    scans: list[dict[str, np.ndarray]] = []
    median_pub = np.array([sc.median_months(r) for r in REGIMENS])
    params = [REGIMEN_PARAMETERS[r] for r in REGIMENS]
    anchor = np.array([p.anchor_line for p in params], dtype=float)
    ki_ref = np.array([p.ki67_ref for p in params])
    tox_p = np.array([p.toxicity_share for p in params])
    orr = np.array([p.response_rate for p in params])
    cycle_days = np.array([p.cycle_days or 0 for p in params], dtype=float)
    fixed = np.array([p.cycle_days is not None for p in params])
    cyc_lo = np.array([p.cycles[0] for p in params])
    cyc_hi = np.array([p.cycles[1] for p in params])
    latent_ref = np.maximum(median_pub - sc.assessment_interval_months / 2, 0.25 * median_pub)
    tox_hazard = np.log(2) / median_pub * tox_p / (1 - tox_p)  # per month
    k = sc.pfs_shape

    for line in range(1, sc.max_lines + 1):
        idx = np.flatnonzero(active)
        if idx.size == 0:
            break
        s = start[idx]
        now_reexpr = reexpr_at[idx] <= s
        kren_now = np.where(now_reexpr, 3, pat.krenning[idx])
        reg = _choose_regimens(
            rng,
            line,
            pat.cls[idx],
            kren_now >= 2,
            kren_now >= 3,
            bulky[idx],
            now_reexpr,
            used[idx],
            stopped_class[idx],
            watch[idx] & (line == 1),
        )
        none = reg < 0
        if none.any():
            # No option left: therapy stops; disease death follows the last progression.
            gone = idx[none]
            active[gone] = False
            death[gone] = np.minimum(death[gone], np.floor(last_det[gone] + pps[gone]))
            idx, s, reg = idx[~none], s[~none], reg[~none]
            if idx.size == 0:
                break
        m = idx.size
        used[idx, reg] = True

        # Progression: Weibull with proportional hazards in line and Ki-67.
        log_mult = (line - anchor[reg]) * np.log(sc.hr_per_line) + np.log2(
            ki[idx] / ki_ref[reg]
        ) * np.log(sc.hr_ki67_doubling)
        med = latent_ref[reg] * np.exp(-log_mult / k)
        t_prog = med * (rng.exponential(1.0, m) / np.log(2)) ** (1 / k) * DAYS_PER_MONTH
        t_tox = rng.exponential(1.0, m) / np.maximum(tox_hazard[reg], 1e-12) * DAYS_PER_MONTH
        t_choice = rng.exponential(1.0, m) / PATIENT_CHOICE_PER_MONTH * DAYS_PER_MONTH
        planned = rng.integers(cyc_lo[reg], cyc_hi[reg] + 1)
        t_plan = np.where(fixed[reg], (planned - 1) * cycle_days[reg], np.inf)
        jit = rng.random(m)
        gap = np.floor(rng.uniform(14, 61, m))
        u_resp = rng.random(m)
        base_stop = sc.stop_after_line[line - 1] if line <= 4 else 1.0
        p_stop = np.where(pat.cls[idx] == 3, max(base_stop, sc.nec_stop_after_line), base_stop)
        stop = rng.random(m) < p_stop
        u_scan = rng.random(m)
        scan_delay = np.floor(rng.uniform(150, 400, m))
        u_reexpr = rng.random(m)
        u_k = rng.random(m)

        # Progression is recorded at the first assessment on or after it happens.
        k0 = np.maximum(np.ceil(t_prog / interval), 1.0)
        det = np.full(m, np.nan)
        for cand in (k0 - 1, k0, k0 + 1):
            a = _assessment(np.maximum(cand, 1), interval, jit)
            det = np.where(np.isnan(det) & (cand >= 1) & (a >= t_prog), a, det)
        t_death = death[idx] - s
        t_cens = pat.censor[idx] - s
        cands = np.vstack([det, t_tox, t_choice, t_plan, t_death])
        first = np.argmin(cands, axis=0)
        t_end = cands[first, np.arange(m)]
        # The next line starts after progression (or after a stop for toxicity or by choice;
        # a completed fixed-duration treatment waits for progression).
        trigger = np.select([first <= 2, first == 3], [t_end, det], np.inf)
        cont = (~stop) & (line < sc.max_lines) & (trigger < t_death)
        nxt = np.where(cont, trigger + gap, np.inf)
        cont &= nxt < t_death
        nxt = np.where(cont, nxt, np.inf)
        prog_seen = det <= np.minimum(t_death, nxt)

        # Disease death after the last progression when no further therapy follows.
        final = ~cont & (det < t_death)
        last_det[idx] = s + det
        death[idx] = np.where(
            final, np.minimum(death[idx], np.floor(s + det + pps[idx])), death[idx]
        )

        # What is recorded by the censoring date.
        ended = t_end <= t_cens
        reason = np.array(["progression", "toxicity", "patient_choice", "completed", "death"])[
            first
        ].astype(object)
        reason = np.where(ended, reason, "ongoing")
        prog_rec = prog_seen & (det <= t_cens)
        follow = np.minimum.reduce(
            [np.where(prog_rec, det, np.inf), t_death, nxt, t_cens, np.full(m, 3.0e4)]
        )
        k_last = np.floor((follow + 7.0) / interval)
        a_last = _assessment(np.maximum(k_last, 1), interval, jit)
        a_prev = _assessment(np.maximum(k_last - 1, 1), interval, jit)
        last = np.where(a_last <= follow, a_last, np.where(k_last >= 2, a_prev, np.nan))
        last = np.where((k_last >= 1) & (last <= follow), last, np.nan)
        first_a = _assessment(np.ones(m), interval, jit)
        best = np.where(u_resp < orr[reg], np.where(u_k < 0.05, "CR", "PR"), "SD")
        best = np.where(prog_rec & (det <= first_a), "PD", best).astype(object)
        best[np.isnan(last)] = None
        best[np.isnan(last) & ended] = "NE"
        treated = np.minimum.reduce([t_end, t_plan, t_cens])
        per = np.maximum(cycle_days[reg], 1.0)
        given = np.where(fixed[reg], np.minimum(planned, np.floor(treated / per) + 1), np.nan)
        rows.append(
            {
                "patient": idx,
                "line": np.full(m, line),
                "regimen": reg,
                "start": s,
                "end": np.where(ended, s + t_end, np.nan),
                "end_reason": reason,
                "progression": np.where(prog_rec, s + det, np.nan),
                "best_response": best,
                "last_assessment": s + last,
                "cycles": given,
                "pfs_latent": np.minimum(t_prog, t_death) / DAYS_PER_MONTH,
                "pfs_detected": np.minimum(det, t_death) / DAYS_PER_MONTH,
            }
        )

        # Re-evaluation SSTR scan of SSTR-negative tumours after everolimus or CAPTEM.
        eligible = (
            np.isin(reg, [_IDX[d] for d in REEXPRESSION_DRUGS])
            & negative[idx]
            & ~rescanned[idx]
            & (u_scan < sc.reevaluation_scan_share)
            & (scan_delay < t_death)
        )
        rescanned[idx[eligible]] = True
        hit = eligible & (u_reexpr < sc.reexpression_rate)
        reexpr_at[idx[hit]] = s[hit] + scan_delay[hit]
        scans.append(
            {
                "patient": idx[eligible],
                "date": (s + scan_delay)[eligible],
                "reexpressed": hit[eligible],
            }
        )
        stopped_class[idx] = np.where(first == 1, _CLASS[reg], "")
        start[idx] = s + nxt
        active[idx] = cont

    return _stack_rows(rows), _stack_scans(scans), death


def _stack_rows(rows: list[dict[str, np.ndarray]]) -> LineRows:
    keys = [f for f in LineRows.__dataclass_fields__]
    if not rows:
        empty = {key: np.array([]) for key in keys}
        return LineRows(**empty)
    out = {key: np.concatenate([r[key] for r in rows]) for key in keys}
    out["regimen"] = np.array(REGIMENS, dtype=object)[out["regimen"].astype(int)]
    return LineRows(**out)


def _stack_scans(scans: list[dict[str, np.ndarray]]) -> Rescans:
    if not scans:
        return Rescans(np.array([], dtype=int), np.array([]), np.array([], dtype=bool))
    return Rescans(
        np.concatenate([s["patient"] for s in scans]),
        np.concatenate([s["date"] for s in scans]),
        np.concatenate([s["reexpressed"] for s in scans]),
    )


__all__ = ["REGIMENS", "LineRows", "Rescans", "simulate_lines"]

"""Registry-scale runs of netstats in their own process: prints JSON.

python benchmarks/_worker_scale.py endpoints N_PATIENTS
    time of line_endpoints on a simulated cohort of N_PATIENTS patients
python benchmarks/_worker_scale.py memory N_LINES
    simulate enough patients for about N_LINES therapy lines, then run line_endpoints,
    Kaplan-Meier and a Cox model on the lines table; reports the lines table size, the
    wall time and the process peak resident memory after each stage
"""

from __future__ import annotations

import json
import resource
import sys
import time
import warnings


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: KiB


def main() -> None:
    from netstats.endpoints import line_endpoints
    from netstats.simulate import simulate_cohort

    what, n = sys.argv[1], int(sys.argv[2])
    out: dict[str, float] = {}
    if what == "endpoints":
        cohort = simulate_cohort(n, seed=1, validate=False)
        t0 = time.perf_counter()
        ep = line_endpoints(cohort)
        out = {"seconds": time.perf_counter() - t0, "n_lines": float(len(ep))}
    elif what == "memory":
        from netstats.survival import cox, kaplan_meier

        out["rss_start_mib"] = _rss_mib()
        probe = line_endpoints(simulate_cohort(2000, seed=1, validate=False))
        n_patients = int(n / (len(probe) / 2000))
        cohort = simulate_cohort(n_patients, seed=1, validate=False)
        out["rss_cohort_mib"] = _rss_mib()
        t0 = time.perf_counter()
        ep = line_endpoints(cohort)
        out["endpoints_seconds"] = time.perf_counter() - t0
        out["n_lines"] = float(len(ep))
        out["lines_table_mib"] = float(ep.memory_usage(deep=True).sum() / 2**20)
        out["rss_endpoints_mib"] = _rss_mib()
        data = ep.loc[ep["pfs_months"].notna(), ["pfs_months", "pfs_event", "line", "patient_id"]]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t0 = time.perf_counter()
            kaplan_meier(data, time="pfs_months", event="pfs_event", conf_type="log-log")
            out["km_seconds"] = time.perf_counter() - t0
            out["rss_km_mib"] = _rss_mib()
            t0 = time.perf_counter()
            cox(
                data,
                time="pfs_months",
                event="pfs_event",
                covariates=["line"],
                cluster="patient_id",
            )
            out["cox_seconds"] = time.perf_counter() - t0
        out["rss_cox_mib"] = _rss_mib()
        out["n_patients"] = float(n_patients)
    print(json.dumps(out))


if __name__ == "__main__":
    main()

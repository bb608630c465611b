"""Cox fits with the machine's default BLAS threads, under load: one BLAS thread or the pool.

    python benchmarks/bench_blas_threads.py [--sizes 100000 1000000] [--processes 8] [--no-load]

The information matrix of the Cox engine (``weighted_gram`` in
``netstats/survival/_cox_core.py``) is a sum of many small products; with a multi-threaded
BLAS on a busy machine those stall.  netstats runs that step on one BLAS thread.  This script
fits Cox (Efron, 10 covariates, data of ``benchmarks/run.py``) in fresh processes with the
default thread settings (``OMP_NUM_THREADS`` and ``OPENBLAS_NUM_THREADS`` removed from the
environment), alternating four variants: netstats as shipped ("1 thread"), netstats with the
limit switched off ("pool": the step as it was before), and the peers lifelines and the plain
NumPy fit (``benchmarks/_plain_cox.py``).  A busy-loop process keeps one core busy for the
whole run (``--no-load`` leaves it out).  Each process first fits 2,000 rows (one-time
costs, below the size of the blockwise step), then fits all rows, timed.  Reports the median
and the worst fit time over the processes, the time spent in the information-matrix step
itself, and the largest coefficient difference between the two netstats variants.  Run from
the repository root.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

WORKER = r"""
import contextlib, json, sys, time, warnings
import numpy as np, pandas as pd
variant, path = sys.argv[1], sys.argv[2]
data = pd.read_parquet(path)
xs = [f"x{j}" for j in range(10)]
warnings.simplefilter("ignore")
if variant in ("1 thread", "pool"):
    from netstats.survival import _cox_core, cox
    if variant == "pool":
        _cox_core._one_blas_thread = contextlib.nullcontext
    gram, spent = _cox_core.weighted_gram, [0.0]

    def timed_gram(*a, **k):
        t = time.perf_counter()
        out = gram(*a, **k)
        spent[0] += time.perf_counter() - t
        return out

    _cox_core.weighted_gram = timed_gram
    fit = lambda df: cox(df, time="time", event="event", covariates=xs).coef
elif variant == "lifelines":
    from lifelines import CoxPHFitter
    fit = lambda df: CoxPHFitter().fit(df[[*xs, "time", "event"]], "time", "event").params_.to_numpy()
else:
    sys.path.insert(0, "benchmarks")
    from _plain_cox import plain_numpy_efron
    arrays = lambda df: (df[xs].to_numpy(), df["time"].to_numpy(), df["event"].to_numpy())
    fit = lambda a: plain_numpy_efron(*a)
    data_warm, data = arrays(data.iloc[:2000]), arrays(data)
if variant != "plain NumPy":
    data_warm = data.iloc[:2000]
fit(data_warm)  # one-time costs, on fewer rows than the blockwise step needs
if variant in ("1 thread", "pool"):
    spent[0] = 0.0
t0 = time.perf_counter()
coef = fit(data)
seconds = time.perf_counter() - t0
step = spent[0] if variant in ("1 thread", "pool") else None
print(json.dumps({"seconds": seconds, "gram": step, "coef": [float(c) for c in coef]}))
"""

VARIANTS = ("1 thread", "pool", "plain NumPy", "lifelines")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    ap.add_argument("--processes", type=int, default=8, help="fresh processes per variant")
    ap.add_argument("--no-load", action="store_true", help="no busy-loop process")
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from run import make_data

    env = {
        k: v for k, v in os.environ.items() if k not in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS")
    }
    env["PYTHONPATH"] = str(ROOT)
    hog = None if args.no_load else subprocess.Popen([sys.executable, "-c", "while True: pass"])
    rows = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for n in args.sizes:
                path = str(Path(tmp) / f"cox_{n}.parquet")
                make_data(n).to_parquet(path)
                got: dict[str, list[dict]] = {v: [] for v in VARIANTS}
                for _ in range(args.processes):
                    for variant in VARIANTS:
                        if variant == "lifelines" and len(got[variant]) >= 3:
                            continue  # the slow peer: three processes are enough
                        proc = subprocess.run(
                            [sys.executable, "-c", WORKER, variant, path],
                            capture_output=True,
                            text=True,
                            env=env,
                            cwd=ROOT,
                            timeout=600,
                            check=True,
                        )
                        res = json.loads(proc.stdout.strip().splitlines()[-1])
                        got[variant].append(res)
                        step = "" if res["gram"] is None else f" (step {res['gram']:.3f} s)"
                        print(f"n={n:>9,d} {variant:12s} {res['seconds']:.3f} s{step}", flush=True)
                one = got["1 thread"][0]["coef"]
                diff = max(
                    abs(a - b)
                    for r in got["1 thread"] + got["pool"]
                    for a, b in zip(r["coef"], one, strict=True)
                )
                rows.append((n, got, diff))
    finally:
        if hog is not None:
            hog.terminate()
            hog.wait()
    load = "no added load" if args.no_load else "one busy-loop process on the other core"
    print(
        f"\n{os.cpu_count()} CPUs, {load}, default BLAS threads, {args.processes} fresh processes"
    )
    print(
        "| n | variant | fit, median (s) | fit, worst (s) | information-matrix step, median "
        "(worst) (s) | processes | median / netstats (1 thread) |\n|---|---|---|---|---|---|---|"
    )
    for n, got, diff in rows:
        base = statistics.median(r["seconds"] for r in got["1 thread"])
        for variant in VARIANTS:
            ts = [r["seconds"] for r in got[variant]]
            med = statistics.median(ts)
            steps = [r["gram"] for r in got[variant] if r["gram"] is not None]
            step = f"{statistics.median(steps):.3f} ({max(steps):.3f})" if steps else "–"
            print(
                f"| {n:,} | {variant} | {med:.3f} | {max(ts):.3f} | {step} | {len(ts)} "
                f"| {med / base:.2f}x |"
            )
        print(f"| {n:,} | largest coefficient difference, 1 thread vs pool | {diff:.1e} | | | | |")


if __name__ == "__main__":
    main()

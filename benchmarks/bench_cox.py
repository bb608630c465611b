"""Cox fit timings: netstats against lifelines, statsmodels, R survival and a plain NumPy Newton.

Data as in the speed issue: Efron ties, 10 covariates, ~30 % censoring, day-level tied
times; fit time only (data preparation excluded where a tool allows), median of repeats.

    python benchmarks/bench_cox.py [--sizes 10000 100000] [--repeats 5] [--no-r] [--peers]

Prints one table row per (tool, n). Run from the repository root.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from netstats.survival._cox import cox

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _plain_cox import plain_numpy_efron

P = 10


def make_data(n: int, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, P))
    beta = np.linspace(-0.5, 0.5, P)
    t_event = rng.exponential(365 * np.exp(-(x @ beta)))
    t_cens = rng.exponential(365 * 2.2, size=n)
    df = pd.DataFrame(x, columns=[f"x{j}" for j in range(P)])
    df["time"] = np.ceil(np.minimum(t_event, t_cens))
    df["event"] = (t_event <= t_cens).astype(int)
    df["patient_id"] = rng.integers(0, max(n // 3, 1), size=n)
    return df


def report(rows: list, tool: str, n: int, seconds: float) -> None:
    rows.append((tool, n, seconds))
    print(f"{tool:28s} n={n:>9,d}  {seconds:8.4f} s", flush=True)


def timed(fn, repeats: int) -> float:
    """Median wall time of ``repeats`` calls after one warm-up call."""
    fn()
    out = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return float(np.median(out))


R_SCRIPT = """
suppressMessages(library(survival))
d <- read.csv("{path}")
f <- as.formula(paste("Surv(time, event) ~", paste0("x", 0:9, collapse = " + ")))
ts <- replicate({repeats}, system.time(coxph(f, data = d))[["elapsed"]])
ts2 <- replicate({repeats}, system.time(coxph(f, data = d, cluster = patient_id))[["elapsed"]])
cat(median(ts), median(ts2), "\\n")
"""


def bench_size(n: int, args: argparse.Namespace, rows: list) -> None:
    """Time every tool on one generated data set of ``n`` rows."""
    cols = [f"x{j}" for j in range(P)]
    df = make_data(n)
    reps = args.repeats

    def ns(**kw: object) -> None:
        cox(df, time="time", event="event", covariates=cols, **kw)  # type: ignore[arg-type]

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report(rows, "netstats efron", n, timed(ns, reps))
        report(rows, "netstats breslow", n, timed(lambda: ns(ties="breslow"), reps))
        report(rows, "netstats efron + cluster", n, timed(lambda: ns(cluster="patient_id"), reps))
    x, t, d = df[cols].to_numpy(), df["time"].to_numpy(), df["event"].to_numpy()
    report(rows, "plain numpy efron", n, timed(lambda: plain_numpy_efron(x, t, d), reps))
    if args.peers:
        from lifelines import CoxPHFitter
        from statsmodels.duration.hazard_regression import PHReg

        sub = df[[*cols, "time", "event"]]
        few = max(1, reps // 2)
        report(rows, "lifelines", n, timed(lambda: CoxPHFitter().fit(sub, "time", "event"), few))
        report(
            rows,
            "statsmodels PHReg (efron)",
            n,
            timed(lambda: PHReg(t, x, status=d, ties="efron").fit(), few),
        )
    if not args.no_r and shutil.which("Rscript"):
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "d.csv"
            df.to_csv(path, index=False)
            script = R_SCRIPT.format(path=path, repeats=reps)
            out = subprocess.run(
                ["Rscript", "-e", script], capture_output=True, text=True, check=True
            )
            r_plain, r_cluster = (float(v) for v in out.stdout.split())
        report(rows, "R coxph efron", n, r_plain)
        report(rows, "R coxph efron + cluster", n, r_cluster)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--no-r", action="store_true")
    ap.add_argument("--peers", action="store_true", help="also time lifelines and statsmodels")
    args = ap.parse_args()
    rows: list = []
    for n in args.sizes:
        bench_size(n, args, rows)
    table = pd.DataFrame(rows, columns=["tool", "n", "seconds"])
    print()
    print(table.to_string(index=False))


if __name__ == "__main__":
    main()

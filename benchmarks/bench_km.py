"""Kaplan-Meier and log-rank at small n: netstats against statsmodels in the same process.

    python benchmarks/bench_km.py [--sizes 1000 10000 100000] [--repeats 200]

At n = 10,000 a fit is about a millisecond, so fixed costs (input checks, building the
result table) decide the comparison.  Data of ``benchmarks/run.py`` (day-level tied times,
~30 % censoring, a 2-level group).  Calls alternate between the tools (netstats KM with
log-log CI, statsmodels ``SurvfuncRight``; netstats ``logrank``, statsmodels ``survdiff``)
and the table gives the minimum and the median over the repeats, with the ratio
netstats / statsmodels of the medians (the goal at n = 10,000: at most 2x).  Run from the
repository root; ``PYTHONPATH`` chooses the netstats checkout.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import make_data


def tasks(df):
    from statsmodels.duration.survfunc import SurvfuncRight, survdiff

    from netstats.survival import kaplan_meier, logrank

    return {
        "Kaplan-Meier": (
            lambda: kaplan_meier(df, time="time", event="event", conf_type="log-log"),
            lambda: SurvfuncRight(df["time"], df["event"]),
        ),
        "log-rank, 2 groups": (
            lambda: logrank(df, time="time", event="event", group="g"),
            lambda: survdiff(df["time"], df["event"], df["g"]),
        ),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    ap.add_argument("--repeats", type=int, default=200)
    args = ap.parse_args()
    import netstats

    print(f"netstats from {Path(netstats.__file__).parent}")
    print(
        "| task | n | netstats min (ms) | netstats median (ms) | statsmodels min (ms) "
        "| statsmodels median (ms) | netstats / statsmodels |\n|---|---|---|---|---|---|---|"
    )
    warnings.simplefilter("ignore")
    for n in args.sizes:
        df = make_data(n)
        reps = max(args.repeats * 10_000 // max(n, 10_000), 10)
        for name, (ours, theirs) in tasks(df).items():
            ours(), theirs()  # warm-up
            t_ours, t_theirs = [], []
            for _ in range(reps):
                for fn, out in ((ours, t_ours), (theirs, t_theirs)):
                    t0 = time.perf_counter()
                    fn()
                    out.append((time.perf_counter() - t0) * 1e3)
            mo, mt = statistics.median(t_ours), statistics.median(t_theirs)
            print(
                f"| {name} | {n:,} | {min(t_ours):.2f} | {mo:.2f} | {min(t_theirs):.2f} "
                f"| {mt:.2f} | {mo / mt:.2f}x |",
                flush=True,
            )


if __name__ == "__main__":
    main()

"""One benchmark task for one Python tool, in its own process: prints JSON timings.

    python benchmarks/_worker_py.py TOOL TASK DATA.csv REPEATS

TOOL is netstats, lifelines, statsmodels or numpy (the plain NumPy Efron fit of
``benchmarks/_plain_cox.py``, Efron Cox only, timed from the arrays); TASK one of cox_efron, cox_breslow,
cox_cluster, km, logrank, boot_km, boot_cox, boot_cox_2jobs (netstats only). Data loading is not timed; each task is run once to
warm up, then REPEATS times; the median wall time is reported. Unsupported (tool, task)
pairs print ``{"seconds": null}``.
"""

from __future__ import annotations

import json
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

P = 10
XS = [f"x{j}" for j in range(P)]


def netstats_task(task: str, df: pd.DataFrame):
    from netstats.resample import bootstrap_cox, bootstrap_km_median
    from netstats.survival import cox, kaplan_meier, logrank

    if task.startswith("cox"):
        ties = "breslow" if task == "cox_breslow" else "efron"
        cluster = "patient_id" if task == "cox_cluster" else None
        return lambda: cox(
            df, time="time", event="event", covariates=XS, ties=ties, cluster=cluster
        )
    if task == "km":
        return lambda: kaplan_meier(df, time="time", event="event", conf_type="log-log")
    if task == "logrank":
        return lambda: logrank(df, time="time", event="event", group="g")
    if task == "boot_km":
        return lambda: bootstrap_km_median(df, n_resamples=1000, random_state=1)
    if task.startswith("boot_cox"):
        n_jobs = 2 if task == "boot_cox_2jobs" else 1
        return lambda: bootstrap_cox(
            df, covariates=XS[:3], n_resamples=1000, random_state=1, n_jobs=n_jobs
        )
    return None


def lifelines_task(task: str, df: pd.DataFrame):
    from lifelines import CoxPHFitter, KaplanMeierFitter
    from lifelines.statistics import logrank_test

    cols = [*XS, "time", "event"]
    if task == "cox_efron":
        return lambda: CoxPHFitter().fit(df[cols], "time", "event")
    if task == "cox_cluster":
        sub = df[[*cols, "patient_id"]]
        return lambda: CoxPHFitter().fit(sub, "time", "event", cluster_col="patient_id")
    if task == "km":
        return lambda: KaplanMeierFitter().fit(df["time"], df["event"])
    if task == "logrank":
        a, b = df[df["g"] == 0], df[df["g"] == 1]
        return lambda: logrank_test(a["time"], b["time"], a["event"], b["event"])
    if task == "boot_km":
        t, e = df["time"].to_numpy(), df["event"].to_numpy()

        def loop():
            rng = np.random.default_rng(1)
            kmf = KaplanMeierFitter()
            for _ in range(1000):
                i = rng.integers(0, t.size, t.size)
                kmf.fit(t[i], e[i]).median_survival_time_  # noqa: B018

        return loop
    return None


def statsmodels_task(task: str, df: pd.DataFrame):
    import statsmodels.api as sm
    from statsmodels.duration.survfunc import SurvfuncRight, survdiff

    t, e = df["time"].to_numpy(), df["event"].to_numpy()
    if task in ("cox_efron", "cox_breslow"):
        x = df[XS].to_numpy()
        ties = task.removeprefix("cox_")
        return lambda: sm.PHReg(t, x, status=e, ties=ties).fit()
    if task == "km":
        return lambda: SurvfuncRight(t, e)  # estimates and SEs are computed on construction
    if task == "logrank":
        g = df["g"].to_numpy()
        return lambda: survdiff(t, e, g)
    return None


def numpy_task(task: str, df: pd.DataFrame):
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from _plain_cox import plain_numpy_efron

    if task == "cox_efron":
        x, t, d = df[XS].to_numpy(), df["time"].to_numpy(), df["event"].to_numpy()
        return lambda: plain_numpy_efron(x, t, d)
    return None


def main() -> None:
    tool, task, path, repeats = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    df = pd.read_csv(path)
    tasks = {
        "netstats": netstats_task,
        "lifelines": lifelines_task,
        "statsmodels": statsmodels_task,
        "numpy": numpy_task,
    }
    fn = tasks[tool](task, df)
    if fn is None:
        print(json.dumps({"seconds": None}))
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fn()
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t0)
    print(json.dumps({"seconds": float(np.median(times))}))


if __name__ == "__main__":
    main()

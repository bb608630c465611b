"""The benchmark suite: netstats against its peers, each tool in its own process.

    python benchmarks/run.py [--full] [--memory] [--no-r] [--repeats 3] [--output docs/performance.md]

Generates the data once per size (Cox data as in bench_cox.py: Efron ties, 10 covariates,
~30 % censoring, day-level tied times), writes it to a temporary CSV, and runs every
(tool, task) in a fresh process (benchmarks/_worker_py.py, benchmarks/_worker.R) that
times the call only (median of repeats after a warm-up). R runs when ``Rscript`` is on the
PATH. Writes the table, with ratios peer / netstats, into docs/performance.md between the
``<!-- bench:start -->`` and ``<!-- bench:end -->`` markers. ``--full`` adds Cox at
n = 1,000,000; ``--memory`` adds the peak-memory run on a 1,000,000-row lines table.
Run from the repository root.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
PY_TOOLS = ("netstats", "numpy", "lifelines", "statsmodels")
TOOL_NAMES = {"numpy": "plain NumPy"}
START, END = "<!-- bench:start -->", "<!-- bench:end -->"


def make_data(n: int, seed: int = 1) -> pd.DataFrame:
    """Cox/KM benchmark data (same generator as bench_cox.py), plus a 2-level group ``g``."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 10))
    beta = np.linspace(-0.5, 0.5, 10)
    t_event = rng.exponential(365 * np.exp(-(x @ beta)))
    t_cens = rng.exponential(365 * 2.2, size=n)
    df = pd.DataFrame(x, columns=[f"x{j}" for j in range(10)])
    df["time"] = np.ceil(np.minimum(t_event, t_cens))
    df["event"] = (t_event <= t_cens).astype(int)
    df["patient_id"] = rng.integers(0, max(n // 3, 1), size=n)
    df["g"] = (x[:, 0] > 0).astype(int)
    return df


def run(cmd: list[str], timeout: float = 180) -> float | None:
    """Seconds reported by a worker; None when it fails or runs over ``timeout`` in total."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}  # default BLAS threads, as users run
    try:
        proc = subprocess.run(
            cmd, capture_output=True, text=True, timeout=timeout, env=env, cwd=ROOT
        )
    except subprocess.TimeoutExpired:
        print(f"  over {timeout:.0f} s (warm-up + repeats): {' '.join(cmd)}", file=sys.stderr)
        return None
    if proc.returncode != 0:
        print(f"  failed: {' '.join(cmd)}\n{proc.stderr[-600:]}", file=sys.stderr)
        return None
    return json.loads(proc.stdout.strip().splitlines()[-1])["seconds"]


def plan(full: bool) -> list[tuple[str, int]]:
    sizes = [10_000, 100_000] + ([1_000_000] if full else [])
    jobs = [(t, n) for t in ("cox_efron", "cox_breslow", "cox_cluster") for n in sizes]
    jobs += [("km", 1_000_000), ("logrank", 1_000_000), ("boot_km", 1_000)]
    jobs += [("boot_cox", 1_000), ("boot_cox_2jobs", 1_000)]
    return jobs


LABELS = {
    "cox_efron": "Cox, Efron ties",
    "cox_breslow": "Cox, Breslow ties",
    "cox_cluster": "Cox, Efron + cluster-robust SE",
    "km": "Kaplan-Meier + log-log CI",
    "logrank": "log-rank, 2 groups",
    "boot_km": "bootstrap of the KM median, 1,000 resamples",
    "boot_cox": "bootstrap of Cox (3 covariates), 1,000 resamples, 1 process",
    "boot_cox_2jobs": "bootstrap of Cox (3 covariates), 1,000 resamples, n_jobs=2",
}


def _ratio(x: float) -> str:
    return f"{x:.2f}x" if x < 2 else f"{x:.1f}x"


def table(rows: list[dict], tools: list[str]) -> str:
    peers = [t for t in tools if t != "netstats"]
    name = {t: TOOL_NAMES.get(t, t) for t in tools}
    head = ["task", "n", *(f"{name[t]} (s)" for t in tools)]
    head += [f"{name[p]} / netstats" for p in peers]
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        ns = r.get("netstats")
        cells = [LABELS[r["task"]], f"{r['n']:,}"]
        cells += ["–" if r.get(t) is None else f"{r[t]:.3f}" for t in tools]
        cells += ["–" if r.get(p) is None or not ns else _ratio(r[p] / ns) for p in peers]
        out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--full", action="store_true", help="add Cox at n = 1,000,000")
    ap.add_argument("--memory", action="store_true", help="peak memory on 1,000,000 lines")
    ap.add_argument("--no-r", action="store_true", help="skip R even when Rscript exists")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--output", default=str(ROOT / "docs" / "performance.md"))
    args = ap.parse_args()
    tools = list(PY_TOOLS) + (["R"] if shutil.which("Rscript") and not args.no_r else [])
    rows = []
    load_start = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        cache: dict[int, str] = {}
        for task, n in plan(args.full):
            if n not in cache:
                cache[n] = str(Path(tmp) / f"data_{n}.csv")
                make_data(n).to_csv(cache[n], index=False)
            reps = 1 if n >= 1_000_000 else args.repeats
            row: dict = {"task": task, "n": n}
            for tool in tools:
                skip = (task.startswith("boot_cox") and tool != "netstats") or (
                    tool == "numpy" and task != "cox_efron"
                )
                if skip:
                    row[tool] = None
                    continue
                if tool == "R":
                    cmd = ["Rscript", "benchmarks/_worker.R", task, cache[n], str(reps)]
                else:
                    worker = "benchmarks/_worker_py.py"
                    cmd = [sys.executable, worker, tool, task, cache[n], str(reps)]
                row[tool] = run(cmd)
                shown = "–" if row[tool] is None else f"{row[tool]:.4f} s"
                print(f"{task:15s} n={n:>9,d} {tool:12s} {shown}", flush=True)
            rows.append(row)
    scale = run_scale(args.memory)
    load = (load_start, os.getloadavg())
    write(Path(args.output), table(rows, tools), scale, load)


def run_scale(memory: bool) -> str:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    lines = []
    cmd = [sys.executable, "benchmarks/_worker_scale.py", "endpoints", "100000"]
    res = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT, check=True)
    ep = json.loads(res.stdout.strip().splitlines()[-1])
    lines.append(
        f"- `line_endpoints` on 100,000 simulated patients ({ep['n_lines']:,.0f} lines): "
        f"{ep['seconds']:.1f} s"
    )
    print(lines[-1], flush=True)
    if memory:
        cmd = [sys.executable, "benchmarks/_worker_scale.py", "memory", "1000000"]
        res = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT, check=True)
        m = json.loads(res.stdout.strip().splitlines()[-1])
        lines.append(
            f"- {m['n_lines']:,.0f}-row lines table ({m['n_patients']:,.0f} patients, "
            f"{m['lines_table_mib']:.0f} MiB in memory): endpoints {m['endpoints_seconds']:.1f} s, "
            f"KM {m['km_seconds']:.2f} s, Cox {m['cox_seconds']:.2f} s; peak resident memory "
            f"{m['rss_cohort_mib']:.0f} MiB after simulating, {m['rss_endpoints_mib']:.0f} MiB "
            f"after endpoints, {m['rss_cox_mib']:.0f} MiB after KM and Cox"
        )
        print(lines[-1], flush=True)
    return "\n".join(lines)


def _load(load: tuple[tuple[float, ...], tuple[float, ...]]) -> str:
    """The 1/5/15-minute load averages at the start and the end of the run."""
    start, end = (" / ".join(f"{x:.2f}" for x in la) for la in load)
    return f"load average (1/5/15 min) {start} at the start, {end} at the end"


def write(
    path: Path, tab: str, scale: str, load: tuple[tuple[float, ...], tuple[float, ...]]
) -> None:
    import joblib  # versions for the record

    versions = {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "pandas": pd.__version__,
    }
    for mod in ("lifelines", "statsmodels"):
        versions[mod] = __import__(mod).__version__
    versions["joblib"] = joblib.__version__
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    block = (
        f"{START}\n_Run {stamp} on {os.cpu_count()} CPUs ({platform.machine()}); "
        + ", ".join(f"{k} {v}" for k, v in versions.items())
        + f"; {_load(load)}"
        + ". Seconds, median of repeats (1 run at n = 1,000,000); ratios > 1x: netstats faster._\n\n"
        + tab
        + "\n\n"
        + scale
        + f"\n{END}"
    )
    text = path.read_text() if path.exists() else f"# Performance\n\n{START}\n{END}\n"
    path.write_text(text[: text.index(START)] + block + text[text.index(END) + len(END) :])
    print(f"wrote {path}")


if __name__ == "__main__":
    main()

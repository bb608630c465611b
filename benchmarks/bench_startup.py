"""Start-up cost of netstats as whole processes, against ``import pandas`` in the same run.

    python benchmarks/bench_startup.py [--repeats 7] [--load]

Each command runs in a fresh interpreter, the commands interleaved round by round so that a
change of machine load hits all of them alike; the table gives the minimum and the median
wall time over the rounds, and the difference from ``import pandas`` measured in the same
rounds (the goal: ``import netstats`` at most 0.3 s more than ``import pandas``;
``netstats --version`` and ``--help`` under 0.3 s; ``netstats validate`` on the bundled
cohort under 1.5 s). ``--load`` runs a busy-loop process for the whole measurement (on a
2-core machine: the other core busy). The command line is run as its console script does
(``from netstats.cli import app; app()``). ``--root`` (repeatable) measures other checkouts in the same rounds (before/after).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLI = "import sys; from netstats.cli import app; sys.argv[0] = 'netstats'; app()"

#: (label, arguments to the interpreter)
COMMANDS: tuple[tuple[str, list[str]], ...] = (
    ("python (empty)", ["-c", "pass"]),
    ("import pandas", ["-c", "import pandas"]),
    ("import pandas, scipy.stats", ["-c", "import pandas, scipy.stats"]),
    ("import lifelines", ["-c", "import lifelines"]),
    ("import netstats", ["-c", "import netstats"]),
    ("import netstats.survival", ["-c", "import netstats.survival"]),
    ("netstats --version", ["-c", CLI, "--version"]),
    ("netstats --help", ["-c", CLI, "--help"]),
    ("netstats validate data/synthetic", ["-c", CLI, "validate", "data/synthetic"]),
)


def busy_loop() -> subprocess.Popen:
    """A process that keeps one core busy until it is terminated."""
    return subprocess.Popen([sys.executable, "-c", "while True: pass"])


def measure(repeats: int, roots: list[Path]) -> dict[Path, dict[str, list[float]]]:
    """Wall times per checkout and command, rounds interleaved over checkouts and commands."""
    times = {root: {label: [] for label, _ in COMMANDS} for root in roots}
    for _ in range(repeats):
        for root in roots:
            env = {**os.environ, "PYTHONPATH": str(root)}
            for label, args in COMMANDS:
                t0 = time.perf_counter()
                subprocess.run(
                    [sys.executable, *args], cwd=root, env=env, check=True, capture_output=True
                )
                times[root][label].append(time.perf_counter() - t0)
    return times


def table(times: dict[str, list[float]]) -> str:
    base_min = min(times["import pandas"])
    base_med = statistics.median(times["import pandas"])
    out = [
        "| process | min (s) | median (s) | median - `import pandas` (s) |",
        "|---|---|---|---|",
    ]
    for label, ts in times.items():
        med = statistics.median(ts)
        diff = "" if label == "import pandas" else f"{med - base_med:+.3f}"
        out.append(f"| `{label}` | {min(ts):.3f} | {med:.3f} | {diff} |")
    out.append("")
    out.append(f"_`import pandas`: min {base_min:.3f} s, median {base_med:.3f} s._")
    return "\n".join(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--load", action="store_true", help="a busy-loop process during the run")
    ap.add_argument(
        "--root",
        type=Path,
        action="append",
        help="checkout to measure (repeatable, e.g. an older one and this one; default: this)",
    )
    args = ap.parse_args()
    hog = busy_loop() if args.load else None
    try:
        times = measure(args.repeats, args.root or [ROOT])
    finally:
        if hog is not None:
            hog.terminate()
            hog.wait()
    load = "one busy-loop process" if args.load else "no added load"
    print(f"{os.cpu_count()} CPUs, {load}, {args.repeats} rounds, python {sys.version.split()[0]}")
    for root, by_command in times.items():
        print(f"\n{root}\n")
        print(table(by_command))


if __name__ == "__main__":
    main()

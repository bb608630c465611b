"""Timing of the synthetic cohort generator (a benchmark, not a test).

Run from the repository root::

    python benchmarks/bench_simulate.py [--n-patients 100000] [--repeat 3] [--validate]

Generation (``validate=False``: tables built directly in canonical form) is timed
separately from validation (:meth:`netstats.cohort.Cohort.from_tables` on the same
tables), whose per-patient line checks dominate for very large cohorts.  The script can
also be run by pytest-benchmark: ``pytest benchmarks/bench_simulate.py --benchmark-only``.
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run from a checkout without installing netstats
    sys.path.insert(0, str(ROOT))

from netstats.cohort import Cohort  # noqa: E402
from netstats.simulate import simulate_cohort  # noqa: E402


def time_generation(n_patients: int, repeat: int) -> tuple[float, Cohort]:
    """Best wall-clock time (s) of ``repeat`` generations without validation."""
    best = float("inf")
    cohort = None
    for i in range(repeat):
        t0 = time.perf_counter()
        cohort = simulate_cohort(n_patients, seed=i, validate=False)
        best = min(best, time.perf_counter() - t0)
    assert cohort is not None
    return best, cohort


def time_validation(cohort: Cohort) -> float:
    """Wall-clock time (s) of validating the generated tables."""
    t0 = time.perf_counter()
    Cohort.from_tables(
        cohort.patients,
        cohort.pathology,
        cohort.therapy_lines.drop(columns="drug_class"),
        cohort.imaging,
    )
    return time.perf_counter() - t0


def test_bench_generation(benchmark):  # pragma: no cover - pytest-benchmark entry point
    benchmark(simulate_cohort, 10_000, seed=1, validate=False)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-patients", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--validate", action="store_true", help="also time validation")
    args = parser.parse_args(argv)
    print(f"python {platform.python_version()} on {platform.machine()}, {platform.system()}")
    seconds, cohort = time_generation(args.n_patients, args.repeat)
    rows = {name: len(frame) for name, frame in cohort.tables.items()}
    print(f"generation of {args.n_patients} patients: {seconds:.2f} s (best of {args.repeat})")
    print(f"rows: {rows}")
    if args.validate:
        print(f"validation (Cohort.from_tables): {time_validation(cohort):.2f} s")


if __name__ == "__main__":
    main()

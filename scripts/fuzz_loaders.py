"""Long-running fuzzing of the cohort loaders (not part of the test suite).

With atheris installed (``pip install atheris``), coverage-guided fuzzing of one table file
of the minimal cohort, as CSV or Excel::

    python scripts/fuzz_loaders.py -atheris_runs=100000

Without atheris, the hypothesis targets of tests/test_fuzz.py run with many examples::

    python scripts/fuzz_loaders.py --examples 2000

The contract is the one tests/test_fuzz.py checks: every input either loads into a valid
cohort or raises CohortValidationError/ValueError with a message.  Any other exception
is a crash, and atheris saves the input that caused it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MINIMAL = ROOT / "tests" / "data" / "minimal"
TABLES = ("patients", "pathology", "therapy_lines", "imaging")


def _run_hypothesis(examples: int) -> int:
    env = dict(os.environ, NETSTATS_FUZZ_EXAMPLES=str(examples), PYTHONPATH=str(ROOT))
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    return subprocess.call([*command, str(ROOT / "tests" / "test_fuzz.py")], cwd=ROOT, env=env)


def _run_atheris(argv: list[str]) -> None:
    import atheris

    # Import the third-party stack first so that only netstats is instrumented.
    import numpy  # noqa: F401
    import openpyxl  # noqa: F401
    import pandas  # noqa: F401
    import pandera.pandas  # noqa: F401
    import scipy.stats  # noqa: F401

    with atheris.instrument_imports(include=["netstats"]):
        from netstats.exceptions import CohortValidationError
        from netstats.io import load_cohort

    work = Path(tempfile.mkdtemp(prefix="netstats-fuzz-"))
    for name in TABLES:
        shutil.copy(MINIMAL / f"{name}.csv", work / f"{name}.csv")

    def one_input(data: bytes) -> None:
        if len(data) < 2:
            return
        table = TABLES[data[0] % len(TABLES)]
        excel = data[1] % 4 == 0
        for name in TABLES:
            for suffix in (".csv", ".xlsx"):
                (work / f"{name}{suffix}").unlink(missing_ok=True)
            shutil.copy(MINIMAL / f"{name}.csv", work / f"{name}.csv")
        (work / f"{table}.csv").unlink()
        (work / f"{table}{'.xlsx' if excel else '.csv'}").write_bytes(data[2:])
        try:
            load_cohort(work)
        except CohortValidationError as exc:
            if exc.problems is None or not str(exc).strip():
                raise AssertionError("validation error without problems or message") from exc
        except ValueError as exc:
            if not str(exc).strip():
                raise AssertionError("ValueError without a message") from exc

    atheris.Setup(argv, one_input)
    atheris.Fuzz()


def main() -> None:
    if "--examples" in sys.argv:
        examples = int(sys.argv[sys.argv.index("--examples") + 1])
        raise SystemExit(_run_hypothesis(examples))
    try:
        import atheris  # noqa: F401
    except ImportError:
        print("atheris is not installed; running the hypothesis targets instead")
        raise SystemExit(_run_hypothesis(1000)) from None
    sys.path.insert(0, str(ROOT))
    _run_atheris(sys.argv)


if __name__ == "__main__":
    main()

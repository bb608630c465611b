#!/usr/bin/env bash
# Check the distributions: build the wheel and sdist, `twine check` them, check what they
# contain, then install the wheel into an empty virtual environment and run netstats from a
# folder outside the repository on the cohort and notebooks shipped inside the wheel:
#   1. plain install: `netstats validate` and `netstats report` on the bundled cohort; an SQL
#      source fails with a message naming the `sql` extra;
#   2. with `[sql,dask]`: the same SQL source loads, and a bootstrap runs on a Dask cluster.
#
# Usage: scripts/check_wheel.sh   (or `make check-dist`)
#   BUILD_PYTHON  interpreter with `build` and `twine` (netstats[dev]); default .venv/bin/python
#   PYTHON        interpreter whose `venv` module makes the empty environment; default python3
set -euo pipefail

REPO="$(cd "$(dirname "$0")/.." && pwd)"
BUILD_PYTHON="${BUILD_PYTHON:-$REPO/.venv/bin/python}"
PYTHON="${PYTHON:-python3}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/netstats-check-dist.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
# Nothing from the calling environment may point the installed netstats back at the repository.
unset PYTHONPATH PYTHONHOME VIRTUAL_ENV
start=$SECONDS
step() { printf '\n== %s (%ss)\n' "$*" "$((SECONDS - start))"; }
fail() { printf 'check-dist FAILED: %s\n' "$*" >&2; exit 1; }

step "build the sdist and the wheel (from the sdist)"
"$BUILD_PYTHON" -m build --outdir "$WORK/dist" "$REPO"
WHEEL="$(ls "$WORK"/dist/netstats-*.whl)"
SDIST="$(ls "$WORK"/dist/netstats-*.tar.gz)"

step "twine check"
"$BUILD_PYTHON" -m twine check --strict "$WORK"/dist/*

step "contents: notebooks and cohorts in the wheel; tests, notebooks and data in the sdist"
if git -C "$REPO" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  (cd "$REPO" && git ls-files analyses data tests) >"$WORK/tracked.txt"
else
  (cd "$REPO" && find analyses data tests -type f ! -path '*/__pycache__/*') >"$WORK/tracked.txt"
fi
"$BUILD_PYTHON" - "$WHEEL" "$SDIST" "$WORK/tracked.txt" "$REPO/netstats/_version.py" <<'EOF'
import re
import sys
import tarfile
import zipfile
from pathlib import Path

wheel, sdist, tracked, version_file = sys.argv[1:]
version = re.search(r'__version__ = "([^"]+)"', Path(version_file).read_text()).group(1)
tracked = Path(tracked).read_text().split()
in_wheel = set(zipfile.ZipFile(wheel).namelist())
root = f"netstats-{version}/"
in_sdist = {n.removeprefix(root) for n in tarfile.open(sdist).getnames()}
problems = []
if f"netstats-{version}" not in Path(wheel).name or not Path(sdist).name.startswith(root[:-1]):
    problems.append(f"file names {Path(wheel).name}, {Path(sdist).name} lack version {version}")
shipped = [p for p in tracked if p.startswith(("analyses/", "data/"))]
problems += [f"wheel lacks netstats/{p}" for p in shipped if f"netstats/{p}" not in in_wheel]
problems += [f"sdist lacks {p}" for p in tracked if p not in in_sdist]
if not any(p.startswith("analyses/0") for p in shipped) or not any(
    p.startswith("data/synthetic/") and p.endswith(".csv") for p in shipped
):
    problems.append("no notebooks or no synthetic cohort tracked under analyses/, data/")
if not any(p.startswith("tests/test_") for p in tracked):
    problems.append("no tests tracked under tests/")
problems += [f"wheel contains {n}" for n in in_wheel if n.startswith(("tests/", "analyses/"))]
if problems:
    sys.exit("\n".join(problems))
print(f"wheel: {len(in_wheel)} files; sdist: {len(in_sdist)} files; version {version}")
print(f"{len(shipped)} notebook/data files in both, {len(tracked) - len(shipped)} test files in sdist")
EOF

step "install the wheel into an empty environment"
"$PYTHON" -m venv "$WORK/venv"
VPY="$WORK/venv/bin/python"
NETSTATS="$WORK/venv/bin/netstats"
"$VPY" -m pip install -q --upgrade pip
"$VPY" -m pip install -q "$WHEEL"
# Run from an empty folder so that nothing in the repository can be picked up.
mkdir "$WORK/run"
cd "$WORK/run"
"$VPY" - "$WORK/venv" <<'EOF'
import importlib.util
import sys
from pathlib import Path

import netstats

venv = Path(sys.argv[1]).resolve()
where = Path(netstats.__file__).resolve()
if venv not in where.parents:
    sys.exit(f"netstats imported from {where}, not from the environment {venv}")
for path in (netstats.bundled_analyses_path(), netstats.bundled_cohort_path()):
    if venv not in path.parents:
        sys.exit(f"{path} is not inside the installed package")
for module in ("sqlalchemy", "dask", "distributed"):
    if importlib.util.find_spec(module) is not None:
        sys.exit(f"{module} is installed without its extra; the core must not need it")
print(f"netstats {netstats.__version__} from {where.parent}")
EOF
"$NETSTATS" --version
COHORT="$("$VPY" -c 'import netstats; print(netstats.bundled_cohort_path())')"

step "netstats validate on the bundled cohort"
"$NETSTATS" validate "$COHORT"

step "an SQL source without the sql extra names the extra"
"$VPY" - "$COHORT" cohort.sqlite <<'EOF'
import csv
import sqlite3
import sys
from pathlib import Path

source, target = Path(sys.argv[1]), sys.argv[2]
con = sqlite3.connect(target)
for path in sorted(source.glob("*.csv")):
    with path.open(newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    cols = ", ".join(f'"{c}"' for c in rows[0])
    con.execute(f'CREATE TABLE "{path.stem}" ({cols})')
    marks = ", ".join("?" for _ in rows[0])
    con.executemany(f'INSERT INTO "{path.stem}" VALUES ({marks})', rows[1:])
con.commit()
con.close()
EOF
status=0
"$NETSTATS" validate cohort.sqlite >sql.out 2>sql.err || status=$?
cat sql.err
[ "$status" -eq 1 ] || fail "validate cohort.sqlite without the sql extra exited $status, not 1"
grep -q "netstats\[sql\]" sql.err || fail "the error does not name the sql extra"
if grep -q Traceback sql.err; then fail "the error is a traceback"; fi

step "netstats report with the shipped notebooks and cohort"
"$NETSTATS" report --out report --no-progress | tee report.out
NAMES="$("$VPY" -c 'import netstats.report as r; print(*r.DEFAULT_NOTEBOOKS)')"
grep -q "rendered $(echo "$NAMES" | wc -w) report(s)" report.out ||
  fail "expected the default notebooks: $NAMES"
[ -s report/index.html ] || fail "report/index.html missing"
for name in $NAMES; do
  for page in "$name.html" "${name}_nocode.html" "$name.ipynb"; do
    [ -s "report/$name/$page" ] || fail "report/$name/$page missing"
  done
  grep -q "href=\"$name/$name.html\"" report/index.html || fail "index does not link $name"
done
ls report

step "install the extras [sql,dask]"
"$VPY" -m pip install -q "$WHEEL[sql,dask]"
"$NETSTATS" validate cohort.sqlite
"$VPY" - <<'EOF'
import numpy as np
from distributed import Client, LocalCluster

import netstats as ns
from netstats.endpoints import line_endpoints
from netstats.resample import bootstrap_km_median

lines = line_endpoints(ns.load_bundled()).dropna(subset=["pfs_months"])
args = dict(time="pfs_months", event="pfs_event", cluster="patient_id", n_resamples=200)
local = bootstrap_km_median(lines, random_state=3, **args)
with LocalCluster(n_workers=2, processes=False, dashboard_address=":0") as cluster:
    with Client(cluster) as client:
        on_dask = bootstrap_km_median(lines, random_state=3, client=client, **args)
np.testing.assert_array_equal(local.replicates, on_dask.replicates)
print("bootstrap on Dask equals the local bootstrap:", on_dask.summary.to_dict("records"))
EOF

step "check-dist passed"

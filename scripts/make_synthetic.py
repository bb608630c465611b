"""Regenerate the bundled synthetic cohort in data/synthetic.

Usage (from the repository root)::

    python scripts/make_synthetic.py [OUT_DIR] [--n-patients 800] [--seed 20261122]

The defaults reproduce the committed files byte for byte (see data/synthetic/README.md);
``tests/test_simulate.py`` checks that they do.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run from a checkout without installing netstats
    sys.path.insert(0, str(ROOT))

from netstats.simulate import main  # noqa: E402

if __name__ == "__main__":
    print(f"wrote {main(sys.argv[1:])}")

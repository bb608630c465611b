"""Print what a reader would trip over in rendered reports; exit 1 if anything.

Usage: ``python scripts/reader_check.py REPORT_DIR [REPORT_DIR ...]`` (from the repository
root). The checks are those of the test suite (``tests/_reader.py``).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests._reader import report_findings

if __name__ == "__main__":
    problems = [f for arg in sys.argv[1:] for f in report_findings(arg)]
    print("\n".join(problems) if problems else "no findings")
    sys.exit(1 if problems else 0)

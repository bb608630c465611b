"""The package imports without a display and exposes its version and exceptions."""

from __future__ import annotations

import subprocess
import sys

import netstats
from netstats.exceptions import CohortValidationError, NetstatsError, SchemaError


def test_version_is_a_string():
    assert isinstance(netstats.__version__, str)
    assert netstats.__version__[0].isdigit()


def test_exception_hierarchy():
    assert issubclass(CohortValidationError, SchemaError)
    assert issubclass(SchemaError, ValueError)
    assert issubclass(SchemaError, NetstatsError)


def test_import_does_not_load_matplotlib():
    code = "import sys, netstats; print('matplotlib.pyplot' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"

"""Small report notebooks written on the fly for the render tests."""

from __future__ import annotations

from pathlib import Path

HEADER = """# %% tags=["parameters"]
data = ""
output_dir = "."
seed = 1
suppression_threshold = 5
endpoint_rules = ""
rendered_at = ""
{extra}
"""


def write_notebook(folder: Path, name: str, body: str, extra: str = "") -> Path:
    """Write ``folder/name.py``: a title, the standard parameters (plus ``extra``), ``body``."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.py"
    path.write_text("# %% [markdown]\n# # Test\n\n" + HEADER.format(extra=extra) + body)
    return path


def previous_report(out: Path) -> Path:
    """A finished report (``keep.txt`` and ``report.json``) standing in for an earlier render."""
    from netstats.report._publish import write_report_manifest

    out.mkdir(parents=True)
    (out / "keep.txt").write_text("previous render")
    write_report_manifest(out, notebooks=[], rendered_at="earlier", parameters={})
    return out

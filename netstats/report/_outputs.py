"""What a report notebook writes: result tables as CSV, figures as PNG and SVG, a manifest.

Notebooks create one :class:`ReportOutputs` and pass every result table and figure through
it, so the renderer can list them in ``index.html`` and the privacy checker can scan them.
Files are written deterministically (no timestamps in PNG/SVG metadata, fixed SVG ids).
"""

from __future__ import annotations

import hashlib
import html
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from netstats.report._format import display_frame

__all__ = [
    "MANIFEST",
    "MAX_NAME_LENGTH",
    "FigureOutput",
    "ReportOutputs",
    "TableOutput",
    "output_name",
]

#: Name of the manifest file each notebook writes into its output folder.
MANIFEST = "manifest.json"
_NAME_RE = re.compile(r"[a-z0-9][a-z0-9_\-]*")
#: Longest output name (file names stay well below filesystem limits).
MAX_NAME_LENGTH = 80
#: Stands in for a line break inside a table cell while pandas writes the HTML.
_BREAK = "\ue000"
#: Resolution of PNG figures.
PNG_DPI = 150


@dataclass(frozen=True)
class TableOutput:
    """A table written to CSV; displays as an HTML table with its caption.

    Examples
    --------
    >>> import tempfile
    >>> import pandas as pd
    >>> from netstats.report import ReportOutputs
    >>> out = ReportOutputs(tempfile.mkdtemp())
    >>> shown = out.table("grades", pd.DataFrame({"grade": ["G1", "G2"], "n": [12, 7]}),
    ...                   caption="Grades at diagnosis")
    >>> print(repr(shown))
    grades: Grades at diagnosis
    grade  n
       G1 12
       G2  7
    """

    name: str
    frame: pd.DataFrame
    caption: str

    def _repr_html_(self) -> str:
        cap = f"<p><b>{html.escape(self.name)}</b>: {html.escape(self.caption)}</p>"
        # Short numbers on screen; the CSV keeps every digit.
        shown = display_frame(self.frame)
        # pandas' to_html writes a newline inside a cell as a literal "\\n": keep the line
        # breaks of multi-line text (e.g. the endpoint rules) as <br> instead.
        for col in shown.columns:
            if shown[col].dtype == object or pd.api.types.is_string_dtype(shown[col].dtype):
                shown[col] = shown[col].map(
                    lambda v: v.replace("\n", _BREAK) if isinstance(v, str) else v
                )
        return cap + shown.to_html(index=False, escape=True, na_rep="").replace(_BREAK, "<br>")

    def __repr__(self) -> str:
        return f"{self.name}: {self.caption}\n{self.frame.to_string(index=False)}"


@dataclass(frozen=True)
class FigureOutput:
    """A figure written to PNG and SVG; displays as the PNG.

    Examples
    --------
    >>> import tempfile
    >>> import matplotlib.pyplot as plt
    >>> from netstats.report import ReportOutputs
    >>> out = ReportOutputs(tempfile.mkdtemp())
    >>> fig, ax = plt.subplots()
    >>> _ = ax.plot([0, 1], [1, 0])
    >>> shown = out.figure("line", fig, caption="A line")
    >>> shown.png[:4], sorted(p.suffix for p in (out.root / "figures").iterdir())
    (b'\\x89PNG', ['.png', '.svg'])
    """

    name: str
    png: bytes
    caption: str

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        return {"image/png": self.png, "text/plain": f"{self.name}: {self.caption}"}


def output_name(*parts: object) -> str:
    """A safe output name from parts that may come from the data (group labels, ids).

    Each part is lower-cased and every run of characters other than ``a-z``, ``0-9``,
    ``_`` and ``-`` becomes ``-``; a part that had to be changed beyond lower-casing gets a short hash of
    its original text, so different values keep different names.  Parts are joined with
    ``_``.  The result always passes :meth:`ReportOutputs.table`'s name check: it can
    never climb out of the output folder (``../``) or name a hidden file.

    Examples
    --------
    >>> output_name("scans", "CS01")
    'scans_cs01'
    >>> output_name("km", "../../evil")
    'km_evil-0fbfd372'
    >>> output_name("line", 2, "octreotide LAR")
    'line_2_octreotide-lar-996eff40'
    """
    if not parts:
        raise ValueError("output_name needs at least one part")
    pieces = []
    for part in parts:
        text = str(part)
        clean = re.sub(r"[^a-z0-9_\-]+", "-", text.lower()).strip("-_")
        if clean != text.lower() or not clean:
            digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:8]
            clean = f"{clean[:40]}-{digest}" if clean else digest
        pieces.append(clean)
    name = "_".join(pieces)
    if len(name) > MAX_NAME_LENGTH:
        digest = hashlib.sha256(name.encode("utf-8")).hexdigest()[:8]
        name = f"{name[: MAX_NAME_LENGTH - 9]}-{digest}"
    return name


class ReportOutputs:
    """Collects a notebook's result tables and figures in its output folder.

    Parameters
    ----------
    output_dir : path, default="."
        Folder of this notebook's outputs; ``tables/`` and ``figures/`` are made inside.
    notebook : str, optional
        Title recorded in the manifest.

    Examples
    --------
    >>> import tempfile
    >>> out = ReportOutputs(tempfile.mkdtemp())
    >>> t = out.table("counts", pd.DataFrame({"grade": ["G1"], "n": [12]}), caption="Grades")
    >>> sorted(p.name for p in (out.root / "tables").iterdir())
    ['counts.csv']
    """

    def __init__(self, output_dir: str | Path = ".", *, notebook: str | None = None) -> None:
        self.root = Path(output_dir)
        self.notebook = notebook
        self.entries: list[dict[str, Any]] = []
        self.root.mkdir(parents=True, exist_ok=True)
        self._write_manifest()

    def _check_name(self, name: str) -> None:
        if not isinstance(name, str) or not _NAME_RE.fullmatch(name):
            raise ValueError(
                f"output name {name!r} must be lower-case letters, digits, '_' or '-' (it "
                "becomes a file name); make names from data values with report.output_name()"
            )
        if len(name) > MAX_NAME_LENGTH:
            raise ValueError(f"output name {name!r} is longer than {MAX_NAME_LENGTH} characters")
        if any(e["name"] == name for e in self.entries):
            raise ValueError(f"output name {name!r} is already used in this notebook")

    def _write_manifest(self) -> None:
        doc = {"notebook": self.notebook, "outputs": self.entries}
        (self.root / MANIFEST).write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")

    def table(self, name: str, frame: pd.DataFrame, *, caption: str = "") -> TableOutput:
        """Write ``tables/<name>.csv`` and return a displayable table.

        The frame is written as it is: apply small-cell suppression
        (:func:`netstats.report.suppress_counts`) before.
        """
        if not isinstance(frame, pd.DataFrame):
            raise TypeError(f"frame must be a DataFrame, got {type(frame).__name__}")
        self._check_name(name)
        folder = self.root / "tables"
        folder.mkdir(exist_ok=True)
        path = folder / f"{name}.csv"
        frame.to_csv(path, index=False, lineterminator="\n")
        self.entries.append(
            {
                "kind": "table",
                "name": name,
                "caption": caption,
                "files": [path.relative_to(self.root).as_posix()],
            }
        )
        self._write_manifest()
        return TableOutput(name, frame, caption)

    def figure(self, name: str, figure: Any, *, caption: str = "") -> FigureOutput:
        """Write ``figures/<name>.png`` and ``.svg`` from a Figure or Axes, then close it."""
        import matplotlib
        import matplotlib.pyplot as plt

        self._check_name(name)
        fig = figure.get_figure() if hasattr(figure, "get_figure") else figure
        if fig is None or not hasattr(fig, "savefig"):
            raise TypeError(f"figure must be a matplotlib Figure or Axes, got {type(figure)}")
        folder = self.root / "figures"
        folder.mkdir(exist_ok=True)
        png, svg = folder / f"{name}.png", folder / f"{name}.svg"
        with matplotlib.rc_context({"svg.hashsalt": f"netstats-{name}", "svg.fonttype": "path"}):
            fig.savefig(png, dpi=PNG_DPI, bbox_inches="tight", metadata={"Software": None})
            fig.savefig(svg, bbox_inches="tight", metadata={"Date": None, "Creator": None})
        plt.close(fig)
        self.entries.append(
            {
                "kind": "figure",
                "name": name,
                "caption": caption,
                "files": [
                    png.relative_to(self.root).as_posix(),
                    svg.relative_to(self.root).as_posix(),
                ],
            }
        )
        self._write_manifest()
        return FigureOutput(name, png.read_bytes(), caption)

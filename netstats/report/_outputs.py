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

from netstats.report._notes import NoteCollector
from netstats.report._present import MAX_SHOWN_ROWS, PREVIEW_ROWS, Presented, present

__all__ = [
    "MANIFEST",
    "TABLE_MIME",
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
#: Resolution of PNG figures.
PNG_DPI = 150
#: MIME type of a presented table in a notebook's outputs (read by the Word export).
TABLE_MIME = "application/vnd.netstats.table+json"
#: MIME type of a figure's name and caption beside its ``image/png`` output.
FIGURE_MIME = "application/vnd.netstats.figure+json"


@dataclass(frozen=True)
class TableOutput:
    """A table written to CSV; displays in publication layout with its caption.

    The displayed table is :func:`netstats.report.present` of the frame (labels, one
    interval column, formatted p-values, constant columns in the caption, withheld cells
    with a footnote); the CSV keeps every digit.  A table longer than
    :data:`~netstats.report._present.MAX_SHOWN_ROWS` rows shows a preview and links to its
    CSV.  Besides HTML and text, the display carries the presented table as
    ``application/vnd.netstats.table+json``.

    Examples
    --------
    >>> import tempfile
    >>> import pandas as pd
    >>> from netstats.report import ReportOutputs
    >>> out = ReportOutputs(tempfile.mkdtemp())
    >>> shown = out.table("grades", pd.DataFrame({"grade": ["G1", "G2"], "n": [12, 7]}),
    ...                   caption="Grades at diagnosis")
    >>> print(repr(shown))
    Grades at diagnosis
    WHO 2019 grade  n
                G1 12
                G2  7
    """

    name: str
    frame: pd.DataFrame
    caption: str
    presented: Presented | None = None
    csv: str = ""
    preview: bool = True

    def _shown(self) -> Presented:
        return (
            self.presented
            if self.presented is not None
            else present(self.frame, caption=self.caption)
        )

    def _is_long(self) -> bool:
        return len(self._shown().frame) > MAX_SHOWN_ROWS or not self.preview

    def _link(self) -> str:
        shown = self._shown()
        href = html.escape(self.csv or f"tables/{self.name}.csv")
        if not self.preview:
            return f'<p class="netstats-csv">Full table ({shown.n_rows} rows): <a href="{href}">{html.escape(Path(href).name)}</a> (CSV).</p>'
        return (
            f'<p class="netstats-csv">First {PREVIEW_ROWS} of {shown.n_rows} rows; the full '
            f'table is <a href="{href}">{html.escape(Path(href).name)}</a> (CSV).</p>'
        )

    def _repr_html_(self) -> str:
        shown = self._shown()
        if not self.preview:  # a link only: the caption without the settings of the body
            return f"<p><b>{html.escape(self.caption or shown.caption)}</b></p>" + self._link()
        long = self._is_long()
        body = shown.to_html(table_id=f"tbl-{self.name}", max_rows=PREVIEW_ROWS if long else None)
        return body + (self._link() if long else "")

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        shown = self._shown()
        doc = shown.to_json(self.name, max_rows=PREVIEW_ROWS if self._is_long() else None)
        if not self.preview:
            doc["rows"] = []
        doc["csv"] = self.csv or f"tables/{self.name}.csv"
        return {
            "text/html": self._repr_html_(),
            "text/plain": repr(self),
            TABLE_MIME: doc,
        }

    def __repr__(self) -> str:
        shown = self._shown()
        text = shown.frame.to_string(index=False) if len(shown.frame.columns) else ""
        notes = "\n".join(shown.footnotes)
        return "\n".join(p for p in (shown.caption, text, notes) if p)


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
        return {
            "image/png": self.png,
            FIGURE_MIME: {"name": self.name, "caption": self.caption},
            "text/plain": f"{self.name}: {self.caption}",
        }


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
    suppression_threshold : int, optional
        The small-cell suppression threshold in force, named in the footnote of
        withheld cells.
    disclosure : Disclosure, optional
        The notebook's disclosure model (:class:`netstats.report.Disclosure`): every table
        is recorded in it and ``disclosure.json`` is written beside the manifest; its
        threshold is the default ``suppression_threshold``.

    Notes
    -----
    In a running kernel (a report being rendered), warnings raised by a cell are shown
    after it as a short "Notes" list instead of stderr (:class:`NoteCollector`).

    Examples
    --------
    >>> import tempfile
    >>> out = ReportOutputs(tempfile.mkdtemp())
    >>> t = out.table("counts", pd.DataFrame({"grade": ["G1"], "n": [12]}), caption="Grades")
    >>> sorted(p.name for p in (out.root / "tables").iterdir())
    ['counts.csv']
    """

    def __init__(
        self,
        output_dir: str | Path = ".",
        *,
        notebook: str | None = None,
        suppression_threshold: int | None = None,
        disclosure: Any = None,
    ) -> None:
        self.root = Path(output_dir)
        self.notebook = notebook
        if suppression_threshold is None and disclosure is not None:
            suppression_threshold = getattr(disclosure, "threshold", None)
        self.suppression_threshold = suppression_threshold
        self.disclosure = disclosure
        self.notes = NoteCollector.install()
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
        if self.disclosure is not None:
            self.disclosure.write(self.root, notebook=self.notebook)

    def table(
        self,
        name: str,
        frame: pd.DataFrame,
        *,
        caption: str = "",
        preview: bool = True,
        **layout: Any,
    ) -> TableOutput:
        """Write ``tables/<name>.csv`` and return a displayable table.

        The frame is written as it is: apply small-cell suppression
        (:func:`netstats.report.suppress_counts`) before.

        Parameters
        ----------
        name : str
            Output name (the CSV's file name).
        frame : DataFrame
            The result table, full precision.
        caption : str, default=""
            Caption of the displayed table.
        preview : bool, default=True
            Show the table (long tables: the first rows and a link); ``False`` shows only
            the caption and the link to the CSV.
        **layout
            Passed to :func:`netstats.report.present` (``estimate``, ``references``,
            ``digits``, ``drop``, ``footnotes``).
        """
        if not isinstance(frame, pd.DataFrame):
            raise TypeError(f"frame must be a DataFrame, got {type(frame).__name__}")
        self._check_name(name)
        folder = self.root / "tables"
        folder.mkdir(exist_ok=True)
        path = folder / f"{name}.csv"
        frame.to_csv(path, index=False, lineterminator="\n")
        if self.disclosure is not None:
            self.disclosure.check(name, frame, caption)
        self.entries.append(
            {
                "kind": "table",
                "name": name,
                "caption": caption,
                "files": [path.relative_to(self.root).as_posix()],
            }
        )
        self._write_manifest()
        layout.setdefault("threshold", self.suppression_threshold)
        shown = present(frame, caption=caption, **layout)
        return TableOutput(
            name, frame, caption, presented=shown, csv=f"tables/{name}.csv", preview=preview
        )

    def provenance(self, prov: Any) -> TableOutput:
        """Write the full provenance as ``tables/provenance.csv``; display its short appendix.

        Parameters
        ----------
        prov : Provenance
            From :func:`netstats.report.provenance`.
        """
        self.table("provenance", prov.to_frame(), caption="Provenance")
        shown = present(
            prov.appendix(),
            caption="Code, data and environment of this report",
            verbatim=["details"],
        )
        return TableOutput(
            "provenance-appendix",
            prov.appendix(),
            shown.caption,
            presented=shown,
            csv="tables/provenance.csv",
        )

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
        if self.disclosure is not None:
            self.disclosure.outputs[name] = {
                "name": name,
                "kind": "figure",
                "caption": caption,
                "checks": ["drawn from protected tables (see the plot's own rules)"],
                "status": "review",
                "withheld": [],
                "coarsened": [],
            }
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

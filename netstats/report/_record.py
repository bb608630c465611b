"""The report's output-checking record: the notebooks' ``disclosure.json`` in one file
and one readable page, in the spirit of ACRO's summary for output checkers."""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from netstats import labels
from netstats.report._disclosure import DISCLOSURE_FILE

__all__ = ["DISCLOSURE_PAGE", "disclosure_html", "write_disclosure_record"]

#: The readable page beside the report's ``disclosure.json``.
DISCLOSURE_PAGE = "disclosure.html"


def write_disclosure_record(folder: Path, names: Sequence[str], *, rendered_at: str) -> bool:
    """Gather ``<name>/disclosure.json`` into ``folder/disclosure.json`` and its page.

    Returns False (and writes nothing) when no notebook wrote a record.
    """
    notebooks = []
    for name in names:
        path = folder / name / DISCLOSURE_FILE
        if path.exists():
            doc = json.loads(path.read_text(encoding="utf-8"))
            doc["folder"] = name
            notebooks.append(doc)
    if not notebooks:
        return False
    doc = {"rendered_at": rendered_at, "notebooks": notebooks}
    text = json.dumps(doc, indent=1, sort_keys=True)
    (folder / DISCLOSURE_FILE).write_text(text + "\n", encoding="utf-8")
    (folder / DISCLOSURE_PAGE).write_text(disclosure_html(doc), encoding="utf-8")
    return True


def _cell(rec: dict[str, Any]) -> str:
    """One withheld or coarsened cell in the reader's words (disclosure.json keeps names)."""
    row = dict(rec.get("row", {}))
    variable = row.pop("variable", None)
    parts = []
    if variable is not None:
        parts.append(labels.label(str(variable), unit=False))
    for k, v in sorted(row.items()):
        field = str(variable) if k == "level" and variable is not None else k
        parts.append(f"{labels.label(k, unit=False)} {labels.level_label(field, v)}")
    column = rec.get("column", "")
    where = ", ".join(parts)
    what = labels.label(str(column), unit=False) if column else ""
    return (
        f"{where} [{what}]: {rec.get('reason', '')}"
        if where
        else f"{what}: {rec.get('reason', '')}"
    )


def disclosure_html(doc: dict[str, Any]) -> str:
    """The record as a page: per notebook, per output, status, checks, cells and reasons."""
    esc = html.escape
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8"><title>Disclosure checks</title>',
        "<style>body{font-family:sans-serif;max-width:70em;margin:2em auto}"
        "td,th{padding:.2em .6em;border-bottom:1px solid #eee;text-align:left;"
        "vertical-align:top}.review{color:#a00}</style></head><body>",
        "<h1>Disclosure checks</h1>",
        f"<p>Rendered {esc(str(doc.get('rendered_at', '')))}. Status <b>pass</b>: the rules "
        "were applied and the audit found no recoverable small count; <b>review</b>: an "
        "output checker should look (a table that declared no counts but holds small "
        "ones, a figure, a model with few residual degrees of freedom).</p>",
    ]
    for nb in doc["notebooks"]:
        parts.append(
            f"<h2>{esc(str(nb.get('notebook') or nb['folder']))}</h2>"
            f"<p>threshold {nb.get('threshold')}</p>"
            "<table><tr><th>output</th><th>status</th><th>checks</th>"
            "<th>withheld / coarsened</th></tr>"
        )
        for out in nb["outputs"]:
            cells = [_cell(c) for c in out.get("withheld", []) + out.get("coarsened", [])]
            extra = []
            if "residual_df" in out:
                extra.append(f"residual df {out['residual_df']}")
            if out.get("small_counts"):
                extra.append(f"small counts not declared: {out['small_counts']}")
            shown = "<br>".join(esc(c) for c in cells[:50])
            if len(cells) > 50:
                shown += f"<br>... {len(cells) - 50} more (see disclosure.json)"
            parts.append(
                f"<tr><td>{esc(out['name'])} ({esc(out.get('kind', ''))})<br>"
                f"<small>{esc(out.get('caption', ''))}</small></td>"
                f'<td class="{esc(out["status"])}">{esc(out["status"])}</td>'
                f"<td>{esc('; '.join(out.get('checks', []) + extra))}</td>"
                f"<td>{shown}</td></tr>"
            )
        parts.append("</table>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"

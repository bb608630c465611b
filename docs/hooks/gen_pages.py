"""Pages generated at build time (mkdocs-gen-files): the data dictionary and the changelog.

The data dictionary comes from ``netstats.schema`` and ``netstats.vocab`` themselves, so it
cannot drift from the code; the changelog is ``CHANGELOG.md`` at the repository root.
"""

from __future__ import annotations

from pathlib import Path

import mkdocs_gen_files

from netstats import vocab
from netstats.schema import DAYS_PER_MONTH, data_dictionary_markdown

ROOT = Path(__file__).resolve().parents[2]


def _vocabularies() -> str:
    lines = [
        "## Controlled vocabularies",
        "",
        "Values are matched case-insensitively, with blanks, hyphens and underscores alike; a",
        "synonym is read as its canonical value. Regimens may be combined with `+` (or `/`,",
        "`and`, `with`); each regimen has a drug class.",
        "",
    ]
    for name, voc in vocab.VOCABULARIES.items():
        lines += [f"### `{name}`", "", "| canonical value | synonyms | note |", "|---|---|---|"]
        for value in voc.values:
            synonyms = sorted(s for s, c in voc.synonyms.items() if c == value)
            shown = ", ".join(f"`{s}`" for s in synonyms)
            note = voc.descriptions.get(value, "")
            lines.append(f"| `{value}` | {shown} | {note} |")
        lines.append("")
    return "\n".join(lines)


with mkdocs_gen_files.open("data-dictionary.md", "w") as page:
    page.write(
        "# Data dictionary\n\n"
        "A cohort is four tables keyed by `patient_id`. This page is generated from\n"
        "`netstats/schema.py` and `netstats/vocab.py` each time the documentation is built\n"
        "(the same text as `netstats schema --markdown` and `data/README.md`). Dates are\n"
        "ISO 8601 (`YYYY-MM-DD`) unless a `date_format` is given; analysis times are days,\n"
        f"reported in months of {DAYS_PER_MONTH} days.\n\n"
        "## Tables\n\n"
        + data_dictionary_markdown().replace("### `", "### Table `")
        + "\n"
        + _vocabularies()
    )

with mkdocs_gen_files.open("changelog.md", "w") as page:
    page.write((ROOT / "CHANGELOG.md").read_text(encoding="utf-8"))

"""The privacy scan against identifiers and dates planted in every output type.

Each planted value must be found, in the file it was planted in and nowhere else, with
what it is (identifier or date); ``netstats report`` must then fail and leave the previous
report as it was.  Clean outputs (years, year-months, Ki-67 values, p-values, versions)
must pass.
"""

from __future__ import annotations

import base64
import io
import json
import re
import struct
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from netstats.cli import app
from netstats.report import PrivacyError, check_outputs, render, verify_report
from tests._cohorts import MINIMAL
from tests._report_notebooks import previous_report, write_notebook

ID = "P0042"
IDS = [ID, "001", "S001A"]


# --------------------------------------------------------------------------------------
# PNG files with text chunks
# --------------------------------------------------------------------------------------
def _png(metadata: dict[str, str] | None = None) -> bytes:
    import matplotlib.pyplot as plt

    fig, _ = plt.subplots(figsize=(1, 1))
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=20, metadata=metadata or {"Software": None})
    plt.close(fig)
    return buf.getvalue()


def _with_chunk(png: bytes, kind: bytes, body: bytes) -> bytes:
    """``png`` with one more chunk before IEND (length and CRC written properly)."""
    chunk = struct.pack(">I", len(body)) + kind + body
    chunk += struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
    end = png.rindex(b"IEND") - 4
    return png[:end] + chunk + png[end:]


def _ztxt(text: str) -> bytes:
    return _with_chunk(_png(), b"zTXt", b"Comment\x00\x00" + zlib.compress(text.encode("latin-1")))


def _itxt(text: str) -> bytes:
    body = b"Description\x00\x01\x00en\x00\x00" + zlib.compress(text.encode("utf-8"))
    return _with_chunk(_png(), b"iTXt", body)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


# --------------------------------------------------------------------------------------
# planting: one file per output type
# --------------------------------------------------------------------------------------
def _nb(cells: list[dict], metadata: dict | None = None) -> str:
    return json.dumps({"cells": cells, "metadata": metadata or {}, "nbformat": 4})


def _code(outputs: list[dict], **cell) -> dict:
    return {"cell_type": "code", "source": "x = 1", "metadata": {}, "outputs": outputs, **cell}


PLANTS: dict[str, tuple[str, Callable[[str], str | bytes]]] = {
    "html": ("r.html", lambda s: f"<html><body><td>{s}</td></body></html>"),
    "html_reference": (  # the first character as a character reference
        "r.html",
        lambda s: f"<p>&#{ord(s[0])};{s[1:]}</p>",
    ),
    "html_png": (
        "r.html",
        lambda s: f'<img src="data:image/png;base64,{_b64(_png({"Title": s}))}">',
    ),
    "csv": ("tables/t.csv", lambda s: f"patient,n\n{s},3\n"),
    "json": ("manifest.json", lambda s: json.dumps({"outputs": [{"caption": f"case {s}"}]})),
    "svg": ("figures/f.svg", lambda s: f"<svg><title>{s}</title></svg>"),
    "png_text": ("figures/f.png", lambda s: _png({"Description": f"see {s}"})),
    "png_ztxt": ("figures/f.png", _ztxt),
    "png_itxt": ("figures/f.png", _itxt),
    "ipynb_stream": (
        "r.ipynb",
        lambda s: _nb([_code([{"output_type": "stream", "name": "stdout", "text": [s]}])]),
    ),
    "ipynb_html_output": (
        "r.ipynb",
        lambda s: _nb(
            [_code([{"output_type": "display_data", "data": {"text/html": f"<b>{s}</b>"}}])]
        ),
    ),
    "ipynb_traceback": (
        "r.ipynb",
        lambda s: _nb(
            [
                _code(
                    [
                        {
                            "output_type": "error",
                            "ename": "KeyError",
                            "evalue": "'x'",
                            "traceback": ["Traceback", f"KeyError: {s}"],
                        }
                    ]
                )
            ]
        ),
    ),
    "ipynb_png_output": (
        "r.ipynb",
        lambda s: _nb(
            [
                _code(
                    [
                        {
                            "output_type": "display_data",
                            "data": {"image/png": _b64(_png({"Author": s}))},
                        }
                    ]
                )
            ]
        ),
    ),
    "ipynb_output_metadata": (
        "r.ipynb",
        lambda s: _nb(
            [
                _code(
                    [
                        {
                            "output_type": "display_data",
                            "data": {"text/plain": "x"},
                            "metadata": {"note": s},
                        }
                    ]
                )
            ]
        ),
    ),
    "ipynb_notebook_metadata": ("r.ipynb", lambda s: _nb([], {"author": {"note": s}})),
    "ipynb_cell_metadata": ("r.ipynb", lambda s: _nb([_code([], metadata={"tags": [s]})])),
    "ipynb_attachment": (
        "r.ipynb",
        lambda s: _nb(
            [
                {
                    "cell_type": "markdown",
                    "source": "![](attachment:a.png)",
                    "metadata": {},
                    "attachments": {"a.png": {"image/png": _b64(_png({"Comment": s}))}},
                }
            ]
        ),
    ),
    "file_name": ("tables/scans_{s}.csv", lambda s: "grade,n\nG1,12\n"),
}
SECRETS = [ID, "2019-02-11", "11/02/2019", "11 February 2019"]
CASES = [
    (kind, secret)
    for kind in PLANTS
    for secret in SECRETS
    if not (kind == "file_name" and "/" in secret)  # no "/" in a file name
]


def _plant(root: Path, kind: str, secret: str) -> str:
    rel, content = PLANTS[kind]
    if kind == "file_name":
        rel = rel.format(s=secret.lower().replace(" ", "_"))
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    data = content(secret)
    path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    (root / "clean.csv").write_text("grade,n,p\nG1,12,0.001\n")
    return rel


@pytest.mark.parametrize(("kind", "secret"), CASES)
def test_planted_value_found_in_its_file_with_what_it_is(tmp_path, kind, secret):
    rel = _plant(tmp_path, kind, secret)
    with pytest.raises(PrivacyError) as info:
        check_outputs(tmp_path, identifiers=IDS)
    found = {(f.file, f.kind, re.sub(r"[\s_]+", " ", f.match.lower())) for f in info.value.findings}
    expected_kind = "identifier" if secret == ID else "date"
    assert found == {(rel, expected_kind, secret.lower())}
    assert rel in str(info.value)  # the message names the file


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("f.png", _with_chunk(_png(), b"zTXt", b"Comment\x00\x00not zlib"), "cannot be read"),
        ("f.jpg", b"\xff\xd8\xff", "cannot check .jpg"),
        ("r.json", b"{not json", "not valid JSON"),
        (
            "r.ipynb",
            _nb(
                [_code([{"output_type": "display_data", "data": {"image/jpeg": "AAAA"}}])]
            ).encode(),
            "cannot check image/jpeg",
        ),
    ],
)
def test_outputs_that_cannot_be_checked_are_refused(tmp_path, name, content, message):
    (tmp_path / name).write_bytes(content)
    with pytest.raises(PrivacyError, match=message):
        check_outputs(tmp_path, identifiers=IDS)


CLEAN = [
    "Ki-67 3-20 %",
    "Ki-67 index 2.5 (1.0-20.0); 12/40 positive",
    "median Ki-67 12.1 [3.0, 20.0]",
    "diagnosed in 2019",
    "diagnoses 2015-2019, follow-up to 2023-06",
    "G2 (Ki-67 3-20%) 2019/20",
    "HR 0.61 (0.43-0.87), p = 0.001",
    "1001 cells counted; P00421 is not P0042x",
    "netstats 0.1.0, numpy 1.26.4, version 2025.9.1",
    "rendered 2030-01-02T03:04:05Z",
]


@pytest.mark.parametrize("kind", sorted(set(PLANTS) - {"file_name"}))
def test_clean_outputs_pass(tmp_path, kind):
    for i, text in enumerate(CLEAN):
        sub = tmp_path / f"c{i}"
        _plant(sub, kind, text)
    assert check_outputs(tmp_path, identifiers=IDS, allowed=["2030-01-02T03:04:05Z"]) == []


# --------------------------------------------------------------------------------------
# netstats report: every output type of a real render
# --------------------------------------------------------------------------------------
# Each value is built at run time, so it appears only where it is planted (not in the
# notebook source): a patient id in a CSV table only, a date in PNG metadata only, a date
# in the executed notebook's cell metadata only, and a printed date in the executed
# notebook's outputs, both HTML pages and the Word document.
LEAKY = """# %% tags=["note"] note="first seen 14/03/2021"
import json
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

Path("tables").mkdir()
pd.DataFrame({"patient": ["00" + "1"], "n": [5]}).to_csv("tables/t.csv", index=False)
Path("figures").mkdir()
fig, ax = plt.subplots(figsize=(1, 1))
fig.savefig("figures/f.png", dpi=20, metadata={"Description": "scan " + "-".join(["2019", "02", "11"])})
plt.close(fig)

# %%
print("last contact", "-".join(["2020", "01", "31"]))
"""

CLEAN_NOTEBOOK = """# %% tags=["note"] note="Ki-67 3-20 %, cohort 2015-2019, data of 2023-06"
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

Path("tables").mkdir()
pd.DataFrame(
    {"grade": ["G1", "G2"], "ki67": ["2.5 (1.0-3.0)", "12.1 [3.0, 20.0]"], "year": [2019, 2020]}
).to_csv("tables/t.csv", index=False)
Path("figures").mkdir()
fig, ax = plt.subplots(figsize=(1, 1))
ax.set_title("Ki-67 3-20 % in 2019")
fig.savefig("figures/f.png", dpi=20, metadata={"Description": "Ki-67 by year, 2015-2019"})
plt.close(fig)

# %%
print("HR 0.61 (0.43-0.87), p = 0.001; 1001 cells; diagnosed in 2019; up to 2023-06")
"""


def test_report_fails_on_every_planted_output_and_keeps_previous_report(tmp_path):
    analyses = tmp_path / "analyses"
    write_notebook(analyses, "01_leaky", LEAKY)
    out = previous_report(tmp_path / "out")
    result = CliRunner().invoke(
        app,
        ["report", "--data", str(MINIMAL), "--out", str(out), "--analyses", str(analyses)]
        + ["--only", "01", "--no-progress"],
    )
    assert result.exit_code == 1
    found = set(re.findall(r"  - (\S+): (identifier|date) '([^']+)'", result.output))
    nb = "01_leaky/01_leaky"
    assert found == {
        ("01_leaky/tables/t.csv", "identifier", "001"),
        ("01_leaky/figures/f.png", "date", "2019-02-11"),
        (f"{nb}.ipynb", "date", "14/03/2021"),
        (f"{nb}.ipynb", "date", "2020-01-31"),
        (f"{nb}.html", "date", "2020-01-31"),
        (f"{nb}_nocode.html", "date", "2020-01-31"),
        (f"{nb}.docx", "date", "2020-01-31"),
    }, result.output
    assert (out / "keep.txt").exists() and verify_report(out) == []  # withheld
    assert sorted(p.name for p in tmp_path.iterdir()) == ["analyses", "out"]


def test_clean_render_passes_the_check(tmp_path):
    analyses = tmp_path / "analyses"
    write_notebook(analyses, "01_clean", CLEAN_NOTEBOOK)
    result = render(analyses, data=MINIMAL, out=tmp_path / "out", progress=False, only="01")
    assert verify_report(result.out) == []
    ipynb = json.loads((result.out / "01_clean" / "01_clean.ipynb").read_text())
    assert any("Ki-67 3-20 %" in json.dumps(c["metadata"]) for c in ipynb["cells"])

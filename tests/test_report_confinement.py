"""Report outputs stay inside the report folder, and hostile values stay data.

Parameters and cohort values reach the notebooks as strings and numbers, never as code;
names made from notebook files, parameters, output names and cohort values never leave
the report folder.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from netstats.cli import app
from netstats.report import (
    DestinationError,
    RenderError,
    ReportOutputs,
    output_name,
    render,
    verify_report,
)
from netstats.report._outputs import MAX_NAME_LENGTH
from tests._cohorts import MINIMAL, TABLES, raw_minimal
from tests._report_notebooks import previous_report, write_notebook

FIXTURE = Path(__file__).resolve().parent / "data" / "report_analyses"
NAME_RE = re.compile(r"[a-z0-9][a-z0-9_\-]*")

#: Text that runs code if it is ever pasted into Python source.
PAYLOADS = [
    "\"); import os; os.system('touch PWNED'); (\"",
    "__import__('os').system('touch PWNED')",
]
#: Hostile patient identifiers: path climbing, code, format fields, shell.
HOSTILE_IDS = [
    "../../evil",
    "'); __import__('os').system('touch PWNED'); ('",
    "{seed}/../{data}",
    "$(touch PWNED)",
]


def _files(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*")}


def _hostile_cohort(folder: Path) -> Path:
    """The minimal cohort with its four patient ids replaced by :data:`HOSTILE_IDS`."""
    tables = raw_minimal()
    mapping = dict(zip(sorted(tables["patients"]["patient_id"]), HOSTILE_IDS, strict=True))
    folder.mkdir(parents=True)
    for name in TABLES:
        tables[name]["patient_id"] = tables[name]["patient_id"].map(mapping)
        tables[name].to_csv(folder / f"{name}.csv", index=False)
    return folder


# --------------------------------------------------------------------------------------
# parameters and cohort values are data
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize(("payload", "per_patient"), [(PAYLOADS[0], True), (PAYLOADS[1], False)])
def test_hostile_parameters_and_cohort_values_stay_data(
    tmp_path, monkeypatch, payload, per_patient
):
    """Through the command line; the Python API: test_report_render.py."""
    cohort = _hostile_cohort(tmp_path / "cohort")
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)  # where a "touch PWNED" would land
    before = _files(tmp_path)
    result = CliRunner().invoke(
        app,
        [
            "report",
            "--data",
            str(cohort),
            "--out",
            str(tmp_path / "out"),
            "--analyses",
            str(FIXTURE),
            "--only",
            "01",
            "--no-progress",
            "--no-privacy-check",  # the ids are (meant to be) in the outputs
            "-p",
            f"label={payload}",
            "-p",
            f"per_patient={per_patient}",
        ],
    )
    assert result.exit_code == 0, result.output
    created = _files(tmp_path) - before
    assert not [p for p in created if "PWNED" in p]
    assert all(p == "out" or p.startswith("out/") for p in created), created
    nb = tmp_path / "out" / "01_counts"
    assert (nb / "label.txt").read_text() == payload  # the exact text, as a str
    assert verify_report(tmp_path / "out") == []
    if not per_patient:  # (the kernel then starts without importing netstats)
        return
    outputs = json.loads((nb / "manifest.json").read_text())["outputs"]
    assert sorted(o["caption"] for o in outputs) == sorted(HOSTILE_IDS)
    for entry in outputs:
        assert NAME_RE.fullmatch(entry["name"]) and entry["name"].startswith("patient_")
        assert (nb / entry["files"][0]).resolve().parent == (nb / "tables").resolve()


@pytest.mark.parametrize(
    ("item", "message"),
    [
        (f"seed={PAYLOADS[1]}", "expected int"),
        ("per_patient=__import__('os')", "expected true/false"),
        ("label; import os=1", "no selected notebook declares parameter"),
        ("x=1", "no selected notebook declares parameter 'x'"),
    ],
)
def test_hostile_parameters_refused_before_any_kernel(tmp_path, monkeypatch, item, message):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(
        app,
        ["report", "--data", str(MINIMAL), "--out", "out", "--analyses", str(FIXTURE)]
        + ["--only", "01", "--no-progress", "-p", item],
    )
    assert result.exit_code == 1 and message in result.output
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------------------
# names: notebooks, outputs, data values
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "stem", ["01_bad name", "01_a;b", "01_{seed}", "01_..", "01_-x", "01_über", "01_" + "a" * 80]
)
def test_notebook_names_must_be_safe(tmp_path, stem):
    analyses = tmp_path / "analyses"
    write_notebook(analyses, stem, "# %%\n")
    with pytest.raises(RenderError, match="names are NN_name with letters, digits"):
        render(analyses, data=MINIMAL, out=tmp_path / "out", only=stem, progress=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["analyses"]


def test_only_cannot_name_a_path(tmp_path):
    with pytest.raises(ValueError, match="no notebook named"):
        render(FIXTURE, data=MINIMAL, out=tmp_path / "o", only="../../x", progress=False)


@pytest.mark.parametrize(
    "name",
    ["../../evil", "..", "a/b", "/abs", ".hidden", "evil\n", "Upper", "a b", "", "x" * 81, 5],
)
def test_output_names_refused(tmp_path, name, close_figures):
    import matplotlib.pyplot as plt

    out = ReportOutputs(tmp_path / "nb")
    with pytest.raises(ValueError, match="output name"):
        out.table(name, pd.DataFrame({"a": [1]}))
    fig, _ = plt.subplots()
    with pytest.raises(ValueError, match="output name"):
        out.figure(name, fig)
    assert _files(tmp_path) == {"nb", "nb/manifest.json"}


_parts = st.lists(st.one_of(st.text(max_size=120), st.integers()), min_size=1, max_size=3)


@settings(max_examples=150, deadline=None)
@given(parts=_parts)
def test_output_name_is_always_a_safe_file_name(tmp_path_factory, parts):
    name = output_name(*parts)
    assert NAME_RE.fullmatch(name) and len(name) <= MAX_NAME_LENGTH
    root = tmp_path_factory.mktemp("names")
    out = ReportOutputs(root)
    out.table(name, pd.DataFrame({"a": [1]}))
    assert [p.relative_to(root).as_posix() for p in root.rglob("*.csv")] == [f"tables/{name}.csv"]


@settings(max_examples=200, deadline=None)
@given(a=st.text(max_size=60), b=st.text(max_size=60))
def test_output_name_keeps_different_values_apart(a, b):
    if a.lower() != b.lower():
        assert output_name("scans", a) != output_name("scans", b)


def test_output_name_leaves_plain_names_alone():
    assert output_name("scans", "CS01") == "scans_cs01"  # the case-series file names
    assert output_name("pfs_by", "line", 1) == "pfs_by_line_1"
    assert output_name("by", "x y") != output_name("by", "x-y") == "by_x-y"
    with pytest.raises(ValueError, match="at least one part"):
        output_name()


# --------------------------------------------------------------------------------------
# what a notebook leaves in its folder
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize("rel", ["../../../etc/hostname", "/etc/hostname", "tables/missing.csv"])
def test_manifest_pointing_outside_is_refused(tmp_path, rel):
    analyses = tmp_path / "analyses"
    body = (
        "# %%\nimport json\n"
        f"doc = {{'outputs': [{{'kind': 'table', 'name': 'x', 'caption': '', 'files': [{rel!r}]}}]}}\n"
        "open('manifest.json', 'w').write(json.dumps(doc))\n"
    )
    write_notebook(analyses, "01_climb", body)
    out = previous_report(tmp_path / "out")
    with pytest.raises(RenderError, match="not a file inside the notebook's output folder"):
        render(analyses, data=MINIMAL, out=out, only="01", progress=False)
    assert (out / "keep.txt").exists() and verify_report(out) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["analyses", "out"]


def test_symbolic_link_in_outputs_is_refused(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("not for the report")
    analyses = tmp_path / "analyses"
    write_notebook(analyses, "01_link", f"# %%\nimport os\nos.symlink({str(secret)!r}, 'x.txt')\n")
    with pytest.raises(DestinationError, match="x.txt: reports may not hold symbolic links"):
        render(analyses, data=MINIMAL, out=tmp_path / "out", only="01", progress=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["analyses", "secret.txt"]


def test_braces_in_the_report_path_are_not_format_fields(tmp_path):
    """papermill formats output paths with the parameters; ours are used as given."""
    analyses = tmp_path / "analyses"
    write_notebook(analyses, "01_tiny", "# %%\nprint(seed)\n")
    out = tmp_path / "r{seed}" / "{data}"
    render(analyses, data=MINIMAL, out=out, only="01", progress=False)
    assert (out / "01_tiny" / "01_tiny.ipynb").is_file() and verify_report(out) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["analyses", "r{seed}"]
    assert os.listdir(tmp_path / "r{seed}") == ["{data}"]

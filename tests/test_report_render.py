"""Rendering the report notebooks: the minimal cohort end to end, failures, parameters."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from netstats.cli import app
from netstats.report import (
    DEFAULT_NOTEBOOKS,
    PrivacyError,
    RenderError,
    check_outputs,
    coerce_parameter,
    cohort_identifiers,
    default_notebooks,
    missing_requirements,
    notebook_parameters,
    parse_parameters,
    render,
    verify_report,
)
from tests._cohorts import MINIMAL
from tests._reader import report_findings
from tests._report_notebooks import previous_report, write_notebook

ANALYSES = Path(__file__).resolve().parents[1] / "analyses"


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        for key, value in attrs:
            if key in ("href", "src") and value and not value.startswith(("data:", "#", "http")):
                self.links.append(value)


@pytest.fixture(scope="module")
def minimal_report(tmp_path_factory) -> Path:
    """The default notebooks rendered on the minimal cohort through the CLI."""
    out = tmp_path_factory.mktemp("render") / "reports"
    result = CliRunner().invoke(
        app,
        [
            "report",
            "--data",
            str(MINIMAL),
            "--out",
            str(out),
            "--analyses",
            str(ANALYSES),
            "--no-progress",
            "-p",
            "seed=11",
            "-p",
            "min_pairs=2",
        ],
    )
    assert result.exit_code == 0, result.output
    assert f"rendered {len(default_notebooks())} report(s)" in result.output
    if "02_survival_by_line" not in default_notebooks():
        assert "not rendered: 02_survival_by_line (needs netstats.endpoints)" in result.output
    return out


def test_reader_sees_no_codes_reprs_or_column_names(minimal_report):
    # <NA>, nan, tracebacks, kernel paths, formula terms, reprs, warning classes and schema
    # column names in the text of the no-code pages, the index, the disclosure page and the
    # Word files (tests/_reader.py)
    assert report_findings(minimal_report) == []


def test_layout_and_links(minimal_report):
    for name in default_notebooks():
        folder = minimal_report / name
        for suffix in (".ipynb", ".html", "_nocode.html", ".docx"):
            assert (folder / f"{name}{suffix}").is_file()
        manifest = json.loads((folder / "manifest.json").read_text())
        for entry in manifest["outputs"]:
            for rel in entry["files"]:
                assert (folder / rel).is_file()
    parser = _Links()
    parser.feed((minimal_report / "index.html").read_text())
    assert len(parser.links) >= 3 * len(default_notebooks())
    for link in parser.links:
        assert (minimal_report / link).is_file(), link
    assert [p.name for p in minimal_report.parent.iterdir()] == ["reports"]  # no staging
    assert verify_report(minimal_report) == []


def test_executed_notebooks_are_clean_and_parameters_injected(minimal_report):
    nb = json.loads((minimal_report / "01_cohort_overview/01_cohort_overview.ipynb").read_text())
    assert all(o["output_type"] != "error" for c in nb["cells"] for o in c.get("outputs", []))
    injected = [c for c in nb["cells"] if "injected-parameters" in c["metadata"].get("tags", [])]
    assert len(injected) == 1 and "seed = 11" in "".join(injected[0]["source"])
    assert "papermill" not in nb["metadata"]  # timings stripped
    grade = json.loads((minimal_report / "03_ki67_grade/03_ki67_grade.ipynb").read_text())
    cells = [c for c in grade["cells"] if "injected-parameters" in c["metadata"].get("tags", [])]
    assert "min_pairs = 2" in "".join(cells[0]["source"])
    assert "min_pairs" not in "".join(injected[0]["source"])  # only 03 declares it


def test_code_and_no_code_versions(minimal_report):
    folder = minimal_report / "01_cohort_overview"
    with_code = (folder / "01_cohort_overview.html").read_text()
    no_code = (folder / "01_cohort_overview_nocode.html").read_text()
    assert ">table_one<" in with_code and "table_one" not in no_code
    assert "Baseline characteristics" in no_code
    for html in (with_code, no_code):
        assert not re.search(r"<script[^>]*src=\"https?://", html)


def test_outputs_suppressed_and_free_of_identifiers(minimal_report):
    from netstats.io import load_cohort

    ids = cohort_identifiers(load_cohort(MINIMAL))
    stamp = re.search(r"Rendered (\S+)", (minimal_report / "index.html").read_text()).group(1)
    assert check_outputs(minimal_report, identifiers=ids, allowed=[stamp]) == []
    t1 = pd.read_csv(minimal_report / "01_cohort_overview/tables/table1.csv", dtype=str)
    # four patients: below the threshold, so Table 1 shows no count at all
    assert set(t1.loc[t1["Characteristic"] == "N", ["Overall", "G2", "G3"]].iloc[0]) == {"*"}
    prov = pd.read_csv(minimal_report / "03_ki67_grade/tables/provenance.csv")
    items = dict(zip(prov["item"], prov["value"], strict=True))
    import hashlib

    digest = hashlib.sha256((MINIMAL / "pathology.csv").read_bytes()).hexdigest()
    assert items["sha256 pathology.csv"] == digest
    assert items["seed"] == "11"


def test_failing_cell_names_notebook_cell_and_error(tmp_path):
    analyses = tmp_path / "analyses"
    write_notebook(analyses, "01_broken", "# %%\nx = 1\n\n# %%\ny = 1 / 0\n")
    out = previous_report(tmp_path / "reports")
    with pytest.raises(RenderError, match=r"01_broken: cell \d+ .*'y = 1 / 0'.*ZeroDivisionError"):
        render(analyses, data=MINIMAL, out=out, only="01_broken", progress=False)
    assert (out / "keep.txt").read_text() == "previous render"  # old report untouched
    assert verify_report(out) == []
    assert not list(tmp_path.glob(".reports.*"))


def test_dead_kernel_is_a_render_error(tmp_path):
    analyses = tmp_path / "analyses"
    write_notebook(analyses, "01_crash", "# %%\nimport os\nos._exit(3)\n")
    with pytest.raises(RenderError, match="01_crash: the kernel stopped"):
        render(analyses, data=MINIMAL, out=tmp_path / "r", only="01", progress=False)


def test_failing_render_through_cli_exits_1(tmp_path):
    analyses = tmp_path / "analyses"
    write_notebook(analyses, "01_broken", "# %%\nraise KeyError('ki67')\n")
    result = CliRunner().invoke(
        app,
        [
            "report",
            "--data",
            str(MINIMAL),
            "--out",
            str(tmp_path / "r"),
            "--analyses",
            str(analyses),
            "--only",
            "01",
            "--no-progress",
        ],
    )
    assert result.exit_code == 1
    assert "01_broken" in result.output and "KeyError" in result.output


def test_parameters_are_passed_as_data_never_code(tmp_path):
    analyses = tmp_path / "analyses"
    marker = tmp_path / "pwned"
    body = "# %%\nfrom pathlib import Path\nPath('label.txt').write_text(label)\n"
    write_notebook(analyses, "01_echo", body, extra='label = ""')
    nasty = (
        f'"; import pathlib; pathlib.Path(r"{marker}").touch(); x = "\n'
        f"__import__('pathlib').Path(r'{marker}').touch()\\\" ' \\n {{label}}"
    )
    out = tmp_path / "reports"
    render(analyses, data=MINIMAL, out=out, only="01", parameters={"label": nasty}, progress=False)
    assert (out / "01_echo" / "label.txt").read_text() == nasty
    assert not marker.exists()


def test_parameter_validation(tmp_path):
    analyses = tmp_path / "analyses"
    write_notebook(analyses, "01_echo", "# %%\n", extra="label = ''\nflag = True\nratio = 0.5")
    assert notebook_parameters(analyses / "01_echo.py")["ratio"] == 0.5
    assert parse_parameters(["flag=no", "ratio=2", "label=a=b"], analyses=analyses, only="01") == {
        "flag": False,
        "ratio": 2.0,
        "label": "a=b",
    }
    with pytest.raises(ValueError, match="no selected notebook declares parameter 'oops'"):
        parse_parameters(["oops=1"], analyses=analyses, only="01")
    with pytest.raises(ValueError, match="expected int"):
        coerce_parameter("seed", "1; import os", 1)
    with pytest.raises(TypeError, match="only str, int, float, bool or None"):
        render(
            analyses,
            data=MINIMAL,
            out=tmp_path / "r",
            parameters={"label": ["x"]},
            only="01",
            progress=False,
        )
    with pytest.raises(ValueError, match=r"no selected notebook has parameter\(s\) \['other'\]"):
        render(
            analyses,
            data=MINIMAL,
            out=tmp_path / "r",
            parameters={"other": 1},
            only="01",
            progress=False,
        )
    bad = write_notebook(tmp_path / "bad", "01_bad", "", extra="x = len('a')")
    with pytest.raises(RenderError, match="'x' must be a literal"):
        notebook_parameters(bad)


def test_disclosure_fails_render_and_keeps_previous_output(tmp_path):
    analyses = tmp_path / "analyses"
    write_notebook(analyses, "01_leak", "# %%\nprint('last contact 2025-05-30 for 003')\n")
    out = previous_report(tmp_path / "reports")
    with pytest.raises(PrivacyError, match=r"01_leak/01_leak\.html: date '2025-05-30'") as info:
        render(analyses, data=MINIMAL, out=out, only="01_leak", progress=False)
    kinds = {(f.kind, f.match) for f in info.value.findings}
    assert ("identifier", "003") in kinds
    assert (out / "keep.txt").exists() and verify_report(out) == []
    # published data (the case series) may switch the scan off explicitly
    render(analyses, data=MINIMAL, out=out, only="01_leak", progress=False, check_privacy=False)
    assert (out / "01_leak" / "01_leak.html").exists() and not (out / "keep.txt").exists()


def test_unknown_notebook_and_threshold_errors(tmp_path):
    with pytest.raises(ValueError, match="no notebook named 'nope'"):
        render(ANALYSES, data=MINIMAL, out=tmp_path / "r", only="nope", progress=False)
    with pytest.raises(ValueError, match="0 disables"):
        render(ANALYSES, data=MINIMAL, out=tmp_path / "r", suppression_threshold=-1)


def test_every_notebook_declares_the_standard_parameters():
    import ast

    from netstats.report import list_notebooks
    from netstats.report._render import STANDARD_PARAMETERS, _read_notebook

    names = list_notebooks(ANALYSES)
    assert set(DEFAULT_NOTEBOOKS) <= set(names)
    assert "05_case_series" in names and "05_case_series" not in DEFAULT_NOTEBOOKS
    for name in names:
        params = notebook_parameters(ANALYSES / f"{name}.py")
        assert set(STANDARD_PARAMETERS) <= set(params), name
        # The published case series is rendered with suppression off, on request only.
        expected = 0 if name == "05_case_series" else 5
        assert params["suppression_threshold"] == expected, name
        for cell in _read_notebook(ANALYSES / f"{name}.py").cells:
            if cell.cell_type == "code":
                ast.parse(cell.source)  # every cell is valid Python


def test_survival_notebook_waits_for_its_endpoints_module():
    import importlib.util

    # rendered by default only once netstats.endpoints exists
    has_endpoints = importlib.util.find_spec("netstats.endpoints") is not None
    assert ("02_survival_by_line" in default_notebooks()) == has_endpoints
    assert missing_requirements("02_survival_by_line") == (
        [] if has_endpoints else ["netstats.endpoints"]
    )
    assert missing_requirements("01_cohort_overview") == []


@pytest.mark.parametrize(("min_size", "statistics_run"), [(1000, False), (1, True)])
def test_cells_tagged_cohort_only_run_only_from_min_cohort_size(tmp_path, min_size, statistics_run):
    analyses = tmp_path / "analyses"
    body = (
        '# %% [markdown] tags=["cohort-only"]\n# ## Statistics section\n\n'
        '# %% tags=["cohort-only"]\nprint("statistics ran")\n\n'
        '# %%\nprint("descriptive part ran")\n'
    )
    write_notebook(analyses, "01_sized", body, extra=f"min_cohort_size = {min_size}")
    out = tmp_path / "r"
    render(analyses, data=MINIMAL, out=out, only="01_sized", progress=False)
    page = (out / "01_sized" / "01_sized_nocode.html").read_text()
    assert "descriptive part ran" in page
    assert ("statistics ran" in page) is statistics_run
    assert ("Statistics section" in page) is statistics_run

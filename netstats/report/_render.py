"""Render the report notebooks: execute with papermill, export HTML and Word, index, privacy check.

:func:`render` runs each notebook of ``analyses/`` (jupytext percent format) on a clean
kernel of the current interpreter, writes per notebook the executed ``.ipynb``, HTML with
and without code, a Word document (no code) and the tables/figures the notebook
exported, builds ``index.html``, scans everything for identifiers and dates, and only then
moves the finished folder into place.  A failing cell stops the render with the notebook, cell and error named.
"""

from __future__ import annotations

import ast
import datetime as dt
import html
import json
import keyword
import os
import re
import shutil
import sys
import tempfile
import urllib.parse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from netstats._display import ResultDisplay, plural
from netstats._progress import progress_bar, show_progress
from netstats.exceptions import NetstatsError
from netstats.io._bundled import bundled_analyses_path, bundled_cohort_path
from netstats.io._redact import SECRET_SOURCE_ENV, find_secrets, redact_secrets, resolve_source
from netstats.report._docx import export_docx
from netstats.report._outputs import MANIFEST
from netstats.report._privacy import DEFAULT_THRESHOLD
from netstats.report._publish import (
    check_confined,
    check_destination,
    publish,
    start_staging,
    write_report_manifest,
)
from netstats.report._record import write_disclosure_record
from netstats.report._scan import check_outputs, cohort_identifiers

__all__ = [
    "DEFAULT_NOTEBOOKS",
    "RenderError",
    "RenderResult",
    "NOTEBOOK_REQUIRES",
    "coerce_parameter",
    "default_notebooks",
    "list_notebooks",
    "missing_requirements",
    "notebook_parameters",
    "parse_parameters",
    "render",
]

#: Notebooks rendered by default (others in ``analyses/`` run only when named in ``only``),
#: each once the modules it needs (:data:`NOTEBOOK_REQUIRES`) can be imported.
DEFAULT_NOTEBOOKS = (
    "01_cohort_overview",
    "02_survival_by_line",
    "03_ki67_grade",
    "04_sstr_pet",
)
# 05_case_series shows identifiers and dates of published cases: rendered only on request
# (``--only 05``), with suppression and the identifier scan off.
#: Modules a notebook needs beyond the core of netstats.
NOTEBOOK_REQUIRES: dict[str, tuple[str, ...]] = {"02_survival_by_line": ("netstats.endpoints",)}
#: Parameters every report notebook declares in its ``parameters`` cell.
STANDARD_PARAMETERS = (
    "data",
    "output_dir",
    "seed",
    "suppression_threshold",
    "endpoint_rules",
    "rendered_at",
)
_KERNEL_NAME = "netstats-report"
_PACKAGE_ROOT = Path(__file__).resolve().parents[2]
#: Cell file names in warnings carry the kernel's process id (``/tmp/ipykernel_6493/...``).
_KERNEL_TMP_RE = re.compile(r"ipykernel_\d+")


class RenderError(NetstatsError, RuntimeError):
    """A notebook could not be rendered (the message names notebook, cell and error).

    Examples
    --------
    >>> from netstats import NetstatsError
    >>> from netstats.report import RenderError
    >>> issubclass(RenderError, NetstatsError) and issubclass(RenderError, RuntimeError)
    True
    """


@dataclass(frozen=True, repr=False)
class RenderResult(ResultDisplay):
    """A finished render.

    Attributes
    ----------
    out : Path
        The report folder.
    index : Path
        Its ``index.html``.
    notebooks : list of str
        Notebooks rendered, in order.
    rendered_at : str
        Timestamp written into the reports (UTC, ISO 8601).

    Examples
    --------
    >>> from pathlib import Path
    >>> from netstats.report import RenderResult
    >>> done = RenderResult(out=Path("reports"), index=Path("reports/index.html"),
    ...                     notebooks=["01_cohort_overview"], rendered_at="2026-01-01T00:00:00Z")
    >>> done
    RenderResult
    1 notebook rendered to reports at 2026-01-01T00:00:00Z; open index.html
              notebook                                        html
    01_cohort_overview  reports/01_cohort_overview/01_cohort_overview.html
    """

    out: Path
    index: Path
    notebooks: list[str]
    rendered_at: str

    @property
    def method(self) -> str:
        """One-line description (notebooks, folder, time)."""
        return (
            f"{plural(len(self.notebooks), 'notebook')} rendered to {self.out} "
            f"at {self.rendered_at}; open {self.index.name}"
        )

    def to_frame(self) -> pd.DataFrame:
        """The rendered notebooks.

        Returns
        -------
        DataFrame
            ``notebook`` and ``html`` (path of its HTML page), in render order.
        """
        return pd.DataFrame(
            {
                "notebook": self.notebooks,
                "html": [str(self.out / name / f"{name}.html") for name in self.notebooks],
            }
        )


# --------------------------------------------------------------------------------------
# notebooks and parameters
# --------------------------------------------------------------------------------------
def list_notebooks(analyses: str | Path | None = None) -> list[str]:
    """Names of the report notebooks (``NN_name.py``) in a folder, sorted.

    ``None`` means the notebooks shipped with netstats (:func:`netstats.bundled_analyses_path`).

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> analyses = Path(tempfile.mkdtemp()) / "analyses"
    >>> analyses.mkdir()
    >>> _ = (analyses / "01_counts.py").write_text(
    ...     '# %% tags=["parameters"]\\n'
    ...     'data = ""\\noutput_dir = "."\\nseed = 1\\nsuppression_threshold = 5\\n'
    ...     'endpoint_rules = ""\\nrendered_at = ""\\n\\n'
    ...     "# %%\\nimport netstats\\nprint(netstats.load_cohort(data).n_patients)\\n")
    >>> from netstats.report import list_notebooks
    >>> _ = (analyses / "helpers.py").write_text("")  # not NN_name.py: not a notebook
    >>> list_notebooks(analyses)
    ['01_counts']
    """
    folder = bundled_analyses_path() if analyses is None else Path(analyses)
    if not folder.is_dir():
        raise FileNotFoundError(f"analyses folder {folder} not found")
    return sorted(p.stem for p in folder.glob("[0-9][0-9]_*.py"))


#: Tag of notebook cells (statistics, and their headings) that run only when the cohort has
#: at least the notebook's ``min_cohort_size`` patients; below it the renderer drops them.
COHORT_ONLY = "cohort-only"


def _read_notebook(path: Path) -> Any:
    import jupytext

    return jupytext.read(path)


def _parameters_cell(nb: Any, name: str) -> Any:
    cells = [c for c in nb.cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    if len(cells) != 1:
        raise RenderError(
            f"notebook {name}: needs exactly one cell tagged 'parameters', found {len(cells)}"
        )
    return cells[0]


def notebook_parameters(path: str | Path) -> dict[str, Any]:
    """The parameters a notebook declares (names and literal default values).

    The ``parameters`` cell must hold only assignments of literals (``name = value``).

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> analyses = Path(tempfile.mkdtemp()) / "analyses"
    >>> analyses.mkdir()
    >>> _ = (analyses / "01_counts.py").write_text(
    ...     '# %% tags=["parameters"]\\n'
    ...     'data = ""\\noutput_dir = "."\\nseed = 1\\nsuppression_threshold = 5\\n'
    ...     'endpoint_rules = ""\\nrendered_at = ""\\n\\n'
    ...     "# %%\\nimport netstats\\nprint(netstats.load_cohort(data).n_patients)\\n")
    >>> from netstats.report import notebook_parameters
    >>> notebook_parameters(analyses / "01_counts.py")["seed"]
    1
    """
    path = Path(path)
    cell = _parameters_cell(_read_notebook(path), path.stem)
    try:
        tree = ast.parse(cell.source)
    except SyntaxError as exc:
        raise RenderError(f"notebook {path.stem}: parameters cell is not valid Python") from exc
    params: dict[str, Any] = {}
    for node in tree.body:
        target = (
            node.targets[0]
            if isinstance(node, ast.Assign) and len(node.targets) == 1
            else node.target
            if isinstance(node, ast.AnnAssign)
            else None
        )
        if not isinstance(target, ast.Name):
            raise RenderError(
                f"notebook {path.stem}: the parameters cell may only assign literals "
                f"(line {node.lineno})"
            )
        try:
            params[target.id] = ast.literal_eval(node.value) if node.value else None
        except ValueError as exc:
            raise RenderError(
                f"notebook {path.stem}: parameter {target.id!r} must be a literal"
            ) from exc
    missing = [p for p in STANDARD_PARAMETERS if p not in params]
    if missing:
        raise RenderError(f"notebook {path.stem}: parameters cell lacks {missing}")
    return params


_TRUE = {"true", "yes", "1", "on"}
_FALSE = {"false", "no", "0", "off"}


def coerce_parameter(name: str, value: str, default: Any) -> Any:
    """Convert a command-line parameter string to the type of the notebook's default.

    The text is never evaluated: it becomes an int, float or bool by parsing, otherwise it
    stays a string.

    Examples
    --------
    >>> coerce_parameter("seed", "7", 1), coerce_parameter("x", "0.5", 1.0)
    (7, 0.5)
    >>> coerce_parameter("flag", "no", True), coerce_parameter("s", "__import__('os')", "")
    (False, "__import__('os')")
    """
    if isinstance(default, bool):
        low = value.strip().lower()
        if low in _TRUE | _FALSE:
            return low in _TRUE
        raise ValueError(f"parameter {name}: expected true/false, got {value!r}")
    try:
        if isinstance(default, int):
            return int(value)
        if isinstance(default, float):
            return float(value)
    except ValueError:
        kind = type(default).__name__
        raise ValueError(f"parameter {name}: expected {kind}, got {value!r}") from None
    return value


def parse_parameters(
    items: Sequence[str],
    *,
    analyses: str | Path | None = None,
    only: str | Sequence[str] | None = None,
) -> dict[str, Any]:
    """Command-line ``key=value`` strings, typed like the notebooks' defaults.

    The values are parsed (:func:`coerce_parameter`), never evaluated; a key no selected
    notebook declares is an error.

    Examples
    --------
    >>> parse_parameters(["seed=7", "min_pairs=20"], only="03")
    {'seed': 7, 'min_pairs': 20}
    """
    analyses = bundled_analyses_path() if analyses is None else analyses
    names = _select(list_notebooks(analyses), only)
    declared: dict[str, Any] = {}
    for name in names:
        declared |= notebook_parameters(Path(analyses) / f"{name}.py")
    params: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise ValueError(f"parameter {item!r} must be written key=value")
        if key not in declared:
            raise ValueError(f"no selected notebook declares parameter {key!r}")
        params[key] = coerce_parameter(key, value, declared[key])
    return params


def _check_parameters(name: str, values: Mapping[str, Any], declared: Mapping[str, Any]) -> None:
    from papermill.translators import PythonTranslator

    for key, value in values.items():
        if not key.isidentifier() or keyword.iskeyword(key):
            raise ValueError(f"parameter name {key!r} is not a valid identifier")
        if key not in declared:
            raise ValueError(
                f"notebook {name} has no parameter {key!r}; it declares {sorted(declared)}"
            )
        if value is not None and not isinstance(value, str | int | float | bool):
            raise TypeError(
                f"parameter {key}: only str, int, float, bool or None are passed to "
                f"notebooks, got {type(value).__name__}"
            )
        # papermill writes the value as a Python literal; make sure it reads back as data
        code = PythonTranslator.translate(value)
        try:
            back = ast.literal_eval(code)
        except (ValueError, SyntaxError):
            back = object()
        if back != value and not (value != value and back != back):  # NaN
            raise ValueError(f"parameter {key}: value {value!r} cannot be passed as a literal")


# --------------------------------------------------------------------------------------
# kernel, execution, export
# --------------------------------------------------------------------------------------
def _kernel_manager_class(spec_dir: Path, *, secret_source: str | None = None) -> type:
    """A kernel manager class for this interpreter, from a kernelspec in a private folder.

    Nothing is registered globally: the kernelspec lives in ``spec_dir`` and the kernel
    talks over IPC sockets there (nothing listens on the network).  nbclient creates and
    owns the manager, so it also closes the kernel and its channels.  ``secret_source``
    (a data address with its password) is put into the kernel's environment as
    :data:`netstats.io._redact.SECRET_SOURCE_ENV` when the kernel is launched, never into
    the kernelspec file: the notebook gets the masked address and ``load_cohort``
    resolves it there.
    """
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import AsyncKernelManager

    kdir = spec_dir / _KERNEL_NAME
    kdir.mkdir(parents=True, exist_ok=True)
    spec = {
        # the kernel's own log (interrupt at shutdown...) is not the notebook's output
        "argv": [
            sys.executable,
            "-m",
            "ipykernel_launcher",
            "-f",
            "{connection_file}",
            "--IPKernelApp.log_level=CRITICAL",
        ],
        "display_name": "netstats report (Python)",
        "language": "python",
        "env": {
            "PYTHONPATH": os.pathsep.join(
                [str(_PACKAGE_ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]
            ),
            "PYTHONHASHSEED": "0",
            "MPLBACKEND": "Agg",
            # Progress bars belong to the terminal running the render, not to the report.
            "TQDM_DISABLE": "1",
        },
    }
    (kdir / "kernel.json").write_text(json.dumps(spec), encoding="utf-8")
    kernel_dirs = [str(spec_dir)]
    ipc = str(spec_dir / "kernel-ipc")

    class _ReportKernelManager(AsyncKernelManager):
        def __init__(self, **kwargs: Any) -> None:
            kwargs["kernel_spec_manager"] = KernelSpecManager(
                kernel_dirs=kernel_dirs, ensure_native_kernel=False
            )
            kwargs.update(transport="ipc", ip=ipc)
            super().__init__(**kwargs)

        async def _async_launch_kernel(self, kernel_cmd: list[str], **kw: Any) -> None:
            if secret_source is not None:
                kw["env"] = {**(kw.get("env") or os.environ), SECRET_SOURCE_ENV: secret_source}
            await super()._async_launch_kernel(kernel_cmd, **kw)

    return _ReportKernelManager


def _clean_metadata(nb: Any) -> None:
    """Drop timings and volatile metadata so executed notebooks are reproducible."""
    nb.metadata.pop("papermill", None)
    nb.metadata.pop("widgets", None)
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"nbcell{i}"  # jupytext and papermill draw random ids
        cell.metadata.pop("papermill", None)
        cell.metadata.pop("execution", None)
        for output in cell.get("outputs", []):
            if "text" in output:
                output["text"] = _KERNEL_TMP_RE.sub("ipykernel", output["text"])
            if "traceback" in output:
                output["traceback"] = [
                    _KERNEL_TMP_RE.sub("ipykernel", t) for t in output["traceback"]
                ]


def _execute(
    src: Path,
    dest: Path,
    params: dict[str, Any],
    *,
    spec_dir: Path,
    progress: bool | None,
    timeout: int,
    secret_source: str | None = None,
    drop_tag: str | None = None,
) -> Any:
    import nbformat
    import papermill
    from nbclient.exceptions import CellTimeoutError, DeadKernelError
    from papermill.exceptions import PapermillExecutionError

    nb = _read_notebook(src)
    if drop_tag is not None:
        nb.cells = [c for c in nb.cells if drop_tag not in c.get("metadata", {}).get("tags", [])]
    try:
        papermill.execute_notebook(
            nb,
            _literal_path(dest),
            parameters=params,
            kernel_name=_KERNEL_NAME,
            language="python",
            cwd=str(dest.parent),
            progress_bar=show_progress(progress),
            kernel_manager_class=_kernel_manager_class(spec_dir, secret_source=secret_source),
            execution_timeout=timeout,
            log_output=False,
        )
    except PapermillExecutionError as exc:
        source = exc.source.strip().splitlines()
        first = source[0] if source else ""
        raise RenderError(
            redact_secrets(
                f"notebook {src.stem}: cell {exc.cell_index} (execution count {exc.exec_count}, "
                f"starting {first!r}) failed: {exc.ename}: {exc.evalue}"
            )
        ) from None
    except (DeadKernelError, CellTimeoutError) as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        raise RenderError(
            redact_secrets(
                f"notebook {src.stem}: the kernel stopped ({type(exc).__name__}: {first_line})"
            )
        ) from None
    executed = nbformat.read(dest, as_version=4)
    _clean_metadata(executed)
    nbformat.write(executed, dest)
    return executed


def _literal_path(path: Path) -> str:
    """``path`` for papermill, which formats output paths with the parameters
    (``str.format``): braces are doubled so that the path is used as given."""
    return str(path).replace("{", "{{").replace("}", "}}")


def _without_stderr(nb: Any) -> Any:
    """A copy of the notebook without stderr streams: warnings are shown as Notes, and
    what is left (a library's log line) is for the executed notebook, not the reader."""
    import copy

    shown = copy.deepcopy(nb)
    for cell in shown.cells:
        if "outputs" in cell:
            cell["outputs"] = [
                o
                for o in cell["outputs"]
                if not (o.get("output_type") == "stream" and o.get("name") == "stderr")
            ]
    return shown


def _export_html(nb: Any, dest: Path, *, code: bool, title: str) -> None:
    from nbconvert import HTMLExporter

    nb = _without_stderr(nb)
    exporter = HTMLExporter(
        template_name="lab",
        exclude_input=not code,
        exclude_input_prompt=not code,
        exclude_output_prompt=not code,
    )
    body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": title}})
    dest.write_text(_strip_external(body), encoding="utf-8")


def _strip_external(body: str) -> str:
    """Remove script/link tags that load from the network (reports work offline)."""
    body = re.sub(r"<script[^>]*\bsrc=\"https?://[^\"]*\"[^>]*>\s*</script>", "", body)
    body = re.sub(r"<link[^>]*\bhref=\"https?://[^\"]*\"[^>]*>", "", body)
    return body


# --------------------------------------------------------------------------------------
# index
# --------------------------------------------------------------------------------------
_INDEX_CSS = (
    "body{font-family:sans-serif;max-width:60em;margin:2em auto;color:#222}"
    "h2{border-bottom:1px solid #ccc}figure{display:inline-block;margin:.5em;"
    "vertical-align:top}img{max-width:28em;border:1px solid #ddd}"
    "table{border-collapse:collapse}td,th{padding:.2em .6em;border-bottom:1px solid #eee;"
    "text-align:left}"
)


def _index_html(
    entries: list[dict[str, Any]], *, rendered_at: str, prov: Any, disclosure: bool = False
) -> str:
    esc = html.escape

    def href(*parts: str) -> str:
        return esc(urllib.parse.quote("/".join(parts)))

    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        "<title>netstats reports</title>",
        f"<style>{_INDEX_CSS}</style></head><body>",
        "<h1>netstats reports</h1>",
        f'<p id="rendered">Rendered {esc(rendered_at)} with netstats {esc(prov.netstats_version)}'
        f" (commit {esc((prov.git_commit or 'unknown')[:12])}"
        f"{', modified' if prov.git_dirty else ''}); data: {esc(prov.data_name)}.</p>",
    ]
    if disclosure:
        parts.append(
            '<p id="disclosure"><a href="disclosure.html">Disclosure checks</a> of every '
            'output (<a href="disclosure.json">JSON</a>).</p>'
        )
    for entry in entries:
        name = entry["name"]
        parts.append(f'<h2 id="{esc(name)}">{esc(entry["title"] or name)}</h2>')
        parts.append(
            f'<p><a href="{href(name, name + ".html")}">report with code</a> · '
            f'<a href="{href(name, name + "_nocode.html")}">report without code</a> · '
            f'<a href="{href(name, name + ".docx")}">Word document</a> · '
            f'<a href="{href(name, name + ".ipynb")}">executed notebook</a></p>'
        )
        tables = [o for o in entry["outputs"] if o["kind"] == "table"]
        figures = [o for o in entry["outputs"] if o["kind"] == "figure"]
        if tables:
            parts.append("<h3>Tables (CSV)</h3><ul>")
            for t in tables:
                parts.append(
                    f'<li><a href="{href(name, t["files"][0])}">'
                    f"{esc(t['caption'] or t['name'])}</a> (CSV)</li>"
                )
            parts.append("</ul>")
        if figures:
            parts.append("<h3>Figures</h3>")
            for f in figures:
                png, svg = f["files"]
                parts.append(
                    f'<figure><img src="{href(name, png)}" alt="{esc(f["caption"] or f["name"])}">'
                    f"<figcaption>{esc(f['caption'] or f['name'])} "
                    f'(<a href="{href(name, png)}">PNG</a>, <a href="{href(name, svg)}">SVG</a>)'
                    "</figcaption></figure>"
                )
    parts.append('<h2 id="provenance">Appendix: provenance</h2>')
    parts.append("<table><tr><th>Item</th><th>Details</th></tr>")
    for rec in prov.appendix().itertuples(index=False):
        parts.append(f"<tr><td>{esc(rec.item)}</td><td>{esc(rec.details)}</td></tr>")
    parts.append("</table>")
    if len(prov.files):
        parts.append("<table><tr><th>Input file</th><th>Bytes</th><th>SHA-256</th></tr>")
        for rec in prov.files.itertuples(index=False):
            parts.append(
                f"<tr><td>{esc(rec.file)}</td><td>{rec.bytes}</td>"
                f"<td><code>{esc(rec.sha256)}</code></td></tr>"
            )
        parts.append("</table>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


# --------------------------------------------------------------------------------------
# render
# --------------------------------------------------------------------------------------
def missing_requirements(name: str) -> list[str]:
    """Modules a notebook needs that cannot be imported here (empty when it can run).

    Examples
    --------
    >>> from netstats.report import missing_requirements
    >>> missing_requirements("02_survival_by_line")  # netstats.endpoints is importable
    []
    """
    import importlib.util

    missing = []
    for module in NOTEBOOK_REQUIRES.get(name, ()):
        try:
            found = importlib.util.find_spec(module) is not None
        except ModuleNotFoundError:
            found = False
        if not found:
            missing.append(module)
    return missing


def default_notebooks(available: Sequence[str] | None = None) -> list[str]:
    """The default notebooks whose modules exist (and that are in ``available``).

    Examples
    --------
    >>> from netstats.report import DEFAULT_NOTEBOOKS, default_notebooks
    >>> DEFAULT_NOTEBOOKS[:2]
    ('01_cohort_overview', '02_survival_by_line')
    >>> default_notebooks(["01_cohort_overview", "05_case_series"])
    ['01_cohort_overview']
    """
    return [
        n
        for n in DEFAULT_NOTEBOOKS
        if (available is None or n in available) and not missing_requirements(n)
    ]


def _select(available: list[str], only: str | Sequence[str] | None) -> list[str]:
    if only is None:
        chosen = default_notebooks(available)
        if not chosen:
            raise FileNotFoundError(f"none of the default notebooks {DEFAULT_NOTEBOOKS} found")
        return chosen
    wanted = [only] if isinstance(only, str) else list(only)
    chosen = []
    for w in wanted:
        hits = [n for n in available if w in (n, n.split("_", 1)[1], n[:2])]
        if not hits:
            raise ValueError(f"no notebook named {w!r}; available: {available}")
        chosen.extend(h for h in hits if h not in chosen)
    return chosen


def _now() -> str:
    """The render time (UTC), or ``SOURCE_DATE_EPOCH`` when set (reproducible builds)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch:
        try:
            when = dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc)
        except (ValueError, OverflowError, OSError) as exc:
            raise ValueError(
                f"SOURCE_DATE_EPOCH must be a whole number of seconds since 1970, got {epoch!r}"
            ) from exc
    else:
        when = dt.datetime.now(dt.timezone.utc)
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def render(
    analyses: str | Path | None = None,
    *,
    data: str | Path | None = None,
    out: str | Path = "reports",
    only: str | Sequence[str] | None = None,
    parameters: Mapping[str, Any] | None = None,
    suppression_threshold: int = DEFAULT_THRESHOLD,
    check_privacy: bool = True,
    progress: bool | None = None,
    timeout: int = 1200,
) -> RenderResult:
    """Execute the report notebooks on a cohort and write the HTML reports.

    Parameters
    ----------
    analyses : path, optional
        Folder of notebooks ``NN_name.py`` (jupytext percent format, one cell tagged
        ``parameters``); default the notebooks shipped with netstats
        (:func:`netstats.bundled_analyses_path`).
    data : path or str, optional
        Cohort location (folder, file or database URL) passed to every notebook; default
        the bundled synthetic cohort (:func:`netstats.bundled_cohort_path`).  A password
        in the address (``user:pw@``, ``?password=``, ``PWD=``) is masked in everything
        written or shown; the notebook kernels alone get the full address, through
        their environment (:func:`netstats.io.redact_secrets`).
    out : path, default="reports"
        Report folder; replaced as a whole only when the render succeeds.  It must be new,
        empty or an earlier report: a folder holding other files, the notebooks, the data
        or the working directory is refused.
    only : str or sequence of str, optional
        Notebooks to run, by full name (``"03_ki67_grade"``), name (``"ki67_grade"``) or
        number (``"03"``); default :func:`default_notebooks` (those of
        :data:`DEFAULT_NOTEBOOKS` whose modules exist).
    parameters : mapping, optional
        Further notebook parameters (str, int, float, bool or None values).  They are
        written into the notebook as literals, never evaluated as code.
    suppression_threshold : int, default=5
        Small-cell suppression threshold passed to the notebooks; ``0`` disables it.
    check_privacy : bool, default=True
        Scan every output for patient identifiers and full dates and fail on any
        (:func:`check_outputs`; the render timestamp is not a finding).  Turn off only
        for published data (the case series).
    progress : bool or None, default=None
        Progress bars over notebooks and cells; ``None`` shows them in interactive use
        only (Jupyter or a terminal), and ``TQDM_DISABLE`` turns them off.
    timeout : int, default=1200
        Seconds allowed per cell.

    Returns
    -------
    RenderResult

    Raises
    ------
    RenderError
        A notebook failed (notebook, cell and error named).
    PrivacyError
        An output contains an identifier or a full date (file and match named).
    DestinationError
        ``out`` cannot be replaced (see ``out``), or a notebook left a symbolic link in
        its output folder.

    Notes
    -----
    Layout of ``out``: ``index.html``; per notebook ``<name>/<name>.ipynb``,
    ``<name>.html`` (with code), ``<name>_nocode.html``, ``<name>.docx`` (Word, no code,
    see :func:`~netstats.report._docx.export_docx`), ``tables/*.csv``,
    ``figures/*.png`` and ``*.svg`` and ``manifest.json``; ``report.json`` (every file
    with its SHA-256, see :func:`verify_report`).  The report is built in a hidden folder
    next to ``out`` (``.NAME.partial-PID-XXXX``); ``report.json`` is written last and the
    folder then swapped into place, so an interrupted render (error, Ctrl-C, killed
    process) leaves the previous report as it was and no folder that looks finished; the
    next render removes what a killed one left behind.  Each notebook runs in a fresh
    kernel of the current interpreter (``PYTHONHASHSEED=0``, Agg backend) with its output
    folder as working directory.  Executed notebooks are stripped of timings, so two
    renders of the same data, parameters and versions differ only in the timestamp.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> analyses = Path(tempfile.mkdtemp()) / "analyses"
    >>> analyses.mkdir()
    >>> _ = (analyses / "01_counts.py").write_text(
    ...     '# %% tags=["parameters"]\\n'
    ...     'data = ""\\noutput_dir = "."\\nseed = 1\\nsuppression_threshold = 5\\n'
    ...     'endpoint_rules = ""\\nrendered_at = ""\\n\\n'
    ...     "# %%\\nimport netstats\\nprint(netstats.load_cohort(data).n_patients)\\n")
    >>> import netstats
    >>> from netstats.report import render
    >>> data = netstats.save_cohort(netstats.simulate_cohort(n_patients=60, seed=1),
    ...                             analyses.parent / "cohort")
    >>> done = render(analyses, data=data, out=analyses.parent / "reports", only="01")
    >>> done.notebooks, done.index.name
    (['01_counts'], 'index.html')
    """

    from netstats.io import load_cohort
    from netstats.report._provenance import provenance

    if isinstance(suppression_threshold, bool) or not isinstance(suppression_threshold, int):
        raise TypeError("suppression_threshold must be an int (0 disables suppression)")
    if suppression_threshold < 0:
        raise ValueError("suppression_threshold must be >= 0 (0 disables suppression)")
    analyses = (bundled_analyses_path() if analyses is None else Path(analyses)).resolve()
    data = bundled_cohort_path() if data is None else data
    names = _select(list_notebooks(analyses), only)
    _check_notebook_names(names)
    data_str = str(data) if "://" in str(data) else str(Path(data).resolve())
    # notebooks, reports and messages see the address with its password masked; the
    # kernels alone get the full address, through their environment
    secret_source = resolve_source(data_str)
    data_str = redact_secrets(secret_source)
    secret_source = secret_source if secret_source != data_str else None
    cohort = load_cohort(secret_source or data_str)
    rendered_at = _now()
    base = {
        "data": data_str,
        "output_dir": ".",
        "suppression_threshold": suppression_threshold,
        "rendered_at": rendered_at,
    }
    extra = dict(parameters or {})
    clash = set(extra) & {"data", "output_dir", "rendered_at", "suppression_threshold"}
    if clash:
        raise ValueError(f"set {sorted(clash)} with the render arguments, not as parameters")
    secret_keys = sorted(k for k, v in extra.items() if isinstance(v, str) and find_secrets(v))
    if secret_keys:
        raise ValueError(
            f"parameter(s) {secret_keys} hold a password, which would be written into the "
            "report; pass the database address as data, which is masked"
        )

    out = check_destination(
        out, inputs=[analyses, *([] if "://" in data_str else [Path(data_str)])]
    )
    staging = start_staging(out)
    try:
        with tempfile.TemporaryDirectory(prefix="netstats-kernel-") as spec_dir:
            entries = []
            declared_by = {n: notebook_parameters(analyses / f"{n}.py") for n in names}
            unknown = sorted(k for k in extra if not any(k in d for d in declared_by.values()))
            if unknown:
                raise ValueError(
                    f"no selected notebook has parameter(s) {unknown}; "
                    f"they declare {sorted(set().union(*declared_by.values()))}"
                )
            for name in progress_bar(names, progress=progress, desc="notebooks", unit="nb"):
                src = analyses / f"{name}.py"
                declared = declared_by[name]
                # each notebook gets the parameters it declares
                params = {k: v for k, v in {**base, **extra}.items() if k in declared}
                _check_parameters(name, params, declared)
                folder = staging / name
                folder.mkdir()
                # Below its min_cohort_size a notebook runs without its COHORT_ONLY cells.
                min_size = {**declared, **params}.get("min_cohort_size")
                small = min_size is not None and cohort.n_patients < min_size
                nb = _execute(
                    src,
                    folder / f"{name}.ipynb",
                    params,
                    spec_dir=Path(spec_dir),
                    progress=progress,
                    timeout=timeout,
                    secret_source=secret_source,
                    drop_tag=COHORT_ONLY if small else None,
                )
                title = _title(nb, name)
                _export_html(nb, folder / f"{name}.html", code=True, title=title)
                _export_html(nb, folder / f"{name}_nocode.html", code=False, title=title)
                export_docx(nb, folder / f"{name}.docx", title=title)
                outputs = _read_outputs(folder, name)
                entries.append({"name": name, "title": title, "outputs": outputs})
        prov = provenance(data_str, rendered_at=rendered_at)
        has_record = write_disclosure_record(staging, names, rendered_at=rendered_at)
        (staging / "index.html").write_text(
            _index_html(entries, rendered_at=rendered_at, prov=prov, disclosure=has_record),
            encoding="utf-8",
        )
        check_confined(staging)
        if secret_source is not None:
            _check_no_secret(staging, find_secrets(secret_source))
        if check_privacy:
            check_outputs(staging, identifiers=cohort_identifiers(cohort), allowed=[rendered_at])
        # the manifest is written last: a folder with it is a finished report
        write_report_manifest(
            staging, notebooks=names, rendered_at=rendered_at, parameters={**base, **extra}
        )
        publish(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return RenderResult(out=out, index=out / "index.html", notebooks=names, rendered_at=rendered_at)


#: Passwords shorter than this are not searched for in the outputs (they match anywhere).
_MIN_SECRET_SEARCHED = 4


def _check_no_secret(folder: Path, secrets: Sequence[str]) -> None:
    """Refuse a report in which a password of the data address appears (any file or name)."""
    needles = [s.encode() for s in secrets if len(s) >= _MIN_SECRET_SEARCHED]
    if not needles:
        return
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).as_posix()
        content = path.read_bytes() if path.is_file() else b""
        if any(n in rel.encode() or n in content for n in needles):
            raise RenderError(
                f"the password of the data address appears in {rel}; the report was not "
                "written (do the notebooks print the address from the environment?)"
            )


def _title(nb: Any, name: str) -> str:
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return name


_NOTEBOOK_NAME_RE = re.compile(r"[0-9][0-9]_[A-Za-z0-9][A-Za-z0-9_\-]*")


def _check_notebook_names(names: Sequence[str]) -> None:
    """Notebook names become folder and file names of the report: letters, digits, _ -."""
    for name in names:
        if not _NOTEBOOK_NAME_RE.fullmatch(name) or len(name) > 80:
            raise RenderError(
                f"notebook {name!r}: report notebook names are NN_name with letters, digits, "
                "'_' or '-' only (at most 80 characters); rename the file"
            )


def _read_outputs(folder: Path, name: str) -> list[dict[str, Any]]:
    """The outputs listed in a notebook's manifest, each file checked to lie in ``folder``."""
    manifest = folder / MANIFEST
    if not manifest.exists():
        return []
    try:
        outputs = json.loads(manifest.read_text(encoding="utf-8"))["outputs"]
        files = [rel for o in outputs for rel in o["files"]]
    except (ValueError, KeyError, TypeError) as exc:
        raise RenderError(f"notebook {name}: {MANIFEST} is not a valid output list") from exc
    for rel in files:
        inside = (
            isinstance(rel, str) and not Path(rel).is_absolute() and ".." not in Path(rel).parts
        )
        if not inside or not (folder / rel).is_file():
            raise RenderError(
                f"notebook {name}: output file {rel!r} in {MANIFEST} is not a file inside "
                "the notebook's output folder"
            )
    return list(outputs)

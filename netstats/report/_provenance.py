"""Provenance of a report: code version, input data hashes, rules, seeds and environment."""

from __future__ import annotations

import hashlib
import platform
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd

from netstats import labels
from netstats._display import ResultDisplay, plural
from netstats.io._redact import redact_secrets

__all__ = ["KEY_PACKAGES", "Provenance", "file_sha256", "git_commit", "input_files", "provenance"]

#: Packages whose versions every report records.
KEY_PACKAGES = (
    "numpy",
    "pandas",
    "scipy",
    "lifelines",
    "statsmodels",
    "scikit-learn",
    "matplotlib",
    "papermill",
    "nbconvert",
)


def file_sha256(path: str | Path, *, chunk_size: int = 1 << 20) -> str:
    """SHA-256 hex digest of a file's bytes.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from netstats.report import file_sha256
    >>> path = Path(tempfile.mkdtemp()) / "t.csv"
    >>> _ = path.write_text("a,b\\n1,2\\n")
    >>> file_sha256(path)
    '492d5ea496056f1a6a6592241032fab764c321596317930b4fa0e1e8bc3b7470'
    """
    digest = hashlib.sha256()
    with Path(path).open("rb") as fh:
        while chunk := fh.read(chunk_size):
            digest.update(chunk)
    return digest.hexdigest()


def input_files(data: str | Path) -> list[Path]:
    """The table files a data source is read from (a folder's table files, or the file)."""
    from netstats.io import _DUCKDB_ENDINGS, FILE_FORMATS  # the formats the loader reads

    readable = (*FILE_FORMATS, *_DUCKDB_ENDINGS)
    path = Path(data)
    if path.is_dir():
        return sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in readable)
    if path.is_file():
        return [path]
    return []


def git_commit(path: str | Path | None = None) -> tuple[str | None, bool | None]:
    """The git commit of the netstats source tree (``None`` when not in a git checkout).

    Returns
    -------
    tuple
        ``(commit, dirty)``: the full hash and whether tracked files differ from it.
    """
    root = Path(path) if path is not None else Path(__file__).resolve().parents[2]
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()
        status = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None, None
    return commit or None, bool(status)


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


@dataclass(frozen=True, repr=False)
class Provenance(ResultDisplay):
    """Where a report's numbers come from.

    Attributes
    ----------
    netstats_version, git_commit, git_dirty
        The code: package version and source commit (``git_dirty``: uncommitted changes).
    data_source : str
        The data location as given, passwords masked (:func:`netstats.io.redact_secrets`).
    files : DataFrame
        ``file`` (name), ``bytes`` and ``sha256`` of each input table file.
    endpoint_rules : str or None
        The endpoint and censoring rules in force, as text.
    seeds : dict
        Random seeds used.
    parameters : dict
        The report parameters.
    python, platform : str
        Interpreter and operating system.
    packages : dict
        Versions of :data:`KEY_PACKAGES`.
    rendered_at : str or None
        Render timestamp (UTC, ISO 8601), set by the renderer.

    Examples
    --------
    >>> from netstats.report import provenance
    >>> prov = provenance(None, seeds={"bootstrap": 1})
    >>> print(prov.method)  # doctest: +ELLIPSIS
    netstats ... (commit ...); 0 input files from not given
    >>> prov.to_frame().set_index("item").loc["seed bootstrap", "value"]
    '1'
    """

    netstats_version: str
    git_commit: str | None
    git_dirty: bool | None
    data_source: str
    files: pd.DataFrame
    endpoint_rules: str | None
    seeds: dict[str, Any] = field(default_factory=dict)
    parameters: dict[str, Any] = field(default_factory=dict)
    python: str = ""
    platform: str = ""
    packages: dict[str, str] = field(default_factory=dict)
    rendered_at: str | None = None

    @property
    def method(self) -> str:
        """One-line description (code version, inputs, render time)."""
        commit = (self.git_commit or "unknown")[:12] + (" modified" if self.git_dirty else "")
        when = f", rendered {self.rendered_at}" if self.rendered_at else ""
        return (
            f"netstats {self.netstats_version} (commit {commit}); "
            f"{plural(len(self.files), 'input file')} from {self.data_source}{when}"
        )

    def to_frame(self) -> pd.DataFrame:
        """Key/value table (``item``, ``value``), files and packages included."""
        rows = [
            ("netstats version", self.netstats_version),
            (
                "git commit",
                (self.git_commit or "unknown") + (" (modified)" if self.git_dirty else ""),
            ),
            ("rendered at", self.rendered_at or ""),
            ("data source", self.data_source),
        ]
        rows += [(f"sha256 {r.file}", str(r.sha256)) for r in self.files.itertuples(index=False)]
        rows += [("seed" if k == "seed" else f"seed {k}", str(v)) for k, v in self.seeds.items()]
        rows += [(f"parameter {k}", str(v)) for k, v in self.parameters.items()]
        rows += [("endpoint rules", self.endpoint_rules or "not applicable")]
        rows += [("python", self.python), ("platform", self.platform)]
        rows += [(k, v) for k, v in self.packages.items()]
        return pd.DataFrame(rows, columns=["item", "value"])

    @property
    def data_name(self) -> str:
        """The data source as a report shows it: a folder or file name, never a full path."""
        if "://" in self.data_source or self.data_source == "not given":
            return self.data_source
        return Path(self.data_source).name or self.data_source

    def appendix(self) -> pd.DataFrame:
        """The short provenance appendix a report ends with (``Item``, ``Details``).

        Relative names only (the data folder's name, file names), one line per item, no
        line breaks inside a cell.

        Examples
        --------
        >>> from netstats.report import provenance
        >>> provenance("/home/me/cohorts/nets", seeds={"seed": 7}).appendix().iloc[2:4].values.tolist()
        [['Data', 'nets (0 table files)'], ['Random seed', '7']]
        """
        commit = (self.git_commit or "unknown")[:12] + (", modified" if self.git_dirty else "")
        files = "; ".join(
            f"{r.file} ({str(r.sha256)[:12]})" for r in self.files.itertuples(index=False)
        )
        rows = [
            ("Software", f"netstats {self.netstats_version} (commit {commit})"),
            ("Rendered", self.rendered_at or "not recorded"),
            ("Data", f"{self.data_name} ({plural(len(self.files), 'table file')})"),
        ]
        seeds = [(k, v) for k, v in self.seeds.items()]
        for k, v in seeds:
            rows.append(("Random seed" if k == "seed" else f"Random seed ({k})", str(v)))
        if files:
            rows.append(("Input files (SHA-256, first 12 digits)", files))
        if self.parameters:
            rows.append(
                ("Parameters", "; ".join(_parameter(k, v) for k, v in self.parameters.items()))
            )
        rules = " ".join((self.endpoint_rules or "not applicable").split())
        if len(rules) > 160:  # the full text names data columns: it belongs in the CSV
            rules = "stated in full in the provenance table (provenance.csv)"
        rows.append(("Endpoint rules", rules))
        rows.append(("Python and platform", f"{self.python} on {self.platform}"))
        rows.append(("Packages", "; ".join(f"{k} {v}" for k, v in self.packages.items())))
        return pd.DataFrame(rows, columns=["item", "details"])


def _parameter(name: str, value: Any) -> str:
    """A notebook parameter in the reader's words (the CSV keeps ``name = value``)."""
    shown = value
    if isinstance(value, str) and labels.known(value):
        shown = labels.label(value, unit=False)
    return f"{labels.readable(name)}: {shown}"


def provenance(
    data: str | Path | None = None,
    *,
    endpoint_rules: str | None = None,
    seeds: Mapping[str, Any] | None = None,
    parameters: Mapping[str, Any] | None = None,
    rendered_at: str | None = None,
    packages: tuple[str, ...] = KEY_PACKAGES,
) -> Provenance:
    """Collect the provenance of a report.

    Parameters
    ----------
    data : path or str, optional
        The data source (folder, file or database URL).  Files are hashed; for a URL only
        the (password-free) address is recorded.
    endpoint_rules : str, optional
        The endpoint and censoring rules, as text (e.g. from ``netstats.endpoints``).
    seeds : mapping, optional
        Random seeds used by the analyses.
    parameters : mapping, optional
        Report parameters.
    rendered_at : str, optional
        Render timestamp.
    packages : tuple of str
        Distributions whose versions are recorded.

    Returns
    -------
    Provenance

    Examples
    --------
    >>> p = provenance(None, seeds={"bootstrap": 1})
    >>> p.seeds, p.data_source
    ({'bootstrap': 1}, 'not given')
    """
    from netstats._version import __version__

    commit, dirty = git_commit()
    files = input_files(data) if data is not None and "://" not in str(data) else []
    frame = pd.DataFrame(
        [{"file": p.name, "bytes": p.stat().st_size, "sha256": file_sha256(p)} for p in files],
        columns=["file", "bytes", "sha256"],
    )
    return Provenance(
        netstats_version=__version__,
        git_commit=commit,
        git_dirty=dirty,
        data_source=redact_secrets(str(data)) if data is not None else "not given",
        files=frame,
        endpoint_rules=endpoint_rules,
        seeds=dict(seeds or {}),
        parameters={
            k: redact_secrets(v) if isinstance(v, str) else v for k, v in (parameters or {}).items()
        },
        python=sys.version.split()[0],
        platform=platform.platform(terse=True),
        packages={p: _version(p) for p in packages},
        rendered_at=rendered_at,
    )

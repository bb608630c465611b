"""Put a finished report in place atomically; recognise finished and partial reports.

A render builds the whole report in a hidden staging folder next to the destination
(``.NAME.partial-PID-XXXX``), writes the report manifest ``report.json`` last, and only
then swaps the staging folder with the destination.  So at every moment the destination
is either the previous finished report or the new one, and a folder without
``report.json`` never looks finished.

- :func:`check_destination` refuses destinations whose replacement would delete something
  that is not a report (a non-empty folder without ``report.json``, a report holding files
  added or edited since its render, the inputs, the working directory).
- :func:`start_staging` removes what interrupted renders left behind and creates the
  staging folder.
- :func:`check_confined` refuses symbolic links and other non-regular files in the staging
  folder, so the published report holds only its own files.
- :func:`write_report_manifest` lists every file with its SHA-256 (the completion mark).
- :func:`publish` moves the staging folder into place.
- :func:`verify_report` checks a report folder against its manifest.
"""

from __future__ import annotations

import ctypes
import errno
import json
import os
import re
import shutil
import stat
import sys
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from netstats.exceptions import NetstatsError

__all__ = [
    "REPORT_MANIFEST",
    "DestinationError",
    "check_confined",
    "check_destination",
    "clean_stale",
    "is_report",
    "publish",
    "start_staging",
    "verify_report",
    "write_report_manifest",
]

#: File written last into a finished report: every file with its size and SHA-256.
REPORT_MANIFEST = "report.json"
_FORMAT = 1
#: The title of ``index.html`` in reports rendered before ``report.json`` existed.
_LEGACY_INDEX_MARK = "<title>netstats reports</title>"
_PARTIAL, _OLD = "partial", "old"


class DestinationError(NetstatsError, ValueError):
    """The report folder cannot be written (replacing it would delete other files).

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from netstats.report import DestinationError
    >>> from netstats.report._publish import check_destination
    >>> out = Path(tempfile.mkdtemp())
    >>> _ = (out / "thesis.docx").write_text("not a report")
    >>> try:
    ...     check_destination(out)
    ... except DestinationError as exc:
    ...     print("is not a netstats report" in str(exc))
    True
    """


# --------------------------------------------------------------------------------------
# destination and leftovers
# --------------------------------------------------------------------------------------
def is_report(folder: str | Path) -> bool:
    """Whether ``folder`` holds a netstats report (it has ``report.json``).

    Reports rendered before the manifest existed are recognised by their ``index.html``.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from netstats.report._publish import write_report_manifest
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "index.html").write_text("<h1>report</h1>")
    >>> _ = write_report_manifest(folder, notebooks=["01_counts"], rendered_at="2026-01-01",
    ...                           parameters={})
    >>> from netstats.report import is_report
    >>> is_report(folder), is_report(tempfile.mkdtemp())
    (True, False)
    """
    folder = Path(folder)
    manifest = folder / REPORT_MANIFEST
    if manifest.exists():
        try:
            return json.loads(manifest.read_text(encoding="utf-8")).get("kind") == "netstats"
        except (OSError, ValueError, AttributeError):
            return False
    try:
        head = (folder / "index.html").read_text(encoding="utf-8", errors="replace")[:2000]
    except OSError:
        return False
    return _LEGACY_INDEX_MARK in head


def _complete(folder: Path) -> bool:
    """A finished report: a legacy one, or one matching its manifest."""
    if not is_report(folder):
        return False
    return not (folder / REPORT_MANIFEST).exists() or not verify_report(folder)


def _within(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def check_destination(out: str | Path, *, inputs: Iterable[str | Path] = ()) -> Path:
    """Refuse a report folder whose replacement would delete anything but a report.

    Parameters
    ----------
    out : path
        The report folder; it is replaced as a whole by a successful render.
    inputs : iterable of path
        Files and folders the render reads (notebooks, data); ``out`` must not hold them.

    Returns
    -------
    Path
        ``out``, absolute.

    Raises
    ------
    DestinationError
        ``out`` is a file, holds an input or the working directory, lies inside an input
        folder, is a non-empty
        folder that is not a finished report, or is a report holding files that are not
        part of its render or were changed since (listed in ``report.json``, they would
        be deleted or overwritten).
    """
    out = Path(os.path.abspath(out))
    if out.exists() and not out.is_dir():
        raise DestinationError(f"report folder {out} is a file; choose a folder")
    if out.is_symlink():
        raise DestinationError(f"report folder {out} is a symbolic link; give its target")
    resolved = out.resolve()
    for item in [Path.cwd(), *inputs]:
        item_path = Path(item).resolve()
        if _within(item_path, resolved):
            raise DestinationError(
                f"report folder {out} holds {item_path}, which replacing the report would "
                "delete; choose a folder of its own (e.g. reports/NAME)"
            )
    for item in inputs:
        item_path = Path(item).resolve()
        if item_path.is_dir() and _within(resolved, item_path):
            raise DestinationError(
                f"report folder {out} is inside the input folder {item_path}; write reports "
                "outside the data, so that nothing there is overwritten or later read as a "
                "cohort table (e.g. reports/NAME)"
            )
    if out.is_dir() and any(out.iterdir()) and not is_report(out):
        raise DestinationError(
            f"report folder {out} exists and is not a netstats report (no {REPORT_MANIFEST}); "
            "a render replaces the whole folder: choose a new or empty folder, or remove it"
        )
    if out.is_dir() and (out / REPORT_MANIFEST).exists():
        _check_unchanged(out)
    return out


_LISTED = 5


def _check_unchanged(out: Path) -> None:
    """Refuse a report whose replacement would lose files added or edited after its render."""
    kept = [
        p.split(": ", 1)[0]
        for p in verify_report(out)
        if p.endswith((": not part of the render", ": changed since the render"))
    ]
    if kept:
        listed = ", ".join(kept[:_LISTED]) + (
            f" and {len(kept) - _LISTED} more" if len(kept) > _LISTED else ""
        )
        raise DestinationError(
            f"report folder {out} holds {len(kept)} file(s) added or changed since it was "
            f"rendered ({listed}); a render replaces the whole folder and would delete "
            "them: move them out of the folder, or choose another folder"
        )


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    except OSError:
        return False
    return True


def _leftovers(out: Path) -> list[tuple[Path, str, int]]:
    """Staging and replaced folders of earlier renders to ``out``: (path, tag, pid)."""
    pattern = re.compile(rf"^\.{re.escape(out.name)}\.({_PARTIAL}|{_OLD})-(\d+)-[^/]+$")
    found = []
    if out.parent.is_dir():
        for entry in out.parent.iterdir():
            m = pattern.match(entry.name)
            if m and entry.is_dir() and not entry.is_symlink():
                found.append((entry, m.group(1), int(m.group(2))))
    return sorted(found)


def clean_stale(out: str | Path) -> list[Path]:
    """Remove what renders to ``out`` left behind when their process was killed.

    Folders of processes still running are left alone.  When ``out`` is missing and a
    replaced previous report is complete (a render killed between the two renames of the
    fallback in :func:`publish`), it is moved back into place first.

    Returns
    -------
    list of Path
        The folders removed or restored.
    """
    out = Path(os.path.abspath(out))
    handled = []
    for path, tag, pid in _leftovers(out):
        if _pid_alive(pid):
            continue
        if tag == _OLD and not out.exists() and _complete(path):
            path.rename(out)
        else:
            shutil.rmtree(path, ignore_errors=True)
        handled.append(path)
    return handled


def start_staging(out: str | Path) -> Path:
    """Clean stale leftovers (:func:`clean_stale`) and create a staging folder for ``out``.

    The staging folder is hidden, next to ``out`` (same filesystem, so it can be renamed
    into place), and named after ``out`` and this process.
    """
    out = Path(os.path.abspath(out))
    out.parent.mkdir(parents=True, exist_ok=True)
    clean_stale(out)
    return Path(tempfile.mkdtemp(prefix=f".{out.name}.{_PARTIAL}-{os.getpid()}-", dir=out.parent))


# --------------------------------------------------------------------------------------
# confinement and manifest
# --------------------------------------------------------------------------------------
def check_confined(root: str | Path) -> None:
    """Refuse anything in a staged report that is not a regular file or folder.

    A symbolic link (or a FIFO, socket, device) would publish or point at something
    outside the report folder.

    Raises
    ------
    DestinationError
        Naming the offending path.
    """
    root = Path(root)
    for dirpath, dirnames, filenames in os.walk(root):
        for name in [*dirnames, *filenames]:
            path = Path(dirpath) / name
            mode = path.lstat().st_mode
            if stat.S_ISLNK(mode):
                raise DestinationError(
                    f"{path.relative_to(root)}: reports may not hold symbolic links "
                    f"(it points to {os.readlink(path)})"
                )
            if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
                raise DestinationError(
                    f"{path.relative_to(root)}: reports hold only regular files and folders"
                )


def _files(root: Path) -> list[Path]:
    return sorted(
        (
            p
            for p in root.rglob("*")
            if p.is_file() and p.relative_to(root).as_posix() != REPORT_MANIFEST
        ),
        key=lambda p: p.relative_to(root).as_posix(),
    )


def write_report_manifest(
    staging: str | Path,
    *,
    notebooks: Sequence[str],
    rendered_at: str,
    parameters: Mapping[str, Any],
) -> dict[str, Any]:
    """Write ``report.json`` into a staged report: the mark of a finished report.

    Written last, after every other file, through a temporary file and a rename, so a
    report folder with a readable ``report.json`` is complete.

    Returns
    -------
    dict
        The manifest: ``kind`` ("netstats"), ``format``, ``netstats_version``,
        ``rendered_at``, ``notebooks``, ``parameters`` and ``files`` (``path``, ``bytes``,
        ``sha256`` of every other file).
    """
    from netstats._version import __version__
    from netstats.report._provenance import file_sha256

    staging = Path(staging)
    doc = {
        "kind": "netstats",
        "format": _FORMAT,
        "netstats_version": __version__,
        "rendered_at": rendered_at,
        "notebooks": list(notebooks),
        "parameters": dict(parameters),
        "files": [
            {
                "path": p.relative_to(staging).as_posix(),
                "bytes": p.stat().st_size,
                "sha256": file_sha256(p),
            }
            for p in _files(staging)
        ],
    }
    tmp = staging / f".{REPORT_MANIFEST}.tmp"
    tmp.write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(tmp, staging / REPORT_MANIFEST)
    return doc


def verify_report(folder: str | Path) -> list[str]:
    """Check a report folder against its ``report.json``.

    Returns
    -------
    list of str
        Problems found (missing manifest, missing, changed or unlisted files); empty when
        the report is complete and unchanged.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from netstats.report._publish import write_report_manifest
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "index.html").write_text("<h1>report</h1>")
    >>> _ = write_report_manifest(folder, notebooks=["01_counts"], rendered_at="2026-01-01",
    ...                           parameters={})
    >>> from netstats.report import verify_report
    >>> verify_report(folder)
    []
    >>> _ = (folder / "index.html").write_text("<h1>edited</h1>")
    >>> verify_report(folder)
    ['index.html: changed since the render']
    """
    from netstats.report._provenance import file_sha256

    folder = Path(folder)
    manifest = folder / REPORT_MANIFEST
    if not manifest.is_file():
        return [f"{folder}: no {REPORT_MANIFEST}; not a finished report"]
    try:
        doc = json.loads(manifest.read_text(encoding="utf-8"))
        listed = {f["path"]: f for f in doc["files"]}
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return [f"{manifest}: unreadable ({exc})"]
    problems = []
    present = {p.relative_to(folder).as_posix(): p for p in _files(folder)}
    for rel, entry in sorted(listed.items()):
        path = present.get(rel)
        if path is None:
            problems.append(f"{rel}: listed in {REPORT_MANIFEST} but missing")
        elif path.stat().st_size != entry.get("bytes") or file_sha256(path) != entry.get("sha256"):
            problems.append(f"{rel}: changed since the render")
    problems += [f"{rel}: not part of the render" for rel in sorted(set(present) - set(listed))]
    return problems


# --------------------------------------------------------------------------------------
# moving into place
# --------------------------------------------------------------------------------------
_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Swap two directories atomically (Linux ``renameat2(RENAME_EXCHANGE)``).

    The standard library has no atomic swap of two non-empty directories; this calls the
    C library directly.  Returns False where the call or the flag is not supported (other
    systems, old kernels, some filesystems), so the caller falls back to two renames.
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        func = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return False
    func.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    func.restype = ctypes.c_int
    if func(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
        return False
    raise OSError(err, os.strerror(err), str(a), None, str(b))


def publish(staging: str | Path, out: str | Path) -> None:
    """Replace ``out`` by the finished ``staging`` folder; the old report is removed last.

    When ``out`` exists the two folders are swapped in one atomic step where the system
    allows it (Linux); otherwise ``out`` is renamed aside (``.NAME.old-PID-XXXX``) and
    ``staging`` renamed into place, and a render killed between the two renames is undone
    by the next render (:func:`clean_stale`).
    """
    staging, out = Path(staging), Path(os.path.abspath(out))
    if not out.exists():
        staging.rename(out)
        return
    if _exchange(staging, out):
        shutil.rmtree(staging, ignore_errors=True)  # now holds the previous report
        return
    old = Path(tempfile.mkdtemp(prefix=f".{out.name}.{_OLD}-{os.getpid()}-", dir=out.parent))
    out.replace(old)
    try:
        staging.rename(out)
    except OSError:
        old.rename(out)
        raise
    shutil.rmtree(old, ignore_errors=True)

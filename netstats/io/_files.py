"""Checks on a source file before it is opened: a regular file, and not too large.

A FIFO would block a reader forever and a device (``/dev/zero``, a symbolic link to it)
would be read until memory runs out, so only regular files are read.  Table files and
workbooks are read whole, so their size is limited too: by default to
:data:`DEFAULT_MAX_FILE_SIZE`, raised (or lifted, with ``0``) through the environment
variable :data:`MAX_FILE_SIZE_ENV` (``netstats --max-file-size`` sets it).  Database files
(DuckDB, SQLite) are queried rather than read whole and have no size limit.
"""

from __future__ import annotations

import math
import os
import re
import stat
from pathlib import Path

__all__ = [
    "DEFAULT_MAX_FILE_SIZE",
    "MAX_FILE_SIZE_ENV",
    "check_not_input",
    "file_problem",
    "format_size",
    "max_file_size",
    "parse_size",
]

#: Environment variable holding the largest table file read (``500M``, ``4G``; ``0``: none).
MAX_FILE_SIZE_ENV = "NETSTATS_MAX_FILE_SIZE"
#: Largest table file read when :data:`MAX_FILE_SIZE_ENV` is not set: 1 GiB.
DEFAULT_MAX_FILE_SIZE = 1 << 30

_UNITS = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}
_SIZE_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?\s*$", re.IGNORECASE)


def parse_size(text: str) -> int:
    """Bytes of a size written as ``123``, ``500M``, ``1.5G`` or ``4GiB`` (units of 1024).

    Raises
    ------
    ValueError
        When ``text`` is not such a size.
    """
    found = _SIZE_RE.match(str(text))
    if found is None:
        raise ValueError(
            f"{text!r} is not a file size; write bytes or a number with K, M, G or T "
            "(powers of 1024), e.g. 500M or 4G; 0 means no limit"
        )
    # rounded up: a small size such as 0.4 must not become 0, which means "no limit"
    return math.ceil(float(found.group(1)) * _UNITS[found.group(2).lower()])


def format_size(n: int) -> str:
    """A size in bytes as a short text (``1.0 GiB``)."""
    size = float(n)
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{int(size)} bytes" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} TiB"  # pragma: no cover - the loop returns


def max_file_size() -> int | None:
    """Largest table file read, in bytes; ``None`` when there is no limit.

    Raises
    ------
    ValueError
        When :data:`MAX_FILE_SIZE_ENV` holds something that is not a size.
    """
    text = os.environ.get(MAX_FILE_SIZE_ENV, "").strip()
    if not text:
        return DEFAULT_MAX_FILE_SIZE
    try:
        limit = parse_size(text)
    except ValueError as exc:
        raise ValueError(f"{MAX_FILE_SIZE_ENV}: {exc}") from None
    return limit or None


_KINDS = (
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISDIR, "a folder"),
)


def file_problem(path: Path, *, size_limit: bool = True) -> tuple[str, str] | None:
    """``(rule, message)`` when ``path`` must not be read, else ``None``.

    Symbolic links are followed: a link to a regular file is read, a link to a device is
    not.  Rules: ``not_regular_file`` and ``file_too_large``.
    """
    try:
        info = os.stat(path)
    except OSError as exc:
        return "unreadable_file", f"cannot be opened ({exc.strerror or exc})"
    if not stat.S_ISREG(info.st_mode):
        kind = next((name for test, name in _KINDS if test(info.st_mode)), "not a regular file")
        via = " (through a symbolic link)" if path.is_symlink() else ""
        return (
            "not_regular_file",
            f"is {kind}{via}, not a regular file; netstats reads only regular files",
        )
    limit = max_file_size() if size_limit else None
    if limit is not None and info.st_size > limit:
        return (
            "file_too_large",
            f"is {format_size(info.st_size)}, more than the limit of {format_size(limit)} "
            f"for a table file; raise it with --max-file-size or {MAX_FILE_SIZE_ENV} "
            "(e.g. 4G; 0 for no limit) if the file really is a cohort table",
        )
    return None


def _source_paths(source: str | os.PathLike[str]) -> list[Path]:
    """Files or folders a cohort source reads (none for a database server)."""
    text = os.fspath(source)
    if "://" not in text:
        return [Path(text)]
    scheme, rest = text.split("://", 1)
    if scheme.lower() == "duckdb" or scheme.lower().startswith("sqlite"):
        path = rest[1:] if rest.startswith("/") else ""
        path = path.split("?", 1)[0]
        if path and path != ":memory:" and not path.startswith("file:"):
            return [Path(path)]
    return []


def check_not_input(
    out: str | os.PathLike[str], inputs: list[str | os.PathLike[str]], *, option: str = "--out"
) -> Path:
    """Refuse an output path that is an input file or lies inside an input folder.

    Parameters
    ----------
    out : path
        The file about to be written.
    inputs : list of path or str
        Cohort sources (folders, files, ``sqlite:///`` and ``duckdb:///`` addresses) and
        other files the command reads.
    option : str, default="--out"
        How the output is named in the message.

    Returns
    -------
    Path
        ``out``.

    Raises
    ------
    ValueError
        Naming the input that writing ``out`` would overwrite.
    """
    target = Path(out)
    resolved = target.resolve()
    for item in inputs:
        for path in _source_paths(item):
            src = path.resolve()
            same = resolved == src or (
                target.exists() and path.exists() and os.path.samefile(target, path)
            )
            if same:
                raise ValueError(
                    f"{option} {os.fspath(out)} is an input of this command ({path}); "
                    "writing it would overwrite the input: choose another file"
                )
            if src.is_dir() and src in resolved.parents:
                raise ValueError(
                    f"{option} {os.fspath(out)} is inside the cohort folder {path}; "
                    "write outputs outside the data, so that nothing there is overwritten "
                    "or later read as a cohort table"
                )
    return target

"""Checks on a source file before it is opened: a regular file, and not too large.

A FIFO would block a reader forever and a device (``/dev/zero``, a symbolic link to it)
would be read until memory runs out, so only regular files are read.  Table files and
workbooks are read whole, so their size is limited too: by default to
:data:`DEFAULT_MAX_FILE_SIZE`, raised (or lifted, with ``0``) through the environment
variable :data:`MAX_FILE_SIZE_ENV` (``netstats --max-file-size`` sets it).  Database files
(DuckDB, SQLite) are queried rather than read whole and have no size limit.
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

__all__ = [
    "DEFAULT_MAX_FILE_SIZE",
    "MAX_FILE_SIZE_ENV",
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
    return int(float(found.group(1)) * _UNITS[found.group(2).lower()])


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

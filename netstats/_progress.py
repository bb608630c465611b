"""The one place that decides whether long work shows a progress bar, and draws it.

Every function that runs long (bootstrap, nested cross-validation, simulated power, report
rendering) takes ``progress: bool | None = None`` and passes it here:

- ``TQDM_DISABLE`` set to anything but ``""``/``"0"``/``"false"`` turns every bar off (the
  report kernel sets it, so rendered notebooks carry no progress output);
- otherwise ``True`` shows the bar and ``False`` hides it;
- ``None`` (the default) shows it in interactive use only: a Jupyter kernel, or a terminal
  on standard error. Tests, pipes and batch jobs stay quiet.

Bars are ``tqdm.auto``: a widget in Jupyter when ipywidgets is installed and working, text
otherwise (tqdm falls back by itself).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from typing import Any, TypeVar

__all__ = ["progress_bar", "show_progress"]

T = TypeVar("T")

_OFF_VALUES = {"", "0", "false", "no", "off"}


def _in_kernel() -> bool:
    """True inside a Jupyter (IPython) kernel."""
    shell = sys.modules.get("IPython")
    if shell is None:
        return False
    try:
        ip = shell.get_ipython()
    except Exception:
        return False
    return ip is not None and "IPKernelApp" in getattr(ip, "config", {})


def _interactive() -> bool:
    if _in_kernel():
        return True
    stream = sys.stderr
    try:
        return stream is not None and stream.isatty()
    except (AttributeError, ValueError):  # closed or replaced stream
        return False


def show_progress(progress: bool | None = None) -> bool:
    """Whether to draw a progress bar, by the package policy.

    Parameters
    ----------
    progress : bool or None, default=None
        The caller's choice; ``None`` means "when interactive".

    Returns
    -------
    bool
        False whenever ``TQDM_DISABLE`` is set; else ``progress``, or for ``None`` whether
        this is a Jupyter kernel or a terminal.

    Examples
    --------
    >>> show_progress(False)
    False
    >>> import os
    >>> os.environ["TQDM_DISABLE"] = "1"
    >>> show_progress(True)
    False
    >>> del os.environ["TQDM_DISABLE"]
    """
    if os.environ.get("TQDM_DISABLE", "").strip().lower() not in _OFF_VALUES:
        return False
    if progress is None:
        return _interactive()
    return bool(progress)


def progress_bar(
    iterable: Iterable[T] | None = None,
    *,
    progress: bool | None = None,
    total: int | None = None,
    desc: str | None = None,
    unit: str = "it",
) -> Any:
    """A ``tqdm.auto`` bar, shown or not by :func:`show_progress`.

    Use it as a wrapped iterable or as a context manager with ``update``.

    Parameters
    ----------
    iterable : iterable, optional
        What to iterate over.
    progress : bool or None, default=None
        See :func:`show_progress`.
    total : int, optional
        Number of steps (taken from ``iterable`` when it has a length).
    desc, unit : str
        Label and step unit.

    Returns
    -------
    tqdm.auto.tqdm
        A disabled bar (which draws nothing) when :func:`show_progress` says no.

    Examples
    --------
    >>> sum(progress_bar(range(4), progress=False, desc="demo"))
    6
    >>> with progress_bar(total=10, progress=False) as bar:
    ...     bar.update(10)
    """
    if not show_progress(progress):
        # a hidden bar needs no widget machinery
        from tqdm import tqdm as std_tqdm

        return std_tqdm(iterable, total=total, desc=desc, unit=unit, disable=True)
    from tqdm.auto import tqdm

    return tqdm(iterable, total=total, desc=desc, unit=unit, dynamic_ncols=True)

"""Notes instead of warnings: what a report says when a result is fragile.

While a report notebook runs in a kernel, Python warnings would print as stderr with the
kernel's temporary file name and the source line.  :class:`NoteCollector` takes them over:
each warning raised in a cell is kept, and after the cell a short "Notes" list is shown
under its output, saying what happened and what it means.  Warnings meant for developers
(deprecations) are left out of the report.
"""

from __future__ import annotations

import html
import re
import warnings
from collections.abc import Callable
from typing import Any

__all__ = ["NoteCollector", "note_text"]

_DEVELOPER = (DeprecationWarning, PendingDeprecationWarning, FutureWarning, ImportWarning)
_PATH_RE = re.compile(r"(?:[A-Za-z]:)?(?:/[^\s:'\"]+)+\.py(?::\d+)?")
_MAX_LENGTH = 400


def _meaning(category: type[Warning]) -> str:
    name = category.__name__
    if name == "StatisticalWarning":
        return "Read the estimates concerned with caution."
    if "Convergence" in name:
        return "The fitting algorithm stopped before converging; estimates may be imprecise."
    if issubclass(category, RuntimeWarning):
        return "A numerical step gave an undefined value; affected cells read NE."
    return ""


def note_text(message: Warning | str, category: type[Warning] = UserWarning) -> str:
    """One readable note from a warning: its message without paths, then what it means.

    Examples
    --------
    >>> from netstats.exceptions import StatisticalWarning
    >>> note_text("sparse tail: fewer than 10% still at risk at time 24", StatisticalWarning)
    'Sparse tail: fewer than 10% still at risk at time 24. Read the estimates concerned with caution.'
    """
    text = " ".join(_PATH_RE.sub("", str(message)).split())
    if len(text) > _MAX_LENGTH:
        text = text[: _MAX_LENGTH - 1].rstrip() + "\u2026"
    if text:
        text = text[0].upper() + text[1:]
        if not text.endswith((".", "!", "?", "\u2026")):
            text += "."
    meaning = _meaning(category)
    return f"{text} {meaning}".strip()


class NoteCollector:
    """Collect warnings raised in a kernel cell and show them as a Notes list after it.

    Parameters
    ----------
    shell : InteractiveShell
        The running IPython shell.

    Examples
    --------
    >>> NoteCollector.install() is None  # not in a kernel: nothing installed
    True
    """

    _active: NoteCollector | None = None

    def __init__(self, shell: Any) -> None:
        self.shell = shell
        self.pending: list[str] = []
        self._previous: Callable[..., Any] | None = None

    @classmethod
    def install(cls) -> NoteCollector | None:
        """Install once in a running kernel (None outside one)."""
        if cls._active is not None:
            return cls._active
        try:
            from IPython import get_ipython
        except ImportError:  # pragma: no cover - IPython is a dependency
            return None
        shell = get_ipython()
        if shell is None or type(shell).__name__ != "ZMQInteractiveShell":
            return None
        collector = cls(shell)
        collector._previous = warnings.showwarning
        warnings.showwarning = collector.showwarning
        shell.events.register("post_run_cell", collector.flush)
        cls._active = collector
        return collector

    def showwarning(
        self,
        message: Warning | str,
        category: type[Warning],
        filename: str,
        lineno: int,
        file: Any = None,
        line: str | None = None,
    ) -> None:
        """Keep a warning as a note (developer warnings are dropped)."""
        if issubclass(category, _DEVELOPER):
            return
        text = note_text(message, category)
        if text and text not in self.pending:
            self.pending.append(text)

    def add(self, text: str) -> None:
        """Add a note of the report's own to the current cell."""
        if text and text not in self.pending:
            self.pending.append(text)

    def flush(self, result: Any = None) -> None:
        """Show the notes of the cell that just ran, under its output."""
        if not self.pending:
            return
        from IPython.display import display

        items = "".join(f"<li>{html.escape(t)}</li>" for t in self.pending)
        # Markdown beside the HTML: the Word export shows the notes from it
        markdown = "**Notes**\n\n" + "\n".join(f"- {_markdown_escape(t)}" for t in self.pending)
        self.pending = []
        display(
            {
                "text/html": f'<div class="netstats-notes"><p><b>Notes</b></p><ul>{items}</ul></div>',
                "text/markdown": markdown,
                "text/plain": markdown,
            },
            raw=True,
        )


def _markdown_escape(text: str) -> str:
    """Text shown literally in Markdown (no emphasis, links or HTML from a warning)."""
    return re.sub(r"([\\`*_{}\[\]<>#|])", r"\\\1", text)

"""The ``netstats`` command line.

Bad data never ends in a Python traceback: validation problems are printed as a table and
the command exits with status 1.  Errors of the file system (a read-only disk, a full
disk) and of readers and writers end in a one-line ``error:`` message and status 1; an
unexpected exception does too, unless ``NETSTATS_TRACEBACK=1`` asks for its traceback.
"""

from __future__ import annotations

import errno
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from netstats._version import __version__

__all__ = ["app"]

_MAX_ROWS_SHOWN = 20
"""Problems beyond this many are summarised one line per rule instead of one row each
(the full table is written to a file)."""

#: Set to 1 to see the traceback of an unexpected error instead of a one-line message.
TRACEBACK_ENV = "NETSTATS_TRACEBACK"


class _App(typer.Typer):
    """A Typer application that turns an unexpected exception into one line and status 1."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().__call__(*args, **kwargs)
        except Exception as exc:
            if os.environ.get(TRACEBACK_ENV, "").strip() not in ("", "0"):
                raise
            _echo(f"error: {_describe(exc)}", err=True)
            if not isinstance(exc, OSError):
                _echo(
                    "(an unexpected error: please report it; set "
                    f"{TRACEBACK_ENV}=1 to see where it happened)",
                    err=True,
                )
            sys.exit(1)


def _describe(exc: BaseException, *, filename: bool = True) -> str:
    """One line for an exception: file-system errors name the file and the cause."""
    if isinstance(exc, OSError) and exc.strerror:
        where = f"{exc.filename}: " if exc.filename and filename else ""
        hint = _OS_HINTS.get(exc.errno or 0, "")
        return f"{where}{exc.strerror}{hint}"
    text = " ".join(str(exc).split()) or "(no message)"
    return text if isinstance(exc, (ValueError, OSError)) else f"{type(exc).__name__}: {text}"


_OS_HINTS = {
    errno.EROFS: " (the file system is read-only; write to another folder)",
    errno.ENOSPC: " (the disk is full; free space or write elsewhere; nothing was replaced)",
    errno.EDQUOT: " (the disk quota is exhausted; nothing was replaced)",
    errno.EACCES: " (check the permissions of the file or its folder)",
}


#: The ``netstats`` command line (a Typer application): validate, report, sstr.
app = _App(
    name="netstats",
    help="Survival, Ki-67/grade and SSTR-PET statistics for neuroendocrine-tumour cohorts.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain help: rendering it with rich costs 0.2 s of imports
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"netstats {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Show the version and exit."
        ),
    ] = False,
    max_file_size: Annotated[
        str | None,
        typer.Option(
            "--max-file-size",
            help="Largest table file read, e.g. 500M or 4G; 0 for no limit (default 1G, "
            "or the environment variable NETSTATS_MAX_FILE_SIZE).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Survival, Ki-67/grade and SSTR-PET statistics for neuroendocrine-tumour cohorts."""
    if max_file_size is not None:
        from netstats.io._files import MAX_FILE_SIZE_ENV, parse_size

        try:
            parse_size(max_file_size)
        except ValueError as exc:
            raise typer.BadParameter(str(exc), param_hint="--max-file-size") from None
        # the environment reaches the notebook kernels of `netstats report` too
        os.environ[MAX_FILE_SIZE_ENV] = max_file_size


def _echo(message: str, *, err: bool = False) -> None:
    """Print a line with any password of a data address masked."""
    from netstats.io import redact_secrets

    typer.echo(redact_secrets(message), err=err)


def _console():
    from rich.console import Console

    return Console(highlight=False, soft_wrap=False, width=160)


def _print_problems(problems, *, title: str) -> None:
    from rich.table import Table

    from netstats.io import redact_secrets

    table = Table(title=redact_secrets(title), show_lines=False)
    for col in ("severity", "table", "row", "column", "value", "rule", "message"):
        table.add_column(col, overflow="fold")
    for rec in problems.itertuples(index=False):
        cells = (
            rec.severity,
            rec.table,
            "" if rec.row is None or str(rec.row) == "<NA>" else str(rec.row),
            rec.column or "",
            "" if rec.value is None else str(rec.value),
            rec.rule,
            rec.message,
        )
        table.add_row(*(redact_secrets(str(c)) for c in cells))
    _console().print(table)


@app.command()
def validate(
    path: Annotated[
        str, typer.Argument(help="Cohort folder, workbook, .duckdb file or database URL.")
    ],
    date_format: Annotated[
        str | None,
        typer.Option("--date-format", help="strftime format of text dates (default ISO 8601)."),
    ] = None,
    problems_file: Annotated[
        Path | None,
        typer.Option(
            "--problems-file",
            help="Write every problem to this CSV file. Without it, more than "
            f"{_MAX_ROWS_SHOWN} problems are summarised on screen; when they include errors "
            "the full table is written to a new file in the temporary folder, whose name "
            "is printed.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Validate a cohort: print a summary (exit 0) or every problem found (exit 1)."""
    from netstats.exceptions import CohortValidationError
    from netstats.io import load_cohort, redact_secrets

    shown = redact_secrets(path)
    if problems_file is not None:
        _check_output(problems_file, [path], option="--problems-file")
    try:
        cohort = load_cohort(path, date_format=date_format)
    except CohortValidationError as exc:
        problems = exc.problems
        if problems is None:
            _echo(f"error: {exc}", err=True)
        else:
            n_err = int((problems["severity"] == "error").sum())
            title = f"{shown}: {n_err} error(s), {len(problems) - n_err} warning(s)"
            _show_problems(problems, title=title, path=problems_file)
        raise typer.Exit(1) from None
    except (FileNotFoundError, ValueError, ImportError, ConnectionError) as exc:
        _echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    except OSError as exc:
        _fail(exc)
    summary = cohort.summary()
    first = summary["first_date"].min()
    last = summary["last_date"].max()
    span = (
        f"{first:%Y-%m} to {last:%Y-%m}"
        if first is not None and str(first) != "NaT"
        else "no dates"
    )
    counts = dict(zip(summary["table"], summary["n_rows"], strict=True))
    _echo(
        f"{shown}: valid cohort: {counts['patients']} patients, {counts['therapy_lines']} therapy "
        f"lines, {counts['pathology']} samples, {counts['imaging']} scans; dates {span}"
    )
    if len(cohort.problems) or problems_file is not None:
        _show_problems(
            cohort.problems,
            title=f"{len(cohort.problems)} warning(s)",
            path=problems_file,
            temp_file=False,
        )


def _check_output(path: Path, inputs: list, *, option: str) -> None:
    """Exit with an error when writing ``path`` would overwrite one of ``inputs``."""
    from netstats.io._files import check_not_input

    try:
        check_not_input(path, inputs, option=option)
    except ValueError as exc:
        _fail(exc)


def _show_problems(problems, *, title: str, path: Path | None, temp_file: bool = True) -> None:
    """A few problems as a table; many as a summary, with the full table in a file.

    Without ``path`` the full table goes to a new temporary file when ``temp_file`` (a
    refused cohort); otherwise (warnings of a valid cohort) a line says how to get it.
    """
    many = len(problems) > _MAX_ROWS_SHOWN
    if many:
        from netstats.cohort._problems import summarize_problems

        # the summary's first line counts the problems, as the title does
        _echo("\n".join([title, *summarize_problems(problems).splitlines()[1:]]))
    elif len(problems):
        _print_problems(problems, title=title)
    if many and path is None and not temp_file:
        _echo(f"all {len(problems)} problem(s), one row each: rerun with --problems-file PATH")
        return
    if many or path is not None:
        try:
            written = _write_problems(problems, path)
        except OSError as exc:
            _echo(f"error: the problem table could not be written: {_describe(exc)}", err=True)
            if path is not None:  # asked for by name: the command did not do its job
                raise typer.Exit(1) from None
            return
        _echo(f"all {len(problems)} problem(s), one row each: {written}")


def _write_problems(problems, path: Path | None) -> Path:
    """Write the problem table as CSV (passwords masked) to ``path`` or a new temp file."""
    import tempfile

    from netstats.io import redact_secrets

    masked = problems.copy()
    for col in ("table", "column", "value", "message"):
        masked[col] = masked[col].map(lambda v: v if v is None else redact_secrets(str(v)))
    if path is None:
        # a new file readable by its owner only (the values may identify patients)
        fd, name = tempfile.mkstemp(prefix="netstats-problems-", suffix=".csv")
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            masked.to_csv(handle, index=False)
        return Path(name)
    masked.to_csv(path, index=False)
    return path


@app.command()
def schema(
    markdown: Annotated[
        bool, typer.Option("--markdown", help="Print Markdown instead of a table.")
    ] = False,
) -> None:
    """Print the data dictionary: every table and column with type, unit and allowed values."""
    from netstats.schema import TABLES, data_dictionary, data_dictionary_markdown

    if markdown:
        typer.echo(data_dictionary_markdown())
        return
    from rich.table import Table

    dd = data_dictionary()
    console = _console()
    for name, spec in TABLES.items():
        table = Table(title=f"{name}: {spec.description}", title_justify="left")
        for col in ("column", "type", "unit", "required", "allowed", "description"):
            table.add_column(col, overflow="fold")
        for rec in dd[dd["table"] == name].itertuples(index=False):
            required = "yes" if rec.required else ""
            cells = (rec.column, rec.type, rec.unit, required, rec.allowed, rec.description)
            table.add_row(*(str(c) for c in cells))
        console.print(table)


sstr_app = typer.Typer(
    help="SSTR-PET positivity classifiers: train, validate, save and predict.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(sstr_app, name="sstr")


def _fail(exc: Exception) -> None:
    _echo(f"error: {_describe(exc) if isinstance(exc, OSError) else exc}", err=True)
    raise typer.Exit(1) from None


@sstr_app.command("train")
def sstr_train(
    cohort: Annotated[str, typer.Argument(help="Cohort folder, workbook, .duckdb file or URL.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Model file to write (.skops).")],
    model: Annotated[
        str, typer.Option(help="logistic, gradient_boosting or random_forest.")
    ] = "logistic",
    rule: Annotated[str, typer.Option(help="Positivity rule, e.g. 'krenning>=3'.")] = "krenning>=3",
    validation: Annotated[str, typer.Option(help="nested_cv, bootstrap or none.")] = "nested_cv",
    n_repeats: Annotated[int, typer.Option(help="Repeats of the outer cross-validation.")] = 10,
    random_state: Annotated[int, typer.Option(help="Seed for every random step.")] = 0,
    n_jobs: Annotated[int, typer.Option(help="Parallel jobs (results do not depend on it).")] = 1,
) -> None:
    """Fit and validate a classifier; save it with its model card (skops, never pickle)."""
    from netstats.exceptions import NetstatsError
    from netstats.sstr import train_command

    try:
        fitted = train_command(
            cohort,
            out,
            model=model,  # type: ignore[arg-type]
            rule=rule,
            validation=validation,  # type: ignore[arg-type]
            n_repeats=n_repeats,
            random_state=random_state,
            n_jobs=n_jobs,
        )
    except (NetstatsError, ValueError, OSError, ImportError) as exc:
        _fail(exc)
    typer.echo(f"wrote {out} ({model}, rule {rule})")
    for m in fitted.card.get("metrics", []):
        typer.echo(
            f"  {m['metric']:<22} {m['estimate']:.3f} "
            f"({m['ci_lower']:.3f} to {m['ci_upper']:.3f}; {m['method']})"
        )


@sstr_app.command("predict")
def sstr_predict(
    model_file: Annotated[Path, typer.Argument(help="A model file written by 'sstr train'.")],
    cohort: Annotated[str, typer.Argument(help="Cohort to score.")],
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="CSV to write (default: standard output).")
    ] = None,
) -> None:
    """Predicted probability of SSTR positivity for each patient's scan, as CSV."""
    from netstats.exceptions import NetstatsError
    from netstats.sstr import predict_command

    try:
        result = predict_command(model_file, cohort, out=out)
    except (NetstatsError, ValueError, OSError, ImportError) as exc:
        _fail(exc)
    if out is None:
        typer.echo(result.to_csv(index=False), nl=False)
    else:
        typer.echo(f"wrote {len(result)} predictions to {out}")


@app.command()
def report(
    data: Annotated[
        str | None,
        typer.Option(
            "--data",
            help="Cohort folder, file or database URL (default: the bundled synthetic cohort).",
            show_default=False,
        ),
    ] = None,
    out: Annotated[str, typer.Option("--out", help="Report folder (replaced).")] = "reports",
    only: Annotated[
        list[str] | None,
        typer.Option("--only", help="Notebook to render (name or number); repeatable."),
    ] = None,
    parameter: Annotated[
        list[str] | None,
        typer.Option("-p", "--parameter", help="Notebook parameter key=value; repeatable."),
    ] = None,
    analyses: Annotated[
        str | None,
        typer.Option(
            "--analyses",
            help="Folder of the report notebooks (default: those shipped with netstats).",
            show_default=False,
        ),
    ] = None,
    suppression_threshold: Annotated[
        int,
        typer.Option(
            "--suppression-threshold", help="Withhold counts below this (0 turns it off)."
        ),
    ] = 5,
    no_privacy_check: Annotated[
        bool,
        typer.Option("--no-privacy-check", help="Do not scan outputs for identifiers and dates."),
    ] = False,
    progress: Annotated[
        bool | None,
        typer.Option(
            "--progress/--no-progress", help="Progress bars (default: only on a terminal)."
        ),
    ] = None,
) -> None:
    """Render the report notebooks to HTML, Word, CSV and figures with an index.html."""
    from netstats.exceptions import CohortValidationError
    from netstats.report import PrivacyError, RenderError, parse_parameters, render

    try:
        params = parse_parameters(parameter or [], analyses=analyses, only=only)
        result = render(
            analyses,
            data=data,
            out=out,
            only=only,
            parameters=params,
            suppression_threshold=suppression_threshold,
            check_privacy=not no_privacy_check,
            progress=progress,
        )
    except CohortValidationError as exc:
        _echo(
            f"error: {data or 'the bundled cohort'}: the cohort failed validation; "
            "run `netstats validate`",
            err=True,
        )
        raise typer.Exit(1) from exc
    except (
        RenderError,
        PrivacyError,
        FileNotFoundError,
        ValueError,
        TypeError,
        ImportError,
        ConnectionError,
    ) as exc:
        _echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    except OSError as exc:  # e.g. a read-only or full disk: the previous report is kept
        target = Path(os.path.abspath(out))
        staged = str(exc.filename or "").startswith(str(target.parent / f".{target.name}."))
        if exc.filename is None or staged:
            # a file of the hidden staging folder, removed by now: name the report instead
            _echo(
                f"error: cannot write the report to {out}: {_describe(exc, filename=False)}",
                err=True,
            )
        else:
            _echo(f"error: {_describe(exc)}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"rendered {len(result.notebooks)} report(s): {result.index}")
    if only is None:
        from netstats.report import DEFAULT_NOTEBOOKS, missing_requirements

        for name in DEFAULT_NOTEBOOKS:
            if name not in result.notebooks and missing_requirements(name):
                needs = ", ".join(missing_requirements(name))
                typer.echo(f"not rendered: {name} (needs {needs})")


if __name__ == "__main__":  # pragma: no cover
    app()

"""The ``netstats`` command line.

Bad data never ends in a Python traceback: validation problems are printed as a table and
the command exits with status 1.
"""

from __future__ import annotations

from typing import Annotated

import typer

from netstats._version import __version__

__all__ = ["app"]

app = typer.Typer(
    name="netstats",
    help="Survival, Ki-67/grade and SSTR-PET statistics for neuroendocrine-tumour cohorts.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
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
) -> None:
    """Survival, Ki-67/grade and SSTR-PET statistics for neuroendocrine-tumour cohorts."""


def _console():
    from rich.console import Console

    return Console(highlight=False, soft_wrap=False, width=160)


def _print_problems(problems, *, title: str) -> None:
    from rich.table import Table

    table = Table(title=title, show_lines=False)
    for col in ("severity", "table", "row", "column", "value", "rule", "message"):
        table.add_column(col, overflow="fold")
    for rec in problems.itertuples(index=False):
        table.add_row(
            rec.severity,
            rec.table,
            "" if rec.row is None or str(rec.row) == "<NA>" else str(rec.row),
            rec.column or "",
            "" if rec.value is None else str(rec.value),
            rec.rule,
            rec.message,
        )
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
) -> None:
    """Validate a cohort: print a summary (exit 0) or every problem found (exit 1)."""
    from netstats.exceptions import CohortValidationError
    from netstats.io import load_cohort

    try:
        cohort = load_cohort(path, date_format=date_format)
    except CohortValidationError as exc:
        problems = exc.problems
        if problems is None:
            typer.echo(f"error: {exc}", err=True)
        else:
            n_err = int((problems["severity"] == "error").sum())
            _print_problems(
                problems, title=f"{path}: {n_err} error(s), {len(problems) - n_err} warning(s)"
            )
        raise typer.Exit(1) from None
    except (FileNotFoundError, ValueError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    summary = cohort.summary()
    first = summary["first_date"].min()
    last = summary["last_date"].max()
    span = (
        f"{first:%Y-%m} to {last:%Y-%m}"
        if first is not None and str(first) != "NaT"
        else "no dates"
    )
    counts = dict(zip(summary["table"], summary["n_rows"], strict=True))
    typer.echo(
        f"{path}: valid cohort: {counts['patients']} patients, {counts['therapy_lines']} therapy "
        f"lines, {counts['pathology']} samples, {counts['imaging']} scans; dates {span}"
    )
    if len(cohort.problems):
        _print_problems(cohort.problems, title=f"{len(cohort.problems)} warning(s)")


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
            table.add_row(
                rec.column,
                rec.type,
                rec.unit,
                "yes" if rec.required else "",
                rec.allowed,
                rec.description,
            )
        console.print(table)


@app.command()
def report(
    data: Annotated[
        str, typer.Option("--data", help="Cohort folder, file or database URL.")
    ] = "data/synthetic",
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
        str, typer.Option("--analyses", help="Folder of the report notebooks.")
    ] = "analyses",
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
    progress: Annotated[bool, typer.Option("--progress/--no-progress")] = True,
) -> None:
    """Render the report notebooks to HTML, CSV and figures with an index.html."""
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
        typer.echo(
            f"error: {data}: the cohort failed validation; run `netstats validate`", err=True
        )
        raise typer.Exit(1) from exc
    except (RenderError, PrivacyError, FileNotFoundError, ValueError, TypeError) as exc:
        typer.echo(f"error: {exc}", err=True)
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

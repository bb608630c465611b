"""The ``netstats`` command line.

Bad data never ends in a Python traceback: validation problems are printed as a table and
the command exits with status 1.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from netstats._version import __version__

__all__ = ["app"]

_MAX_ROWS_SHOWN = 20
"""Warnings beyond this many are summarised one line per rule instead of one row each."""

#: The ``netstats`` command line (a Typer application): validate, report, sstr.
app = typer.Typer(
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
) -> None:
    """Survival, Ki-67/grade and SSTR-PET statistics for neuroendocrine-tumour cohorts."""


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
) -> None:
    """Validate a cohort: print a summary (exit 0) or every problem found (exit 1)."""
    from netstats.exceptions import CohortValidationError
    from netstats.io import load_cohort, redact_secrets

    shown = redact_secrets(path)
    try:
        cohort = load_cohort(path, date_format=date_format)
    except CohortValidationError as exc:
        problems = exc.problems
        if problems is None:
            _echo(f"error: {exc}", err=True)
        else:
            n_err = int((problems["severity"] == "error").sum())
            _print_problems(
                problems, title=f"{shown}: {n_err} error(s), {len(problems) - n_err} warning(s)"
            )
        raise typer.Exit(1) from None
    except (FileNotFoundError, ValueError, ImportError, ConnectionError) as exc:
        _echo(f"error: {exc}", err=True)
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
    _echo(
        f"{shown}: valid cohort: {counts['patients']} patients, {counts['therapy_lines']} therapy "
        f"lines, {counts['pathology']} samples, {counts['imaging']} scans; dates {span}"
    )
    if len(cohort.problems) > _MAX_ROWS_SHOWN:
        from netstats.cohort._problems import summarize_problems

        typer.echo(summarize_problems(cohort.problems))
    elif len(cohort.problems):
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
    _echo(f"error: {exc}", err=True)
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
    except (NetstatsError, ValueError, FileNotFoundError, ImportError, ConnectionError) as exc:
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
    except (NetstatsError, ValueError, FileNotFoundError, ImportError, ConnectionError) as exc:
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
    typer.echo(f"rendered {len(result.notebooks)} report(s): {result.index}")
    if only is None:
        from netstats.report import DEFAULT_NOTEBOOKS, missing_requirements

        for name in DEFAULT_NOTEBOOKS:
            if name not in result.notebooks and missing_requirements(name):
                needs = ", ".join(missing_requirements(name))
                typer.echo(f"not rendered: {name} (needs {needs})")


if __name__ == "__main__":  # pragma: no cover
    app()

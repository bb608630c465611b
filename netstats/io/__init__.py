"""Loading and saving cohorts: CSV, Parquet, Excel, SAS/SPSS/Stata, DuckDB and SQL databases.

Readers only read: every cell reaches :meth:`netstats.cohort.Cohort.from_tables` as the
file gave it (text files are read as text, so identifiers keep their leading zeros), and
parsing, renaming and validation happen there, against the data model.
:func:`decode_redcap` turns the codes of a raw REDCap export back into the labels of its
data dictionary, before the export is split into the cohort tables.
"""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
import tempfile
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal, TypeAlias

import pandas as pd

from netstats.cohort import Cohort
from netstats.cohort._flags import DELIMITED
from netstats.cohort._parse import normalize_header
from netstats.cohort._problems import ProblemLog, summarize_problems
from netstats.exceptions import CohortValidationError
from netstats.io._excel import Sheet, read_workbook
from netstats.io._files import file_problem
from netstats.io._redact import find_secrets, redact_secrets, resolve_source
from netstats.io._redcap import decode_redcap, redcap_choices
from netstats.schema import TABLE_NAMES, TABLES

__all__ = [
    "FILE_FORMATS",
    "decode_redcap",
    "find_secrets",
    "load_cohort",
    "read_tables",
    "redact_secrets",
    "redcap_choices",
    "save_cohort",
]

FILE_FORMATS: dict[str, str] = {
    ".csv": "csv",
    ".txt": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".xlsx": "excel",
    ".xlsm": "excel",
    ".sas7bdat": "sas",
    ".xpt": "sas",
    ".sav": "spss",
    ".zsav": "spss",
    ".dta": "stata",
}
"""File endings recognised in a cohort folder, by reader."""

_DUCKDB_ENDINGS = (".duckdb", ".ddb")

ColumnSelection: TypeAlias = "Literal['schema'] | Mapping[str, Sequence[str]] | None"
"""Which columns to read: all (``None``), the data model's (``"schema"``) or, per table, the
named ones (plus the table's required columns)."""


class _Columns:
    """Column selection of one load, checked against the data model before any reading."""

    def __init__(self, columns: ColumnSelection) -> None:
        self.all = columns is None
        self.schema = isinstance(columns, str)
        self.by_table: dict[str, list[str]] = {}
        if columns is None:
            return
        if isinstance(columns, str):
            if columns != "schema":
                raise ValueError(
                    f"columns must be None, 'schema' or a mapping of table to column names, "
                    f"got {columns!r}"
                )
            return
        if not isinstance(columns, Mapping):
            raise TypeError(
                "columns must be None, 'schema' or a mapping of table name to a list of "
                f"column names, got {type(columns).__name__}"
            )
        for table, names in columns.items():
            if table not in TABLES:
                raise ValueError(
                    f"columns: {table!r} is not a cohort table; tables: {', '.join(TABLE_NAMES)}"
                )
            if isinstance(names, str) or not isinstance(names, Sequence):
                raise TypeError(f"columns[{table!r}] must be a list of column names")
            known = TABLES[table].names
            for name in names:
                if normalize_header(name) not in known:
                    raise ValueError(
                        f"columns: {name!r} is not a column of the {table} table; its columns "
                        f"are {', '.join(known)}"
                    )
            self.by_table[table] = [normalize_header(n) for n in names]

    def wanted(self, table: str) -> set[str] | None:
        """Normalised names to read from ``table``; ``None``: every column."""
        if self.schema:
            return set(TABLES[table].names)
        if table in self.by_table:
            return set(self.by_table[table]) | set(TABLES[table].required)
        return None

    def pick(self, available: Sequence[str], table: str, source: Path | str) -> list[str] | None:
        """Headers of ``available`` (as the source spells them) to read; ``None``: all.

        A column named in the selection but absent from the source is an error.
        """
        wanted = self.wanted(table)
        if wanted is None:
            return None
        headers = [str(h) for h in available]
        present = {normalize_header(h) for h in headers}
        absent = [c for c in self.by_table.get(table, []) if c not in present]
        if absent:
            raise _file_error(
                source,
                table,
                "missing_column",
                f"column(s) {', '.join(map(repr, absent))} requested in columns= are not in "
                f"the {table} table (it has {', '.join(headers) or 'no columns'})",
            )
        keep = [h for h in headers if normalize_header(h) in wanted]
        # None of the table's columns: read it whole, so validation reports it as usual.
        return keep or None

    def subset(self, frame: pd.DataFrame, table: str, source: Path | str) -> pd.DataFrame:
        """Keep the selected columns of a table read in full (formats without pushdown)."""
        keep = self.pick([str(c) for c in frame.columns], table, source)
        if keep is None:
            return frame
        positions = [i for i, c in enumerate(frame.columns) if str(c) in set(keep)]
        return frame.iloc[:, positions]


# Windows-1252 before Latin-1: its bytes 0x80-0x9f are letters and quotes (€, ’, Š, ...),
# which Latin-1 would turn into invisible control characters.
_CSV_ENCODINGS = ("utf-8-sig", "cp1252", "latin-1")
# Files with a header row: the first record is row 2, as a spreadsheet shows it.
_ROW_OFFSET = {"csv": 2, "excel": 2}


def _file_error(
    path: Path | str,
    table: str | None,
    rule: str,
    message: str,
    *,
    row: int | None = None,
    value: object = None,
) -> CohortValidationError:
    """An error about a whole file or source, carrying a one-row problem table like any
    other validation error."""
    name = path.name if isinstance(path, Path) else redact_secrets(path)
    path = path if isinstance(path, Path) else name
    log = ProblemLog()
    log.add(table or "", None, rule, f"{name}: {message}", row=row, value=value)
    problems = log.to_frame()
    return CohortValidationError(
        f"cohort ({path}) failed validation\n" + summarize_problems(problems), problems
    )


def _check_file(path: Path, table: str | None, *, size_limit: bool = True) -> None:
    """Refuse FIFOs, devices and (table files and workbooks) files beyond the size limit."""
    found = file_problem(path, size_limit=size_limit)
    if found is not None:
        raise _file_error(path, table, *found)


def _decode(path: Path, data: bytes, table: str | None) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        encodings: tuple[str, ...] = ("utf-16",)
    else:
        encodings = _CSV_ENCODINGS
    for encoding in encodings:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" in text:
            break
        return text
    raise _file_error(
        path, table, "encoding", "is not text in UTF-8, UTF-16 or Latin-1 (binary file?)"
    )


_OTHER_DELIMITERS = {";": ";", "\t": "\\t", "|": "|"}


def _check_delimiter(path: Path, header: str, table: str | None) -> None:
    """A header without commas but with another separator is a mis-saved CSV."""
    if "," in header:
        return
    for sep, shown in _OTHER_DELIMITERS.items():
        if header.count(sep) >= 1:
            raise _file_error(
                path,
                table,
                "delimiter",
                f"the header is separated by {shown!r}, not by commas; save the table as "
                "comma-separated CSV (netstats reads commas only, so that decimal commas "
                "and separators cannot be confused)",
                value=shown,
            )


def _read_csv(path: Path, table: str | None = None, select: _Columns | None = None) -> pd.DataFrame:
    """Read a CSV as text cells, keeping duplicated headers as they are written.

    With ``select`` only the selected columns are parsed (``usecols``).
    """
    text = _decode(path, path.read_bytes(), table)
    if text.startswith("\ufeff"):
        text = text[1:]
    if not text.strip():
        return pd.DataFrame()
    first_line = text.splitlines()[0] if text.splitlines() else ""
    _check_delimiter(path, first_line, table)
    usecols = None
    if select is not None and table is not None and not select.all:
        header = next(csv.reader([first_line]), [])
        keep = select.pick([h.strip() for h in header], table, path)
        if keep is not None:
            wanted = set(keep)
            usecols = [i for i, h in enumerate(header) if h.strip() in wanted]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            cells = pd.read_csv(
                io.StringIO(text),
                header=None,
                dtype=str,
                keep_default_na=False,
                skip_blank_lines=False,
                engine="c",
                usecols=usecols,
            )
    except pd.errors.EmptyDataError:
        return pd.DataFrame()
    except (pd.errors.ParserError, ValueError, OverflowError) as exc:
        detail = " ".join(str(exc).split())
        found = re.search(r"in line (\d+)", detail)
        raise _file_error(
            path,
            table,
            "csv_format",
            f"not a readable CSV file ({detail.removeprefix('Error tokenizing data. ')})",
            row=int(found.group(1)) if found else None,
        ) from exc
    header = ["" if pd.isna(h) else str(h) for h in cells.iloc[0]]
    body = cells.iloc[1:].reset_index(drop=True)
    body.columns = pd.Index(
        [h if h.strip() else f"unnamed: {i}" for i, h in enumerate(header)], dtype=object
    )
    body.attrs[DELIMITED] = True  # validation tells shifted records from notes by this
    return body


def _blank(frame: pd.DataFrame) -> pd.Series:
    """Rows in which every cell is missing or blank text."""
    if frame.shape[1] == 0:
        return pd.Series(True, index=frame.index)
    cells = frame.astype(object)
    empty = cells.isna() | cells.map(lambda v: isinstance(v, str) and not v.strip())
    return empty.all(axis=1)


_KIND_NAMES = {
    "csv": "a CSV",
    "parquet": "a Parquet",
    "excel": "an Excel",
    "sas": "a SAS",
    "spss": "an SPSS",
    "stata": "a Stata",
}


def _read_file(
    path: Path, kind: str, table: str | None = None, select: _Columns | None = None
) -> pd.DataFrame:
    """Read one table file; anything the format's reader cannot read is a validation error."""
    select = select or _Columns(None)
    _check_file(path, table)
    try:
        frame = _read_any(path, kind, table, select)
    except CohortValidationError:
        raise
    except KeyboardInterrupt:
        raise
    except MemoryError as exc:
        # The file is within the size limit (checked above), so a reader that runs out of
        # memory was sent there by a corrupt header claiming huge sizes (seen with pandas'
        # Stata reader); the allocation failed, so nothing large is held any more.
        raise _file_error(
            path,
            table,
            "unreadable_file",
            f"cannot be read as {_KIND_NAMES[kind]} file (its reader ran out of memory: "
            "the file is probably damaged)",
        ) from exc
    except Exception as exc:  # the third-party readers raise anything on a corrupt file
        detail = " ".join(str(exc).split())[:200] or type(exc).__name__
        raise _file_error(
            path, table, "unreadable_file", f"cannot be read as {_KIND_NAMES[kind]} file ({detail})"
        ) from exc
    if kind in ("csv", "excel") and len(frame):
        # Trailing blank lines in CSV and spreadsheet exports are not records.
        blank = _blank(frame)
        last_data = blank[~blank].index.max() if (~blank).any() else -1
        frame = frame.loc[:last_data]
    return frame


def _read_any(path: Path, kind: str, table: str | None, select: _Columns) -> pd.DataFrame:
    if kind == "csv":
        return _read_csv(path, table, select)
    if kind == "parquet":
        keep = None
        if table is not None and not select.all:
            import pyarrow.parquet as pq

            keep = select.pick(pq.read_schema(path).names, table, path)
        return pd.read_parquet(path, columns=keep)
    frame = _read_whole(path, kind)
    return frame if table is None or select.all else select.subset(frame, table, path)


def _read_whole(path: Path, kind: str) -> pd.DataFrame:
    if kind == "excel":
        frame = _read_excel(path)
        assert isinstance(frame, pd.DataFrame)
        return frame
    if kind == "sas":
        import pyreadstat

        reader = (
            pyreadstat.read_xport if path.suffix.lower() == ".xpt" else pyreadstat.read_sas7bdat
        )
        frame, _meta = reader(str(path))
        return frame
    if kind == "spss":
        return pd.read_spss(path, convert_categoricals=True)
    if kind == "stata":
        return pd.read_stata(path, convert_categoricals=True)
    raise ValueError(f"unsupported file format {kind!r}")


def _folder_tables(
    folder: Path, select: _Columns
) -> tuple[dict[str, pd.DataFrame], dict[str, int]]:
    _refuse_unreadable(folder)
    tables: dict[str, pd.DataFrame] = {}
    offsets: dict[str, int] = {}
    for name in TABLE_NAMES:
        hits = [
            p
            for p in sorted(folder.iterdir())
            if p.stem.lower() == name and p.suffix.lower() in FILE_FORMATS
        ]
        if len(hits) > 1:
            listed = ", ".join(p.name for p in hits)
            raise _file_error(
                str(folder),
                name,
                "several_files",
                f"table {name!r} is given by several files ({listed}); keep one",
            )
        if hits:
            kind = FILE_FORMATS[hits[0].suffix.lower()]
            tables[name] = _read_file(hits[0], kind, name, select)
            offsets[name] = _ROW_OFFSET.get(kind, 1)
    if not tables:
        known = ", ".join(sorted(FILE_FORMATS))
        raise _file_error(
            str(folder),
            None,
            "no_tables",
            f"no cohort tables found; expected files named {', '.join(TABLE_NAMES)} with one "
            f"of the endings {known}",
        )
    return tables, offsets


_COMPRESSED = (".gz", ".bz2", ".xz", ".zip", ".zst", ".7z", ".tgz")


def _format_hint(name: str) -> str:
    """Why a file ending is not read, and what to do instead."""
    lower = name.lower()
    if lower.endswith(".xls"):
        return (
            "is an Excel 97-2003 workbook (.xls), which netstats does not read: save it as "
            "an Excel workbook (.xlsx) or as CSV"
        )
    if lower.endswith(_COMPRESSED):
        inner = name.rsplit(".", 1)[0]
        return f"is a compressed file: decompress it first (so that it is {inner!r})"
    if lower.endswith((".ods", ".numbers")):
        return "is a spreadsheet format netstats does not read: save it as .xlsx or as CSV"
    return "has an ending netstats does not read; readable endings: " + ", ".join(
        sorted(FILE_FORMATS)
    )


def _refuse_unreadable(folder: Path) -> None:
    """Tables present only in a format netstats does not read (``pathology.xls``,
    ``imaging.csv.gz``) are refused, all at once: the table is there, but unread."""
    files = sorted(p for p in folder.iterdir() if not p.name.startswith("."))
    log = ProblemLog()
    for name in TABLE_NAMES:
        if any(p.stem.lower() == name and p.suffix.lower() in FILE_FORMATS for p in files):
            continue  # a readable file gives the table; backups beside it are not read
        for p in files:
            if p.name.lower().startswith(name + "."):
                log.add(
                    name,
                    None,
                    "unsupported_file",
                    f"{p.name}: {_format_hint(p.name)}; the {name} table is not read from it",
                    value=p.name,
                )
    if log.rows:
        problems = log.to_frame()
        raise CohortValidationError(
            f"cohort ({folder}) failed validation\n" + summarize_problems(problems), problems
        )


def _with_header(cells: pd.DataFrame) -> pd.DataFrame:
    """First row as the header, kept as written (duplicates are reported, not renamed)."""
    if cells.empty:
        return pd.DataFrame()
    header = ["" if pd.isna(h) else str(h) for h in cells.iloc[0]]
    body = cells.iloc[1:].reset_index(drop=True)
    body.columns = pd.Index(
        [h if h.strip() else f"unnamed: {i}" for i, h in enumerate(header)], dtype=object
    )
    return body


def _read_excel(path: Path, sheet_name: str | int | None = 0) -> object:
    """The first visible sheet (``sheet_name=0``) or every sheet by name (``None``)."""
    sheets = read_workbook(path)
    if sheet_name is None:
        return {s.name: _with_header(s.cells) for s in sheets}
    visible = [s for s in sheets if not s.hidden] or sheets
    return _with_header(visible[0].cells)


def _excel_tables(path: Path, select: _Columns) -> tuple[dict[str, pd.DataFrame], dict[str, int]]:
    _check_file(path, None)
    try:
        sheets = read_workbook(path)
    except Exception as exc:  # openpyxl/zipfile raise anything on a corrupt workbook
        detail = " ".join(str(exc).split())[:200] or type(exc).__name__
        raise _file_error(
            path, None, "unreadable_file", f"cannot be read as an Excel workbook ({detail})"
        ) from exc
    by_name: dict[str, list[Sheet]] = {}
    for sheet in sheets:
        by_name.setdefault(sheet.name.strip().lower(), []).append(sheet)
    tables = {}
    for name in TABLE_NAMES:
        hits = by_name.get(name, [])
        if len(hits) > 1:
            # "patients" and a hidden "patients " would both be the patients table.
            listed = ", ".join(repr(s.name) + (" (hidden)" if s.hidden else "") for s in hits)
            raise _file_error(
                path,
                name,
                "several_sheets",
                f"table {name!r} is given by several sheets ({listed}); keep one",
                value=listed,
            )
        if hits:
            frame = _with_header(hits[0].cells)
            blank = _blank(frame)
            last_data = blank[~blank].index.max() if (~blank).any() else -1
            tables[name] = select.subset(frame.loc[:last_data], name, path)
    if not tables:
        raise _file_error(
            path,
            None,
            "no_tables",
            f"no sheet is named after a cohort table ({', '.join(TABLE_NAMES)}); "
            f"sheets found: {', '.join(s.name for s in sheets)}",
        )
    return tables, dict.fromkeys(tables, 2)


SQL_EXTRA_MESSAGE = (
    "reading an SQL database (SQLite file or SQLAlchemy URL) needs SQLAlchemy, which comes "
    "with the 'sql' extra: pip install 'netstats[sql]' (DuckDB files and folders of table "
    "files need nothing extra)"
)


def _import_sqlalchemy() -> Any:
    """SQLAlchemy, or an ImportError naming the extra that installs it."""
    try:
        import sqlalchemy
    except ImportError as exc:
        raise ImportError(SQL_EXTRA_MESSAGE, name="sqlalchemy") from exc
    return sqlalchemy


def _sql_tables(
    source: str, names: Mapping[str, str], select: _Columns
) -> tuple[dict[str, pd.DataFrame], dict[str, int]]:
    sa = _import_sqlalchemy()
    shown = redact_secrets(source)
    try:
        url = sa.engine.make_url(source)
    except (sa.exc.ArgumentError, ValueError, TypeError) as exc:
        raise ValueError(
            f"{shown} is not a database URL SQLAlchemy can use ({_detail(exc)})"
        ) from None
    sqlite_file = _sqlite_file(url, shown)
    try:
        if sqlite_file is not None and url.drivername in ("sqlite", "sqlite+pysqlite"):
            engine = sa.create_engine("sqlite://", creator=_sqlite_read_only(sqlite_file))
        else:
            engine = sa.create_engine(source)
    except sa.exc.NoSuchModuleError:
        scheme = source.split("://", 1)[0]
        raise ValueError(
            f"{shown}: no database type {scheme!r} is known (no SQLAlchemy dialect or driver "
            "of that name is installed); e.g. sqlite:///cohort.db, "
            "postgresql+psycopg://user@host/db, or duckdb:///cohort.duckdb"
        ) from None
    except (sa.exc.ArgumentError, ValueError, TypeError) as exc:
        raise ValueError(
            f"{shown} is not a database URL SQLAlchemy can use ({_detail(exc)})"
        ) from None
    except ImportError as exc:
        raise ImportError(
            f"{shown}: the database driver is not installed ({_detail(exc)})"
        ) from None
    try:
        inspector = sa.inspect(engine)
        present = set(inspector.get_table_names())
        tables = {}
        with engine.connect() as conn:
            for name in TABLE_NAMES:
                db_name = names.get(name, name)
                if db_name in present:
                    keep = None
                    if not select.all:
                        cols = [c["name"] for c in inspector.get_columns(db_name)]
                        keep = select.pick(cols, name, shown)
                    tables[name] = pd.read_sql_table(db_name, conn, columns=keep)
    except sa.exc.SQLAlchemyError as exc:
        if sqlite_file is not None:  # a damaged file or one that is not a database
            detail = _detail(exc).removeprefix("(sqlite3.DatabaseError) ")
            raise _file_error(
                sqlite_file,
                None,
                "unreadable_file",
                f"cannot be read as an SQLite database ({detail})",
            ) from None
        # driver messages may quote the address; the password never leaves this function
        raise ConnectionError(f"cannot read the database {shown}: {_detail(exc)}") from None
    finally:
        engine.dispose()
    if not tables:
        raise _file_error(shown, None, "no_tables", "no cohort tables found in the database")
    return tables, dict.fromkeys(tables, 1)


def _sqlite_file(url: Any, shown: str) -> Path | None:
    """The database file of an SQLite URL, checked to exist; ``None`` for other databases.

    Reading must never create a file, so a missing file is an error (SQLite would create
    an empty database).  In-memory databases hold no cohort.
    """
    if url.get_backend_name() != "sqlite":
        return None
    if url.username or url.password or url.host or url.port:
        raise ValueError(
            f"{shown}: an SQLite URL names a file and takes no user, password or host; "
            "write sqlite:///relative/path.db or sqlite:////absolute/path.db"
        )
    database = url.database or ""
    query = {k.lower(): str(v).lower() for k, v in url.query.items()}
    if database in ("", ":memory:") or query.get("mode") == "memory":
        raise ValueError(
            f"{shown}: an in-memory SQLite database is empty and holds no cohort; give the "
            "database file, e.g. sqlite:///cohort.db"
        )
    if query.get("uri") in ("true", "1") or database.startswith("file:"):
        return None  # an SQLite URI filename: opened as the user wrote it
    path = Path(database)
    if not path.exists():
        raise FileNotFoundError(f"database file {database!r} ({shown}) does not exist")
    _check_file(path, None, size_limit=False)
    return path


def _sqlite_read_only(path: Path) -> Any:
    """A connection factory opening ``path`` read-only (it never creates or changes it)."""
    import sqlite3
    from urllib.parse import quote

    uri = f"file:{quote(str(path.resolve()))}?mode=ro"

    def connect() -> sqlite3.Connection:
        return sqlite3.connect(uri, uri=True)

    return connect


def _detail(exc: BaseException) -> str:
    """An exception's first line, passwords masked."""
    lines = str(exc).strip().splitlines()
    return redact_secrets(lines[0] if lines else type(exc).__name__)[:300]


def _duckdb_tables(
    path: Path, names: Mapping[str, str], select: _Columns
) -> tuple[dict[str, pd.DataFrame], dict[str, int]]:
    import duckdb

    if str(path) in ("", ":memory:") or str(path).startswith(":memory:"):
        raise ValueError(
            "duckdb:///:memory: is an empty in-memory database and holds no cohort; give the "
            "DuckDB file, e.g. duckdb:///cohort.duckdb"
        )
    if not path.exists():
        raise FileNotFoundError(f"DuckDB file {str(path)!r} does not exist")
    _check_file(path, None, size_limit=False)
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error as exc:  # not a DuckDB file, a newer format, locked by a writer
        detail = _detail(exc).removeprefix("IO Error: ")
        raise _file_error(
            path, None, "unreadable_file", f"cannot be read as a DuckDB database ({detail})"
        ) from None
    table: str | None = None
    try:
        present = {
            row[0]
            for row in con.execute("SELECT table_name FROM information_schema.tables").fetchall()
        }
        tables = {}
        for table in TABLE_NAMES:
            db_name = names.get(table, table)
            if db_name not in present:
                continue
            columns = "*"
            if not select.all:
                cols = [
                    row[0]
                    for row in con.execute(
                        "SELECT column_name FROM information_schema.columns "
                        "WHERE table_name = ? ORDER BY ordinal_position",
                        [db_name],
                    ).fetchall()
                ]
                keep = select.pick(cols, table, path)
                if keep is not None:
                    columns = ", ".join(_quote(c) for c in keep)
            tables[table] = con.execute(f"SELECT {columns} FROM {_quote(db_name)}").df()
    except duckdb.Error as exc:  # e.g. a view whose query fails
        raise _file_error(
            path, table, "unreadable_file", f"reading the DuckDB file failed ({_detail(exc)})"
        ) from None
    finally:
        con.close()
    if not tables:
        raise _file_error(path, None, "no_tables", "no cohort tables found in the DuckDB file")
    return tables, dict.fromkeys(tables, 1)


def _quote(identifier: str) -> str:
    """An SQL identifier in double quotes (embedded quotes doubled)."""
    return '"' + identifier.replace('"', '""') + '"'


def read_tables(
    source: str | os.PathLike[str],
    *,
    table_names: Mapping[str, str] | None = None,
    columns: ColumnSelection = None,
) -> tuple[dict[str, pd.DataFrame], dict[str, int]]:
    """Read the raw cohort tables from ``source`` without parsing them.

    Returns the raw tables by canonical name and the row offset that turns each table's
    0-based index into the row number a user sees in that source.  ``columns`` selects
    the columns to read, as in :func:`load_cohort`.

    Examples
    --------
    >>> import tempfile
    >>> import netstats
    >>> from netstats.io import read_tables
    >>> folder = netstats.save_cohort(netstats.simulate_cohort(n_patients=60, seed=1),
    ...                               tempfile.mkdtemp() + "/cohort")
    >>> tables, row_offsets = read_tables(folder)
    >>> sorted(tables), row_offsets["patients"]
    (['imaging', 'pathology', 'patients', 'therapy_lines'], 2)
    >>> tables["patients"]["diagnosis_date"].dtype  # raw text, not parsed yet
    dtype('O')
    """
    names = dict(table_names or {})
    select = _Columns(columns)
    text = resolve_source(os.fspath(source))
    if "://" in text:
        if text.startswith("duckdb:///"):
            return _duckdb_tables(Path(text.removeprefix("duckdb:///")), names, select)
        return _sql_tables(text, names, select)
    path = Path(text)
    if not path.exists():
        raise FileNotFoundError(f"cohort source {redact_secrets(text)!r} does not exist")
    if path.is_dir():
        return _folder_tables(path, select)
    suffix = path.suffix.lower()
    if suffix in _DUCKDB_ENDINGS:
        return _duckdb_tables(path, names, select)
    if FILE_FORMATS.get(suffix) == "excel":
        return _excel_tables(path, select)
    if suffix in (".db", ".sqlite", ".sqlite3"):
        return _sql_tables(f"sqlite:///{path}", names, select)
    hint = f" ({path.name} {_format_hint(path.name)})" if suffix not in FILE_FORMATS else ""
    raise ValueError(
        f"cannot read a cohort from {path.name!r}: give a folder of table files, an Excel "
        f"workbook with a sheet per table, a .duckdb file or a database URL{hint}"
    )


def load_cohort(
    source: str | os.PathLike[str],
    *,
    date_format: str | None = None,
    table_names: Mapping[str, str] | None = None,
    columns: ColumnSelection = None,
) -> Cohort:
    """Load and validate a cohort.

    Parameters
    ----------
    source : str or path-like
        A folder with one file per table (``patients.csv``, ``pathology.parquet``, ...;
        CSV, Parquet, Excel, SAS, SPSS or Stata), an Excel workbook with one sheet per
        table, a DuckDB file (``.duckdb``), or, with the ``sql`` extra, an SQLite file or any
        SQLAlchemy URL.
    date_format : str or None, default=None
        ``strftime`` format of dates stored as text; ``None`` means ISO 8601.
    table_names : mapping of str to str, default=None
        Database table names when they differ from the canonical ones, e.g.
        ``{"therapy_lines": "lines"}``.
    columns : "schema", mapping of str to list of str, or None, default=None
        Columns to read. ``None`` reads every column (columns outside the data model are
        then reported as ignored). ``"schema"`` reads only the columns of the netstats
        data model. A mapping such as ``{"therapy_lines": ["start_date",
        "progression_date"]}`` reads, for each table it names, those columns plus the
        table's required ones (other tables in full); names are matched to the source's
        headers as the loader matches them (case, blanks and hyphens ignored).  Parquet
        files, DuckDB files and SQL databases read only the selected columns
        (projection pushdown); CSV files parse only them; Excel, SAS, SPSS and Stata files
        are read whole and then cut down.  Columns left out are missing in the cohort
        (optional columns empty, as when a source lacks them).

    Returns
    -------
    Cohort
        The validated cohort; warnings are in ``cohort.problems``.

    Raises
    ------
    CohortValidationError
        Listing every problem found, with table, row, column, value and rule; also when a
        column named in ``columns`` is not in the source (rule ``missing_column``), when a
        file is a FIFO, a device or anything but a regular file (``not_regular_file``), a
        table file or workbook is larger than the limit (``file_too_large``: 1 GiB, or
        the environment variable ``NETSTATS_MAX_FILE_SIZE``, e.g. ``4G``; ``0`` for no
        limit), or a file cannot be read in its format (``unreadable_file``).
    FileNotFoundError
        When ``source`` does not exist, including the file of an ``sqlite:///`` or
        ``duckdb:///`` address (loading never creates a database file).
    ValueError
        When ``columns`` names a table or column that is not part of the data model, or
        the address cannot hold a cohort (an in-memory database, an SQLite address with
        a user or host, an unknown database type).

    Examples
    --------
    >>> import tempfile
    >>> import netstats
    >>> folder = netstats.save_cohort(netstats.simulate_cohort(n_patients=60, seed=1),
    ...                               tempfile.mkdtemp() + "/cohort")
    >>> cohort = load_cohort(folder)
    >>> cohort.n_patients, cohort.source == str(folder)
    (60, True)
    >>> lean = load_cohort(folder, columns="schema")  # only the data model's columns
    >>> lean.n_patients
    60
    """
    tables, offsets = read_tables(source, table_names=table_names, columns=columns)
    label = redact_secrets(os.fspath(source))
    return Cohort.from_tables(
        tables.get("patients"),
        tables.get("pathology"),
        tables.get("therapy_lines"),
        tables.get("imaging"),
        date_format=date_format,
        row_offsets=offsets,
        source=label,
    )


def _to_text(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    """Canonical text form for CSV: ISO dates, whole numbers without decimals, blanks for NA."""
    out = frame.copy()
    for col in TABLES[name].columns:
        if col.type == "date":
            out[col.name] = frame[col.name].dt.strftime("%Y-%m-%d")
        elif col.type == "float":
            out[col.name] = frame[col.name].map(lambda v: "" if pd.isna(v) else repr(float(v)))
    return out


def _non_empty(cohort: Cohort) -> list[tuple[str, pd.DataFrame]]:
    """Tables with rows. An empty table is not written: loading reports it as not supplied
    (a warning), whereas a written file without records is an error."""
    return [(name, frame) for name, frame in cohort.tables.items() if len(frame)]


def _write_folder(cohort: Cohort, folder: Path, fmt: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in _non_empty(cohort):
        if fmt == "csv":
            _to_text(frame, name).to_csv(folder / f"{name}.csv", index=False, na_rep="")
        else:
            frame.to_parquet(folder / f"{name}.parquet", index=False)


def _write_duckdb(cohort: Cohort, path: Path) -> None:
    import duckdb

    con = duckdb.connect(str(path))
    try:
        for name, frame in _non_empty(cohort):
            con.register("_frame", frame)
            con.execute(f'CREATE TABLE "{name}" AS SELECT * FROM _frame')
            con.unregister("_frame")
    finally:
        con.close()


def save_cohort(
    cohort: Cohort,
    dest: str | os.PathLike[str],
    *,
    format: Literal["csv", "parquet", "duckdb"] | None = None,
    overwrite: bool = False,
) -> Path:
    """Write a cohort so that :func:`load_cohort` gives it back unchanged.

    The cohort is written to a temporary location next to ``dest`` and moved into place
    only when complete, so an interrupted save never leaves a half-written cohort.

    Parameters
    ----------
    cohort : Cohort
        The cohort to write.
    dest : str or path-like
        A folder (CSV or Parquet files, one per table) or a ``.duckdb`` file.
    format : {"csv", "parquet", "duckdb"} or None, default=None
        ``None`` infers DuckDB from a ``.duckdb`` ending and CSV otherwise.
    overwrite : bool, default=False
        Replace an existing ``dest``.

    Returns
    -------
    pathlib.Path
        The path written.

    Examples
    --------
    >>> import tempfile
    >>> import netstats
    >>> cohort = netstats.simulate_cohort(n_patients=60, seed=1)
    >>> folder = netstats.save_cohort(cohort, tempfile.mkdtemp() + "/cohort")
    >>> sorted(p.name for p in folder.iterdir())
    ['imaging.csv', 'pathology.csv', 'patients.csv', 'therapy_lines.csv']
    >>> netstats.load_cohort(folder).n_patients
    60
    """
    path = Path(dest)
    fmt = format or ("duckdb" if path.suffix.lower() in _DUCKDB_ENDINGS else "csv")
    if fmt not in ("csv", "parquet", "duckdb"):
        raise ValueError(f"format must be 'csv', 'parquet' or 'duckdb', got {fmt!r}")
    if path.exists() and not overwrite:
        raise FileExistsError(f"{path} exists; pass overwrite=True to replace it")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent))
    try:
        target = tmp / path.name
        if fmt == "duckdb":
            _write_duckdb(cohort, target)
        else:
            _write_folder(cohort, target, fmt)
        if path.exists():
            backup = tmp / ".previous"
            os.replace(path, backup)
        os.replace(target, path)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return path

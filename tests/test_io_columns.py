"""Loading only the columns needed: ``load_cohort(..., columns=...)``.

Checks that a selection gives the same values as a full load for the columns read, that
columns left out are really not read (a DuckDB column that fails when evaluated; the
column lists handed to the Parquet, SQL and CSV readers), and that bad selections fail
with an error naming the table and column.
"""

from __future__ import annotations

import pandas as pd
import pytest
from _cohorts import MINIMAL, TABLES
from pandas.testing import assert_frame_equal, assert_series_equal

import netstats.io as nio
from netstats.cohort import Cohort
from netstats.exceptions import CohortValidationError
from netstats.io import load_cohort, read_tables, save_cohort
from netstats.schema import TABLES as SPECS

LINE_PICK = ["start_date", "progression_date"]


@pytest.fixture(scope="module")
def cohort() -> Cohort:
    return load_cohort(MINIMAL)


def _with_extra(cohort: Cohort) -> dict[str, pd.DataFrame]:
    """The cohort's tables plus a column outside the data model in each."""
    return {
        name: frame.assign(site_note=[f"note {i}" for i in range(len(frame))])
        for name, frame in cohort.tables.items()
        if len(frame)
    }


def _write(tables: dict[str, pd.DataFrame], dest, fmt: str):
    if fmt == "duckdb":
        import duckdb

        path = dest / "c.duckdb"
        con = duckdb.connect(str(path))
        for name, frame in tables.items():
            con.register("_f", frame)
            con.execute(f'CREATE TABLE "{name}" AS SELECT * FROM _f')
            con.unregister("_f")
        con.close()
        return path
    if fmt == "sqlite":
        import sqlalchemy as sa

        path = dest / "c.sqlite"
        eng = sa.create_engine(f"sqlite:///{path}")
        with eng.begin() as conn:
            for name, frame in tables.items():
                frame.to_sql(name, conn, index=False)
        eng.dispose()
        return path
    folder = dest / "c"
    folder.mkdir()
    for name, frame in tables.items():
        if fmt == "parquet":
            frame.to_parquet(folder / f"{name}.parquet", index=False)
        else:
            frame.to_csv(folder / f"{name}.csv", index=False, date_format="%Y-%m-%d")
    return folder


FORMATS = ["csv", "parquet", "duckdb", "sqlite"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_schema_selection_round_trips_and_skips_extra_columns(cohort, tmp_path, fmt):
    source = _write(_with_extra(cohort), tmp_path, fmt)
    full = load_cohort(source)
    assert (full.problems["rule"] == "unknown_column").any()  # the extra column is read
    lean = load_cohort(source, columns="schema")
    assert not (lean.problems["rule"] == "unknown_column").any()
    for name in TABLES:
        assert_frame_equal(lean.tables[name], cohort.tables[name], check_exact=True, obj=name)


@pytest.mark.parametrize("fmt", FORMATS)
def test_named_columns_plus_required_ones(cohort, tmp_path, fmt):
    source = _write(_with_extra(cohort), tmp_path, fmt)
    lean = load_cohort(source, columns={"therapy_lines": LINE_PICK})
    lines, want = lean.therapy_lines, cohort.therapy_lines
    kept = set(LINE_PICK) | set(SPECS["therapy_lines"].required)
    for col in kept:
        assert_series_equal(lines[col], want[col], check_exact=True)
    dropped = [c for c in SPECS["therapy_lines"].names if c not in kept and c != "drug_class"]
    assert dropped and all(lines[c].isna().all() for c in dropped)
    # Tables not named are read whole.
    assert_frame_equal(lean.patients, cohort.patients, check_exact=True)


def test_duckdb_never_evaluates_columns_left_out(cohort, tmp_path):
    import duckdb

    path = save_cohort(cohort, tmp_path / "c.duckdb")
    con = duckdb.connect(str(path))
    con.execute("ALTER TABLE therapy_lines RENAME TO lines_base")
    con.execute("CREATE VIEW therapy_lines AS SELECT *, error('read') AS site_note FROM lines_base")
    con.close()
    with pytest.raises(CohortValidationError, match=r"reading the DuckDB file failed .*read"):
        load_cohort(path)  # reading every column evaluates the failing one
    lean = load_cohort(path, columns="schema")
    assert_frame_equal(lean.therapy_lines, cohort.therapy_lines, check_exact=True)


@pytest.mark.parametrize(
    ("fmt", "reader", "argument"),
    [
        ("parquet", "read_parquet", "columns"),
        ("sqlite", "read_sql_table", "columns"),
        ("csv", "read_csv", "usecols"),
    ],
)
def test_readers_are_asked_for_the_selected_columns_only(
    cohort, tmp_path, monkeypatch, fmt, reader, argument
):
    source = _write(_with_extra(cohort), tmp_path, fmt)
    calls: list[object] = []
    real = getattr(pd, reader)

    def spy(*args, **kwargs):
        calls.append(kwargs.get(argument))
        return real(*args, **kwargs)

    monkeypatch.setattr(nio.pd, reader, spy)
    load_cohort(source, columns={"imaging": ["krenning_score"]})
    asked = [c for c in calls if c is not None]
    assert len(asked) == 1  # only the imaging table is cut down
    if fmt == "csv":  # positions in the header
        header = pd.read_csv(source / "imaging.csv", nrows=0).columns
        asked_names = {header[i] for i in asked[0]}
    else:
        asked_names = set(asked[0])
    assert asked_names == {"krenning_score", *SPECS["imaging"].required}
    assert "site_note" not in asked_names


def test_headers_match_as_the_loader_matches_them(cohort, tmp_path):
    folder = tmp_path / "c"
    folder.mkdir()
    for name, frame in cohort.tables.items():
        renamed = frame.rename(columns=lambda c: c.upper().replace("_", " "))
        renamed.to_parquet(folder / f"{name}.parquet", index=False)
    lean = load_cohort(folder, columns={"therapy_lines": ["Start-Date", "PROGRESSION_DATE"]})
    assert_series_equal(
        lean.therapy_lines["progression_date"], cohort.therapy_lines["progression_date"]
    )
    assert lean.therapy_lines["best_response"].isna().all()


def test_bad_selections_name_the_table_and_column(cohort, tmp_path):
    source = save_cohort(cohort, tmp_path / "c.duckdb")
    with pytest.raises(ValueError, match=r"'progresion_date' is not a column of the therapy_lines"):
        load_cohort(source, columns={"therapy_lines": ["progresion_date"]})
    with pytest.raises(ValueError, match=r"'lines' is not a cohort table"):
        load_cohort(source, columns={"lines": ["start_date"]})
    with pytest.raises(ValueError, match="columns must be None, 'schema'"):
        load_cohort(source, columns="all")
    with pytest.raises(TypeError, match="must be a list of column names"):
        load_cohort(source, columns={"therapy_lines": "start_date"})
    # In the data model but not in this source: the source is named, with its columns.
    folder = tmp_path / "no_scores"
    folder.mkdir()
    for name, frame in cohort.tables.items():
        frame.drop(columns=["krenning_score"], errors="ignore").to_parquet(
            folder / f"{name}.parquet", index=False
        )
    with pytest.raises(CohortValidationError, match="'krenning_score' requested") as info:
        load_cohort(folder, columns={"imaging": ["krenning_score"]})
    problem = info.value.problems.iloc[0]
    assert (problem["table"], problem["rule"]) == ("imaging", "missing_column")
    assert "imaging.parquet" in problem["message"]


def test_default_reads_everything(cohort, tmp_path):
    source = _write(_with_extra(cohort), tmp_path, "parquet")
    tables, _ = read_tables(source)
    assert all("site_note" in t.columns for t in tables.values())
    tables, _ = read_tables(source, columns="schema")
    assert not any("site_note" in t.columns for t in tables.values())

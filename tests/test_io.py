"""Loading and saving cohorts through every supported format; round trips are exact."""

from __future__ import annotations

import shutil
import string
from pathlib import Path

import pandas as pd
import pytest
from _cohorts import MINIMAL, TABLES, raw_minimal
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pandas.testing import assert_frame_equal

from netstats import vocab
from netstats.cohort import Cohort
from netstats.exceptions import CohortValidationError
from netstats.io import load_cohort, read_tables, save_cohort
from netstats.schema import PLAUSIBLE_MAXIMUM


@pytest.fixture
def cohort() -> Cohort:
    return load_cohort(MINIMAL)


def assert_same_cohort(a: Cohort, b: Cohort) -> None:
    for name in TABLES:
        assert_frame_equal(a.tables[name], b.tables[name], check_exact=True, obj=name)


@pytest.mark.parametrize("fmt", ["csv", "parquet", "duckdb"])
def test_save_load_round_trip(cohort, tmp_path, fmt):
    dest = tmp_path / ("cohort.duckdb" if fmt == "duckdb" else "cohort")
    written = save_cohort(cohort, dest, format=fmt)
    assert written == dest
    assert_same_cohort(cohort, load_cohort(dest))


def test_save_refuses_to_overwrite_unless_asked(cohort, tmp_path):
    dest = save_cohort(cohort, tmp_path / "c")
    with pytest.raises(FileExistsError, match="overwrite=True"):
        save_cohort(cohort, dest)
    save_cohort(cohort, dest, overwrite=True)
    assert sorted(p.name for p in dest.iterdir()) == sorted(f"{t}.csv" for t in TABLES)
    # No temporary folders are left next to the destination.
    assert [p.name for p in tmp_path.iterdir()] == ["c"]


def test_save_rejects_unknown_format(cohort, tmp_path):
    with pytest.raises(ValueError, match="format must be"):
        save_cohort(cohort, tmp_path / "c", format="xml")  # type: ignore[arg-type]


def _write_each(cohort: Cohort, folder: Path, suffix: str) -> None:
    import pyreadstat

    folder.mkdir()
    for name, frame in cohort.tables.items():
        path = folder / f"{name}{suffix}"
        if suffix == ".xlsx":
            frame.to_excel(path, index=False)
            continue
        plain = frame.copy()
        for col in plain.columns:
            if str(plain[col].dtype) in ("Int64", "boolean"):
                plain[col] = plain[col].astype("float64")
            elif str(plain[col].dtype) == "string":
                plain[col] = plain[col].astype(object).where(plain[col].notna(), "")
        if suffix == ".dta":
            plain.to_stata(path, write_index=False, version=118)
        elif suffix == ".sav":
            pyreadstat.write_sav(plain, str(path))
        elif suffix == ".xpt":
            pyreadstat.write_xport(plain, str(path), table_name=name[:8])


@pytest.mark.parametrize("suffix", [".xlsx", ".dta", ".sav", ".xpt"])
def test_load_folder_of_other_formats(cohort, tmp_path, suffix):
    folder = tmp_path / "export"
    _write_each(cohort, folder, suffix)
    loaded = load_cohort(folder)
    assert_same_cohort(cohort, loaded)


def test_load_excel_workbook_with_a_sheet_per_table(cohort, tmp_path):
    path = tmp_path / "cohort.xlsx"
    with pd.ExcelWriter(path) as writer:
        for name, frame in cohort.tables.items():
            frame.to_excel(writer, sheet_name=name.capitalize(), index=False)
    assert_same_cohort(cohort, load_cohort(path))


@pytest.mark.parametrize("engine", ["sqlite", "duckdb"])
def test_load_from_sqlalchemy_url(cohort, tmp_path, engine):
    import sqlalchemy as sa

    path = tmp_path / f"db.{engine}"
    url = f"{engine}:///{path}"
    eng = sa.create_engine(url)
    with eng.begin() as conn:
        for name, frame in cohort.tables.items():
            frame.to_sql(f"t_{name}", conn, index=False)
    eng.dispose()
    names = {name: f"t_{name}" for name in TABLES}
    assert_same_cohort(cohort, load_cohort(url, table_names=names))


def test_sqlite_file_is_read_as_database(cohort, tmp_path):
    import sqlalchemy as sa

    path = tmp_path / "cohort.sqlite"
    eng = sa.create_engine(f"sqlite:///{path}")
    with eng.begin() as conn:
        for name, frame in cohort.tables.items():
            frame.to_sql(name, conn, index=False)
    eng.dispose()
    assert_same_cohort(cohort, load_cohort(path))


def test_latin1_and_bom_csv_load(tmp_path):
    raw = raw_minimal()
    raw["patients"].loc[0, "patient_id"] = "Pé-001"
    for name in ("pathology", "therapy_lines", "imaging"):
        raw[name].loc[raw[name]["patient_id"] == "001", "patient_id"] = "Pé-001"
    for encoding in ("latin-1", "utf-8-sig", "utf-8"):
        folder = tmp_path / encoding
        folder.mkdir()
        for name, frame in raw.items():
            frame.to_csv(folder / f"{name}.csv", index=False, encoding=encoding)
        loaded = load_cohort(folder)
        assert loaded.patients["patient_id"].iloc[0] == "Pé-001"


def test_identifiers_keep_leading_zeros(cohort):
    assert cohort.patients["patient_id"].tolist() == ["001", "002", "003", "004"]


def test_unparseable_date_names_the_cell(tmp_path):
    folder = tmp_path / "bad"
    shutil.copytree(MINIMAL, folder)
    lines = (folder / "therapy_lines.csv").read_text().splitlines()
    lines[3] = lines[3].replace("2024-01-15", "15/01/2024")  # file line 4
    (folder / "therapy_lines.csv").write_text("\n".join(lines) + "\n")
    with pytest.raises(CohortValidationError) as info:
        load_cohort(folder)
    p = info.value.problems
    hit = p[p["rule"] == "date_format"]
    assert hit[["table", "row", "column", "value"]].values.tolist() == [
        ["therapy_lines", 4, "start_date", "15/01/2024"]
    ]


def test_trailing_blank_lines_are_not_records(tmp_path):
    folder = tmp_path / "blank"
    shutil.copytree(MINIMAL, folder)
    with open(folder / "imaging.csv", "a") as fh:
        fh.write(",,,,,,,,,\n\n,,,,,,,,,\n")
    assert len(load_cohort(folder).imaging) == 6


def test_source_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_cohort(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(CohortValidationError, match="no cohort tables found"):
        load_cohort(tmp_path / "empty")
    (tmp_path / "notes.json").write_text("{}")
    with pytest.raises(ValueError, match="cannot read a cohort"):
        load_cohort(tmp_path / "notes.json")


def test_two_files_for_one_table_is_an_error(tmp_path):
    folder = tmp_path / "dup"
    shutil.copytree(MINIMAL, folder)
    load_cohort(folder).patients.to_parquet(folder / "patients.parquet")
    with pytest.raises(CohortValidationError, match="several files"):
        read_tables(folder)


def test_password_is_not_shown_in_errors():
    with pytest.raises(Exception) as info:
        load_cohort("postgresql://user:s3cret@127.0.0.1:1/db")
    assert "s3cret" not in str(info.value)


# --- property: any valid cohort survives a save/load round trip -------------------------

_ID = st.text(string.ascii_letters + string.digits + "-_", min_size=1, max_size=10)


@st.composite
def valid_cohorts(draw) -> Cohort:
    """Valid cohorts: the example's structure with arbitrary ids, values and date shifts."""
    raw = raw_minimal()
    ids = draw(st.lists(_ID, min_size=4, max_size=4, unique=True))
    mapping = dict(zip(["001", "002", "003", "004"], ["0" + i for i in ids], strict=True))
    shift = pd.Timedelta(days=draw(st.integers(-3000, 300)))
    for frame in raw.values():
        frame["patient_id"] = frame["patient_id"].map(mapping)
        for col in frame.columns:
            if col.endswith("_date"):
                dates = pd.to_datetime(frame[col].replace("", None)) + shift
                frame[col] = dates.dt.strftime("%Y-%m-%d").fillna("")
    pats = raw["patients"]
    for col, voc in (
        ("sex", vocab.SEX),
        ("primary_site", vocab.PRIMARY_SITES),
        ("stage_at_diagnosis", vocab.STAGES),
    ):
        pats[col] = [draw(st.sampled_from(voc.values)) for _ in range(len(pats))]
    scans = raw["imaging"]
    positive = st.floats(1e-3, PLAUSIBLE_MAXIMUM["suv"], allow_nan=False, allow_infinity=False)
    scans["suvmax_lesion"] = [repr(draw(positive)) for _ in range(len(scans))]
    scans["liver_burden_percent"] = [repr(draw(st.floats(0, 100))) for _ in range(len(scans))]
    path = raw["pathology"]
    counted = [draw(st.integers(500, 5000)) for _ in range(len(path))]
    positive_cells = [draw(st.integers(0, n)) for n in counted]
    path["ki67_cells_counted"] = [str(n) for n in counted]
    path["ki67_positive_cells"] = [str(k) for k in positive_cells]
    path["ki67_percent"] = [repr(100 * k / n) for k, n in zip(positive_cells, counted, strict=True)]
    return Cohort.from_tables(**raw)


@settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(cohort=valid_cohorts(), fmt=st.sampled_from(["csv", "parquet", "duckdb"]))
def test_any_valid_cohort_round_trips(tmp_path_factory, cohort, fmt):
    folder = tmp_path_factory.mktemp("rt")
    dest = folder / ("c.duckdb" if fmt == "duckdb" else "c")
    save_cohort(cohort, dest, format=fmt)
    assert_same_cohort(cohort, load_cohort(dest))


@pytest.mark.parametrize("fmt", ["csv", "duckdb"])
def test_cohort_without_lines_or_scans_round_trips(cohort, tmp_path, fmt):
    bare = Cohort.from_tables(load_cohort(MINIMAL).patients.astype(object))
    dest = tmp_path / ("c.duckdb" if fmt == "duckdb" else "c")
    save_cohort(bare, dest, format=fmt)
    back = load_cohort(dest)
    assert_same_cohort(bare, back)
    assert set(back.problems["rule"]) == {"table_missing"}

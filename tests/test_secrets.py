"""Passwords of database addresses never reach a report, a message or a terminal line."""

from __future__ import annotations

import os
import string
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from netstats.cli import app
from netstats.io import find_secrets, load_cohort, redact_secrets
from netstats.io._redact import MASK, SECRET_SOURCE_ENV, resolve_source
from netstats.report import RenderError, provenance, render
from tests._cohorts import MINIMAL
from tests._report_cohort import write_replicated
from tests._report_notebooks import write_notebook

SECRET = "Zq7S3cretPW"
ANALYSES = Path(__file__).resolve().parents[1] / "analyses"


# --- the redaction function -------------------------------------------------------------
@pytest.mark.parametrize(
    ("address", "masked"),
    [
        (
            "postgresql+pg8000://ana:S3cret@db.example/net",
            "postgresql+pg8000://ana:***@db.example/net",
        ),
        ("mysql://ana:p@ss:w@db:3306/net?ssl=1", "mysql://ana:***@db:3306/net?ssl=1"),
        ("mssql+pyodbc://:S3cret@dsn", "mssql+pyodbc://:***@dsn"),
        (
            "sqlite:///file:/tmp/c.db?uri=true&password=S3cret",
            "sqlite:///file:/tmp/c.db?uri=true&***",
        ),
        ("postgresql://db/net?user=ana&PWD=S3cret&sslmode=require", None),
        (
            "DRIVER={ODBC Driver 18};SERVER=db;UID=ana;PWD=S3cret;",
            "DRIVER={ODBC Driver 18};SERVER=db;UID=ana;PWD=***;",
        ),
        ("Server=db;Password={S3;cret};Database=net", "Server=db;Password=***;Database=net"),
        ("mssql+pyodbc:///?odbc_connect=DRIVER%3DX%3BUID%3Dana%3BPWD%3DS3cret%3B", None),
    ],
)
def test_every_password_form_is_masked(address, masked):
    shown = redact_secrets(address)
    assert "S3" not in shown and "cret" not in shown, shown
    assert MASK in shown
    if masked is not None:
        assert shown == masked.replace("&***", "&password=***")
    assert redact_secrets(shown) == shown  # masking twice changes nothing
    assert find_secrets(shown) == []


@pytest.mark.parametrize(
    "text",
    [
        "data/synthetic",
        "/tmp/a:b@c/cohort",
        "duckdb:///tmp/c.duckdb",
        "postgresql://db/net",
        "postgresql://ana@db/net",
        "https://doi.org/10.1000/x",
        "p = 0.03; HR 1.2 (0.8-1.9)",
    ],
)
def test_addresses_without_password_are_unchanged(text):
    assert redact_secrets(text) == text and find_secrets(text) == []


@given(
    user=st.text(string.ascii_letters + string.digits + "_.", min_size=0, max_size=8),
    password=st.text(
        string.ascii_letters + string.digits + "!$%^*()-_+=~.@:", min_size=1, max_size=20
    ),
    host=st.from_regex(r"[a-z][a-z0-9.\-]{0,15}", fullmatch=True),
    scheme=st.sampled_from(
        ["postgresql", "postgresql+pg8000", "mysql+pymysql", "oracle", "mssql+pyodbc"]
    ),
)
def test_any_userinfo_password_is_masked(user, password, host, scheme):
    address = f"{scheme}://{user}:{password}@{host}/db"
    shown = redact_secrets(f"cannot connect to {address}: refused")
    assert shown == f"cannot connect to {scheme}://{user}:{MASK}@{host}/db: refused"
    assert find_secrets(address) == [password]


def test_masked_address_resolves_only_from_the_matching_environment(monkeypatch):
    full = f"postgresql://ana:{SECRET}@db/net"
    masked = redact_secrets(full)
    monkeypatch.delenv(SECRET_SOURCE_ENV, raising=False)
    with pytest.raises(ValueError, match=SECRET_SOURCE_ENV) as info:
        resolve_source(masked)
    assert SECRET not in str(info.value)
    monkeypatch.setenv(SECRET_SOURCE_ENV, full)
    assert resolve_source(masked) == full
    with pytest.raises(ValueError, match="masked"):
        resolve_source("postgresql://ana:***@other/net")


def test_provenance_masks_every_form():
    for address in (f"postgresql://ana:{SECRET}@db/net", f"sqlite:///x.db?password={SECRET}"):
        prov = provenance(address, parameters={"data": address})
        assert SECRET not in prov.to_frame().to_string()


# --- loaders and the command line -------------------------------------------------------
def _sqlite(tmp_path: Path, source: Path = MINIMAL) -> str:
    """The cohort in an SQLite file, addressed by a URL that carries a password.

    SQLite has no passwords; as a URI (``uri=true``) it ignores unknown query parameters,
    so the address below is read like any database whose URL holds one.
    """
    import sqlalchemy as sa

    path = tmp_path / "cohort.sqlite"
    eng = sa.create_engine(f"sqlite:///{path}")
    with eng.begin() as conn:
        for name, frame in load_cohort(source).tables.items():
            if len(frame):
                frame.to_sql(name, conn, index=False)
    eng.dispose()
    return f"sqlite:///file:{path}?uri=true&password={SECRET}"


def test_loader_reads_the_address_and_shows_it_masked(tmp_path):
    url = _sqlite(tmp_path)
    cohort = load_cohort(url)
    assert cohort.n_patients == load_cohort(MINIMAL).n_patients
    assert SECRET not in cohort.source and SECRET not in repr(cohort)


@pytest.mark.parametrize(
    "url",
    [
        f"postgresql+pg8000://ana:{SECRET}@127.0.0.1:1/db",
        f"postgresql://ana:{SECRET}@127.0.0.1:1/db",
        f"nosuchdialect://ana:{SECRET}@host/db",
        f"sqlite:///file:/nonexistent/dir/x.db?uri=true&mode=ro&password={SECRET}",
        f"postgresql:/ana:{SECRET}@host/db",  # one slash: read as a path
    ],
)
def test_errors_never_show_the_password(url):
    with pytest.raises(Exception) as info:
        load_cohort(url)
    assert SECRET not in str(info.value) and SECRET not in repr(info.value)
    result = CliRunner().invoke(app, ["validate", url])
    assert result.exit_code == 1
    assert SECRET not in result.output + (result.stderr or "")
    assert "Traceback" not in result.output + (result.stderr or "")


def test_validate_prints_the_address_masked(tmp_path):
    url = _sqlite(tmp_path)
    result = CliRunner().invoke(app, ["validate", url])
    assert result.exit_code == 0, result.output
    assert "valid cohort" in result.output
    assert SECRET not in result.output and "password=***" in result.output


def test_a_report_failing_on_the_data_does_not_show_the_password(tmp_path):
    url = f"postgresql+pg8000://ana:{SECRET}@127.0.0.1:1/db"
    result = CliRunner().invoke(
        app, ["report", "--data", url, "--out", str(tmp_path / "r"), "--no-progress"]
    )
    assert result.exit_code == 1
    assert SECRET not in result.output + (result.stderr or "")


# --- rendering --------------------------------------------------------------------------
def _every_text(folder: Path) -> list[tuple[str, bytes]]:
    return [
        (p.relative_to(folder).as_posix(), p.read_bytes() if p.is_file() else b"")
        for p in folder.rglob("*")
    ]


def test_rendered_report_holds_no_password(tmp_path):
    url = _sqlite(tmp_path, write_replicated(tmp_path / "cohort"))
    analyses = tmp_path / "analyses"
    write_notebook(
        analyses,
        "00_source",
        "# %%\nimport netstats\ncohort = netstats.load_cohort(data)\n"
        "print(data, cohort.source, f'n_patients={cohort.n_patients}')\n"
        "print(netstats.report.provenance(data).method)\n",
    )
    # the real overview notebook too: its provenance table and every output
    (analyses / "01_cohort_overview.py").write_text(
        (ANALYSES / "01_cohort_overview.py").read_text(encoding="utf-8"), encoding="utf-8"
    )
    out = tmp_path / "reports"
    result = CliRunner().invoke(
        app,
        ["report", "--data", url, "--out", str(out), "--analyses", str(analyses), "--no-progress"]
        + ["--only", "00", "--only", "01"],
    )
    assert result.exit_code == 0, result.output
    assert SECRET not in result.output + (result.stderr or "")
    files = _every_text(out)
    assert any(name.endswith(".ipynb") for name, _ in files)
    for name, content in files:
        assert SECRET not in name and SECRET.encode() not in content, name
    notebook = (out / "00_source" / "00_source.ipynb").read_text(encoding="utf-8")
    assert "password=***" in notebook  # the notebook got the masked address ...
    assert "n_patients=40" in notebook  # ... and still read the cohort behind it
    assert os.environ.get(SECRET_SOURCE_ENV) is None  # only the kernels had the address


def test_a_notebook_printing_the_secret_is_refused(tmp_path):
    url = _sqlite(tmp_path)
    analyses = tmp_path / "analyses"
    write_notebook(
        analyses,
        "01_leak",
        f"# %%\nimport os\nprint(os.environ[{SECRET_SOURCE_ENV!r}])\n",
    )
    out = tmp_path / "reports"
    with pytest.raises(RenderError, match="password of the data address") as info:
        render(analyses, data=url, out=out, only="01", progress=False)
    assert SECRET not in str(info.value) and not out.exists()
    staging = [p for p in tmp_path.iterdir() if p.name.startswith(".reports")]
    assert staging == []


def test_a_failing_cell_does_not_show_the_password(tmp_path):
    url = _sqlite(tmp_path)
    analyses = tmp_path / "analyses"
    write_notebook(
        analyses,
        "01_fail",
        f"# %%\nimport os\nraise ValueError(os.environ[{SECRET_SOURCE_ENV!r}])\n",
    )
    with pytest.raises(RenderError) as info:
        render(analyses, data=url, out=tmp_path / "reports", only="01", progress=False)
    assert SECRET not in str(info.value) and "password=***" in str(info.value)


def test_a_password_in_another_parameter_is_refused(tmp_path):
    analyses = tmp_path / "analyses"
    write_notebook(analyses, "01_p", "# %%\nprint(other)\n", extra='other = ""')
    with pytest.raises(ValueError, match="hold a password") as info:
        render(
            analyses,
            data=MINIMAL,
            out=tmp_path / "reports",
            only="01",
            parameters={"other": f"postgresql://a:{SECRET}@h/d"},
            progress=False,
        )
    assert SECRET not in str(info.value)

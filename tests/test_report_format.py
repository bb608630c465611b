"""Number formatting of reports and provenance records."""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from netstats.report import (
    fmt_count_percent,
    fmt_estimate_ci,
    fmt_number,
    fmt_p,
    format_table_one,
    provenance,
    round_half_up,
)
from netstats.tables import table_one
from tests._cohorts import MINIMAL


@pytest.mark.parametrize(
    ("x", "digits", "expected"),
    [
        (2.25, 1, "2.3"),
        (2.675, 2, "2.68"),
        (-2.25, 1, "-2.3"),
        (-0.04, 1, "0.0"),
        (1e6, 0, "1000000"),
    ],
)
def test_fmt_number_rounds_half_up(x, digits, expected):
    assert fmt_number(x, digits) == expected


def test_estimate_ci_uses_en_dash_and_ne():
    assert fmt_estimate_ci(12.345, 9.05, 15.0) == "12.3 (9.1\u201315.0)"
    assert fmt_estimate_ci(None, None, None) == "NE"
    assert fmt_estimate_ci(30, 21.5, float("nan")) == "30.0 (21.5\u2013NE)"


@pytest.mark.parametrize(
    ("p", "expected"),
    [
        (0.0432, "0.043"),
        (0.0005, "<0.001"),
        (0.001, "0.001"),
        (0.9996, ">0.999"),
        (1.0, ">0.999"),
        (0.05, "0.050"),
        (0.0, "<0.001"),
    ],
)
def test_fmt_p(p, expected):
    assert fmt_p(p) == expected


def test_fmt_p_rejects_out_of_range():
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        fmt_p(1.2)


def test_count_percent():
    assert fmt_count_percent(3, 8) == "3 (37.5%)"
    assert fmt_count_percent(None, 8) == "*"


@given(st.floats(-1e6, 1e6, allow_nan=False), st.integers(0, 4))
def test_round_half_up_within_half_unit(x, digits):
    assert abs(round_half_up(x, digits) - x) <= 0.5 * 10**-digits + 1e-9 * max(1.0, abs(x))


def test_provenance_hashes_every_table_file():
    prov = provenance(MINIMAL, seeds={"seed": 1}, endpoint_rules="censor at next line")
    files = prov.files.set_index("file")
    assert set(files.index) == {"patients.csv", "pathology.csv", "therapy_lines.csv", "imaging.csv"}
    expected = hashlib.sha256((MINIMAL / "patients.csv").read_bytes()).hexdigest()
    assert files.loc["patients.csv", "sha256"] == expected
    frame = prov.to_frame().set_index("item")["value"]
    assert frame["seed"] == "1"
    assert frame["endpoint rules"] == "censor at next line"
    assert "pandas" in frame.index and "python" in frame.index
    assert prov.git_commit is None or len(prov.git_commit) == 40


def test_provenance_hashes_the_files_the_loader_reads(tmp_path):
    # the formats io reads (.txt, .pq, upper-case suffixes) count, .xls (refused) and
    # notes beside the data do not
    for name in ("patients.txt", "imaging.PQ", "pathology.xlsm", "old.xls", "notes.md"):
        (tmp_path / name).write_bytes(b"x")
    prov = provenance(tmp_path, seeds={"seed": 1}, endpoint_rules="-")
    assert set(prov.files["file"]) == {"patients.txt", "imaging.PQ", "pathology.xlsm"}


def test_provenance_redacts_database_password():
    prov = provenance("postgresql://ana:secret@db.example/net")
    assert "secret" not in prov.data_source and prov.files.empty


def test_display_frame_shortens_numbers_and_keeps_the_data():
    import numpy as np
    import pandas as pd

    from netstats.report import display_frame

    t = pd.DataFrame(
        {
            "term": ["age", "prior_prrt", "n_prior_lines"],
            "estimate": [1.00160466, np.nan, 36.0359],
            "ci_lower": [0.98734622, np.nan, 1.9497e-06],
            "ci_upper": [1.01606901, np.nan, 572571.49],
            "p_value": [0.0432, np.nan, 2e-9],
            "n": [719, 719, 719],
        }
    )
    before = t.copy()
    shown = display_frame(t)
    pd.testing.assert_frame_equal(t, before)  # the input is not changed
    assert shown["estimate"].tolist() == ["1.00", "", "36.0"]
    assert shown["ci_lower"].tolist() == ["0.987", "", "1.95e-06"]
    assert shown["ci_upper"].tolist() == ["1.02", "", "5.73e+05"]
    assert shown["p_value"].tolist() == ["0.043", "", "<0.001"]
    assert shown["n"].tolist() == [719, 719, 719]
    # An impossible p-value is shown as it is, not clipped into range.
    odd = display_frame(pd.DataFrame({"p_value": [1.5, -0.25]}))
    assert odd["p_value"].tolist() == ["1.50", "-0.250"]


@given(st.floats(allow_nan=False, allow_infinity=False, min_value=-1e12, max_value=1e12))
def test_display_frame_keeps_three_significant_digits(x):
    import pandas as pd

    from netstats.report import display_frame

    text = display_frame(pd.DataFrame({"v": [x]}))["v"].iloc[0]
    assert float(text) == pytest.approx(x, rel=5e-3, abs=0)


def test_table_one_withholds_the_smd_of_a_variable_with_a_withheld_level():
    # Level shares determine the SMD, so with a level withheld the SMD would give it back.
    df = pd.DataFrame(
        {
            "sex": ["female"] * 30 + ["male"] * 28 + ["female"] * 2,
            "site": ["a"] * 20 + ["b"] * 20 + ["a"] * 10 + ["b"] * 10,
            "age_at_diagnosis": np.linspace(40, 80, 60),
        }
    ).assign(grade=["G1"] * 30 + ["G2"] * 30)
    out = format_table_one(
        table_one(df, columns=["sex", "site", "age_at_diagnosis"], group="grade"), threshold=5
    )
    rows = out.set_index("Characteristic")
    assert (rows.loc["Sex, n (%)", "SMD"]) == "*"  # G1 has no male, G2 two females
    assert rows.loc["Specimen site, n (%)", "SMD"] == "0.707"  # nothing withheld: shown
    assert rows.loc["Age at diagnosis (years), mean (SD)", "SMD"] not in ("*", "")

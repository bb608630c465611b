"""Swimmer plot: drawn from the line_endpoints table, checked on the returned Axes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from netstats import Cohort, load_cohort
from netstats.endpoints import line_endpoints
from netstats.exceptions import SchemaError
from netstats.plots._swimmer import DRUG_CLASS_COLORS, swimmer
from netstats.schema import DAYS_PER_MONTH

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.usefixtures("close_figures")


@pytest.fixture(scope="module")
def lines() -> pd.DataFrame:
    return line_endpoints(load_cohort(ROOT / "tests" / "data" / "minimal"))


def _marker(ax, key: str) -> np.ndarray:
    hits = [line for line in ax.get_lines() if line.get_gid() == f"swimmer-{key}"]
    if not hits:
        return np.empty((0, 2))
    assert len(hits) == 1
    return np.column_stack([hits[0].get_xdata(), hits[0].get_ydata()]).astype(float)


def _all_text(ax) -> str:
    texts = [t.get_text() for t in ax.figure.findobj(lambda a: hasattr(a, "get_text"))]
    return " ".join(texts)


def _offsets(frame: pd.DataFrame, pid: str) -> pd.Series:
    rows = frame[frame["patient_id"] == pid]
    return (rows["start_date"] - rows["start_date"].min()).dt.days / DAYS_PER_MONTH


def test_bars_are_ranked_without_identifiers(lines):
    ax = swimmer(lines)
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == ["1", "2", "3", "4"]
    text = _all_text(ax)
    for pid in lines["patient_id"].unique():
        assert pid not in text
    assert ax.get_xlabel() == "Months since start of first line"


def test_sorted_by_total_follow_up_and_ids_on_request(lines):
    # Follow-up from the first line: 003 2253 d, 001 2129 d, 002 1993 d, 004 1461 d.
    ax = swimmer(lines, show_ids=True)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["003", "001", "002", "004"]
    ax = swimmer(lines, show_ids=True, sort_by="n_lines")
    assert [t.get_text() for t in ax.get_yticklabels()] == ["001", "002", "004", "003"]
    ax = swimmer(lines, show_ids=True, sort_by="first_line")
    # first-line DoT: 001 1110 d, 002 792 d, 003 212 d, 004 184 d
    assert [t.get_text() for t in ax.get_yticklabels()] == ["001", "002", "003", "004"]
    ax = swimmer(lines.iloc[::-1], show_ids=True, sort_by="input")
    assert [t.get_text() for t in ax.get_yticklabels()] == ["004", "003", "002", "001"]


def test_segments_come_from_dot_months_and_combinations_are_striped(lines):
    ax = swimmer(lines, show_ids=True, sort_by="input")
    rects = ax.patches
    # 9 lines, one of them a two-class combination (octreotide LAR + TACE)
    assert len(rects) == 10
    case = lines[lines["patient_id"] == "001"]
    offsets = _offsets(lines, "001")
    row_y = 0.0  # patient 001 is first in input order
    mine = sorted(
        (r for r in rects if abs(r.get_y() + r.get_height() / 2 - row_y) < 0.5),
        key=lambda r: (r.get_x(), r.get_y()),
    )
    assert len(mine) == 4
    expected = [
        (offsets.iloc[0], case["dot_months"].iloc[0]),
        (offsets.iloc[0], case["dot_months"].iloc[0]),
        (offsets.iloc[1], case["dot_months"].iloc[1]),
        (offsets.iloc[2], case["dot_months"].iloc[2]),
    ]
    for rect, (left, width) in zip(mine, expected, strict=True):
        assert rect.get_x() == pytest.approx(left, rel=1e-12)
        assert rect.get_width() == pytest.approx(width, rel=1e-12)
    colors = {tuple(np.round(r.get_facecolor()[:3], 4)) for r in mine[:2]}
    assert len(colors) == 2  # SSA and liver-directed stripes
    # the two stripes fill the bar height together
    assert mine[0].get_height() + mine[1].get_height() == pytest.approx(0.7)


def test_markers_progression_death_ongoing_response(lines):
    ax = swimmer(lines, show_ids=True, sort_by="input")
    order = {"001": 0, "002": 1, "003": 2, "004": 3}
    expected_prog = []
    for pid, y in order.items():
        rows = lines[lines["patient_id"] == pid]
        offs = _offsets(lines, pid)
        hit = rows["pfs_event"].fillna(False).to_numpy(bool) & rows["pfs_reason"].eq(
            "progression"
        ).to_numpy(bool)
        expected_prog += [(x, y) for x in (offs + rows["pfs_months"])[hit]]
    got = _marker(ax, "progression")
    np.testing.assert_allclose(
        np.array(sorted(map(tuple, got))), np.array(sorted(expected_prog)), rtol=1e-12
    )
    # deaths: 002 and 004, at the end of follow-up (OS from the first line)
    deaths = _marker(ax, "death")
    assert sorted(deaths[:, 1]) == [1.0, 3.0]
    first_004 = lines[(lines["patient_id"] == "004") & (lines["line"] == 1)].iloc[0]
    assert deaths[deaths[:, 1] == 3.0, 0][0] == pytest.approx(first_004["os_months"])
    # the only ongoing line: everolimus of 001, arrow at the end of its segment
    ongoing = _marker(ax, "ongoing")
    evero = lines[(lines["patient_id"] == "001") & (lines["line"] == 3)].iloc[0]
    np.testing.assert_allclose(
        ongoing, [[_offsets(lines, "001").iloc[2] + evero["dot_months"], 0.0]], rtol=1e-12
    )
    # best response PR (3 lines), drawn at segment middles; no CR in the data
    assert len(_marker(ax, "PR")) == 3
    assert len(_marker(ax, "CR")) == 0
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert {
        "SSA",
        "Liver-directed",
        "Death",
        "Ongoing",
        "Best response: partial response",
    } <= set(legend)
    assert "Best response: complete response" not in legend
    ax = swimmer(lines, responses=("SD",), legend=False)
    assert len(_marker(ax, "SD")) == 5 and len(_marker(ax, "PR")) == 0
    assert ax.get_legend() is None


def test_origin_diagnosis_places_lines_at_months_since_diagnosis(lines):
    ax = swimmer(lines, origin="diagnosis", show_ids=True, sort_by="input")
    first = lines[(lines["patient_id"] == "001") & (lines["line"] == 1)].iloc[0]
    lefts = sorted(r.get_x() for r in ax.patches if abs(r.get_y() + r.get_height() / 2) < 0.5)
    assert lefts[0] == pytest.approx(first["months_since_diagnosis"])
    assert ax.get_xlabel() == "Months since diagnosis"


def test_max_patients_and_given_axes(lines):
    import matplotlib.pyplot as plt

    _, ax = plt.subplots()
    out = swimmer(lines, ax=ax, max_patients=2)
    assert out is ax
    assert [t.get_text() for t in ax.get_yticklabels()] == ["1", "2"]
    assert ax.get_title() == "2 of 4 patients shown (sorted by total)"
    assert ax.get_ylim() == (1.5, -0.5)


def test_colors_can_be_overridden(lines):
    ax = swimmer(lines, colors={"TKI": "#000000"})
    blacks = [r for r in ax.patches if tuple(r.get_facecolor()[:3]) == (0.0, 0.0, 0.0)]
    assert len(blacks) == 1  # surufatinib
    assert set(DRUG_CLASS_COLORS) >= {"SSA", "TKI", "PRRT"}


def test_input_not_modified(lines):
    before = lines.copy()
    swimmer(lines)
    pd.testing.assert_frame_equal(lines, before)


def test_errors(lines):
    with pytest.raises(TypeError, match="DataFrame"):
        swimmer(lines.to_dict())  # type: ignore[arg-type]
    with pytest.raises(SchemaError, match="dot_months"):
        swimmer(lines.drop(columns="dot_months"))
    with pytest.raises(SchemaError, match="months_since_diagnosis"):
        swimmer(lines.drop(columns="months_since_diagnosis"), origin="diagnosis")
    with pytest.raises(ValueError, match="no rows"):
        swimmer(lines.iloc[:0])
    with pytest.raises(ValueError, match="sort_by"):
        swimmer(lines, sort_by="age")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="origin"):
        swimmer(lines, origin="birth")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="max_patients"):
        swimmer(lines, max_patients=0)
    with pytest.raises(ValueError, match="responses"):
        swimmer(lines, responses=("VGPR",))


def _random_cohort(n: int, rng: np.random.Generator) -> Cohort:
    base = pd.Timestamp("2012-01-01")
    regimens = ["lanreotide", "everolimus", "sunitinib", "CAPTEM", "177Lu-DOTATATE"]
    patients, rows = [], []
    for i in range(n):
        pid = f"R{i:03d}"
        t = int(rng.integers(0, 1000))
        dx, latest = t, t
        k = int(rng.integers(1, 4))
        for j in range(k):
            length = int(rng.integers(30, 700))
            ongoing = j == k - 1 and rng.random() < 0.3
            reason = None if ongoing else ("progression" if rng.random() < 0.7 else "toxicity")
            end = t + length
            rows.append(
                {
                    "patient_id": pid,
                    "line": j + 1,
                    "regimen": str(rng.choice(regimens)),
                    "start_date": base + pd.Timedelta(days=t),
                    "end_date": None if ongoing else base + pd.Timedelta(days=end),
                    "end_reason": "ongoing" if ongoing else reason,
                    "progression_date": base + pd.Timedelta(days=end)
                    if reason == "progression"
                    else None,
                    "best_response": str(rng.choice(["PR", "SD", "PD"])),
                    "last_assessment_date": base + pd.Timedelta(days=end),
                }
            )
            latest = end
            t = end + int(rng.integers(1, 60))
        last = latest + int(rng.integers(0, 200))
        dead = (not ongoing) and rng.random() < 0.4
        patients.append(
            {
                "patient_id": pid,
                "age_at_diagnosis": 60,
                "diagnosis_date": base + pd.Timedelta(days=dx),
                "last_contact_date": base + pd.Timedelta(days=last),
                "death_date": base + pd.Timedelta(days=last) if dead else None,
            }
        )
    return Cohort.from_tables(pd.DataFrame(patients), None, pd.DataFrame(rows))


def test_two_hundred_patients_stay_readable(rng):
    frame = line_endpoints(_random_cohort(200, rng))
    ax = swimmer(frame)
    labels = ax.get_yticklabels()
    assert 20 <= len(labels) <= 40  # thinned tick labels
    assert labels[0].get_text() == "1" and ax.get_ylim() == (199.5, -0.5)
    width, height = ax.figure.get_size_inches()
    assert height <= 14.0
    drawn = len(ax.patches)
    assert drawn == frame["dot_months"].notna().sum()
    totals = []
    for pid, rows in frame.groupby("patient_id"):
        offs = _offsets(frame, pid)
        totals.append(max((offs + rows["os_months"]).max(), (offs + rows["dot_months"]).max()))
    assert ax.get_xlim()[1] >= max(totals)


def test_import_does_not_load_pyplot():
    code = "import sys, netstats.plots._swimmer; print('matplotlib.pyplot' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert out.stdout.strip() == "False"

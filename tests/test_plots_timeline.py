"""Each patient's course (course_events, course_lines) and its figures (timeline, trajectory).

Expected months are worked by hand from the dates of data/case_series (days between the
dates by the calendar, divided by 30.4375 days per month).
"""

from __future__ import annotations

import itertools
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from matplotlib.colors import to_hex

import netstats
from netstats import plots
from netstats.endpoints import EVENT_KINDS, course_events, course_lines, line_endpoints
from netstats.exceptions import SchemaError
from netstats.io import load_cohort, save_cohort

CASES = Path(__file__).resolve().parents[1] / "data" / "case_series"
MONTH = 30.4375


@pytest.fixture(scope="module")
def cohort():
    return load_cohort(CASES)


@pytest.fixture(scope="module")
def events(cohort):
    return course_events(cohort)


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def _rows(events, pid, kind):
    return events[(events["patient_id"] == pid) & (events["event"] == kind)]


# --- computation ----------------------------------------------------------------------------


def test_months_from_diagnosis_match_the_calendar(events):
    cs01_lines = _rows(events, "CS01", "line").set_index("line")
    # 2015-08-15 -> 2019-08-15: four years with the leap day of 2016 = 1461 days
    assert cs01_lines.loc[1, "months"] == pytest.approx(1461 / MONTH)
    # -> 2022-08-15 (leap days 2016 and 2020): 2557 days
    assert cs01_lines.loc[1, "end_months"] == pytest.approx(2557 / MONTH)
    assert _rows(events, "CS01", "progression")["months"].tolist() == pytest.approx([2557 / MONTH])
    # line 4 is ongoing: no end, and the last contact 2025-05-15 is 3561 days after diagnosis
    assert pd.isna(cs01_lines.loc[4, "end_months"]) and bool(cs01_lines.loc[4, "ongoing"])
    assert _rows(events, "CS01", "last_contact")["months"].tolist() == pytest.approx([3561 / MONTH])
    # CS02: 2012-02-15 -> 2014-02-15 crosses 29 February 2012: 731 days
    first_scan = _rows(events, "CS02", "scan").iloc[0]
    assert first_scan["months"] == pytest.approx(731 / MONTH)
    assert (first_scan["tracer"], first_scan["suvmax_lesion"]) == ("68Ga-DOTANOC", 80.5)
    # CS03: CAPTEM from 2000-01-15, 14 days after the (placeholder) diagnosis, to 2000-07-01
    captem = _rows(events, "CS03", "line").iloc[0]
    assert (captem["months"], captem["end_months"]) == pytest.approx((14 / MONTH, 182 / MONTH))


def test_one_row_per_event_with_grades_and_labels(cohort, events):
    counts = events.groupby(["patient_id", "event"]).size()
    assert counts[("CS01", "line")] == 4 and counts[("CS02", "scan")] == 6
    assert counts[("CS02", "progression")] == 1
    assert (events["event"] == "diagnosis").sum() == cohort.n_patients
    assert not (events["event"] == "death").any()  # nobody in the series died
    spec = _rows(events, "CS01", "specimen").set_index("site")
    # Ki-67 5 % is G2, the liver biopsy's 2 % is G1 (WHO 2019: G2 from 3 %)
    assert spec.loc["primary", "who_grade"] == "G2" and spec.loc["liver", "who_grade"] == "G1"
    assert _rows(events, "CS03", "scan")["label"].tolist() == [
        "68Ga-DOTATATE, Krenning 1, SUVmax 9.09",
        "68Ga-DOTATATE, Krenning 3, SUVmax 11.47",
    ]
    assert set(events["event"]) <= set(EVENT_KINDS)


def test_events_are_in_time_order_with_ties_in_kind_order(cohort, events):
    assert list(pd.unique(events["patient_id"])) == ["CS01", "CS02", "CS03"]
    for _, rows in events.groupby("patient_id"):
        assert rows["months"].is_monotonic_increasing
        assert rows["event"].iloc[0] == "diagnosis"
    # CS03 at month 0: diagnosis, then the specimen, then the baseline scan
    first = events[events["patient_id"] == "CS03"].head(3)
    assert first["event"].tolist() == ["diagnosis", "specimen", "scan"]


def test_death_replaces_last_contact(cohort, tmp_path):
    folder = save_cohort(cohort, tmp_path / "cases")
    patients = pd.read_csv(folder / "patients.csv", dtype=str)
    patients.loc[patients["patient_id"] == "CS02", "death_date"] = "2019-10-15"
    patients.to_csv(folder / "patients.csv", index=False)
    events = course_events(load_cohort(folder), patients=["CS02"])
    assert "last_contact" not in set(events["event"])
    death = events[events["event"] == "death"]
    # 2012-02-15 -> 2019-10-15: 2799 days
    assert death["months"].tolist() == pytest.approx([2799 / MONTH])
    assert events["event"].iloc[-1] == "death"


def test_course_lines_dates_from_diagnosis_and_pfs(cohort):
    lines = course_lines(cohort, line_endpoints(cohort))
    assert len(lines) == len(cohort.therapy_lines)
    cs02 = lines[lines["patient_id"] == "CS02"].set_index("line")
    # lanreotide 2016-02-15 (1461 days) to 2017-03-15 (1855 days); progression 2017-01-15
    assert cs02.loc[1, "start_months"] == pytest.approx(1461 / MONTH)
    assert cs02.loc[1, "end_months"] == pytest.approx(1855 / MONTH)
    assert cs02.loc[1, "pfs_months"] == pytest.approx(335 / MONTH)
    assert bool(cs02.loc[1, "pfs_event"])
    assert cs02.loc[2, "cycles"] == 4
    cs01 = lines[lines["patient_id"] == "CS01"].set_index("line")
    assert pd.isna(cs01.loc[4, "end_months"]) and cs01.loc[4, "end_reason"] == "ongoing"


def test_bad_inputs(cohort):
    with pytest.raises(TypeError, match="Cohort"):
        course_events(cohort.patients)
    with pytest.raises(TypeError, match="single string"):
        course_events(cohort, patients="CS01")
    with pytest.raises(ValueError, match="CS99"):
        course_lines(cohort, line_endpoints(cohort), patients=["CS01", "CS99"])
    with pytest.raises(SchemaError, match="line_endpoints"):
        course_lines(cohort, cohort.therapy_lines)


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**31 - 1))
def test_simulated_courses_are_ordered_and_lines_end_after_they_start(seed):
    cohort = netstats.simulate_cohort(n_patients=25, seed=seed)
    events = course_events(cohort)
    assert (events["event"] == "diagnosis").sum() == cohort.n_patients
    for _, rows in events.groupby("patient_id", sort=False):
        assert rows["months"].is_monotonic_increasing
    lines = events[events["event"] == "line"].dropna(subset=["end_months"])
    assert (lines["end_months"] >= lines["months"]).all()
    assert len(events[events["event"] == "line"]) == len(cohort.therapy_lines)


# --- figures --------------------------------------------------------------------------------


def _bars(ax):
    return {p.get_gid(): p for p in ax.patches if (p.get_gid() or "").startswith("timeline-line")}


def test_one_panel_per_patient_with_bars_at_the_line_dates(events):
    axes = plots.patient_timeline(events)
    assert [ax.get_title(loc="left") for ax in axes] == ["CS01", "CS02", "CS03"]
    for ax, pid in zip(axes, ["CS01", "CS02", "CS03"], strict=True):
        bars = _bars(ax)
        for _, row in _rows(events, pid, "line").iterrows():
            bar = bars[f"timeline-line-{pid}-{row['line']}"]
            assert bar.get_x() == pytest.approx(row["months"])
            if not pd.isna(row["end_months"]):
                assert bar.get_x() + bar.get_width() == pytest.approx(row["end_months"])
        scans = [ln for ln in ax.get_lines() if ln.get_gid() == f"timeline-scan-{pid}"]
        assert sorted(float(ln.get_xdata()[0]) for ln in scans) == pytest.approx(
            sorted(_rows(events, pid, "scan")["months"])
        )
    # bars run left to right in line order
    starts = [b.get_x() for _, b in sorted(_bars(axes[0]).items())]
    assert starts == sorted(starts)
    prog = [ln for ln in axes[0].get_lines() if ln.get_gid() == "timeline-progression-CS01"]
    assert prog[0].get_xdata().tolist() == pytest.approx([2557 / MONTH])


def test_drug_classes_have_distinct_colours(events):
    axes = plots.patient_timeline(events)
    fig = axes[0].figure
    (legend,) = fig.legends
    patches = {
        t.get_text(): to_hex(h.get_facecolor())
        for t, h in zip(legend.get_texts(), legend.legend_handles, strict=True)
        if hasattr(h, "get_facecolor") and not hasattr(h, "get_marker")
    }
    assert {"SSA", "TKI", "mTOR inhibitor", "PRRT", "chemotherapy"} <= set(patches)
    assert len(set(patches.values())) == len(patches)


def test_no_text_overlaps_in_the_timeline(events):
    axes = plots.patient_timeline(events)
    fig = axes[0].figure
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    texts = [t for ax in axes for t in ax.texts if t.get_text()]
    texts += [ax.title for ax in axes]
    assert len(texts) >= len(events) - 3  # every line, scan and specimen is labelled
    boxes = [t.get_window_extent(renderer) for t in texts]
    for (i, a), (j, b) in itertools.combinations(enumerate(boxes), 2):
        assert not a.overlaps(b), (texts[i].get_text(), texts[j].get_text())
    legend = fig.legends[0].get_window_extent(renderer)
    for ax in axes:
        assert not legend.overlaps(ax.get_window_extent(renderer))
    # no label covers a marker, and every label lies inside the figure
    from netstats.plots._timeline import _marker_boxes

    markers = [m for ax in axes for m in _marker_boxes(ax)]
    page = fig.bbox
    for text, box in zip(texts, boxes, strict=True):
        assert not any(box.overlaps(m) for m in markers), text.get_text()
        assert page.x0 <= box.x0 and box.x1 <= page.x1, text.get_text()
        assert page.y0 <= box.y0 and box.y1 <= page.y1, text.get_text()


def test_timeline_bad_inputs(events):
    with pytest.raises(TypeError, match="course_events"):
        plots.patient_timeline(events.to_dict())
    with pytest.raises(SchemaError, match="label"):
        plots.patient_timeline(events.drop(columns="label"))
    with pytest.raises(ValueError, match="CS99"):
        plots.patient_timeline(events, patients=["CS99"])


def test_trajectory_lines_per_patient_markers_per_tracer(events):
    scans = events[(events["event"] == "scan") & events["suvmax_lesion"].notna()]
    ax = plots.trajectory(scans, x="months", y="suvmax_lesion", marker_by="tracer")
    drawn = [ln for ln in ax.get_lines() if not ln.get_label().startswith("_")]
    assert [ln.get_label() for ln in drawn] == ["CS01", "CS02", "CS03"]
    colours = {ln.get_label(): ln.get_color() for ln in ax.get_lines()}
    assert len(set(colours.values())) == 3
    # each line joins one tracer's scans: CS02's FDG scan is not joined to its DOTANOC scans
    by_marker = {(ln.get_color(), ln.get_marker()): ln for ln in ax.get_lines()}
    cs02 = colours["CS02"]
    assert by_marker[(cs02, "s")].get_ydata().tolist() == [80.5, 21.3, 108.0]
    assert by_marker[(cs02, "o")].get_ydata().tolist() == [7.6]
    # DOTATATE has the same marker as in the timeline legend
    assert by_marker[(colours["CS01"], "D")].get_ydata().tolist() == [18.76, 83.08]


def test_trajectory_bands_show_the_next_grade():
    frame = pd.DataFrame({"patient_id": ["A", "A"], "months": [0.0, 6.0], "ki67": [5.0, 15.0]})
    ax = plots.trajectory(
        frame, x="months", y="ki67", bands={"G1": (0, 3), "G2": (3, 20), "G3": (20, 100)}
    )
    low, high = ax.get_ylim()
    assert low == 0 and 20 < high < 30
    assert [t.get_text().strip() for t in ax.texts] == ["G1", "G2", "G3"]


def test_trajectory_bad_inputs():
    frame = pd.DataFrame({"patient_id": ["A"], "months": [np.nan], "y": [1.0]})
    with pytest.raises(ValueError, match="no row"):
        plots.trajectory(frame, x="months", y="y")
    with pytest.raises(SchemaError, match="tracer"):
        plots.trajectory(frame, x="months", y="y", marker_by="tracer")
    many = pd.DataFrame({"patient_id": [str(i) for i in range(12)], "months": 0.0, "y": 1.0})
    with pytest.raises(ValueError, match="distinct colours"):
        plots.trajectory(many, x="months", y="y")


def test_trajectory_legend_clear_of_the_band_labels(events):
    specimens = events[events["event"] == "specimen"]
    bands = {"G1 <3%": (0.0, 3.0), "G2 3-20%": (3.0, 20.0), "G3 >20%": (20.0, 100.0)}
    ax = plots.trajectory(specimens, x="months", y="ki67_percent", bands=bands)
    fig = ax.figure
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    legend = ax.get_legend().get_window_extent(renderer)
    labels = [t for t in ax.texts if t.get_text().strip() in bands]
    assert len(labels) >= 2
    for text in labels:
        assert not legend.overlaps(text.get_window_extent(renderer)), text.get_text()

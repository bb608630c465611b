"""Every public result object shows a title, a one-line method and its table, as text and HTML.

The classes are found by walking the ``__all__`` of netstats and its subpackages, so a new
result class fails here until it inherits :class:`netstats._display.ResultDisplay` and has a
builder below.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import warnings
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import netstats
from netstats import design, endpoints, grading, report, resample, sstr, survival, tables
from netstats._display import LINE_WIDTH, ResultDisplay, format_display_number

# Public classes with a table-like face that are deliberately not results: the cohort and
# its attrition log are mutable containers (the cohort's summary carries exact dates, which
# a rendered report must not show), and the report's table/figure outputs are themselves
# display wrappers for the notebook pages.
NOT_RESULTS = {"AttritionLog", "Cohort", "TableOutput", "FigureOutput"}


def public_classes() -> dict[str, type]:
    """Every class named in an ``__all__`` of netstats or one of its public modules."""
    found: dict[str, type] = {}
    modules = [netstats]
    for info in pkgutil.walk_packages(netstats.__path__, "netstats."):
        if not any(part.startswith("_") for part in info.name.split(".")[1:]):
            modules.append(importlib.import_module(info.name))
    for mod in modules:
        for name in getattr(mod, "__all__", []):
            obj = getattr(mod, name)
            if inspect.isclass(obj) and obj.__module__.startswith("netstats"):
                found[obj.__name__] = obj
    return found


PUBLIC = public_classes()
RESULT_CLASSES = sorted(
    (c for c in PUBLIC.values() if issubclass(c, ResultDisplay)), key=lambda c: c.__name__
)


# ----------------------------------------------------------------------------- builders
@pytest.fixture(scope="module")
def data() -> dict[str, Any]:
    cohort = netstats.simulate_cohort(n_patients=60, seed=1)
    lines = endpoints.line_endpoints(cohort)
    lines["age_band"] = np.where(lines["age_at_line_start"] < 65, "<65", ">=65")
    rng = np.random.default_rng(3)
    competing = pd.DataFrame(
        {
            "time": rng.exponential(10, 120),
            "status": rng.choice([0, 1, 2], 120, p=[0.3, 0.4, 0.3]),
            "arm": rng.choice(["<a>", "b&c"], 120),
        }
    )
    ds = sstr.sstr_dataset(cohort)
    pairs = grading.build_pairs(cohort.pathology)
    return {"cohort": cohort, "lines": lines, "competing": competing, "ds": ds, "pairs": pairs}


def _pfs(d: dict[str, Any], **kw: Any) -> dict[str, Any]:
    return {"time": "pfs_months", "event": "pfs_event", **kw}


def _cox(d: dict[str, Any]) -> Any:
    return survival.cox(d["lines"], "C(age_band) + ki67_percent", cluster="patient_id", **_pfs(d))


def _ki67(d: dict[str, Any]) -> pd.DataFrame:
    return d["lines"].query("line == 1").dropna(subset=["ki67_percent"])


BUILDERS: dict[str, Callable[[dict[str, Any]], Any]] = {
    # survival
    "CoxResult": _cox,
    "KaplanMeierResult": lambda d: survival.kaplan_meier(d["lines"], group="age_band", **_pfs(d)),
    "LogrankResult": lambda d: survival.logrank(d["lines"], group="age_band", **_pfs(d)),
    "RMSTResult": lambda d: survival.rmst(d["lines"], group="age_band", tau=12.0, **_pfs(d)),
    "AdjustedRMSTResult": lambda d: survival.rmst_adjusted(
        d["lines"], group="age_band", covariates=["line"], tau=12.0, **_pfs(d)
    ),
    "LandmarkResult": lambda d: survival.landmark(d["lines"], landmark_time=6.0, **_pfs(d)),
    "ZphResult": lambda d: survival.cox_zph(_cox(d), warn=False),
    "CoxSurvivalResult": lambda d: survival.predict_survival(_cox(d), d["lines"].head(2)),
    "AdjustedSurvivalResult": lambda d: survival.adjusted_survival(
        _cox(d), d["lines"], group="age_band", times=[6.0, 12.0]
    ),
    "FineGrayResult": lambda d: survival.fine_gray(
        d["competing"], "C(arm)", time="time", event="status"
    ),
    "CumulativeIncidenceResult": lambda d: survival.cumulative_incidence(
        d["competing"], event="status", group="arm"
    ),
    "GrayTestResult": lambda d: survival.gray_test(d["competing"], event="status", group="arm"),
    # grading
    "KappaResult": lambda d: grading.cohen_kappa([[8, 2, 0], [1, 6, 2], [0, 1, 5]]),
    "SquareTableTest": lambda d: grading.bowker_test([[8, 2, 0], [1, 6, 2], [0, 1, 5]]),
    "PairSet": lambda d: d["pairs"],
    "ConcordanceResult": lambda d: grading.concordance(d["pairs"]),
    "BlandAltmanResult": lambda d: grading.bland_altman([2.0, 5, 10, 1.5], [3.0, 6, 9, 2.5]),
    "ICCResult": lambda d: grading.icc_raters(
        pd.DataFrame({"a": [9.0, 6, 8, 7, 10], "b": [2.0, 1, 4, 1, 5], "c": [5.0, 3, 6, 2, 6]})
    ),
    "CutpointResult": lambda d: grading.ki67_cutpoint(_ki67(d), **_pfs(d)),
    "Ki67HazardResult": lambda d: grading.ki67_hazard(_ki67(d), **_pfs(d)),
    "DiscordanceModelResult": lambda d: grading.discordance_model(d["pairs"], covariates=[]),
    "Ki67TrajectoryResult": lambda d: grading.ki67_trajectory_model(
        d["cohort"].pathology, random_slope=False
    ),
    # sstr
    "AUCResult": lambda d: sstr.auroc_delong([0, 0, 1, 1, 0, 1], [0.1, 0.4, 0.35, 0.8, 0.2, 0.9]),
    "DeLongTestResult": lambda d: sstr.delong_test(
        [0, 0, 1, 1, 0, 1], [0.1, 0.4, 0.35, 0.8, 0.2, 0.9], [0.2, 0.3, 0.5, 0.6, 0.4, 0.7]
    ),
    "CalibrationResult": lambda d: sstr.calibration(
        [0, 0, 1, 1, 0, 1, 1, 0], [0.1, 0.4, 0.35, 0.8, 0.2, 0.9, 0.6, 0.5]
    ),
    "SSTRDataset": lambda d: d["ds"],
    "NestedCVResult": lambda d: sstr.nested_cv(
        d["ds"].X, d["ds"].y, n_outer=3, n_inner=3, n_repeats=1, rule=d["ds"].rule, progress=False
    ),
    "OptimismResult": lambda d: sstr.bootstrap_optimism(
        d["ds"].X, d["ds"].y, n_boot=2, n_inner=2, rule=d["ds"].rule, progress=False
    ),
    "SSTRModel": lambda d: sstr.fit_classifier(d["ds"], validation="none", progress=False),
    "ScanTrajectory": lambda d: sstr.scan_trajectory(
        d["cohort"], d["cohort"].imaging["patient_id"].iloc[0]
    ),
    # resample, design, tables, report
    "BootstrapResult": lambda d: resample.bootstrap_km_median(
        d["lines"], n_resamples=20, random_state=1, **_pfs(d)
    ),
    "SampleSizeResult": lambda d: design.sample_size_survival(
        0.5, power=0.9, control_median=12, accrual=24, follow_up=12
    ),
    "PowerResult": lambda d: design.simulate_power(
        design.ExponentialTrial(60, 0.5, 12.0, 12.0, 12.0), n_sims=10, random_state=1
    ),
    "TableOneResult": lambda d: tables.table_one(
        d["lines"], columns=["ki67_percent", "drug_class"], group="age_band"
    ),
    "Provenance": lambda d: report.provenance(None, seeds={"bootstrap": 1}),
    "RenderResult": lambda d: report.RenderResult(
        out=Path("reports/x<y>"),
        index=Path("reports/x<y>/index.html"),
        notebooks=["01_cohort_overview"],
        rendered_at="2026-01-01T00:00:00Z",
    ),
}


@pytest.fixture(scope="module")
def instances(data: dict[str, Any]) -> dict[str, Any]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # small-sample StatisticalWarnings are not the point
        return {name: build(data) for name, build in BUILDERS.items()}


# ----------------------------------------------------------------------------- checks
class _WellFormed(HTMLParser):
    """Fails on unbalanced tags or on a raw ``<``/``>`` in text (an unescaped label)."""

    VOID = {"br", "hr", "img", "meta", "input", "col", "wbr"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.stack: list[str] = []
        self.errors: list[str] = []

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
        else:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        if "<" in data or ">" in data:
            self.errors.append(f"unescaped text {data!r}")


def check_html(text: str) -> None:
    parser = _WellFormed()
    parser.feed(text)
    parser.close()
    assert not parser.errors, parser.errors
    assert not parser.stack, f"unclosed tags {parser.stack}"


def test_every_public_result_class_uses_the_shared_display() -> None:
    table_like = {
        name
        for name, cls in PUBLIC.items()
        if any(hasattr(cls, a) for a in ("to_frame", "summary", "_repr_html_"))
    }
    not_shared = table_like - {c.__name__ for c in RESULT_CLASSES} - NOT_RESULTS
    assert not not_shared, f"result classes without ResultDisplay: {sorted(not_shared)}"
    assert len(RESULT_CLASSES) >= 32
    assert set(BUILDERS) == {c.__name__ for c in RESULT_CLASSES}


@pytest.mark.parametrize("cls", RESULT_CLASSES, ids=lambda c: c.__name__)
def test_result_display(cls: type, instances: dict[str, Any]) -> None:
    obj = instances[cls.__name__]
    assert type(obj) is cls
    # the dataclass machinery must not have replaced the shared methods (repr=False)
    assert cls.__repr__ is ResultDisplay.__repr__
    assert cls._repr_html_ is ResultDisplay._repr_html_

    method = obj.method
    assert isinstance(method, str) and method.strip() and "\n" not in method
    assert any(ch.isdigit() for ch in method), method  # sizes or levels, not just a name

    frame = obj.to_frame()
    assert isinstance(frame, pd.DataFrame)
    before = frame.copy()

    text = repr(obj)
    lines = text.splitlines()
    assert lines[0] == (cls._display_title or cls.__name__)
    assert lines[1] == method
    assert len(lines) >= 3  # the table
    assert max(len(line) for line in lines[2:]) <= LINE_WIDTH + 20

    html = obj._repr_html_()
    check_html(html)
    assert "<table" in html
    # displaying never changes (rounds) the stored numbers
    pd.testing.assert_frame_equal(obj.to_frame(), before)


def test_labels_with_angle_brackets_are_escaped(instances: dict[str, Any]) -> None:
    km = instances["KaplanMeierResult"]._repr_html_()
    assert "&lt;65" in km and "&gt;=65" in km and "<65" not in km
    assert "&gt;=65" in instances["CoxResult"]._repr_html_()
    assert "&lt;a&gt;" in instances["CumulativeIncidenceResult"]._repr_html_()
    # the SSTR rule name travels in the method line and is escaped there
    assert "krenning&gt;=3" in instances["SSTRDataset"]._repr_html_()
    assert "x&lt;y&gt;" in instances["RenderResult"]._repr_html_()
    # plain text keeps the labels as they are
    assert "<65" in repr(instances["KaplanMeierResult"])


def test_method_lines_name_the_choices(instances: dict[str, Any]) -> None:
    cox = instances["CoxResult"]
    assert cox.method.startswith("Cox PH, Efron ties, robust SE clustered on patient_id, ")
    assert f"{cox.n} lines / {cox.n_clusters} patients, {cox.n_events} events" in cox.method
    km = instances["KaplanMeierResult"]
    assert "2 groups by age_band" in km.method and "(log transform)" in km.method
    assert "log-rank test (equal weights)" in instances["LogrankResult"].method
    assert "kappa (unweighted)" in instances["KappaResult"].method
    assert "analytic CIs" in instances["ConcordanceResult"].method
    assert "20 resamples" in instances["BootstrapResult"].method
    assert "88 events, 145 patients" in instances["SampleSizeResult"].method


def test_shared_display_escapes_everything() -> None:
    from dataclasses import dataclass

    @dataclass(frozen=True, repr=False)
    class Toy(ResultDisplay):
        _display_title = "T<i>tle"

        @property
        def method(self) -> str:
            return "m<b>ethod & co"

        def to_frame(self) -> pd.DataFrame:
            frame = pd.DataFrame({"x<y": ["<script>", "a&b"], "v": [1 / 3, np.nan]})
            return frame.set_index(pd.Index(["<r1>", "r2"], name="i<j"))

    html = Toy()._repr_html_()
    check_html(html)
    for raw in ("<i>", "<b>", "<script>", "<r1>", "x<y", "i<j"):
        assert raw not in html
    assert "T&lt;i&gt;tle" in html and "m&lt;b&gt;ethod &amp; co" in html
    assert "0.3333" in html and "NaN" in html
    assert repr(Toy()).splitlines()[:2] == ["T<i>tle", "m<b>ethod & co"]


def test_long_tables_are_cut_with_their_size() -> None:
    from dataclasses import dataclass

    @dataclass(frozen=True, repr=False)
    class Long(ResultDisplay):
        @property
        def method(self) -> str:
            return "100 rows"

        def to_frame(self) -> pd.DataFrame:
            return pd.DataFrame({"v": np.arange(100.0)})

    assert "[100 rows x 1 columns]" in repr(Long())
    html = Long()._repr_html_()
    assert html.count("<tr>") < 30 and "100 rows" in html


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (0.123456, "0.1235"),
        (1234.5, "1234"),
        (98765.4, "98765"),
        (3.2e-7, "3.2e-07"),
        (-2.5, "-2.5"),
        (0.0, "0"),
        (float("nan"), "NaN"),
        (float("-inf"), "-inf"),
    ],
)
def test_display_number_format(value: float, shown: str) -> None:
    assert format_display_number(value) == shown

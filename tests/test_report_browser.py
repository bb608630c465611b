"""Rendered reports in a real browser (headless Chromium) and render-to-render determinism.

Chromium is Debian's ``chromium`` package (installed by the CI script).  The browser check
loads copies of the pages with a small probe script added at the top of ``<head>``: it
records script errors and, after the load event, every image that failed to decode; the
result is read back from the DOM (``--dump-dom``).  Console messages are also read from
Chromium's log.  Screenshots of the original pages are taken as well.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from netstats.report import render
from tests._report_cohort import write_replicated

ANALYSES = Path(__file__).resolve().parents[1] / "analyses"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--enable-logging=stderr",
    "--log-level=0",
    "--virtual-time-budget=10000",
    "--window-size=1280,1600",
]
PROBE = """<script>
window.__errors = [];
window.addEventListener("error", function (e) {
  window.__errors.push(String(e.message || (e.target && (e.target.src || e.target.href))));
}, true);
window.addEventListener("unhandledrejection", function (e) {
  window.__errors.push("unhandled rejection: " + String(e.reason));
});
var __ce = console.error;
console.error = function () {
  window.__errors.push(Array.prototype.join.call(arguments, " "));
  __ce.apply(console, arguments);
};
window.addEventListener("load", function () {
  var imgs = Array.prototype.slice.call(document.images);
  var broken = imgs.filter(function (i) { return !(i.complete && i.naturalWidth > 0); });
  document.documentElement.setAttribute("data-probe", JSON.stringify({
    n_images: imgs.length,
    broken: broken.map(function (i) { return i.getAttribute("src").slice(0, 60); }),
    errors: window.__errors
  }));
});
</script>"""


def _chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        pytest.fail("Chromium is required: apt-get install -y chromium")
    return path


def _run(args: list[str], tmp: Path) -> subprocess.CompletedProcess[str]:
    profile = tmp / f"profile-{len(list(tmp.glob('profile-*')))}"
    return subprocess.run(
        [_chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _probe(page: Path, tmp: Path) -> tuple[dict, list[str]]:
    probed = page.with_name(page.stem + ".probe.html")
    html = page.read_text(encoding="utf-8")
    probed.write_text(re.sub(r"<head[^>]*>", lambda m: m.group(0) + PROBE, html, count=1))
    try:
        done = _run(["--dump-dom", probed.as_uri()], tmp)
    finally:
        probed.unlink()
    match = re.search(r'data-probe="([^"]*)"', done.stdout)
    assert match, f"probe did not run on {page.name}: {done.stderr[-2000:]}"
    result = json.loads(match.group(1).replace("&quot;", '"').replace("&amp;", "&"))
    console = [line for line in done.stderr.splitlines() if ":CONSOLE" in line]
    return result, console


@pytest.fixture(scope="module")
def replicated_report(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("browser")
    data = write_replicated(root / "cohort")
    out = root / "reports"
    render(ANALYSES, data=data, out=out, only="03", progress=False)
    return out


def test_index_and_report_in_chromium(replicated_report, tmp_path):
    index = replicated_report / "index.html"
    report = replicated_report / "03_ki67_grade" / "03_ki67_grade_nocode.html"
    for page, min_images in [(index, 1), (report, 1)]:
        result, console = _probe(page, tmp_path)
        assert result["n_images"] >= min_images, page.name
        assert result["broken"] == [], f"broken images on {page.name}: {result['broken']}"
        assert result["errors"] == [], f"script errors on {page.name}: {result['errors']}"
        assert console == [], f"console messages on {page.name}: {console}"
        shot = tmp_path / f"{page.stem}.png"
        done = _run([f"--screenshot={shot}", page.as_uri()], tmp_path)
        assert shot.is_file() and shot.stat().st_size > 20_000, done.stderr[-2000:]
        assert shot.read_bytes().startswith(b"\x89PNG")


def _normalise(text: str, stamp: str) -> str:
    return text.replace(stamp, "<timestamp>")


@pytest.mark.slow
def test_two_renders_identical_apart_from_timestamp(tmp_path):
    data = write_replicated(tmp_path / "cohort")
    first = render(ANALYSES, data=data, out=tmp_path / "a", progress=False)
    second = render(ANALYSES, data=data, out=tmp_path / "b", progress=False)
    files_a = sorted(p.relative_to(first.out) for p in first.out.rglob("*") if p.is_file())
    files_b = sorted(p.relative_to(second.out) for p in second.out.rglob("*") if p.is_file())
    assert files_a == files_b
    n_tables = 0
    for rel in files_a:
        a, b = first.out / rel, second.out / rel
        if rel.suffix == ".csv":
            n_tables += 1
            frame_a, frame_b = pd.read_csv(a), pd.read_csv(b)
            if rel.name == "provenance.csv":  # the render timestamp is recorded
                frame_a = frame_a[frame_a["item"] != "rendered at"]
                frame_b = frame_b[frame_b["item"] != "rendered at"]
            pd.testing.assert_frame_equal(frame_a, frame_b)
        elif rel.name == "report.json":  # file hashes: equal unless the file holds the stamp
            meta_a, meta_b = json.loads(a.read_text()), json.loads(b.read_text())
            assert [f["path"] for f in meta_a["files"]] == [f["path"] for f in meta_b["files"]]
            for fa, fb in zip(meta_a["files"], meta_b["files"], strict=True):
                if first.rendered_at not in (first.out / fa["path"]).read_bytes().decode(
                    "utf-8", "replace"
                ):
                    assert fa["sha256"] == fb["sha256"], fa["path"]
            for key in ("format", "kind", "netstats_version", "notebooks"):
                assert meta_a[key] == meta_b[key], key
            params_a, params_b = dict(meta_a["parameters"]), dict(meta_b["parameters"])
            assert params_a.pop("rendered_at") == first.rendered_at
            assert params_b.pop("rendered_at") == second.rendered_at
            assert params_a == params_b
        elif rel.suffix in (".html", ".ipynb", ".json"):
            assert _normalise(a.read_text(), first.rendered_at) == _normalise(
                b.read_text(), second.rendered_at
            ), rel
        else:  # PNG and SVG figures: byte for byte
            assert a.read_bytes() == b.read_bytes(), rel
    assert n_tables >= 10

"""Rendered reports in a real browser (headless Chromium) and render-to-render determinism.

Chromium is Debian's ``chromium`` package (installed by the CI script).  The browser check
loads copies of the pages with a small probe script added at the top of ``<head>``: it
records script errors and, after the load event, every image that failed to decode; the
result is read back from the DOM (``--dump-dom``).  Console messages are also read from
Chromium's log.

The page check looks at what a reader sees: a second probe records the page size and the
box of every image and table; a full-page screenshot (window as tall as the page) is then
analysed pixel by pixel (:mod:`tests._figure_checks`): each image region must show a
drawing (not blank or near-uniform) and match the image it displays (nothing drawn over
it), and no two images or tables may overlap.  Each figure is checked from its SVG for
legends lying on data lines and from its PNG for empty panels.  A self-test renders
deliberately bad figures and requires the checks to fail on them.
"""

from __future__ import annotations

import base64
import io
import json
import re
import shutil
import subprocess
import tempfile
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from netstats.report import render
from tests import _figure_checks as fc
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
    profile = tempfile.mkdtemp(prefix="profile-", dir=tmp)  # one per run, also in parallel
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


def _holds_stamp(path: Path, stamp: str) -> bool:
    """Whether a report file holds the render timestamp (inside a Word file's parts too)."""
    if path.suffix == ".docx":
        with zipfile.ZipFile(path) as z:
            return any(stamp.encode() in z.read(part) for part in z.namelist())
    return stamp in path.read_bytes().decode("utf-8", "replace")


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
                if not _holds_stamp(first.out / fa["path"], first.rendered_at):
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
        elif rel.suffix == ".docx":  # a zip: its parts, the stamp in the text normalised
            with zipfile.ZipFile(a) as za, zipfile.ZipFile(b) as zb:
                assert za.namelist() == zb.namelist(), rel
                for part in za.namelist():
                    pa, pb = za.read(part), zb.read(part)
                    if part.endswith((".xml", ".rels")):
                        pa = _normalise(pa.decode("utf-8"), first.rendered_at).encode()
                        pb = _normalise(pb.decode("utf-8"), second.rendered_at).encode()
                    assert pa == pb, f"{rel}: {part}"
        else:  # PNG and SVG figures: byte for byte
            assert a.read_bytes() == b.read_bytes(), rel
    assert n_tables >= 10


# --------------------------------------------------------------------------------------
# what the pages look like: screenshots and figure geometry
# --------------------------------------------------------------------------------------
LAYOUT_PROBE = """<script>
window.addEventListener("load", function () {
  var items = [];
  var counts = {img: 0, table: 0};
  document.querySelectorAll("img, table").forEach(function (el) {
    var tag = el.tagName.toLowerCase();
    var r = el.getBoundingClientRect();
    var cs = getComputedStyle(el);
    var px = function (name) { return parseFloat(cs.getPropertyValue(name)) || 0; };
    var left = px("border-left-width") + px("padding-left");
    var top = px("border-top-width") + px("padding-top");
    var right = px("border-right-width") + px("padding-right");
    var bottom = px("border-bottom-width") + px("padding-bottom");
    items.push({tag: tag, k: counts[tag]++, x: r.left + window.scrollX + left,
                y: r.top + window.scrollY + top, w: r.width - left - right,
                h: r.height - top - bottom});
  });
  var doc = document.documentElement;
  doc.setAttribute("data-layout", JSON.stringify({
    width: Math.max(doc.scrollWidth, document.body.scrollWidth),
    height: Math.max(doc.scrollHeight, document.body.scrollHeight), items: items}));
});
</script>"""
PAGE_WIDTH = 1280
#: Tallest screenshot taken in one piece (Chromium's largest surface is 16384 pixels);
#: taller pages are taken in tiles.
MAX_SHOT = 16000
#: Largest difference (0-255, grey levels) between an image and its screenshot region,
#: both averaged over blocks of ``IMAGE_COARSE`` pixels (a covered corner shows in its
#: blocks).
MAX_IMAGE_DIFF = 40.0
IMAGE_COARSE = 8


def _layout(page: Path, tmp: Path) -> dict:
    probed = page.with_name(page.stem + ".layout.html")
    text = page.read_text(encoding="utf-8")
    probed.write_text(re.sub(r"<head[^>]*>", lambda m: m.group(0) + LAYOUT_PROBE, text, count=1))
    try:
        size = f"--window-size={PAGE_WIDTH},1600"
        done = _run([size, "--hide-scrollbars", "--dump-dom", probed.as_uri()], tmp)
    finally:
        probed.unlink()
    match = re.search(r'data-layout="([^"]*)"', done.stdout)
    assert match, f"layout probe did not run on {page.name}: {done.stderr[-2000:]}"
    return json.loads(match.group(1).replace("&quot;", '"').replace("&amp;", "&"))


def _screenshot(page: Path, height: int, tmp: Path, *, tile: int = MAX_SHOT) -> np.ndarray:
    """The whole page as pixels: the window as tall as the page (nothing scrolls), or, for
    a taller page, tiles of a copy shifted up by a CSS transform (layout unchanged),
    stacked."""
    offsets = list(range(0, max(height, 1), tile))
    text = page.read_text(encoding="utf-8")
    pieces = []
    for y in offsets:
        shot = tmp / f"{page.stem}.shot-{y}.png"
        target = page
        if y:
            target = page.with_name(f"{page.stem}.tile-{y}.html")
            shift = f"<style>html{{transform:translateY(-{y}px)}}</style>"
            target.write_text(text.replace("</head>", shift + "</head>", 1), encoding="utf-8")
        size = f"--window-size={PAGE_WIDTH},{min(tile, height - y)}"
        try:
            done = _run([size, "--hide-scrollbars", f"--screenshot={shot}", target.as_uri()], tmp)
        finally:
            if target != page:
                target.unlink()
        assert shot.is_file(), f"no screenshot of {page.name}: {done.stderr[-2000:]}"
        pieces.append(fc.rgb_array(shot.read_bytes()))
    return np.concatenate(pieces, axis=0)


def _image_sources(page: Path) -> list[bytes | None]:
    """The bytes each ``<img>`` of the page shows, in document order (None if unreadable)."""
    sources: list[bytes | None] = []
    for src in re.findall(r"<img\b[^>]*?\bsrc=\"([^\"]*)\"", page.read_text(encoding="utf-8")):
        if src.startswith("data:image/png;base64,"):
            sources.append(base64.b64decode(src.split(",", 1)[1]))
        elif (page.parent / src).is_file():
            sources.append((page.parent / src).read_bytes())
        else:
            sources.append(None)
    return sources


def _shown_like(pixels: np.ndarray, box: fc.Box, png: bytes) -> float:
    """How far the screenshot inside ``box`` is from the image: the largest block-mean
    grey-level difference, both averaged down to blocks of ``IMAGE_COARSE`` pixels (so
    the browser's and Pillow's resampling of thin lines do not count)."""
    x0, y0 = round(box.x0), round(box.y0)
    shown = Image.fromarray(pixels[y0 : round(box.y1), x0 : round(box.x1)]).convert("L")
    size = (max(shown.width // IMAGE_COARSE, 1), max(shown.height // IMAGE_COARSE, 1))
    image = Image.fromarray(fc.rgb_array(png)).convert("L")
    a = np.asarray(image.resize(size, Image.Resampling.BOX), dtype=float)
    b = np.asarray(shown.resize(size, Image.Resampling.BOX), dtype=float)
    return float(np.abs(a - b).max())


def check_page(page: Path, tmp: Path) -> list[str]:
    """Problems a reader would see on a page: blank or covered images, overlapping boxes."""
    layout = _layout(page, tmp)
    height = int(np.ceil(layout["height"]))
    pixels = _screenshot(page, height, tmp)
    assert pixels.shape[0] == height, f"{page.name}: screenshot of {pixels.shape[0]} px"
    sources = _image_sources(page)
    problems = []
    boxes = []
    for item in layout["items"]:
        if item["w"] < 2 or item["h"] < 2:
            continue
        name = f"{page.name} {item['tag']} {item['k'] + 1}"
        box = fc.Box(item["x"], item["y"], item["x"] + item["w"], item["y"] + item["h"])
        boxes.append((name, box))
        if item["tag"] != "img":
            continue
        # the image's rendered pixels (a pixel inside its box, clear of anti-aliased edges)
        inner = box.shrink(1)
        region = pixels[
            int(np.ceil(inner.y0)) : int(inner.y1), int(np.ceil(inner.x0)) : int(inner.x1)
        ]
        reason = fc.blank_reason(region)
        if reason:
            problems.append(f"{name} looks empty: {reason}")
        source = sources[item["k"]] if item["k"] < len(sources) else None
        if source is not None and region.size:
            diff = _shown_like(pixels, box, source)
            if diff > MAX_IMAGE_DIFF:
                problems.append(f"{name} is not shown as drawn (mean difference {diff:.1f})")
    problems += fc.box_overlaps(boxes)
    return problems


def check_pages(pages: list[Path], tmp: Path) -> list[str]:
    """:func:`check_page` of several pages, four browsers at a time."""
    with ThreadPoolExecutor(max_workers=4) as pool:
        return [p for found in pool.map(lambda page: check_page(page, tmp), pages) for p in found]


def check_figures(folder: Path) -> list[str]:
    """Legends on data lines (from each SVG) and empty panels (SVG boxes, PNG pixels)."""
    problems = []
    for svg in sorted(folder.rglob("figures/*.svg")):
        png = svg.with_suffix(".png")
        text = svg.read_text(encoding="utf-8")
        where = svg.relative_to(folder).as_posix()
        problems += [f"{where}: {p}" for p in fc.legend_overlaps(text)]
        if png.is_file():
            problems += [f"{where}: {p}" for p in fc.empty_panels(png.read_bytes(), text)]
            reason = fc.blank_reason(fc.rgb_array(png.read_bytes()))
            if reason:
                problems.append(f"{where}: figure looks empty: {reason}")
    return problems


def _bad_figures(folder: Path) -> None:
    """A figure with its legend on the data and an empty panel, a blank and a faint one."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from netstats.report import ReportOutputs

    out = ReportOutputs(folder)
    x = np.linspace(0, 1, 30)
    fig, (ax, empty) = plt.subplots(1, 2, figsize=(8, 3))
    for k in range(3):
        ax.plot(x, 0.6 + 0.1 * k + 0 * x, label=f"series {k + 1}")  # flat lines at the top
    ax.set_ylim(0, 1)
    ax.legend(loc="upper right")
    empty.set_title("no data")
    out.figure("legend_on_data", fig)
    fig, ax = plt.subplots(figsize=(4, 3))
    ax.plot(x, 0.2 * x, label="low curve")
    ax.set_ylim(0, 1)
    ax.legend(loc="upper left")
    out.figure("good", fig)
    # a legend outside the axes, beside lines whose (clipped, invisible) ends reach under it
    fig, ax = plt.subplots(figsize=(4, 3))
    ax.plot([0, 3], [0.5, 0.5], label="long line")
    ax.set_xlim(0, 1)
    ax.legend(loc="center left", bbox_to_anchor=(1.02, 0.5))
    out.figure("legend_outside", fig)
    white = Image.new("RGB", (600, 400), "white")
    faint = white.copy()
    faint.putpixel((300, 200), (0, 0, 0))
    parts = ["<!DOCTYPE html><html><head><meta charset='utf-8'></head><body>"]
    for image in (white, faint):
        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
        data = base64.b64encode(buffer.getvalue()).decode()
        parts.append(f'<p><img src="data:image/png;base64,{data}"></p>')
    for name in ("legend_on_data", "good"):
        parts.append(f'<p><img src="figures/{name}.png" style="max-width:100%"></p>')
    # a table pulled up over the image above it
    parts.append('<table style="position:relative;top:-200px;background:#fff;font-size:40px">')
    parts.append("<tr><th>grade</th><th>n</th></tr><tr><td>G1</td><td>12</td></tr></table>")
    parts.append("</body></html>")
    (folder / "bad.html").write_text("\n".join(parts), encoding="utf-8")


def test_page_checks_catch_bad_figures(tmp_path):
    """Self-test: the checks fail on a legend on data, an empty panel, blank images and an
    overlap, and pass the good figure."""
    folder = tmp_path / "bad"
    _bad_figures(folder)
    figure_problems = check_figures(folder)
    assert any("legend_on_data.svg: line2d" in p and "legend 1" in p for p in figure_problems)
    assert any("legend_on_data.svg: panel 2 is empty" in p for p in figure_problems)
    assert not [p for p in figure_problems if "good.svg" in p], figure_problems
    assert not [p for p in figure_problems if "legend_outside.svg" in p], figure_problems
    page_problems = check_page(folder / "bad.html", tmp_path)
    # a page taller than one screenshot is taken in tiles: the same pixels
    height = int(np.ceil(_layout(folder / "bad.html", tmp_path)["height"]))
    whole = _screenshot(folder / "bad.html", height, tmp_path)
    assert np.array_equal(_screenshot(folder / "bad.html", height, tmp_path, tile=500), whole)
    assert any("img 1 looks empty" in p for p in page_problems), page_problems
    assert any("img 2 looks empty" in p for p in page_problems), page_problems
    assert not [p for p in page_problems if "img 3 looks" in p or "img 3 is" in p]
    assert any("img 4 overlaps bad.html table 1" in p for p in page_problems), page_problems
    assert any("img 4 is not shown as drawn" in p for p in page_problems), page_problems


def test_report_pages_look_right(replicated_report, tmp_path):
    """Every page of the small report: images drawn and visible, no overlaps, no legend
    on data, no empty panel."""
    pages = sorted(replicated_report.rglob("*.html"))
    assert len(pages) >= 3
    problems = check_pages(pages, tmp_path) + check_figures(replicated_report)
    assert problems == [], "\n".join(problems)


@pytest.mark.slow
def test_full_report_pages_look_right(tmp_path):
    """The same checks on every default notebook of the small cohort."""
    data = write_replicated(tmp_path / "cohort")
    out = render(ANALYSES, data=data, out=tmp_path / "reports", progress=False).out
    problems = check_pages(sorted(out.rglob("*.html")), tmp_path) + check_figures(out)
    assert problems == [], "\n".join(problems)

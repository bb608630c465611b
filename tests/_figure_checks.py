"""Checks of what a reader sees in a figure or a page screenshot (pixels and SVG geometry).

- :func:`blank_reason`: a region of pixels that is empty or near-uniform.
- :func:`legend_overlaps`: data of a Matplotlib SVG (lines, error bars, scatter points)
  that passes through a legend box (exact: the legend frame and the vertices are read from
  the SVG, and every segment is clipped to the box).
- :func:`empty_panels`: axes of a Matplotlib figure whose plotting area holds no drawing
  (panel boxes from the SVG, pixels from the PNG).
- :func:`box_overlaps`: pairs of page elements whose boxes intersect.
"""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image

SVG = "{http://www.w3.org/2000/svg}"
XLINK = "{http://www.w3.org/1999/xlink}"
_NUMBER_RE = re.compile(r"-?\d+(?:\.\d+)?(?:e-?\d+)?")
#: A pixel counts as drawn when it differs from the background by more than this (0-255).
INK_DELTA = 40
#: Least share of drawn pixels in a figure region.
MIN_INK = 0.01
#: Least number of distinct colours (5 bits per channel) in a figure region.
MIN_COLOURS = 8


@dataclass(frozen=True)
class Box:
    """An axis-aligned rectangle (x0 < x1, y0 < y1)."""

    x0: float
    y0: float
    x1: float
    y1: float

    def shrink(self, by: float) -> Box:
        return Box(self.x0 + by, self.y0 + by, self.x1 - by, self.y1 - by)

    def intersection(self, other: Box) -> float:
        w = min(self.x1, other.x1) - max(self.x0, other.x0)
        h = min(self.y1, other.y1) - max(self.y0, other.y0)
        return max(w, 0.0) * max(h, 0.0)


# --------------------------------------------------------------------------------------
# pixels
# --------------------------------------------------------------------------------------
def rgb_array(png: bytes | Image.Image) -> np.ndarray:
    """An image as an ``(h, w, 3)`` uint8 array (transparency composited on white)."""
    image = png if isinstance(png, Image.Image) else Image.open(io.BytesIO(png))
    image = image.convert("RGBA")
    white = Image.new("RGBA", image.size, (255, 255, 255, 255))
    return np.asarray(Image.alpha_composite(white, image).convert("RGB"))


def _codes(pixels: np.ndarray, bits: int = 8) -> np.ndarray:
    """Each pixel's colour as one integer (``bits`` per channel)."""
    p = (pixels.astype(np.int64) >> (8 - bits)).reshape(-1, 3)
    return (p[:, 0] << (2 * bits)) | (p[:, 1] << bits) | p[:, 2]


def ink_mask(pixels: np.ndarray) -> np.ndarray:
    """Pixels that differ from the region's most common colour (its background)."""
    code = int(np.argmax(np.bincount(_codes(pixels))))
    background = np.array([(code >> 16) & 255, (code >> 8) & 255, code & 255])
    delta = np.abs(pixels.astype(int) - background).max(axis=2)
    return delta > INK_DELTA


def blank_reason(pixels: np.ndarray) -> str | None:
    """Why a figure region looks empty, or ``None`` when it shows a drawing.

    A region is empty when less than :data:`MIN_INK` of its pixels differ from its
    background, or when it has fewer than :data:`MIN_COLOURS` distinct colours.
    """
    if pixels.size == 0:
        return "region has no pixels"
    ink = float(ink_mask(pixels).mean())
    if ink < MIN_INK:
        return f"only {ink:.2%} of the pixels differ from the background"
    n_colours = int(np.count_nonzero(np.bincount(_codes(pixels, bits=5))))
    if n_colours < MIN_COLOURS:
        return f"only {n_colours} distinct colours"
    return None


# --------------------------------------------------------------------------------------
# SVG geometry (Matplotlib's SVG: one <g id="axes_N"> per panel, one <g id="legend_N">
# per legend whose first patch is the frame, <g id="line2d_N"> per line)
# --------------------------------------------------------------------------------------
def _numbers(d: str) -> np.ndarray:
    values = np.array([float(v) for v in _NUMBER_RE.findall(d)], dtype=float)
    return values[: len(values) // 2 * 2].reshape(-1, 2)


def _path_box(element: ET.Element) -> Box | None:
    path = element.find(f".//{SVG}path")
    if path is None or not path.get("d"):
        return None
    pts = _numbers(path.get("d", ""))
    if len(pts) < 2:
        return None
    return Box(pts[:, 0].min(), pts[:, 1].min(), pts[:, 0].max(), pts[:, 1].max())


def _groups(root: ET.Element, prefix: str) -> list[ET.Element]:
    return [g for g in root.iter(f"{SVG}g") if (g.get("id") or "").startswith(prefix)]


def legend_boxes(root: ET.Element) -> list[Box]:
    """Frames of every legend in the figure (SVG user units)."""
    boxes = []
    for legend in _groups(root, "legend_"):
        frame = next((g for g in legend if (g.get("id") or "").startswith("patch_")), None)
        box = _path_box(frame) if frame is not None else None
        if box is not None:
            boxes.append(box)
    return boxes


#: Direct children of an axes that draw data: lines, error bars and segments, scatter points.
_DATA_GROUPS = ("line2d_", "LineCollection_", "PathCollection_")


def _clip_boxes(root: ET.Element) -> dict[str, Box]:
    """Rectangular clip paths by id (Matplotlib clips each axes' data to its area)."""
    boxes = {}
    for clip in root.iter(f"{SVG}clipPath"):
        rect = clip.find(f"{SVG}rect")
        if rect is not None and clip.get("id"):
            x, y = float(rect.get("x", 0)), float(rect.get("y", 0))
            w, h = float(rect.get("width", 0)), float(rect.get("height", 0))
            boxes[clip.get("id", "")] = Box(x, y, x + w, y + h)
    return boxes


def _clip_of(element: ET.Element, clips: dict[str, Box]) -> Box | None:
    """The clip box of an element or, failing that, of the first descendant that has one."""
    for e in element.iter():
        ref = re.fullmatch(r"url\(#([^)]+)\)", e.get("clip-path") or "")
        if ref:
            return clips.get(ref.group(1))
    return None


def _data_lines(root: ET.Element) -> list[tuple[str, list[np.ndarray], np.ndarray, Box | None]]:
    """Data drawn in each axes: id, polylines (vertices), marker positions, clip box."""
    clips = _clip_boxes(root)
    lines = []
    for axes in _groups(root, "axes_"):
        for child in axes:
            gid = child.get("id") or ""
            if not gid.startswith(_DATA_GROUPS):
                continue
            polylines = [_numbers(path.get("d", "")) for path in child.findall(f"{SVG}path")]
            marks = [(float(u.get("x", 0)), float(u.get("y", 0))) for u in child.iter(f"{SVG}use")]
            clip = _clip_of(child, clips)
            lines.append((gid, polylines, np.array(marks).reshape(-1, 2), clip))
    return lines


def _clipped(box: Box, clip: Box | None) -> Box | None:
    """The part of ``box`` inside ``clip`` (None when they do not meet)."""
    if clip is None:
        return box
    out = Box(
        max(box.x0, clip.x0), max(box.y0, clip.y0), min(box.x1, clip.x1), min(box.y1, clip.y1)
    )
    return out if out.x0 < out.x1 and out.y0 < out.y1 else None


def _segment_hits_box(p: np.ndarray, q: np.ndarray, box: Box) -> bool:
    """Liang-Barsky: does the segment p-q pass through the box?"""
    t0, t1 = 0.0, 1.0
    d = q - p
    for delta, start, low, high in ((d[0], p[0], box.x0, box.x1), (d[1], p[1], box.y0, box.y1)):
        if delta == 0:
            if start < low or start > high:
                return False
            continue
        a, b = (low - start) / delta, (high - start) / delta
        t0, t1 = max(t0, min(a, b)), min(t1, max(a, b))
        if t0 > t1:
            return False
    return True


def legend_overlaps(svg: str | bytes, *, margin: float = 1.0) -> list[str]:
    """Data lines that pass through a legend frame (shrunk by ``margin`` units).

    Returns
    -------
    list of str
        ``"line2d_N crosses legend K"`` for every line (segment or marker) inside a
        legend box; empty when every legend is clear of the data.
    """
    root = ET.fromstring(svg)
    found = []
    for k, box in enumerate(legend_boxes(root)):
        inner = box.shrink(margin)
        for line_id, polylines, marks, clip in _data_lines(root):
            # only the visible part of a line counts: what lies inside its clip box
            seen = _clipped(inner, clip)
            if seen is None:
                continue
            hit = any(
                _segment_hits_box(line[i], line[i + 1], seen)
                for line in polylines
                for i in range(len(line) - 1)
            ) or any(seen.x0 <= x <= seen.x1 and seen.y0 <= y <= seen.y1 for x, y in marks)
            if hit:
                found.append(f"{line_id} crosses legend {k + 1}")
    return found


def panel_boxes(root: ET.Element) -> list[Box]:
    """The plotting area of every visible panel: its background patch (SVG units)."""
    boxes = []
    for axes in _groups(root, "axes_"):
        first = next(iter(axes), None)
        if first is not None and (first.get("id") or "").startswith("patch_"):
            box = _path_box(first)
            if box is not None and box.x1 - box.x0 > 1 and box.y1 - box.y0 > 1:
                boxes.append(box)
    return boxes


def empty_panels(png: bytes, svg: str | bytes, *, min_ink: float = 0.002) -> list[str]:
    """Panels whose plotting area (spines and a rim left out) is near-uniform in the PNG.

    The SVG and the PNG are saved from the same figure with the same tight bounding box,
    so SVG units map onto PNG pixels by the ratio of the widths.
    """
    root = ET.fromstring(svg)
    width = float(_NUMBER_RE.findall(root.get("width", "0"))[0])
    pixels = rgb_array(png)
    scale = pixels.shape[1] / width
    found = []
    for k, box in enumerate(panel_boxes(root)):
        px = Box(*(v * scale for v in (box.x0, box.y0, box.x1, box.y1))).shrink(3)
        region = pixels[int(px.y0) : int(px.y1), int(px.x0) : int(px.x1)]
        if region.size == 0:
            continue
        ink = float(ink_mask(region).mean())
        if ink < min_ink:
            found.append(f"panel {k + 1} is empty ({ink:.2%} of its pixels drawn)")
    return found


# --------------------------------------------------------------------------------------
# page layout
# --------------------------------------------------------------------------------------
def box_overlaps(boxes: Sequence[tuple[str, Box]], *, tolerance: float = 1.0) -> list[str]:
    """Pairs of named boxes that intersect by more than ``tolerance`` square pixels."""
    found = []
    for i, (name_a, a) in enumerate(boxes):
        for name_b, b in boxes[i + 1 :]:
            if a.intersection(b) > tolerance:
                found.append(f"{name_a} overlaps {name_b}")
    return found

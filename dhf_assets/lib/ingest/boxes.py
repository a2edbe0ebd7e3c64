"""VOC box coordinates to integer pixel boxes, validated against the stored pixel grid.

Conversion (documented in the README): VOC coordinates are 1-based and inclusive. Each value is
rounded half up to an integer, then
    xmin_px = round(xmin) - 1,  ymin_px = round(ymin) - 1,  xmax_px = round(xmax),  ymax_px = round(ymax)
which gives a 0-based, half-open box (Pillow's crop convention): width = xmax_px - xmin_px.
A box that overshoots the image by exactly one pixel (the off-by-one of 0-based writers) is
clamped and noted; anything further out is refused.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass

from dhf_assets.lib.ingest.voc import VocObject


@dataclass(frozen=True, order=True)
class PixelBox:
    xmin: int
    ymin: int
    xmax: int
    ymax: int

    @property
    def width(self) -> int:
        return self.xmax - self.xmin

    @property
    def height(self) -> int:
        return self.ymax - self.ymin

    def as_tuple(self) -> tuple[int, int, int, int]:
        return (self.xmin, self.ymin, self.xmax, self.ymax)


@dataclass(frozen=True)
class BoxResult:
    box: PixelBox | None
    reason: str | None = None  # why the box is refused
    note: str | None = None  # a correction that was applied (kept, but reported)


def _round_half_up(value: float) -> int:
    return int(math.floor(value + 0.5))


def _parse_coordinate(name: str, text: str) -> float | str:
    if text == "":
        return f"{name} is missing"
    try:
        value = float(text)
    except ValueError:
        return f"{name} {text!r} is not a number"
    if math.isnan(value) or math.isinf(value):
        return f"{name} is {text!r}, not a finite number"
    return value


def _clamp_edge(value: int, low: int, high: int, name: str, notes: list[str]) -> int | None:
    if low <= value <= high:
        return value
    if value == low - 1 or value == high + 1:
        notes.append(f"{name} clamped by 1 px to the image edge")
        return min(max(value, low), high)
    return None


def voc_to_pixel_box(obj: VocObject, image_width: int, image_height: int) -> BoxResult:
    """Convert and validate one VOC box against an image of the given size."""
    parsed = {k: _parse_coordinate(k, getattr(obj, k)) for k in ("xmin", "ymin", "xmax", "ymax")}
    problems = [v for v in parsed.values() if isinstance(v, str)]
    if problems:
        return BoxResult(None, reason="; ".join(problems))
    left = _round_half_up(parsed["xmin"]) - 1
    top = _round_half_up(parsed["ymin"]) - 1
    right = _round_half_up(parsed["xmax"])
    bottom = _round_half_up(parsed["ymax"])
    if right <= left or bottom <= top:
        return BoxResult(
            None,
            reason=f"zero or negative size (xmin={obj.xmin}, ymin={obj.ymin}, xmax={obj.xmax}, ymax={obj.ymax})",
        )
    notes: list[str] = []
    edges = (
        _clamp_edge(left, 0, image_width - 1, "xmin", notes),
        _clamp_edge(top, 0, image_height - 1, "ymin", notes),
        _clamp_edge(right, 1, image_width, "xmax", notes),
        _clamp_edge(bottom, 1, image_height, "ymax", notes),
    )
    if any(edge is None for edge in edges):
        return BoxResult(
            None,
            reason=(
                f"box outside the image {image_width}x{image_height} "
                f"(xmin={obj.xmin}, ymin={obj.ymin}, xmax={obj.xmax}, ymax={obj.ymax})"
            ),
        )
    box = PixelBox(*edges)  # type: ignore[arg-type]
    if box.width <= 0 or box.height <= 0:
        return BoxResult(None, reason="zero size after clamping to the image")
    return BoxResult(box, note="; ".join(notes) or None)


def face_id_for(cave_id: str, mural_id: str, box: PixelBox) -> str:
    """A stable id from (cave, mural, box) alone: the same on every re-run and re-encoding."""
    key = f"{cave_id}\x1f{mural_id}\x1f{box.xmin},{box.ymin},{box.xmax},{box.ymax}"
    return hashlib.sha1(key.encode("utf-8")).hexdigest()[:16]

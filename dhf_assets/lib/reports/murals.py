"""Figure 8: a mural with its face boxes, the symmetry axis and its symmetric pairs with H/V/A errors.

Each mural is decoded once, at reduced size: JPEG scans decode straight at 1/2, 1/4 or 1/8 scale
(`Image.draft`), so a 42 MP scan never lands in memory whole; boxes and axis are scaled to match.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from PIL import Image

from dhf_assets.lib.ingest.images import encode_png

BOX_COLOR = "#00d000"
# One colour per pair, so that pairs on one row of figures stay apart.
PAIR_COLORS = ("#ffb000", "#00c8ff", "#ff4fd8", "#ffffff", "#a0ff00", "#ff7a30")
AXIS_COLOR = "#ff3030"
# Part of each figure's inputs hash (lib/reports/build.py): change it when the drawing changes, so that
# every kept figure is drawn again.
FIGURE_VERSION = "mural-figure-v2"
FIGURE_PNG_LEVEL = 1  # zlib level: a photo encodes about 4x faster than at Pillow's default 6


@dataclass(frozen=True)
class SymmetryPair:
    left_box: tuple[int, int, int, int]
    right_box: tuple[int, int, int, int]
    h_err: float
    v_err: float
    area_err: float


@dataclass(frozen=True)
class MuralFigure:
    title: str
    boxes: Sequence[tuple[int, int, int, int]]  # pixel boxes of the stored scan
    pairs: Sequence[SymmetryPair]
    axis_x: float | None


def load_preview(path: Path, max_side: int, max_pixels: int) -> tuple[Image.Image, float]:
    """The scan as RGB with its longer side at most `max_side`, and the scale from scan pixels to preview."""
    with Image.open(path) as image:
        width, height = image.size
        if width * height > max_pixels:
            raise ValueError(f"{path.name}: {width}x{height} is above the pixel limit {max_pixels}")
        scale = min(1.0, max_side / max(width, height))
        image.draft("RGB", (max(1, int(width * scale)), max(1, int(height * scale))))  # JPEG only; a no-op otherwise
        preview = image.convert("RGB")
    if max(preview.size) > max_side:
        preview.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    return preview, preview.width / width


def _free_spot(placed: list[tuple[float, float, float]], x: float, y: float, width: float,
               height: float) -> tuple[float, float]:
    """Move a label up until it overlaps no label placed before it (pairs often share a row)."""
    while any(abs(x - px) < (width + pw) / 2 and abs(y - py) < height for px, py, pw in placed):
        y -= height
    placed.append((x, y, width))
    return x, y


def _center(box: tuple[int, int, int, int], scale: float) -> tuple[float, float]:
    return (box[0] + box[2]) / 2 * scale, (box[1] + box[3]) / 2 * scale


def mural_figure_png(preview: Image.Image, scale: float, spec: MuralFigure) -> bytes:
    """Draw boxes, axis and pairs (scan coordinates times `scale`) over the preview; PNG bytes.

    matplotlib draws only the drawing, on a transparent canvas, and Pillow lays it over the preview:
    an `imshow` of the photo at its own size costs twice the rest of the figure (resampling, masks).
    """
    width, height = preview.size
    dpi = 100
    # The title (two lines) is sized to the picture's width: the PNG is exactly the preview plus a header.
    lines = spec.title.split("\n")
    title_font = max(5.0, min(13.0, width / (max(map(len, lines)) * 0.62 * dpi / 72)))
    header = len(lines) * title_font * 1.45 / 72 + 0.12
    figure = Figure(figsize=(width / dpi, height / dpi + header), dpi=dpi)
    figure.patch.set_alpha(0.0)
    axes = figure.add_axes((0, 0, 1, (height / dpi) / (height / dpi + header)))
    axes.set_xlim(0, width)
    axes.set_ylim(height, 0)
    axes.set_axis_off()
    line = max(1.0, width / 900)
    font = max(7.0, min(12.0, width / 130))
    for xmin, ymin, xmax, ymax in spec.boxes:
        axes.add_patch(Rectangle((xmin * scale, ymin * scale), (xmax - xmin) * scale, (ymax - ymin) * scale,
                                 fill=False, edgecolor=BOX_COLOR, linewidth=line * 1.5))
    if spec.axis_x is not None:
        axes.axvline(spec.axis_x * scale, color=AXIS_COLOR, linestyle="--", linewidth=line * 1.5)
        axes.text(spec.axis_x * scale, height * 0.01, f" axis x = {spec.axis_x:.0f}", color=AXIS_COLOR,
                  fontsize=font, va="top", fontweight="bold",
                  bbox={"facecolor": "white", "alpha": 0.7, "edgecolor": "none", "pad": 1})
    placed: list[tuple[float, float, float]] = []
    for index, pair in enumerate(spec.pairs):
        color = PAIR_COLORS[index % len(PAIR_COLORS)]
        (x1, y1), (x2, y2) = _center(pair.left_box, scale), _center(pair.right_box, scale)
        axes.plot([x1, x2], [y1, y2], "-o", color=color, linewidth=line * 1.5, markersize=line * 4)
        label = f"H {pair.h_err:.1f}  V {pair.v_err:.1f}  A {pair.area_err:,.0f}"
        x, y = _free_spot(placed, (x1 + x2) / 2, (y1 + y2) / 2 - 4 * line, len(label) * font * 0.85, font * 2.2)
        axes.text(x, y, label, ha="center", va="bottom", fontsize=font, color="black",
                  bbox={"facecolor": "white", "alpha": 0.85, "edgecolor": color, "linewidth": 1.5, "pad": 2})
    figure.text(0.01, 1 - 0.06 / (height / dpi + header), spec.title, fontsize=title_font, va="top",
                fontweight="bold", linespacing=1.3)
    canvas = FigureCanvasAgg(figure)
    canvas.draw()
    drawing = Image.frombuffer("RGBA", canvas.get_width_height(), canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
    picture = Image.new("RGBA", drawing.size, "white")
    picture.paste(preview, (0, drawing.height - height))  # the axes fill the bottom `height` pixels
    return encode_png(Image.alpha_composite(picture, drawing).convert("RGB"), FIGURE_PNG_LEVEL)


def figure_title(cave_id: str, mural_id: str, size: tuple[int, int], scale: float, faces: int,
                 pairs: Sequence[SymmetryPair]) -> str:
    shown = "" if scale >= 0.999 else f", shown at {scale:.0%}"
    title = f"{cave_id} / {mural_id}: {faces} faces, {len(pairs)} symmetric pairs (scan {size[0]}×{size[1]} px{shown})"
    if not pairs:
        return title
    mean = lambda values: sum(values) / len(values)  # noqa: E731
    return (f"{title}\nmean error of the pairs: H {mean([p.h_err for p in pairs]):.1f} px, "
            f"V {mean([p.v_err for p in pairs]):.1f} px, A {mean([p.area_err for p in pairs]):,.0f} px²")

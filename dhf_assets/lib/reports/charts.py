"""Charts of the paper's figures from the marts: attribute distributions (6, 7) and crop resolution (3).

Pure: rows in, PNG bytes out (matplotlib's Agg backend, no display, no global pyplot state).
"""

from __future__ import annotations

import io
from typing import Sequence

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

ATTRIBUTE_TITLES = {"period": "Period", "cave_style": "Cave style", "site": "Site",
                    "identity": "Character identity", "orientation": "Orientation"}
TIER_EDGES = (256, 512)
TIER_LABELS = {"two_stage": "two-stage ×4 (L < 256)", "one_stage": "one-stage ×4 (256 ≤ L ≤ 512)",
               "downsample": "Lanczos down-sampling (L > 512)"}
BAR_COLOR = "#3b6ea5"
BAR_3K_COLOR = "#1d3557"


def figure_png(figure: Figure, dpi: int = 110, tight: bool = True) -> bytes:
    FigureCanvasAgg(figure)
    buffer = io.BytesIO()
    # zlib level 1: a mural figure (a photo under the drawing) encodes about 4x faster than at
    # Pillow's default 6 for a somewhat larger file; figures are redrawn on every marts run.
    figure.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight" if tight else None,
                   pil_kwargs={"compress_level": 1})
    return buffer.getvalue()


def attribute_distribution_png(rows: Sequence[tuple], subset_label: str, total_faces: int | None = None) -> bytes:
    """Horizontal bars per attribute; rows are (attribute, code, name, faces), in the order to show."""
    attributes = [a for a in ATTRIBUTE_TITLES if any(r[0] == a for r in rows)]
    attributes += sorted({r[0] for r in rows} - set(attributes))
    heights = [max(1, sum(1 for r in rows if r[0] == a)) for a in attributes] or [1]
    columns = 2 if len(attributes) > 1 else 1
    row_heights = [max(heights[r:r + columns]) for r in range(0, len(heights), columns)]
    height = 0.8 + 0.3 * sum(row_heights) + 0.9 * len(row_heights)
    figure = Figure(figsize=(13, height))
    grid = figure.add_gridspec(len(row_heights), columns, height_ratios=row_heights, hspace=0.55, wspace=0.55,
                               top=1 - 0.75 / height, bottom=0.45 / height)
    total = f" ({total_faces} faces)" if total_faces is not None else ""
    figure.suptitle(f"Attribute distributions of {subset_label}{total}", fontsize=14, fontweight="bold", y=0.99)
    for position, attribute in enumerate(attributes):
        axes = figure.add_subplot(grid[position // columns, position % columns])
        items = [r for r in rows if r[0] == attribute]
        labels = [f"{name} ({code})" if name and code and name != code else str(name or code)
                  for _, code, name, _ in items]
        counts = [int(r[3] or 0) for r in items]
        bars = axes.barh(range(len(items)), counts, color=BAR_COLOR, height=0.7)
        axes.set_yticks(range(len(items)), labels, fontsize=9)
        # Every panel of a row spans that row's longest list: bars keep one thickness, top-aligned.
        axes.set_ylim(row_heights[position // columns] - 0.5, -0.5)
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
        axes.set_title(ATTRIBUTE_TITLES.get(attribute, attribute), fontsize=11, loc="left")
        axes.set_xlabel("faces")
        shares = [f"{c} ({c / sum(counts):.0%})" if c else "0" for c in counts]
        axes.bar_label(bars, labels=shares, padding=3, fontsize=8)
        axes.set_xlim(0, max(counts + [1]) * 1.25)
        axes.spines[["top", "right"]].set_visible(False)
    if not attributes:
        figure.text(0.5, 0.5, "no faces in this subset yet", ha="center", va="center", fontsize=12)
    return figure_png(figure)


def crop_resolution_png(bins: Sequence[tuple], tiers: Sequence[tuple] = ()) -> bytes:
    """Histogram of crop sizes: bins (bin_start, bin_end, crops[, crops_3k]), tiers (tier, crops_20k, crops_3k, ...)."""
    figure = Figure(figsize=(10, 5.2))
    axes = figure.add_subplot()
    starts = [float(b[0]) for b in bins]
    widths = [float(b[1]) - float(b[0]) for b in bins]
    counts = [int(b[2] or 0) for b in bins]
    axes.bar(starts, counts, width=widths, align="edge", color=BAR_COLOR, edgecolor="white", linewidth=0.6,
             label="all crops (20k)")
    if bins and all(len(b) > 3 for b in bins):
        axes.bar(starts, [int(b[3] or 0) for b in bins], width=widths, align="edge", color=BAR_3K_COLOR,
                 edgecolor="white", linewidth=0.6, label="3k subset")
        axes.legend(loc="center right", frameon=True, fontsize=9)
    top = max(counts + [1])
    right = max([s + w for s, w in zip(starts, widths)] + [TIER_EDGES[-1] * 1.25])
    tier_counts = {str(t[0]): f"{t[1]} crops, {t[2]} in 3k" for t in tiers}
    spans = [(0, TIER_EDGES[0], "two_stage"), (TIER_EDGES[0], TIER_EDGES[1], "one_stage"),
             (TIER_EDGES[1], right, "downsample")]
    shades = ("#f4e3c1", "#dcebd5", "#e3e0f0")
    for (low, high, tier), shade in zip(spans, shades):
        axes.axvspan(low, high, color=shade, zorder=0)
        count = f"\n{tier_counts[tier]}" if tier in tier_counts else ""
        axes.text((low + high) / 2, top * 1.12, TIER_LABELS[tier] + count, ha="center", va="top", fontsize=8.5)
    for edge in TIER_EDGES:
        axes.axvline(edge, color="#b03030", linestyle="--", linewidth=1.2)
    axes.set_xlim(0, right)
    step = 128 if right <= 2048 else 512
    axes.set_xticks(sorted(set(range(0, int(right) + 1, step)) | set(TIER_EDGES)))
    for label in axes.get_xticklabels():  # the tier boundaries in the boundaries' colour
        if label.get_text() in {str(e) for e in TIER_EDGES}:
            label.set_color("#b03030")
            label.set_fontweight("bold")
    axes.set_ylim(0, top * 1.18)
    axes.set_xlabel("crop size: longer side L (px)")
    axes.set_ylabel("crops")
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_title(f"Resolution of the extracted faces before standardization ({sum(counts)} crops)",
                   fontsize=12, fontweight="bold")
    axes.spines[["top", "right"]].set_visible(False)
    return figure_png(figure)

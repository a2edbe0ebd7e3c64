"""Decoding a mural once for the search, no larger than its finest search scale needs.

A JPEG scan is decoded straight at 1/2, 1/4 or 1/8 of its size when the finest scale allows
(`Image.draft`: the JPEG decoder skips the fine DCT coefficients), which is several times faster
than a full decode and holds a 42 MP scan in 32 MB instead of 127 MB. Other formats decode whole.
"""

from __future__ import annotations

import math
from pathlib import Path

from PIL import Image

from dhf_assets.lib.ingest.images import decode_rgb
from dhf_assets.lib.proposals.tiles import TileGrid, pyramid_scales


def decode_for_search(path: Path, max_pixels: int, grid: TileGrid) -> tuple[Image.Image, tuple[int, int]]:
    """The scan as RGB, no smaller than the grid's finest scale, and its full size; ImageError says why not."""
    full: list[tuple[int, int]] = []

    def finest(width: int, height: int) -> tuple[int, int] | None:
        full.append((width, height))
        scale = pyramid_scales(width, height, grid)[0]
        return (max(1, math.floor(width * scale)), max(1, math.floor(height * scale))) if scale < 1 else None

    return decode_rgb(path, max_pixels, finest), full[0]

"""Decoding a mural once for the search, no larger than its finest search scale needs.

A JPEG scan is decoded straight at 1/2, 1/4 or 1/8 of its size when the finest scale allows
(`Image.draft`: the JPEG decoder skips the fine DCT coefficients), which is several times faster
than a full decode and holds a 42 MP scan in 32 MB instead of 127 MB. Other formats decode whole.
"""

from __future__ import annotations

import math
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from dhf_assets.lib.ingest.images import ImageError
from dhf_assets.lib.proposals.tiles import TileGrid, pyramid_scales


def decode_for_search(path: Path, max_pixels: int, grid: TileGrid) -> tuple[Image.Image, tuple[int, int]]:
    """The scan as RGB, no smaller than the grid's finest scale, and its full size; ImageError says why not."""
    try:
        with Image.open(path) as image:
            width, height = image.size
            if width * height > max_pixels:
                raise ImageError(f"decompression bomb refused: {width}x{height} = {width * height} pixels "
                                 f"> limit {max_pixels} (DHF_MAX_MURAL_PIXELS)")
            finest_scale = pyramid_scales(width, height, grid)[0]
            if finest_scale < 1:
                image.draft(
                    "RGB", (max(1, math.floor(width * finest_scale)), max(1, math.floor(height * finest_scale)))
                )
            image.load()
            return (image if image.mode == "RGB" else image.convert("RGB")), (width, height)
    except UnidentifiedImageError as exc:
        raise ImageError("not an image (unrecognised file contents)") from exc
    except (OSError, SyntaxError, ValueError) as exc:
        if isinstance(exc, ImageError):
            raise
        raise ImageError(f"unreadable or truncated image data ({exc})") from exc

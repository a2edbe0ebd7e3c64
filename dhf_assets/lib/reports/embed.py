"""Small PNG copies of report images for a Markdown preview (Dagster UI metadata)."""

from __future__ import annotations

import base64
import io
import math

from PIL import Image

# base64 adds a third: 150 KB of PNG is 200 KB of Markdown.
MAX_EMBED_BYTES = 150_000


def small_png(png: bytes, max_bytes: int = MAX_EMBED_BYTES, max_side: int = 1600) -> bytes:
    """`png` itself when small enough, else a downscaled (then palette) copy under `max_bytes`."""
    with Image.open(io.BytesIO(png)) as image:
        image.load()
    if len(png) <= max_bytes and max(image.size) <= max_side:
        return png
    side = min(max_side, max(image.size))
    # PNG bytes grow about with the pixel count: start near the side that fits instead of shrinking
    # from the full size by steps (each try encodes a large image twice; a noisy 1600 px mural
    # figure took 10 s of CPU that way, 3 previews per build).
    side = max(64, min(side, int(side * math.sqrt(max_bytes / len(png)))))
    rgb = image.convert("RGB")
    while True:
        copy = rgb.copy()
        copy.thumbnail((side, side), Image.Resampling.LANCZOS)
        for candidate in (copy, copy.quantize(colors=128, method=Image.Quantize.MEDIANCUT)):
            buffer = io.BytesIO()
            candidate.save(buffer, format="PNG", optimize=True)
            if buffer.tell() <= max_bytes or side <= 64:
                return buffer.getvalue()
        side = int(side * 0.75)


def markdown_image(png: bytes, alt: str, max_bytes: int = MAX_EMBED_BYTES) -> str:
    data = base64.b64encode(small_png(png, max_bytes)).decode("ascii")
    return f"![{alt}](data:image/png;base64,{data})"

"""Overlapping tiles of a whole mural at several scales, so that faces of 40 px to the whole scan are found.

Each scale is a downscaled copy of the decoded scan cut into `tile`-px squares that overlap by
`overlap` px. Any face no wider or taller than the overlap lies wholly inside some tile, so a
detection that touches a tile's inner edge (an edge that is not the mural's border) is a cut face and
is left out: the whole face is in the neighbouring tile, or at the next, coarser scale. Scales fall by
`ratio` from the one that shows `min_face_px` faces at `detect_px` (what the detectors still find)
until the mural fits one tile; consecutive scales' face bands overlap while `ratio * detect_px <= overlap`.
Memory: the decoded scan plus one scaled copy at a time (a 42 MP JPEG decodes at half size: 32 MB).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from PIL import Image


@dataclass(frozen=True)
class TileGrid:
    tile: int = 1024  # side of a tile in scaled pixels (large tiles: less overlap searched twice)
    overlap: int = 128  # scaled pixels shared by neighbouring tiles: the largest face a scale must keep
    min_face_px: int = 40  # smallest face searched, in the scan's pixels
    detect_px: int = 20  # smallest face the detectors find, in a tile's pixels (MTCNN's default)
    ratio: float = 4.0  # scale step between pyramid levels

    def __post_init__(self) -> None:
        if not (0 < self.overlap < self.tile and self.min_face_px > 0 and self.detect_px > 0 and self.ratio > 1):
            raise ValueError(f"need 0 < overlap < tile, positive face sizes and ratio > 1, got {self}")
        if self.ratio * self.detect_px > self.overlap:
            raise ValueError(f"ratio x detect_px = {self.ratio * self.detect_px:g} exceeds the overlap {self.overlap}: "
                             "faces between two scales would be cut at both")

    @property
    def version(self) -> str:
        return f"tiles({self.tile},{self.overlap},{self.min_face_px},{self.detect_px},{self.ratio:g})"


@dataclass(frozen=True)
class Tile:
    scale: float  # scaled size / scan size
    x0: int  # in the scaled image's pixels, half-open
    y0: int
    x1: int
    y1: int
    inner: tuple[bool, bool, bool, bool]  # left, top, right, bottom edge lies inside the mural

    @property
    def label(self) -> str:
        return f"tile x={self.x0}..{self.x1} y={self.y0}..{self.y1} at scale {self.scale:.4g}"

    def cuts(self, box: tuple[float, float, float, float], margin: float = 2.0) -> bool:
        """True when a box (tile pixels) touches an inner edge: a face cut by the tile."""
        x1, y1, x2, y2 = box
        width, height = self.x1 - self.x0, self.y1 - self.y0
        near = (x1 <= margin, y1 <= margin, x2 >= width - margin, y2 >= height - margin)
        return any(edge and close for edge, close in zip(self.inner, near))

    def to_scan(self, box: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
        """A box in this tile's pixels as a box in the scan's pixels."""
        x1, y1, x2, y2 = box
        return ((x1 + self.x0) / self.scale, (y1 + self.y0) / self.scale,
                (x2 + self.x0) / self.scale, (y2 + self.y0) / self.scale)


def pyramid_scales(width: int, height: int, grid: TileGrid) -> list[float]:
    """The scales searched, finest first; the last one fits the whole mural into one tile."""
    scale = min(1.0, grid.detect_px / grid.min_face_px)
    scales = [scale]
    while max(width, height) * scale > grid.tile:
        scale /= grid.ratio
        scales.append(scale)
    return scales


def windows(length: int, tile: int, overlap: int) -> list[tuple[int, int]]:
    """Start and end of each tile along one side: a stride of tile - overlap, the last flush with the end."""
    if length <= tile:
        return [(0, length)]
    stride = tile - overlap
    count = math.ceil((length - tile) / stride) + 1
    return [(min(k * stride, length - tile), min(k * stride, length - tile) + tile) for k in range(count)]


def plan_tiles(width: int, height: int, scale: float, grid: TileGrid) -> list[Tile]:
    """Every tile of one scale of a width x height scan."""
    scaled_w, scaled_h = scaled_size(width, height, scale)
    tiles = []
    for y0, y1 in windows(scaled_h, grid.tile, grid.overlap):
        for x0, x1 in windows(scaled_w, grid.tile, grid.overlap):
            tiles.append(Tile(scale, x0, y0, x1, y1, (x0 > 0, y0 > 0, x1 < scaled_w, y1 < scaled_h)))
    return tiles


def scaled_size(width: int, height: int, scale: float) -> tuple[int, int]:
    return max(1, round(width * scale)), max(1, round(height * scale))


def iter_tiles(decoded: Image.Image, grid: TileGrid, scan_size: tuple[int, int] | None = None
               ) -> Iterator[tuple[Tile, np.ndarray]]:
    """Each tile of each scale with its RGB pixels; one scaled copy of the scan is held at a time.

    `decoded` may be the scan decoded at a reduced size (`scan_size` is then the scan's own size).
    """
    width, height = scan_size or decoded.size
    for scale in pyramid_scales(width, height, grid):
        size = scaled_size(width, height, scale)
        scaled = np.asarray(decoded if size == decoded.size else decoded.resize(size, Image.Resampling.BILINEAR,
                                                                                reducing_gap=2.0))
        for tile in plan_tiles(width, height, scale, grid):
            yield tile, np.ascontiguousarray(scaled[tile.y0 : tile.y1, tile.x0 : tile.x1])
        del scaled


def tile_count(width: int, height: int, grid: TileGrid) -> int:
    """How many tiles a width x height scan is searched in."""
    return sum(len(plan_tiles(width, height, s, grid)) for s in pyramid_scales(width, height, grid))

"""Zoomable murals: a pyramid of 512-px JPEG tiles per scan, built level by level on first request.

Level k is the scan reduced 2**k times; the top level fits in one tile. A level is decoded once
(Pillow's JPEG draft mode decodes at 1/2, 1/4 or 1/8 directly, so only level 0 pays for the full 42 MP),
cut into tiles and cached under `<output>/workbench/pyramid/<digest>/`, the digest naming the scan's
content hash, never anything from a request. A browser then fetches only the tiles it shows.
"""

from __future__ import annotations

import hashlib
import math
import os
import threading
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

TILE = 512
QUALITY = 85
_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()


@dataclass(frozen=True)
class Scan:
    """A mural as the database knows it: where its image is and how big it is."""

    cave_id: str
    mural_id: str
    path: Path  # absolute, from the murals table
    width: int
    height: int
    sha256: str

    @property
    def top_level(self) -> int:
        return max(0, math.ceil(math.log2(max(self.width, self.height) / TILE)))

    def level_size(self, level: int) -> tuple[int, int]:
        return max(1, math.ceil(self.width / 2**level)), max(1, math.ceil(self.height / 2**level))

    def grid(self, level: int) -> tuple[int, int]:
        width, height = self.level_size(level)
        return math.ceil(width / TILE), math.ceil(height / TILE)


def _folder(scan: Scan, cache: Path, level: int) -> Path:
    digest = hashlib.sha256(f"{scan.cave_id}\x1f{scan.mural_id}\x1f{scan.sha256}".encode()).hexdigest()[:24]
    return cache / "pyramid" / digest / str(level)


def _lock(key: str) -> threading.Lock:
    with _locks_guard:
        return _locks.setdefault(key, threading.Lock())


def _decode_level(scan: Scan, level: int) -> Image.Image:
    size = scan.level_size(level)
    with Image.open(scan.path) as opened:
        opened.draft("RGB", size)  # JPEG: decoded at the coarsest 1/2..1/8 scale still >= size
        image = opened.convert("RGB")
    if image.size != size:
        image = image.resize(size, Image.Resampling.LANCZOS, reducing_gap=2.0)
    return image


def _build_level(scan: Scan, folder: Path, level: int) -> None:
    image = _decode_level(scan, level)
    columns, rows = scan.grid(level)
    folder.mkdir(parents=True, exist_ok=True)
    for column in range(columns):
        for row in range(rows):
            box = (
                column * TILE,
                row * TILE,
                min(image.width, (column + 1) * TILE),
                min(image.height, (row + 1) * TILE),
            )
            temporary = folder / f".{column}_{row}.{os.getpid()}.tmp"
            image.crop(box).save(temporary, "JPEG", quality=QUALITY)
            temporary.replace(folder / f"{column}_{row}.jpg")
    (folder / ".complete").touch()


def tile(scan: Scan, cache: Path, level: int, column: int, row: int) -> Path | None:
    """The tile's cached file (building its level first if needed); None outside the pyramid."""
    if not 0 <= level <= scan.top_level:
        return None
    columns, rows = scan.grid(level)
    if not (0 <= column < columns and 0 <= row < rows):
        return None
    folder = _folder(scan, cache, level)
    if not (folder / ".complete").exists():
        with _lock(str(folder)):
            if not (folder / ".complete").exists():
                _build_level(scan, folder, level)
    return folder / f"{column}_{row}.jpg"

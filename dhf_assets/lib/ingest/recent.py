"""The pixels of images this process has just written, for the steps after it that read the same files.

`dhf build` runs a cave's steps one after another in one process: `faces` writes every crop, then
`face_candidates` reads every crop back, and `upscaled_faces` and `face_quality` read the 3k crops and
the standardized images again. Decoding those PNGs again cost about 4 ms per crop. A writer keeps the
pixels here; a reader gets them back only while the file is still the one written (same device, inode,
size and modification time, checked with one `stat`), and decodes the file otherwise: in another process
(the UI's runs, `dhf build --jobs N`), after an eviction, or when the file was replaced. The memory is
bounded (least recently used out first) and the arrays handed out are read-only.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from pathlib import Path

import numpy as np
from PIL import Image

DEFAULT_MAX_BYTES = 256 * 1024 * 1024  # about 750 crops of the paper's sizes, or one cave's worth


class RecentImages:
    """A bounded map from a file's identity to the pixels written into it."""

    def __init__(self, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.max_bytes = max_bytes
        self._entries: OrderedDict[tuple[int, int], tuple[int, int, np.ndarray]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def remember(self, path: Path, image: Image.Image) -> None:
        """Keep the pixels of an RGB `image` as the content of `path`, which must be in place already."""
        if image.mode != "RGB" or image.width * image.height * 3 > self.max_bytes:
            return
        kept = np.asarray(image)  # a copy of the pixels, not a view of the image
        kept.flags.writeable = False
        status = os.stat(path)
        with self._lock:
            self._drop((status.st_dev, status.st_ino))
            self._entries[(status.st_dev, status.st_ino)] = (status.st_size, status.st_mtime_ns, kept)
            self._bytes += kept.nbytes
            while self._bytes > self.max_bytes:
                self._drop(next(iter(self._entries)))

    def pixels(self, path: Path) -> np.ndarray | None:
        """The RGB pixels written into `path` if the file is still that one; None otherwise (decode it)."""
        try:
            status = os.stat(path)
        except OSError:
            return None
        key = (status.st_dev, status.st_ino)
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            size, modified, kept = entry
            if (size, modified) != (status.st_size, status.st_mtime_ns):
                self._drop(key)
                return None
            self._entries.move_to_end(key)
            return kept

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bytes = 0

    @property
    def size_bytes(self) -> int:
        return self._bytes

    def _drop(self, key: tuple[int, int]) -> None:
        entry = self._entries.pop(key, None)
        if entry is not None:
            self._bytes -= entry[2].nbytes


RECENT = RecentImages()


def read_rgb(path: Path) -> Image.Image:
    """The file as an RGB image: the pixels this process wrote into it while they are kept, else decoded.

    Raises Pillow's and the file system's errors (OSError, ValueError) when it cannot be decoded."""
    pixels = RECENT.pixels(path)
    if pixels is not None:
        return Image.fromarray(pixels)
    with Image.open(path) as image:
        image.load()
        return image if image.mode == "RGB" else image.convert("RGB")

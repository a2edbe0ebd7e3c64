"""Safe image opening and atomic PNG writing.

Boxes refer to the stored pixel grid: dhf never applies EXIF orientation. The orientation tag is
read and recorded so a curator can see scans whose viewers show them rotated.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from dhf_assets.lib.storage.processes import temp_prefix

# dhf applies its own, configurable pixel limit before decoding (murals of 42 MP are normal,
# Pillow's default would refuse anything above 179 MP and warn from 89 MP).
Image.MAX_IMAGE_PIXELS = None

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".tif", ".tiff")
ALLOWED_FORMATS = {"JPEG", "PNG", "TIFF", "MPO"}
EXIF_ORIENTATION_TAG = 0x0112


class ImageError(ValueError):
    """An image that cannot be used; the message is the quarantine reason."""


@dataclass(frozen=True)
class ImageInfo:
    width: int
    height: int
    format: str
    mode: str
    exif_orientation: int


def _check_pixels(width: int, height: int, max_pixels: int) -> None:
    if width * height > max_pixels:
        raise ImageError(
            f"decompression bomb refused: {width}x{height} = {width * height} pixels "
            f"> limit {max_pixels} (DHF_MAX_MURAL_PIXELS)"
        )


@contextlib.contextmanager
def _read_errors(what: str) -> Iterator[None]:
    """Pillow's and the file system's errors while reading an image, as one ImageError with a plain reason."""
    try:
        yield
    except UnidentifiedImageError as exc:
        raise ImageError("not an image (unrecognised file contents)") from exc
    except (OSError, SyntaxError, ValueError) as exc:
        if isinstance(exc, ImageError):
            raise
        if isinstance(exc, FileNotFoundError):
            raise ImageError("the file vanished before it could be read") from exc
        raise ImageError(f"{what} ({exc})") from exc


def probe_image(path: Path, max_pixels: int) -> ImageInfo:
    """Read an image's header only: size, format and EXIF orientation."""
    with _read_errors("unreadable image header"), Image.open(path) as image:
        if image.format not in ALLOWED_FORMATS:
            raise ImageError(f"unsupported image format {image.format}")
        _check_pixels(image.width, image.height, max_pixels)
        orientation = int(image.getexif().get(EXIF_ORIENTATION_TAG, 1) or 1)
        return ImageInfo(image.width, image.height, str(image.format), image.mode, orientation)


def decode_rgb(path: Path, max_pixels: int,
               reduce_to: Callable[[int, int], tuple[int, int] | None] | None = None) -> Image.Image:
    """Decode an image once, as RGB; truncated or corrupt data raise ImageError.

    `reduce_to(width, height)`, when given, names the smallest size the caller needs (None: the full size):
    a JPEG is then decoded directly at the coarsest 1/2, 1/4 or 1/8 scale still at least that large (other
    formats whole).
    """
    with _read_errors("unreadable or truncated image data"), Image.open(path) as image:
        _check_pixels(image.width, image.height, max_pixels)
        reduced = reduce_to(image.width, image.height) if reduce_to is not None else None
        if reduced is not None:
            image.draft("RGB", reduced)
        image.load()
        return image if image.mode == "RGB" else image.convert("RGB")


# 8-bit modes OpenCV's libpng writes, and the conversion from Pillow's channel order to OpenCV's.
_OPENCV_PNG_MODES: dict[str, str | None] = {"RGB": "COLOR_RGB2BGR", "RGBA": "COLOR_RGBA2BGRA", "L": None}


def encode_png(image: Image.Image, compress_level: int) -> bytes:
    """Lossless PNG bytes of `image` at zlib level `compress_level` (0-9).

    RGB, RGBA and L images go through OpenCV's libpng with the Sub filter on every row: Pillow tries
    every filter on every row and keeps the best, which on the paper-scale crops at level 1 takes twice
    as long to encode, and its mostly Paeth rows take 1.4x as long to decode, for files only 2 % smaller.
    The pixels read back are the same either way. Other modes go through Pillow.
    """
    if image.mode not in _OPENCV_PNG_MODES:
        buffer = io.BytesIO()
        image.save(buffer, format="PNG", compress_level=compress_level)
        return buffer.getvalue()
    import cv2  # here: the many importers of this module that never encode do not pay for OpenCV

    pixels = np.asarray(image)
    conversion = _OPENCV_PNG_MODES[image.mode]
    if conversion is not None:
        pixels = cv2.cvtColor(pixels, getattr(cv2, conversion))
    ok, data = cv2.imencode(".png", pixels, [
        cv2.IMWRITE_PNG_COMPRESSION, compress_level,
        cv2.IMWRITE_PNG_STRATEGY, cv2.IMWRITE_PNG_STRATEGY_DEFAULT,
        cv2.IMWRITE_PNG_FILTER, cv2.IMWRITE_PNG_FILTER_SUB,
    ])
    if not ok:
        raise ImageError(f"PNG encoding failed for a {image.width}x{image.height} {image.mode} image")
    return data.tobytes()


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """Write a file so that readers see the old or the new content, never a partial one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # The name carries the writer (host, pid, start time) so that one killed mid-write is recognised
    # as an orphan and removed by the next `dhf build`, while a live writer's file is left alone.
    handle, temp_name = tempfile.mkstemp(dir=path.parent, prefix=temp_prefix(path.name), suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as temp:
            temp.write(data)
        os.replace(temp_name, path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise


def write_png_atomic(image: Image.Image, path: Path, compress_level: int) -> str:
    """Encode as PNG, write atomically, return the sha256 of the written bytes."""
    data = encode_png(image, compress_level)
    write_bytes_atomic(path, data)
    return hashlib.sha256(data).hexdigest()

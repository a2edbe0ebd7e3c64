"""Standardized images of a cave: crops through the tiers, written as 512x512 PNGs with provenance."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Sequence

from PIL import Image

from dhf_assets.lib.ingest.images import write_png_atomic
from dhf_assets.lib.ingest.recent import RECENT, read_rgb
from dhf_assets.lib.storage.quarantine import Problem
from dhf_assets.lib.upscale import Crop, Upscaler, standardize

UPSCALED_COLUMNS = (
    "face_id", "cave_id", "tier", "source_width", "source_height", "square_method", "padding", "content_box",
    "backend", "model_id", "device", "dtype", "steps", "guidance", "noise_level", "seed", "stage_seeds",
    "prompt", "seconds", "image_path", "sha256", "architecture", "model_file", "model_sha256", "tile_size",
    "tile_overlap",
)


@dataclass(frozen=True)
class Source:
    face_id: str
    crop_path: Path


def standardized_path(cave_id: str, face_id: str) -> Path:
    """Where a face's 512x512 image lives, relative to the output folder."""
    return Path("standardized") / cave_id / f"{face_id}.png"


def _load(source: Source) -> Image.Image | str:
    try:
        return read_rgb(source.crop_path)  # in memory when `faces` wrote it in this process
    except (OSError, ValueError) as exc:
        return f"crop cannot be decoded ({exc})"


def standardize_cave(
    cave_id: str, sources: Sequence[Source], upscaler: Upscaler, output: Path, batch_size: int,
    chunk: int = 32, compress_level: int = 1,
) -> Iterator[tuple[list[tuple], list[Problem]]]:
    """Rows (UPSCALED_COLUMNS) and problems, `chunk` crops at a time so memory stays bounded."""
    for start in range(0, len(sources), chunk):
        loaded = [(s, _load(s)) for s in sources[start : start + chunk]]
        problems = [Problem("upscale", s.crop_path.name, s.face_id, r) for s, r in loaded if isinstance(r, str)]
        crops = [Crop(s.face_id, image) for s, image in loaded if not isinstance(image, str)]
        rows = []
        for result in standardize(crops, upscaler, batch_size=batch_size):
            p = result.provenance
            relative = standardized_path(cave_id, p["image_id"])
            digest = write_png_atomic(result.image, output / relative, compress_level)
            RECENT.remember(output / relative, result.image)  # face_quality reads it next, in this process
            rows.append((
                p["image_id"], cave_id, p["tier"], p["source_width"], p["source_height"], p["square_method"],
                p["padding"], p["content_box"], p["backend"], p.get("model_id"), p.get("device"), p.get("dtype"),
                p.get("steps"), p.get("guidance"), p.get("noise_level"), p.get("seed"),
                [s for s in p["stage_seeds"] if s is not None], p.get("prompt"), p["seconds"],
                relative.as_posix(), digest, p.get("architecture"), p.get("model_file"), p.get("model_sha256"),
                p.get("tile_size"), p.get("tile_overlap"),
            ))
        yield rows, problems

"""Small archives made by the tests: caves, murals with VOC files, and bad files on demand."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from dhf_assets.lib.ingest.voc import render_voc

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<annotation><object><name>&lol2;</name></object></annotation>
"""


def write_caves(archive: Path, rows: list[tuple[str, str, str, str]]) -> None:
    archive.mkdir(parents=True, exist_ok=True)
    lines = ["cave_id,site,period,cave_style"] + [",".join(r) for r in rows]
    (archive / "caves.csv").write_text("\n".join(lines) + "\n")


def mural_image(width: int, height: int, seed: int) -> Image.Image:
    """A smooth, textured picture (a gradient plus noise) that compresses like a scan."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width]
    base = np.stack([(x * 255 // max(width - 1, 1)), (y * 255 // max(height - 1, 1)), ((x + y) % 256)], -1)
    noise = rng.integers(0, 24, size=(height, width, 3))
    return Image.fromarray(np.clip(base + noise, 0, 255).astype(np.uint8))


def voc_box(xmin: int, ymin: int, xmax: int, ymax: int, name: str = "BS", pose: str = "Frontal") -> dict:
    """A VOC object with 1-based inclusive coordinates."""
    return {"name": name, "pose": pose, "xmin": xmin, "ymin": ymin, "xmax": xmax, "ymax": ymax}


def write_mural(
    archive: Path, cave_id: str, mural_id: str, size: tuple[int, int], boxes: list[dict] | None,
    seed: int = 0, suffix: str = ".jpg",
) -> Path:
    """A mural image and (unless boxes is None) its VOC file; returns the image path."""
    folder = archive / "murals" / cave_id
    folder.mkdir(parents=True, exist_ok=True)
    image_path = folder / f"{mural_id}{suffix}"
    mural_image(*size, seed=seed).save(image_path, quality=90) if suffix == ".jpg" else mural_image(
        *size, seed=seed
    ).save(image_path)
    if boxes is not None:
        (folder / f"{mural_id}.xml").write_text(render_voc(image_path.name, size[0], size[1], boxes, folder=cave_id))
    return image_path


def two_cave_archive(archive: Path) -> dict[str, int]:
    """Caves A1 and B2 with clean murals; returns the number of valid boxes per cave."""
    write_caves(archive, [("A1", "MC", "FD", "IDRS"), ("B2", "YC", "HT", "DS")])
    write_mural(
        archive, "A1", "m1", (640, 480), [voc_box(11, 21, 110, 140), voc_box(201, 51, 400, 300, "face", "Left")], seed=1
    )
    write_mural(archive, "A1", "m2", (500, 400), [voc_box(1, 1, 60, 80, "B")], seed=2)
    write_mural(archive, "B2", "m1", (600, 600), [voc_box(101, 101, 300, 350, "CM", "Right")], seed=3)
    return {"A1": 3, "B2": 1}

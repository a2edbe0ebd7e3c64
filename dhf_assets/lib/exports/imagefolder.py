"""A folder that `datasets.load_dataset("imagefolder", data_dir=...)` loads, split by mural.

    <dest>/train/<face_id>.png ... metadata.jsonl
    <dest>/validation/...          metadata.jsonl
    <dest>/test/...                metadata.jsonl

Faces of one mural are near-duplicates in style, hand and damage: a mural in two splits would leak.
So the split is a function of (cave_id, mural_id) alone: sha256 of "cave_id/mural_id" read as a
number in [0, 1) falls into the train / validation / test ratios. The same mural lands in the same
split on every run and whatever else the dataset holds; adding murals never moves existing ones.

`datasets` infers each split's features from its metadata file and refuses splits that differ, so
no value is ever null (a missing identity is ""), and tags are one string as well as the caption.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from .captions import caption
from .data import ATTRIBUTES, ExportData, StandardizedFace
from .folders import copy_file, safe_join, write_text

SPLITS = ("train", "validation", "test")
DEFAULT_RATIOS = (0.8, 0.1, 0.1)


@dataclass(frozen=True)
class ImageFolderSummary:
    images: dict[str, int]  # split -> images
    murals: dict[str, int]  # split -> murals


def validate_ratios(ratios: Sequence[float]) -> tuple[float, float, float]:
    if len(ratios) != 3 or any(r < 0 for r in ratios) or abs(sum(ratios) - 1.0) > 1e-6:
        raise ValueError("split ratios must be three non-negative numbers summing to 1 (train, validation, test), got "
                         f"{list(ratios)}")
    return tuple(float(r) for r in ratios)  # type: ignore[return-value]


def mural_fraction(cave_id: str, mural_id: str) -> float:
    digest = hashlib.sha256(f"{cave_id}/{mural_id}".encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def split_for_mural(cave_id: str, mural_id: str, ratios: Sequence[float] = DEFAULT_RATIOS) -> str:
    """train, validation or test for every face of this mural."""
    train, validation, _ = validate_ratios(ratios)
    fraction = mural_fraction(cave_id, mural_id)
    if fraction < train:
        return "train"
    return "validation" if fraction < train + validation else "test"


def metadata_record(item: StandardizedFace, data: ExportData) -> dict[str, object]:
    face = item.face
    record: dict[str, object] = {"file_name": f"{face.face_id}.png", "face_id": face.face_id,
                                 "cave_id": face.cave_id, "mural_id": face.mural_id}
    for attribute in ATTRIBUTES:
        code = item.code(attribute)
        record[attribute] = code or ""
        record[f"{attribute}_name"] = data.name(attribute, code) or ""
    record.update({
        "tier": item.tier, "source_width": item.source_size[0], "source_height": item.source_size[1],
        "in_500": item.in_500, "tags": ", ".join(item.tags or ()),
        "caption": caption(data.name("period", item.period), face.identity,
                           data.name("identity", face.identity), item.tags or ()),
    })
    return record


def write_imagefolder(data: ExportData, output: Path, dest: Path, ratios: Sequence[float] = DEFAULT_RATIOS,
                      subset: str = "3k") -> ImageFolderSummary:
    """Write the standardized faces of `subset` ("3k" or "500") into split folders under `dest`."""
    ratios = validate_ratios(ratios)
    if subset not in ("3k", "500"):
        raise ValueError(f"unknown subset {subset!r} (known: 3k, 500)")
    lines: dict[str, list[str]] = {s: [] for s in SPLITS}
    murals: dict[str, set[tuple[str, str]]] = {s: set() for s in SPLITS}
    for item in data.standardized:
        if subset == "500" and not item.in_500:
            continue
        split = split_for_mural(item.face.cave_id, item.face.mural_id, ratios)
        copy_file(safe_join(output, item.image_path), dest / split / f"{item.face.face_id}.png")
        lines[split].append(json.dumps(metadata_record(item, data), ensure_ascii=False))
        murals[split].add((item.face.cave_id, item.face.mural_id))
    for split, split_lines in lines.items():
        if split_lines:  # an empty split folder would make `datasets` fail; it is left out instead
            write_text(dest / split / "metadata.jsonl", "\n".join(split_lines) + "\n")
    dest.mkdir(parents=True, exist_ok=True)
    return ImageFolderSummary({s: len(v) for s, v in lines.items()}, {s: len(v) for s, v in murals.items()})

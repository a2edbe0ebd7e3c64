"""Versioned releases: `releases/<version>/` with the paper layout, COCO, the imagefolder, a card and a manifest.

A release is built from the tables and files in one pass (so its card, its files and its caves agree),
in a temporary folder beside `releases/<version>`, then renamed into place. Its default version is the
UTC date and the first 8 hex digits of a hash over its files: rebuilding unchanged data on the same
day gives the same version and identical files.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from dhf_assets.lib.storage.processes import temp_prefix

from .card import CardInputs, licence_from_env, read_marts, read_provenance, render_dataset_card
from .coco import coco_json
from .data import load_export_data
from .folders import remove_stale, replace_folder, write_text
from .imagefolder import DEFAULT_RATIOS, write_imagefolder
from .manifest import content_hash, list_files, write_manifest
from .paper_layout import SUBSET_3K, SUBSET_20K, SUBSET_500, write_paper_layout

VERSION_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
COCO_FILE = f"{SUBSET_20K}/coco.json"
IMAGEFOLDER = "imagefolder"
LAYOUT = [
    (f"{SUBSET_20K}/murals/<cave>/<mural>.<ext>, .xml", "scans and Pascal VOC boxes (dhf's archive layout)"),
    (f"{SUBSET_20K}/faces/<cave>/<mural>/<face_id>.png", "every face crop"),
    (f"{SUBSET_20K}/caves.csv, murals.csv, faces.csv", "catalog, periods per mural, one row per box"),
    (COCO_FILE, "the same boxes as COCO detection JSON"),
    (f"{SUBSET_3K}/<face_id>.png, .json", "512×512 faces and their attributes"),
    (f"{SUBSET_500}/<face_id>.png, .json, .txt", "the best preserved faces, attributes and tags"),
    (f"{IMAGEFOLDER}/<split>/", "the 3k faces split by mural for `datasets.load_dataset(\"imagefolder\")`"),
]


@dataclass(frozen=True)
class ReleaseSummary:
    version: str
    folder: Path
    files: int
    bytes: int
    contents: dict[str, int]


def validate_version(version: str) -> str:
    if not VERSION_PATTERN.match(version) or ".." in version:
        raise ValueError(f"release version {version!r} must be letters, digits, '.', '_' or '-' (max 64)")
    return version


def default_version(content_digest: str, today: dt.date | None = None) -> str:
    today = today or dt.datetime.now(dt.timezone.utc).date()
    return f"{today:%Y.%m.%d}-{content_digest[:8]}"


def build_release(database: Path, archive: Path, output: Path, releases: Path, caves: Sequence[str],
                  left_out: dict[str, str], version: str | None = None,
                  ratios: Sequence[float] = DEFAULT_RATIOS) -> ReleaseSummary:
    """Write `releases/<version>/` for the given caves; `left_out` (cave -> reason) is named in the card."""
    if version is not None:
        validate_version(version)
    data = load_export_data(database, caves)
    releases.mkdir(parents=True, exist_ok=True)
    remove_stale(releases, ".building.*")
    temp = Path(tempfile.mkdtemp(dir=releases, prefix=temp_prefix("building"), suffix=".tmp"))
    temp.chmod(0o755)
    try:
        layout = write_paper_layout(data, archive, output, temp)
        write_text(temp / COCO_FILE, coco_json(data))
        splits = write_imagefolder(data, output, temp / IMAGEFOLDER, ratios)
        version = version or default_version(content_hash(list_files(temp)))
        contents = {"caves": len(data.caves), "murals (20k)": layout.murals, "face crops (20k)": layout.crops,
                    "images (3k)": layout.images_3k, "images (500)": layout.images_500,
                    **{f"imagefolder {s}": n for s, n in splits.images.items()}}
        licence, note, citation = licence_from_env()
        card = render_dataset_card(CardInputs(
            version=version, caves=[c[0] for c in data.caves], left_out=dict(left_out), contents=contents,
            marts=read_marts(database), provenance=read_provenance(database, list(caves)),
            license=licence, license_note=note, citation=citation, layout=LAYOUT))
        write_text(temp / "README.md", card)
        write_text(temp / "release.json", json.dumps(
            {"version": version, "caves": [c[0] for c in data.caves], "left_out": dict(sorted(left_out.items())),
             "contents": contents}, indent=1) + "\n")
        entries = write_manifest(temp, version)
        target = releases / version
        replace_folder(temp, target)
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)
        raise
    return ReleaseSummary(version, target, len(entries), sum(e.size for e in entries), contents)

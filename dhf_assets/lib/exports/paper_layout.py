"""The paper's three subsets (Figure 2): 20k murals + crops + VOC XML; 3k images + JSON; 500 images + JSON + TXT.

    Dunhuang_Faces-20k/caves.csv, murals.csv, faces.csv
    Dunhuang_Faces-20k/murals/<cave_id>/<mural_id>.<ext>  +  <mural_id>.xml   (dhf's archive contract)
    Dunhuang_Faces-20k/faces/<cave_id>/<mural_id>/<face_id>.png
    Dunhuang_Faces-3k/<face_id>.png  +  <face_id>.json
    Dunhuang_Faces-500/<face_id>.png +  <face_id>.json  +  <face_id>.txt

The 20k folder is itself an archive dhf can ingest again. Its VOC files are written from the `faces`
table, not copied: they hold exactly the boxes that were cropped (1-based inclusive, so
xmin = xmin_px + 1, xmax = xmax_px), whatever the source XML's rounding or 1 px overshoot was.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from pathlib import Path

from dhf_assets.lib.ingest.voc import render_voc
from dhf_assets.lib.ingest.vocabulary import UNLABELLED_NAME

from .data import ExportData, Face, Mural, StandardizedFace, attributes_record
from .folders import copy_file, safe_join, write_text

SUBSET_20K, SUBSET_3K, SUBSET_500 = "Dunhuang_Faces-20k", "Dunhuang_Faces-3k", "Dunhuang_Faces-500"


@dataclass(frozen=True)
class LayoutSummary:
    murals: int
    unannotated_murals: int  # scans without an annotation yet: not part of the 20k subset
    crops: int
    images_3k: int
    images_500: int


def voc_objects(faces: list[Face]) -> list[dict[str, object]]:
    """VOC objects of a mural's faces: pixel boxes back to 1-based inclusive coordinates."""
    return [
        {"name": f.identity or UNLABELLED_NAME, "pose": f.orientation,
         "xmin": f.box[0] + 1, "ymin": f.box[1] + 1, "xmax": f.box[2], "ymax": f.box[3]}
        for f in sorted(faces, key=lambda f: f.object_index)
    ]


def _csv(header: list[str], rows: list[tuple]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def write_20k(data: ExportData, archive: Path, output: Path, dest: Path) -> tuple[int, int, int]:
    annotated = [m for m in data.murals if m.annotated]
    for mural in annotated:
        folder = dest / "murals" / mural.cave_id
        copy_file(safe_join(archive, mural.path), folder / mural.file_name)
        write_text(folder / f"{mural.mural_id}.xml", render_voc(
            mural.file_name, mural.width, mural.height, voc_objects(data.faces_of(mural.cave_id, mural.mural_id)),
            folder=mural.cave_id))
    for face in data.faces:
        copy_file(safe_join(output, face.crop_path),
                  dest / "faces" / face.cave_id / face.mural_id / f"{face.face_id}.png")
    write_text(dest / "caves.csv", _csv(["cave_id", "site", "period", "cave_style"], data.caves))
    write_text(dest / "murals.csv", _csv(["cave_id", "mural_id", "period"],
                                         [(m.cave_id, m.mural_id, m.period) for m in annotated]))
    write_text(dest / "faces.csv", _csv(
        ["face_id", "cave_id", "mural_id", "object_index", "xmin", "ymin", "xmax", "ymax", "identity", "orientation"],
        [(f.face_id, f.cave_id, f.mural_id, f.object_index, *f.box, f.identity or "",
          f.orientation) for f in data.faces]))
    return len(annotated), len(data.murals) - len(annotated), len(data.faces)


def _write_standardized(item: StandardizedFace, data: ExportData, output: Path, folder: Path) -> dict[str, object]:
    face_id = item.face.face_id
    copy_file(safe_join(output, item.image_path), folder / f"{face_id}.png")
    return {"file_name": f"{face_id}.png", **attributes_record(item, data)}


def write_3k_and_500(data: ExportData, output: Path, dest_3k: Path, dest_500: Path) -> tuple[int, int]:
    dest_3k.mkdir(parents=True, exist_ok=True)
    dest_500.mkdir(parents=True, exist_ok=True)
    count_500 = 0
    for item in data.standardized:
        record = _write_standardized(item, data, output, dest_3k)
        write_text(dest_3k / f"{item.face.face_id}.json", json.dumps(record, indent=2, ensure_ascii=False) + "\n")
        if item.in_500:
            record_500 = {**_write_standardized(item, data, output, dest_500), "tags": list(item.tags or ())}
            write_text(
                dest_500 / f"{item.face.face_id}.json", json.dumps(record_500, indent=2, ensure_ascii=False) + "\n"
            )
            write_text(dest_500 / f"{item.face.face_id}.txt", ", ".join(item.tags or ()) + "\n")
            count_500 += 1
    return len(data.standardized), count_500


def write_paper_layout(data: ExportData, archive: Path, output: Path, dest: Path) -> LayoutSummary:
    """Write the three subset folders under `dest` (an empty folder)."""
    murals, unannotated, crops = write_20k(data, archive, output, dest / SUBSET_20K)
    images_3k, images_500 = write_3k_and_500(data, output, dest / SUBSET_3K, dest / SUBSET_500)
    return LayoutSummary(murals, unannotated, crops, images_3k, images_500)


def mural_files(mural: Mural) -> tuple[str, str]:
    """Paths of a mural's image and VOC file inside the 20k folder."""
    return f"murals/{mural.cave_id}/{mural.file_name}", f"murals/{mural.cave_id}/{mural.mural_id}.xml"

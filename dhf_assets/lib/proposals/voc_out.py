"""The open proposals of a mural as a Pascal VOC file, loadable as pre-annotations by LabelImg and CVAT."""

from __future__ import annotations

from pathlib import Path

from dhf_assets.lib.ingest.images import write_bytes_atomic
from dhf_assets.lib.ingest.voc import render_voc

PROPOSAL_NAME = "face"  # the archive contract's name for a face not labelled yet


def proposals_voc(scan_name: str, width: int, height: int, boxes: list[tuple[int, int, int, int]]) -> str:
    """VOC XML for 0-based half-open pixel boxes (written 1-based inclusive, as the contract reads them)."""
    objects: list[dict[str, object]] = [
        {"name": PROPOSAL_NAME, "pose": "Unspecified", "xmin": x1 + 1, "ymin": y1 + 1, "xmax": x2, "ymax": y2}
        for x1, y1, x2, y2 in boxes
    ]
    return render_voc(scan_name, width, height, objects)


def proposals_voc_path(output: Path, cave_id: str, mural_id: str) -> Path:
    """$DHF_OUTPUT_DIR/proposals/<cave_id>/<mural_id>.xml (ids are checked by the archive scan)."""
    return output / "proposals" / cave_id / f"{mural_id}.xml"


def write_proposals_voc(path: Path, scan_name: str, width: int, height: int,
                        boxes: list[tuple[int, int, int, int]]) -> None:
    """Write atomically: a reader sees the previous file or the new one, never a partial one."""
    write_bytes_atomic(path, proposals_voc(scan_name, width, height, boxes).encode("utf-8"))

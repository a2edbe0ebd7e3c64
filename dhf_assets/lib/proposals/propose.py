"""Face-box proposals for one mural: decode once, search its tiles, merge, and mark annotated boxes."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from dhf_assets.lib.detect.types import FaceDetector
from dhf_assets.lib.ingest.boxes import PixelBox
from dhf_assets.lib.ingest.images import ImageError
from dhf_assets.lib.proposals.detect import detect_tiles
from dhf_assets.lib.proposals.ids import proposal_id_for
from dhf_assets.lib.proposals.merge import BoxStyle, Merged, merge
from dhf_assets.lib.proposals.scan import decode_for_search
from dhf_assets.lib.proposals.tiles import TileGrid, iter_tiles
from dhf_assets.lib.storage.quarantine import Problem

PROPOSAL_COLUMNS = (
    "proposal_id", "cave_id", "mural_id", "xmin", "ymin", "xmax", "ymax", "score", "detectors", "status", "reason",
)
ANNOTATED_IOU = 0.5  # a proposal overlapping an annotated box this much is that box


@dataclass(frozen=True)
class MuralScan:
    cave_id: str
    mural_id: str
    path: Path
    annotated: tuple[tuple[str, PixelBox], ...] = ()  # (face_id, box) of the mural's valid VOC boxes


@dataclass
class MuralProposals:
    rows: list[tuple] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    tiles: int = 0
    seconds: float = 0.0


def iou(a: Sequence[float], b: Sequence[float]) -> float:
    """Intersection over union of two (xmin, ymin, xmax, ymax) boxes (half-open pixels, or detector floats)."""
    width = min(a[2], b[2]) - max(a[0], b[0])
    height = min(a[3], b[3]) - max(a[1], b[1])
    if width <= 0 or height <= 0:
        return 0.0
    inter = width * height
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


def status_of(box: tuple[int, int, int, int], annotated: tuple[tuple[str, PixelBox], ...]) -> tuple[str, str]:
    """`annotated` with the face it overlaps (IoU >= 0.5), else `open` with the best overlap seen."""
    scored = [(iou(box, (b.xmin, b.ymin, b.xmax, b.ymax)), face_id) for face_id, b in annotated]
    best, face_id = max(scored, default=(0.0, ""))
    if best >= ANNOTATED_IOU:
        return "annotated", f"overlaps annotated face {face_id} (IoU {best:.2f})"
    if not annotated:
        return "open", "the mural has no annotated box"
    return "open", f"no annotated box overlaps it (best IoU {best:.2f})"


def proposal_rows(scan: MuralScan, merged: list[Merged]) -> list[tuple]:
    rows = []
    for proposal in merged:
        status, reason = status_of(proposal.box, scan.annotated)
        rows.append((proposal_id_for(scan.cave_id, scan.mural_id, proposal.box), scan.cave_id, scan.mural_id,
                     *proposal.box, proposal.score, ",".join(proposal.detectors), status, reason))
    return rows


def propose_mural(scan: MuralScan, detectors: tuple[FaceDetector, ...], grid: TileGrid,
                  style: dict[str, BoxStyle], max_pixels: int) -> MuralProposals:
    """The mural's proposals; an unreadable or oversized scan, or a failing tile, is a problem row."""
    started = time.perf_counter()
    result = MuralProposals()
    try:
        image, (width, height) = decode_for_search(scan.path, max_pixels, grid)
    except ImageError as exc:
        result.problems.append(Problem("proposals", scan.path.name, scan.mural_id, f"scan not searched: {exc}"))
        return result
    found = detect_tiles(iter_tiles(image, grid, (width, height)), detectors, grid)
    result.tiles = found.tiles
    result.problems += [Problem("proposals", scan.path.name, label, f"{reason}; the mural's other tiles were searched")
                        for label, reason in found.failures]
    result.rows = proposal_rows(scan, merge(found.found, width, height, style))
    result.seconds = time.perf_counter() - started
    return result

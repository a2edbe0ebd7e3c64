"""Running the face detectors over a mural's tiles, each call with the parameters a tile needs."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from dhf_assets.lib.detect.types import FaceDetector, SearchParams
from dhf_assets.lib.proposals.tiles import Tile, TileGrid

Box = tuple[float, float, float, float]  # x1, y1, x2, y2 in the scan's pixels

# A proposal is kept at or above its detector's score: MTCNN scores true faces about 0.99 and more,
# YuNet about 0.9 (../shared/weights/README.md), so each has its own threshold.
MIN_SCORE: dict[str, float] = {"mtcnn": 0.9, "yunet": 0.6}


@dataclass(frozen=True)
class Found:
    box: Box
    score: float
    detector: str


@dataclass
class TileResults:
    found: list[Found] = field(default_factory=list)
    failures: list[tuple[str, str]] = field(default_factory=list)  # (tile label, reason)
    tiles: int = 0


def search_params(detector: FaceDetector, grid: TileGrid) -> SearchParams:
    """A tile is searched down to `detect_px` faces (MTCNN's pyramid would start at 20 px otherwise)."""
    return SearchParams(min_face_px=grid.detect_px) if detector.name == "mtcnn" else SearchParams()


def detect_tiles(tiles: Iterable[tuple[Tile, np.ndarray]], detectors: tuple[FaceDetector, ...],
                 grid: TileGrid, min_score: dict[str, float] | None = None) -> TileResults:
    """Every detector on every tile; a failing tile is recorded with its reason and the others go on."""
    thresholds = {**MIN_SCORE, **(min_score or {})}
    results = TileResults()
    for tile, pixels in tiles:
        results.tiles += 1
        for detector in detectors:
            try:
                (found,) = detector.detect_batch([pixels], search_params(detector, grid))
            except Exception as exc:  # noqa: BLE001 - a tile's failure is data (quarantined), not a crash
                results.failures.append((tile.label, f"{detector.name} failed: {type(exc).__name__}: {exc}"))
                continue
            for detection in found.detections:
                small = (
                    min(detection.box[2] - detection.box[0], detection.box[3] - detection.box[1]) < grid.detect_px / 2
                )
                if detection.score < thresholds.get(detector.name, 0.0) or small or tile.cuts(detection.box):
                    continue
                results.found.append(Found(tile.to_scan(detection.box), detection.score, detector.name))
    return results

"""Scoring face crops in batches with every enabled detector, and applying the candidate rule."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np

from dhf_assets.lib.detect.candidates import decide, detection_row
from dhf_assets.lib.detect.types import FaceDetector, SearchParams
from dhf_assets.lib.ingest.recent import read_rgb
from dhf_assets.lib.runtime.threads import limited_torch_threads
from dhf_assets.lib.storage.quarantine import Problem

CANDIDATE_COLUMNS = (
    "face_id", "cave_id", "status", "reason", "best_score", "best_detector", "threshold", "rule", "detectors",
)
DETECTION_COLUMNS = (
    "face_id", "cave_id", "detector", "weights_id", "n_faces", "score", "box", "landmarks",
)


DECODE_CHUNK = 32  # crops decoded and held at a time

# A crop is one annotated face, so each detector searches it as such: MTCNN starts its pyramid at a
# face of 30 % of the crop's shorter side (35 ms instead of 145 ms on a 390 px crop, and more true
# faces kept: ../shared/SETUP.md), RetinaFace sees the crop shrunk to a 256 px longer side (its
# anchors still span the face). Measured on the sample's faces and the test faces, no crop that was a
# candidate before stops being one (test_crop_search); face-box proposals on whole murals use the
# detectors' defaults. Changing these values changes `candidates_code_version`.
CROP_SEARCH: dict[str, SearchParams] = {
    "mtcnn": SearchParams(min_face_fraction=0.3),
    "retinaface": SearchParams(max_side=256),
}
CROP_SEARCH_VERSION = "crop-search-v1(mtcnn:min_face=0.3*short;retinaface:max_side=256)"


@dataclass(frozen=True)
class Crop:
    face_id: str
    path: Path
    width: int
    height: int


def _decode(crop: Crop) -> np.ndarray | str:
    try:
        return np.asarray(read_rgb(crop.path))  # in memory when `faces` wrote it in this process
    except (OSError, ValueError) as exc:
        return f"crop cannot be decoded ({exc})"


def _batches(crops: Iterable[Crop], size: int) -> Iterator[list[Crop]]:
    batch: list[Crop] = []
    for crop in crops:
        batch.append(crop)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def score_crops(
    cave_id: str, crops: Iterable[Crop], detectors: tuple[FaceDetector, ...], threshold: float, rule: str,
    batch_size: int, search: dict[str, SearchParams] | None = CROP_SEARCH,
) -> Iterator[tuple[list[tuple], list[tuple], list[Problem]]]:
    """Per chunk: candidate rows, detection rows and problems. Only one chunk is decoded at a time;
    each detector batches it by its own `batch_size` and searches it with `search[name]`
    (None: every detector's whole-image defaults)."""
    names = ",".join(f"{d.name}:{d.weights_id}" for d in detectors)
    for batch in _batches(crops, max(batch_size, DECODE_CHUNK)):
        decoded = [(crop, _decode(crop)) for crop in batch]
        problems = [Problem("candidates", c.path.name, c.face_id, a) for c, a in decoded if isinstance(a, str)]
        usable = [(c, a) for c, a in decoded if not isinstance(a, str)]
        arrays = [a for _, a in usable]
        params = search or {}
        with limited_torch_threads():
            results = {d.name: d.detect_batch(arrays, params.get(d.name)) for d in detectors} if arrays else {}
        candidates, detections = [], []
        for index, (crop, _) in enumerate(usable):
            per_detector = {name: found[index] for name, found in results.items()}
            decision = decide(per_detector, (crop.width, crop.height), threshold, rule)  # type: ignore[arg-type]
            candidates.append((crop.face_id, cave_id, decision.status, decision.reason, decision.best_score,
                               decision.best_detector, threshold, rule, names))
            for name, result in per_detector.items():
                row = detection_row(name, result)
                detections.append((crop.face_id, cave_id, name, row["weights_id"], row["n_faces"],
                                   row["best_score"], row["box"], row["landmarks"]))
        yield candidates, detections, problems

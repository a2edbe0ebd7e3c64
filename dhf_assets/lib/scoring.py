"""Scoring face crops in batches with every enabled detector, and applying the candidate rule."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np
from PIL import Image

from .candidates import decide, detection_row
from .detect.types import FaceDetector
from .quarantine import Problem

CANDIDATE_COLUMNS = (
    "face_id", "cave_id", "status", "reason", "best_score", "best_detector", "threshold", "rule", "detectors",
)
DETECTION_COLUMNS = (
    "face_id", "cave_id", "detector", "weights_id", "n_faces", "score", "box", "landmarks",
)


DECODE_CHUNK = 32  # crops decoded and held at a time


@dataclass(frozen=True)
class Crop:
    face_id: str
    path: Path
    width: int
    height: int


def _decode(crop: Crop) -> np.ndarray | str:
    try:
        with Image.open(crop.path) as image:
            return np.asarray(image.convert("RGB"))
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
    batch_size: int,
) -> Iterator[tuple[list[tuple], list[tuple], list[Problem]]]:
    """Per chunk: candidate rows, detection rows and problems. Only one chunk is decoded at a time;
    each detector batches it by its own `batch_size`."""
    names = ",".join(f"{d.name}:{d.weights_id}" for d in detectors)
    for batch in _batches(crops, max(batch_size, DECODE_CHUNK)):
        decoded = [(crop, _decode(crop)) for crop in batch]
        problems = [Problem("candidates", c.path.name, c.face_id, a) for c, a in decoded if isinstance(a, str)]
        usable = [(c, a) for c, a in decoded if not isinstance(a, str)]
        arrays = [a for _, a in usable]
        results = {d.name: d.detect_batch(arrays) for d in detectors} if arrays else {}
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

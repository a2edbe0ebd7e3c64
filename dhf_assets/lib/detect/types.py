"""The detector interface shared by MTCNN, RetinaFace and YuNet and by the candidate rule."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, Sequence

import numpy as np

Point = tuple[float, float]


@dataclass(frozen=True)
class Detection:
    score: float  # full precision, never rounded
    box: tuple[float, float, float, float]  # x1, y1, x2, y2 in the crop's pixels
    landmarks: tuple[Point, ...]  # 5 points: left eye, right eye, nose, mouth left, mouth right


@dataclass(frozen=True)
class ImageDetections:
    detector: str  # "mtcnn" | "retinaface" | "yunet"
    weights_id: str  # which weights produced these scores (recorded with every score)
    detections: tuple[Detection, ...]  # sorted by score, best first

    @property
    def best(self) -> Detection | None:
        return self.detections[0] if self.detections else None


@dataclass(frozen=True)
class SearchParams:
    """How one detect_batch call searches; None keeps the detector's own (whole-image) setting.

    A face crop *is* one face, so it needs neither tiny faces nor full resolution: face-box
    proposals on whole murals keep the defaults, crops pass CROP_SEARCH (see `scoring`).
    """

    min_face_fraction: float | None = None  # smallest face searched, as a share of the shorter side
    max_side: int | None = None  # images are shrunk (never enlarged) to this longer side first
    min_face_px: int | None = None  # smallest face searched, in pixels (tiles of a whole mural)


class WeightsMissingError(FileNotFoundError):
    """Model weights are not where the configuration says; the message says what to put where."""


class FaceDetector(Protocol):
    name: str
    weights_id: str

    def detect_batch(
        self, images: Sequence[np.ndarray], params: SearchParams | None = None
    ) -> list[ImageDetections]:
        """Detect faces in RGB uint8 HxWx3 arrays; one result per image, in order, in each
        image's own pixels whatever `params` resized."""
        ...

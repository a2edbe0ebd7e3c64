"""YuNet (OpenCV's `cv2.FaceDetectorYN`) behind the FaceDetector interface.

A 230 KB ONNX model that runs with OpenCV alone, about 25-100 ms per 0.1-0.8 MP image on a 2-core
CPU. Its scores for true faces sit around 0.9, so its threshold is its own, not MTCNN's. The model
file cannot ship with dhf: a missing or unloadable file raises WeightsMissingError saying what to
put where. `SearchParams.max_side` shrinks an image first; YuNet's anchors reach down to about
10 px faces, so `min_face_px` needs no work here (smaller boxes are left to the caller).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np

from dhf_assets.lib.detect._images import as_rgb_batch
from dhf_assets.lib.detect.preprocess import fit
from dhf_assets.lib.detect.types import (
    Detection,
    ImageDetections,
    SearchParams,
    WeightsMissingError,
)

MODEL_HELP = (
    "set DHF_YUNET_MODEL to OpenCV Zoo's face_detection_yunet_2023mar.onnx "
    "(opencv/opencv_zoo, models/face_detection_yunet; 232,589 bytes)"
)


class YunetDetector:
    name = "yunet"

    def __init__(self, model_path: str | Path, min_score: float = 0.5, nms_iou: float = 0.3, top_k: int = 5000) -> None:
        path = Path(model_path)
        if not path.is_file():
            raise WeightsMissingError(f"YuNet model file {path} not found: {MODEL_HELP}")
        try:
            self.model = cv2.FaceDetectorYN.create(str(path), "", (320, 320), min_score, nms_iou, top_k)
        except cv2.error as exc:
            raise WeightsMissingError(f"YuNet model file {path} cannot be loaded ({exc}): {MODEL_HELP}") from exc
        self.weights_id = f"yunet-{hashlib.sha256(path.read_bytes()).hexdigest()[:12]}"

    def detect_batch(
        self, images: Sequence[np.ndarray], params: SearchParams | None = None
    ) -> list[ImageDetections]:
        max_side = params.max_side if params is not None else None
        return [self._one(image, max_side) for image in as_rgb_batch(images)]

    def _one(self, original: np.ndarray, max_side: int | None) -> ImageDetections:
        image = fit(original, max_side) if max_side else original
        scale_x, scale_y = original.shape[1] / image.shape[1], original.shape[0] / image.shape[0]
        self.model.setInputSize((image.shape[1], image.shape[0]))
        _, faces = self.model.detect(cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
        rows = np.zeros((0, 15)) if faces is None else np.asarray(faces, dtype=np.float64).reshape(-1, 15)
        detections = sorted(
            (
                Detection(
                    score=float(row[14]),
                    box=(row[0] * scale_x, row[1] * scale_y, (row[0] + row[2]) * scale_x, (row[1] + row[3]) * scale_y),
                    landmarks=tuple(
                        (float(row[4 + 2 * k] * scale_x), float(row[5 + 2 * k] * scale_y)) for k in range(5)
                    ),
                )
                for row in rows
            ),
            key=lambda detection: detection.score,
            reverse=True,
        )
        return ImageDetections(self.name, self.weights_id, tuple(detections))


def build_yunet(model_path: str | Path, min_score: float = 0.5) -> YunetDetector:
    """A YuNet face detector on a local ONNX model file."""
    return YunetDetector(model_path, min_score=min_score)

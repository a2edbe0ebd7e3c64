"""MTCNN (facenet-pytorch) behind the FaceDetector interface.

facenet's `MTCNN.detect` batches only images of identical shape (it stacks them into one tensor),
so a call is split into groups of equal-shape images, each cut into chunks of `batch_size`.
Crops of a mural almost never share a shape, so on real data this is one image per call; that is
no loss on CPU, where batching MTCNN does not speed it up (../shared/SETUP.md), and on a GPU the
equal-shape groups still get batched.

`SearchParams` change the search per call: `min_face_fraction` sets facenet's minimum face to
that share of the image's shorter side (at least PNET_WINDOW px), so the scale pyramid of a face
crop starts at about 40 px instead of at the full size; `min_face_px` sets it in pixels (tiles of
a whole mural); and `max_side` shrinks the image first.
"""

from __future__ import annotations

from importlib.metadata import version
from typing import Sequence

import numpy as np
import torch

from dhf_assets.lib.detect._images import as_rgb_batch
from dhf_assets.lib.detect.preprocess import fit
from dhf_assets.lib.detect.types import Detection, FaceDetector, ImageDetections, SearchParams
from dhf_assets.lib.runtime.torch_compat import ensure_torchvision

PNET_WINDOW = 12  # facenet's P-net input: a minimum face below 12 px would enlarge the image


def min_face_for(shape: tuple[int, ...], default: float, params: SearchParams | None) -> float:
    """facenet's min_face_size for one image shape under `params` (the detector's default without)."""
    if params is None or (params.min_face_fraction is None and params.min_face_px is None):
        return default
    if params.min_face_px is not None:
        return max(float(PNET_WINDOW), float(params.min_face_px))
    return max(float(PNET_WINDOW), params.min_face_fraction * min(shape[:2]))


def _floats(value: object, width: int) -> np.ndarray:
    """facenet returns None for "no face" and dtype=object arrays otherwise: make float64 rows."""
    if value is None:
        return np.zeros((0, width))
    array = np.asarray(value, dtype=object)
    if array.size == 0 or any(item is None for item in array.ravel()):
        return np.zeros((0, width))
    return array.astype(np.float64).reshape(-1, width)


class MtcnnDetector:
    name = "mtcnn"

    def __init__(self, device: str = "cpu", batch_size: int = 8, min_face_size: int = 20) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        ensure_torchvision()  # facenet-pytorch imports torchvision.ops at import time
        from facenet_pytorch import MTCNN

        # keep_all: every face, not only the first; select_largest=False: facenet orders by
        # probability (we re-sort anyway); the weights ship inside the package, so the package
        # version identifies them.
        self.model = MTCNN(
            keep_all=True, select_largest=False, min_face_size=min_face_size, device=device
        ).eval()
        self.batch_size, self.min_face_size = batch_size, min_face_size
        self.weights_id = f"facenet-pytorch-{version('facenet-pytorch')}"

    def groups(self, images: Sequence[np.ndarray]) -> list[list[int]]:
        """Indices of equal-shape images, in chunks of at most batch_size (first-seen order)."""
        by_shape: dict[tuple[int, ...], list[int]] = {}
        for index, image in enumerate(images):
            by_shape.setdefault(tuple(image.shape), []).append(index)
        return [
            members[start : start + self.batch_size]
            for members in by_shape.values()
            for start in range(0, len(members), self.batch_size)
        ]

    def detect_batch(
        self, images: Sequence[np.ndarray], params: SearchParams | None = None
    ) -> list[ImageDetections]:
        originals = as_rgb_batch(images)
        max_side = params.max_side if params is not None else None
        arrays = [fit(a, max_side) for a in originals] if max_side else originals
        results: dict[int, ImageDetections] = {}
        # facenet's scale pyramid is empty for an image whose shorter side is below
        # min_face_size (it then fails in torch.cat); no face that small is wanted anyway.
        too_small = [
            i for i, a in enumerate(arrays) if min(a.shape[:2]) < min_face_for(a.shape, self.min_face_size, params)
        ]
        results.update((i, self._convert(None, None, None, 1.0, 1.0)) for i in too_small)
        searched = [i for i in range(len(arrays)) if i not in results]
        for group in self.groups([arrays[i] for i in searched]):
            # A 4-D array keeps facenet's batch dimension even for a group of one.
            stacked = np.stack([arrays[searched[i]] for i in group])
            # Every image of a group has one shape, hence one minimum face.
            self.model.min_face_size = min_face_for(stacked.shape[1:], self.min_face_size, params)
            try:
                # inference_mode, not facenet's own no_grad: no autograd bookkeeping on any tensor
                # of the pyramid (about 5 % of MTCNN's CPU time on face crops), same numbers.
                with torch.inference_mode():
                    boxes, probs, points = self.model.detect(stacked, landmarks=True)
            finally:
                self.model.min_face_size = self.min_face_size
            for offset, i in enumerate(group):
                index = searched[i]
                scale_x = originals[index].shape[1] / arrays[index].shape[1]
                scale_y = originals[index].shape[0] / arrays[index].shape[0]
                results[index] = self._convert(boxes[offset], probs[offset], points[offset], scale_x, scale_y)
        return [results[i] for i in range(len(arrays))]

    def _convert(
        self, boxes: object, probs: object, points: object, scale_x: float, scale_y: float
    ) -> ImageDetections:
        """facenet's arrays as detections in the original image's pixels (scale: original / searched)."""
        box_rows = _floats(boxes, 4) * np.array([scale_x, scale_y, scale_x, scale_y])
        found = len(box_rows) > 0
        scores = _floats(probs, 1)[:, 0] if found else np.zeros(0)
        marks = _floats(points, 10).reshape(-1, 5, 2) * np.array([scale_x, scale_y]) if found else np.zeros((0, 5, 2))
        detections = sorted(
            (
                Detection(
                    score=float(score),
                    box=(float(box[0]), float(box[1]), float(box[2]), float(box[3])),
                    landmarks=tuple((float(x), float(y)) for x, y in points_of_face),
                )
                for score, box, points_of_face in zip(scores, box_rows, marks)
            ),
            key=lambda detection: detection.score,
            reverse=True,
        )
        return ImageDetections(
            detector=self.name, weights_id=self.weights_id, detections=tuple(detections)
        )


def build_mtcnn(device: str = "cpu", batch_size: int = 8, min_face_size: int = 20) -> FaceDetector:
    """An MTCNN face detector with facenet-pytorch's bundled weights."""
    return MtcnnDetector(device=device, batch_size=batch_size, min_face_size=min_face_size)

"""RetinaFace behind the FaceDetector interface, with our own pre- and post-processing.

retinaface-pytorch's `predict_single.Model` fixes the ResNet-50 priors and normalisation, handles
one image at a time and rounds scores to two decimals (0.895 would pass a 0.9 threshold). Here
the package supplies the network pieces, the prior boxes and the box/landmark decoding; this
module batches crops of different sizes into one forward and keeps scores at full precision.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import cv2
import numpy as np
import torch
import torch.nn.functional as F

from dhf_assets.lib.detect._images import as_rgb_batch
from dhf_assets.lib.detect.network import build_network, variant
from dhf_assets.lib.detect.priors import priors_for
from dhf_assets.lib.detect.types import Detection, FaceDetector, ImageDetections
from dhf_assets.lib.detect.weights import load_weights

from retinaface.box_utils import decode, decode_landm  # noqa: E402  (after network: torchvision)
from torchvision.ops import nms  # noqa: E402

_ALIGN = 32  # the coarsest feature stride: padded sizes on this grid give whole feature cells
_PRE_NMS_TOP_K = 5000  # bound the NMS work on near-empty low-score candidates
_KEEP_TOP_K = 750


@dataclass(frozen=True)
class PreparedBatch:
    """A network-ready batch and what maps its outputs back to each crop's pixels."""

    tensor: torch.Tensor  # (B, 3, H, W) normalised, zero (= mean colour) padded at right/bottom
    scales: tuple[tuple[float, float], ...]  # (x, y) resized/original per image

    @property
    def padded_size(self) -> tuple[int, int]:
        return int(self.tensor.shape[2]), int(self.tensor.shape[3])


class RetinaFaceDetector:
    name = "retinaface"

    def __init__(
        self,
        backbone: str,
        weights_path: str | Path | None,
        device: str = "cpu",
        batch_size: int = 8,
        max_size: int = 640,
        nms_iou: float = 0.4,
        min_score: float = 0.02,
    ) -> None:
        if batch_size < 1 or max_size < _ALIGN:
            raise ValueError(f"need batch_size >= 1 and max_size >= {_ALIGN}, got {batch_size}, {max_size}")
        self.spec = variant(backbone)  # ValueError for an unknown backbone, before any file work
        net = build_network(backbone)
        self.weights_id = load_weights(net, backbone, weights_path)
        self.model = net.to(device).eval()
        self.device = torch.device(device)
        self.batch_size, self.max_size = batch_size, max_size
        self.nms_iou, self.min_score = nms_iou, min_score
        self._mean = torch.tensor(self.spec.mean, device=self.device).view(3, 1, 1)
        self._std = torch.tensor(self.spec.std, device=self.device).view(3, 1, 1)

    def plan(self, images: Sequence[np.ndarray]) -> list[list[int]]:
        """Batches of indices: crops sorted by size so each batch pads little, then chunked."""
        order = sorted(range(len(images)), key=lambda i: images[i].shape[0] * images[i].shape[1])
        return [order[start : start + self.batch_size] for start in range(0, len(order), self.batch_size)]

    def _resized(self, image: np.ndarray) -> np.ndarray:
        height, width = image.shape[:2]
        scale = self.max_size / max(height, width)
        if scale >= 1:  # never enlarge: small crops keep their pixels
            return image
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        return cv2.resize(image, size, interpolation=cv2.INTER_AREA)  # INTER_AREA: no aliasing

    def prepare(self, images: Sequence[np.ndarray]) -> PreparedBatch:
        """Resize (longer side <= max_size), normalise and pad a batch of RGB uint8 crops."""
        resized = [self._resized(image) for image in images]
        height = math.ceil(max(r.shape[0] for r in resized) / _ALIGN) * _ALIGN
        width = math.ceil(max(r.shape[1] for r in resized) / _ALIGN) * _ALIGN
        batch = torch.zeros((len(resized), 3, height, width), device=self.device)
        for slot, image in enumerate(resized):
            pixels = torch.from_numpy(np.ascontiguousarray(image)).to(self.device)
            if self.spec.bgr:
                pixels = pixels.flip(-1)
            pixels = (pixels.permute(2, 0, 1).float() - self._mean) / self._std
            batch[slot, :, : image.shape[0], : image.shape[1]] = pixels
        scales = tuple(
            (r.shape[1] / o.shape[1], r.shape[0] / o.shape[0]) for r, o in zip(resized, images)
        )
        return PreparedBatch(tensor=batch, scales=scales)

    def detect_batch(self, images: Sequence[np.ndarray]) -> list[ImageDetections]:
        arrays = as_rgb_batch(images)
        results: dict[int, ImageDetections] = {}
        with torch.inference_mode():
            for indices in self.plan(arrays):
                prepared = self.prepare([arrays[i] for i in indices])
                outputs = self.model(prepared.tensor)
                results.update(zip(indices, self.postprocess(prepared, outputs)))
        return [results[i] for i in range(len(arrays))]

    def postprocess(
        self, prepared: PreparedBatch, outputs: tuple[torch.Tensor, torch.Tensor, torch.Tensor]
    ) -> list[ImageDetections]:
        """Decode, threshold, NMS; coordinates back in each crop's own pixels (not clipped)."""
        locations, logits, landmark_offsets = outputs
        height, width = prepared.padded_size
        priors = priors_for(self.spec, height, width, self.device)
        scores = F.softmax(logits, dim=-1)[..., 1]
        return [
            self._one(scores[b], locations[b], landmark_offsets[b], priors, prepared.scales[b], (width, height))
            for b in range(scores.shape[0])
        ]

    def _one(
        self,
        scores: torch.Tensor,
        locations: torch.Tensor,
        landmark_offsets: torch.Tensor,
        priors: torch.Tensor,
        scale: tuple[float, float],
        padded_wh: tuple[int, int],
    ) -> ImageDetections:
        keep = torch.nonzero(scores >= self.min_score).squeeze(1)
        keep = keep[scores[keep].argsort(descending=True)[:_PRE_NMS_TOP_K]]
        # Priors are in units of the padded input; scale to its pixels, then to the crop's.
        to_crop = torch.tensor(
            [padded_wh[0] / scale[0], padded_wh[1] / scale[1]], device=scores.device
        )
        boxes = decode(locations[keep], priors[keep], self.spec.variance) * to_crop.repeat(2)
        points = decode_landm(landmark_offsets[keep], priors[keep], self.spec.variance) * to_crop.repeat(5)
        chosen = nms(boxes, scores[keep], self.nms_iou)[:_KEEP_TOP_K]  # best score first
        rows_score = scores[keep][chosen].double().cpu().numpy()
        rows_box = boxes[chosen].double().cpu().numpy()
        rows_points = points[chosen].double().cpu().numpy().reshape(-1, 5, 2)
        detections = tuple(
            Detection(
                score=float(score),
                box=(float(box[0]), float(box[1]), float(box[2]), float(box[3])),
                landmarks=tuple((float(x), float(y)) for x, y in marks),
            )
            for score, box, marks in zip(rows_score, rows_box, rows_points)
        )
        return ImageDetections(detector=self.name, weights_id=self.weights_id, detections=detections)


def build_retinaface(
    backbone: str,
    weights_path: str | Path | None,
    device: str = "cpu",
    batch_size: int = 8,
    max_size: int = 640,
    nms_iou: float = 0.4,
    min_score: float = 0.02,
) -> FaceDetector:
    """A RetinaFace detector ("resnet50" or "mobilenet0.25") on a local weights file."""
    return RetinaFaceDetector(backbone, weights_path, device, batch_size, max_size, nms_iou, min_score)

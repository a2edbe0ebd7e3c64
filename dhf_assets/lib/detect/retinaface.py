"""RetinaFace behind the FaceDetector interface, with our own pre- and post-processing.

retinaface-pytorch's `predict_single.Model` fixes the ResNet-50 priors and normalisation, takes
one image at a time and rounds scores to two decimals (0.895 would pass a 0.9 threshold). Here
the package supplies the network pieces, the prior boxes and the box/landmark decoding; this
module batches crops of different sizes into one forward and keeps scores at full precision.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator, Sequence

import numpy as np
import torch
from retinaface.box_utils import decode, decode_landm

from dhf_assets.lib.detect._images import as_rgb_batch
from dhf_assets.lib.detect.network import build_network, variant
from dhf_assets.lib.detect.nms import nms
from dhf_assets.lib.detect.preprocess import ALIGN, PreparedBatch, plan_batches, prepare_batch
from dhf_assets.lib.detect.priors import priors_for
from dhf_assets.lib.detect.types import Detection, FaceDetector, ImageDetections, SearchParams
from dhf_assets.lib.detect.weights import load_weights

_PRE_NMS_TOP_K = 5000  # bounds the NMS work when a crop yields many low-score candidates
_KEEP_TOP_K = 750

Outputs = tuple[torch.Tensor, torch.Tensor, torch.Tensor]  # box offsets, logits, landmark offsets


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
        if batch_size < 1 or max_size < ALIGN:
            raise ValueError(f"need batch_size >= 1 and max_size >= {ALIGN}")
        self.spec = variant(backbone)  # ValueError for an unknown backbone, before any file work
        net = build_network(backbone)
        self.weights_id = load_weights(net, backbone, weights_path)
        self.device = torch.device(device)
        self.model = net.to(self.device).eval()  # loaded once per detector
        self.batch_size, self.max_size = batch_size, max_size
        self.nms_iou, self.min_score = nms_iou, min_score
        # The last input tensor, reused when the next batch pads to the same shape: a fresh
        # (B, 3, H, W) float tensor per batch (140 MB at 32 x 576 x 640) costs page faults.
        self._buffer: torch.Tensor | None = None

    def input_side(self, params: SearchParams | None) -> int:
        """The longer side inputs are shrunk to: the detector's max_size, or less when `params` asks."""
        if params is None or params.max_side is None:
            return self.max_size
        return max(ALIGN, min(self.max_size, params.max_side))

    def batches(
        self, images: Sequence[np.ndarray], params: SearchParams | None = None
    ) -> Iterator[tuple[list[int], PreparedBatch]]:
        """The forwards detect_batch makes, one at a time: (indices into images, input).

        The anchors cover faces from 16 px up, so `min_face_fraction` needs no extra work here.
        """
        arrays = as_rgb_batch(images)
        side = self.input_side(params)
        for indices in plan_batches(arrays, self.batch_size):
            chosen = [arrays[i] for i in indices]
            prepared = prepare_batch(chosen, self.spec, side, self.device, self._buffer)
            self._buffer = prepared.tensor
            yield indices, prepared

    def detect_batch(
        self, images: Sequence[np.ndarray], params: SearchParams | None = None
    ) -> list[ImageDetections]:
        results: dict[int, ImageDetections] = {}
        with torch.inference_mode():
            for indices, prepared in self.batches(images, params):
                outputs = self.model(prepared.tensor)
                results.update(zip(indices, self.postprocess(prepared, outputs)))
        return [results[i] for i in range(len(images))]

    def postprocess(self, prepared: PreparedBatch, outputs: Outputs) -> list[ImageDetections]:
        """Decode, threshold and NMS; coordinates in each crop's own pixels, never clipped."""
        locations, logits, landmark_offsets = outputs
        height, width = prepared.padded_size
        priors = priors_for(self.spec, height, width, self.device)
        # softmax over (background, face) taken at the face entry is sigmoid(face - background)
        scores = torch.sigmoid(logits[..., 1] - logits[..., 0])
        found = []
        for b, (scale_x, scale_y) in enumerate(prepared.scales):
            # Decoded coordinates are fractions of the padded input: to its pixels, then undo
            # this crop's resize.
            to_crop = torch.tensor([width / scale_x, height / scale_y], device=scores.device)
            found.append(self._one(scores[b], locations[b], landmark_offsets[b], priors, to_crop))
        return found

    def _one(
        self,
        scores: torch.Tensor,
        locations: torch.Tensor,
        landmark_offsets: torch.Tensor,
        priors: torch.Tensor,
        to_crop: torch.Tensor,
    ) -> ImageDetections:
        keep = torch.nonzero(scores >= self.min_score).squeeze(1)
        keep = keep[scores[keep].argsort(descending=True)[:_PRE_NMS_TOP_K]]
        variance = self.spec.variance
        boxes = decode(locations[keep], priors[keep], variance) * to_crop.repeat(2)
        points = decode_landm(landmark_offsets[keep], priors[keep], variance) * to_crop.repeat(5)
        chosen = nms(boxes, scores[keep], self.nms_iou)[:_KEEP_TOP_K]  # best score first
        rows = zip(  # tolist(): Python floats holding the float32 values exactly
            scores[keep][chosen].tolist(),
            boxes[chosen].tolist(),
            points[chosen].reshape(-1, 5, 2).tolist(),
        )
        detections = tuple(
            Detection(
                score=score,  # the network's float32 score as is: no rounding
                box=(box[0], box[1], box[2], box[3]),
                landmarks=tuple((x, y) for x, y in marks),
            )
            for score, box, marks in rows
        )
        return ImageDetections(self.name, self.weights_id, detections)


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
    return RetinaFaceDetector(
        backbone, weights_path, device, batch_size, max_size, nms_iou, min_score
    )

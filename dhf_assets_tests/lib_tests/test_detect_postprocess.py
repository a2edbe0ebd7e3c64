"""RetinaFace post-processing: outputs mapped back to each crop's pixels, unclipped; and NMS.

The network outputs are written by hand here so the expected coordinates are exact; the code
under test is the detector's real post-processing with the real MobileNet-0.25 priors.
"""

from __future__ import annotations

import pytest
import torch

from dhf_assets.lib.detect.nms import nms
from dhf_assets.lib.detect.preprocess import PreparedBatch
from dhf_assets.lib.detect.retinaface import RetinaFaceDetector, build_retinaface
from dhf_assets.lib.runtime.torch_compat import greedy_nms_loop, nms_reference
from dhf_assets_tests.conftest import shared_path

PADDED = 64  # (8*8 + 4*4 + 2*2) cells x 2 anchors = 168 priors; prior 0: centre (4, 4), side 10


@pytest.fixture(scope="module")
def detector() -> RetinaFaceDetector:
    weights = shared_path("weights", "retinaface_mobilenet0.25_fd1mb.pth")
    built = build_retinaface("mobilenet0.25", weights, min_score=0.5)
    assert isinstance(built, RetinaFaceDetector)
    return built


def outputs_with_one_face(score_logit: float, eye_offset: float) -> tuple[torch.Tensor, ...]:
    priors = 168
    locations = torch.zeros((1, priors, 4))  # zero offsets: the box is prior 0 itself
    logits = torch.tensor([10.0, -10.0]).repeat(1, priors, 1)  # background everywhere...
    logits[0, 0] = torch.tensor([0.0, score_logit])  # ...except prior 0
    landmarks = torch.zeros((1, priors, 10))
    landmarks[0, 0, 0] = eye_offset  # left eye x: prior centre + offset * 0.1 * 10 px
    return locations, logits, landmarks


@pytest.mark.parametrize("scale", [(1.0, 1.0), (0.5, 0.25)])
def test_boxes_and_landmarks_return_to_crop_pixels_unclipped(
    detector: RetinaFaceDetector, scale: tuple[float, float]
) -> None:
    prepared = PreparedBatch(tensor=torch.zeros((1, 3, PADDED, PADDED)), scales=(scale,))
    (result,) = detector.postprocess(prepared, outputs_with_one_face(1.0, -10.0))
    (only,) = result.detections
    sx, sy = scale
    # Box (-1, -1, 9, 9) in padded pixels: it starts left of and above the crop, and stays so.
    assert only.box == pytest.approx((-1 / sx, -1 / sy, 9 / sx, 9 / sy), abs=1e-4)
    assert only.landmarks[0] == pytest.approx((-6 / sx, 4 / sy), abs=1e-4)
    assert only.landmarks[1] == pytest.approx((4 / sx, 4 / sy), abs=1e-4)
    # softmax([0, 1])[1], in full float32 precision
    assert only.score == pytest.approx(torch.sigmoid(torch.tensor(1.0)).item(), abs=1e-6)


def test_scores_below_min_score_are_dropped(detector: RetinaFaceDetector) -> None:
    prepared = PreparedBatch(tensor=torch.zeros((1, 3, PADDED, PADDED)), scales=((1.0, 1.0),))
    (result,) = detector.postprocess(prepared, outputs_with_one_face(-1.0, 0.0))  # score 0.27
    assert result.detections == () and result.best is None


@pytest.mark.parametrize("count", [0, 1, 40, 300, 2049])
@pytest.mark.parametrize("threshold", [0.3, 0.5, 0.7])
def test_nms_keeps_what_greedy_nms_keeps(count: int, threshold: float) -> None:
    generator = torch.Generator().manual_seed(count)
    corner = torch.rand(count, 2, generator=generator) * 100
    boxes = torch.cat([corner, corner + 1 + torch.rand(count, 2, generator=generator) * 40], 1)
    scores = torch.rand(count, generator=generator)
    scores[: count // 4] = 0.5  # ties keep their input order
    if count >= 3:
        boxes[1:3] = boxes[0]  # identical boxes
    expected = greedy_nms_loop(boxes, scores, threshold)
    assert torch.equal(nms_reference(boxes, scores, threshold), expected)
    assert torch.equal(nms(boxes, scores, threshold), expected)

"""MTCNN and the MobileNet-0.25 RetinaFace on real photos (../shared/testdata/faces)."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from dhf_assets.lib.detect.types import FaceDetector, ImageDetections
from dhf_assets.lib.proposals.propose import iou
from dhf_assets_tests.conftest import shared_path

CONFIDENT = 0.9  # the threshold the dataset keeps
# Published with group3_13.jpg (from a ResNet-50 RetinaFace), see ../shared/testdata/README.md.
GROUP3_REFERENCE = [
    (256.9, 93.64, 336.79, 201.76),
    (436.62, 118.5, 510.04, 211.13),
    (657.3, 156.87, 729.81, 245.78),
]
EXPECTED_FACES = {"group3_13.jpg": 3, "multiface.jpg": 6, "no_face.jpg": 0, "no-faces.jpg": 0}


def confident(result: ImageDetections) -> list:
    return [d for d in result.detections if d.score >= CONFIDENT]


@pytest.fixture(scope="module")
def photos() -> dict[str, np.ndarray]:
    """The photos, plus two equal-size crops of group3 (so MTCNN gets a same-shape group)."""
    names = [*EXPECTED_FACES, "ivan.jpg"]
    images = {
        name: np.asarray(Image.open(shared_path("testdata", "faces", name)).convert("RGB"))
        for name in names
    }
    group = images["group3_13.jpg"]
    images["crop_left"] = group[60:260, 200:400]  # a strided view: the detectors must cope
    images["crop_middle"] = group[80:280, 380:580].copy()
    return images


def make_detector(kind: str, device: str = "cpu") -> FaceDetector:
    if kind == "mtcnn":
        from dhf_assets.lib.detect.mtcnn import build_mtcnn

        return build_mtcnn(device=device, batch_size=8)
    from dhf_assets.lib.detect.retinaface import build_retinaface

    weights = shared_path("weights", "retinaface_mobilenet0.25_fd1mb.pth")
    return build_retinaface("mobilenet0.25", weights, device=device, batch_size=8)


@pytest.fixture(scope="module", params=["mtcnn", "retinaface-mobilenet0.25"])
def detector(request: pytest.FixtureRequest) -> FaceDetector:
    return make_detector(request.param)


@pytest.fixture(scope="module")
def batched(detector: FaceDetector, photos: dict[str, np.ndarray]) -> dict[str, ImageDetections]:
    """All photos and crops, of mixed sizes, in one detect_batch call."""
    return dict(zip(photos, detector.detect_batch(list(photos.values()))))


@pytest.mark.parametrize(("name", "faces"), EXPECTED_FACES.items())
def test_finds_the_faces_and_nothing_else(
    batched: dict[str, ImageDetections], name: str, faces: int
) -> None:
    assert len(confident(batched[name])) == faces


def test_group_boxes_match_the_reference(batched: dict[str, ImageDetections]) -> None:
    found = confident(batched["group3_13.jpg"])
    for reference in GROUP3_REFERENCE:
        assert max(iou(d.box, reference) for d in found) >= 0.7, reference


def test_landmarks_sit_on_the_faces(batched: dict[str, ImageDetections]) -> None:
    for detection in confident(batched["group3_13.jpg"]):
        x1, y1, x2, y2 = detection.box
        (left_eye, right_eye, nose, mouth_left, mouth_right) = detection.landmarks
        assert all(x1 <= x <= x2 and y1 <= y <= y2 for x, y in detection.landmarks)
        assert left_eye[0] < right_eye[0] and mouth_left[0] < mouth_right[0]
        assert max(left_eye[1], right_eye[1]) < nose[1] < min(mouth_left[1], mouth_right[1])


def test_results_are_sorted_tagged_and_unrounded(
    detector: FaceDetector, batched: dict[str, ImageDetections]
) -> None:
    scores = []
    for result in batched.values():
        assert result.detector == detector.name and result.weights_id == detector.weights_id
        ordered = [d.score for d in result.detections]
        assert ordered == sorted(ordered, reverse=True)
        assert all(len(d.landmarks) == 5 and 0.0 <= d.score <= 1.0 for d in result.detections)
        scores += ordered
    assert any(round(score, 2) != score for score in scores)  # not rounded to two decimals
    assert batched["ivan.jpg"].best is not None and batched["ivan.jpg"].best.score >= CONFIDENT
    assert batched["no-faces.jpg"].best is None or batched["no-faces.jpg"].best.score < CONFIDENT


def test_mixed_batch_matches_one_by_one(
    detector: FaceDetector, photos: dict[str, np.ndarray], batched: dict[str, ImageDetections]
) -> None:
    for name, image in photos.items():
        (alone,) = detector.detect_batch([image])
        together, single = confident(batched[name]), confident(alone)
        assert len(together) == len(single), name
        for a, b in zip(together, single):
            assert abs(a.score - b.score) < 0.01 and iou(a.box, b.box) > 0.95, name


def test_tiny_crops_empty_batch_and_bad_input(
    detector: FaceDetector, photos: dict[str, np.ndarray]
) -> None:
    tiny = [np.full(shape, 128, dtype=np.uint8) for shape in [(1, 1, 3), (8, 30, 3), (5, 900, 3)]]
    results = detector.detect_batch([*tiny, photos["crop_left"]])
    assert [len(r.detections) for r in results[:3]] == [0, 0, 0]
    assert len(confident(results[3])) == 1
    assert detector.detect_batch([]) == []
    with pytest.raises(ValueError, match="RGB uint8"):
        detector.detect_batch([np.zeros((32, 32), dtype=np.uint8)])
    with pytest.raises(ValueError, match="RGB uint8"):
        detector.detect_batch([np.zeros((32, 32, 3), dtype=np.float32)])


@pytest.mark.gpu
def test_cuda_finds_what_the_cpu_finds(
    detector: FaceDetector, photos: dict[str, np.ndarray], batched: dict[str, ImageDetections]
) -> None:
    import torch

    if not torch.cuda.is_available():
        pytest.skip("no CUDA device here")
    kind = "mtcnn" if detector.name == "mtcnn" else "retinaface-mobilenet0.25"
    on_gpu = dict(zip(photos, make_detector(kind, "cuda").detect_batch(list(photos.values()))))
    for name in photos:
        gpu, cpu = confident(on_gpu[name]), confident(batched[name])
        assert len(gpu) == len(cpu), name
        for a, b in zip(gpu, cpu):
            assert abs(a.score - b.score) < 0.01 and iou(a.box, b.box) > 0.95, name

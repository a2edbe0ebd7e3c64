"""The crop search (scoring.CROP_SEARCH) decides no worse than the detectors' whole-image defaults.

Real detectors on real faces: every face box of the bundled sample (`is_face`) and crops around the
known faces of ../shared/testdata (group3_13's reference boxes, ivan, the painted face of 000740),
each cut tight and with margins. Both parameter sets run in the same test: every crop that is a
candidate with the old parameters must stay one with the new.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from dhf_assets.lib.detect.candidates import decide
from dhf_assets.lib.detect.scoring import CROP_SEARCH
from dhf_assets.lib.detect.types import FaceDetector, SearchParams
from dhf_assets.lib.sample.build import build_sample_archive, sample_manifest
from dhf_assets_tests.conftest import shared_path

KNOWN_FACES = [  # (file under ../shared/testdata, box x1, y1, x2, y2)
    ("faces/group3_13.jpg", (256.9, 93.64, 336.79, 201.76)),
    ("faces/group3_13.jpg", (436.62, 118.5, 510.04, 211.13)),
    ("faces/group3_13.jpg", (657.3, 156.87, 729.81, 245.78)),
    ("faces/ivan.jpg", (277.5, 94.0, 326.8, 156.8)),
    ("murals/000740.jpg", (497.0, 279.0, 570.0, 382.0)),
]
MARGINS = (0.0, 0.15, 0.4)  # share of the box's width/height added on each side, as annotators do
OLD = {"mtcnn": SearchParams(), "retinaface": SearchParams()}  # the detectors' defaults, as before


def _around(image: np.ndarray, box: tuple[float, ...], margin: float) -> np.ndarray:
    x1, y1, x2, y2 = box
    width, height = x2 - x1, y2 - y1
    left, top = max(0, round(x1 - margin * width)), max(0, round(y1 - margin * height))
    right = min(image.shape[1], round(x2 + margin * width))
    bottom = min(image.shape[0], round(y2 + margin * height))
    return image[top:bottom, left:right]


@pytest.fixture(scope="module")
def crops(tmp_path_factory) -> dict[str, np.ndarray]:
    archive = tmp_path_factory.mktemp("sample")
    build_sample_archive(archive)
    murals: dict[tuple[str, str], np.ndarray] = {}
    found: dict[str, np.ndarray] = {}
    for box in sample_manifest().face_boxes:
        key = (box.cave_id, box.mural_id)
        if key not in murals:
            (path,) = [p for p in (archive / "murals" / box.cave_id).glob(f"{box.mural_id}.*") if p.suffix != ".xml"]
            murals[key] = np.asarray(Image.open(path).convert("RGB"))
        b = box.box
        found[f"sample {box.cave_id}/{box.mural_id} #{box.index}"] = murals[key][b.ymin : b.ymax, b.xmin : b.xmax]
    for name, box in KNOWN_FACES:
        image = np.asarray(Image.open(shared_path("testdata", *Path(name).parts)).convert("RGB"))
        for margin in MARGINS:
            found[f"{name} {box} margin {margin}"] = _around(image, box, margin)
    return found


def _detectors() -> list[FaceDetector]:
    from dhf_assets.lib.detect.mtcnn import build_mtcnn
    from dhf_assets.lib.detect.retinaface import build_retinaface

    weights = shared_path("weights", "retinaface_mobilenet0.25_fd1mb.pth")
    return [build_mtcnn(batch_size=1), build_retinaface("mobilenet0.25", weights, batch_size=1)]


def _candidates(results: dict, crops: dict[str, np.ndarray], names: list[str], rule: str) -> set[str]:
    """Crops the rule accepts from the results of the named detectors."""
    return {
        crop for index, (crop, image) in enumerate(crops.items())
        if decide({n: results[n][index] for n in names}, (image.shape[1], image.shape[0]), 0.9, rule).status
        == "candidate"
    }


def test_crop_search_keeps_every_candidate_of_the_old_parameters(crops: dict[str, np.ndarray]) -> None:
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        detectors = _detectors()
        images = list(crops.values())
        before = {d.name: d.detect_batch(images, OLD[d.name]) for d in detectors}
        after = {d.name: d.detect_batch(images, CROP_SEARCH[d.name]) for d in detectors}
    finally:
        torch.set_num_threads(threads)
    for names in (["mtcnn"], ["retinaface"], ["mtcnn", "retinaface"]):
        for rule in ("any", "all"):
            old, new = _candidates(before, crops, names, rule), _candidates(after, crops, names, rule)
            assert old <= new, (names, rule, sorted(old - new))
            # These are faces the detectors accept at all: nearly all must pass.
            assert len(new) >= 0.8 * len(crops), (names, rule, sorted(set(crops) - new))


def test_results_are_in_the_original_crop_pixels(crops: dict[str, np.ndarray]) -> None:
    """A shrunk search reports boxes and landmarks in the crop's own pixels, like the full search."""
    name = "faces/ivan.jpg (277.5, 94.0, 326.8, 156.8) margin 0.4"
    image = crops[name]
    for detector in _detectors():
        full = detector.detect_batch([image])[0].best
        small = detector.detect_batch([image], SearchParams(min_face_fraction=0.3, max_side=48))[0].best
        assert full is not None and small is not None, detector.name
        assert np.allclose(full.box, small.box, atol=0.12 * image.shape[0]), (detector.name, full.box, small.box)
        assert np.allclose(full.landmarks, small.landmarks, atol=0.12 * image.shape[0]), detector.name

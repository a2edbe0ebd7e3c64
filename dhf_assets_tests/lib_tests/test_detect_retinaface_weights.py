"""RetinaFace weights: formats that load through the real path, and the errors when they don't."""

from __future__ import annotations

import hashlib
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from dhf_assets.lib.detect.network import build_network
from dhf_assets.lib.detect.retinaface import build_retinaface
from dhf_assets.lib.detect.types import ImageDetections, WeightsMissingError
from dhf_assets.lib.detect.weights import WeightsMismatchError
from dhf_assets_tests.conftest import shared_path


@pytest.fixture(scope="module")
def package_model():
    """retinaface-pytorch's own predict_single.Model: a ResNet-50 RetinaFace, random weights."""
    from retinaface.predict_single import Model  # after build_network: torchvision is ready

    torch.manual_seed(0)
    with warnings.catch_warnings():  # torchvision's notice that `pretrained` is deprecated
        warnings.simplefilter("ignore", UserWarning)
        model = Model(max_size=640, device="cpu")  # pretrained=False inside: nothing downloaded
    model.eval()
    return model


@pytest.fixture(scope="module")
def random_resnet_state(package_model) -> dict[str, torch.Tensor]:
    return package_model.model.state_dict()


def write_weights(state: dict[str, torch.Tensor], folder: Path, form: str) -> Path:
    if form == "plain":
        path = folder / "plain.pth"
        torch.save(state, path)
    elif form == "checkpoint-with-module-prefix":  # a DataParallel training checkpoint
        path = folder / "checkpoint.pth"
        torch.save({"state_dict": {f"module.{k}": v for k, v in state.items()}, "epoch": 3}, path)
    else:  # the release archive retinaface-pytorch's get_model downloads: a zip holding one .pth
        inner = folder / "retinaface_resnet50_2020-07-20.pth"
        torch.save(state, inner)
        path = folder / "retinaface_resnet50_2020-07-20-f168fae3c.zip"
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as archive:
            archive.write(inner, arcname=inner.name)
        inner.unlink()
    return path


def test_our_resnet50_has_the_package_layout(random_resnet_state: dict[str, torch.Tensor]) -> None:
    ours = build_network("resnet50").state_dict()
    package = random_resnet_state
    assert {k: v.shape for k, v in ours.items()} == {k: v.shape for k, v in package.items()}


@pytest.mark.parametrize("form", ["plain", "checkpoint-with-module-prefix", "release-zip"])
def test_resnet50_weights_load_and_run(
    random_resnet_state: dict[str, torch.Tensor], tmp_path: Path, form: str
) -> None:
    path = write_weights(random_resnet_state, tmp_path, form)
    detector = build_retinaface("resnet50", path, max_size=128)
    sha = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
    assert detector.weights_id == f"resnet50:{sha}"
    loaded = detector.model.state_dict()["ClassHead.0.conv1x1.weight"]
    assert torch.equal(loaded, random_resnet_state["ClassHead.0.conv1x1.weight"])
    rng = np.random.default_rng(0)
    crops = [rng.integers(0, 255, size, dtype=np.uint8) for size in [(90, 120, 3), (300, 200, 3)]]
    results = detector.detect_batch(crops)  # the second crop is shrunk to max_size first
    assert len(results) == 2 and all(isinstance(r, ImageDetections) for r in results)
    assert all(r.detector == "retinaface" and r.weights_id == detector.weights_id for r in results)


def test_resnet50_agrees_with_the_package_model(
    package_model, random_resnet_state: dict[str, torch.Tensor], tmp_path: Path
) -> None:
    """Same weights, same 640x480 photo (neither resizes nor pads it): same faces, same boxes;
    only the package rounds scores and coordinates to two decimals."""
    photo = np.asarray(Image.open(shared_path("testdata", "faces", "group3_13.jpg")).convert("RGB"))
    photo = np.ascontiguousarray(photo[:480, :640])
    path = write_weights(random_resnet_state, tmp_path, "plain")
    ours = build_retinaface("resnet50", path, max_size=640, min_score=0.9).detect_batch([photo])
    theirs = package_model.predict_jsons(photo, confidence_threshold=0.9, nms_threshold=0.4)
    assert len(ours[0].detections) == len(theirs) > 0
    for mine, reference in zip(ours[0].detections, theirs):
        assert mine.score == pytest.approx(reference["score"], abs=0.005 + 1e-6)
        assert mine.box == pytest.approx(tuple(reference["bbox"]), abs=0.006)
        for point, expected in zip(mine.landmarks, reference["landmarks"]):
            assert point == pytest.approx(tuple(expected), abs=0.006)
    assert any(round(d.score, 2) != d.score for d in ours[0].detections)


@pytest.mark.parametrize("backbone", ["resnet50", "mobilenet0.25"])
@pytest.mark.parametrize("given", ["none", "missing-file"])
def test_missing_weights_say_what_to_do(tmp_path: Path, backbone: str, given: str) -> None:
    path = None if given == "none" else tmp_path / "nowhere.pth"
    with pytest.raises(WeightsMissingError) as raised:
        build_retinaface(backbone, path)
    message = str(raised.value)
    assert "DHF_RETINAFACE_WEIGHTS" in message and backbone in message
    if path is not None:
        assert str(path) in message
    if backbone == "resnet50":
        from retinaface.pre_trained_models import models

        assert models["resnet50_2020-07-20"].url.rsplit("/", 1)[-1] in message
    else:
        assert "biubug6/Face-Detector-1MB-with-landmark" in message
        assert "mobilenet0.25_Final.pth" in message


def test_weights_of_another_backbone_are_refused(
    random_resnet_state: dict[str, torch.Tensor], tmp_path: Path
) -> None:
    mobilenet = shared_path("weights", "retinaface_mobilenet0.25_fd1mb.pth")
    hint = r"resnet50 network \(it looks like mobilenet0.25 weights\).*missing keys"
    with pytest.raises(WeightsMismatchError, match=hint) as raised:
        build_retinaface("resnet50", mobilenet)
    assert str(mobilenet) in str(raised.value)
    resnet = write_weights(random_resnet_state, tmp_path, "plain")
    hint = r"mobilenet0.25 network \(it looks like resnet50 weights\)"
    with pytest.raises(WeightsMismatchError, match=hint) as raised:
        build_retinaface("mobilenet0.25", resnet)
    assert str(resnet) in str(raised.value)


def test_unreadable_file_and_unknown_backbone(tmp_path: Path) -> None:
    junk = tmp_path / "junk.pth"
    junk.write_bytes(b"this is not a torch file")
    with pytest.raises(WeightsMismatchError, match="could not be read as RetinaFace mobilenet0.25"):
        build_retinaface("mobilenet0.25", junk)
    with pytest.raises(ValueError, match="unknown RetinaFace backbone 'resnet18'"):
        build_retinaface("resnet18", junk)

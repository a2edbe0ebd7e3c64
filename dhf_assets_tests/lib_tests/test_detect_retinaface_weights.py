"""RetinaFace weights: formats that load through the real path, and the errors when they don't."""

from __future__ import annotations

import hashlib
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch

from dhf_assets.lib.detect.network import build_network
from dhf_assets.lib.detect.retinaface import build_retinaface
from dhf_assets.lib.detect.types import ImageDetections, WeightsMissingError
from dhf_assets.lib.detect.weights import WeightsMismatchError
from dhf_assets_tests.conftest import shared_path


@pytest.fixture(scope="module")
def random_resnet_state() -> dict[str, torch.Tensor]:
    """A RetinaFace ResNet-50 state dict with random weights, from retinaface-pytorch's own class."""
    from retinaface.network import RetinaFace  # imported after build_network: torchvision is ready

    torch.manual_seed(0)
    with warnings.catch_warnings():  # torchvision's notice that `pretrained` is deprecated
        warnings.simplefilter("ignore", UserWarning)
        net = RetinaFace(
            name="Resnet50",
            pretrained=False,  # random weights: nothing downloaded
            return_layers={"layer2": 1, "layer3": 2, "layer4": 3},
            in_channels=256,
            out_channels=256,
        )
    return net.state_dict()


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
    assert {k: v.shape for k, v in ours.items()} == {k: v.shape for k, v in random_resnet_state.items()}


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
    with pytest.raises(WeightsMismatchError, match=r"resnet50 network \(it looks like mobilenet0.25 weights\).*missing keys") as raised:
        build_retinaface("resnet50", mobilenet)
    assert str(mobilenet) in str(raised.value)
    resnet = write_weights(random_resnet_state, tmp_path, "plain")
    with pytest.raises(WeightsMismatchError, match="mobilenet0.25 network \\(it looks like resnet50 weights\\)") as raised:
        build_retinaface("mobilenet0.25", resnet)
    assert str(resnet) in str(raised.value)


def test_unreadable_file_and_unknown_backbone(tmp_path: Path) -> None:
    junk = tmp_path / "junk.pth"
    junk.write_bytes(b"this is not a torch file")
    with pytest.raises(WeightsMismatchError, match="could not be read as RetinaFace mobilenet0.25"):
        build_retinaface("mobilenet0.25", junk)
    with pytest.raises(ValueError, match="unknown RetinaFace backbone 'resnet18'"):
        build_retinaface("resnet18", junk)

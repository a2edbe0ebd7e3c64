"""RetinaFace input batches: each crop resized, in the weights' channel order, normalised, zero-padded."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from dhf_assets.lib.detect.network import variant
from dhf_assets.lib.detect.preprocess import ALIGN, fit, prepare_batch


def reference(image: np.ndarray, backbone: str, height: int, width: int) -> np.ndarray:
    """(3, height, width) float32 as the weights were trained: channels, mean, std, padding 0 (numpy)."""
    spec = variant(backbone)
    pixels = image[..., ::-1] if spec.bgr else image
    normalised = (pixels.astype(np.float32) - np.float32(spec.mean)) / np.float32(spec.std)
    padded = np.zeros((3, height, width), dtype=np.float32)
    padded[:, : image.shape[0], : image.shape[1]] = normalised.transpose(2, 0, 1)
    return padded


@pytest.mark.parametrize("backbone", ["mobilenet0.25", "resnet50"])
@pytest.mark.parametrize("read_only", [False, True])
def test_batch_holds_each_crop_normalised_in_the_trained_channel_order(backbone: str, read_only: bool) -> None:
    rng = np.random.default_rng(7)
    crops = [rng.integers(0, 256, (40, 70, 3), dtype=np.uint8), rng.integers(0, 256, (90, 33, 3), dtype=np.uint8)]
    for crop in crops:
        crop.flags.writeable = not read_only  # np.asarray of a PIL image is read-only
    buffer = torch.full((2, 3, 64, 64), 99.0)  # a reused buffer of the same shape is zeroed first
    batch = prepare_batch(crops, variant(backbone), 64, torch.device("cpu"), buffer)
    resized = [fit(crop, 64) for crop in crops]
    assert batch.padded_size == (64, 64) and batch.padded_size[0] % ALIGN == 0
    assert batch.tensor is buffer
    for slot, image in enumerate(resized):
        np.testing.assert_allclose(batch.tensor[slot].numpy(), reference(image, backbone, 64, 64), rtol=1e-6)
    assert batch.scales[1] == (resized[1].shape[1] / 33, resized[1].shape[0] / 90)

"""RetinaFace input batches: crops of any size resized, normalised and padded into one tensor."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import cv2
import numpy as np
import torch

from dhf_assets.lib.detect.network import Variant

ALIGN = 32  # the coarsest feature stride: padded sizes on this grid give whole feature cells


@dataclass(frozen=True)
class PreparedBatch:
    """A network-ready batch and what maps its outputs back to each crop's pixels."""

    tensor: torch.Tensor  # (B, 3, H, W), normalised; padding (right/bottom) is 0 = mean colour
    scales: tuple[tuple[float, float], ...]  # per image: (x, y) of resized size / original size

    @property
    def padded_size(self) -> tuple[int, int]:
        return int(self.tensor.shape[2]), int(self.tensor.shape[3])


def plan_batches(images: Sequence[np.ndarray], batch_size: int) -> list[list[int]]:
    """Indices per forward: crops sorted by area so each batch pads little, then chunked."""
    order = sorted(range(len(images)), key=lambda i: images[i].shape[0] * images[i].shape[1])
    return [order[start : start + batch_size] for start in range(0, len(order), batch_size)]


def fit(image: np.ndarray, max_size: int) -> np.ndarray:
    """Shrink so the longer side is at most max_size, keeping the aspect; never enlarge."""
    height, width = image.shape[:2]
    scale = max_size / max(height, width)
    if scale >= 1:
        return image
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA)  # INTER_AREA: no aliasing


def prepare_batch(
    images: Sequence[np.ndarray], spec: Variant, max_size: int, device: torch.device,
    buffer: torch.Tensor | None = None,
) -> PreparedBatch:
    """RGB uint8 crops -> one (B, 3, H, W) tensor on `device`, normalised as `spec` was trained."""
    resized = [fit(image, max_size) for image in images]
    height = math.ceil(max(r.shape[0] for r in resized) / ALIGN) * ALIGN
    width = math.ceil(max(r.shape[1] for r in resized) / ALIGN) * ALIGN
    mean = torch.tensor(spec.mean, device=device).view(3, 1, 1)
    std = torch.tensor(spec.std, device=device).view(3, 1, 1)
    shape = (len(resized), 3, height, width)
    # Zero padding is the mean colour after normalisation; a reused buffer is zeroed in place.
    reuse = buffer is not None and tuple(buffer.shape) == shape and buffer.device == torch.device(device)
    batch = buffer.zero_() if reuse else torch.zeros(shape, device=device)
    for slot, image in enumerate(resized):
        # The channel order the weights were trained on, swapped by OpenCV in one pass over the
        # uint8 pixels (torch's flip of the permuted tensor took 10x as long). torch.from_numpy warns
        # on read-only arrays (np.asarray of a PIL image is one): such a crop is copied instead.
        if spec.bgr:
            array = cv2.cvtColor(image, cv2.COLOR_RGB2BGR)
        else:
            array = image if image.flags.writeable else image.copy()
        # uint8 travels to the device (4x less than float) and is reordered there; then one
        # converting copy into the batch and in-place normalisation: no float temporaries.
        pixels = torch.from_numpy(array).to(device).permute(2, 0, 1)
        target = batch[slot, :, : image.shape[0], : image.shape[1]]
        target.copy_(pixels).sub_(mean)
        if any(value != 1.0 for value in spec.std):
            target.div_(std)
    scales = tuple(
        (fitted.shape[1] / original.shape[1], fitted.shape[0] / original.shape[0])
        for fitted, original in zip(resized, images)
    )
    return PreparedBatch(tensor=batch, scales=scales)

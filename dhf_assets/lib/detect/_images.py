"""Input checks shared by the detectors: one clear error instead of a shape error deep in torch."""

from __future__ import annotations

from typing import Sequence

import numpy as np


def as_rgb_batch(images: Sequence[np.ndarray]) -> list[np.ndarray]:
    """Check every image is a non-empty RGB uint8 HxWx3 array; return C-contiguous arrays.

    Contiguity matters: torch.from_numpy and cv2 reject the negative strides a flipped view has.
    """
    checked: list[np.ndarray] = []
    for index, image in enumerate(images):
        array = np.asarray(image)
        if array.ndim != 3 or array.shape[2] != 3 or array.dtype != np.uint8:
            raise ValueError(
                f"image {index}: expected an RGB uint8 array of shape HxWx3, "
                f"got dtype {array.dtype} and shape {array.shape}"
            )
        if array.shape[0] == 0 or array.shape[1] == 0:
            raise ValueError(f"image {index} is empty (shape {array.shape})")
        checked.append(np.ascontiguousarray(array))
    return checked

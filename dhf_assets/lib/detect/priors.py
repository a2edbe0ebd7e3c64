"""Prior (anchor) boxes per padded input size, computed once and kept."""

from __future__ import annotations

from functools import lru_cache

import torch
from retinaface.prior_box import priorbox

from dhf_assets.lib.detect.network import Variant


@lru_cache(maxsize=64)
def _cpu_priors(variant: Variant, height: int, width: int) -> torch.Tensor:
    # The package's priorbox is a Python loop (about 25 ms at 640x640): worth caching, since a
    # detector sees few distinct padded sizes (they lie on a 32-pixel grid up to max_size).
    return priorbox(
        min_sizes=[list(sizes) for sizes in variant.min_sizes],
        steps=list(variant.steps),
        clip=False,
        image_size=(height, width),
    )


_on_device: dict[tuple[Variant, int, int, str], torch.Tensor] = {}


def priors_for(variant: Variant, height: int, width: int, device: torch.device) -> torch.Tensor:
    """(N, 4) priors (cx, cy, w, h as fractions of the padded input) on `device`."""
    key = (variant, height, width, str(device))
    if key not in _on_device:
        if len(_on_device) >= 64:
            _on_device.clear()
        _on_device[key] = _cpu_priors(variant, height, width).to(device)
    return _on_device[key]

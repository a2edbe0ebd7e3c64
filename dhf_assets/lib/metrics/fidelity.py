"""Full-reference fidelity of Table 2: PSNR, SSIM and LPIPS of a processed face vs its crop.

The comparison, fixed here:
* The reference is the original crop, converted to RGB. The processed image (the 512 x 512
  output) is first cut to `content_box` (left, top, right, bottom in processed pixels, floats
  allowed) when the standardisation padded the crop to a square, then resized with Lanczos to
  the crop's exact size, and converted to RGB. Both are sRGB values scaled to [0, 1] (no
  linearisation, no YCbCr): what a viewer compares.
* psnr: piq.psnr over the three channels, data_range 1. piq adds 1e-8 to the MSE, so identical
  images give 80 dB; values are also clamped at PSNR_CAP_DB so no infinity can ever appear.
* ssim: piq.ssim with its defaults (11 x 11 Gaussian window, sigma 1.5, average-pool
  downsampling by round(min side / 256) as in Wang's reference code), mean over RGB channels.
  A crop with a side below SSIM_MIN_SIDE (11) gets NULL with SSIM_TOO_SMALL_REASON: piq
  refuses it, and enlarging it would measure the interpolation rather than the image.
* lpips: piq.LPIPS (VGG16) on the same pair, see `lpips.py`; NULL with a reason when no
  scorer is loaded or a side is below 16 px.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypedDict

import numpy as np
from PIL import Image

from dhf_assets.lib.metrics.lpips import (
    MIN_SIDE as LPIPS_MIN_SIDE,
    TOO_SMALL_REASON as LPIPS_TOO_SMALL_REASON,
    LpipsScorer,
)
from dhf_assets.lib.runtime.torch_compat import ensure_torchvision

if TYPE_CHECKING:  # torch is imported lazily so that importing this package stays light
    import torch

Box = tuple[float, float, float, float]

PSNR_CAP_DB = 80.0
SSIM_MIN_SIDE = 11
SSIM_TOO_SMALL_REASON = f"crop side below {SSIM_MIN_SIDE} px, the SSIM window"
NO_LPIPS_REASON = "LPIPS scorer not loaded (weights unavailable)"
EMPTY_REASON = "empty original crop (0 pixels)"


class Fidelity(TypedDict):
    psnr: float | None
    ssim: float | None
    lpips: float | None
    null_reasons: dict[str, str]


def content_box_for_padding(
    original_size: tuple[int, int],
    padding: tuple[int, int, int, int],
    processed_size: tuple[int, int] = (512, 512),
) -> Box:
    """Content box in processed pixels for a crop padded by (left, top, right, bottom) source px."""
    width, height = original_size
    left, top, right, bottom = padding
    sx = processed_size[0] / (width + left + right)
    sy = processed_size[1] / (height + top + bottom)
    return (left * sx, top * sy, (left + width) * sx, (top + height) * sy)


def aligned_pair(
    original: Image.Image, processed: Image.Image, content_box: Box | None = None
) -> tuple[Image.Image, Image.Image]:
    """(original, processed) as RGB at the original's size, padding removed: the compared pair."""
    # convert() copies even when the mode already matches: skip it for RGB inputs.
    reference = original if original.mode == "RGB" else original.convert("RGB")
    source = processed if processed.mode == "RGB" else processed.convert("RGB")
    box = content_box if content_box is not None else (0.0, 0.0, float(source.width), float(source.height))
    # Resizing with `box` crops and resamples in one pass, so fractional boxes stay exact.
    restored = source.resize(reference.size, Image.Resampling.LANCZOS, box=box)
    return reference, restored


def to_tensor(image: Image.Image) -> torch.Tensor:
    """(1, 3, H, W) float32 tensor in [0, 1] of an RGB image."""
    import torch

    array = np.asarray(image, dtype=np.float32) / 255.0
    return torch.from_numpy(array).permute(2, 0, 1).unsqueeze(0).contiguous()


def fidelity_from_tensors(x: torch.Tensor, y: torch.Tensor, lpips: LpipsScorer | None = None) -> Fidelity:
    """PSNR/SSIM/LPIPS of aligned (1, 3, H, W) tensors in [0, 1] (the rules of this module)."""
    ensure_torchvision()  # piq imports torchvision
    import piq

    reasons: dict[str, str] = {}
    height, width = x.shape[-2:]
    psnr = min(float(piq.psnr(x, y, data_range=1.0)), PSNR_CAP_DB)
    ssim: float | None = None
    if min(height, width) >= SSIM_MIN_SIDE:
        ssim = float(piq.ssim(x, y, data_range=1.0))
    else:
        reasons["ssim"] = SSIM_TOO_SMALL_REASON
    lpips_value: float | None = None
    if lpips is None:
        reasons["lpips"] = NO_LPIPS_REASON
    elif min(height, width) < LPIPS_MIN_SIDE:
        reasons["lpips"] = LPIPS_TOO_SMALL_REASON
    else:
        lpips_value = lpips.score_tensors(x, y)[0]
    return Fidelity(psnr=psnr, ssim=ssim, lpips=lpips_value, null_reasons=reasons)


def fidelity_metrics(
    original: Image.Image,
    processed: Image.Image,
    lpips: LpipsScorer | None = None,
    content_box: Box | None = None,
) -> Fidelity:
    """PSNR (dB), SSIM and LPIPS of `processed` against the `original` crop (see module doc)."""
    if original.width == 0 or original.height == 0:
        return Fidelity(psnr=None, ssim=None, lpips=None,
                        null_reasons={name: EMPTY_REASON for name in ("psnr", "ssim", "lpips")})
    reference, restored = aligned_pair(original, processed, content_box)
    return fidelity_from_tensors(to_tensor(reference), to_tensor(restored), lpips)

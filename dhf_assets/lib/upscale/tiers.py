"""Tier rule and square padding for the 512x512 standardization (paper section 3.1.3).

Tiers by the crop's longer side L (in source pixels):
- `two_stage`  L < 256:        pad to a side-S square, x4 (4S), Lanczos to exactly 256x256, x4 again
                               (1024x1024), Lanczos to 512x512. "Lanczos to about 256" in the paper
                               is this fixed 256x256 resize (an upsample when 4S < 256, i.e. S < 64).
- `one_stage`  256 <= L <= 512: pad to a side-S square, x4 (4S), Lanczos to 512x512.
- `downsample` L > 512:        no model; pad to an L-square, Lanczos to 512x512.

Non-square crops are padded, never cropped or stretched: the crop is centred in a square and the
margin is one flat colour, the per-channel median of the crop's one-pixel border (`border_median`).
A mirrored or repeated border was rejected: on a face crop a mirror paints half-faces, eyes and
ornaments that are not on the mural, and a super-resolution model then sharpens them into
convincing detail; a flat margin adds no feature. No face pixel is cut and the aspect is kept; the
padding (left, top, right, bottom) in source pixels is recorded so the crop's box in the 512x512
output (`content_box`) is known, and the quality metrics compare only that box. For the model tiers
the square side S is L rounded up to `pad_multiple` (default 8): the pipeline would otherwise resize
the input to a multiple of the VAE factor itself,
and equal sides batch together. S never leaves its tier (256 and 512 are multiples of 8).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

TARGET_SIDE = 512
TWO_STAGE_MID_SIDE = 256  # what the first x4 output of a two-stage crop is resized to
TWO_STAGE_BELOW = 256  # L < this: two stages
ONE_STAGE_MAX = 512  # L <= this: one stage; above: Lanczos down only
RESAMPLE_NAME = "PIL.Image.LANCZOS"

TIERS = ("two_stage", "one_stage", "downsample")
MODEL_STAGES = {"two_stage": 2, "one_stage": 1, "downsample": 0}


def tier_for(width: int, height: int) -> str:
    """The tier of a crop of this size, by its longer side."""
    if width < 1 or height < 1:
        raise ValueError(f"empty crop {width}x{height}")
    longer = max(width, height)
    if longer < TWO_STAGE_BELOW:
        return "two_stage"
    if longer <= ONE_STAGE_MAX:
        return "one_stage"
    return "downsample"


def square_side_for(width: int, height: int, pad_multiple: int = 8) -> int:
    """The side of the padded square: L, rounded up to `pad_multiple` for the model tiers."""
    longer = max(width, height)
    if tier_for(width, height) == "downsample" or pad_multiple <= 1:
        return longer
    return -(-longer // pad_multiple) * pad_multiple


@dataclass(frozen=True)
class SquarePad:
    side: int  # side of the padded square, in source pixels
    padding: tuple[int, int, int, int]  # left, top, right, bottom, in source pixels
    method: str  # "none" | "border_median"

    def content_box(self, output_side: int = TARGET_SIDE) -> tuple[float, float, float, float]:
        """Where the original crop lies in an output of `output_side` (x0, y0, x1, y1)."""
        scale = output_side / self.side
        left, top, right, bottom = self.padding
        return (left * scale, top * scale, (self.side - right) * scale, (self.side - bottom) * scale)


def plan_square(width: int, height: int, side: int) -> SquarePad:
    """Centre a width x height crop in a side x side square; say which fill can be used."""
    if side < max(width, height):
        raise ValueError(f"square side {side} is smaller than the crop {width}x{height}")
    extra_x, extra_y = side - width, side - height
    padding = (extra_x // 2, extra_y // 2, extra_x - extra_x // 2, extra_y - extra_y // 2)
    return SquarePad(side, padding, "none" if extra_x == 0 and extra_y == 0 else "border_median")


def border_median(pixels: np.ndarray) -> np.ndarray:
    """Per-channel median of an HxWx3 image's one-pixel frame."""
    frame = np.concatenate([pixels[0], pixels[-1], pixels[:, 0], pixels[:, -1]])
    return np.median(frame, axis=0).round().astype(pixels.dtype)


def pad_to_square(image: Image.Image, pad_multiple: int = 8) -> tuple[Image.Image, SquarePad]:
    """The RGB crop centred in a padded square, and how it was padded."""
    rgb = image.convert("RGB")
    plan = plan_square(rgb.width, rgb.height, square_side_for(rgb.width, rgb.height, pad_multiple))
    if plan.method == "none":
        return rgb, plan
    left, top, _, _ = plan.padding
    pixels = np.asarray(rgb)
    padded = np.empty((plan.side, plan.side, 3), dtype=pixels.dtype)
    padded[...] = border_median(pixels)
    padded[top : top + rgb.height, left : left + rgb.width] = pixels
    return Image.fromarray(padded, "RGB"), plan


def lanczos_square(image: Image.Image, side: int) -> Image.Image:
    """A square image resized to side x side with Lanczos (a no-op at the same size)."""
    if image.size == (side, side):
        return image
    return image.resize((side, side), Image.Resampling.LANCZOS)

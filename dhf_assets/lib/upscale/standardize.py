"""Standardize face crops to 512x512 RGB through the tiers, in batches, with provenance per image."""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass
from typing import Any, NamedTuple, Sequence

from PIL import Image

from dhf_assets.lib.upscale.backends import Upscaler
from dhf_assets.lib.upscale.tiers import (
    MODEL_STAGES,
    RESAMPLE_NAME,
    TARGET_SIDE,
    TWO_STAGE_MID_SIDE,
    SquarePad,
    lanczos_square,
    pad_to_square,
    tier_for,
)


@dataclass(frozen=True)
class Crop:
    image_id: str  # stable id: it seeds the model's noise for this image
    image: Image.Image


class Standardized(NamedTuple):
    image: Image.Image  # 512x512 RGB
    provenance: dict[str, Any]


@dataclass(frozen=True)
class _Plan:
    crop: Crop
    tier: str
    square: Image.Image
    pad: SquarePad


def stage_key(image_id: str, stage: int) -> str:
    """The seeding key of one model stage: the two stages of one crop draw different noise."""
    return f"{image_id}/stage{stage}"


def _run_tier(tier: str, squares: list[Image.Image], ids: list[str], upscaler: Upscaler) -> list[Image.Image]:
    if tier == "downsample":
        return [lanczos_square(square, TARGET_SIDE) for square in squares]
    images = upscaler.upscale_x4(squares, [stage_key(i, 1) for i in ids])
    if tier == "two_stage":
        middle = [lanczos_square(image, TWO_STAGE_MID_SIDE) for image in images]
        images = upscaler.upscale_x4(middle, [stage_key(i, 2) for i in ids])
    return [lanczos_square(image, TARGET_SIDE) for image in images]


def _provenance(plan: _Plan, upscaler: Upscaler, seconds: float) -> dict[str, Any]:
    stages = MODEL_STAGES[plan.tier]
    settings = dict(upscaler.settings())
    if stages == 0:
        # No model touched these pixels: record that, not the configured upscaler's settings.
        settings = {key: None for key in settings} | {"backend": "none", "device": "cpu"}
    keys = [stage_key(plan.crop.image_id, stage) for stage in range(1, stages + 1)]
    return {
        "image_id": plan.crop.image_id,
        "tier": plan.tier,
        "source_width": plan.crop.image.width,
        "source_height": plan.crop.image.height,
        "source_mode": plan.crop.image.mode,
        "square_method": plan.pad.method,
        "padding": list(plan.pad.padding),
        "square_side": plan.pad.side,
        "content_box": [round(value, 3) for value in plan.pad.content_box()],
        "model_stages": stages,
        **settings,
        "stage_seeds": [upscaler.seed_for(key) for key in keys],
        "resample": RESAMPLE_NAME,
        "output_side": TARGET_SIDE,
        "seconds": seconds,
    }


def plan_crops(crops: Sequence[Crop], pad_multiple: int = 8) -> list[_Plan]:
    plans = []
    for crop in crops:
        square, pad = pad_to_square(crop.image, pad_multiple)
        plans.append(_Plan(crop, tier_for(crop.image.width, crop.image.height), square, pad))
    return plans


def group_batches(plans: Sequence[_Plan], batch_size: int) -> list[list[int]]:
    """Indices of plans in batches of one (tier, square side): the pipeline needs equal sizes."""
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    groups: dict[tuple[str, int], list[int]] = defaultdict(list)
    for index, plan in enumerate(plans):
        groups[(plan.tier, plan.pad.side)].append(index)
    batches = []
    for key in sorted(groups):
        indices = groups[key]
        batches.extend(indices[start : start + batch_size] for start in range(0, len(indices), batch_size))
    return batches


def standardize(
    crops: Sequence[Crop], upscaler: Upscaler, *, batch_size: int = 4, pad_multiple: int = 8
) -> list[Standardized]:
    """Every crop as a 512x512 RGB image with its provenance, in the order given.

    `seconds` is the image's share of its batch's wall time (both stages and the resizes).
    """
    plans = plan_crops(crops, pad_multiple)
    results: list[Standardized | None] = [None] * len(plans)
    for batch in group_batches(plans, batch_size):
        started = time.perf_counter()
        tier = plans[batch[0]].tier
        ids = [plans[index].crop.image_id for index in batch]
        images = _run_tier(tier, [plans[index].square for index in batch], ids, upscaler)
        share = (time.perf_counter() - started) / len(batch)
        for index, image in zip(batch, images, strict=True):
            if image.size != (TARGET_SIDE, TARGET_SIDE) or image.mode != "RGB":
                raise RuntimeError(f"{ids[0]}: {tier} gave {image.mode} {image.size}, not RGB 512x512")
            results[index] = Standardized(image, _provenance(plans[index], upscaler, share))
    return [result for result in results if result is not None]

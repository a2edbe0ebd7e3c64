"""Tier rule, square padding and the Lanczos backend: no model, so these run in milliseconds."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from dhf_assets.lib.upscale import (
    Crop,
    LanczosUpscaler,
    derive_seed,
    make_upscaler,
    pad_to_square,
    standardize,
    tier_for,
)
from dhf_assets.lib.upscale.standardize import group_batches, plan_crops


def noise_image(width: int, height: int, mode: str = "RGB", seed: int = 0) -> Image.Image:
    pixels = np.random.default_rng(seed).integers(0, 256, (height, width, 3), dtype=np.uint8)
    return Image.fromarray(pixels, "RGB").convert(mode)


@pytest.mark.parametrize(
    ("width", "height", "tier", "side"),
    [
        (255, 255, "two_stage", 256),
        (256, 256, "one_stage", 256),
        (512, 512, "one_stage", 512),
        (513, 513, "downsample", 513),
        (255, 100, "two_stage", 256),  # the longer side decides, whichever it is
        (100, 256, "one_stage", 256),
        (300, 505, "one_stage", 512),  # rounded up to a multiple of 8, still inside the tier
        (513, 20, "downsample", 513),
        (1, 1, "two_stage", 8),
    ],
)
def test_tier_boundaries_and_square_side(width: int, height: int, tier: str, side: int) -> None:
    assert tier_for(width, height) == tier
    (result,) = standardize([Crop("c", noise_image(width, height))], LanczosUpscaler())
    assert result.image.size == (512, 512) and result.image.mode == "RGB"
    provenance = result.provenance
    assert provenance["tier"] == tier and provenance["square_side"] == side
    assert (provenance["source_width"], provenance["source_height"]) == (width, height)
    left, top, right, bottom = provenance["padding"]
    assert (left + width + right, top + height + bottom) == (side, side)
    assert abs(left - right) <= 1 and abs(top - bottom) <= 1  # centred


def test_padding_keeps_every_crop_pixel_and_fills_with_the_border_median() -> None:
    crop = noise_image(60, 40)
    square, pad = pad_to_square(crop)
    assert square.size == (64, 64) and pad.method == "border_median"
    left, top, _, _ = pad.padding
    pixels = np.asarray(square)
    source = np.asarray(crop)
    assert np.array_equal(pixels[top : top + 40, left : left + 60], source)
    frame = np.concatenate([source[0], source[-1], source[:, 0], source[:, -1]])
    expected = np.median(frame, axis=0).round()
    margin = np.concatenate([pixels[:top].reshape(-1, 3), pixels[top + 40 :].reshape(-1, 3)])
    assert (margin == expected).all()  # one flat colour: no mirrored feature enters the square


def test_thin_crop_is_padded_and_recorded() -> None:
    (result,) = standardize([Crop("thin", noise_image(4, 100))], LanczosUpscaler())
    provenance = result.provenance
    assert provenance["square_method"] == "border_median"
    assert provenance["padding"] == [50, 2, 50, 2]
    scale = 512 / 104  # the 104-pixel square becomes 512 pixels; the box is rounded to 0.001
    expected = [50 * scale, 2 * scale, 54 * scale, 102 * scale]
    assert provenance["content_box"] == pytest.approx(expected, abs=1e-3)


def test_square_crop_is_not_padded() -> None:
    (result,) = standardize([Crop("sq", noise_image(600, 600))], LanczosUpscaler())
    assert result.provenance["square_method"] == "none" and result.provenance["padding"] == [0, 0, 0, 0]


def test_lanczos_backend_provenance_and_order_across_tiers() -> None:
    sizes = [(700, 650), (40, 60), (300, 280), (41, 59), (301, 280), (30, 30)]
    modes = ["RGB", "RGBA", "L", "RGB", "P", "RGB"]
    crops = [Crop(f"id{i}", noise_image(w, h, modes[i])) for i, (w, h) in enumerate(sizes)]
    results = standardize(crops, LanczosUpscaler(), batch_size=2)
    assert [r.provenance["image_id"] for r in results] == [c.image_id for c in crops]
    for result in results:
        assert result.image.size == (512, 512) and result.image.mode == "RGB"
        assert result.provenance["seconds"] >= 0
    by_tier = {r.provenance["tier"]: r.provenance for r in results}
    assert by_tier["one_stage"]["backend"] == "lanczos"
    assert by_tier["one_stage"]["model_id"] == "PIL.Image.LANCZOS"
    assert by_tier["two_stage"]["model_stages"] == 2 and by_tier["two_stage"]["stage_seeds"] == [None, None]
    # No model touched the downsampled crop, and its record says so.
    assert by_tier["downsample"]["backend"] == "none" and by_tier["downsample"]["model_id"] is None
    assert results[1].provenance["source_mode"] == "RGBA"


def test_batches_hold_one_tier_and_one_size() -> None:
    sizes = [(40, 60), (60, 40), (50, 50), (300, 300)] * 3
    crops = [Crop(str(i), noise_image(w, h)) for i, (w, h) in enumerate(sizes)]
    plans = plan_crops(crops)
    batches = group_batches(plans, batch_size=4)
    for batch in batches:
        assert len({(plans[i].tier, plans[i].pad.side) for i in batch}) == 1 and len(batch) <= 4
    assert sorted(i for batch in batches for i in batch) == list(range(len(crops)))
    with pytest.raises(ValueError):
        group_batches(plans, batch_size=0)


def test_seed_derivation_is_stable_and_keyed() -> None:
    assert derive_seed(0, "a/stage1") == derive_seed(0, "a/stage1")
    assert len({derive_seed(0, "a/stage1"), derive_seed(0, "a/stage2"), derive_seed(1, "a/stage1")}) == 3
    assert 0 <= derive_seed(7, "x") < 2**63


def test_unknown_backend_is_an_error_not_a_fallback() -> None:
    with pytest.raises(ValueError, match="unknown upscale backend"):
        make_upscaler("esrgan")
    assert make_upscaler("lanczos").backend == "lanczos"

"""Table 2 fidelity (PSNR, SSIM) and whole quality rows, without LPIPS weights."""

from __future__ import annotations

import math

import numpy as np
import pytest
from PIL import Image

from dhf_assets.lib.metrics import (
    PSNR_CAP_DB,
    QualityRow,
    aligned_pair,
    content_box_for_padding,
    fidelity_metrics,
    quality_row,
)
from dhf_assets.lib.metrics.fidelity import EMPTY_REASON, NO_LPIPS_REASON, SSIM_TOO_SMALL_REASON

LANCZOS = Image.Resampling.LANCZOS


@pytest.fixture(scope="module")
def face() -> Image.Image:
    from skimage import data

    return Image.fromarray(data.astronaut()).crop((150, 20, 330, 220)).resize((90, 100), LANCZOS)


def noisy(image: Image.Image, sigma: float, seed: int = 0) -> Image.Image:
    array = np.asarray(image, dtype=np.float64)
    array = array + np.random.default_rng(seed).normal(0.0, sigma, array.shape)
    return Image.fromarray(np.clip(array, 0, 255).astype(np.uint8))


@pytest.mark.parametrize("size", [(64, 48), (300, 200)])
def test_identical_images_give_capped_psnr_and_unit_ssim(size: tuple[int, int]) -> None:
    rng = np.random.default_rng(size[0])
    image = Image.fromarray(rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8))
    result = fidelity_metrics(image, image.copy())
    assert result["psnr"] == PSNR_CAP_DB
    assert result["ssim"] == pytest.approx(1.0, abs=1e-6)
    assert result["lpips"] is None and result["null_reasons"] == {"lpips": NO_LPIPS_REASON}


def test_upscaled_face_scores_like_a_good_restoration(face: Image.Image) -> None:
    processed = face.resize((512, 512), LANCZOS)
    good = fidelity_metrics(face, processed)
    bad = fidelity_metrics(face, noisy(processed, 25.0))
    assert good["psnr"] > 30.0 and good["ssim"] > 0.9
    assert bad["psnr"] < good["psnr"] - 5.0 and bad["ssim"] < good["ssim"]


def test_content_box_removes_square_padding(face: Image.Image) -> None:
    # The standardisation pads the 90 x 100 crop to 100 x 100 (5 px left and right), then upscales.
    padded = Image.new("RGB", (100, 100), (0, 0, 0))
    padded.paste(face, (5, 0))
    processed = padded.resize((512, 512), LANCZOS)
    box = content_box_for_padding(face.size, (5, 0, 5, 0), processed.size)
    assert box == pytest.approx((25.6, 0.0, 486.4, 512.0))
    with_box = fidelity_metrics(face, processed, content_box=box)
    without_box = fidelity_metrics(face, processed)
    assert with_box["psnr"] > 30.0 and with_box["psnr"] > without_box["psnr"] + 10.0
    reference, restored = aligned_pair(face, processed, box)
    assert reference.size == restored.size == face.size and restored.mode == "RGB"


@pytest.mark.parametrize("size", [(1, 1), (3, 3), (8, 8), (10, 40)])
def test_crops_smaller_than_the_ssim_window(size: tuple[int, int]) -> None:
    crop = Image.new("RGB", size, (120, 80, 60))
    result = fidelity_metrics(crop, noisy(Image.new("RGB", (512, 512), (120, 80, 60)), 5.0))
    assert result["ssim"] is None and result["null_reasons"]["ssim"] == SSIM_TOO_SMALL_REASON
    assert math.isfinite(result["psnr"]) and result["psnr"] <= PSNR_CAP_DB


def test_grey_and_rgba_inputs_are_compared_as_rgb(face: Image.Image) -> None:
    result = fidelity_metrics(face.convert("RGBA"), face.convert("L").resize((512, 512), LANCZOS))
    assert 0.0 < result["ssim"] < 1.0 and math.isfinite(result["psnr"])


def test_empty_crop_is_null_with_reason() -> None:
    result = fidelity_metrics(Image.new("RGB", (0, 0)), Image.new("RGB", (512, 512)))
    assert (result["psnr"], result["ssim"], result["lpips"]) == (None, None, None)
    assert set(result["null_reasons"].values()) == {EMPTY_REASON}


@pytest.mark.parametrize(("size", "expected_band"), [((90, 100), "~512"), ((600, 400), "512~")])
def test_quality_row_has_every_column(face: Image.Image, size: tuple[int, int], expected_band: str) -> None:
    original = face.resize(size, LANCZOS)
    row = quality_row(original, original.resize((512, 512), LANCZOS))
    assert list(row) == list(QualityRow.__annotations__)
    assert row["band"] == expected_band
    for key, value in row.items():
        if key in ("band", "null_reasons"):
            continue
        if value is None:
            assert key in row["null_reasons"]
        else:
            assert math.isfinite(value), key
    assert row["null_reasons"] == {"lpips": NO_LPIPS_REASON}


def test_quality_row_measures_processed_content_only(face: Image.Image) -> None:
    padded = Image.new("RGB", (100, 100), (0, 0, 0))
    padded.paste(face, (5, 0))
    processed = padded.resize((512, 512), LANCZOS)
    box = content_box_for_padding(face.size, (5, 0, 5, 0))
    row = quality_row(face, processed, content_box=box)
    # The black bars would add two strong edges: without them ED stays close to the crop's.
    assert row["ed_high"] == pytest.approx(row["ed_low"], rel=0.3)
    assert row["entropy_high"] == pytest.approx(row["entropy_low"], abs=0.2)


def test_quality_row_of_degenerate_pair_is_defined() -> None:
    row = quality_row(Image.new("RGB", (1, 1)), Image.new("RGB", (512, 512)))
    assert row["psnr"] == PSNR_CAP_DB and row["ssim"] is None
    assert row["snr_low"] is None and "snr_low" in row["null_reasons"]
    assert row["entropy_low"] == row["hfc_high"] == 0.0

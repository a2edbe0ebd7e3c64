"""Table 3 indicators: calibrated cases, orderings on a real face, degenerate images."""

from __future__ import annotations

import math

import numpy as np
import pytest
from PIL import Image, ImageFilter

from dhf_assets.lib.metrics import band, grey_on_grid, indicators, indicators_from_grey
from dhf_assets.lib.metrics.indicators import BLACK_SNR_REASON, EMPTY_REASON, INDICATOR_NAMES


@pytest.fixture(scope="module")
def face() -> Image.Image:
    from skimage import data

    # A real face photo shipped inside scikit-image's wheel (no download).
    return Image.fromarray(data.astronaut()).crop((150, 20, 330, 220))


def assert_defined(result) -> None:
    for name in INDICATOR_NAMES:
        value = result[name]
        if value is None:
            assert name in result["null_reasons"]
        else:
            assert math.isfinite(value), (name, value)


@pytest.mark.parametrize("radius", [1.5, 4.0])
def test_blur_lowers_sharpness_and_high_frequencies(face: Image.Image, radius: float) -> None:
    sharp = indicators(face)
    blurred = indicators(face.filter(ImageFilter.GaussianBlur(radius)))
    assert blurred["esi"] < sharp["esi"]
    assert blurred["hfc"] < sharp["hfc"]
    assert blurred["ed"] < sharp["ed"]


@pytest.mark.parametrize("sigma", [4.0, 12.0])
def test_noise_lowers_snr(face: Image.Image, sigma: float) -> None:
    base = np.asarray(face.resize((256, 256), Image.Resampling.LANCZOS), dtype=np.float64)
    noisy = np.clip(base + np.random.default_rng(0).normal(0.0, sigma, base.shape), 0, 255)
    clean_snr = indicators(Image.fromarray(base.astype(np.uint8)))["snr"]
    noisy_snr = indicators(Image.fromarray(noisy.astype(np.uint8)))["snr"]
    assert noisy_snr < clean_snr - 3.0  # at least 3 dB lower


def test_noise_sigma_is_calibrated() -> None:
    # On a mid-grey image with Gaussian noise of sigma 0.05, SNR = 20 log10(0.5 / 0.05) = 20 dB.
    noise = np.random.default_rng(1).normal(0.0, 0.05 * 255, (256, 256))
    grey = np.clip(127.5 + noise, 0, 255).round().astype(np.uint8)
    assert indicators_from_grey(grey)["snr"] == pytest.approx(20.0, abs=0.5)


def test_step_edge_has_known_sharpness() -> None:
    grey = np.zeros((256, 256), dtype=np.uint8)
    grey[:, 128:] = 255
    result = indicators_from_grey(grey)
    assert result["esi"] == pytest.approx(0.5)  # Sobel / 8 across a 0 -> 1 step
    # One edge line; Canny keeps both pixels of a symmetric step (equal magnitudes survive NMS).
    assert 250 / 256**2 <= result["ed"] <= 2 * 256 / 256**2
    assert result["entropy"] == pytest.approx(1.0)


def test_spectrum_split_between_fine_and_coarse_patterns() -> None:
    y, x = np.mgrid[0:256, 0:256]
    fine = ((x + y) % 2 * 255).astype(np.uint8)  # energy at Nyquist
    coarse = (127.5 + 100 * np.sin(2 * np.pi * x / 128)).astype(np.uint8)
    assert indicators_from_grey(fine)["hfc"] > 0.95
    assert indicators_from_grey(coarse)["hfc"] < 0.05


@pytest.mark.parametrize("level", [0, 1, 128, 255])
@pytest.mark.parametrize("size", [(1, 1), (40, 30), (512, 512)])
def test_constant_image_has_defined_values(level: int, size: tuple[int, int]) -> None:
    result = indicators(Image.new("L", size, level))
    assert (result["esi"], result["ed"], result["entropy"], result["hfc"]) == (0.0, 0.0, 0.0, 0.0)
    if level == 0:
        assert result["snr"] is None and result["null_reasons"] == {"snr": BLACK_SNR_REASON}
    else:
        expected = 20 * math.log10(level / 255 * 255 * math.sqrt(12))  # mean / quantisation floor
        assert result["snr"] == pytest.approx(expected) and result["null_reasons"] == {}


@pytest.mark.parametrize("size", [(1, 1), (2, 7), (3, 3), (8, 8), (16, 5)])
@pytest.mark.parametrize("mode", ["L", "RGB", "RGBA"])
def test_tiny_images_give_defined_values(size: tuple[int, int], mode: str) -> None:
    rng = np.random.default_rng(size[0] * 31 + size[1])
    channels = {"L": 1, "RGB": 3, "RGBA": 4}[mode]
    array = rng.integers(1, 256, (size[1], size[0], channels), dtype=np.uint8)
    image = Image.fromarray(array.squeeze(-1) if channels == 1 else array, mode=mode)
    result = indicators(image)
    assert_defined(result)
    assert result["snr"] is not None


def test_empty_image_is_null_with_reason() -> None:
    result = indicators(Image.new("RGB", (0, 0)))
    assert all(result[name] is None for name in INDICATOR_NAMES)
    assert result["null_reasons"] == {name: EMPTY_REASON for name in INDICATOR_NAMES}


def test_fixed_grid_makes_sizes_comparable(face: Image.Image) -> None:
    # The same picture at 180 px and at 512 px lands on the same 256 x 256 grid.
    small, large = grey_on_grid(face), grey_on_grid(face.resize((512, 512), Image.Resampling.LANCZOS))
    assert small.shape == large.shape == (256, 256)
    assert indicators(face)["entropy"] == pytest.approx(indicators(face.resize((512, 512)))["entropy"], abs=0.1)


@pytest.mark.parametrize(
    ("width", "height", "expected"),
    [(60, 40, "~512"), (512, 512, "~512"), (300, 512, "~512"), (513, 100, "512~"), (100, 900, "512~")],
)
def test_band(width: int, height: int, expected: str) -> None:
    assert band(width, height) == expected

"""No-reference indicators of Table 3 (ESI, SNR, ED, Entropy, HFC) for one image.

The paper names these indicators without defining them; this block is the one place where
their definitions live. Every image is first brought to the same grid so that a 60 px crop and
a 512 px output are measured alike:

* Grid: Pillow "L" grey (ITU-R 601-2 luma, 8 bit), resized to exactly INDICATOR_SIZE
  (256 x 256) with Lanczos; the aspect ratio is not kept, so an original crop and the content
  box of its processed image land on the same grid. Below, g is that grey in [0, 1].
* Edges: skimage.feature.canny(g, sigma=CANNY_SIGMA, low=CANNY_LOW, high=CANNY_HIGH) with
  absolute (not quantile) thresholds, so edge counts can differ between images.
* esi: mean Sobel gradient magnitude on edge pixels. Sobel = scipy.ndimage.sobel / 8, i.e.
  grey-level change per pixel of the 256 grid (a ramp of slope s gives s). 0 when no edges.
* ed: np.count_nonzero(edges) / (256 * 256).
* entropy: Shannon entropy in bits of the 256-bin histogram of the 8-bit grey (flat: 0).
* snr: 20 * log10(mean(g) / sigma) in dB. sigma is Immerkaer's noise estimate made robust:
  r = g convolved with [[1,-2,1],[-2,4,-2],[1,-2,1]] (cancels planes and ramps, so smooth
  shading is not noise), sigma = 1.4826 * MAD(r) / 6, floored at the 8-bit quantisation
  noise 1 / (255 * sqrt(12)) so that flat or very smooth images stay finite. NULL (with a
  reason) when mean(g) is 0, where the log is undefined.
* hfc: share of spectral energy |FFT2|^2 of (g - mean(g)) * Hann window above the radius
  HFC_CUTOFF of Nyquist (radius = hypot(fx, fy) / 0.5 with numpy's fftfreq), DC excluded
  from both sums; the window stops the image border from showing up as high frequencies.
  0 for a flat image (no energy anywhere).
An empty image (0 px) gives NULL for all five with the reason EMPTY_REASON; a 1 x 1 or 3 x 3
image is resized like any other and gets defined values (flat or smooth).
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import TypedDict

import numpy as np
from PIL import Image

INDICATOR_SIZE = (256, 256)
CANNY_SIGMA = 1.0
CANNY_LOW = 0.1
CANNY_HIGH = 0.2
SOBEL_NORM = 8.0
NOISE_KERNEL = np.array([[1.0, -2.0, 1.0], [-2.0, 4.0, -2.0], [1.0, -2.0, 1.0]])
MAD_TO_SIGMA = 1.4826
SIGMA_FLOOR = 1.0 / (255.0 * math.sqrt(12.0))
HFC_CUTOFF = 0.25
INDICATOR_NAMES = ("esi", "snr", "ed", "entropy", "hfc")
EMPTY_REASON = "empty image (0 pixels)"
BLACK_SNR_REASON = "mean grey level is 0: SNR in dB is undefined"


class Indicators(TypedDict):
    esi: float | None
    snr: float | None
    ed: float | None
    entropy: float | None
    hfc: float | None
    null_reasons: dict[str, str]


def grey_on_grid(image: Image.Image) -> np.ndarray | None:
    """The 8-bit grey of `image` on the fixed INDICATOR_SIZE grid; None for an empty image."""
    if image.width == 0 or image.height == 0:
        return None
    grey = image.convert("L").resize(INDICATOR_SIZE, Image.Resampling.LANCZOS)
    return np.asarray(grey, dtype=np.uint8)


@lru_cache(maxsize=4)
def _spectral_masks(shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    # Window and masks depend only on the grid size: compute them once per process.
    window = np.outer(np.hanning(shape[0]), np.hanning(shape[1]))
    fy = np.fft.fftfreq(shape[0])[:, None] / 0.5
    fx = np.fft.fftfreq(shape[1])[None, :] / 0.5
    radius = np.hypot(fy, fx)
    return window, radius > HFC_CUTOFF


def _noise_sigma(g: np.ndarray) -> float:
    from scipy import ndimage

    residual = ndimage.convolve(g, NOISE_KERNEL, mode="reflect")[1:-1, 1:-1]
    mad = float(np.median(np.abs(residual - np.median(residual))))
    return max(MAD_TO_SIGMA * mad / 6.0, SIGMA_FLOOR)


def _hfc(g: np.ndarray) -> float:
    window, high = _spectral_masks(g.shape)
    spectrum = np.fft.fft2((g - g.mean()) * window)
    power = spectrum.real**2 + spectrum.imag**2
    total = float(power.sum() - power[0, 0])  # DC excluded
    return float(power[high].sum()) / total if total > 0.0 else 0.0


def indicators_from_grey(grey: np.ndarray) -> Indicators:
    """Indicators of an 8-bit grey array already on the grid (see module docstring)."""
    from scipy import ndimage
    from skimage.feature import canny

    reasons: dict[str, str] = {}
    counts = np.bincount(grey.ravel(), minlength=256)
    p = counts[counts > 0] / grey.size
    entropy = float(-(p * np.log2(p)).sum()) + 0.0  # + 0.0 turns -0.0 into 0.0
    g = grey.astype(np.float64) / 255.0
    mean = float(g.mean())
    snr: float | None = None
    if mean > 0.0:
        snr = 20.0 * math.log10(mean / _noise_sigma(g))
    else:
        reasons["snr"] = BLACK_SNR_REASON
    if int(grey.min()) == int(grey.max()):
        # Flat: no edges, no spectrum; skip kernels whose float noise could fake structure.
        return Indicators(esi=0.0, snr=snr, ed=0.0, entropy=entropy, hfc=0.0, null_reasons=reasons)
    edges = canny(g, sigma=CANNY_SIGMA, low_threshold=CANNY_LOW, high_threshold=CANNY_HIGH)
    n_edges = int(np.count_nonzero(edges))
    esi = 0.0
    if n_edges:  # the magnitude is only needed on edge pixels
        gx, gy = ndimage.sobel(g, axis=1)[edges], ndimage.sobel(g, axis=0)[edges]
        esi = float(np.hypot(gx, gy).mean()) / SOBEL_NORM
    return Indicators(
        esi=esi, snr=snr, ed=n_edges / grey.size, entropy=entropy, hfc=_hfc(g), null_reasons=reasons
    )


def indicators(image: Image.Image) -> Indicators:
    """ESI, SNR (dB), ED, Entropy (bits) and HFC of one image on the fixed grid."""
    grey = grey_on_grid(image)
    if grey is None:
        return Indicators(
            esi=None, snr=None, ed=None, entropy=None, hfc=None,
            null_reasons={name: EMPTY_REASON for name in INDICATOR_NAMES},
        )
    return indicators_from_grey(grey)

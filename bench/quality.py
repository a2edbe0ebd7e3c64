"""Throughput of the quality-metrics stage against the bare cost of its kernels, same run.

Workload: 40 (original crop, processed) pairs written as PNG to a temporary folder. Crops are
cut from scikit-image's astronaut photo and resized to sides from 24 to 700 px (both bands of
Table 2, mixed aspect ratios); each processed image is the crop resized to 512 x 512 with
Lanczos (a stand-in for the super-resolution output). LPIPS is left out: its VGG16 weights
cannot be downloaded here, so both sides measure PSNR, SSIM and the five indicators x 2.

Stage: open both PNGs, then `quality_row(original, processed)`.
Bound: open both PNGs (decode included), plus only the metric kernels on arrays prepared
before timing: piq.psnr and piq.ssim on the aligned tensors, and for each image on its
256 x 256 grey grid: Canny, two Sobels, the noise convolution with its two medians, the
histogram and the FFT. The gap is the conversion work (RGB/grey, Lanczos resizes, tensors)
and the library's bookkeeping. torch runs one thread; the sides are timed alternately,
3 times each, and each keeps its best wall and CPU time. Everything runs on one thread, so
CPU time is the work itself; `ratio` is stage CPU / bound CPU because wall time on a shared
machine mostly measures the other processes (the wall ratio is printed too).
Run: .venv/bin/python -m bench.quality   (prints `ratio=<stage/bound> goal=1.5` last)
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:  # also runnable as `python bench/quality.py`
    sys.path.insert(0, str(REPO_ROOT))

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

from dhf_assets.lib.metrics import aligned_pair, grey_on_grid, quality_row  # noqa: E402
from dhf_assets.lib.metrics.fidelity import to_tensor  # noqa: E402
from dhf_assets.lib.metrics.indicators import CANNY_HIGH, CANNY_LOW, CANNY_SIGMA, NOISE_KERNEL  # noqa: E402
from dhf_assets.lib.runtime.torch_compat import ensure_torchvision  # noqa: E402

PAIRS = 40
REPEATS = 3
LANCZOS = Image.Resampling.LANCZOS


def write_pairs(folder: Path) -> list[tuple[Path, Path]]:
    from skimage import data

    photo = Image.fromarray(data.astronaut())
    rng = np.random.default_rng(0)
    paths = []
    for index, side in enumerate(np.linspace(24, 700, PAIRS).astype(int)):
        left, top = (int(v) for v in rng.integers(0, 200, 2))
        crop = photo.crop((left, top, left + 300, top + 300))
        aspect = float(rng.uniform(0.7, 1.0))
        crop = crop.resize((max(1, int(side * aspect)), int(side)), LANCZOS)
        original, processed = folder / f"{index:02d}_crop.png", folder / f"{index:02d}_512.png"
        crop.save(original)
        crop.resize((512, 512), LANCZOS).save(processed)
        paths.append((original, processed))
    return paths


def read(path: Path) -> Image.Image:
    image = Image.open(path)
    image.load()
    return image


def stage(paths: list[tuple[Path, Path]]) -> None:
    for original, processed in paths:
        quality_row(read(original), read(processed))


def prepare(paths: list[tuple[Path, Path]]) -> list[tuple]:
    prepared = []
    for original, processed in paths:
        reference, restored = aligned_pair(read(original), read(processed))
        greys = [grey_on_grid(read(p)).astype(np.float64) / 255.0 for p in (original, processed)]
        prepared.append((to_tensor(reference), to_tensor(restored), greys))
    return prepared


def bound(paths: list[tuple[Path, Path]], prepared: list[tuple]) -> None:
    import piq
    from scipy import ndimage
    from skimage.feature import canny

    for (original, processed), (x, y, greys) in zip(paths, prepared):
        read(original), read(processed)
        piq.psnr(x, y, data_range=1.0)
        if min(x.shape[-2:]) >= 11:
            piq.ssim(x, y, data_range=1.0)
        for g in greys:
            canny(g, sigma=CANNY_SIGMA, low_threshold=CANNY_LOW, high_threshold=CANNY_HIGH)
            ndimage.sobel(g, axis=0), ndimage.sobel(g, axis=1)
            residual = ndimage.convolve(g, NOISE_KERNEL, mode="reflect")
            np.median(np.abs(residual - np.median(residual)))
            np.bincount((g * 255).astype(np.uint8).ravel(), minlength=256)
            np.fft.fft2(g)


def best_times(*runs: Callable[[], None]) -> list[tuple[float, float]]:
    """(best wall s, best CPU s) per run; the runs alternate so outside load hits all alike."""
    best = [(float("inf"), float("inf"))] * len(runs)
    for _ in range(REPEATS):
        for index, run in enumerate(runs):
            wall, cpu = time.perf_counter(), time.process_time()
            run()
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            best[index] = (min(best[index][0], wall), min(best[index][1], cpu))
    return best


def main() -> None:
    ensure_torchvision()
    import torch

    # One torch thread on both sides: on a shared 2-core machine, intra-op threads that wait
    # on each other make small SSIM calls swing by 10x, which would drown the comparison.
    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory(prefix="dhf-bench-quality-") as tmp:
        paths = write_pairs(Path(tmp))
        stage(paths[:2])  # warm-up: imports, piq kernels, cached FFT masks
        prepared = prepare(paths)
        bound(paths[:2], prepared[:2])
        (stage_wall, stage_cpu), (bound_wall, bound_cpu) = best_times(
            lambda: stage(paths), lambda: bound(paths, prepared)
        )
    print(f"workload: {PAIRS} pairs (PNG crop 24..700 px + PNG 512x512), "
          "PSNR + SSIM + 5 indicators x 2, no LPIPS, 1 torch thread")
    for name, wall, cpu in (("stage", stage_wall, stage_cpu),
                            ("bound (read + bare kernels)", bound_wall, bound_cpu)):
        print(f"{name}: wall {wall:.3f} s ({2 * PAIRS / wall:.1f} images/s), "
              f"CPU {cpu:.3f} s ({1000 * cpu / PAIRS:.1f} ms/pair, {2 * PAIRS / cpu:.1f} images/s)")
    print(f"wall ratio {stage_wall / bound_wall:.2f} (load from other processes shows here)")
    print(f"ratio={stage_cpu / bound_cpu:.2f} goal=1.5")

if __name__ == "__main__":
    main()

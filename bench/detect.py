"""Benchmark of the face detectors: crops per second against each detector's bare model call.

Workload: N crops (default 60) of varied size (sides 60-600 px, aspect 0.7-1.4, seeded) cut from
the real photos in ../shared/testdata/faces, decoded once before timing. For each detector
(MTCNN; RetinaFace MobileNet-0.25 with ../shared/weights) and batch size 1, 8, 32, the pipeline
is `detector.detect_batch(crops)` (input checks, batching, pre/post-processing, conversion).
Lower bound, same images, same run: the detector's bare model call on the same batches the
pipeline forms (MTCNN: facenet's `MTCNN.detect` on each equal-shape group; RetinaFace: the bare
`model(tensor)` forward on each already prepared batch). Each side is timed R times, interleaved,
and the fastest kept (the CPU is shared). The last line is the worst pipeline/bound over all
configurations.

    .venv/bin/python bench/detect.py [--device cuda] [--quick] [--crops 60] [--repeats 5]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Callable

import numpy as np
from PIL import Image

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # runnable as a script from anywhere
SHARED = Path(os.environ.get("DHF_SHARED_DIR", REPO.parent / "shared"))
GOAL = 1.2


def make_crops(count: int, seed: int = 0) -> list[np.ndarray]:
    folder = SHARED / "testdata" / "faces"
    photos = [np.asarray(Image.open(p).convert("RGB")) for p in sorted(folder.glob("*.jpg"))]
    rng = np.random.default_rng(seed)
    crops = []
    for index in range(count):
        photo = photos[index % len(photos)]
        height, width = photo.shape[:2]
        side = int(rng.integers(60, 601))
        crop_h = min(height, int(side * rng.uniform(0.7, 1.4)))
        crop_w = min(width, side)
        top = int(rng.integers(0, height - crop_h + 1))
        left = int(rng.integers(0, width - crop_w + 1))
        crops.append(np.ascontiguousarray(photo[top : top + crop_h, left : left + crop_w]))
    return crops


def fastest(run: Callable[[], object], sync: Callable[[], None], repeats: int) -> list[float]:
    times = []
    for _ in range(repeats):
        sync()
        start = time.perf_counter()
        run()
        sync()
        times.append(time.perf_counter() - start)
    return times


def mtcnn_sides(batch: int, device: str, crops: list[np.ndarray]) -> tuple[Callable, Callable]:
    from dhf_assets.lib.detect.mtcnn import build_mtcnn

    detector = build_mtcnn(device=device, batch_size=batch)
    groups = [np.stack([crops[i] for i in group]) for group in detector.groups(crops)]

    def bound() -> None:
        for stacked in groups:
            detector.model.detect(stacked, landmarks=True)

    return (lambda: detector.detect_batch(crops)), bound


def retinaface_sides(batch: int, device: str, crops: list[np.ndarray]) -> tuple[Callable, Callable]:
    import torch

    from dhf_assets.lib.detect.retinaface import build_retinaface

    weights = SHARED / "weights" / "retinaface_mobilenet0.25_fd1mb.pth"
    detector = build_retinaface("mobilenet0.25", weights, device=device, batch_size=batch)
    prepared = [p.tensor for _, p in detector.batches(crops)]

    def bound() -> None:
        with torch.inference_mode():
            for tensor in prepared:
                detector.model(tensor)

    return (lambda: detector.detect_batch(crops)), bound


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--quick", action="store_true", help="20 crops, batch sizes 1 and 8, 3 repeats")
    parser.add_argument("--crops", type=int, default=60)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    os.environ.setdefault("NO_ALBUMENTATIONS_UPDATE", "1")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import torch

    count, repeats, sizes = (20, 3, (1, 8)) if args.quick else (args.crops, args.repeats, (1, 8, 32))
    crops = make_crops(count)
    sync = torch.cuda.synchronize if args.device.startswith("cuda") else (lambda: None)
    areas = [c.shape[0] * c.shape[1] for c in crops]
    print(f"workload: {count} crops from {SHARED / 'testdata' / 'faces'}, "
          f"{min(areas) ** 0.5:.0f}-{max(areas) ** 0.5:.0f} px (sqrt area), device {args.device}, "
          f"torch threads {torch.get_num_threads()}, best of {repeats}")
    print("bound: MTCNN.detect per equal-shape group | RetinaFace model(tensor) per prepared batch")
    print(f"{'detector':<24}{'batch':>6}{'pipeline s':>12}{'bound s':>10}"
          f"{'crops/s':>10}{'bound/s':>10}{'ratio':>8}")
    ratios = []
    for name, sides in (("mtcnn", mtcnn_sides), ("retinaface-mobilenet0.25", retinaface_sides)):
        for batch in sizes:
            pipeline, bound = sides(batch, args.device, crops)
            pipeline(), bound()  # warm-up: prior cache, allocator, oneDNN kernels
            pipe_times, bound_times = [], []
            for _ in range(repeats):  # interleaved, so a busy spell hits both sides alike
                pipe_times += fastest(pipeline, sync, 1)
                bound_times += fastest(bound, sync, 1)
            pipe, low = min(pipe_times), min(bound_times)
            ratios.append(pipe / low)
            print(f"{name:<24}{batch:>6}{pipe:>12.3f}{low:>10.3f}"
                  f"{count / pipe:>10.1f}{count / low:>10.1f}{pipe / low:>8.3f}")
    print(f"ratio below: worst pipeline/bound over the {len(ratios)} configurations above")
    print(f"ratio={max(ratios):.3f} goal={GOAL}")


if __name__ == "__main__":
    main()

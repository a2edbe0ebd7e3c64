"""Crops around the known faces of ../shared/testdata (tests only: no mural image goes into the repo).

Boxes are (x0, y0, x1, y1), 0-based and half-open. group3_13's are its published reference boxes,
rounded outwards; ivan's face and the painted face of 000740 are MTCNN's boxes (0.9998 and 0.98),
rounded outwards. Two wider crops around known faces cover the other tiers.

`python -m dhf_assets_tests.real_crops [--model PATH]` prints Tables 2 and 3 for lanczos and
realesrgan on these crops (the numbers in the README).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import NamedTuple

from PIL import Image

from dhf_assets_tests.conftest import SHARED_DIR


class RealCrop(NamedTuple):
    name: str
    file: str  # under ../shared/testdata
    box: tuple[int, int, int, int]


FACE_CROPS = (  # the faces themselves: all two_stage (longer side < 256)
    RealCrop("group3_13_face1", "faces/group3_13.jpg", (256, 93, 337, 202)),
    RealCrop("group3_13_face2", "faces/group3_13.jpg", (436, 118, 511, 212)),
    RealCrop("group3_13_face3", "faces/group3_13.jpg", (657, 156, 730, 246)),
    RealCrop("ivan_face", "faces/ivan.jpg", (277, 94, 327, 157)),
    RealCrop("mural_000740_face", "murals/000740.jpg", (497, 278, 571, 383)),
)
CONTEXT_CROPS = (
    RealCrop("mural_000740_figure", "murals/000740.jpg", (384, 200, 684, 520)),  # one_stage (320 px)
    RealCrop("group3_13_group", "faces/group3_13.jpg", (180, 20, 780, 520)),  # downsample (600 px)
)
REAL_CROPS = FACE_CROPS + CONTEXT_CROPS


def load_crop(crop: RealCrop, shared: Path = SHARED_DIR) -> Image.Image:
    with Image.open(shared / "testdata" / crop.file) as image:
        return image.convert("RGB").crop(crop.box)


def main() -> None:
    from dhf_assets.lib.metrics import quality_row
    from dhf_assets.lib.upscale import Crop, make_upscaler, standardize

    parser = argparse.ArgumentParser(description="Tables 2 and 3 on the real test crops, per backend")
    parser.add_argument("--model", default=str(SHARED_DIR / "weights" / "realesr-general-x4v3.safetensors"))
    args = parser.parse_args()
    crops = [Crop(c.name, load_crop(c)) for c in REAL_CROPS]
    columns = ("psnr", "ssim", "esi_low", "esi_high", "snr_low", "snr_high", "ed_low", "ed_high",
               "entropy_low", "entropy_high", "hfc_low", "hfc_high")
    for backend, options in (("lanczos", {}), ("realesrgan", {"model_path": args.model, "device": "cpu"})):
        started = time.perf_counter()
        results = standardize(crops, make_upscaler(backend, **options), batch_size=1)
        seconds = time.perf_counter() - started
        rows = [quality_row(c.image, r.image, None, tuple(r.provenance["content_box"])) for c, r in zip(crops, results)]
        for name, row, result in zip([c.name for c in REAL_CROPS], rows, results):
            print(f"{backend:<10} {name:<22} {result.provenance['tier']:<10} psnr {row['psnr']:6.2f} "
                  f"ssim {row['ssim']:.4f} esi {row['esi_low']:.4f} -> {row['esi_high']:.4f}")
        for band in ("~512", "512~"):  # Table 2's bands, by the crop's longer side
            chosen = [row for row in rows if row["band"] == band]
            means = {c: sum(r[c] for r in chosen) / len(chosen) for c in columns}
            print(f"{backend} {band} ({len(chosen)} crops; {seconds:.1f} s for all {len(crops)}): "
                  + " ".join(f"{c}={v:.4f}" for c, v in means.items()))

if __name__ == "__main__":
    main()

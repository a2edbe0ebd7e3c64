"""Lower bounds of the four heavy stages of bench/paper_scale.py, measured on the build's own files.

Each bound does only the work a stage cannot avoid; everything it needs (parsed boxes, decoded
crops, prepared tensors) is made before its clock starts. Seconds are wall time in this process, with the build's torch threads (DHF_TORCH_THREADS).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
from PIL import Image


def _rows(sql: str) -> list[tuple]:
    import duckdb

    with duckdb.connect(os.environ["DHF_DUCKDB_PATH"], read_only=True) as connection:
        return connection.execute(sql).fetchall()


def _decoded(path: Path) -> Image.Image:
    with Image.open(path) as image:
        return image.convert("RGB")


def faces_bound(root: Path, level: int) -> float:
    """Decode every mural once and encode every crop once."""
    from dhf_assets.lib.boxes import voc_to_pixel_box
    from dhf_assets.lib.images import encode_png
    from dhf_assets.lib.voc import parse_voc_file

    work = []
    for xml in sorted((root / "murals").glob("*/*.xml")):
        with Image.open(xml.with_suffix(".jpg")) as probe:
            width, height = probe.size
        work.append((xml.with_suffix(".jpg"), [voc_to_pixel_box(o, width, height).box for o in parse_voc_file(xml).objects]))
    started = time.perf_counter()
    for path, boxes in work:
        with Image.open(path) as image:
            image.load()
            for box in boxes:
                encode_png(image.crop(box.as_tuple()), level)
    return time.perf_counter() - started


def candidates_bound(output: Path) -> float:
    """Each detector's bare forward at the input size and minimum face of the crop search."""
    import torch

    from dhf_assets.lib.detect.mtcnn import build_mtcnn, min_face_for
    from dhf_assets.lib.detect.retinaface import build_retinaface
    from dhf_assets.lib.scoring import CROP_SEARCH

    crops = [np.asarray(_decoded(output / p)) for (p,) in _rows("select crop_path from faces order by face_id")]
    mtcnn = build_mtcnn(batch_size=1)
    retinaface = build_retinaface("mobilenet0.25", os.environ["DHF_RETINAFACE_WEIGHTS"], batch_size=1)
    sizes = [min_face_for(c.shape, mtcnn.min_face_size, CROP_SEARCH["mtcnn"]) for c in crops]
    tensors = [prepared.tensor.clone() for _, prepared in retinaface.batches(crops, CROP_SEARCH["retinaface"])]
    started = time.perf_counter()
    for crop, size in zip(crops, sizes):
        mtcnn.model.min_face_size = size
        mtcnn.model.detect(crop[None], landmarks=True)
    with torch.inference_mode():
        for tensor in tensors:
            retinaface.model(tensor)
    return time.perf_counter() - started


def upscale_bound(output: Path, level: int) -> float:
    """The Lanczos resizes of each 3k crop's tier and one PNG encode of its 512x512 image."""
    from dhf_assets.lib.images import encode_png
    from dhf_assets.lib.upscale.tiers import TARGET_SIDE, TWO_STAGE_MID_SIDE, pad_to_square, tier_for

    plans = []
    for (path,) in _rows("select f.crop_path from subset_3k s join faces f using (face_id) order by face_id"):
        crop = _decoded(output / path)
        plans.append((tier_for(crop.width, crop.height), pad_to_square(crop)[0]))
    lanczos = Image.Resampling.LANCZOS
    started = time.perf_counter()
    for tier, square in plans:
        image = square
        if tier != "downsample":
            image = image.resize((image.width * 4, image.height * 4), lanczos)
        if tier == "two_stage":
            image = image.resize((TWO_STAGE_MID_SIDE, TWO_STAGE_MID_SIDE), lanczos)
            image = image.resize((image.width * 4, image.height * 4), lanczos)
        encode_png(image.resize((TARGET_SIDE, TARGET_SIDE), lanczos), level)
    return time.perf_counter() - started


def quality_bound(output: Path) -> tuple[float, int]:
    """Reading both PNGs of each pair and the metric kernels (as bench/quality.py's bound)."""
    import quality

    from dhf_assets.lib.metrics import aligned_pair, grey_on_grid
    from dhf_assets.lib.metrics.fidelity import to_tensor

    paths, prepared = [], []
    for crop, image, box in _rows("""select f.crop_path, u.image_path, u.content_box
                                     from upscaled_faces u join faces f using (face_id) order by face_id"""):
        original, processed = output / crop, output / image
        reference, restored = aligned_pair(_decoded(original), _decoded(processed), tuple(box))
        greys = [grey_on_grid(im).astype(np.float64) / 255.0
                 for im in (reference, _decoded(processed).crop(tuple(round(v) for v in box)))]
        paths.append((original, processed))
        prepared.append((to_tensor(reference), to_tensor(restored), greys))
    quality.bound(paths[:1], prepared[:1])  # imports and kernels warm
    started = time.perf_counter()
    quality.bound(paths, prepared)
    return time.perf_counter() - started, len(paths)


def measure(root: Path, output: Path) -> dict[str, float]:
    from dhf_assets.lib.torch_compat import ensure_torchvision

    ensure_torchvision()
    import torch

    from dhf_assets.lib.threads import torch_threads

    torch.set_num_threads(torch_threads())  # the build's stages run with these threads
    level = int(os.environ.get("DHF_PNG_COMPRESS_LEVEL", "1"))
    seconds, images = quality_bound(output)
    return {"faces": faces_bound(root, level), "face_candidates": candidates_bound(output),
            "upscaled_faces": upscale_bound(output, level), "face_quality": seconds, "images": images}

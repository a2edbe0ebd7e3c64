"""Lower bounds of the four heavy stages of bench/paper_scale.py, measured on the build's own files.

Each bound does only the work a stage cannot avoid; everything it needs (parsed boxes, decoded
crops, prepared tensors) is made before its clock starts. Each bound gives (wall s, CPU s), with
the build's torch threads (DHF_TORCH_THREADS).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
from PIL import Image


class Clock:
    """Wall and CPU seconds from its creation: on a shared machine CPU time is the work itself."""

    def __init__(self) -> None:
        self.wall, self.cpu = time.perf_counter(), time.process_time()

    def stop(self) -> tuple[float, float]:
        return time.perf_counter() - self.wall, time.process_time() - self.cpu


def _rows(sql: str) -> list[tuple]:
    import duckdb

    with duckdb.connect(os.environ["DHF_DUCKDB_PATH"], read_only=True) as connection:
        return connection.execute(sql).fetchall()


def _decoded(path: Path) -> Image.Image:
    with Image.open(path) as image:
        return image.convert("RGB")


def faces_bound(root: Path, level: int) -> tuple[float, float]:
    """Decode every mural once and encode every crop once."""
    from dhf_assets.lib.ingest.boxes import voc_to_pixel_box
    from dhf_assets.lib.ingest.images import encode_png
    from dhf_assets.lib.ingest.voc import parse_voc_file

    work = []
    for xml in sorted((root / "murals").glob("*/*.xml")):
        with Image.open(xml.with_suffix(".jpg")) as probe:
            width, height = probe.size
        work.append((xml.with_suffix(".jpg"),
                     [voc_to_pixel_box(o, width, height).box for o in parse_voc_file(xml).objects]))
    clock = Clock()
    for path, boxes in work:
        with Image.open(path) as image:
            image.load()
            for box in boxes:
                encode_png(image.crop(box.as_tuple()), level)
    return clock.stop()


def candidates_bound(output: Path) -> tuple[float, float]:
    """Each detector's bare forward at the input size and minimum face of the crop search."""
    import torch

    from dhf_assets.lib.detect.mtcnn import build_mtcnn, min_face_for
    from dhf_assets.lib.detect.retinaface import build_retinaface
    from dhf_assets.lib.detect.scoring import CROP_SEARCH

    crops = [np.asarray(_decoded(output / p)) for (p,) in _rows("select crop_path from faces order by face_id")]
    mtcnn = build_mtcnn(batch_size=1)
    retinaface = build_retinaface("mobilenet0.25", os.environ["DHF_RETINAFACE_WEIGHTS"], batch_size=1)
    sizes = [min_face_for(c.shape, mtcnn.min_face_size, CROP_SEARCH["mtcnn"]) for c in crops]
    tensors = [prepared.tensor.clone() for _, prepared in retinaface.batches(crops, CROP_SEARCH["retinaface"])]
    clock = Clock()
    for crop, size in zip(crops, sizes):
        mtcnn.model.min_face_size = size
        mtcnn.model.detect(crop[None], landmarks=True)
    with torch.inference_mode():
        for tensor in tensors:
            retinaface.model(tensor)
    return clock.stop()


def upscale_bound(output: Path, level: int) -> tuple[float, float]:
    """The Lanczos resizes of each 3k crop's tier and one PNG encode of its 512x512 image."""
    from dhf_assets.lib.ingest.images import encode_png
    from dhf_assets.lib.upscale.tiers import TARGET_SIDE, TWO_STAGE_MID_SIDE, pad_to_square, tier_for

    plans = []
    for (path,) in _rows("select f.crop_path from subset_3k s join faces f using (face_id) order by face_id"):
        crop = _decoded(output / path)
        plans.append((tier_for(crop.width, crop.height), pad_to_square(crop)[0]))
    lanczos = Image.Resampling.LANCZOS
    clock = Clock()
    for tier, square in plans:
        image = square
        if tier != "downsample":
            image = image.resize((image.width * 4, image.height * 4), lanczos)
        if tier == "two_stage":
            image = image.resize((TWO_STAGE_MID_SIDE, TWO_STAGE_MID_SIDE), lanczos)
            image = image.resize((image.width * 4, image.height * 4), lanczos)
        encode_png(image.resize((TARGET_SIDE, TARGET_SIDE), lanczos), level)
    return clock.stop()


def quality_bound(output: Path) -> tuple[tuple[float, float], int]:
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
    clock = Clock()
    quality.bound(paths, prepared)
    return clock.stop(), len(paths)


def measure(root: Path, output: Path) -> dict[str, tuple[float, float]]:
    """(wall s, CPU s) of each stage's bound, and the number of standardized images."""
    from dhf_assets.lib.runtime.torch_compat import ensure_torchvision

    ensure_torchvision()
    import torch

    from dhf_assets.lib.runtime.threads import torch_threads

    torch.set_num_threads(torch_threads())  # the build's stages run with these threads
    level = int(os.environ.get("DHF_PNG_COMPRESS_LEVEL", "1"))
    seconds, images = quality_bound(output)
    return {"faces": faces_bound(root, level), "face_candidates": candidates_bound(output),
            "upscaled_faces": upscale_bound(output, level), "face_quality": seconds, "images": (images, images)}


def library_stages(output: Path) -> dict[str, tuple[float, float]]:
    """(wall s, CPU s) of the heavy stages' library code on the same files, without Dagster or DuckDB
    writes: the CPU share a stage itself spends, comparable with its bound's CPU on a shared machine."""
    import tempfile

    from dhf_assets.lib.detect.registry import load_detectors
    from dhf_assets.lib.detect.scoring import Crop, score_crops
    from dhf_assets.lib.metrics.quality_stage import Pair, quality_for_cave
    from dhf_assets.lib.upscale import LanczosUpscaler
    from dhf_assets.lib.upscale.standardized import Source, standardize_cave

    level = int(os.environ.get("DHF_PNG_COMPRESS_LEVEL", "1"))
    crops = [Crop(f, output / p, w, h) for f, p, w, h in _rows("select face_id, crop_path, width, height from faces")]
    setup = load_detectors(("mtcnn", "retinaface"), "mobilenet0.25", os.environ["DHF_RETINAFACE_WEIGHTS"], "cpu", 1)
    sources = [Source(f, output / p) for f, p in _rows(
        "select f.face_id, f.crop_path from subset_3k s join faces f using (face_id)")]
    pairs = [Pair(f, output / c, output / i, tuple(b)) for f, c, i, b in _rows(
        "select u.face_id, f.crop_path, u.image_path, u.content_box "
        "from upscaled_faces u join faces f using (face_id)")]
    list(quality_for_cave("bench", pairs[:1], None))  # piq imported and kernels warm, as in a run
    measured = {}
    clock = Clock()
    list(score_crops("bench", crops, setup.detectors, 0.9, "any", 1))
    measured["face_candidates"] = clock.stop()
    with tempfile.TemporaryDirectory() as folder:
        clock = Clock()
        list(standardize_cave("bench", sources, LanczosUpscaler(), Path(folder), 4, compress_level=level))
        measured["upscaled_faces"] = clock.stop()
    clock = Clock()
    list(quality_for_cave("bench", pairs, None))
    measured["face_quality"] = clock.stop()
    return measured

"""Benchmark of the `faces` stage on paper-size scans.

Workload: a generated cave of N murals of 8447x4946 px (the paper's mural size, JPEG q90) with 50
VOC boxes each (longer sides 60-900 px). Timed: the `faces` asset materialized through Dagster
(`murals` is built first, untimed). Lower bound, measured in the same run: decode every mural once
and encode every crop once with Pillow at the same PNG settings, nothing else. Each side runs in a
fresh process so its peak resident memory is its own.

    .venv/bin/python bench/crops.py [--murals 20] [--boxes 50]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

WIDTH, HEIGHT = 8447, 4946
GOAL = 1.3


def make_archive(root: Path, murals: int, boxes: int) -> None:
    from dhf_assets.lib.ingest.voc import render_voc

    folder = root / "murals" / "BENCH"
    folder.mkdir(parents=True)
    (root / "caves.csv").write_text("cave_id,site,period,cave_style\nBENCH,MC,FD,IDRS\n")
    rng = np.random.default_rng(0)
    y, x = np.mgrid[0:HEIGHT, 0:WIDTH]
    base = np.stack([(x // 33) % 256, (y // 19) % 256, ((x + y) // 47) % 256], -1).astype(np.uint8)
    for index in range(murals):
        noise = rng.integers(0, 20, size=(HEIGHT, 1, 3), dtype=np.uint8)
        Image.fromarray(base + noise).save(folder / f"m{index:02d}.jpg", quality=90)
        picker = random.Random(index)
        objects = []
        for _ in range(boxes):
            side = picker.randint(60, 900)
            left, top = picker.randint(1, WIDTH - side), picker.randint(1, HEIGHT - side)
            objects.append({"name": "BS", "pose": "Frontal", "xmin": left, "ymin": top, "xmax": left + side - 1,
                            "ymax": top + int(side * 1.2) - 1 if top + int(side * 1.2) <= HEIGHT else top + side - 1})
        (folder / f"m{index:02d}.xml").write_text(render_voc(f"m{index:02d}.jpg", WIDTH, HEIGHT, objects))


def child_bound(root: Path, out: Path, level: int) -> float:
    """Decode each mural once and encode each crop once; nothing else."""
    from dhf_assets.lib.ingest.boxes import voc_to_pixel_box
    from dhf_assets.lib.ingest.images import encode_png
    from dhf_assets.lib.ingest.voc import parse_voc_file

    folder = root / "murals" / "BENCH"
    boxes = {p.stem: [voc_to_pixel_box(o, WIDTH, HEIGHT).box for o in parse_voc_file(p).objects]
             for p in sorted(folder.glob("*.xml"))}  # parsed before the clock: not part of the bound
    started = time.perf_counter()
    for stem, stem_boxes in boxes.items():
        with Image.open(folder / f"{stem}.jpg") as image:
            image.load()
            for box in stem_boxes:
                encode_png(image.crop(box.as_tuple()), level)
    return time.perf_counter() - started


def child_stage(root: Path, out: Path, level: int) -> float:
    os.environ.update(DHF_ARCHIVE_DIR=str(root), DHF_OUTPUT_DIR=str(out), DHF_DUCKDB_PATH=str(out / "b.duckdb"),
                      DAGSTER_HOME=str(out / "home"), DHF_PNG_COMPRESS_LEVEL=str(level))
    (out / "home").mkdir(parents=True, exist_ok=True)
    import dagster as dg

    from dhf_assets.defs.catalog.assets import caves, vocabulary
    from dhf_assets.defs.faces.assets import faces
    from dhf_assets.defs.murals.assets import murals
    from dhf_assets.defs.resources import store_from_env

    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("caves", ["BENCH"])
        resources = {"store": store_from_env()}
        dg.materialize([vocabulary, caves], resources=resources, instance=instance)
        dg.materialize([murals], partition_key="BENCH", resources=resources, instance=instance)
        started = time.perf_counter()
        result = dg.materialize([faces], partition_key="BENCH", resources=resources, instance=instance)
        elapsed = time.perf_counter() - started
        assert result.success
    return elapsed


def peak_rss_mb() -> float:
    """This process's peak resident memory (VmHWM resets at exec, unlike ru_maxrss)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_child(kind: str, root: Path, out: Path, level: int) -> tuple[float, float]:
    code = (f"import sys, json; sys.path.insert(0, {str(Path(__file__).parent)!r}); import crops; "
            f"from pathlib import Path; t = crops.child_{kind}(Path({str(root)!r}), Path({str(out)!r}), {level}); "
            "print(json.dumps([t, crops.peak_rss_mb()]))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    seconds, peak_mb = json.loads(done.stdout.strip().splitlines()[-1])
    return seconds, peak_mb


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--murals", type=int, default=20)
    parser.add_argument("--boxes", type=int, default=50)
    parser.add_argument("--png-level", type=int, default=int(os.environ.get("DHF_PNG_COMPRESS_LEVEL", "1")))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root, out = Path(tmp) / "archive", Path(tmp) / "out"
        started = time.perf_counter()
        make_archive(root, args.murals, args.boxes)
        print(f"workload: {args.murals} murals {WIDTH}x{HEIGHT} JPEG, {args.boxes} boxes each, PNG level "
              f"{args.png_level} "
              f"(generated in {time.perf_counter() - started:.1f} s)")
        bound, bound_mb = run_child("bound", root, out, args.png_level)
        stage, stage_mb = run_child("stage", root, out, args.png_level)
        crops = args.murals * args.boxes
        print(f"lower bound (decode each mural once + encode each crop once): {bound:.2f} s, "
              f"peak RSS {bound_mb:.0f} MB")
        print(f"faces stage through Dagster: {stage:.2f} s ({crops / stage:.1f} crops/s), peak RSS {stage_mb:.0f} MB")
        print(f"ratio={stage / bound:.3f} goal={GOAL}")


if __name__ == "__main__":
    main()

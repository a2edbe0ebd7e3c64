"""The whole build at the paper's scale: seconds per stage against each stage's bound, same run.

Workload (`--fraction`, default 1/20 of the paper): round(390 x f) murals of 8447x4946 px (JPEG q90)
over `--caves` caves, holding round(19,126 x f) face boxes with the size mix of the paper's Figure 3
(15 % 96-255 px, 65 % 256-400, 12 % 401-512, 8 % 513-900 on the longer side). Each box holds a head
painted from a public-domain photograph shipped inside an installed package (scikit-image's
astronaut, matplotlib's Grace Hopper; `lib/sample_paint.py`), so the detectors see faces. One review
file per cave accepts the paper's shares: 17 % of the faces into 3k, 3 % of them into 500 (tagged).
The build is what a user runs: `dhf build [--jobs N]` in a fresh process with MTCNN and RetinaFace
MobileNet-0.25 (../shared/weights), Lanczos, metrics, checks, marts, reports and exports.

Per stage the Dagster step times of the build are summed over the caves; each stage's lower bound
is measured here afterwards on the same files, in this process, with the build's torch threads:
  faces            decode every mural once + encode every crop once (PNG, the build's level)
  face_candidates  each detector's bare forward on the decoded crops, at the input size and
                   minimum face the decision uses (`scoring.CROP_SEARCH`): facenet's MTCNN.detect,
                   and the RetinaFace network on its prepared input tensors
  upscaled_faces   each 3k crop's Lanczos resizes of its tier + one PNG encode of the 512x512 image
  face_quality     reading both PNGs + the metric kernels (bench/quality.py's bound)
The extrapolation scales per-crop stages and everything else by 19,126 crops and the per-image
stages by 3,282 images. Last line: ratio=<whole build wall s / sum of the bounds> goal=1.5.

    .venv/bin/python bench/paper_scale.py [--fraction 0.05] [--caves 4] [--jobs 1] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))
sys.path.insert(0, str(Path(__file__).parent))

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

PAPER_MURALS, PAPER_CROPS, PAPER_IMAGES = 390, 19_126, 3_282
WIDTH, HEIGHT = 8447, 4946
SIZE_MIX = ((0.15, 96, 255), (0.65, 256, 400), (0.12, 401, 512), (0.08, 513, 900))  # share, longer side
SHARE_3K, SHARE_500 = 0.17, 0.03
GOAL, CROP_GOAL_MS = 1.5, 60.0
WEIGHTS = REPO_ROOT.parent / "shared" / "weights" / "retinaface_mobilenet0.25_fd1mb.pth"
PER_CROP, PER_IMAGE = ("faces", "face_candidates"), ("upscaled_faces", "face_quality")


def longer_sides(count: int, rng: random.Random) -> list[int]:
    sides = []
    for share, low, high in SIZE_MIX:
        sides += [rng.randint(low, high) for _ in range(round(share * count))]
    sides = (sides + [rng.randint(256, 400) for _ in range(count)])[:count]
    rng.shuffle(sides)
    return sides


def place(sides: list[tuple[int, int]], rng: random.Random) -> list[tuple[int, int, int, int]]:
    """Non-overlapping boxes (left, top, width, height) of the given sizes on one mural."""
    taken: list[tuple[int, int, int, int]] = []
    for width, height in sorted(sides, key=lambda s: -s[0] * s[1]):
        for _ in range(500):
            left, top = rng.randint(8, WIDTH - width - 8), rng.randint(8, HEIGHT - height - 8)
            if all(left + width < a or a + c < left or top + height < b or b + d < top for a, b, c, d in taken):
                taken.append((left, top, width, height))
                break
    return taken


def make_archive(root: Path, fraction: float, caves: int) -> dict[str, int]:
    from dhf_assets.lib.boxes import PixelBox, face_id_for
    from dhf_assets.lib.sample_paint import head_aspect, painted_head
    from dhf_assets.lib.voc import render_voc

    murals, crops = max(1, round(PAPER_MURALS * fraction)), max(1, round(PAPER_CROPS * fraction))
    rng, noise = random.Random(0), np.random.default_rng(0)
    sides = longer_sides(crops, rng)
    cave_ids = [f"PS{index:02d}" for index in range(min(caves, murals))]
    (root / "reviews").mkdir(parents=True)
    (root / "caves.csv").write_text("cave_id,site,period,cave_style\n" + "".join(f"{c},MC,FD,IDRS\n" for c in cave_ids))
    y, x = np.mgrid[0:HEIGHT, 0:WIDTH]
    base = np.stack([(x // 33) % 96 + 120, (y // 19) % 64 + 110, ((x + y) // 47) % 48 + 90], -1).astype(np.uint8)
    reviews: dict[str, list[str]] = defaultdict(list)
    placed = 0
    for index in range(murals):
        cave, mural = cave_ids[index % len(cave_ids)], f"m{index:03d}"
        folder = root / "murals" / cave
        folder.mkdir(parents=True, exist_ok=True)
        mine = sides[index * crops // murals : (index + 1) * crops // murals]
        sources = ["astronaut" if rng.random() < 0.5 else "grace_hopper" for _ in mine]
        shapes = [(max(8, round(side * head_aspect(s))), side) for side, s in zip(mine, sources)]
        canvas = Image.fromarray(base + noise.integers(0, 16, size=(HEIGHT, 1, 3), dtype=np.uint8))
        objects = []
        for (left, top, width, height), source in zip(place(shapes, rng), sources):
            head = painted_head(source, width, height, rng.random() < 0.5, noise)
            canvas.paste(head, (left, top), head)
            objects.append({"name": "BS", "pose": "Frontal", "xmin": left + 1, "ymin": top + 1,
                            "xmax": left + width, "ymax": top + height})
            face_id = face_id_for(cave, mural, PixelBox(left, top, left + width, top + height))
            pick = rng.random()
            if pick < SHARE_500:
                reviews[cave].append(f"{face_id},accept,500,crown;serene expression,bench,2026-12-01")
            elif pick < SHARE_3K:
                reviews[cave].append(f"{face_id},accept,3k,,bench,2026-12-01")
        placed += len(objects)
        canvas.save(folder / f"{mural}.jpg", quality=90)
        (folder / f"{mural}.xml").write_text(render_voc(f"{mural}.jpg", WIDTH, HEIGHT, objects))
    for cave, rows in reviews.items():
        (root / "reviews" / f"{cave}.csv").write_text("face_id,decision,subset,tags,reviewer,reviewed_at\n"
                                                      + "\n".join(rows) + "\n")
    return {"murals": murals, "crops": placed, "caves": len(cave_ids)}


def reuse_archive(root: Path) -> dict[str, int]:
    """Sizes of an archive kept from an earlier run (--keep), so iterations skip the generation."""
    from dhf_assets.lib.voc import parse_voc_file

    xmls = sorted((root / "murals").glob("*/*.xml"))
    crops = sum(len(parse_voc_file(xml).objects) for xml in xmls)
    return {"murals": len(xmls), "crops": crops, "caves": len({xml.parent.name for xml in xmls})}


def environment(root: Path, out: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO_ROOT), "DHF_ARCHIVE_DIR": str(root), "DHF_OUTPUT_DIR": str(out),
            "DHF_DUCKDB_PATH": str(out / "dhf.duckdb"), "DAGSTER_HOME": str(out / "dagster_home"),
            "DHF_UPSCALER": "lanczos", "DHF_DETECTORS": "mtcnn,retinaface",
            "DHF_RETINAFACE_BACKBONE": "mobilenet0.25", "DHF_RETINAFACE_WEIGHTS": str(WEIGHTS),
            "DHF_AUTO_ACCEPT": "off", "DHF_PROGRESS": "0", "HF_HUB_OFFLINE": "1",
            "NO_ALBUMENTATIONS_UPDATE": "1", "GX_ANALYTICS_ENABLED": "false"}


def run_build(env: dict[str, str], jobs: int) -> tuple[float, float]:
    """`dhf build` in a fresh process: (wall s, CPU s of it and its children)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "dhf_assets.cli", "build", "--jobs", str(jobs)], env=env,
                          capture_output=True, text=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        sys.exit(f"dhf build failed ({done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return wall, (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)


def step_seconds() -> dict[str, float]:
    """Seconds per step key over every run of the instance (asset checks summed as `checks`)."""
    from dhf_assets import runner

    inst = runner.instance()
    totals: dict[str, float] = defaultdict(float)
    for run in inst.get_runs():
        for step in inst.get_run_step_stats(run.run_id):
            if step.start_time and step.end_time:
                key = step.step_key if step.step_key in (*PER_CROP, *PER_IMAGE) else (
                    "checks" if "valid" in step.step_key or "standardized_images" in step.step_key else "other steps")
                totals[key] += step.end_time - step.start_time
    return totals


def load() -> str:
    """The 1, 5 and 15 minute load averages, as `uptime` shows them."""
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--fraction", type=float, default=0.05, help="share of the paper's archive (0.05 = 1/20)")
    parser.add_argument("--caves", type=int, default=4)
    parser.add_argument("--jobs", type=int, default=1, help="dhf build --jobs")
    parser.add_argument("--keep", type=Path, help="build in this folder and keep it (default: a temporary one)")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="dhf-paper-scale-")) if args.keep is None else args.keep
    try:
        root, out = tmp / "archive", tmp / "out"
        started = time.perf_counter()
        shutil.rmtree(out, ignore_errors=True)  # a kept folder's archive is reused, its build never
        sizes = reuse_archive(root) if (root / "caves.csv").exists() else make_archive(root, args.fraction, args.caves)
        print(f"workload: fraction {args.fraction:g} of the paper: {sizes['murals']} murals {WIDTH}x{HEIGHT} JPEG in "
              f"{sizes['caves']} caves, {sizes['crops']} face boxes (Figure 3 mix), reviews 17 % -> 3k, 3 % -> 500; "
              f"mtcnn + retinaface mobilenet0.25, lanczos; generated in {time.perf_counter() - started:.0f} s")
        env = environment(root, out)
        load_before = load()
        wall, cpu = run_build(env, args.jobs)
        os.environ.update({k: v for k, v in env.items() if k.startswith(("DHF_", "DAGSTER_"))})
        steps = step_seconds()
        import paper_bounds

        measured = paper_bounds.measure(root, out)
        report(sizes, steps, measured, wall, cpu, args.jobs, load_before, load())
    finally:
        if args.keep is None:
            shutil.rmtree(tmp, ignore_errors=True)


def report(sizes, steps, measured, wall: float, cpu: float, jobs: int, load_before: str, load_after: str) -> None:
    crops, images = sizes["crops"], measured["images"]
    print(f"{'stage':<18}{'seconds':>9}{'items':>7}{'ms/item':>9}{'bound s':>9}{'bound ms':>9}{'stage/bound':>12}")
    for stage in (*PER_CROP, *PER_IMAGE):
        items = crops if stage in PER_CROP else images
        bound = measured[stage]
        print(f"{stage:<18}{steps.get(stage, 0.0):>9.1f}{items:>7}{1000 * steps.get(stage, 0.0) / max(items, 1):>9.1f}"
              f"{bound:>9.1f}{1000 * bound / max(items, 1):>9.1f}{steps.get(stage, 0.0) / bound:>12.2f}")
    for stage in ("checks", "other steps"):
        print(f"{stage:<18}{steps.get(stage, 0.0):>9.1f}")
    rest = wall - sum(steps.get(s, 0.0) for s in (*PER_CROP, *PER_IMAGE))
    print(f"whole `dhf build --jobs {jobs}`: wall {wall:.1f} s, CPU {cpu:.1f} s (load average before {load_before}, "
          f"after {load_after})")
    print(f"per crop end to end: {1000 * wall / crops:.1f} ms (goal {CROP_GOAL_MS:g} ms)")
    per_crop = sum(steps.get(s, 0.0) for s in PER_CROP) / crops
    per_image = sum(steps.get(s, 0.0) for s in PER_IMAGE) / max(images, 1)
    paper = PAPER_CROPS * (per_crop + rest / crops) + PAPER_IMAGES * per_image
    print(f"extrapolated to the paper's {PAPER_CROPS} crops and {PAPER_IMAGES} images: {paper / 60:.1f} min "
          f"({PAPER_CROPS} x {1000 * (per_crop + rest / crops):.1f} ms + {PAPER_IMAGES} x {1000 * per_image:.1f} ms)")
    total_bound = sum(measured[s] for s in (*PER_CROP, *PER_IMAGE))
    print(f"sum of the bounds: {total_bound:.1f} s")
    print(f"ratio={wall / total_bound:.2f} goal={GOAL}")


if __name__ == "__main__":
    main()

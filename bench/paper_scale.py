"""The whole build at the paper's scale: seconds per stage against each stage's bound, same run.

Workload (`--fraction`, default 1/20 of the paper): round(390 x f) murals of 8447x4946 px (JPEG q90)
over `--caves` caves, holding round(19,126 x f) face boxes with the size mix of the paper's Figure 3
(15 % 96-255 px, 65 % 256-400, 12 % 401-512, 8 % 513-900 on the longer side). Each box holds a head
painted from a public-domain photograph shipped inside an installed package (scikit-image's
astronaut, matplotlib's Grace Hopper; `lib/sample/paint.py`), so the detectors see faces. One review
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
stages by 3,282 images. Wall time on this shared 2-core machine mostly measures the other
processes, so the whole build is also measured in CPU seconds (the `dhf build` process and its
children) and the bounds in CPU seconds of this process, all on the same torch threads.
Last line: ratio=<whole build CPU s / sum of the bounds' CPU s> goal=1.5.

    .venv/bin/python bench/paper_scale.py [--fraction 0.05] [--caves 4] [--jobs 1] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
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
    from dhf_assets.lib.ingest.boxes import PixelBox, face_id_for
    from dhf_assets.lib.ingest.voc import render_voc
    from dhf_assets.lib.sample.paint import head_aspect, painted_head

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
    from dhf_assets.lib.ingest.voc import parse_voc_file

    xmls = sorted((root / "murals").glob("*/*.xml"))
    crops = sum(len(parse_voc_file(xml).objects) for xml in xmls)
    return {"murals": len(xmls), "crops": crops, "caves": len({xml.parent.name for xml in xmls})}


def environment(root: Path, out: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO_ROOT), "DHF_ARCHIVE_DIR": str(root), "DHF_OUTPUT_DIR": str(out),
            "DHF_DUCKDB_PATH": str(out / "dhf.duckdb"), "DAGSTER_HOME": str(out / "dagster_home"),
            "DHF_UPSCALER": "lanczos", "DHF_DETECTORS": "mtcnn,retinaface",
            "DHF_RETINAFACE_BACKBONE": "mobilenet0.25", "DHF_RETINAFACE_WEIGHTS": str(WEIGHTS),
            "DHF_AUTO_ACCEPT": "off", "HF_HUB_OFFLINE": "1",
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


def step_seconds() -> tuple[dict[str, float], dict[str, float]]:
    """Wall seconds per stage and per job, over the build's runs; the per-cave checks summed as `checks`.

    A check runs inside its asset's step: its seconds are those from the step's last event before it (the
    asset's materialization, or the step's start) to its evaluation, and are taken off the asset's step.
    """
    from dagster._core.events import DagsterEventType

    from dhf_assets import runner
    from dhf_assets.lib.checks.table_checks import CHECKS

    per_cave_checks = {check.name for check in CHECKS}

    inst = runner.instance()
    steps: dict[str, float] = defaultdict(float)
    jobs: dict[str, float] = defaultdict(float)
    marks = {DagsterEventType.STEP_START, DagsterEventType.ASSET_MATERIALIZATION,
             DagsterEventType.ASSET_CHECK_EVALUATION}
    for run in inst.get_runs():
        stats = inst.get_run_stats(run.run_id)
        if stats.start_time and stats.end_time:
            jobs[run.job_name] += stats.end_time - stats.start_time
        checking: dict[str, float] = defaultdict(float)
        last: dict[str, float] = {}
        for record in inst.get_records_for_run(run.run_id, limit=1_000_000).records:
            entry = record.event_log_entry
            kind = entry.dagster_event.event_type if entry.dagster_event else None
            if (kind == DagsterEventType.ASSET_CHECK_EVALUATION and entry.step_key in last
                    and entry.dagster_event.event_specific_data.check_name in per_cave_checks):
                checking[entry.step_key] += entry.timestamp - last[entry.step_key]
            if kind in marks:
                last[entry.step_key] = entry.timestamp
        steps["checks"] += sum(checking.values())
        for step in inst.get_run_step_stats(run.run_id):
            if step.start_time and step.end_time:
                key = step.step_key if step.step_key in (*PER_CROP, *PER_IMAGE) else "other steps"
                steps[key] += step.end_time - step.start_time - checking[step.step_key]
    return steps, jobs


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
        load_after = load()
        os.environ.update({k: v for k, v in env.items() if k.startswith(("DHF_", "DAGSTER_"))})
        steps, jobs = step_seconds()
        import paper_bounds

        measured = paper_bounds.measure(root, out)
        library = paper_bounds.library_stages(out)
        figures = [sizes, steps, jobs, measured, library, wall, cpu, args.jobs, (load_before, load_after)]
        (tmp / "figures.json").write_text(json.dumps(figures))  # kept with --keep, to read them again
        report(sizes, steps, jobs, measured, library, wall, cpu, args.jobs, (load_before, load_after))
    finally:
        if args.keep is None:
            shutil.rmtree(tmp, ignore_errors=True)


def report(sizes, steps, jobs, measured, library, wall: float, cpu: float, job_count: int,
           loads: tuple[str, str]) -> None:
    """The per-stage table, the whole build, the per-crop figure, the extrapolation and the ratio.

    Wall seconds on a machine shared with other work mostly measure the others, so the ratio and the
    per-crop figure use CPU seconds (the build and its children, every stage on 1 torch thread by
    default); stage wall times come from Dagster's step records and are shown beside the bounds'.
    """
    crops, images = sizes["crops"], measured["images"][0]
    print(f"{'stage':<16}{'wall s':>8}{'items':>7}{'ms/item':>9}{'bound wall':>11}{'bound CPU':>10}"
          f"{'bound ms/item':>14}{'wall/bound':>11}")
    for stage in (*PER_CROP, *PER_IMAGE):
        items, (bound_wall, bound_cpu) = (crops if stage in PER_CROP else images), measured[stage]
        seconds = steps.get(stage, 0.0)
        print(f"{stage:<16}{seconds:>8.1f}{items:>7}{1000 * seconds / max(items, 1):>9.1f}{bound_wall:>11.1f}"
              f"{bound_cpu:>10.1f}{1000 * bound_cpu / max(items, 1):>14.1f}{seconds / max(bound_wall, 1e-9):>11.2f}")
    for stage in ("checks", "other steps"):
        print(f"{stage:<16}{steps.get(stage, 0.0):>8.1f}")
    print("jobs (wall s): " + ", ".join(f"{name} {seconds:.1f}" for name, seconds in sorted(jobs.items())))
    print(f"whole `dhf build --jobs {job_count}`: wall {wall:.1f} s, CPU {cpu:.1f} s "
          f"(load average before {loads[0]}, after {loads[1]})")
    print(f"per crop end to end: CPU {1000 * cpu / crops:.1f} ms, wall {1000 * wall / crops:.1f} ms "
          f"(goal {CROP_GOAL_MS:g} ms; 2 cores shared with other work)")
    per_image = sum(steps.get(s, 0.0) for s in PER_IMAGE)
    fixed = jobs.get("catalog_job", 0.0) + jobs.get("marts_job", 0.0)  # set-based, barely grow with crops
    scaled = cpu * max(0.0, 1 - (fixed + per_image) / wall) * PAPER_CROPS / crops
    paper = scaled + cpu * per_image / wall * PAPER_IMAGES / max(images, 1) + cpu * fixed / wall
    print(f"extrapolated to the paper's {PAPER_CROPS} crops and {PAPER_IMAGES} images (CPU, Lanczos): "
          f"{paper / 60:.1f} min (each job's share of the CPU scaled by crops, by images for the two image "
          f"stages, catalog and marts kept fixed)")
    print("library code of each stage vs its bound, CPU s (same files, this process, no Dagster/DuckDB):")
    for stage, (_, stage_cpu) in library.items():
        print(f"  {stage:<16}{stage_cpu:7.1f} s vs bound {measured[stage][1]:7.1f} s: "
              f"{stage_cpu / max(measured[stage][1], 1e-9):.2f}x")
    bound_cpu = sum(measured[s][1] for s in (*PER_CROP, *PER_IMAGE))
    bound_wall = sum(measured[s][0] for s in (*PER_CROP, *PER_IMAGE))
    print(f"sum of the bounds: CPU {bound_cpu:.1f} s, wall {bound_wall:.1f} s; wall ratio {wall / bound_wall:.2f}")
    print(f"ratio={cpu / bound_cpu:.2f} goal={GOAL}")


if __name__ == "__main__":
    main()

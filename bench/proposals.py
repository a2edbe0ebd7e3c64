"""Benchmark of face-box proposals on whole murals: recall and precision per face size, seconds per mural.

Quality, two workloads, IoU >= 0.5 between a proposal and a known face box (one proposal per face):
- the bundled sample's murals with their XML set aside: the known faces are the boxes of the
  painted photographs (the sample's layout, also where its XML is missing, hostile or malformed or
  refuses the box's label), not the lotus, cloud, halo, cat or bare-plaster boxes (a proposal on
  those is a false positive);
- paper-size scans (8447 x 4946) painted with the sample's own painter, with faces pasted at known
  places and sizes from 40 to 1,500 px (and lotus, cloud and cat shapes between them).
Recall is per band of the known face's longer side, precision per band of the proposal's.

Speed, per paper-size mural: `propose_mural` on the JPEG file (decode, pyramid, tiles, every
detector, merge). Lower bound, same run, same tiles: the detectors' bare forward on each tile, the
tiles cut beforehand (YuNet: `FaceDetectorYN.detect` on the BGR tile; MTCNN: facenet's
`MTCNN.detect` with the same minimum face). Pipeline and bound alternate R times and the fastest of
the run with the least CPU time of each is kept (the CPU is shared: wall time swings with other jobs'
load, so the ratio is taken from process CPU time; wall time is printed beside it). Configurations:
YuNet alone (the default when its model is set), MTCNN alone, both. The last line is the ratio of
the configuration named by --ratio-of (default: yunet).

    .venv/bin/python bench/proposals.py [--repeats 2] [--scans 2] [--ratio-of yunet]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # runnable as a script from anywhere
SHARED = Path(os.environ.get("DHF_SHARED_DIR", REPO.parent / "shared"))
YUNET = SHARED / "weights" / "face_detection_yunet_2023mar.onnx"
GOAL = 1.3
BANDS = ((0, 48), (48, 96), (96, 256), (256, 512), (512, 100_000))
PAPER = (8447, 4946)
PASTE_SIZES = ((40, 48, 56, 64, 72, 80, 96, 112, 128, 160, 200, 256, 320, 400, 512, 640, 800, 1000, 1200, 1500),
               (40, 44, 48, 52, 56, 60, 64, 72, 80, 88, 96, 110, 128, 144, 160, 180, 200, 240, 280, 360, 440, 600))
Box = tuple[int, int, int, int]


def band_of(box: Box) -> str:
    side = max(box[2] - box[0], box[3] - box[1])
    low, high = next(b for b in BANDS if b[0] <= side < b[1])
    return f"{low}-{high}" if high < 100_000 else f">={low}"


def paper_spec(index: int, sizes: tuple[int, ...]):
    """A paper-size mural: heads of the given heights packed on shelves, shapes that are not faces between."""
    from dhf_assets.lib.sample.layout import MuralSpec, face, thing

    width, height = PAPER
    figures, x, y, shelf = [], 60, 80, 0
    for k, size in enumerate(sorted(sizes, reverse=True)):
        source = ("astronaut", "grace_hopper")[(k + index) % 2]
        head = face(source, 0, 0, size, "face", "Unspecified", flip=bool(k % 3 == 1), robe="ochre" if k % 2 else "")
        if x + head.width > width - 60:
            x, y, shelf = 60, y + int(shelf * 1.35) + 40, 0
        figures.append(face(source, x, y, size, "face", "Unspecified", flip=head.flip, robe=head.robe))
        x += int(head.width * 1.4) + 40
        shelf = max(shelf, size)
    if y + shelf > height - 60:
        raise ValueError(f"paper scan {index}: faces do not fit")
    figures += [thing("lotus", 7300, 4200, 420, 300), thing("cloud", 6200, 4300, 500, 260),
                thing("cat", 5400, 4150, 360, 280, name="O")]
    return MuralSpec("BENCH", f"paper_{index}", width, height, tuple(figures))


def score(found: list[Box], truth: list[Box]) -> tuple[dict, dict]:
    """Per band: (matched known faces, known faces) and (true proposals, proposals); greedy by IoU."""
    from dhf_assets.lib.proposals.propose import iou

    recall, precision = {}, {}
    matched_found = set()
    for face in truth:
        options = [(iou(face, box), i) for i, box in enumerate(found) if i not in matched_found]
        best, index = max(options, default=(0.0, -1))
        hit = best >= 0.5
        if hit:
            matched_found.add(index)
            tight = recall.get("tight (IoU >= 0.7)", (0, 0))
            recall["tight (IoU >= 0.7)"] = (tight[0] + (best >= 0.7), tight[1] + 1)
        got, total = recall.get(band_of(face), (0, 0))
        recall[band_of(face)] = (got + hit, total + 1)
    for i, box in enumerate(found):
        good, total = precision.get(band_of(box), (0, 0))
        precision[band_of(box)] = (good + (i in matched_found), total + 1)
    return recall, precision


def add(total: dict, part: dict) -> None:
    for band, (a, b) in part.items():
        x, y = total.get(band, (0, 0))
        total[band] = (x + a, y + b)


def report(title: str, recall: dict, precision: dict) -> tuple[float, float]:
    """Print the table; returns recall and precision over faces / proposals of 48 px and more."""
    print(f"\n{title}\n  band (px)   recall          precision")
    for low, high in BANDS:
        band = f"{low}-{high}" if high < 100_000 else f">={low}"
        r, p = recall.get(band, (0, 0)), precision.get(band, (0, 0))
        print(f"  {band:10s}  {r[0]:3d}/{r[1]:<3d} {r[0] / max(1, r[1]):5.2f}   {p[0]:3d}/{p[1]:<3d} "
              f"{p[0] / max(1, p[1]):5.2f}")
    tight = recall.get("tight (IoU >= 0.7)", (0, 0))
    print(f"  of the matched faces, {tight[0]}/{tight[1]} are proposed with IoU >= 0.7 (accepted as drawn)")
    big_r = [v for k, v in recall.items() if not k.startswith(("0-", "tight"))]
    big_p = [v for k, v in precision.items() if not k.startswith("0-")]
    r48 = sum(a for a, _ in big_r) / max(1, sum(b for _, b in big_r))
    p48 = sum(a for a, _ in big_p) / max(1, sum(b for _, b in big_p))
    print(f"  faces >= 48 px: recall {r48:.3f}, precision {p48:.3f}")
    return r48, p48


def timed(work, *args) -> tuple[float, float]:
    """Wall and process CPU seconds of one call."""
    wall, cpu = time.perf_counter(), time.process_time()
    work(*args)
    return time.perf_counter() - wall, time.process_time() - cpu


def bare_forward(detectors, tiles, grid) -> None:
    """The detectors' own model calls on the prepared tiles."""
    import cv2

    for detector in detectors:
        for pixels in tiles:
            if detector.name == "yunet":
                bgr = cv2.cvtColor(pixels, cv2.COLOR_RGB2BGR)
                detector.model.setInputSize((bgr.shape[1], bgr.shape[0]))
                detector.model.detect(bgr)
            elif min(pixels.shape[:2]) >= grid.detect_px:
                detector.model.min_face_size = grid.detect_px
                detector.model.detect(pixels[None], landmarks=True)
                detector.model.min_face_size = detector.min_face_size


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--scans", type=int, default=2, choices=(1, 2))
    parser.add_argument("--ratio-of", default="yunet", choices=("yunet", "mtcnn", "mtcnn,yunet"))
    args = parser.parse_args(argv)
    import torch

    from dhf_assets.lib.detect.registry import load_proposal_detectors
    from dhf_assets.lib.ingest.images import decode_rgb
    from dhf_assets.lib.proposals.merge import HEAD_STYLE
    from dhf_assets.lib.proposals.propose import MuralScan, propose_mural
    from dhf_assets.lib.proposals.tiles import TileGrid, iter_tiles
    from dhf_assets.lib.sample.layout import MURALS
    from dhf_assets.lib.sample.render import mural_files, paint_mural

    torch.set_num_threads(1)  # as the asset runs (DHF_TORCH_THREADS=1)
    grid, limit = TileGrid(), 250_000_000
    configs = {name: load_proposal_detectors(tuple(name.split(",")), str(YUNET), "cpu").detectors
               for name in ("yunet", "mtcnn", "mtcnn,yunet")}
    work = Path(tempfile.mkdtemp(prefix="dhf-bench-proposals-"))
    print(f"workload: sample murals with their XML set aside; {args.scans} paper-size scan(s) {PAPER[0]}x{PAPER[1]}; "
          f"tiles {grid.version}; torch threads 1")

    paper = [paper_spec(i, PASTE_SIZES[i] * (1 + 2 * i)) for i in range(args.scans)]
    scans = []
    for spec in MURALS:
        files = mural_files(spec)
        image = next((name for name in files if not name.endswith(".xml")), None)
        if image is None or spec.image != "ok" or spec.formats == ("jpg", "png"):
            continue
        path = work / Path(image).name.replace(".", f"_{spec.cave_id}.", 1)
        path.write_bytes(files[image])
        truth = [(f.x, f.y, f.x + f.width, f.y + f.height) for f in spec.figures if f.kind == "face" and f.draw]
        scans.append(("sample", MuralScan(spec.cave_id, spec.mural_id, path), truth))
    for spec in paper:
        path = work / f"{spec.mural_id}.jpg"
        paint_mural(spec).save(path, quality=92)
        truth = [(f.x, f.y, f.x + f.width, f.y + f.height) for f in spec.figures if f.kind == "face"]
        scans.append(("paper", MuralScan(spec.cave_id, spec.mural_id, path), truth))

    seconds: dict[str, list[float]] = {}
    bounds: dict[str, list[float]] = {}
    for name, detectors in configs.items():
        totals = {"sample": ({}, {}), "paper": ({}, {})}
        for kind, scan, truth in scans:
            result = propose_mural(scan, detectors, grid, HEAD_STYLE, limit)
            recall, precision = score([tuple(r[3:7]) for r in result.rows], truth)
            add(totals[kind][0], recall)
            add(totals[kind][1], precision)
            if kind == "paper":
                tiles = [pixels for _, pixels in iter_tiles(decode_rgb(scan.path, limit), grid)]
                runs, bare = [], []
                for _ in range(args.repeats):
                    bare.append(timed(bare_forward, detectors, tiles, grid))
                    runs.append(timed(propose_mural, scan, detectors, grid, HEAD_STYLE, limit))
                best_run, best_bare = min(runs, key=lambda t: t[1]), min(bare, key=lambda t: t[1])
                seconds.setdefault(name, []).append(best_run)
                bounds.setdefault(name, []).append(best_bare)
                print(f"{name:12s} {scan.mural_id}: {len(tiles)} tiles, pipeline {best_run[0]:.2f} s wall "
                      f"{best_run[1]:.2f} s CPU, bare forward {best_bare[0]:.2f} s wall {best_bare[1]:.2f} s CPU")
        for kind in ("sample", "paper"):
            report(f"[{name}] {kind}", *totals[kind])
    print("\nseconds per paper-size mural (least CPU of the repeats, mean over scans; wall / CPU):")
    ratios = {}
    for name in configs:
        (sw, sc), (bw, bc) = np.mean(seconds[name], axis=0), np.mean(bounds[name], axis=0)
        ratios[name] = sc / bc
        print(
            f"  {name:12s} pipeline {sw:6.2f} / {sc:6.2f} s   bound (bare forward, same tiles) {bw:6.2f} / {bc:6.2f} s"
            f"   ratio (CPU) {sc / bc:.3f}   (wall) {sw / bw:.3f}"
        )
    print(f"ratio={ratios[args.ratio_of]:.3f} goal={GOAL}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

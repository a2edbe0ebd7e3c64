"""Benchmark of the skip by content hash on a large, unchanged cave.

Workload: one cave of N paper-size murals (8447x4946 JPEG, 50 VOC boxes each, as bench/crops.py),
built once through the whole per-cave job (murals, faces, candidates with MTCNN, reviews, upscale
with Lanczos, quality, checks). Then the same job is launched again on the unchanged cave: every
step must skip its work by fingerprint. Lower bound: none is needed for a ratio of two runs of the
same job; the goal is that the second run costs at most 5 % of the first.

    .venv/bin/python bench/incremental.py [--murals 20] [--boxes 50]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
GOAL = 0.05


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--murals", type=int, default=20)
    parser.add_argument("--boxes", type=int, default=50)
    args = parser.parse_args()
    from crops import make_archive

    with tempfile.TemporaryDirectory() as tmp:
        root, out = Path(tmp) / "archive", Path(tmp) / "out"
        make_archive(root, args.murals, args.boxes)
        os.environ.update(DHF_ARCHIVE_DIR=str(root), DHF_OUTPUT_DIR=str(out), DHF_DUCKDB_PATH=str(out / "b.duckdb"),
                          DAGSTER_HOME=str(Path(tmp) / "home"), DHF_UPSCALER="lanczos", DHF_DETECTORS="mtcnn")
        from dhf_assets import runner

        inst = runner.instance()
        defs = runner.definitions()
        runner.register_caves(inst, ["BENCH"])
        runner.run_catalog(defs, inst)
        print(
            f"workload: 1 cave, {args.murals} murals 8447x4946 JPEG, {args.boxes} boxes each; detectors mtcnn, "
            "upscaler lanczos"
        )
        started = time.perf_counter()
        first = runner.run_cave(defs, inst, "BENCH")
        first_s = time.perf_counter() - started
        started = time.perf_counter()
        second = runner.run_cave(defs, inst, "BENCH")
        second_s = time.perf_counter() - started
        assert first.success and second.success, (first.errors, second.errors)
        assert first.materialized == second.materialized, (first.materialized, second.materialized)
        print(f"first build of the cave: {first_s:.2f} s ({first.materialized})")
        print(f"re-materialization of the unchanged cave (every step skipped by fingerprint): {second_s:.2f} s")
        print(f"ratio={second_s / first_s:.4f} goal={GOAL}")


if __name__ == "__main__":
    main()

"""Benchmark of the skip by content hash on a large, unchanged cave.

Workload: one cave of N paper-size murals (8447x4946 JPEG, 50 VOC boxes each, as bench/crops.py),
built once through the whole per-cave job (murals, faces, candidates with MTCNN, reviews, upscale
with Lanczos, quality, checks). Then the same job is launched again on the unchanged cave: every
step must skip its work by fingerprint, and every check reuse its last passing result (the count is
printed). Lower bound: none is needed for a ratio of two runs of the
same job; the goal is that the second run costs at most 5 % of the first. Both runs execute in this
process, so their CPU seconds are the work itself; wall seconds on a shared machine mostly measure
the other processes (the short steps of a skipped run wait for a core each time), so the ratio is of
CPU seconds and the wall ratio is printed beside it. The marts job (SQL models, reports) then runs
twice too: the second draws no mural figure again (printed, not in the ratio).

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


def load() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


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
        import dagster as dg

        from dhf_assets import runner

        inst = runner.instance()
        defs = runner.definitions()
        runner.register_caves(inst, ["BENCH"])
        runner.run_catalog(defs, inst)
        print(f"workload: 1 cave, {args.murals} murals 8447x4946 JPEG, {args.boxes} boxes each; detectors mtcnn, "
              "upscaler lanczos")
        started, cpu = time.perf_counter(), time.process_time()
        first = runner.run_cave(defs, inst, "BENCH")
        first_s, first_cpu = time.perf_counter() - started, time.process_time() - cpu
        started, cpu = time.perf_counter(), time.process_time()
        second = runner.run_cave(defs, inst, "BENCH")
        second_s, second_cpu = time.perf_counter() - started, time.process_time() - cpu
        assert first.success and second.success, (first.errors, second.errors)
        assert first.materialized == second.materialized, (first.materialized, second.materialized)
        print(f"first build of the cave: wall {first_s:.2f} s, CPU {first_cpu:.2f} s ({first.materialized})")
        print(f"re-materialization of the unchanged cave (every step skipped by fingerprint): wall {second_s:.2f} s, "
              f"CPU {second_cpu:.2f} s; wall ratio {second_s / first_s:.4f} (load average {load()})")
        rerun_id = inst.get_runs(limit=1)[0].run_id
        evaluations = [e.dagster_event.event_specific_data
                       for e in inst.all_logs(rerun_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION)]
        reused = sum(bool("reused" in e.metadata and e.metadata["reused"].value) for e in evaluations)
        print(f"checks of the re-run: {reused} of {len(evaluations)} reused their last passing result "
              "(inputs unchanged), the others validated")
        stats = inst.get_run_step_stats(rerun_id)
        steps = sorted(((s.end_time or 0) - (s.start_time or 0), s.step_key) for s in stats)
        print("re-run by step (s): " + ", ".join(f"{key} {seconds:.2f}" for seconds, key in reversed(steps)))
        marts = []
        for _ in range(2):  # the SQL models and reports: unchanged murals keep their figures
            started = time.perf_counter()
            outcome = runner.run_global(defs, inst, "marts_job")
            marts.append(time.perf_counter() - started)
            assert outcome.success and not outcome.errors, outcome.errors
        figures = inst.get_latest_materialization_event(dg.AssetKey("mural_symmetry_figures")).asset_materialization
        print(f"marts and reports: first {marts[0]:.2f} s, again on the unchanged cave {marts[1]:.2f} s "
              f"({figures.metadata['drawn'].value} of {figures.metadata['figures'].value} mural figures drawn again)")
        print(f"ratio={second_cpu / first_cpu:.4f} goal={GOAL}")


if __name__ == "__main__":
    main()

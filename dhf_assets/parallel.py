"""`dhf build --jobs N`: caves built N at a time, each in its own process with cores / N threads.

The parent keeps the catalog before and the marts and exports after (runner.build); here each cave
runs `cave_job` in a child process (`python -m dhf_assets.parallel CAVE`), exactly as `dhf build
--cave CAVE` would run it in-process, and reports its outcome as one JSON line. DuckDB writes are
short and retried and the Dagster instance is shared, so caves built at once never wait on each
other for long and never touch each other's rows. Measured with bench/paper_scale.py on 2 shared
cores, 4 small caves: --jobs 2 cost 1.45x the wall and 1.8x the CPU of --jobs 1 (every process pays
its own start-up), hence the default 1.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict
from typing import IO

from dhf_assets.runner import RunOutcome

OUTCOME_PREFIX = "DHF_CAVE_OUTCOME "


def threads_per_job(jobs: int, cores: int | None = None) -> int:
    """torch threads for each of `jobs` processes sharing `cores` CPU cores (at least one)."""
    if jobs < 1:
        raise ValueError(f"--jobs must be at least 1, got {jobs}")
    return max(1, (cores or os.cpu_count() or 1) // jobs)


def _child_env(threads: int) -> dict[str, str]:
    # Both torch's own pool and OpenMP/BLAS pools of numpy, OpenCV and scipy obey these at start-up.
    return {**os.environ, "DHF_TORCH_THREADS": os.environ.get("DHF_TORCH_THREADS") or str(threads),
            "OMP_NUM_THREADS": str(threads),
            "MKL_NUM_THREADS": str(threads), "OPENBLAS_NUM_THREADS": str(threads)}


def _outcome(cave_id: str, stdout: str, returncode: int) -> RunOutcome:
    for line in reversed(stdout.splitlines()):
        if line.startswith(OUTCOME_PREFIX):
            return RunOutcome(**json.loads(line[len(OUTCOME_PREFIX):]))
    return RunOutcome(cave_id, False, errors=[f"cave process exited {returncode} without an outcome"])


def build_caves(cave_ids: list[str], jobs: int, echo=print) -> list[RunOutcome]:
    """Build the caves, at most `jobs` child processes at a time; one outcome per cave, in order."""
    threads = threads_per_job(jobs)
    waiting = list(cave_ids)
    running: dict[str, tuple[subprocess.Popen[str], IO[str]]] = {}
    outcomes: dict[str, RunOutcome] = {}
    while waiting or running:
        while waiting and len(running) < jobs:
            cave_id = waiting.pop(0)
            echo(f"[dhf] building cave {cave_id} (process, {threads} torch thread(s))")
            # stdout goes to a file, not a pipe: a child that prints much never blocks on a full pipe.
            log = tempfile.TemporaryFile("w+")
            process = subprocess.Popen([sys.executable, "-m", "dhf_assets.parallel", cave_id],
                                       env=_child_env(threads), stdout=log, text=True)
            running[cave_id] = (process, log)
        finished = [cave for cave, (process, _) in running.items() if process.poll() is not None]
        if not finished:
            time.sleep(0.2)
            continue
        for cave_id in finished:
            process, log = running.pop(cave_id)
            with log:
                log.seek(0)
                outcomes[cave_id] = _outcome(cave_id, log.read(), process.returncode)
    return [outcomes[cave] for cave in cave_ids]


def _child(cave_id: str) -> int:
    from dhf_assets import runner

    outcome = runner.run_cave(runner.definitions(), runner.instance(), cave_id)
    print(OUTCOME_PREFIX + json.dumps(asdict(outcome), default=str), flush=True)
    return 0 if outcome.success else 1


if __name__ == "__main__":
    sys.exit(_child(sys.argv[1]))

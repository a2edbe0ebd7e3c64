"""A backfill of every sample cave at once, through the run queue and the daemon, as the UI launches one."""

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import pytest

from dhf_assets.lib.sample import build_sample_archive
from dhf_assets_tests.conftest import REPO_ROOT
from dhf_assets_tests.defs_tests.conftest import rows

pytestmark = pytest.mark.slow
BIN = Path(sys.executable).parent


def test_backfill_of_all_sample_caves_through_the_queue(paths, store, monkeypatch):
    manifest = build_sample_archive(store.archive)
    caves = sorted(manifest.valid_box_counts())
    home = paths["DAGSTER_HOME"]
    shutil.copyfile(REPO_ROOT / "dagster.yaml", home / "dagster.yaml")
    env = {**os.environ, **{k: str(v) for k, v in paths.items()},
           "DHF_UPSCALER": "lanczos", "DHF_DETECTORS": "mtcnn", "DHF_AUTO_ACCEPT": "0.9995"}
    monkeypatch.setenv("DHF_UPSCALER", "lanczos")
    from dhf_assets import runner

    instance = runner.instance()
    runner.register_caves(instance, caves)
    assert runner.run_catalog(runner.definitions(), instance).success
    workspace = str(REPO_ROOT / "workspace.yaml")
    subprocess.run([str(BIN / "dagster"), "job", "backfill", "-j", "cave_job", "--partitions", ",".join(caves),
                    "-w", workspace, "--noprompt"], env=env, cwd=REPO_ROOT, check=True, capture_output=True)
    cave_runs = dg.RunsFilter(job_name="cave_job")
    queued = instance.get_runs(cave_runs)
    assert sorted(r.tags["dagster/partition"] for r in queued) == caves
    assert {r.status for r in queued} == {dg.DagsterRunStatus.QUEUED}  # nothing runs without the queue
    daemon = subprocess.Popen([str(BIN / "dagster-daemon"), "run", "-w", workspace], env=env, cwd=REPO_ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    most_at_once = 0
    try:
        deadline = time.monotonic() + float(os.environ.get("DHF_BACKFILL_TEST_DEADLINE", "600"))
        while time.monotonic() < deadline:
            runs = instance.get_runs(cave_runs)
            most_at_once = max(most_at_once, sum(r.status == dg.DagsterRunStatus.STARTED for r in runs))
            if all(r.is_finished for r in runs):
                break
            time.sleep(2)
    finally:
        os.killpg(daemon.pid, signal.SIGTERM)
        log = daemon.communicate(timeout=60)[0].decode(errors="replace")
    runs = instance.get_runs(cave_runs)
    assert len(runs) == len(caves) and {r.status for r in runs} == {dg.DagsterRunStatus.SUCCESS}, log[-3000:]
    assert most_at_once <= 3  # dagster.yaml: at most 3 runs at once
    assert dict(rows(store, "select cave_id, count(*) from faces group by cave_id")) == manifest.valid_box_counts()
    assert rows(store, "select count(distinct cave_id) from cave_builds") == [(len(caves),)]
    assert "Could not set lock" not in log

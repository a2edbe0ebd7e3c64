"""A daemon-launched run whose worker is killed with SIGKILL is failed and its slot freed without a person."""

import os
import signal
import subprocess
import sys
from pathlib import Path

import dagster as dg
import psutil
import pytest

from dhf_assets.launcher import worker_pid
from dhf_assets.lib.sample.build import build_sample_archive
from dhf_assets_tests.conftest import REPO_ROOT
from dhf_assets_tests.defs_tests.crash_helpers import CAVE, environment, open_instance, slot_holders, wait_for

pytestmark = pytest.mark.slow
BIN = Path(sys.executable).parent
WORKSPACE = str(REPO_ROOT / "workspace.yaml")


def queue_cave_run(env: dict[str, str]) -> None:
    subprocess.run([str(BIN / "dagster"), "job", "backfill", "-j", "cave_job", "--partitions", CAVE, "-w", WORKSPACE,
                    "--noprompt"], env=env, cwd=REPO_ROOT, check=True, capture_output=True)


def start_daemon(env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen([str(BIN / "dagster-daemon"), "run", "-w", WORKSPACE], env=env, cwd=REPO_ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)


def test_a_run_whose_worker_died_with_the_machine_is_failed_and_the_cave_builds_again(tmp_path, monkeypatch):
    """Power loss: the daemon, its code server and the run worker all die with SIGKILL while the run holds
    the gpu slot. (A worker killed alone is failed at once by its code server, which watches its children.)
    The restarted daemon's run monitoring asks dhf's launcher, which finds the worker gone."""
    archive = tmp_path / "archive"
    build_sample_archive(archive)
    env = environment(tmp_path, archive)
    for name in ("DHF_ARCHIVE_DIR", "DHF_OUTPUT_DIR", "DHF_DUCKDB_PATH", "DAGSTER_HOME", "DHF_UPSCALER",
                 "DHF_DETECTORS"):
        monkeypatch.setenv(name, env[name])
    from dhf_assets import runner

    instance = open_instance(env)
    runner.register_caves(instance, [CAVE])
    assert runner.run_catalog(runner.definitions(), instance).success
    queue_cave_run(env)
    daemon = start_daemon(env)
    try:
        first = wait_for(lambda: next((run_id for pool in slot_holders(instance).values() for run_id, step in pool
                                       if step == "upscaled_faces"), None), daemon, "the run holding the gpu slot")
        pid, _ = worker_pid(instance, first)
        assert instance.get_run_by_id(first).tags["dhf/worker_host"]
        code_server = psutil.Process(pid).parent()
        for process in (daemon.pid, code_server.pid, pid):
            os.kill(process, signal.SIGKILL)
        daemon.communicate(timeout=60)
        assert instance.get_run_by_id(first).status == dg.DagsterRunStatus.STARTED  # stuck, slot held
        assert (first, "upscaled_faces") in slot_holders(instance)["gpu"]
        daemon = start_daemon(env)  # the machine is back
        wait_for(lambda: instance.get_run_by_id(first).status == dg.DagsterRunStatus.FAILURE, daemon,
                 "run monitoring to fail the run", poll_s=0.5)
        failure = instance.get_records_for_run(first, of_type=dg.DagsterEventType.RUN_FAILURE).records[0]
        assert f"run worker process {pid} on " in failure.event_log_entry.message, failure.event_log_entry.message
        wait_for(lambda: slot_holders(instance) == {}, daemon, "the dead run's slot to be freed", poll_s=0.5)
        queue_cave_run(env)
        second = wait_for(
            lambda: next(
                (
                    r
                    for r in instance.get_runs(dg.RunsFilter(job_name="cave_job"))
                    if r.run_id != first and r.is_finished
                ),
                None,
            ),
            daemon,
            "a new run of the cave",
            poll_s=1,
        )
        assert second.status == dg.DagsterRunStatus.SUCCESS
        assert slot_holders(instance) == {}
    finally:
        if daemon.poll() is None:
            os.killpg(daemon.pid, signal.SIGTERM)
            daemon.communicate(timeout=60)
        instance.dispose()

"""LocalRunLauncher tells run monitoring whether a run's worker process still lives."""

import os
import subprocess
import sys

import dagster as dg
import pytest
from dagster._core.events import EngineEventData
from dagster._core.launcher.base import WorkerStatus
from dagster._core.utils import make_new_run_id

from dhf_assets.launcher import WORKER_HOST_TAG, LocalRunLauncher
from dhf_assets.lib.storage.processes import this_host


def finished_pid() -> int:
    return int(subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                              text=True, check=True).stdout)


@pytest.mark.parametrize("host, pid, status", [
    (this_host(), os.getpid(), WorkerStatus.RUNNING),       # this test process is alive
    (this_host(), None, WorkerStatus.FAILED),               # a worker that has exited
    ("another-machine", None, WorkerStatus.RUNNING),        # not judged from here
    (None, None, WorkerStatus.RUNNING),                     # launched through a remote code server
])
def test_worker_health(host, pid, status):
    with dg.instance_for_test() as instance:
        run = dg.DagsterRun(job_name="cave_job", run_id=make_new_run_id(), status=dg.DagsterRunStatus.STARTED,
                            tags={WORKER_HOST_TAG: host} if host else {})
        instance.run_storage.add_run(run)
        worker = pid or finished_pid()
        instance.report_engine_event(f"Started process for run (pid: {worker}).", run,
                                     EngineEventData.in_process(worker))
        launcher = LocalRunLauncher()
        launcher.register_instance(instance)
        result = launcher.check_run_worker_health(run)
        assert result.status == status, result.msg
        if status == WorkerStatus.FAILED:
            assert f"run worker process {worker} on {host} is gone" in result.msg


def test_a_run_without_its_start_event_is_not_failed_yet():
    with dg.instance_for_test() as instance:
        run = dg.DagsterRun(job_name="cave_job", run_id=make_new_run_id(), status=dg.DagsterRunStatus.STARTED,
                            tags={WORKER_HOST_TAG: this_host()})
        instance.run_storage.add_run(run)
        launcher = LocalRunLauncher()
        launcher.register_instance(instance)
        assert launcher.check_run_worker_health(run).status == WorkerStatus.RUNNING

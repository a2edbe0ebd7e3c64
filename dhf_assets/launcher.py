"""The dev instance's run launcher: Dagster's DefaultRunLauncher, plus a worker health check so that
the daemon's run monitoring fails a run whose worker process died (kill -9, out of memory, reboot).

DefaultRunLauncher starts each run worker as a process of a code server on this machine but cannot
tell run monitoring whether that process still lives, so without this a killed worker's run stays
STARTED and keeps its pool slots forever. The worker's pid is the one Dagster records when the
process starts ("Started process for run (pid: N)"); a live process with that pid that started later
is a reuse of the pid, not the worker. Kubernetes deployments need none of this: K8sRunLauncher
checks its Jobs itself.
"""

from __future__ import annotations

from typing import cast

import dagster as dg
from dagster._core.events import DagsterEventType
from dagster._core.launcher import DefaultRunLauncher
from dagster._core.launcher.base import CheckRunHealthResult, LaunchRunContext, WorkerStatus

from dhf_assets.lib.storage.processes import process_started_at, this_host

WORKER_HOST_TAG = "dhf/worker_host"
_LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}
_START_MESSAGE = "Started process for run (pid: "


def worker_pid(instance: dg.DagsterInstance, run_id: str) -> tuple[int, float] | None:
    """The run worker's pid and when it reported its start, from the run's engine events."""
    records = instance.get_records_for_run(run_id, of_type=DagsterEventType.ENGINE_EVENT, ascending=False).records
    for record in records:
        entry = record.event_log_entry
        if entry.message.startswith(_START_MESSAGE):
            return int(entry.message[len(_START_MESSAGE):].split(")")[0]), entry.timestamp
    return None


class LocalRunLauncher(DefaultRunLauncher):
    """DefaultRunLauncher whose run workers on this machine are checked by run monitoring."""

    def launch_run(self, context: LaunchRunContext) -> None:
        location = context.workspace.get_code_location(  # type: ignore[union-attr]
            cast("object", context.dagster_run.remote_job_origin).repository_origin.code_location_origin.location_name)
        client = getattr(location, "client", None)
        if client is not None and (client.socket or client.host in _LOCAL_HOSTS):
            # The worker runs on this machine; a remote code server's workers are never judged from here.
            self._instance.add_run_tags(context.dagster_run.run_id, {WORKER_HOST_TAG: this_host()})
        super().launch_run(context)

    @property
    def supports_check_run_worker_health(self) -> bool:
        return True

    def check_run_worker_health(self, run: dg.DagsterRun) -> CheckRunHealthResult:
        host = run.tags.get(WORKER_HOST_TAG)
        if host != this_host():
            return CheckRunHealthResult(WorkerStatus.RUNNING,
                                        f"worker on {host or 'an unknown host'}: not checked here")
        worker = worker_pid(self._instance, run.run_id)
        if worker is None:
            return CheckRunHealthResult(WorkerStatus.RUNNING, "worker has not reported its pid yet")
        pid, reported_at = worker
        started = process_started_at(pid)
        if started is None or started > reported_at + 1.0:
            return CheckRunHealthResult(
                WorkerStatus.FAILED, f"run worker process {pid} on {host} is gone (killed, out of memory or a reboot)")
        return CheckRunHealthResult(WorkerStatus.RUNNING, f"run worker process {pid} is alive")

"""`dhf build`'s clean-up before it starts: dead runs of this host failed and their slots freed, nothing else."""

import subprocess
import sys

import dagster as dg
from dagster._core.execution.plan.instance_concurrency_context import InstanceConcurrencyContext
from dagster._core.utils import make_new_run_id

from dhf_assets.lib.storage.processes import ProcessOwner, current_owner, temp_prefix, this_host
from dhf_assets.recovery import claimed_slots, owner_tags, recover_dead_runs


def exited_owner() -> ProcessOwner:
    out = subprocess.run([sys.executable, "-c",
                          "import os, psutil; print(os.getpid(), psutil.Process().create_time())"],
                         capture_output=True, text=True, check=True).stdout.split()
    return ProcessOwner(this_host(), int(out[0]), float(out[1]))


def add_run(instance, status, tags, pool_step=None) -> dg.DagsterRun:
    run = dg.DagsterRun(job_name="cave_job", run_id=make_new_run_id(), status=status,
                        tags={**tags, "dagster/partition": "A1"})
    instance.run_storage.add_run(run)
    if pool_step:
        with InstanceConcurrencyContext(instance, run) as slots:
            assert slots.claim(*pool_step)
    return run


def test_dead_runs_of_this_host_are_failed_and_their_slots_freed(paths):
    dead = exited_owner()
    with dg.instance_for_test(overrides={"concurrency": {"pools": {"default_limit": 5}}}) as instance:
        started = dg.DagsterRunStatus.STARTED
        killed = add_run(instance, started, owner_tags(dead), ("gpu", "upscaled_faces"))
        starting = add_run(instance, dg.DagsterRunStatus.STARTING, owner_tags(dead))
        alive = add_run(instance, started, owner_tags(current_owner()), ("gpu", "other_step"))
        elsewhere = add_run(instance, started, owner_tags(ProcessOwner("another-machine", dead.pid, dead.started_at)))
        daemons = add_run(instance, started, {})
        finished = add_run(instance, started, owner_tags(current_owner()), ("duckdb", "subset_sizes"))
        instance.report_run_failed(finished, "ended without freeing its slot")
        orphan = paths["DHF_OUTPUT_DIR"] / "crops" / "A1" / (temp_prefix("f.png", dead) + "x.tmp")
        orphan.parent.mkdir(parents=True)
        orphan.write_bytes(b"half")
        lines: list[str] = []

        failed = recover_dead_runs(instance, echo=lambda line, **_: lines.append(line))

        assert sorted(failed) == sorted([killed.run_id, starting.run_id])
        for run in (killed, starting):
            assert instance.get_run_by_id(run.run_id).status == dg.DagsterRunStatus.FAILURE
            message = instance.get_records_for_run(run.run_id, of_type=dg.DagsterEventType.RUN_FAILURE).records[0]
            assert f"pid {dead.pid} on {dead.host}" in message.event_log_entry.message
        for run in (alive, elsewhere, daemons):
            assert instance.get_run_by_id(run.run_id).status == started
        assert dict(claimed_slots(instance)) == {alive.run_id: ["gpu:other_step"]}
        assert (
            f"[dhf] run {killed.run_id[:8]} (cave_job A1) was left STARTED by pid {dead.pid} on {dead.host}, which is "
            "gone: "
            "marked failed, 1 pool slot(s) freed (gpu:upscaled_faces)" in lines
        )
        assert any(
            line.startswith(f"[dhf] run {starting.run_id[:8]} (cave_job A1) was left STARTING") for line in lines
        )
        assert (
            f"[dhf] run {finished.run_id[:8]} (cave_job A1) had finished but still held duckdb:subset_sizes: freed"
            in lines
        )
        assert not orphan.exists() and len(lines) == 4
        assert recover_dead_runs(instance, echo=lambda line, **_: lines.append(line)) == [] and len(lines) == 4

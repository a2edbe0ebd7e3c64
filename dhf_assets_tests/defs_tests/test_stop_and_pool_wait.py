"""SIGTERM and SIGINT stop `dhf build` cleanly; a step waiting for a pool slot says who holds it and gives up."""

import signal
import threading
import time

import dagster as dg
import pytest
from dagster._core.events import DagsterEventType
from dagster._core.execution.plan.instance_concurrency_context import InstanceConcurrencyContext
from dagster._core.utils import make_new_run_id

from dhf_assets.lib.sample.build import build_sample_archive
from dhf_assets.recovery import owner_tags
from dhf_assets_tests.defs_tests.crash_helpers import (
    environment,
    new_cave_runs,
    open_instance,
    slot_holders,
    start_build,
    step_events,
    wait_for,
)

pytestmark = pytest.mark.slow
# Seconds from the signal to the exit; measured 3-12 s on 2 busy cores (a step in a torch import stops last).
STOP_WITHIN_S = 20


class Lines:
    """The build's output, read as it comes."""

    def __init__(self, build):
        self.lines: list[str] = []
        self._reader = threading.Thread(target=lambda: self.lines.extend(iter(build.stdout.readline, "")), daemon=True)
        self._reader.start()

    def text(self) -> str:
        return "".join(self.lines)

    def join(self) -> str:
        self._reader.join(timeout=60)
        return self.text()


def stop(build, signum) -> float:
    sent = time.monotonic()
    build.send_signal(signum)
    build.wait(timeout=60)
    return time.monotonic() - sent


def live_holder_of_the_gpu_slot(instance: dg.DagsterInstance) -> dg.DagsterRun:
    """A run of a live process (this test) that holds the `gpu` slot, as another cave's upscale would."""
    run = dg.DagsterRun(job_name="cave_job", run_id=make_new_run_id(), status=dg.DagsterRunStatus.STARTED,
                        tags={**owner_tags(), "dagster/partition": "MG045"})
    instance.run_storage.add_run(run)
    with InstanceConcurrencyContext(instance, run) as slots:
        assert slots.claim("gpu", "upscaled_faces")
    return run


def test_signals_stop_a_build_and_a_pool_wait_is_logged_and_bounded(tmp_path):
    archive = tmp_path / "archive"
    build_sample_archive(archive)
    env = environment(tmp_path, archive, DHF_POOL_WAIT_LOG_S="1")
    instance = open_instance(env)

    # SIGTERM while a step runs: the run is canceled within seconds, nothing is left behind.
    build = start_build(env)
    output = Lines(build)
    run_id = wait_for(lambda: next((r for r in new_cave_runs(instance, set()) if "face_candidates" in
                                    step_events(instance, r, DagsterEventType.STEP_START)), None), build,
                                    "face_candidates")
    assert stop(build, signal.SIGTERM) < STOP_WITHIN_S
    assert build.returncode == 128 + signal.SIGTERM and "[dhf] stopped by SIGTERM" in output.join()
    assert instance.get_run_by_id(run_id).status == dg.DagsterRunStatus.CANCELED
    assert slot_holders(instance) == {}
    assert not [p for p in (tmp_path / "output").rglob("*") if ".dhf-" in p.name]  # no temporary files

    # Another live run holds the only gpu slot: the build waits at upscaled_faces and says who holds it.
    holder = live_holder_of_the_gpu_slot(instance)
    build = start_build(env)
    output = Lines(build)
    wait_for(lambda: output.text().count(f"held by run {holder.run_id[:8]} (cave_job MG045, STARTED) step "
                                         "upscaled_faces since") >= 2,
             build, "two log lines naming the holder")
    waiting_run = new_cave_runs(instance, {run_id, holder.run_id})[0]
    assert (waiting_run, "upscaled_faces") in slot_holders(instance)["gpu"]  # queued for the slot
    assert stop(build, signal.SIGINT) < STOP_WITHIN_S  # the wait is interruptible
    assert build.returncode == 128 + signal.SIGINT and "[dhf] stopped by SIGINT" in output.join()
    assert instance.get_run_by_id(waiting_run).status == dg.DagsterRunStatus.CANCELED
    assert slot_holders(instance) == {"gpu": [(holder.run_id, "upscaled_faces")] * 2}  # its slot and its queue row

    # With a bound, the step gives up with the holder in its failure message; other caves are unaffected.
    result = start_build({**env, "DHF_POOL_WAIT_TIMEOUT_S": "3"})
    text = result.communicate(timeout=600)[0]
    assert result.returncode == 1, text[-3000:]
    assert "[dhf] error: upscaled_faces: " in text and "gave up after DHF_POOL_WAIT_TIMEOUT_S=3: waited " in text, text[
        -3000:
    ]
    assert f"for a slot of pool 'gpu' (limit 1): held by run {holder.run_id[:8]} (cave_job MG045, STARTED)" in text
    assert slot_holders(instance) == {"gpu": [(holder.run_id, "upscaled_faces")] * 2}
    instance.event_log_storage.free_concurrency_slots_for_run(holder.run_id)
    instance.dispose()

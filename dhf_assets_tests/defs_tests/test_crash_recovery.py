"""`dhf build` killed with SIGKILL while each step of a cave runs: the next build recovers completely.

Each case is a chain: a build killed at its first point, then a build (which must recover the dead
run first) killed at the next point, and so on; every build re-runs the step killed before it, so
each kill is followed by a recovery of that very step. After the chain a build runs to the end and
must match a clean build: every table (timestamps aside), the same files and nothing else in the
output folder, the DuckDB file opens, every killed run FAILURE and no pool slot claimed.

Points: `step` = the step's STEP_START is in the event log; `tx:<table>` = inside the DuckDB
transaction that replaces <table>; `slot:<step>` = the step holds its `gpu` pool slot (seen in the
instance); `check:<name>` = the asset's rows are written and its check (run in the asset's step) starts. At
`tx:`, `slot:` and `check:` points the DHF_TEST_HOLD hook stops the build, so the kill cannot land after the
transaction, the slot or the check has ended.
"""

import os
import signal
import time

import pytest
from dagster._core.events import DagsterEventType

from dhf_assets.lib.runtime.test_hold import HOLD_ENV
from dhf_assets.lib.sample.build import build_sample_archive
from dhf_assets_tests.defs_tests.crash_helpers import (
    CAVE,
    environment,
    new_cave_runs,
    open_instance,
    run_build,
    slot_holders,
    snapshot,
    start_build,
    step_events,
    wait_for,
)

pytestmark = pytest.mark.slow

# Every step of cave_job in execution order, each killed once, plus kills inside write transactions and checks.
CHAINS = {
    "murals-to-faces": ["murals", "check:murals_valid", "tx:faces", "faces"],
    "candidates-to-review_queue": ["face_candidates", "face_proposals", "symmetry_pairs", "face_reviews",
                                   "check:face_labels_valid", "review_queue"],
    "upscale-to-quarantine": ["slot:upscaled_faces", "face_quality", "check:face_quality_valid", "backend_quality",
                              "tx:cave_builds", "quarantine"],
}


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    folder = tmp_path_factory.mktemp("archive")
    build_sample_archive(folder)
    return folder


@pytest.fixture(scope="module")
def clean_build(archive, tmp_path_factory):
    env = environment(tmp_path_factory.mktemp("clean"), archive)
    started = time.monotonic()
    result = run_build(env)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return time.monotonic() - started, snapshot(env)


def kill_at(point: str, env: dict, instance, known: set[str], marker_dir) -> tuple[str, str]:
    """Start a build, SIGKILL it at `point`; returns the killed cave run and the build's output."""
    kind, _, name = point.rpartition(":")
    marker = marker_dir / f"held-{name}-{len(known)}"
    build = start_build({**env, HOLD_ENV: f"{point}={marker}"} if kind else env)
    current = lambda: (new_cave_runs(instance, known) or [None])[0]  # noqa: E731
    if kind == "tx":
        wait_for(marker.exists, build, f"the transaction replacing {name}")
    elif kind == "check":
        wait_for(marker.exists, build, f"the check {name}")
    elif kind == "slot":
        wait_for(lambda: marker.exists() and current() and (current(), name) in slot_holders(instance).get("gpu", []),
                 build, f"{name} holding its gpu slot")
    else:
        wait_for(lambda: current() and name in step_events(instance, current(), DagsterEventType.STEP_START), build,
                 f"STEP_START of {name}")
    os.kill(build.pid, signal.SIGKILL)  # only the process: what a power cut or the OOM killer leaves
    output = build.communicate(timeout=60)[0]
    run_id = current()
    if kind != "tx":  # the kill landed while the step ran, not after it
        assert name not in step_events(instance, run_id, DagsterEventType.STEP_SUCCESS), output[-2000:]
    assert instance.get_run_by_id(run_id).status.value == "STARTED"  # what the issue found: stuck
    return run_id, output


@pytest.mark.parametrize("chain", list(CHAINS.values()), ids=list(CHAINS))
def test_sigkill_at_every_step_then_a_build_matches_a_clean_one(chain, archive, clean_build, tmp_path):
    clean_seconds, (clean_tables, clean_files) = clean_build
    env = environment(tmp_path, archive)
    instance = open_instance(env)
    killed: list[str] = []
    outputs: list[str] = []
    for point in chain:
        run_id, output = kill_at(point, env, instance, set(killed), tmp_path)
        if killed:  # this build first failed the run killed before it
            assert f"run {killed[-1][:8]} (cave_job {CAVE}) was left STARTED" in output, output[-2000:]
        killed.append(run_id)
        outputs.append(output)
    started = time.monotonic()
    final = run_build(env, timeout_s=max(600, 4 * clean_seconds))
    seconds = time.monotonic() - started
    assert final.returncode == 0, final.stdout[-3000:] + final.stderr[-3000:]
    assert f"run {killed[-1][:8]} (cave_job {CAVE}) was left STARTED" in final.stdout
    if chain[0].startswith("slot:"):  # the second build freed the gpu slot the first one held
        assert "marked failed, 1 pool slot(s) freed (gpu:upscaled_faces)" in outputs[1], outputs[1][-2000:]
    assert seconds < 2 * clean_seconds + 30, f"rebuild took {seconds:.0f} s, a clean build {clean_seconds:.0f} s"
    assert {instance.get_run_by_id(r).status.value for r in killed} == {"FAILURE"}
    assert slot_holders(instance) == {}
    tables, files = snapshot(env)
    assert sorted(tables) == sorted(clean_tables)
    for table in clean_tables:
        assert tables[table] == clean_tables[table], table
    assert files == clean_files and not [f for f in files if ".dhf-" in f or f.endswith(".tmp")]
    instance.dispose()


def test_the_chains_kill_every_step_of_the_cave_job():
    from dhf_assets.definitions import defs

    steps = {node.name for node in defs().resolve_job_def("cave_job").graph.nodes}
    killed = [point.rpartition(":")[2] for points in CHAINS.values() for point in points if ":" not in point or
              point.startswith("slot:")]
    assert sorted(killed) == sorted(steps)

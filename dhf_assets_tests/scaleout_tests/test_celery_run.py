"""One cave through cave_job_celery: Celery workers on loopback, Redis broker, instance on PostgreSQL."""

from __future__ import annotations

import os
import shutil
import sys
import threading
import time
from pathlib import Path

import pytest

from dhf_assets.lib.ingest.boxes import PixelBox, face_id_for
from dhf_assets.lib.storage.db import query
from dhf_assets_tests.archive_factory import two_cave_archive
from dhf_assets_tests.scaleout_tests.conftest import DEPLOY, REPO_ROOT

pytestmark = [
    pytest.mark.slow,
    # dagster-celery registers its step task again on every submission; celery 5.7 warns, harmlessly.
    pytest.mark.filterwarnings("ignore:Task name 'execute_plan' is already registered"),
]

CAVE = "A1"
# two_cave_archive's A1 boxes as 0-based half-open pixel boxes: (mural, xmin, ymin, xmax, ymax).
A1_BOXES = [("m1", 10, 20, 110, 140), ("m1", 200, 50, 400, 300), ("m2", 0, 0, 60, 80)]
RUN_TIMEOUT_S = 150


def write_review_file(archive, cave_id: str) -> list[str]:
    """A curator accepts every face of the cave into 3k, so the upscale step has work to do."""
    face_ids = sorted(face_id_for(cave_id, mural, PixelBox(*box)) for mural, *box in A1_BOXES)
    (archive / "reviews").mkdir(parents=True, exist_ok=True)
    lines = ["face_id,decision,subset,tags,reviewer,reviewed_at"]
    lines += [f"{face_id},accept,3k,,curator,2026-01-01T00:00:00+00:00" for face_id in face_ids]
    (archive / "reviews" / f"{cave_id}.csv").write_text("\n".join(lines) + "\n")
    return face_ids


@pytest.fixture
def scaleout_env(tmp_path, monkeypatch, redis_url, postgres_url) -> dict[str, str]:
    """The variables every machine of a Celery deployment shares, set here and for the workers."""
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copyfile(DEPLOY / "celery" / "dagster.yaml", home / "dagster.yaml")
    values = {
        "DHF_ARCHIVE_DIR": str(tmp_path / "archive"),
        "DHF_OUTPUT_DIR": str(tmp_path / "output"),
        "DHF_DUCKDB_PATH": str(tmp_path / "dhf.duckdb"),
        "DAGSTER_HOME": str(home),
        "DHF_UPSCALER": "lanczos",
        "DHF_DETECTORS": "mtcnn",
        "DHF_POSTGRES_URL": postgres_url,
        "DHF_CELERY_BROKER": f"{redis_url}/0",
        "DHF_CELERY_BACKEND": f"{redis_url}/1",
        "TORCHINDUCTOR_CACHE_DIR": str(tmp_path / "torchinductor"),
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    # `dagster-celery worker start` runs `celery` from PATH: the one beside this interpreter.
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    return {**os.environ, **values, "PYTHONPATH": str(REPO_ROOT), "PATH": path}


def execute_with_deadline(recon_job, instance, tags, workers):
    """dagster.execute_job in a thread; fail with the workers' logs if it hangs or a worker dies."""
    import dagster as dg

    outcome = {}

    def target():
        try:
            outcome["result"] = dg.execute_job(recon_job, instance=instance, tags=tags)
        except BaseException as exc:  # noqa: BLE001 - reported below
            outcome["error"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    deadline = time.monotonic() + RUN_TIMEOUT_S
    while thread.is_alive() and time.monotonic() < deadline:
        dead = [w for w in workers if w.proc.poll() is not None]
        assert not dead, "worker exited during the run:\n" + "\n".join(w.output()[-3000:] for w in dead)
        thread.join(0.5)
    logs = "\n".join(f"--- {w.name}\n{w.output()[-3000:]}" for w in workers)
    assert not thread.is_alive(), f"run did not finish in {RUN_TIMEOUT_S} s\n{logs}"
    if "error" in outcome:
        raise AssertionError(logs) from outcome["error"]
    return outcome["result"], logs


def step_workers(instance, run_id: str) -> dict[str, str]:
    """Step key -> Celery worker name, from the engine event each worker writes when it takes a step."""
    import dagster as dg

    found = {}
    for record in instance.get_records_for_run(run_id, of_type=dg.DagsterEventType.ENGINE_EVENT).records:
        event = record.event_log_entry.dagster_event
        metadata = event.engine_event_data.metadata if event and event.engine_event_data else {}
        if "Celery worker" in metadata:
            found[event.step_key] = metadata["Celery worker"].value.split("@")[0]
    return found


def step_pids(instance, run_id: str) -> dict[str, int]:
    """Step key -> the process that executed it (from its STEP_START event)."""
    import dagster as dg

    records = instance.get_records_for_run(run_id, of_type=dg.DagsterEventType.STEP_START).records
    return {r.event_log_entry.dagster_event.step_key: r.event_log_entry.dagster_event.pid for r in records}


def test_one_cave_through_celery_workers_with_postgres_storage(scaleout_env, celery_workers):
    import dagster as dg
    from dagster._core.definitions.reconstruct import ReconstructableRepository
    from dagster_postgres import PostgresEventLogStorage, PostgresRunStorage

    from dhf_assets import runner
    from dhf_assets.defs.partitions import CAVES_PARTITION

    archive = Path(scaleout_env["DHF_ARCHIVE_DIR"])
    expected = two_cave_archive(archive)
    face_ids = write_review_file(archive, CAVE)
    started = time.monotonic()
    # A worker machine names the project folder and paths relative to it, and starts in another folder.
    project = archive.parent
    relative = {name: str(Path(scaleout_env[name]).relative_to(project))
                for name in ("DHF_ARCHIVE_DIR", "DHF_OUTPUT_DIR", "DHF_DUCKDB_PATH")}
    worker_env = {**scaleout_env, "DHF_PROJECT_DIR": str(project), **relative}
    workers = [celery_workers.start("dhf-cpu", "dagster", worker_env, concurrency=2),
               celery_workers.start("dhf-gpu", "gpu", worker_env, concurrency=1)]

    with dg.DagsterInstance.from_config(scaleout_env["DAGSTER_HOME"]) as instance:
        assert isinstance(instance.run_storage, PostgresRunStorage)
        assert isinstance(instance.event_log_storage, PostgresEventLogStorage)
        instance.add_dynamic_partitions(CAVES_PARTITION, [CAVE])
        assert runner.run_catalog(runner.definitions(), instance).success  # caves.csv, in this process
        for worker in workers:
            celery_workers.wait_ready(worker)
        ready = time.monotonic()

        # The job as the UI's code location loads it: by module, so each worker rebuilds it by name.
        recon_job = ReconstructableRepository.for_module(
            "dhf_assets.definitions", "defs", working_directory=str(REPO_ROOT)
        ).get_reconstructable_job("cave_job_celery")
        result, logs = execute_with_deadline(recon_job, instance, {"dagster/partition": CAVE}, workers)
        finished = time.monotonic()
        assert result.success, logs

        # Run, events and partitions are in PostgreSQL, where every machine reads them.
        run = instance.get_run_by_id(result.run_id)
        assert run.tags["dagster/partition"] == CAVE and run.job_name == "cave_job_celery"
        where, pids = step_workers(instance, result.run_id), step_pids(instance, result.run_id)

    # Every step was a Celery task: the model steps (upscaled_faces, backend_quality) on the gpu queue's
    # worker, the rest on dagster's, each in a worker process, never in this one.
    assert set(where) == set(pids) and {"murals", "faces", "face_candidates", "upscaled_faces",
                                        "face_quality"} <= set(where)
    assert where.pop("upscaled_faces") == "dhf-gpu" and where.pop("backend_quality") == "dhf-gpu", where
    assert set(where.values()) == {"dhf-cpu"}, where
    assert os.getpid() not in pids.values() and len(set(pids.values())) >= 2, pids

    database = Path(scaleout_env["DHF_DUCKDB_PATH"])
    counts = {table: query(database, f"select count(*) from {table} where cave_id = ?", [CAVE])[1][0][0]
              for table in ("faces", "face_candidates", "subset_3k", "upscaled_faces", "face_quality")}
    assert counts == dict.fromkeys(counts, expected[CAVE]), counts
    upscaled = query(database, "select face_id, backend from upscaled_faces order by face_id")[1]
    assert [row[0] for row in upscaled] == face_ids and {row[1] for row in upscaled} <= {"lanczos", "none"}
    assert query(database, "select count(*) from faces where cave_id = 'B2'")[1] == [(0,)]
    print(f"[timing] servers and workers ready {ready - started:.1f} s, run {finished - ready:.1f} s")

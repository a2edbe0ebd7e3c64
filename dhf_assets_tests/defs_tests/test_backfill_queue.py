"""The daemon keeps the statistics true: a backfill through the run queue, then a changed VOC file, no `dhf build`.

One daemon over a temporary instance: a backfill of every sample cave runs through the queue (at most 3
at once); global_refresh_sensor then refreshes the SQL models, reports and exports at most twice, after the
last cave run. Then archive_sensor sees one box removed from a VOC file, rebuilds that cave, and the
refresh brings `subset_sizes` and the reports up to date.
"""

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import pytest
from defusedxml import ElementTree

from dhf_assets.lib.sample.build import build_sample_archive
from dhf_assets_tests.conftest import REPO_ROOT
from dhf_assets_tests.defs_tests.conftest import rows

pytestmark = pytest.mark.slow
BIN = Path(sys.executable).parent
WORKSPACE = str(REPO_ROOT / "workspace.yaml")
CAVE_RUNS = dg.RunsFilter(job_name="cave_job")
REFRESH_RUNS = dg.RunsFilter(job_name="refresh_job")


def wait_for(condition, what: str, daemon: subprocess.Popen):
    """Poll `condition` until it returns a truthy value, within DHF_BACKFILL_TEST_DEADLINE seconds."""
    deadline = time.monotonic() + float(os.environ.get("DHF_BACKFILL_TEST_DEADLINE", "600"))
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        assert daemon.poll() is None, f"the daemon stopped while waiting for {what}"
        time.sleep(2)
    pytest.fail(f"timed out waiting for {what}")


def dagster_cli(*args, env):
    subprocess.run([str(BIN / "dagster"), *args, "-w", WORKSPACE], env=env, cwd=REPO_ROOT, check=True,
                   capture_output=True)


def dhf_sql(query: str, env) -> str:
    return subprocess.run([sys.executable, "-m", "dhf_assets.cli", "sql", query], env=env, capture_output=True,
                          text=True, check=True).stdout


def report_digests(output: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted((output / "reports").glob("*.png"))}


def remove_one_face_box(store, cave_id: str) -> str:
    """Delete from its VOC file one box that is in the faces table; the face_id that goes."""
    face_id, mural_id, xmin, ymin, xmax, ymax = rows(store,
                                                     "select face_id, mural_id, xmin, ymin, xmax, ymax from faces "
                                                     "where cave_id = ? order by face_id limit 1", [cave_id])[0]
    path = store.archive / "murals" / cave_id / f"{mural_id}.xml"
    tree = ElementTree.parse(path)
    root = tree.getroot()
    for obj in root.findall("object"):
        box = obj.find("bndbox")
        values = [round(float(box.findtext(tag))) for tag in ("xmin", "ymin", "xmax", "ymax")]
        if values == [xmin + 1, ymin + 1, xmax, ymax]:
            root.remove(obj)
            tree.write(path)
            return face_id
    raise AssertionError(f"no VOC object for face {face_id}")


def test_daemon_keeps_marts_reports_and_exports_true_without_dhf_build(paths, store, monkeypatch):
    manifest = build_sample_archive(store.archive)
    caves = sorted(manifest.valid_box_counts())
    shutil.copyfile(REPO_ROOT / "dagster.yaml", paths["DAGSTER_HOME"] / "dagster.yaml")
    env = {**os.environ, **{k: str(v) for k, v in paths.items()},
           "DHF_UPSCALER": "lanczos", "DHF_DETECTORS": "mtcnn", "DHF_AUTO_ACCEPT": "0.9995"}
    monkeypatch.setenv("DHF_UPSCALER", "lanczos")
    from dhf_assets import runner

    instance = runner.instance()
    runner.register_caves(instance, caves)
    assert runner.run_catalog(runner.definitions(), instance).success
    dagster_cli("job", "backfill", "-j", "cave_job", "--partitions", ",".join(caves), "--noprompt", env=env)
    queued = instance.get_runs(CAVE_RUNS)
    assert sorted(r.tags["dagster/partition"] for r in queued) == caves
    assert {r.status for r in queued} == {dg.DagsterRunStatus.QUEUED}  # nothing runs without the queue
    dagster_cli("sensor", "start", "global_refresh_sensor", env=env)  # tests start automation explicitly
    # The daemon's output (and its run workers') goes to a file: a pipe read only at the end fills up and
    # blocks the run worker that writes to it.
    log_path = paths["DAGSTER_HOME"] / "daemon.log"
    with log_path.open("wb") as log_file:
        daemon = subprocess.Popen([str(BIN / "dagster-daemon"), "run", "-w", WORKSPACE], env=env, cwd=REPO_ROOT,
                                  stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True)
    most_at_once = 0

    def backfill_refreshed():
        nonlocal most_at_once
        runs = instance.get_runs(CAVE_RUNS)
        most_at_once = max(most_at_once, sum(r.status == dg.DagsterRunStatus.STARTED for r in runs))
        refreshes = instance.get_run_records(REFRESH_RUNS)
        return all(r.is_finished for r in runs) and refreshes and all(r.dagster_run.is_finished for r in refreshes)

    try:
        wait_for(backfill_refreshed, "the backfill and its refresh", daemon)
        cave_runs = instance.get_run_records(CAVE_RUNS)
        assert len(cave_runs) == len(caves)
        assert {r.dagster_run.status for r in cave_runs} == {dg.DagsterRunStatus.SUCCESS}
        assert most_at_once <= 3  # dagster.yaml: at most 3 runs at once
        refreshes = instance.get_run_records(REFRESH_RUNS)
        assert 1 <= len(refreshes) <= 2
        assert min(r.start_time for r in refreshes) >= max(r.end_time for r in cave_runs)
        assert {r.dagster_run.status for r in refreshes} == {dg.DagsterRunStatus.SUCCESS}
        assert "3 successful cave run(s)" in refreshes[-1].dagster_run.tags["dhf/refresh_reason"]
        assert dict(rows(store, "select cave_id, count(*) from faces group by cave_id")) == manifest.valid_box_counts()
        assert rows(store, "select count(distinct cave_id) from subset_sizes where cave_id is not null") == [(3,)]
        assert (store.output / "exports/coco/instances_20k.json").is_file()
        assert not (store.output / "exports/releases").exists()  # automation never cuts a release

        sizes_before, reports_before = dhf_sql("select * from subset_sizes order by all",
                                               env), report_digests(store.output)
        removed = remove_one_face_box(store, "MG045")
        changed_at = time.time()
        dagster_cli("sensor", "start", "archive_sensor", env=env)

        def rebuilt_and_refreshed():
            runs = instance.get_run_records(REFRESH_RUNS)
            after = [r for r in runs if r.create_timestamp.timestamp() > changed_at
                     and r.dagster_run.tags.get("dhf/refresh_scope") == "full"]
            return after and all(r.dagster_run.is_finished for r in runs) and after

        after = wait_for(rebuilt_and_refreshed, "MG045 rebuilt and the statistics refreshed", daemon)
        assert {r.dagster_run.status for r in after} == {dg.DagsterRunStatus.SUCCESS}
        assert "cave run(s) since the last refresh: MG045" in after[-1].dagster_run.tags["dhf/refresh_reason"]
        assert dhf_sql("select * from subset_sizes order by all", env) != sizes_before
        assert report_digests(store.output) != reports_before
    finally:
        os.killpg(daemon.pid, signal.SIGTERM)
        daemon.wait(timeout=60)
        log = log_path.read_text(errors="replace")
    assert rows(store, "select count(*) from faces where face_id = ?", [removed]) == [(0,)]
    rebuilt = [r for r in instance.get_runs(CAVE_RUNS) if r.tags.get("dagster/sensor_name") == "archive_sensor"]
    assert [r.tags["dagster/partition"] for r in rebuilt] == ["MG045"], log[-3000:]
    first, *later = [r.dagster_run for r in reversed(instance.get_run_records(REFRESH_RUNS))]  # oldest first
    assert any(k.to_user_string().startswith("stg_") for k in first.asset_selection)  # views created once
    assert later and not any(k.to_user_string().startswith("stg_") for r in later for k in r.asset_selection)
    assert "Could not set lock" not in log

"""Every path resolves against the project folder, whichever folder a process starts in.

The daemon (started from another working directory) dequeues a run and launches its worker; with only
relative defaults in force, the run reads the project's archive and writes the project's DuckDB file.
The Celery worker's side is tested in scaleout_tests/test_celery_run.py (workers started elsewhere).
"""

import os
import shutil
import signal
import subprocess
import sys
import time

import dagster as dg
import pytest

from dhf_assets.lib.runtime.settings import Settings
from dhf_assets.lib.storage.db import query
from dhf_assets_tests.archive_factory import write_caves
from dhf_assets_tests.conftest import REPO_ROOT

pytestmark = pytest.mark.slow
BIN = os.path.dirname(sys.executable)
WORKSPACE = str(REPO_ROOT / "workspace.yaml")


@pytest.mark.parametrize(("given", "expected"), [
    ({}, {"archive_dir": "data/sample_archive", "duckdb_path": "data/dhf.duckdb", "dagster_home": ".dagster_home"}),
    ({"DHF_OUTPUT_DIR": "out/x", "DHF_SR_MODEL": "m.pth"}, {"output_dir": "out/x", "sr_model": "m.pth"}),
])
def test_relative_settings_resolve_against_the_project_folder_not_the_cwd(tmp_path, monkeypatch, given, expected):
    monkeypatch.chdir(tmp_path)
    settings = Settings.from_env({"DHF_PROJECT_DIR": str(tmp_path / "project"), **given})
    for field, relative in expected.items():
        assert str(getattr(settings, field)) == str(tmp_path / "project" / relative)


def test_a_run_the_daemon_launches_from_another_folder_uses_the_project_paths(tmp_path, monkeypatch):
    project, elsewhere = tmp_path / "project", tmp_path / "elsewhere"
    home = project / ".dagster_home"
    for folder in (elsewhere, home):
        folder.mkdir(parents=True)
    shutil.copyfile(REPO_ROOT / "dagster.yaml", home / "dagster.yaml")
    write_caves(project / "data" / "sample_archive", [("A1", "MC", "FD", "IDRS"), ("B2", "YC", "HT", "DS")])
    # No DHF_* path is set: only the defaults, relative to the project folder (Dagster needs DAGSTER_HOME absolute).
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DHF_", "DAGSTER_"))}
    env.update(DHF_PROJECT_DIR=str(project), DAGSTER_HOME=str(home), DHF_AUTOMATION_DEFAULT="stopped",
               PYTHONPATH=str(REPO_ROOT))
    subprocess.run([os.path.join(BIN, "dagster"), "job", "launch", "-j", "catalog_job", "-w", WORKSPACE],
                   env=env, cwd=elsewhere, check=True, capture_output=True)
    log = (tmp_path / "daemon.log").open("wb")
    daemon = subprocess.Popen([os.path.join(BIN, "dagster-daemon"), "run", "-w", WORKSPACE], env=env, cwd=elsewhere,
                              stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    monkeypatch.setenv("DAGSTER_HOME", str(home))  # the instance's storage section reads it, as Dagster's tools do
    try:
        with dg.DagsterInstance.from_config(str(home)) as instance:
            deadline = time.monotonic() + 300
            while time.monotonic() < deadline:
                runs = instance.get_runs(dg.RunsFilter(job_name="catalog_job"))
                if runs and runs[0].is_finished:
                    break
                assert daemon.poll() is None, (tmp_path / "daemon.log").read_text()
                time.sleep(2)
            assert runs and runs[0].status == dg.DagsterRunStatus.SUCCESS, (tmp_path / "daemon.log").read_text()[-3000:]
    finally:
        os.killpg(daemon.pid, signal.SIGTERM)
        daemon.wait(timeout=60)
        log.close()
    assert query(project / "data" / "dhf.duckdb", "select cave_id from caves order by 1")[1] == [("A1",), ("B2",)]
    assert sorted(p.name for p in elsewhere.iterdir()) == []  # nothing landed in the launching folder

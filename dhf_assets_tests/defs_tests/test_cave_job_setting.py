"""DHF_CAVE_JOB chooses the job of archive_sensor's and the schedule's run requests when the definitions load."""

import os
import subprocess
import sys

import pytest

from dhf_assets_tests.conftest import REPO_ROOT

LOAD = """
import sys
for blocked in sys.argv[1:]:
    sys.modules[blocked] = None  # as if the package were not installed
from dhf_assets.definitions import defs
d = defs()
sensor = next(s for s in d.sensors if s.name == "archive_sensor")
schedule = next(s for s in d.schedules if s.name == "incremental_caves_schedule")
print(sorted(t.job_name for t in sensor.targets), schedule.job_name)
"""


def load(value: str, *blocked: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DHF_CAVE_JOB": value}
    return subprocess.run([sys.executable, "-c", LOAD, *blocked], env=env, cwd=REPO_ROOT, capture_output=True,
                          text=True)


@pytest.mark.parametrize("job", ["cave_job", "cave_job_celery", "cave_job_k8s"])
def test_each_cave_job_is_what_the_sensor_and_schedule_launch(job):
    result = load(job)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[0] == f"{sorted(['catalog_job', job])} {job}"


def test_without_the_scaleout_extra_everything_else_loads():
    result = load("cave_job", "dagster_celery", "dagster_k8s", "dagster_postgres", "celery", "kubernetes")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[0] == f"{sorted(['catalog_job', 'cave_job'])} cave_job"


@pytest.mark.parametrize(("value", "blocked", "message"), [
    ("cave_job_celery", ["dagster_celery"], "DHF_CAVE_JOB=cave_job_celery needs dagster-celery[redis] and dagster-k8s"),
    ("cave_job_k8s", ["dagster_k8s"], "DHF_CAVE_JOB=cave_job_k8s needs dagster-k8s and dagster-celery[redis]"),
    ("cave_job_spark", [], "DHF_CAVE_JOB='cave_job_spark' is not a cave job; use one of cave_job, cave_job_celery"),
])
def test_a_job_that_cannot_run_here_is_refused_at_load(value, blocked, message):
    result = load(value, *blocked)
    assert result.returncode != 0 and message in result.stderr


STATUSES = """
from dhf_assets.definitions import defs
d = defs()
print(*sorted(f"{s.name}={s.default_status.value}" for s in [*d.sensors, *d.schedules]))
"""


@pytest.mark.parametrize(("value", "status"), [(None, "RUNNING"), ("stopped", "STOPPED")])
def test_automation_runs_by_default_in_a_users_instance(value, status):
    env = {k: v for k, v in os.environ.items() if k != "DHF_AUTOMATION_DEFAULT"}
    if value:
        env["DHF_AUTOMATION_DEFAULT"] = value
    result = subprocess.run([sys.executable, "-c", STATUSES], env=env, cwd=REPO_ROOT, capture_output=True, text=True)
    assert result.stdout.split() == [f"archive_sensor={status}", f"global_refresh_sensor={status}",
                                     f"incremental_caves_schedule={status}"], result.stderr

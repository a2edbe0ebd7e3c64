"""Settings read when the definitions load: the cave job that automation launches, and whether it starts on."""

from __future__ import annotations

import importlib

import dagster as dg

from dhf_assets.lib.runtime.settings import current_settings

CAVE_JOB_ENV = "DHF_CAVE_JOB"
AUTOMATION_ENV = "DHF_AUTOMATION_DEFAULT"
# Every job that builds one cave partition, with the module that defines it and what it needs installed.
CAVE_JOBS: dict[str, tuple[str, str]] = {
    "cave_job": ("dhf_assets.defs.jobs", "dagster (always installed)"),
    "cave_job_celery": ("dhf_assets.defs.scaleout.jobs", "dagster-celery[redis] and dagster-k8s"),
    "cave_job_k8s": ("dhf_assets.defs.scaleout.jobs", "dagster-k8s and dagster-celery[redis]"),
}
CAVE_JOB_NAMES = tuple(CAVE_JOBS)


class AutomationSettingError(ValueError):
    """A DHF_* automation setting that cannot be honoured; the message says what to change."""


def automation_cave_job() -> dg.UnresolvedAssetJobDefinition:
    """The job named by DHF_CAVE_JOB (default cave_job); refused at load when unknown or not installed."""
    name = current_settings().cave_job
    if name not in CAVE_JOBS:
        raise AutomationSettingError(f"{CAVE_JOB_ENV}={name!r} is not a cave job; use one of {', '.join(CAVE_JOBS)}")
    module_name, packages = CAVE_JOBS[name]
    module = importlib.import_module(module_name)
    job = getattr(module, name, None)
    if job is None:
        raise AutomationSettingError(
            f"{CAVE_JOB_ENV}={name} needs {packages}, which cannot be imported here "
            f"({getattr(module, 'SCALEOUT_IMPORT_ERROR', 'not defined')}); install them "
            f"(pip install -c requirements/constraints.txt 'dhf[scaleout]') or set {CAVE_JOB_ENV}=cave_job"
        )
    return job


def _status() -> str:
    value = current_settings().automation_default.lower()
    if value not in ("running", "stopped"):
        raise AutomationSettingError(f"{AUTOMATION_ENV}={value!r}: use 'running' or 'stopped'")
    return value


def sensor_default_status() -> dg.DefaultSensorStatus:
    """RUNNING unless DHF_AUTOMATION_DEFAULT=stopped; a status set in the UI always wins."""
    return dg.DefaultSensorStatus.RUNNING if _status() == "running" else dg.DefaultSensorStatus.STOPPED


def schedule_default_status() -> dg.DefaultScheduleStatus:
    return dg.DefaultScheduleStatus.RUNNING if _status() == "running" else dg.DefaultScheduleStatus.STOPPED

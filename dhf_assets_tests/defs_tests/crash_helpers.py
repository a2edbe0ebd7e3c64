"""Shared by the crash tests: a private environment per build, waiting on the instance, table snapshots."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

import dagster as dg
import duckdb
from dagster._core.events import DagsterEventType

from dhf_assets_tests.conftest import REPO_ROOT

CAVE = "YL025"  # the smallest sample cave: 12 faces, 8 in the 3k subset
FAST = {"DHF_DETECTORS": "mtcnn", "DHF_UPSCALER": "lanczos", "DHF_AUTO_ACCEPT": "0.9995"}
# Timestamps (when something was built, scanned, auto-reviewed) and durations differ between any two builds.
VOLATILE_COLUMNS = {"seconds"}
RELEASE_DATE = re.compile(r"(?<=^exports/releases/)\d{4}\.\d{2}\.\d{2}-")
DEADLINE_S = float(os.environ.get("DHF_CRASH_TEST_DEADLINE", "600"))


def environment(root: Path, archive: Path, **extra: str) -> dict[str, str]:
    """Settings of one private dhf installation (output, DuckDB file, Dagster instance) over `archive`."""
    home = root / "dagster_home"
    home.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(REPO_ROOT / "dagster.yaml", home / "dagster.yaml")
    return {**os.environ, **FAST, "PYTHONUNBUFFERED": "1", "DHF_ARCHIVE_DIR": str(archive),
            "DHF_OUTPUT_DIR": str(root / "output"), "DHF_DUCKDB_PATH": str(root / "dhf.duckdb"),
            "DAGSTER_HOME": str(home), **extra}


BUILD = [sys.executable, "-m", "dhf_assets.cli", "build", "--cave", CAVE]


def start_build(env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(BUILD, env=env, cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def run_build(env: dict[str, str], timeout_s: float = DEADLINE_S) -> subprocess.CompletedProcess:
    return subprocess.run(BUILD, env=env, cwd=REPO_ROOT, capture_output=True, text=True, timeout=timeout_s)


def open_instance(env: dict[str, str]) -> dg.DagsterInstance:
    """The build's instance, opened from this process: its storage section reads $DAGSTER_HOME (dagster.yaml)."""
    previous = os.environ.get("DAGSTER_HOME")
    os.environ["DAGSTER_HOME"] = env["DAGSTER_HOME"]
    try:
        return dg.DagsterInstance.from_config(env["DAGSTER_HOME"])
    finally:
        if previous is None:
            del os.environ["DAGSTER_HOME"]
        else:
            os.environ["DAGSTER_HOME"] = previous


def wait_for(found: Callable[[], object], build: subprocess.Popen | None, what: str, poll_s: float = 0.02):
    """Poll `found` until it returns something truthy; fail if the build exits first or time runs out."""
    deadline = time.monotonic() + DEADLINE_S
    while time.monotonic() < deadline:
        value = found()
        if value:
            return value
        if build is not None and build.poll() is not None:
            raise AssertionError(f"the build exited ({build.returncode}) before {what}:\n{build.stdout.read()[-3000:]}")
        time.sleep(poll_s)
    raise AssertionError(f"timed out waiting for {what}")


def new_cave_runs(instance: dg.DagsterInstance, known: set[str]) -> list[str]:
    return [r.run_id for r in instance.get_runs(dg.RunsFilter(job_name="cave_job")) if r.run_id not in known]


def step_events(instance: dg.DagsterInstance, run_id: str, event_type: DagsterEventType) -> set[str]:
    records = instance.get_records_for_run(run_id, of_type=event_type).records
    return {r.event_log_entry.step_key for r in records}


def slot_holders(instance: dg.DagsterInstance) -> dict[str, list[tuple[str, str]]]:
    """pool -> (run id, step) of every claimed slot, and of every step still queued for one."""
    storage = instance.event_log_storage
    infos = storage.get_concurrency_infos(sorted(storage.get_concurrency_keys()))
    return {
        pool: [(s.run_id, s.step_key) for s in info.claimed_slots]
        + [(p.run_id, p.step_key) for p in info.pending_steps]
        for pool, info in infos.items()
        if info.claimed_slots or info.pending_steps
    }


def snapshot(env: dict[str, str]) -> tuple[dict[str, list[tuple]], set[str]]:
    """Every table (volatile columns left out, rows sorted) and every file under the output folder."""
    con = duckdb.connect(env["DHF_DUCKDB_PATH"], read_only=True)  # the file opens
    try:
        tables = {}
        for (table,) in con.execute(
            "select table_name from information_schema.tables where table_type = 'BASE TABLE'"
        ).fetchall():
            columns = [
                c
                for c, kind in con.execute(
                    "select column_name, data_type from information_schema.columns "
                    "where table_name = ? order by ordinal_position",
                    [table],
                ).fetchall()
                if c not in VOLATILE_COLUMNS and not kind.startswith(("TIMESTAMP", "DATE"))
            ]
            rows = con.execute(f"select {', '.join(columns)} from {table}").fetchall()
            tables[table] = sorted(rows, key=repr)
    finally:
        con.close()
    output = Path(env["DHF_OUTPUT_DIR"])
    # A release is named `<date>-<content hash>`: the date is the build's, like the timestamps above.
    files = {RELEASE_DATE.sub("<date>-", p.relative_to(output).as_posix()) for p in output.rglob("*") if p.is_file()}
    return tables, files

import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest
import yaml

from dhf_assets import instance_storage
from dhf_assets.bundled import bundled_path
from dhf_assets.instance_storage import DhfSqliteStorage, EngineKeepingEventLogStorage

REPO_ROOT = Path(__file__).resolve().parents[2]


@dg.asset
def numbers() -> dg.MaterializeResult:
    return dg.MaterializeResult(metadata={"dagster/row_count": 3})


@dg.asset_check(asset=numbers)
def numbers_positive() -> dg.AssetCheckResult:
    return dg.AssetCheckResult(passed=True)


def _home(tmp_path, storage: dict | None):
    """An instance folder with the project's dagster.yaml, its storage section replaced when given."""
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    config = yaml.safe_load(bundled_path("dagster.yaml").read_text())
    if storage is not None:
        config["storage"] = storage
    (home / "dagster.yaml").write_text(yaml.safe_dump(config))
    return home


def _materialize(home) -> str:
    with dg.DagsterInstance.from_config(str(home)) as instance:
        result = dg.materialize([numbers, numbers_positive], instance=instance)
        assert result.success
        return result.run_id


def test_the_project_instance_keeps_one_engine_per_event_log_file(tmp_path, monkeypatch):
    home = _home(tmp_path, None)
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    made = []
    real = instance_storage.create_engine
    monkeypatch.setattr(instance_storage, "create_engine", lambda *a, **k: made.append(a[0]) or real(*a, **k))
    with dg.DagsterInstance.from_config(str(home)) as instance:
        storage = instance.event_log_storage
        assert isinstance(storage, EngineKeepingEventLogStorage)
        for _ in range(2):
            assert dg.materialize([numbers, numbers_positive], instance=instance).success
        # Dozens of events stored, yet one engine for the index file and one per run's file.
        assert len(made) == len(set(made)) == 3
        records = instance.get_records_for_run(instance.get_runs()[0].run_id).records
        assert any(r.event_log_entry.dagster_event_type == dg.DagsterEventType.ASSET_MATERIALIZATION
                   for r in records)
        assert instance.get_latest_materialization_event(dg.AssetKey("numbers")) is not None
        check = instance.event_log_storage.get_latest_asset_check_execution_by_key(
            [dg.AssetCheckKey(dg.AssetKey("numbers"), "numbers_positive")])
        assert len(check) == 1


@pytest.mark.parametrize("first, then", [("dhf", "dagster"), ("dagster", "dhf")])
def test_the_files_are_dagsters_own_either_storage_reads_the_other(tmp_path, monkeypatch, first, then):
    sections = {"dhf": None, "dagster": {"sqlite": {"base_dir": {"env": "DAGSTER_HOME"}}}}
    home = _home(tmp_path, sections[first])
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    run_id = _materialize(home)
    _home(tmp_path, sections[then])
    with dg.DagsterInstance.from_config(str(home)) as instance:
        assert isinstance(instance.event_log_storage, EngineKeepingEventLogStorage) == (then == "dhf")
        assert instance.get_run_by_id(run_id).is_success
        materialization = instance.get_latest_materialization_event(dg.AssetKey("numbers"))
        assert materialization.run_id == run_id


def test_engines_of_files_not_used_lately_are_disposed(tmp_path, monkeypatch):
    monkeypatch.setattr(instance_storage, "MAX_ENGINES", 2)
    storage = DhfSqliteStorage.from_local(str(tmp_path))
    events = storage.event_log_storage
    for shard in ("a", "b", "a", "c"):
        with events.run_connection(shard) as conn:
            conn.exec_driver_sql("select 1")
    assert list(events._engines) == ["a", "c"]
    events.dispose()
    assert not events._engines


def test_idle_kept_connections_lock_nothing_another_process_writes_meanwhile(tmp_path, monkeypatch):
    home = _home(tmp_path, None)
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    other = ("import dagster as dg\n"
             "from dhf_assets_tests.defs_tests.test_instance_storage import numbers, numbers_positive\n"
             f"with dg.DagsterInstance.from_config({str(home)!r}) as instance:\n"
             "    print(dg.materialize([numbers, numbers_positive], instance=instance).run_id)\n")
    with dg.DagsterInstance.from_config(str(home)) as instance:
        mine = dg.materialize([numbers, numbers_positive], instance=instance).run_id
        index = instance.event_log_storage._engines["index"]
        assert index.pool.checkedin() == 1  # kept open, idle, between uses
        theirs = subprocess.run([sys.executable, "-c", other], capture_output=True, text=True, check=True,
                                cwd=REPO_ROOT, env={**os.environ, "PYTHONPATH": str(REPO_ROOT)}).stdout.split()[-1]
        assert {run.run_id for run in instance.get_runs()} == {mine, theirs}
        assert instance.get_latest_materialization_event(dg.AssetKey("numbers")).run_id == theirs
        assert dg.materialize([numbers], instance=instance).success  # and this process still writes

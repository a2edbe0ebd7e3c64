"""Fixtures for Dagster-level tests: a private archive, output folder, DuckDB file and instance."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest

from dhf_assets.defs.catalog.assets import caves, vocabulary
from dhf_assets.defs.faces.assets import faces
from dhf_assets.defs.murals.assets import murals
from dhf_assets.defs.partitions import CAVES_PARTITION
from dhf_assets.defs.quarantine import quarantine
from dhf_assets.defs.resources import DhfStore
from dhf_assets.lib.storage.db import query

CAVE_ASSETS = [murals, faces, quarantine]


@pytest.fixture
def paths(tmp_path, monkeypatch) -> dict[str, Path]:
    values = {
        "DHF_ARCHIVE_DIR": tmp_path / "archive",
        "DHF_OUTPUT_DIR": tmp_path / "output",
        "DHF_DUCKDB_PATH": tmp_path / "dhf.duckdb",
        "DAGSTER_HOME": tmp_path / "dagster_home",
    }
    for name, value in values.items():
        monkeypatch.setenv(name, str(value))
    values["DAGSTER_HOME"].mkdir()
    return values


@pytest.fixture
def store(paths) -> DhfStore:
    return DhfStore(
        archive_dir=str(paths["DHF_ARCHIVE_DIR"]),
        output_dir=str(paths["DHF_OUTPUT_DIR"]),
        duckdb_path=str(paths["DHF_DUCKDB_PATH"]),
    )


@pytest.fixture
def instance():
    with dg.instance_for_test() as inst:
        yield inst


def build_catalog(store: DhfStore, instance: dg.DagsterInstance) -> dg.ExecuteInProcessResult:
    return dg.materialize([vocabulary, caves], resources={"store": store}, instance=instance)


def build_cave(store: DhfStore, instance: dg.DagsterInstance, cave_id: str, raise_on_error: bool = True):
    if cave_id not in instance.get_dynamic_partitions(CAVES_PARTITION):
        instance.add_dynamic_partitions(CAVES_PARTITION, [cave_id])
    return dg.materialize(
        CAVE_ASSETS, partition_key=cave_id, resources={"store": store}, instance=instance,
        raise_on_error=raise_on_error,
    )


def rows(store: DhfStore, sql: str, params=()) -> list[tuple]:
    return query(store.database, sql, params)[1]

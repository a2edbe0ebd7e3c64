"""dbt build over one connection: dependency order, tests as soon as they can run, nothing built on a failed test."""

from __future__ import annotations

from pathlib import Path

import pytest

from dhf_assets.lib.storage import db
from dhf_assets.lib.storage.sql_build import build_models
from dhf_assets.lib.storage.sql_models import (
    discover_models,
    load_schema_tests,
    order_models,
    preview,
    run_model,
    run_schema_test,
)

# stg_a -> m1 -> m2 and stg_a -> z1 -> z2; stg_b -> m3. m1's relationships test reads z2.
PROJECT = {
    "staging/stg_a.sql": "-- A.\nselect cave_id, period from caves",
    "staging/stg_b.sql": "-- B.\nselect cave_id, mural_id from murals",
    "marts/m1.sql": "-- M1.\nselect * from stg_a",
    "marts/m2.sql": "-- M2.\nselect * from m1",
    "marts/m3.sql": "-- M3.\nselect * from stg_b",
    "marts/z1.sql": "-- Z1.\nselect * from stg_a",
    "marts/z2.sql": "-- Z2.\nselect * from z1",
    "staging/schema.yml": """
models:
  - name: stg_a
    columns:
      - name: period
        tests: [{accepted_values: [HT, MT]}]
""",
    "marts/schema.yml": """
models:
  - name: m1
    columns:
      - name: cave_id
        tests: [{relationships: {to: "ref('z2')", field: cave_id}}]
  - name: m3
    columns:
      - name: mural_id
        tests: [unique]
""",
}


@pytest.fixture
def project(tmp_path) -> tuple[list, list, Path]:
    for relative, text in PROJECT.items():
        (tmp_path / "sql" / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "sql" / relative).write_text(text)
    models = discover_models(tmp_path / "sql")
    database = tmp_path / "dhf.duckdb"
    with db.write_connection(database) as con:
        con.execute("insert into caves values ('C1', 'MC', 'HT', 'IDRS'), ('C2', 'YC', 'MT', 'DS')")
        con.execute("insert into murals (cave_id, mural_id, path, sha256, width, height, format, exif_orientation, "
                    "period, period_source) values ('C1', 'w', 'p', 's', 1, 1, 'PNG', 1, 'HT', 'cave')")
    return models, load_schema_tests(tmp_path / "sql", models), database


def test_a_model_waits_for_what_its_upstream_tests_read(project):
    models, tests, _ = project
    assert [m.name for m in order_models(models)] == ["stg_a", "stg_b", "m1", "m3", "z1", "m2", "z2"]
    assert [m.name for m in order_models(models, tests)] == ["stg_a", "stg_b", "m1", "m3", "z1", "z2", "m2"]


@pytest.mark.parametrize(("tamper", "failed", "not_built"), [
    ("", [], {}),
    ("update caves set period = 'XX' where cave_id = 'C2'", ["stg_a__period__accepted_values"],
     {name: "stg_a failed stg_a__period__accepted_values" for name in ("m1", "z1", "z2", "m2")}),
    ("insert into murals select * from murals", ["m3__mural_id__unique"], {}),
], ids=["good", "staging-test-fails", "leaf-test-fails"])
def test_build_runs_in_order_and_skips_below_a_failed_test(project, tamper, failed, not_built):
    models, tests, database = project
    with db.write_connection(database) as con:
        if tamper:
            con.execute(tamper)
        result = build_models(con, models, tests, preview_rows=1)
    assert [o.test.name for o in result.failed_tests] == failed
    assert result.skipped_models == not_built
    built = [run for run in result.models if run.row_count is not None]
    assert all(run.columns and len(run.rows) == 1 for run in built)
    assert {run.model.name for run in built} == {m.name for m in models} - set(not_built)
    ran = ["stg_a__period__accepted_values", "m3__mural_id__unique", "m1__cave_id__relationships"]
    assert [o.test.name for o in result.tests] == (ran[:2] if not_built else ran)  # m1's test waited for z2
    assert [(s.test.name, s.reason) for s in result.skipped_tests] == (
        [("m1__cave_id__relationships", "not run: m1, z2 not built")] if not_built else [])
    if failed == ["stg_a__period__accepted_values"]:
        assert result.skipped_below("stg_a") == ["m1", "z1", "z2", "m2"]
        assert db.query(database, "select count(*) from duckdb_tables() where table_name in ('m1', 'm2')")[1] == [(0,)]


def test_tests_alone_read_the_current_tables(project):
    models, tests, database = project
    with db.write_connection(database) as con:
        build_models(con, models, [])
        con.execute("delete from z2")
        result = build_models(con, [], tests)
    assert result.models == [] and [o.test.name for o in result.failed_tests] == ["m1__cave_id__relationships"]
    assert result.failed_tests[0].offending == [{"cave_id": "C1", "n_rows": 1}, {"cave_id": "C2", "n_rows": 1}]


@pytest.mark.parametrize("on", ["file", "open connection"])
def test_model_preview_and_test_run_on_the_file_or_an_open_connection(project, on):
    models, tests, database = project
    stg_a, a_test = next(m for m in models if m.name == "stg_a"), next(t for t in tests if t.model == "stg_a")
    con = db.connect(database) if on == "open connection" else None
    target = con or database
    try:
        assert run_model(target, stg_a) == 2
        assert preview(target, "stg_a", 1) == (["cave_id", "period"], [("C1", "HT")])
        assert run_schema_test(target, a_test).passed
    finally:
        if con is not None:
            con.close()

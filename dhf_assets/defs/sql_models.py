"""SQL models: one asset per `.sql` file of dbt_like_sql/, each schema.yml test an asset check on it."""

from typing import Iterable, Iterator

import dagster as dg

from dhf_assets.defs.pools import pool_slot
from dhf_assets.defs.resources import DhfStore
from dhf_assets.lib.storage.sql_models import (
    SchemaTest,
    SqlModel,
    discover_models,
    load_schema_tests,
    preview,
    run_model,
    run_schema_test,
)
from dhf_assets.lib.text.markdown import markdown_table, preview_cell

PREVIEW_ROWS = 10
# One model writes the DuckDB file at a time across runs (the step claims the slot itself: defs/pools.py).
DUCKDB_POOL = "duckdb"
# Python tables written by an asset of another name (`quarantine` closes a cave's build and records
# it in cave_builds); bookkeeping tables that no single asset owns (the archive scan, every asset's
# fingerprints) may be read but are not drawn as upstream assets.
TABLE_WRITERS = {"face_detections": "face_candidates", "review_history": "face_reviews", "cave_builds": "quarantine"}
UNMANAGED_TABLES = frozenset({"asset_fingerprints"})


def as_assets(relations: Iterable[str]) -> list[str]:
    """Asset keys of models and Python tables (a table is drawn as the asset that writes it)."""
    return sorted({TABLE_WRITERS.get(r, r) for r in relations if r not in UNMANAGED_TABLES})


def upstream_assets(model: SqlModel) -> list[str]:
    """The models and Python assets the model reads."""
    return as_assets([*model.depends_on, *model.reads_tables])


def build_model_asset(model: SqlModel) -> dg.AssetsDefinition:
    @dg.asset(
        name=model.name,
        deps=upstream_assets(model),
        group_name=model.layer,
        kinds={"duckdb", "sql"},
        tags={"dhf/pool": DUCKDB_POOL},
        description=model.description,
        code_version=model.code_version,
        metadata={"sql_file": f"dbt_like_sql/{model.layer}/{model.path.name}",
                  "materialized_as": model.materialization},
    )
    def _model(context: dg.AssetExecutionContext, store: DhfStore) -> dg.MaterializeResult:
        with pool_slot(context, DUCKDB_POOL):
            row_count = run_model(store.database, model)
        columns, rows = preview(store.database, model.name, PREVIEW_ROWS)
        return dg.MaterializeResult(metadata={
            "dagster/row_count": row_count,
            "preview": dg.MetadataValue.md(markdown_table(columns, rows, preview_cell)),
        })

    return _model


def build_model_checks(model: str, tests: list[SchemaTest]) -> dg.AssetChecksDefinition:
    """The schema.yml tests of one model, in one step; a failing test blocks the model's downstream."""

    @dg.multi_asset_check(
        name=f"{model}_schema_tests",
        specs=[dg.AssetCheckSpec(t.name, asset=model, description=t.description, blocking=True,
                                 additional_deps=as_assets(set(t.reads) - {model})) for t in tests],
    )
    def _checks(store: DhfStore) -> Iterator[dg.AssetCheckResult]:
        for test in tests:
            outcome = run_schema_test(store.database, test)
            yield dg.AssetCheckResult(
                asset_key=model,
                check_name=test.name,
                passed=outcome.passed,
                severity=dg.AssetCheckSeverity.ERROR,
                description=test.description if outcome.passed else f"{outcome.failures} offending: {test.description}",
                metadata={
                    "offending_count": outcome.failures,
                    "offending": dg.MetadataValue.json(outcome.offending),
                    "sql": dg.MetadataValue.md(f"```sql\n{test.sql}\n```"),
                },
            )

    return _checks


def sql_model_definitions() -> tuple[list[dg.AssetsDefinition], list[dg.AssetChecksDefinition]]:
    models = discover_models()
    tests = load_schema_tests(models=models)
    by_model: dict[str, list[SchemaTest]] = {}
    for test in tests:
        by_model.setdefault(test.model, []).append(test)
    return ([build_model_asset(m) for m in models],
            [build_model_checks(model, model_tests) for model, model_tests in by_model.items()])


@dg.definitions
def sql_models() -> dg.Definitions:
    assets, checks = sql_model_definitions()
    return dg.Definitions(assets=assets, asset_checks=checks)

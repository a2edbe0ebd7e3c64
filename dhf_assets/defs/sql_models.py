"""SQL models: one asset per `.sql` file of dbt_like_sql/, each schema.yml test an asset check on it,
all run by one step (as dagster-dbt runs a dbt project) over one DuckDB connection."""

from typing import Iterable, Iterator

import dagster as dg

from dhf_assets.defs.pools import pool_slot
from dhf_assets.defs.resources import DhfStore
from dhf_assets.lib.storage import db
from dhf_assets.lib.storage.sql_build import BuildResult, build_models
from dhf_assets.lib.storage.sql_models import SchemaTest, SqlModel, TestOutcome, discover_models, load_schema_tests
from dhf_assets.lib.text.markdown import markdown_table, preview_cell

STEP_NAME = "sql_models"
PREVIEW_ROWS = 10
# One step writes the DuckDB file at a time across runs (the step claims the slot itself: defs/pools.py).
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


def model_spec(model: SqlModel) -> dg.AssetSpec:
    return dg.AssetSpec(
        model.name,
        deps=upstream_assets(model),
        description=model.description,
        metadata={"sql_file": f"dbt_like_sql/{model.layer}/{model.path.name}",
                  "materialized_as": model.materialization},
        group_name=model.layer,
        code_version=model.code_version,
        tags={"dhf/pool": DUCKDB_POOL},
        kinds={"duckdb", "sql"},
    )


def test_spec(test: SchemaTest, models: set[str]) -> dg.AssetCheckSpec:
    # A failing test stops what is built on its model, in this step and after it (blocking).
    return dg.AssetCheckSpec(test.name, asset=test.model, description=test.description, blocking=True,
                             additional_deps=as_assets(set(test.reads) - models))


def check_result(outcome: TestOutcome, result: BuildResult) -> dg.AssetCheckResult:
    test = outcome.test
    metadata = {"offending_count": outcome.failures, "offending": dg.MetadataValue.json(outcome.offending),
                "sql": dg.MetadataValue.md(f"```sql\n{test.sql}\n```")}
    if not outcome.passed:
        metadata["not_built_downstream"] = dg.MetadataValue.json(result.skipped_below(test.model))
    return dg.AssetCheckResult(
        asset_key=test.model, check_name=test.name, passed=outcome.passed, severity=dg.AssetCheckSeverity.ERROR,
        description=test.description if outcome.passed else f"{outcome.failures} offending: {test.description}",
        metadata=metadata,
    )


def failure(result: BuildResult) -> dg.Failure:
    """The step's failure when a test failed: which tests, and which models were not built because of them."""
    failed = [o.test.name for o in result.failed_tests]
    skipped = result.skipped_models
    text = f"{len(failed)} schema test(s) failed: {', '.join(failed)}"
    if skipped:
        text += f"; not built: {', '.join(f'{name} ({why})' for name, why in skipped.items())}"
    return dg.Failure(description=text, metadata={"failed_tests": dg.MetadataValue.json(failed),
                                                  "not_built": dg.MetadataValue.json(skipped)})


def run_build(context: dg.AssetExecutionContext, store: DhfStore, models: list[SqlModel],
              tests: list[SchemaTest]) -> BuildResult:
    """The models and tests on one connection: a write connection in the `duckdb` slot, or, for tests
    alone (`dhf check`), a read-only one on what the tables hold now."""
    if models:
        with pool_slot(context, DUCKDB_POOL), db.write_connection(store.database) as con:
            return build_models(con, models, tests, PREVIEW_ROWS)
    with db.connect(store.database, read_only=True) as con:
        return build_models(con, [], tests)


def build_sql_models(models: list[SqlModel], tests: list[SchemaTest]) -> dg.AssetsDefinition:
    names = {m.name for m in models}

    @dg.multi_asset(
        name=STEP_NAME,
        specs=[model_spec(m) for m in models],
        check_specs=[test_spec(t, names) for t in tests],
        can_subset=True,
    )
    def _sql_models(context: dg.AssetExecutionContext, store: DhfStore) -> Iterator:
        """Build the selected SQL models in dependency order and run their selected schema tests."""
        selected = {key.to_user_string() for key in context.selected_asset_keys}
        checks = {key.name for key in context.selected_asset_check_keys}
        to_build = [m for m in models if m.name in selected]
        to_test = [t for t in tests if t.name in checks]
        result = run_build(context, store, to_build, to_test)
        outcomes = {o.test.model: [] for o in result.tests}
        for outcome in result.tests:
            outcomes[outcome.test.model].append(outcome)
        for run in result.models:  # dependency order, as Dagster requires of a multi-asset
            if run.row_count is None:
                context.log.warning(f"{run.model.name} not built: {run.skipped_because}")
                continue
            yield dg.MaterializeResult(asset_key=run.model.name, metadata={
                "dagster/row_count": run.row_count,
                "preview": dg.MetadataValue.md(markdown_table(run.columns, run.rows, preview_cell)),
            })
            yield from (check_result(o, result) for o in outcomes.pop(run.model.name, []))
        yield from (check_result(o, result) for model_outcomes in outcomes.values() for o in model_outcomes)
        for skipped in result.skipped_tests:
            context.log.warning(f"schema test {skipped.test.name} {skipped.reason}")
        if result.failed_tests:
            raise failure(result)

    return _sql_models


def sql_model_definitions() -> dg.AssetsDefinition:
    """The one multi-asset of every SQL model and schema test."""
    models = discover_models()
    return build_sql_models(models, load_schema_tests(models=models))


@dg.definitions
def sql_models() -> dg.Definitions:
    return dg.Definitions(assets=[sql_model_definitions()])

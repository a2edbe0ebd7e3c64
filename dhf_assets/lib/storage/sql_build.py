"""What `dbt build` does, over one open DuckDB connection: the selected models in dependency order,
each schema test as soon as its model and what it reads are built, and no model built on one whose
test failed (nor on one skipped for that reason); every skipped model and test says why."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import duckdb

from dhf_assets.lib.storage.sql_models import (
    SchemaTest,
    SqlModel,
    TestOutcome,
    order_models,
    preview,
    run_model,
    run_schema_test,
)


@dataclass(frozen=True)
class ModelRun:
    """One selected model: its row count and first rows, or why it was not built."""

    model: SqlModel
    row_count: int | None = None  # None: not built
    columns: list[str] = field(default_factory=list)
    rows: list[tuple] = field(default_factory=list)
    skipped_because: str = ""


@dataclass(frozen=True)
class SkippedTest:
    test: SchemaTest
    reason: str


@dataclass
class BuildResult:
    models: list[ModelRun] = field(default_factory=list)  # dependency order
    tests: list[TestOutcome] = field(default_factory=list)  # run order
    skipped_tests: list[SkippedTest] = field(default_factory=list)

    @property
    def failed_tests(self) -> list[TestOutcome]:
        return [outcome for outcome in self.tests if not outcome.passed]

    @property
    def skipped_models(self) -> dict[str, str]:
        return {run.model.name: run.skipped_because for run in self.models if run.row_count is None}

    def skipped_below(self, model: str) -> list[str]:
        """The models not built because a test of `model` failed."""
        return [run.model.name for run in self.models
                if run.row_count is None and run.skipped_because.startswith(f"{model} failed ")]


def build_models(con: duckdb.DuckDBPyConnection, models: Sequence[SqlModel], tests: Sequence[SchemaTest],
                 preview_rows: int = 10) -> BuildResult:
    """Build `models` and run `tests` (on them or on models not rebuilt) on `con`, the dbt build way."""
    result = BuildResult()
    to_build = {model.name for model in models}
    finished: set[str] = set()
    # model -> why nothing may be built on it: "<model> failed <tests>" (its own, or an upstream model's)
    blocked: dict[str, str] = {}
    pending = list(tests)

    def run_ready_tests() -> None:
        for test in list(pending):
            needs = {test.model, *test.reads} & to_build
            if not needs <= finished:
                continue
            pending.remove(test)
            unbuilt = sorted(needs & set(result.skipped_models))
            if unbuilt:
                result.skipped_tests.append(SkippedTest(test, f"not run: {', '.join(unbuilt)} not built"))
                continue
            outcome = run_schema_test(con, test)
            result.tests.append(outcome)
            if not outcome.passed:
                failed = [o.test.name for o in result.failed_tests if o.test.model == test.model]
                blocked[test.model] = f"{test.model} failed {', '.join(failed)}"

    run_ready_tests()  # tests on models this build does not rebuild run first, against the current tables
    for model in order_models(models, tests):
        upstream = sorted(dep for dep in model.depends_on if dep in blocked)
        if upstream:
            blocked[model.name] = blocked[upstream[0]]
            result.models.append(ModelRun(model, skipped_because=blocked[upstream[0]]))
        else:
            row_count = run_model(con, model)
            columns, rows = preview(con, model.name, preview_rows)
            result.models.append(ModelRun(model, row_count, columns, rows))
        finished.add(model.name)
        run_ready_tests()
    return result

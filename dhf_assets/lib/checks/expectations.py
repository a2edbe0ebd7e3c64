"""Great Expectations 1.x on in-memory frames: pass/fail with the offending rows named by id.

dagster-ge does not support GX 1.x, so the asset checks call GX directly through this module.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass, field
from typing import Any, Sequence

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

MAX_OFFENDING = 50  # rows shown per failing expectation; the count is always complete


@dataclass(frozen=True)
class Outcome:
    expectation: str
    column: str | None
    passed: bool
    unexpected_count: int
    offending: list[dict[str, Any]] = field(default_factory=list)

    @property
    def summary(self) -> str:
        outcome = "ok" if self.passed else f"{self.unexpected_count} row(s) fail"
        return f"{self.expectation}({self.column or ''}): {outcome}"


@functools.lru_cache(maxsize=1)
def _batch_definition() -> Any:
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    source = context.data_sources.add_pandas("dhf")
    return source.add_dataframe_asset("frame").add_batch_definition_whole_dataframe("whole")


def _plain(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value


def validate(frame: Any, expectations: Sequence[Any], id_column: str) -> list[Outcome]:
    """Validate a pandas frame against GX expectations; each outcome lists offending (id, value) rows."""
    import great_expectations as gx

    batch = _batch_definition().get_batch(batch_parameters={"dataframe": frame})
    result_format = {"result_format": "COMPLETE", "unexpected_index_column_names": [id_column]}
    # One suite, one validation: GX computes the metrics of all expectations together (2x faster
    # than one validation per expectation); its results come in the suite's order.
    suite = gx.ExpectationSuite(name="dhf", expectations=list(expectations))
    results = batch.validate(suite, result_format=result_format).results if expectations else []
    outcomes = []
    for expectation, result in zip(expectations, results, strict=True):
        details = result.result or {}
        rows = details.get("unexpected_index_list") or []
        offending = [{k: _plain(v) for k, v in row.items()} for row in rows[:MAX_OFFENDING]]
        outcomes.append(Outcome(
            expectation=type(expectation).__name__,
            column=getattr(expectation, "column", None),
            passed=bool(result.success),
            unexpected_count=int(details.get("unexpected_count") or len(rows)),
            offending=offending,
        ))
    return outcomes

"""Data-quality checks: great-expectations called inside the checked asset's own step, as blocking asset checks.

A check runs in its asset's step (no step of its own: a step costs Dagster ~6 events and ~0.1 s), right after
the asset's rows are written. When it fails with ERROR severity, Dagster fails the step, so the asset's
downstream steps in the run do not run. `dhf check` (cave_checks_job) selects only the checks: the step then
runs them against the current tables without rebuilding the asset (the assets are subsettable).
A check whose inputs (rows, vocabulary, definition) equal those of its last passing evaluation reuses that result
without importing Great Expectations (lib/checks/reuse.py); `dhf check` and forced runs always validate.
"""

import functools
import inspect
from typing import Any, Callable, Iterator

import dagster as dg

from dhf_assets.defs.incremental.skip import FORCE_TAG
from dhf_assets.defs.partitions import caves_partitions
from dhf_assets.defs.resources import DhfStore
from dhf_assets.lib.checks.reuse import fingerprint_key
from dhf_assets.lib.checks.table_checks import CHECKS, CheckRun, TableCheck, run_table_checks
from dhf_assets.lib.runtime.test_hold import hold_if_asked


def check_key(check: TableCheck) -> dg.AssetCheckKey:
    return dg.AssetCheckKey(dg.AssetKey(check.asset), check.name)


def check_specs(*assets: str) -> list[dg.AssetCheckSpec]:
    """The blocking check specs of these assets, partitioned by cave like the assets."""
    return [dg.AssetCheckSpec(check.name, asset=check.asset, description=check.description, blocking=True,
                              partitions_def=caves_partitions) for check in CHECKS if check.asset in assets]


def check_result(run: CheckRun, cave_id: str) -> dg.AssetCheckResult:
    """The Dagster result of one evaluation; the metadata names each expectation and offending row, or says
    which passing evaluation was reused."""
    check = run.check
    if run.reused_from is not None:
        return dg.AssetCheckResult(
            asset_key=check.asset, check_name=check.name, passed=True, severity=dg.AssetCheckSeverity.ERROR,
            description=f"reused: the same rows, vocabulary and check passed at {run.reused_from:%Y-%m-%d %H:%M:%S %Z}",
            metadata={"reused": True, "fingerprint": run.fingerprint,
                      "validated_at": run.reused_from.isoformat(),
                      "reuse_reason": "inputs unchanged since the recorded passing evaluation "
                                      f"(asset_fingerprints, cave {cave_id}, {fingerprint_key(check.name)})"},
        )
    failed = [o for o in run.outcomes if not o.passed]
    offending = [dict(row, expectation=o.summary) for o in failed for row in o.offending]
    return dg.AssetCheckResult(
        asset_key=check.asset,
        check_name=check.name,
        passed=not failed,
        severity=dg.AssetCheckSeverity.ERROR,
        description="; ".join(o.summary for o in failed) or f"{len(run.outcomes)} expectations met",
        metadata={
            "expectations": dg.MetadataValue.json({o.summary: o.passed for o in run.outcomes}),
            "offending_rows": dg.MetadataValue.json(offending),
            "offending_count": sum(o.unexpected_count for o in failed),
            "reused": False,
            "fingerprint": run.fingerprint,
        },
    )


def selected_check_results(context: dg.AssetExecutionContext, store: DhfStore) -> Iterator[dg.AssetCheckResult]:
    """The results of the step's selected checks, in CHECKS order: one connection reads all their inputs.

    A passing result is reused when its inputs are unchanged, except in a checks-only run (`dhf check`) or a
    run tagged dhf/force=true, which always validate; a checks-only run records nothing.
    """
    selected = [check for check in CHECKS if check_key(check) in context.selected_asset_check_keys]
    if not selected:
        return
    for check in selected:
        hold_if_asked(f"check:{check.name}")  # crash tests: the asset's rows are written, its check starts
    cave_id = context.partition_key
    building = bool(context.selected_asset_keys)  # not a checks-only run (dhf check), which only reads
    reuse_passed = building and context.run.tags.get(FORCE_TAG) != "true"
    for run in run_table_checks(selected, store.database, store.output, cave_id, reuse_passed, record_passed=building):
        yield check_result(run, cave_id)


def checked_asset(*, deps: list[Any], group_name: str, kinds: set[str], code_version: str | None = None,
                  tags: dict[str, str] | None = None, op_tags: dict[str, Any] | None = None) -> Callable:
    """`@dg.asset` for a per-cave asset with checks in CHECKS: the body's result, then its checks, in one step.

    The body takes the context and a `store` (plus any resource or config) and returns its MaterializeResult.
    """

    def decorate(body: Callable[..., dg.MaterializeResult]) -> dg.AssetsDefinition:
        name = body.__name__
        spec = dg.AssetSpec(name, deps=deps, group_name=group_name, kinds=kinds, code_version=code_version,
                            tags=tags, description=inspect.getdoc(body))

        @functools.wraps(body)
        def step(context: dg.AssetExecutionContext, **kwargs: Any) -> Iterator[Any]:
            if context.selected_asset_keys:  # not a checks-only run (dhf check)
                yield body(context, **kwargs)
            yield from selected_check_results(context, kwargs["store"])

        step.__signature__ = inspect.signature(body).replace(return_annotation=inspect.Signature.empty)
        return dg.multi_asset(name=name, specs=[spec], check_specs=check_specs(name), can_subset=True,
                              partitions_def=caves_partitions, op_tags=op_tags)(step)

    return decorate

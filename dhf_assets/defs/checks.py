"""Data-quality checks: great-expectations called inside blocking, per-cave Dagster asset checks."""

import dagster as dg

from dhf_assets.defs.partitions import caves_partitions
from dhf_assets.defs.resources import DhfStore
from dhf_assets.lib.checks.table_checks import CHECKS, TableCheck, run_table_check


def build_check(check: TableCheck) -> dg.AssetChecksDefinition:
    """A blocking check: when it fails, the asset's downstream steps in the same run do not run."""

    @dg.asset_check(asset=check.asset, name=check.name, description=check.description, blocking=True,
                    partitions_def=caves_partitions)
    def _check(context: dg.AssetCheckExecutionContext, store: DhfStore) -> dg.AssetCheckResult:
        outcomes = run_table_check(check, store.database, store.output, context.partition_key)
        failed = [o for o in outcomes if not o.passed]
        offending = [dict(row, expectation=o.summary) for o in failed for row in o.offending]
        return dg.AssetCheckResult(
            passed=not failed,
            severity=dg.AssetCheckSeverity.ERROR,
            description="; ".join(o.summary for o in failed) or f"{len(outcomes)} expectations met",
            metadata={
                "expectations": dg.MetadataValue.json({o.summary: o.passed for o in outcomes}),
                "offending_rows": dg.MetadataValue.json(offending),
                "offending_count": sum(o.unexpected_count for o in failed),
            },
        )

    return _check


@dg.definitions
def checks() -> dg.Definitions:
    return dg.Definitions(asset_checks=[build_check(check) for check in CHECKS])

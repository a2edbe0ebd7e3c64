"""Skip by content, the Dagster side of lib/storage/incremental.py: a run's force tag in, a skipped step's result out.

Dagster records code versions and data versions but re-runs whatever is launched; this is the skip.
A run tagged `dhf/force=true` recomputes everything.
"""

import dagster as dg

from dhf_assets.defs.resources import DhfStore
from dhf_assets.lib.storage import incremental

FORCE_TAG = "dhf/force"


def begin(context: dg.AssetExecutionContext, store: DhfStore, asset: str, *config: str) -> incremental.Step:
    """The asset's step for the run's cave: its fingerprint now, the recorded one, and whether the run forces."""
    return incremental.begin(store.query, asset, context.partition_key, config,
                             force=context.run.tags.get(FORCE_TAG) == "true")


def skipped(step: incremental.Step) -> dg.MaterializeResult:
    """The result of a skipped step: same data version, current row count, and why."""
    return dg.MaterializeResult(
        metadata={"dagster/row_count": step.rows, "skipped": True,
                  "skip_reason": f"inputs and configuration unchanged (fingerprint {step.fingerprint})"},
        data_version=dg.DataVersion(step.fingerprint),
    )

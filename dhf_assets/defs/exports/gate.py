"""Which caves may be exported: those whose every per-cave check passed on its asset's latest materialization."""

from __future__ import annotations

from typing import Sequence

import dagster as dg
from dagster._core.event_api import PartitionKeyFilter
from dagster._core.storage.asset_check_execution_record import AssetCheckExecutionRecordStatus

from dhf_assets.lib.checks.table_checks import CHECKS


def _failure_description(instance: dg.DagsterInstance, key: dg.AssetCheckKey, cave_id: str) -> str:
    records = instance.event_log_storage.get_asset_check_execution_history(
        key, limit=1, partition_filter=PartitionKeyFilter(key=cave_id))
    evaluation = records[0].evaluation if records else None
    description = getattr(evaluation, "description", None)
    return f": {description}" if description else ""


def caves_left_out(instance: dg.DagsterInstance, cave_ids: Sequence[str]) -> dict[str, str]:
    """cave_id -> why it is not exported, for each cave whose checks did not all pass on current data.

    A check that never ran, failed, or last ran on an older materialization than the asset's latest
    (the asset was rebuilt and its check did not run again, e.g. it crashed) keeps its cave out.
    """
    keys = [dg.AssetCheckKey(dg.AssetKey(check.asset), check.name) for check in CHECKS]
    latest = {(info.check_key, info.partition_key): info for info in
              instance.event_log_storage.get_asset_check_partition_info(keys, partition_keys=list(cave_ids))}
    left_out: dict[str, str] = {}
    for cave_id in cave_ids:
        reasons = []
        for key in keys:
            info = latest.get((key, cave_id))
            if info is None:
                reasons.append(f"check {key.name} has not run")
            elif info.latest_execution_status == AssetCheckExecutionRecordStatus.FAILED:
                reasons.append(f"check {key.name} failed{_failure_description(instance, key, cave_id)}")
            elif info.latest_execution_status != AssetCheckExecutionRecordStatus.SUCCEEDED:
                reasons.append(f"check {key.name} did not complete")
            elif not info.is_current:
                reasons.append(f"check {key.name} has not run on the latest {key.asset_key.to_user_string()}")
        if reasons:
            left_out[cave_id] = "; ".join(reasons)
    return left_out

"""global_refresh_sensor: the SQL models, reports and exports follow every cave run, whoever launched it.

A cave run is any run that materialized a cave partition: `cave_job` (UI, archive_sensor, schedule,
backfill), `cave_job_celery`, `cave_job_k8s`, or a click on a partition in the asset graph. The sensor
waits until no cave run is queued or running and no backfill is in progress, then requests one refresh
for all cave runs finished since the last one. `dhf build` refreshes inline and tags its cave runs so;
its `marts_job` counts as a refresh. Views are re-created only when their SQL changed or they are missing.
"""

from __future__ import annotations

from datetime import datetime, timezone

import dagster as dg
from dagster._core.execution.backfill import BulkActionsFilter, BulkActionStatus

from dhf_assets.defs.automation.choices import sensor_default_status
from dhf_assets.defs.jobs import GLOBAL_REFRESH_SELECTION, cave_checks_job, marts_job, refresh_job
from dhf_assets.defs.resources import DhfStore
from dhf_assets.lib.storage import db
from dhf_assets.lib.storage.refresh import GLOBAL_REFRESH_TAG, INLINE, FinishedCaveRun, RefreshState, decide_refresh
from dhf_assets.lib.storage.sql_models import discover_models

PARTITION_TAG = "dagster/partition"
CODE_VERSION_TAG = "dagster/code_version"
SCOPE_TAG = "dhf/refresh_scope"
REASON_TAG = "dhf/refresh_reason"
IN_FLIGHT = [dg.DagsterRunStatus.QUEUED, dg.DagsterRunStatus.NOT_STARTED, dg.DagsterRunStatus.STARTING,
             dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.CANCELING]
FINISHED = [dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED]
# The assets an "archive" refresh needs: the archive's hashes and the per-cave status built on them.
ARCHIVE_SCOPE = ("archive_inputs", "cave_status")


def _is_cave_run(run: dg.DagsterRun) -> bool:
    return PARTITION_TAG in run.tags and run.job_name != cave_checks_job.name


def _latest_start(instance: dg.DagsterInstance, filters: list[dg.RunsFilter]) -> float:
    records = [r for f in filters for r in instance.get_run_records(f, limit=1)]
    return max((r.start_time or r.create_timestamp.timestamp() for r in records), default=0.0)


def _latest_timestamp(result) -> float:
    return result.records[0].timestamp if result.records else 0.0


def read_refresh_state(instance: dg.DagsterInstance) -> RefreshState:
    """The facts `decide_refresh` needs, from the instance's runs, backfills and asset events."""
    refresh_jobs = (refresh_job.name, marts_job.name)
    in_flight = instance.get_runs(dg.RunsFilter(statuses=IN_FLIGHT))
    last = _latest_start(instance,
                         [dg.RunsFilter(job_name=refresh_job.name, statuses=FINISHED, tags={SCOPE_TAG: "full"}),
                                    dg.RunsFilter(job_name=marts_job.name, statuses=FINISHED)])
    since = datetime.fromtimestamp(last, timezone.utc) if last else None
    finished = instance.get_run_records(dg.RunsFilter(statuses=[dg.DagsterRunStatus.SUCCESS], updated_after=since))
    return RefreshState(
        active_cave_runs=[r.tags[PARTITION_TAG] for r in in_flight if _is_cave_run(r)],
        backfills_in_progress=len(instance.get_backfills(filters=BulkActionsFilter(statuses=[BulkActionStatus.REQUESTED]))),
        refresh_in_progress=any(r.job_name in refresh_jobs for r in in_flight),
        last_refresh_start=last,
        cave_runs_since=[
            FinishedCaveRun(r.dagster_run.run_id, r.dagster_run.tags[PARTITION_TAG], r.end_time)
            for r in finished
            if _is_cave_run(r.dagster_run) and (r.end_time or 0) > last
            and r.dagster_run.tags.get(GLOBAL_REFRESH_TAG) != INLINE
        ],
        archive_observed_at=_latest_timestamp(instance.fetch_observations(dg.AssetKey("mural_archive"), limit=1)),
        archive_inputs_built_at=_latest_timestamp(
            instance.fetch_materializations(dg.AssetKey("archive_inputs"), limit=1)),
    )


def views_to_recreate(instance: dg.DagsterInstance, store: DhfStore) -> set[str]:
    """Staging views whose SQL changed since they were last created, or that the database lacks."""
    present = set()
    if store.database.exists():
        present = {name for (name,) in db.query(store.database,
                                                "select view_name from duckdb_views() where not internal")[1]}
    stale = set()
    for model in discover_models():
        if model.materialization != "view":
            continue
        event = instance.get_latest_materialization_event(dg.AssetKey(model.name))
        materialization = event.asset_materialization if event else None
        built_version = materialization.tags.get(CODE_VERSION_TAG) if materialization and materialization.tags else None
        if model.name not in present or built_version != model.code_version:
            stale.add(model.name)
    return stale


def refresh_selection(context: dg.SensorEvaluationContext, store: DhfStore, scope: str):
    """(asset keys, check keys) of a refresh: views only where needed; archive scope only its two assets."""
    graph = context.repository_def.asset_graph
    views = {m.name for m in discover_models() if m.materialization == "view"}
    recreate = views_to_recreate(context.instance, store)
    keys = {k for k in GLOBAL_REFRESH_SELECTION.resolve(graph)
            if (k.to_user_string() not in views or k.to_user_string() in recreate)
            and (scope == "full" or k.to_user_string() in {*ARCHIVE_SCOPE, *recreate})}
    checks = [c for c in GLOBAL_REFRESH_SELECTION.resolve_checks(graph) if c.asset_key in keys]
    return sorted(keys, key=lambda k: k.to_user_string()), sorted(checks, key=lambda c: c.to_user_string())


@dg.sensor(job=refresh_job, minimum_interval_seconds=30, default_status=sensor_default_status())
def global_refresh_sensor(context: dg.SensorEvaluationContext, store: DhfStore):
    """After cave runs finish, refresh the SQL models, reports and exports once, in place (no new release)."""
    decision = decide_refresh(read_refresh_state(context.instance))
    if decision.scope is None:
        return dg.SkipReason(decision.reason)
    assets, checks = refresh_selection(context, store, decision.scope)
    context.log.info(f"requesting a {decision.scope} refresh of {len(assets)} assets: {decision.reason}")
    return dg.RunRequest(
        run_key=decision.run_key,
        asset_selection=assets,
        asset_check_keys=checks,
        tags={SCOPE_TAG: decision.scope, REASON_TAG: decision.reason[:200]},
    )

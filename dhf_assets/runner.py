"""Synchronous builds in this process, over the same definitions and instance as the UI."""

from __future__ import annotations

import shutil
import sys
from dataclasses import dataclass, field

import dagster as dg

from dhf_assets import recovery
from dhf_assets.bundled import bundled_path
from dhf_assets.defs.progress import PROGRESS_LOGGER
from dhf_assets.lib.runtime.settings import Paths, export_environment
from dhf_assets.lib.storage.refresh import GLOBAL_REFRESH_TAG, INLINE

QUIET_LOGGERS = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
# `dhf build`'s runs also print one line per finished step (defs/progress.py).
BUILD_RUN_CONFIG = {"loggers": {**QUIET_LOGGERS["loggers"], PROGRESS_LOGGER: {}}}


def instance() -> dg.DagsterInstance:
    """The instance in $DAGSTER_HOME, created from the project's dagster.yaml when missing."""
    export_environment()  # DagsterInstance.get() and run workers read DAGSTER_HOME and the DHF_* paths
    home = Paths.from_env().dagster_home
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        # The repository's dagster.yaml (run queue, pools, run monitoring), shipped in the package.
        shutil.copyfile(bundled_path("dagster.yaml"), config)
    return dg.DagsterInstance.get()


def definitions() -> dg.Definitions:
    from dhf_assets.definitions import defs

    return defs()


@dataclass
class RunOutcome:
    name: str
    success: bool
    materialized: dict[str, object] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


def _outcome(name: str, result: dg.ExecuteInProcessResult) -> RunOutcome:
    outcome = RunOutcome(name, result.success)
    for event in result.all_events:
        if event.is_step_materialization:
            materialization = event.step_materialization_data.materialization
            rows = materialization.metadata.get("dagster/row_count")
            outcome.materialized[materialization.asset_key.to_user_string()] = getattr(rows, "value", rows)
        elif event.is_step_failure:
            error = event.step_failure_data.error
            outcome.errors.append(f"{event.step_key}: {error.message.strip() if error else 'failed'}")
        elif event.event_type_value == "ASSET_CHECK_EVALUATION":
            evaluation = event.event_specific_data
            if not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.ERROR:
                outcome.errors.append(f"check {evaluation.check_name}: {evaluation.description}")
    return outcome


def run_global(defs: dg.Definitions, inst: dg.DagsterInstance, job_name: str) -> RunOutcome:
    """An unpartitioned job: the catalog, the SQL marts and reports, or the exports."""
    result = defs.resolve_job_def(job_name).execute_in_process(instance=inst, raise_on_error=False,
                                                               run_config=BUILD_RUN_CONFIG,
                                                               **recovery.new_run())
    return _outcome(job_name, result)


def run_catalog(defs: dg.Definitions, inst: dg.DagsterInstance) -> RunOutcome:
    return run_global(defs, inst, "catalog_job")


def run_cave(defs: dg.Definitions, inst: dg.DagsterInstance, cave_id: str) -> RunOutcome:
    # `build` runs the marts and exports itself afterwards: the daemon's refresh sensor leaves these runs alone.
    result = defs.resolve_job_def("cave_job").execute_in_process(
        instance=inst, partition_key=cave_id, raise_on_error=False, run_config=BUILD_RUN_CONFIG,
        **recovery.new_run(extra_tags={GLOBAL_REFRESH_TAG: INLINE}),
    )
    return _outcome(cave_id, result)


def _report_checks(result: dg.ExecuteInProcessResult, scope: str, echo) -> bool:
    """Print each check's outcome and a failing check's offending rows; True if an error failed."""
    failed = False
    for evaluation in result.get_asset_check_evaluations():
        mark = "ok  " if evaluation.passed else "FAIL"
        echo(f"[dhf] {mark} {scope} {evaluation.asset_key.to_user_string()}.{evaluation.check_name}: "
             f"{evaluation.description}")
        if not evaluation.passed:
            rows = evaluation.metadata.get("offending_rows") or evaluation.metadata.get("offending")
            for row in (rows.value if rows else [])[:20]:
                echo(f"         {row}")
            failed |= evaluation.severity == dg.AssetCheckSeverity.ERROR
    return failed


def check_caves(cave_ids: list[str] | None, echo=print) -> int:
    """Run every per-cave check on what is materialized now; 1 when an error-severity check fails."""
    from dhf_assets.defs.partitions import CAVES_PARTITION
    from dhf_assets.lib.ingest.archive import list_cave_dirs

    inst = instance()
    known = inst.get_dynamic_partitions(CAVES_PARTITION)
    targets = cave_ids or [cave for cave in list_cave_dirs(Paths.from_env().archive) if cave in known]
    unknown = sorted(set(targets) - set(known))
    if unknown:
        echo(f"dhf: never built: {', '.join(unknown)} (run dhf build first)", file=sys.stderr)
        return 2
    defs = definitions()
    job = defs.resolve_job_def("cave_checks_job")
    failed = False
    for cave_id in targets:
        # A checks-only job has no asset to take partitions from: the partition travels as the run tag.
        run = recovery.new_run()
        result = job.execute_in_process(instance=inst, tags={**run["tags"], "dagster/partition": cave_id},
                                        run_id=run["run_id"],
                                        raise_on_error=False, run_config=QUIET_LOGGERS)
        failed |= _report_checks(result, cave_id, echo) or not result.success
    result = defs.resolve_job_def("marts_checks_job").execute_in_process(
        instance=inst, raise_on_error=False, run_config=QUIET_LOGGERS, **recovery.new_run())
    failed |= _report_checks(result, "marts", echo) or not result.success
    return 1 if failed else 0


def _echo_errors(outcome: RunOutcome, echo) -> None:
    for error in outcome.errors:
        echo(f"[dhf] error: {error}", file=sys.stderr)


def register_caves(inst: dg.DagsterInstance, cave_ids: list[str]) -> list[str]:
    """Add missing cave partitions; returns the new ones."""
    from dhf_assets.defs.partitions import CAVES_PARTITION

    known = set(inst.get_dynamic_partitions(CAVES_PARTITION))
    new = [cave for cave in cave_ids if cave not in known]
    if new:
        inst.add_dynamic_partitions(CAVES_PARTITION, new)
    return new


def _cave_outcomes(defs: dg.Definitions, inst: dg.DagsterInstance, targets: list[str], jobs: int, echo):
    """(cave, outcome) per target: in this process, or `jobs` child processes at a time."""
    if jobs > 1 and len(targets) > 1:
        from dhf_assets.parallel import build_caves

        yield from zip(targets, build_caves(targets, jobs, echo))
        return
    for cave_id in targets:
        echo(f"[dhf] building cave {cave_id}")
        yield cave_id, run_cave(defs, inst, cave_id)


@recovery.stoppable
def build(cave_ids: list[str] | None, echo=print, jobs: int = 1) -> int:
    """Register caves, rebuild the catalog, then build each cave; 0 when every run succeeded.

    With jobs > 1 the caves run `jobs` at a time in child processes (`dhf_assets.parallel`).
    """
    from dhf_assets.lib.ingest.archive import list_cave_dirs

    inst = instance()
    recovery.recover_dead_runs(inst, echo)  # runs of killed `dhf` processes: failed, slots freed
    paths = Paths.from_env()
    found = list_cave_dirs(paths.archive)
    unknown = sorted(set(cave_ids or []) - set(found))
    if unknown:
        echo(f"dhf: no cave folder for {', '.join(unknown)} under {paths.archive / 'murals'}", file=sys.stderr)
        return 2
    targets = cave_ids or found
    new = register_caves(inst, found)
    if new:
        echo(f"[dhf] registered cave partitions: {', '.join(new)}")
    defs = definitions()
    catalog = run_catalog(defs, inst)
    failed = not catalog.success
    for cave_id, outcome in _cave_outcomes(defs, inst, targets, jobs, echo):
        counts = ", ".join(f"{k}={v}" for k, v in outcome.materialized.items())
        echo(f"[dhf] cave {cave_id}: {'ok' if outcome.success else 'FAILED'} ({counts})")
        _echo_errors(outcome, echo)
        failed |= not outcome.success
    echo("[dhf] rebuilding the SQL models and reports over all caves")
    marts = run_global(defs, inst, "marts_job")
    _echo_errors(marts, echo)
    failed |= not marts.success or bool(marts.errors)
    echo("[dhf] writing the exports and the release")
    exports = run_global(defs, inst, "exports_job")
    _echo_errors(exports, echo)
    failed |= not exports.success
    for error in catalog.errors:  # a refused cave in caves.csv: its own build fails with this reason
        echo(f"[dhf] catalog warning: {error}", file=sys.stderr)
    return 1 if failed else 0

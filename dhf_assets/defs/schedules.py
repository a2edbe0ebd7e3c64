"""incremental_caves_schedule: nightly runs for exactly the caves whose inputs changed."""

import dagster as dg

from dhf_assets.defs.automation.choices import schedule_default_status
from dhf_assets.defs.partitions import CAVES_PARTITION
from dhf_assets.defs.resources import DhfStore
from dhf_assets.defs.sensors import CAVE_JOB, cave_run
from dhf_assets.lib.ingest.archive import list_cave_dirs
from dhf_assets.lib.runtime.settings import current_settings
from dhf_assets.lib.storage.incremental import built_hashes, changed_caves, current_hashes


@dg.schedule(job=CAVE_JOB, cron_schedule=current_settings().schedule_cron, name="incremental_caves_schedule",
             default_status=schedule_default_status())
def incremental_caves_schedule(context: dg.ScheduleEvaluationContext, store: DhfStore):
    """Request a run for each registered cave whose inputs changed since its last successful build."""
    registered = set(context.instance.get_dynamic_partitions(CAVES_PARTITION))
    caves = [cave for cave in list_cave_dirs(store.archive) if cave in registered]
    current = current_hashes(store.archive, caves)
    changed = changed_caves(current, built_hashes(store.database))
    if not changed:
        return dg.SkipReason(f"no input changed in {len(caves)} cave(s) since their last successful build")
    return [cave_run(cave, current[cave]) for cave in changed]

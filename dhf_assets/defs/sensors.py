"""archive_sensor: the archive's caves become partitions; changed caves are rebuilt; vanished caves retired."""

import json

import dagster as dg

from dhf_assets.defs.automation.choices import automation_cave_job, sensor_default_status
from dhf_assets.defs.jobs import catalog_job
from dhf_assets.defs.partitions import CAVES_PARTITION, caves_partitions
from dhf_assets.defs.resources import DhfStore
from dhf_assets.lib.ingest.archive import ignored_archive_entries, list_cave_dirs
from dhf_assets.lib.reviews.quiet import caves_still_reviewed
from dhf_assets.lib.storage.files import file_sha256
from dhf_assets.lib.storage.incremental import built_hashes, changed_caves, current_hashes, retire_cave

DATA_VERSION_TAG = "dagster/data_version"
# DHF_CAVE_JOB, read when the definitions load: cave_job, cave_job_celery or cave_job_k8s.
CAVE_JOB = automation_cave_job()


def cave_run(cave_id: str, inputs_hash: str) -> dg.RunRequest:
    # The run key names the inputs: a later tick, or a restarted daemon, never repeats this run.
    return dg.RunRequest(job_name=CAVE_JOB.name, partition_key=cave_id, run_key=f"cave:{cave_id}:{inputs_hash}")


@dg.sensor(jobs=[catalog_job, CAVE_JOB], minimum_interval_seconds=30, default_status=sensor_default_status())
def archive_sensor(context: dg.SensorEvaluationContext, store: DhfStore) -> dg.SensorResult:
    """Register new cave folders and run them, re-run caves whose files changed, retire vanished caves."""
    cursor = json.loads(context.cursor) if context.cursor else {}
    seen = cursor.get("caves", {})
    caves_csv = store.archive / "caves.csv"
    catalog_hash = file_sha256(caves_csv) if caves_csv.exists() else ""
    found = list_cave_dirs(store.archive)
    known = set(context.instance.get_dynamic_partitions(CAVES_PARTITION))
    new_caves = [cave for cave in found if cave not in known]
    vanished = sorted(known - set(found))
    current = current_hashes(store.archive, found)
    changed = changed_caves(current, built_hashes(store.database))
    reviewing = caves_still_reviewed(store.archive, set(changed) - set(new_caves))  # no rebuild storm
    to_build = sorted(set(new_caves) | set(changed) - set(reviewing))
    if reviewing:
        context.log.info(f"waiting for the review files of {', '.join(reviewing)} to be quiet (DHF_REVIEW_QUIET_S)")
    requests = [cave_run(cave, current[cave]) for cave in to_build]
    if catalog_hash and catalog_hash != cursor.get("catalog"):
        requests.insert(0, dg.RunRequest(job_name=catalog_job.name, run_key=f"catalog:{catalog_hash}"))
    for cave in vanished:
        removed = retire_cave(store.database, store.output, cave)
        context.log.info(f"cave {cave} left the archive: retired {removed}; review history kept")
    for ignored in ignored_archive_entries(store.archive):
        context.log.warning(f"not a cave, ignored: {ignored}")
    if to_build:
        context.log.info(f"caves to build: {', '.join(to_build)}")
    # What the archive holds now, as data versions of `mural_archive`: the UI marks murals stale.
    observations = [
        dg.AssetObservation(asset_key="mural_archive", partition=cave, tags={DATA_VERSION_TAG: digest})
        for cave, digest in current.items() if seen.get(cave) != digest and cave not in new_caves
    ]
    partition_requests = []
    if new_caves:
        partition_requests.append(caves_partitions.build_add_request(new_caves))
    if vanished:
        partition_requests.append(caves_partitions.build_delete_request(vanished))
    return dg.SensorResult(
        run_requests=requests,
        dynamic_partitions_requests=partition_requests,
        asset_events=observations,
        cursor=json.dumps({"catalog": catalog_hash, "caves": current}, sort_keys=True),
    )

"""archive_sensor: caves found in the archive become partitions and get their first run."""


import dagster as dg

from dhf_assets.defs.jobs import catalog_job, cave_job
from dhf_assets.defs.partitions import CAVES_PARTITION, caves_partitions
from dhf_assets.defs.resources import DhfStore
from dhf_assets.lib.archive import list_cave_dirs
from dhf_assets.lib.images import sha256_file


@dg.sensor(jobs=[catalog_job, cave_job], minimum_interval_seconds=30)
def archive_sensor(context: dg.SensorEvaluationContext, store: DhfStore) -> dg.SensorResult:
    """Register new cave folders as partitions and request their runs; re-read caves.csv when it changes."""
    caves_csv = store.archive / "caves.csv"
    catalog_hash = sha256_file(caves_csv) if caves_csv.exists() else ""
    known = set(context.instance.get_dynamic_partitions(CAVES_PARTITION))
    new_caves = [cave for cave in list_cave_dirs(store.archive) if cave not in known]
    requests = []
    if catalog_hash and catalog_hash != (context.cursor or ""):
        requests.append(dg.RunRequest(job_name=catalog_job.name, run_key=f"catalog:{catalog_hash}"))
    requests += [
        dg.RunRequest(job_name=cave_job.name, partition_key=cave, run_key=f"new-cave:{cave}")
        for cave in new_caves
    ]
    if new_caves:
        context.log.info(f"new caves: {', '.join(new_caves)}")
    return dg.SensorResult(
        run_requests=requests,
        dynamic_partitions_requests=[caves_partitions.build_add_request(new_caves)] if new_caves else [],
        cursor=catalog_hash,
    )

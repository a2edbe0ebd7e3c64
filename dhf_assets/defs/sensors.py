"""archive_sensor: new cave folders become partitions with a run; changed catalogs and review files re-run."""

import json

import dagster as dg

from dhf_assets.defs.jobs import catalog_job, cave_job
from dhf_assets.defs.partitions import CAVES_PARTITION, caves_partitions
from dhf_assets.defs.resources import DhfStore
from dhf_assets.lib.archive import list_cave_dirs
from dhf_assets.lib.images import sha256_file


def _review_hashes(store: DhfStore, caves: list[str]) -> dict[str, str]:
    folder = store.archive / "reviews"
    return {cave: sha256_file(folder / f"{cave}.csv") for cave in caves if (folder / f"{cave}.csv").is_file()}


@dg.sensor(jobs=[catalog_job, cave_job], minimum_interval_seconds=30)
def archive_sensor(context: dg.SensorEvaluationContext, store: DhfStore) -> dg.SensorResult:
    """Register new cave folders as partitions and run them; re-run the catalog or a cave when caves.csv or its review file changes."""
    cursor = json.loads(context.cursor) if context.cursor else {}
    caves_csv = store.archive / "caves.csv"
    catalog_hash = sha256_file(caves_csv) if caves_csv.exists() else ""
    found = list_cave_dirs(store.archive)
    known = set(context.instance.get_dynamic_partitions(CAVES_PARTITION))
    new_caves = [cave for cave in found if cave not in known]
    reviews = _review_hashes(store, found)
    seen_reviews = cursor.get("reviews", {})
    requests = []
    if catalog_hash and catalog_hash != cursor.get("catalog"):
        requests.append(dg.RunRequest(job_name=catalog_job.name, run_key=f"catalog:{catalog_hash}"))
    requests += [dg.RunRequest(job_name=cave_job.name, partition_key=cave, run_key=f"new-cave:{cave}") for cave in new_caves]
    changed_reviews = [cave for cave, digest in reviews.items() if cave not in new_caves and seen_reviews.get(cave) != digest]
    requests += [
        dg.RunRequest(job_name=cave_job.name, partition_key=cave, run_key=f"review:{cave}:{reviews[cave]}")
        for cave in changed_reviews
    ]
    if new_caves or changed_reviews:
        context.log.info(f"new caves: {new_caves or 'none'}; changed review files: {changed_reviews or 'none'}")
    return dg.SensorResult(
        run_requests=requests,
        dynamic_partitions_requests=[caves_partitions.build_add_request(new_caves)] if new_caves else [],
        cursor=json.dumps({"catalog": catalog_hash, "reviews": reviews}, sort_keys=True),
    )

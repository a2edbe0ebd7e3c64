"""Murals: one row per scan of a cave, from the cave's folder in the archive."""


import dagster as dg

from dhf_assets.defs.checks import checked_asset
from dhf_assets.defs.incremental.skip import begin, skipped
from dhf_assets.defs.partitions import caves_partitions
from dhf_assets.defs.resources import DhfStore
from dhf_assets.lib.ingest.archive import read_mural_periods
from dhf_assets.lib.ingest.murals import MURAL_COLUMNS, scan_murals
from dhf_assets.lib.storage.incremental import CAVE_INPUTS, fingerprint_write
from dhf_assets.lib.storage.inputs import cave_inputs_hash, save_hash_cache


def cave_row(store: DhfStore, cave_id: str) -> tuple[str, str, str, str]:
    """The cave's catalog row; fails with the catalog's reason when the cave was refused."""
    rows = store.query("select cave_id, site, period, cave_style from caves where cave_id = ?", [cave_id])
    if rows:
        return rows[0]
    refused = store.query("select reason from quarantine where stage = 'caves' and cave_id = ?", [cave_id])
    reason = refused[0][0] if refused else f"cave {cave_id} is not in caves.csv (materialize `caves` first)"
    raise dg.Failure(description=reason)


MURALS_VERSION = "murals-v1"

mural_archive = dg.AssetSpec(
    "mural_archive",
    partitions_def=caves_partitions,
    group_name="murals",
    description="A cave's files in the archive (scans, VOC files, review file); observed by archive_sensor.",
)


@checked_asset(deps=["caves", mural_archive], group_name="murals", kinds={"duckdb"}, code_version=MURALS_VERSION)
def murals(context: dg.AssetExecutionContext, store: DhfStore) -> dg.MaterializeResult:
    """One row per mural scan of the cave: path, sha256, size, format and period."""
    cave_id = context.partition_key
    _, _, cave_period, _ = cave_row(store, cave_id)
    inputs = cave_inputs_hash(store.archive, cave_id)
    step = begin(context, store, "murals", MURALS_VERSION, inputs, str(store.max_mural_pixels))
    save_hash_cache()
    if step.unchanged():
        return skipped(step)
    overrides, problems = read_mural_periods(store.archive / "murals.csv", cave_id)
    rows, scan_problems = scan_murals(store.archive, cave_id, cave_period, overrides, store.max_mural_pixels)
    problems += scan_problems
    store.replace([
        *step.writes(MURAL_COLUMNS, rows, "murals", problems),
        fingerprint_write(cave_id, CAVE_INPUTS, inputs),
    ])
    return dg.MaterializeResult(data_version=dg.DataVersion(step.fingerprint), metadata={
        "dagster/row_count": len(rows),
        "quarantined": sum(p.severity == "error" for p in problems),
        "megapixels": round(sum(r[6] * r[7] for r in rows) / 1e6, 1),
    })

"""Jobs: the catalog, and the per-cave pipeline run once per cave partition."""

import dagster as dg

from dhf_assets.defs.partitions import caves_partitions
from dhf_assets.lib.checks.table_checks import CHECKS
from dhf_assets.lib.storage.sql_models import discover_models

CATALOG_GROUPS = ("catalog",)
# Global assets rebuilt after cave runs: SQL marts and reports, then exports.
MART_GROUPS = ("staging", "marts", "reports", "duplicates")
EXPORT_GROUPS = ("exports",)
# Every per-cave asset lives in one of these groups; later stages add theirs.
PER_CAVE_GROUPS = ("murals", "faces", "candidates", "reviews", "upscale", "quality", "analysis", "proposals")

# The global jobs' steps are short SQL and file writes: one process per run, not one per step (a step
# process costs seconds of imports; the refresh has 9 steps, the SQL models one of them).
catalog_job = dg.define_asset_job(
    "catalog_job",
    selection=dg.AssetSelection.groups(*CATALOG_GROUPS),
    description="Seed the vocabulary and read caves.csv.",
    executor_def=dg.in_process_executor,
)

def per_cave_job(name: str, description: str, executor_def: dg.ExecutorDefinition | None = None):
    """A job over every per-cave asset: the same selection wherever its steps run."""
    return dg.define_asset_job(
        name,
        selection=dg.AssetSelection.groups(*PER_CAVE_GROUPS),
        partitions_def=caves_partitions,
        executor_def=executor_def,
        description=description,
    )


# A cave's steps form a chain (murals -> faces -> candidates -> reviews -> upscale -> quality), so a
# run gains nothing from a process per step and would re-import torch and reload models in each:
# cave runs execute in one process; runs of different caves go in parallel through the run queue.
# The Celery and Kubernetes jobs (defs/scaleout) spread steps over workers instead.
cave_job = per_cave_job(
    "cave_job",
    "Build one cave: murals, faces, candidates, reviews, upscaled images, quality metrics, face-box proposals and its "
    "quarantine report.",
    dg.in_process_executor,
)

# `dhf check`: every per-cave asset check against what is materialized now, no asset is rebuilt.
cave_checks_job = dg.define_asset_job(
    "cave_checks_job",
    selection=dg.AssetSelection.checks(*(dg.AssetCheckKey(dg.AssetKey(c.asset), c.name) for c in CHECKS)),
    partitions_def=caves_partitions,
    description="Run the data-quality checks of one cave against the current tables and files.",
)

marts_job = dg.define_asset_job(
    "marts_job",
    selection=dg.AssetSelection.groups(*MART_GROUPS),
    description="Rebuild the SQL models and reports over all caves.",
    executor_def=dg.in_process_executor,
)

exports_job = dg.define_asset_job(
    "exports_job",
    selection=dg.AssetSelection.groups(*EXPORT_GROUPS),
    description="Write the dataset exports and the versioned release.",
    executor_def=dg.in_process_executor,
)

# Versioned releases are cut by `dhf build` (exports_job) or by hand in the UI, never by automation.
RELEASE_ASSETS = ("dataset_release",)
GLOBAL_REFRESH_SELECTION = dg.AssetSelection.groups(*MART_GROUPS, *EXPORT_GROUPS) - dg.AssetSelection.assets(
    *RELEASE_ASSETS
)

# What global_refresh_sensor launches after cave runs: the SQL models, reports and exports (updated
# in place), without a new release. The sensor narrows it to what must run (views only when changed).
refresh_job = dg.define_asset_job(
    "refresh_job",
    selection=GLOBAL_REFRESH_SELECTION,
    description="Bring the SQL models, reports and exports up to date after cave runs (no new release).",
    executor_def=dg.in_process_executor,
)

# `dhf check`: the schema tests of the SQL models, over all caves.
marts_checks_job = dg.define_asset_job(
    "marts_checks_job",
    selection=dg.AssetSelection.checks_for_assets(*(dg.AssetKey(m.name) for m in discover_models())),
    description="Run the schema tests of the SQL models against the current tables.",
)

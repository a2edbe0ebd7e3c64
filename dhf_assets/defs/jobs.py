"""Jobs: the catalog, and the per-cave pipeline run once per cave partition."""

import dagster as dg

from dhf_assets.defs.hooks import PROGRESS_HOOKS
from dhf_assets.defs.partitions import caves_partitions

CATALOG_GROUPS = ("catalog",)
# Every per-cave asset lives in one of these groups; later stages add theirs.
PER_CAVE_GROUPS = ("murals", "faces", "candidates", "reviews", "upscale")

catalog_job = dg.define_asset_job(
    "catalog_job",
    selection=dg.AssetSelection.groups(*CATALOG_GROUPS),
    description="Seed the vocabulary and read caves.csv.",
    hooks=PROGRESS_HOOKS,
)

cave_job = dg.define_asset_job(
    "cave_job",
    selection=dg.AssetSelection.groups(*PER_CAVE_GROUPS),
    partitions_def=caves_partitions,
    description="Build one cave: murals, faces, candidates, reviews, upscaled images and its quarantine report.",
    hooks=PROGRESS_HOOKS,
)

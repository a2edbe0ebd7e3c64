"""Upscaled images: the 3k subset standardized to exactly 512x512 by the paper's tiered super-resolution."""

from collections import Counter

import dagster as dg

from dhf_assets.defs.checks import checked_asset
from dhf_assets.defs.incremental.skip import begin, skipped
from dhf_assets.defs.pools import pool_slot
from dhf_assets.defs.resources import DhfStore
from dhf_assets.defs.upscale.resources import UpscalerResource, upscale_code_version
from dhf_assets.lib.storage.files import remove_stale_files
from dhf_assets.lib.storage.incremental import combine
from dhf_assets.lib.upscale import WeightsMissingError
from dhf_assets.lib.upscale.standardized import UPSCALED_COLUMNS, Source, standardize_cave

# On Kubernetes the step's pod asks for one GPU (dagster-k8s reads this tag); on Celery the step
# goes to the workers of the `gpu` queue (dagster-celery reads the queue tag).
# The step holds a slot of this pool (one by default, dagster.yaml) while a model runs; it claims the
# slot itself (defs/pools.py) so that waiting for it is logged, bounded and interruptible.
GPU_POOL = "gpu"
GPU_OP_TAGS = {
    "dagster-k8s/config": {"container_config": {"resources": {"limits": {"nvidia.com/gpu": "1"}}}},
    "dagster-celery/queue": "gpu",
}


@checked_asset(
    deps=["subset_3k", "faces"],
    group_name="upscale",
    kinds={"pytorch", "png"},
    tags={"dhf/pool": GPU_POOL},
    op_tags=GPU_OP_TAGS,
    code_version=upscale_code_version(),
)
def upscaled_faces(context: dg.AssetExecutionContext, store: DhfStore,
                   upscaler: UpscalerResource) -> dg.MaterializeResult:
    """Every 3k face of the cave as a 512x512 RGB PNG through its tier (two_stage, one_stage, downsample)."""
    cave_id = context.partition_key
    crops = store.query("""select f.face_id, f.crop_path, f.sha256 from subset_3k s join faces f using (face_id)
                           where s.cave_id = ? order by f.face_id""", [cave_id])
    config = (upscale_code_version(), upscaler.model_dump_json(exclude={"device", "batch_size"}),
              upscaler.model_fingerprint())
    step = begin(context, store, "upscaled_faces", *config)
    if step.unchanged(store.output):  # and every image file is there
        return skipped(step)
    # Per-face reuse: only faces whose crop or settings changed (or that are new) are standardized.
    plan = step.plan_faces({face_id: combine(sha, *config) for face_id, _, sha in crops}, UPSCALED_COLUMNS,
                           lambda row: (store.output / row[UPSCALED_COLUMNS.index("image_path")]).is_file())
    wanted = set(plan.compute)
    sources = [Source(face_id, store.output / path) for face_id, path, _ in crops if face_id in wanted]
    rows, problems = list(plan.reused), []
    settings = {"backend": upscaler.backend, "model_id": "not loaded: no face to standardize"}
    if sources:  # the model is loaded only when there is something to upscale
        with pool_slot(context, GPU_POOL):
            try:
                model = upscaler.upscaler()
            except WeightsMissingError as exc:
                raise dg.Failure(description=str(exc)) from exc
            settings = model.settings()
            for chunk_rows, chunk_problems in standardize_cave(
                cave_id, sources, model, store.output, upscaler.batch_size, compress_level=store.png_compress_level
            ):
                rows += chunk_rows
                problems += chunk_problems
    store.replace(step.writes(UPSCALED_COLUMNS, rows, "upscale", problems))
    kept = {store.output / row[UPSCALED_COLUMNS.index("image_path")] for row in rows}
    remove_stale_files(store.output / "standardized" / cave_id, kept, "*.png")
    seconds = [row[UPSCALED_COLUMNS.index("seconds")] for row in rows if row[0] in wanted]
    return dg.MaterializeResult(data_version=dg.DataVersion(step.fingerprint), metadata={
        "dagster/row_count": len(rows),
        "standardized": len(plan.compute), "reused": len(plan.reused),
        "images_per_tier": dg.MetadataValue.json(dict(sorted(Counter(row[2] for row in rows).items()))),
        "seconds_per_image": round(sum(seconds) / len(seconds), 3) if seconds else 0.0,
        "backend": settings["backend"] if plan.compute else upscaler.backend,
        "model_id": str(settings.get("model_id")),
        **{key: str(settings[key]) for key in ("architecture", "model_sha256",
                                               "tile_size") if settings.get(key) is not None},
        "quarantined": len(problems),
    })

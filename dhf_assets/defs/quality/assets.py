"""Quality metrics of Tables 2 and 3: fidelity to the original crop and image-quality indicators."""

import os

import dagster as dg

from dhf_assets.defs.checks import checked_asset
from dhf_assets.defs.incremental.skip import begin, skipped
from dhf_assets.defs.resources import DhfStore
from dhf_assets.lib.metrics.quality_stage import QUALITY_COLUMNS, Pair, lpips_or_reason, quality_for_cave
from dhf_assets.lib.runtime.settings import current_settings
from dhf_assets.lib.storage.incremental import combine

QUALITY_VERSION = "quality-v1"


@checked_asset(deps=["upscaled_faces"], group_name="quality", kinds={"duckdb"}, code_version=QUALITY_VERSION)
def face_quality(context: dg.AssetExecutionContext, store: DhfStore) -> dg.MaterializeResult:
    """PSNR, SSIM, LPIPS and the low/high ESI, SNR, ED, entropy and HFC of every standardized face of the cave."""
    cave_id = context.partition_key
    images = store.query(
        """select u.face_id, f.crop_path, u.image_path, u.content_box, u.sha256, f.sha256
           from upscaled_faces u join faces f using (face_id) where u.cave_id = ? order by u.face_id""", [cave_id])
    lpips, lpips_reason = lpips_or_reason(os.environ.get("TORCH_HOME", ""), current_settings().device)
    config = (QUALITY_VERSION, "lpips" if lpips else "no-lpips")
    step = begin(context, store, "face_quality", *config)
    if step.unchanged():
        return skipped(step)
    # Per-face reuse: metrics of faces whose standardized image and crop are unchanged are kept.
    plan = step.plan_faces({face_id: combine(image_sha, crop_sha, *config)
                            for face_id, _, _, _, image_sha, crop_sha in images}, QUALITY_COLUMNS)
    wanted = set(plan.compute)
    pairs = [Pair(face_id, store.output / crop, store.output / image, tuple(box))
             for face_id, crop, image, box, _, _ in images if face_id in wanted]
    if lpips_reason and pairs:
        context.log.warning(f"LPIPS is NULL for this run: {lpips_reason}")
    rows, problems = list(plan.reused), []
    for chunk_rows, chunk_problems in quality_for_cave(cave_id, pairs, lpips):
        rows += chunk_rows
        problems += chunk_problems
    store.replace(step.writes(QUALITY_COLUMNS, rows, "quality", problems))
    means = {}
    for column in ("psnr", "ssim", "lpips", "esi_low", "esi_high"):
        values = [r[QUALITY_COLUMNS.index(column)] for r in rows if r[QUALITY_COLUMNS.index(column)] is not None]
        means[f"mean_{column}"] = round(sum(values) / len(values), 4) if values else None
    return dg.MaterializeResult(data_version=dg.DataVersion(step.fingerprint), metadata={
        "dagster/row_count": len(rows),
        "measured": len(plan.compute), "reused": len(plan.reused),
        "lpips": "computed" if lpips else f"NULL: {lpips_reason}",
        "quarantined": len(problems),
        **{k: v for k, v in means.items() if v is not None},
    })

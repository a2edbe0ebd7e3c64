"""Quality metrics of Tables 2 and 3: fidelity to the original crop and image-quality indicators."""

import os

import dagster as dg

from dhf_assets.defs.incremental.skip import FORCE_TAG, cave_stage_writes, skipped, unchanged, upstream_fingerprint
from dhf_assets.defs.partitions import caves_partitions
from dhf_assets.defs.resources import DhfStore
from dhf_assets.lib.db import TableWrite
from dhf_assets.lib.quality_stage import QUALITY_COLUMNS, Pair, lpips_or_reason, quality_for_cave
from dhf_assets.lib.reuse import FACE_INPUT_COLUMNS, face_inputs, input_rows, plan_reuse
from dhf_assets.lib.settings import setting

QUALITY_VERSION = "quality-v1"


@dg.asset(partitions_def=caves_partitions, deps=["upscaled_faces"], group_name="quality", kinds={"duckdb"},
          code_version=QUALITY_VERSION)
def face_quality(context: dg.AssetExecutionContext, store: DhfStore) -> dg.MaterializeResult:
    """PSNR, SSIM, LPIPS and the low/high ESI, SNR, ED, entropy and HFC of every standardized face of the cave."""
    cave_id = context.partition_key
    images = store.query(
        """select u.face_id, f.crop_path, u.image_path, u.content_box, u.sha256, f.sha256
           from upscaled_faces u join faces f using (face_id) where u.cave_id = ? order by u.face_id""", [cave_id])
    lpips, lpips_reason = lpips_or_reason(os.environ.get("TORCH_HOME", ""), setting("DHF_DEVICE"))
    config = (QUALITY_VERSION, "lpips" if lpips else "no-lpips")
    fingerprint = upstream_fingerprint(store, "face_quality", cave_id, *config)
    if unchanged(context, store, "face_quality", fingerprint):
        return skipped(store, "face_quality", cave_id, fingerprint)
    # Per-face reuse: metrics of faces whose standardized image and crop are unchanged are kept.
    current = {face_id: face_inputs(image_sha, crop_sha, *config) for face_id, _, _, _, image_sha, crop_sha in images}
    plan = plan_reuse(current, dict(store.query(
        "select face_id, inputs from face_stage_inputs where cave_id = ? and asset = 'face_quality'", [cave_id])),
        {row[0]: row for row in store.query(f"select {', '.join(QUALITY_COLUMNS)} from face_quality where cave_id = ?",
                                            [cave_id])},
        lambda row: True, force=context.run.tags.get(FORCE_TAG) == "true")
    wanted = set(plan.compute)
    pairs = [Pair(face_id, store.output / crop, store.output / image, tuple(box))
             for face_id, crop, image, box, _, _ in images if face_id in wanted]
    if lpips_reason and pairs:
        context.log.warning(f"LPIPS is NULL for this run: {lpips_reason}")
    rows, problems = list(plan.reused), []
    for chunk_rows, chunk_problems in quality_for_cave(cave_id, pairs, lpips):
        rows += chunk_rows
        problems += chunk_problems
    inputs = input_rows(cave_id, "face_quality", current, {row[0] for row in rows})
    store.replace([*cave_stage_writes(cave_id, "face_quality", QUALITY_COLUMNS, rows, "quality", problems, fingerprint),
                   TableWrite("face_stage_inputs", FACE_INPUT_COLUMNS, inputs,
                              {"cave_id": cave_id, "asset": "face_quality"})])
    means = {}
    for column in ("psnr", "ssim", "lpips", "esi_low", "esi_high"):
        values = [r[QUALITY_COLUMNS.index(column)] for r in rows if r[QUALITY_COLUMNS.index(column)] is not None]
        means[f"mean_{column}"] = round(sum(values) / len(values), 4) if values else None
    return dg.MaterializeResult(data_version=dg.DataVersion(fingerprint), metadata={
        "dagster/row_count": len(rows),
        "measured": len(plan.compute), "reused": len(plan.reused),
        "lpips": "computed" if lpips else f"NULL: {lpips_reason}",
        "quarantined": len(problems),
        **{k: v for k, v in means.items() if v is not None},
    })

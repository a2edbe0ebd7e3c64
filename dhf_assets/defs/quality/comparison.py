"""Tables 2 and 3 backend against backend, per cave: each configured backend on the cave's 3k faces."""

import contextlib
import os
import time

import dagster as dg

from dhf_assets.defs.checks import checked_asset
from dhf_assets.defs.incremental.skip import begin, skipped
from dhf_assets.defs.pools import pool_slot
from dhf_assets.defs.quality.assets import QUALITY_VERSION
from dhf_assets.defs.resources import DhfStore
from dhf_assets.defs.upscale.assets import GPU_OP_TAGS, GPU_POOL
from dhf_assets.defs.upscale.resources import UpscalerResource, model_sha256
from dhf_assets.lib.metrics.backend_comparison import (
    COMPARE_COLUMNS,
    Face,
    Stored,
    backends_to_compare,
    compare_backend,
    sample_faces,
)
from dhf_assets.lib.metrics.quality_stage import lpips_or_reason
from dhf_assets.lib.runtime.settings import current_settings
from dhf_assets.lib.upscale import WeightsMissingError

COMPARE_VERSION = "compare-v1"


def compare_code_version() -> str:
    """Which backends, how many faces, and the realesrgan model's content."""
    settings = current_settings()
    return "|".join((COMPARE_VERSION, QUALITY_VERSION, settings.compare_backends, settings.compare_sample,
                     model_sha256(settings.sr_model)))


@checked_asset(deps=["face_quality"], group_name="quality", kinds={"pytorch", "duckdb"},
               tags={"dhf/pool": GPU_POOL}, op_tags=GPU_OP_TAGS, code_version=compare_code_version())
def backend_quality(context: dg.AssetExecutionContext, store: DhfStore,
                    upscaler: UpscalerResource) -> dg.MaterializeResult:
    """PSNR, SSIM, LPIPS and the Table 3 indicators of the cave's 3k faces (or a sample) under each compared backend."""
    cave_id = context.partition_key
    backends, left_out = backends_to_compare(current_settings().compare_backends, upscaler.backend, upscaler.sr_model,
                                             upscaler.sd_path)
    faces = sample_faces([Face(face_id, store.output / path) for face_id, path in store.query(
        "select f.face_id, f.crop_path from subset_3k s join faces f using (face_id) where s.cave_id = ?", [cave_id])],
        current_settings().compare_sample)
    lpips, lpips_reason = lpips_or_reason(os.environ.get("TORCH_HOME", ""), current_settings().device)
    step = begin(context, store, "backend_quality", compare_code_version(), ",".join(backends),
                 upscaler.model_dump_json(exclude={"device", "batch_size"}), "lpips" if lpips else "no-lpips",
                 ",".join(f.face_id for f in faces))
    if step.unchanged():
        return skipped(step)
    stored = {row[0]: Stored(*row[1:6], tuple(row[6:])) for row in store.query(
        """select u.face_id, u.backend, u.model_id, u.model_sha256, u.tier, q.band, q.* exclude (face_id, cave_id, band)
           from upscaled_faces u join face_quality q using (face_id) where u.cave_id = ?""", [cave_id])}
    rows, problems, summary = [], [], {}
    with pool_slot(context, GPU_POOL) if faces else contextlib.nullcontext():  # the slot only while models run
        for backend in backends if faces else []:  # a model is loaded only when there is a face to compare
            started = time.perf_counter()
            try:
                model = upscaler.upscaler(backend)
            except WeightsMissingError as exc:
                raise dg.Failure(description=f"backend {backend} is to be compared but: {exc}") from exc
            done = []
            for chunk_rows, chunk_problems in compare_backend(cave_id, faces, model, stored, lpips,
                                                              upscaler.batch_size):
                done += chunk_rows
                problems += chunk_problems
            rows += done
            psnr = [r[COMPARE_COLUMNS.index("psnr")] for r in done if r[COMPARE_COLUMNS.index("psnr")] is not None]
            summary[backend] = {"faces": len(done), "reused": sum(r[7] for r in done),
                                "model_id": model.settings().get("model_id"),
                                "mean_psnr": round(sum(psnr) / len(psnr), 3) if psnr else None,
                                "seconds": round(time.perf_counter() - started, 2)}
    store.replace(step.writes(COMPARE_COLUMNS, rows, "compare", problems))
    return dg.MaterializeResult(data_version=dg.DataVersion(step.fingerprint), metadata={
        "dagster/row_count": len(rows),
        "backends": dg.MetadataValue.json(summary),
        "left_out": dg.MetadataValue.json(left_out),
        "faces_compared": len(faces),
        "lpips": "computed" if lpips else f"NULL: {lpips_reason}",
        "quarantined": len(problems),
    })

"""upscaled_faces through Dagster: every 3k face becomes a 512x512 PNG with its tier and backend recorded."""

import json

import dagster as dg
import pytest
from PIL import Image

from dhf_assets.defs.upscale.assets import upscaled_faces
from dhf_assets.defs.upscale.resources import UpscalerResource
from dhf_assets.lib.storage.db import TableWrite
from dhf_assets_tests.archive_factory import voc_box, write_caves, write_mural
from dhf_assets_tests.defs_tests.conftest import build_catalog, build_cave, rows

TIER_BOXES = [voc_box(1, 1, 60, 90), voc_box(101, 1, 400, 280),
              voc_box(1, 301, 600, 950)]  # two_stage, one_stage, downsample


@pytest.fixture
def accepted_cave(store, instance):
    write_caves(store.archive, [("U1", "MC", "FD", "IDRS")])
    write_mural(store.archive, "U1", "m1", (700, 1000), TIER_BOXES)
    build_catalog(store, instance)
    build_cave(store, instance, "U1")
    face_ids = [r[0] for r in rows(store, "select face_id from faces order by object_index")]
    store.replace([TableWrite("subset_3k", ("face_id", "cave_id", "reviewer"), [(f, "U1", "curator") for f in face_ids],
                              {"cave_id": "U1"})])
    return face_ids


def upscale(store, instance, upscaler):
    return dg.materialize([upscaled_faces], partition_key="U1", instance=instance,
                          resources={"store": store, "upscaler": upscaler})


def check_outputs(store, face_ids, backend):
    table = rows(store,
                 "select face_id, tier, backend, image_path, source_width, source_height from upscaled_faces order by "
                 "tier")
    assert {r[1] for r in table} == {"two_stage", "one_stage", "downsample"}
    assert {r[0] for r in table} == set(face_ids)
    for face_id, tier, recorded, path, width, height in table:
        assert recorded == ("none" if tier == "downsample" else backend)
        with Image.open(store.output / path) as image:
            assert image.size == (512, 512) and image.mode == "RGB"
    return table


def test_lanczos_backend_covers_every_tier(store, instance, accepted_cave):
    result = upscale(store, instance, UpscalerResource(backend="lanczos"))
    check_outputs(store, accepted_cave, "lanczos")
    metadata = result.asset_materializations_for_node("upscaled_faces")[0].metadata
    assert metadata["images_per_tier"].value == {"downsample": 1, "one_stage": 1, "two_stage": 1}
    assert metadata["backend"].value == "lanczos"


def test_tiny_sd_pipeline_from_a_local_folder(store, instance, accepted_cave, tmp_path):
    from dhf_assets.lib.upscale.tiny import save_tiny_pipeline

    folder = save_tiny_pipeline(tmp_path / "sd-x4-tiny")
    upscaler = UpscalerResource(backend="sd_x4", sd_path=str(folder), device="cpu", steps=2, seed=7)
    upscale(store, instance, upscaler)
    table = check_outputs(store, accepted_cave, "sd_x4")
    recorded = rows(store,
                    "select model_id, steps, seed, prompt, len(stage_seeds) from upscaled_faces where tier = "
                    "'two_stage'")
    assert recorded[0][1:] == (2, 7, "A high-quality detailed image", 2)
    assert str(folder) in recorded[0][0] or "sd-x4-tiny" in recorded[0][0]
    assert {r[0] for r in table} == set(accepted_cave)


def test_missing_sd_weights_fail_with_what_to_download(store, instance, accepted_cave, tmp_path):
    upscaler = UpscalerResource(backend="sd_x4", sd_path=str(tmp_path / "nowhere"), device="cpu")
    result = dg.materialize([upscaled_faces], partition_key="U1", instance=instance, raise_on_error=False,
                            resources={"store": store, "upscaler": upscaler})
    assert not result.success
    message = next(e for e in result.all_events if e.is_step_failure).step_failure_data.error.message
    assert "stable-diffusion-x4-upscaler" in message and "DHF_SD_UPSCALER_PATH" in message


def test_the_upscale_step_is_gpu_pooled_and_asks_kubernetes_for_a_gpu():
    spec = upscaled_faces.specs_by_key[dg.AssetKey("upscaled_faces")]
    # The step claims its `gpu` slot itself (defs/pools.py; tested in test_crash_recovery.py), not through
    # Dagster's executor-side pool, whose wait cannot be logged, bounded or interrupted.
    assert upscaled_faces.op.pool is None and spec.tags["dhf/pool"] == "gpu"
    k8s = json.loads(upscaled_faces.op.tags["dagster-k8s/config"])  # Dagster stores tag values as JSON text
    assert k8s["container_config"]["resources"]["limits"]["nvidia.com/gpu"] == "1"
    assert spec.code_version.startswith("upscale-v1|")

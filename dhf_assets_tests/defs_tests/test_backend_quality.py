"""realesrgan through Dagster, and backend_quality / quality_by_backend: Tables 2-3 per backend (~10 s)."""

import dagster as dg
import pytest
from PIL import Image

from dhf_assets.defs.quality.assets import face_quality
from dhf_assets.defs.quality.comparison import backend_quality
from dhf_assets.defs.sql_models import sql_model_definitions
from dhf_assets.defs.upscale.assets import upscaled_faces
from dhf_assets.defs.upscale.resources import UpscalerResource, upscale_code_version
from dhf_assets.lib.storage.db import TableWrite
from dhf_assets_tests.archive_factory import voc_box, write_caves, write_mural
from dhf_assets_tests.conftest import shared_path
from dhf_assets_tests.defs_tests.conftest import build_catalog, build_cave, rows

MODEL_SHA256 = "d8b8f855d9ff0b4dff110d42b4fb3c23d5b911f34cb0dc171540f2bab4b7eacb"
BOXES = [voc_box(1, 1, 40, 56),
         voc_box(1, 101, 560, 660)]  # two_stage (one model call of 56 px, one of 256), downsample


@pytest.fixture
def cave(store, instance):
    write_caves(store.archive, [("R1", "MC", "FD", "IDRS")])
    write_mural(store.archive, "R1", "m1", (600, 700), BOXES)
    build_catalog(store, instance)
    build_cave(store, instance, "R1")
    face_ids = [r[0] for r in rows(store, "select face_id from faces order by object_index")]
    store.replace([TableWrite("subset_3k", ("face_id", "cave_id", "reviewer"), [(f, "R1", "curator") for f in face_ids],
                              {"cave_id": "R1"})])
    return face_ids


def materialize(store, instance, assets, upscaler, raise_on_error=True):
    return dg.materialize(assets, partition_key="R1", instance=instance, raise_on_error=raise_on_error,
                          resources={"store": store, "upscaler": upscaler})


def test_learned_images_with_provenance_then_both_backends_compared(store, instance, cave, monkeypatch):
    monkeypatch.setenv("DHF_COMPARE_BACKENDS", "auto")
    model = str(shared_path("weights", "realesr-general-x4v3.safetensors"))
    upscaler = UpscalerResource(backend="realesrgan", sr_model=model, device="cpu")
    result = materialize(store, instance, [upscaled_faces, face_quality, backend_quality], upscaler)
    recorded = rows(store, """select tier, backend, architecture, model_file, model_sha256, dtype, tile_size, image_path
                              from upscaled_faces order by tier desc""")
    assert [r[:7] for r in recorded] == [
        ("two_stage", "realesrgan", "RealESRGAN Compact", "realesr-general-x4v3.safetensors", MODEL_SHA256, "float32",
         512),
        ("downsample", "none", None, None, None, None, None)]
    for *_, path in recorded:
        with Image.open(store.output / path) as image:
            assert image.size == (512, 512) and image.mode == "RGB"
    assert result.asset_materializations_for_node("upscaled_faces")[0].metadata["model_sha256"].value == MODEL_SHA256

    compared = rows(store,
                    "select backend, tier, reused, model_sha256, psnr, esi_high from backend_quality order by backend, "
                    "tier")
    assert [r[:4] for r in compared] == [
        ("lanczos", "downsample", True, None), ("lanczos", "two_stage", False, None),  # computed here
        ("realesrgan", "downsample", True, MODEL_SHA256), ("realesrgan", "two_stage", True, MODEL_SHA256)]  # reused
    lanczos, learned = compared[1], compared[3]
    assert learned[4] >= 18.0 and learned[4] != lanczos[4]  # each backend measured on its own pixels

    marts = dg.materialize([sql_model_definitions()], selection=["stg_backend_quality", "quality_by_backend"],
                           instance=instance, resources={"store": store})
    assert marts.success
    table = rows(store, "select backend, band, images, model_images, psnr, lpips from quality_by_backend")
    assert [r[:4] for r in table] == [("lanczos", "~512", 1, 1), ("lanczos", "512~", 1, 0),
                                      ("realesrgan", "~512", 1, 1), ("realesrgan", "512~", 1, 0)]
    assert all(r[5] is None for r in table)  # no LPIPS weights here: NULL, with the reason in null_reasons

    again = materialize(store, instance, [backend_quality], upscaler)
    assert again.asset_materializations_for_node("backend_quality")[0].metadata["skipped"].value is True


def test_a_missing_model_file_fails_with_what_to_put_where(store, instance, cave, tmp_path):
    upscaler = UpscalerResource(backend="realesrgan", sr_model=str(tmp_path / "none.safetensors"), device="cpu")
    result = materialize(store, instance, [upscaled_faces], upscaler, raise_on_error=False)
    assert not result.success
    message = next(e for e in result.all_events if e.is_step_failure).step_failure_data.error.message
    assert "DHF_SR_MODEL" in message and "none.safetensors" in message


def test_a_new_model_file_changes_the_code_version(tmp_path, monkeypatch):
    first, second = tmp_path / "a.safetensors", tmp_path / "b.safetensors"
    first.write_bytes(b"one"), second.write_bytes(b"two")
    monkeypatch.setenv("DHF_UPSCALER", "realesrgan")
    monkeypatch.setenv("DHF_SR_MODEL", str(first))
    before = upscale_code_version()
    monkeypatch.setenv("DHF_SR_MODEL", str(second))
    assert upscale_code_version() != before
    monkeypatch.setenv("DHF_SR_MODEL", str(tmp_path / "absent.safetensors"))
    assert upscale_code_version().split("|sr=")[1].startswith("missing")  # definitions still load

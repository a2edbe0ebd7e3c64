"""The realesrgan backend: a real x4 model file through spandrel, on real face crops (CPU, ~10 s)."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from dhf_assets.lib.metrics import indicators, quality_row
from dhf_assets.lib.upscale import (
    BACKENDS,
    Crop,
    LanczosUpscaler,
    ModelFileError,
    SpandrelX4Upscaler,
    WeightsMissingError,
    make_upscaler,
    standardize,
)
from dhf_assets.lib.upscale.spandrel_x4 import tile_edges, tiled_forward
from dhf_assets_tests.conftest import shared_path
from dhf_assets_tests.real_crops import REAL_CROPS, load_crop

MODEL_SHA256 = "d8b8f855d9ff0b4dff110d42b4fb3c23d5b911f34cb0dc171540f2bab4b7eacb"
# Every tier, and three kinds of face (photo, small photo, painted mural); the other two group3_13
# faces are measured by `python -m dhf_assets_tests.real_crops` for the README, not here (CPU time).
TEST_CROPS = [c for c in REAL_CROPS if c.name not in ("group3_13_face2", "group3_13_face3")]
EXPECTED_TIER = {"group3_13_face1": "two_stage", "ivan_face": "two_stage", "mural_000740_face": "two_stage",
                 "mural_000740_figure": "one_stage", "group3_13_group": "downsample"}
MODEL_CROPS = [c.name for c in TEST_CROPS if EXPECTED_TIER[c.name] != "downsample"]


@pytest.fixture(scope="module")
def model_file():
    return shared_path("weights", "realesr-general-x4v3.safetensors")


@pytest.fixture(scope="module")
def upscaler(model_file) -> SpandrelX4Upscaler:
    return SpandrelX4Upscaler(model_file, device="cpu")


@pytest.fixture(scope="module")
def crops() -> dict[str, Image.Image]:
    shared_path("testdata", "faces", "group3_13.jpg")  # skips (or fails under CI) without ../shared
    return {crop.name: load_crop(crop) for crop in TEST_CROPS}


@pytest.fixture(scope="module")
def learned(upscaler, crops):
    return {r.provenance["image_id"]: r for r in standardize([Crop(n, i) for n, i in crops.items()], upscaler)}


@pytest.fixture(scope="module")
def classical(crops):
    return {r.provenance["image_id"]: r for r in standardize([Crop(n, i) for n, i in crops.items()], LanczosUpscaler())}


@pytest.mark.parametrize("name", list(EXPECTED_TIER))
def test_every_tier_gives_512_rgb_with_the_models_provenance(learned, name):
    result = learned[name]
    assert result.image.size == (512, 512) and result.image.mode == "RGB"
    provenance = result.provenance
    assert provenance["tier"] == EXPECTED_TIER[name]
    if provenance["tier"] == "downsample":  # no model touched it, and the row says so
        assert provenance["backend"] == "none" and provenance["model_sha256"] is None
        return
    assert provenance["backend"] == "realesrgan"
    assert provenance["architecture"] == "RealESRGAN Compact"
    assert provenance["model_file"] == "realesr-general-x4v3.safetensors"
    assert provenance["model_sha256"] == MODEL_SHA256
    assert (provenance["device"], provenance["dtype"], provenance["tile_size"], provenance["tile_overlap"]) == (
        "cpu", "float32", 512, 32)


@pytest.mark.parametrize("name", MODEL_CROPS)
def test_content_is_faithful_and_sharper_than_lanczos(learned, classical, crops, name):
    box = tuple(learned[name].provenance["content_box"])
    row = quality_row(crops[name], learned[name].image, None, box)
    assert row["psnr"] >= 18.0, f"{name}: PSNR {row['psnr']:.2f} dB under the 18 dB sanity floor"
    lanczos_esi = indicators(classical[name].image.crop(tuple(round(v) for v in box)))["esi"]
    assert row["esi_high"] > lanczos_esi, f"{name}: ESI {row['esi_high']:.4f} not above Lanczos' {lanczos_esi:.4f}"


def test_the_same_input_gives_the_same_pixels_again(upscaler, learned, crops):
    again = standardize([Crop("ivan_face", crops["ivan_face"])], upscaler)[0]
    assert np.array_equal(np.asarray(again.image), np.asarray(learned["ivan_face"].image))


def test_tiles_with_overlap_match_the_whole_image(upscaler, crops):
    # 32 px of context covers the Compact model's receptive field: tiling bounds memory, changes nothing.
    strip = crops["ivan_face"].resize((112, 48), Image.Resampling.LANCZOS)
    batch = upscaler.to_tensor([strip, strip.transpose(Image.Transpose.FLIP_LEFT_RIGHT)])
    whole = upscaler.forward(batch)
    tiled = tiled_forward(upscaler.descriptor, batch, 4, tile=56, overlap=32)
    assert tiled.shape == whole.shape == (2, 3, 192, 448)
    assert float((tiled - whole).abs().max()) < 1e-4


@pytest.mark.parametrize(("length", "tile", "edges"), [
    (512, 512, [0, 512]), (513, 512, [0, 256, 513]), (100, 0, [0, 100]), (10, 3, [0, 2, 5, 8, 10])])
def test_tile_edges_cover_the_side_in_nearly_equal_tiles(length, tile, edges):
    assert tile_edges(length, tile) == edges


def test_tiling_a_pointwise_model_is_exact():
    import torch

    batch = torch.rand(1, 3, 37, 50)
    nearest = lambda x: torch.nn.functional.interpolate(x, scale_factor=4, mode="nearest")  # noqa: E731
    assert torch.equal(tiled_forward(nearest, batch, 4, tile=16, overlap=3), nearest(batch))


def test_a_missing_model_file_says_what_to_put_where(tmp_path, monkeypatch):
    with pytest.raises(WeightsMissingError, match="DHF_SR_MODEL") as error:
        make_upscaler("realesrgan", model_path=tmp_path / "absent.safetensors")
    assert "absent.safetensors" in str(error.value) and "lanczos" in str(error.value)
    monkeypatch.delenv("DHF_SR_MODEL", raising=False)
    with pytest.raises(WeightsMissingError, match="setting is empty"):
        make_upscaler("realesrgan")
    assert "realesrgan" in BACKENDS


def test_a_model_that_is_not_x4_is_refused(tmp_path):
    import torch
    from safetensors.torch import save_file

    from dhf_assets.lib.runtime.torch_compat import ensure_torchvision

    ensure_torchvision()
    from spandrel.architectures.Compact import Compact

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        state = Compact(num_feat=8, num_conv=2, upscale=2).state_dict()
    save_file(state, tmp_path / "compact_x2.safetensors")
    with pytest.raises(ModelFileError, match=r"upscales x2; the tiers need a x4 model"):
        SpandrelX4Upscaler(tmp_path / "compact_x2.safetensors", device="cpu")


def test_a_file_that_is_no_model_is_refused_with_the_reason(tmp_path):
    (tmp_path / "notes.safetensors").write_bytes(b"not a model")
    with pytest.raises(ModelFileError, match="not a model spandrel can load"):
        SpandrelX4Upscaler(tmp_path / "notes.safetensors", device="cpu")
    (tmp_path / "model.onnx").write_bytes(b"x")
    with pytest.raises(ModelFileError, match="unsupported model file type"):
        SpandrelX4Upscaler(tmp_path / "model.onnx", device="cpu")


def _cuda() -> bool:
    import torch

    return torch.cuda.is_available()


@pytest.mark.gpu
@pytest.mark.skipif(not _cuda(), reason="needs CUDA")
def test_cuda_in_float16_gives_the_cpu_image(model_file, learned, crops):
    cuda = SpandrelX4Upscaler(model_file, device="cuda")
    assert cuda.settings()["device"].startswith("cuda") and cuda.settings()["dtype"] == "float16"
    result = standardize([Crop("ivan_face", crops["ivan_face"])], cuda)[0]
    reference = learned["ivan_face"].image
    assert quality_row(reference, result.image)["psnr"] >= 40.0  # float16 rounding only

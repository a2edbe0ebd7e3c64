"""The sd_x4 backend on the tiny random pipeline, saved and loaded through the real model's path."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from dhf_assets.lib.upscale import (
    PATH_ENV,
    REPO_ID,
    Crop,
    LanczosUpscaler,
    SdX4Upscaler,
    WeightsMissingError,
    resolve_weights,
    standardize,
)
from dhf_assets.lib.upscale.tiny import save_tiny_pipeline

STEPS = 1  # the tiny model's pixels are noise anyway; one step exercises the whole loop


def noise_image(width: int, height: int, seed: int = 0) -> Image.Image:
    pixels = np.random.default_rng(seed).integers(0, 256, (height, width, 3), dtype=np.uint8)
    return Image.fromarray(pixels, "RGB")


def cuda_available() -> bool:
    import torch

    return torch.cuda.is_available()


@pytest.fixture(scope="session")
def tiny_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_tiny_pipeline(tmp_path_factory.mktemp("sd_x4") / "tiny-x4-upscaler")


@pytest.fixture(scope="module")
def upscaler(tiny_dir: Path) -> SdX4Upscaler:
    return SdX4Upscaler(tiny_dir, device="cpu", steps=STEPS, seed=0)


def check_three_tiers(upscaler: SdX4Upscaler, device: str, dtype: str) -> None:
    sizes = {"small": (40, 60), "mid": (300, 280), "big": (700, 650)}
    crops = [Crop(name, noise_image(width, height)) for name, (width, height) in sizes.items()]
    results = standardize(crops, upscaler, batch_size=2)
    tiers = [r.provenance["tier"] for r in results]
    assert tiers == ["two_stage", "one_stage", "downsample"]
    for result in results:
        assert result.image.size == (512, 512) and result.image.mode == "RGB"
    small, mid, big = (r.provenance for r in results)
    assert small["backend"] == mid["backend"] == "sd_x4" and big["backend"] == "none"
    assert (small["device"], small["dtype"]) == (device, dtype)
    assert small["model_id"] == str(upscaler.weights_dir) and small["steps"] == upscaler.steps
    assert small["prompt"] == "A high-quality detailed image"
    assert (small["guidance"], small["noise_level"], small["seed"]) == (9.0, 20, 0)
    assert len(small["stage_seeds"]) == 2 and len(mid["stage_seeds"]) == 1
    assert mid["padding"] == [2, 12, 2, 12] and mid["square_method"] == "border_median"
    assert all(r.provenance["seconds"] > 0 for r in results)


def test_each_tier_becomes_512_rgb_with_provenance(upscaler: SdX4Upscaler) -> None:
    check_three_tiers(upscaler, "cpu", "float32")
    # Both backends record the same fields, so one table holds either.
    (classical,) = standardize([Crop("mid", noise_image(300, 280))], LanczosUpscaler())
    (modelled,) = standardize([Crop("big", noise_image(700, 650))], upscaler)
    assert classical.provenance.keys() == modelled.provenance.keys()


def test_same_seed_same_image_and_batch_does_not_matter(tiny_dir: Path, upscaler: SdX4Upscaler) -> None:
    first, second = noise_image(16, 16, seed=1), noise_image(16, 16, seed=2)
    alone = np.asarray(upscaler.upscale_x4([first], ["a"])[0])
    assert alone.shape == (64, 64, 3)
    again = SdX4Upscaler(tiny_dir, device="cpu", steps=STEPS, seed=0)  # a fresh load, as on a re-run
    assert np.array_equal(np.asarray(again.upscale_x4([first], ["a"])[0]), alone)
    batched = again.upscale_x4([second, first], ["b", "a"])
    assert np.abs(np.asarray(batched[1]).astype(int) - alone).max() <= 2  # float rounding only
    other_seed = SdX4Upscaler(tiny_dir, device="cpu", steps=STEPS, seed=1)
    assert not np.array_equal(np.asarray(other_seed.upscale_x4([first], ["a"])[0]), alone)


def test_a_batch_needs_one_size(upscaler: SdX4Upscaler) -> None:
    with pytest.raises(ValueError, match="one size"):
        upscaler.upscale_x4([noise_image(16, 16), noise_image(24, 24)])


def test_missing_weights_say_what_to_download(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(PATH_ENV, raising=False)
    with pytest.raises(WeightsMissingError, match=REPO_ID) as caught:
        SdX4Upscaler(cache_dir=tmp_path / "empty_cache")  # the default: the hub id, not cached
    assert isinstance(caught.value, FileNotFoundError) and PATH_ENV in str(caught.value)
    with pytest.raises(WeightsMissingError, match="missing model_index.json"):
        SdX4Upscaler(tmp_path)
    monkeypatch.setenv(PATH_ENV, str(tmp_path / "nowhere"))
    with pytest.raises(WeightsMissingError, match="no such folder"):
        SdX4Upscaler()


def test_configs_without_weights_are_refused(tmp_path: Path, tiny_dir: Path) -> None:
    partial = shutil.copytree(tiny_dir, tmp_path / "partial")
    for weights in (partial / "unet").glob("*.safetensors"):
        weights.unlink()
    with pytest.raises(WeightsMissingError, match="no weight file in unet/"):
        resolve_weights(partial)


def test_env_folder_and_hub_cache_resolve_offline(
    tmp_path: Path, tiny_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(PATH_ENV, str(tiny_dir))
    assert resolve_weights() == (tiny_dir.resolve(), str(tiny_dir.resolve()))
    # The hub cache's layout: refs/main names the commit whose snapshot folder holds the files.
    commit = "0123456789abcdef0123456789abcdef01234567"
    repo = tmp_path / "hub" / ("models--" + REPO_ID.replace("/", "--"))
    shutil.copytree(tiny_dir, repo / "snapshots" / commit)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(commit)
    folder, model_id = resolve_weights(REPO_ID, cache_dir=tmp_path / "hub")
    assert folder == repo / "snapshots" / commit and model_id == f"{REPO_ID}@{commit}"
    cached = SdX4Upscaler(REPO_ID, device="cpu", steps=STEPS, cache_dir=tmp_path / "hub")
    assert cached.upscale_x4([noise_image(8, 8)], ["x"])[0].size == (32, 32)


@pytest.mark.gpu
@pytest.mark.skipif(not cuda_available(), reason="needs CUDA")
def test_same_on_cuda_in_float16(tiny_dir: Path) -> None:
    import torch

    on_gpu = SdX4Upscaler(tiny_dir, device="cuda", steps=2, seed=0)
    assert on_gpu.pipeline.unet.dtype == torch.float16
    check_three_tiers(on_gpu, "cuda", "float16")
    first = standardize([Crop("small", noise_image(40, 60))], on_gpu)[0].image
    again = standardize([Crop("small", noise_image(40, 60))], on_gpu)[0].image
    # CPU generators give the same noise; GPU kernels may still differ in the last bit.
    assert np.abs(np.asarray(first).astype(int) - np.asarray(again)).max() <= 2

"""LPIPS loads through piq's own code from local files, never from the network.

Real weights cannot be downloaded here, so the fixture writes files of the real layout under the
real names (taken from piq and torchvision) with random values: the loading path is the one
real weights take; only the numbers differ.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from dhf_assets.lib.metrics import (
    LpipsUnavailable,
    fidelity_metrics,
    load_lpips,
    lpips_weight_urls,
    quality_row,
    quality_rows,
)
from dhf_assets.lib.metrics.lpips import LPIPS_CHANNELS, TOO_SMALL_REASON
from dhf_assets.lib.runtime.torch_compat import ensure_torchvision


def write_random_weights(torch_home: Path) -> Path:
    """Random LPIPS + VGG16 files of the real shapes in `<torch_home>/hub/checkpoints/`."""
    ensure_torchvision()
    import torch
    from torchvision.models import vgg16

    folder = torch_home / "hub" / "checkpoints"
    folder.mkdir(parents=True)
    lpips_name, vgg_name = lpips_weight_urls()  # piq's file first, then torchvision's
    generator = torch.Generator().manual_seed(0)
    # LPIPS layer weights are non-negative per-channel scales of shape (1, C, 1, 1).
    torch.save([torch.rand(1, c, 1, 1, generator=generator) for c in LPIPS_CHANNELS], folder / lpips_name)
    with torch.device("meta"):  # shapes only: no 528 MB allocation
        shapes = {key: value.shape for key, value in vgg16().state_dict().items()}
    state = {}
    for key, shape in shapes.items():
        if key.startswith("features.") and len(shape) == 4:  # He init keeps activations finite
            fan_in = shape[1] * shape[2] * shape[3]
            state[key] = torch.randn(shape, generator=generator) * math.sqrt(2.0 / fan_in)
        else:
            # Biases, and the classifier LPIPS never runs: one stored zero broadcast to the
            # full shape keeps the file at 59 MB instead of 528 MB.
            state[key] = torch.zeros(1).expand(shape)
    torch.save(state, folder / vgg_name)
    return folder


@pytest.fixture(scope="module")
def torch_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("torch_home")
    write_random_weights(home)
    return home


@pytest.fixture(scope="module")
def scorer(torch_home: Path):
    return load_lpips(torch_home)


@pytest.fixture(scope="module")
def face() -> Image.Image:
    from skimage import data

    return Image.fromarray(data.astronaut()).crop((150, 20, 330, 220)).resize((64, 64), Image.Resampling.LANCZOS)


def test_expected_file_names_are_piq_and_torchvision_ones() -> None:
    assert list(lpips_weight_urls()) == ["lpips_weights.pt", "vgg16-397923af.pth"]


def test_loads_offline_and_scores(scorer, face: Image.Image) -> None:
    import torch.hub

    before = torch.hub.get_dir()
    other = Image.fromarray(255 - np.asarray(face))
    same, different = scorer.score_batch([(face, face.copy()), (face, other)])
    assert same == pytest.approx(0.0, abs=1e-6)
    assert math.isfinite(different) and different > 0.0
    assert torch.hub.get_dir() == before  # the temporary hub dir was put back


def test_batch_groups_sizes_and_skips_tiny(scorer, face: Image.Image) -> None:
    larger = face.resize((80, 48))
    tiny = face.resize((8, 8))
    results = scorer.score_batch([(face, face.rotate(10)), (tiny, tiny), (larger, larger.rotate(5))])
    assert results[1] is None
    assert results[0] == pytest.approx(scorer.score(face, face.rotate(10)), rel=1e-4)
    assert results[2] == pytest.approx(scorer.score(larger, larger.rotate(5)), rel=1e-4)
    with pytest.raises(ValueError, match="not aligned"):
        scorer.score_batch([(face, larger)])


def test_fidelity_and_rows_use_the_scorer(scorer, face: Image.Image) -> None:
    processed = face.resize((512, 512), Image.Resampling.LANCZOS)
    single = fidelity_metrics(face, processed, scorer)
    assert single["lpips"] is not None and math.isfinite(single["lpips"]) and single["null_reasons"] == {}
    tiny = face.resize((12, 12))
    rows = quality_rows([(face, processed, None), (tiny, processed, None)], scorer)
    assert rows[0]["lpips"] == pytest.approx(single["lpips"], rel=1e-4)
    assert rows[1]["lpips"] is None and rows[1]["null_reasons"]["lpips"] == TOO_SMALL_REASON
    assert rows[1]["ssim"] is not None  # 12 px: large enough for SSIM, not for VGG16
    assert quality_row(tiny, processed, scorer)["null_reasons"]["lpips"] == TOO_SMALL_REASON


def test_missing_files_raise_a_helpful_error(tmp_path: Path) -> None:
    with pytest.raises(LpipsUnavailable) as caught:
        load_lpips(tmp_path)
    message = str(caught.value)
    assert "lpips_weights.pt" in message and "vgg16-397923af.pth" in message
    assert str(tmp_path / "hub" / "checkpoints") in message


def test_one_missing_file_is_named(tmp_path: Path, torch_home: Path) -> None:
    folder = tmp_path / "hub" / "checkpoints"
    folder.mkdir(parents=True)
    (folder / "lpips_weights.pt").write_bytes((torch_home / "hub" / "checkpoints" / "lpips_weights.pt").read_bytes())
    with pytest.raises(LpipsUnavailable, match=r"missing in .*checkpoints: vgg16-397923af\.pth\."):
        load_lpips(tmp_path)


def test_corrupt_file_raises_lpips_unavailable(tmp_path: Path) -> None:
    folder = tmp_path / "hub" / "checkpoints"
    folder.mkdir(parents=True)
    for name in lpips_weight_urls():
        (folder / name).write_bytes(b"not a checkpoint")
    with pytest.raises(LpipsUnavailable, match="could not be loaded"):
        load_lpips(tmp_path)

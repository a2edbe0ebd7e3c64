"""LPIPS through piq's own `piq.LPIPS`, loaded from local files only.

piq builds LPIPS from two files that `torch.hub.load_state_dict_from_url` looks up in
`<hub dir>/checkpoints/` by the basename of their URL, and downloads only when missing:
piq's `lpips_weights.pt` (five per-channel layer weights) and torchvision's VGG16 ImageNet
weights `vgg16-397923af.pth`. `load_lpips` checks both are there, points the hub directory at
them for the duration of the build and refuses any download, so a missing or misnamed file
becomes `LpipsUnavailable` (the caller stores NULL and the reason once per run) instead of a
network call. The scorer compares images as RGB in [0, 1] (piq normalises with ImageNet
statistics itself); sides below MIN_SIDE are not scored (see TOO_SMALL_REASON).
"""

from __future__ import annotations

import os
import threading
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image

from dhf_assets.lib.runtime.torch_compat import ensure_torchvision

if TYPE_CHECKING:  # torch and piq are imported lazily so that importing this package stays light
    import torch
    from piq import LPIPS

LPIPS_FALLBACK_URL = (
    "https://github.com/photosynthesis-team/photosynthesis.metrics/releases/download/v0.4.0/lpips_weights.pt"
)
VGG16_FALLBACK_URL = "https://download.pytorch.org/models/vgg16-397923af.pth"
# VGG16 pools four times before relu5_3, the last LPIPS layer: 16 px is the least that survives.
MIN_SIDE = 16
TOO_SMALL_REASON = f"image side below {MIN_SIDE} px: VGG16 has no relu5_3 features to compare"
LPIPS_CHANNELS = [64, 128, 256, 512, 512]
_build_lock = threading.Lock()


class LpipsUnavailable(RuntimeError):
    """LPIPS cannot be computed here; the message says which files to put where."""


def lpips_weight_urls() -> dict[str, str]:
    """File name -> URL of the two files piq's LPIPS loads, read from piq/torchvision when possible."""
    ensure_torchvision()
    import piq
    from torchvision.models import VGG16_Weights

    # Read the URLs from the libraries so a version bump that renames a file is followed.
    urls = [getattr(piq.LPIPS, "_weights_url", LPIPS_FALLBACK_URL),
            getattr(VGG16_Weights.IMAGENET1K_V1, "url", VGG16_FALLBACK_URL)]
    return {url.rsplit("/", 1)[-1]: url for url in urls}


def _refuse_download(url: str, dst: str, *args: object, **kwargs: object) -> None:
    raise LpipsUnavailable(f"LPIPS tried to download {url} to {dst}; this build must stay offline")


def _to_batch(images: Sequence[Image.Image]) -> torch.Tensor:
    import torch

    arrays = [np.asarray(image.convert("RGB"), dtype=np.float32) / 255.0 for image in images]
    return torch.from_numpy(np.stack(arrays)).permute(0, 3, 1, 2).contiguous()


class LpipsScorer:
    """A loaded piq LPIPS (reduction "none") with helpers for PIL pairs and batches."""

    def __init__(self, model: LPIPS, device: str = "cpu", batch_size: int = 8) -> None:
        self.model = model
        self.device = device
        self.batch_size = batch_size

    def score_tensors(self, x: torch.Tensor, y: torch.Tensor) -> list[float]:
        """LPIPS of aligned (N, 3, H, W) tensors in [0, 1]; one value per pair."""
        import torch

        with torch.inference_mode():
            values = self.model(x.to(self.device), y.to(self.device))
        return [float(v) for v in values.reshape(-1).cpu()]

    def score(self, a: Image.Image, b: Image.Image) -> float | None:
        """LPIPS of one pair of equal-size images; None when a side is below MIN_SIDE."""
        return self.score_batch([(a, b)])[0]

    def score_batch(self, pairs: Sequence[tuple[Image.Image, Image.Image]]) -> list[float | None]:
        """LPIPS per pair, batched by image size; None where a side is below MIN_SIDE."""
        results: list[float | None] = [None] * len(pairs)
        by_size: dict[tuple[int, int], list[int]] = {}
        for index, (a, b) in enumerate(pairs):
            if a.size != b.size:
                raise ValueError(f"pair {index} is not aligned: {a.size} vs {b.size}")
            if min(a.size) >= MIN_SIDE:
                by_size.setdefault(a.size, []).append(index)
        for indices in by_size.values():
            for start in range(0, len(indices), self.batch_size):
                chunk = indices[start:start + self.batch_size]
                x = _to_batch([pairs[i][0] for i in chunk])
                y = _to_batch([pairs[i][1] for i in chunk])
                for i, value in zip(chunk, self.score_tensors(x, y)):
                    results[i] = value
        return results


def _hub_dir(torch_home: Path | None) -> Path:
    import torch

    if torch_home is not None:
        return Path(torch_home) / "hub"
    return Path(torch.hub.get_dir())  # honours torch.hub.set_dir and $TORCH_HOME


def load_lpips(torch_home: Path | None = None, device: str = "cpu") -> LpipsScorer:
    """piq's LPIPS from `<torch_home>/hub/checkpoints/` (default: torch's hub dir), offline."""
    try:
        urls = lpips_weight_urls()
        import torch
        import torch.hub
        from piq import LPIPS
    except ImportError as error:  # piq or torchvision unusable here: same outcome for the caller
        raise LpipsUnavailable(f"piq/torchvision cannot be imported: {error}") from error
    folder = _hub_dir(torch_home) / "checkpoints"
    missing = [name for name in urls if not (folder / name).is_file()]
    if missing:
        wanted = "; ".join(f"{name} (from {url})" for name, url in urls.items())
        raise LpipsUnavailable(
            f"LPIPS weights missing in {folder}: {', '.join(missing)}. Put these files there: {wanted}"
        )
    with _build_lock:
        # Hub dir and downloader are process-global: set them only while piq builds, then restore.
        previous_dir, previous_download = torch.hub._hub_dir, torch.hub.download_url_to_file
        torch.hub.set_dir(os.fspath(folder.parent))
        torch.hub.download_url_to_file = _refuse_download
        try:
            with warnings.catch_warnings():
                # piq still calls vgg16(pretrained=True); torchvision's deprecation notice is noise.
                warnings.filterwarnings("ignore", category=UserWarning, module="torchvision")
                model = LPIPS(reduction="none")
        except LpipsUnavailable:
            raise
        except Exception as error:  # a corrupt or mismatched file: report it like a missing one
            raise LpipsUnavailable(f"LPIPS weights in {folder} could not be loaded: {error}") from error
        finally:
            torch.hub._hub_dir, torch.hub.download_url_to_file = previous_dir, previous_download
    sizes = [int(weight.numel()) for weight in model.weights]
    if sizes != LPIPS_CHANNELS:
        raise LpipsUnavailable(f"{folder}: layer weights have {sizes} channels, expected {LPIPS_CHANNELS}")
    return LpipsScorer(model.eval().to(device), device=device)

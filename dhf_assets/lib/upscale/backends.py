"""The x4 upscaler interface, the classical Lanczos backend and per-image seed derivation."""

from __future__ import annotations

import hashlib
from typing import Any, Protocol, Sequence

from PIL import Image

from dhf_assets.lib.upscale.tiers import RESAMPLE_NAME

BACKENDS = ("sd_x4", "realesrgan", "lanczos")


class WeightsMissingError(FileNotFoundError):
    """Model weights are not where the configuration says; the message says what to put where."""


class Upscaler(Protocol):
    backend: str  # "sd_x4" | "realesrgan" | "lanczos"
    model_id: str  # which weights (or which filter) produced the pixels

    def upscale_x4(self, images: list[Image.Image], keys: Sequence[str] | None = None) -> list[Image.Image]:
        """Upscale equally sized RGB images x4; `keys` (one per image) seed stochastic backends."""
        ...

    def seed_for(self, key: str) -> int | None:
        """The seed the backend uses for an image key, or None if it draws no noise."""
        ...

    def settings(self) -> dict[str, Any]:
        """Backend, model and sampling settings to record with every output."""
        ...


# What a backend without diffusion sampling records for the sampling settings (NULL in the table).
NO_SAMPLING: dict[str, Any] = {"steps": None, "guidance": None, "noise_level": None, "seed": None, "prompt": None,
                               "attention_slicing": None, "vae_tiling": None}


def derive_seed(base_seed: int, key: str) -> int:
    """A seed from the run's seed and an image key that is stable across processes and machines.

    Python's hash() is salted per process, so a digest is used: a re-run gives the same image,
    and an image's noise does not depend on which other images share its batch.
    """
    digest = hashlib.sha256(f"{base_seed}:{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big") & (2**63 - 1)


class LanczosUpscaler:
    """Classical x4 resampling, for machines without a GPU or without the model's weights."""

    backend = "lanczos"
    model_id = RESAMPLE_NAME

    def upscale_x4(self, images: list[Image.Image], keys: Sequence[str] | None = None) -> list[Image.Image]:
        return [image.resize((image.width * 4, image.height * 4), Image.Resampling.LANCZOS) for image in images]

    def seed_for(self, key: str) -> int | None:
        return None

    def settings(self) -> dict[str, Any]:
        return {
            "backend": self.backend,
            "model_id": self.model_id,
            "device": "cpu",
            "dtype": None,
            **NO_SAMPLING,
        }

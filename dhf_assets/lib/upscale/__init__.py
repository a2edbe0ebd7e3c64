"""Standardize Dunhuang face crops to 512x512 RGB (paper section 3.1.3), without Dagster.

`standardize(crops, upscaler)` sends each crop through its tier (see `tiers`) with one of three x4
backends: `SdX4Upscaler` (stable-diffusion-x4-upscaler, diffusers, offline weights),
`SpandrelX4Upscaler` (`realesrgan`: any x4 model file spandrel loads, e.g. Real-ESRGAN) or
`LanczosUpscaler` (classical, for machines without a GPU or weights). The chosen backend is used for
every model tier and recorded with every image; nothing falls back silently. torch, diffusers and
spandrel are imported only when a learned backend or the tiny pipeline is used.
"""

from dhf_assets.lib.upscale.backends import (
    BACKENDS,
    LanczosUpscaler,
    Upscaler,
    WeightsMissingError,
    derive_seed,
)
from dhf_assets.lib.upscale.sd_x4 import DEFAULT_PROMPT, PATH_ENV, REPO_ID, SdX4Upscaler, resolve_weights
from dhf_assets.lib.upscale.spandrel_x4 import (
    MODEL_ENV,
    ModelFileError,
    SpandrelX4Upscaler,
    file_sha256,
    resolve_model_file,
)
from dhf_assets.lib.upscale.standardize import Crop, Standardized, standardize
from dhf_assets.lib.upscale.tiers import TARGET_SIDE, TIERS, SquarePad, pad_to_square, tier_for


def make_upscaler(backend: str, **options: object) -> Upscaler:
    """The backend named `backend` (see BACKENDS); an unknown name is an error, not a fallback."""
    if backend == "sd_x4":
        return SdX4Upscaler(**options)  # type: ignore[arg-type]
    if backend == "realesrgan":
        return SpandrelX4Upscaler(**options)  # type: ignore[arg-type]
    if backend == "lanczos":
        if options:
            raise TypeError(f"the lanczos backend takes no options, got {sorted(options)}")
        return LanczosUpscaler()
    raise ValueError(f"unknown upscale backend {backend!r}; expected one of {BACKENDS}")


__all__ = [
    "BACKENDS",
    "DEFAULT_PROMPT",
    "PATH_ENV",
    "REPO_ID",
    "TARGET_SIDE",
    "TIERS",
    "Crop",
    "LanczosUpscaler",
    "MODEL_ENV",
    "ModelFileError",
    "SdX4Upscaler",
    "SpandrelX4Upscaler",
    "SquarePad",
    "Standardized",
    "Upscaler",
    "WeightsMissingError",
    "derive_seed",
    "file_sha256",
    "make_upscaler",
    "pad_to_square",
    "resolve_model_file",
    "resolve_weights",
    "standardize",
    "tier_for",
]

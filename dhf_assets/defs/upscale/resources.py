"""The upscaler: backend and parameters from the environment, overridable in run config."""

import functools
from pathlib import Path

import dagster as dg

from dhf_assets.lib.runtime.settings import Settings, current_settings
from dhf_assets.lib.upscale import Upscaler, make_upscaler, model_file_sha256

RESULT_SETTINGS = ("DHF_UPSCALER", "DHF_SD_UPSCALER_PATH", "DHF_SD_STEPS", "DHF_SD_GUIDANCE",
                   "DHF_SD_NOISE_LEVEL", "DHF_SD_SEED", "DHF_SD_PROMPT")
SR_SETTINGS = ("DHF_SR_TILE", "DHF_SR_TILE_OVERLAP")


def model_sha256(path: str) -> str:
    """The sha256 of a super-resolution model file, or "missing" (definitions load without it)."""
    return model_file_sha256(Path(path)) if path and Path(path).is_file() else "missing"


DEFAULT = Settings.from_env({})  # class defaults; the definitions pass the environment's settings


class UpscalerResource(dg.ConfigurableResource):
    """The ×4 super-resolution backend (sd_x4, realesrgan or lanczos) and its parameters; never substituted silently."""

    backend: str = DEFAULT.upscaler
    sd_path: str = DEFAULT.sd_upscaler_path
    sr_model: str = DEFAULT.sr_model  # realesrgan: a x4 model file spandrel loads
    sr_tile: int = DEFAULT.sr_tile
    sr_tile_overlap: int = DEFAULT.sr_tile_overlap
    device: str = DEFAULT.upscale_device  # "auto": CUDA when available, else CPU
    steps: int = DEFAULT.sd_steps
    guidance: float = DEFAULT.sd_guidance
    noise_level: int = DEFAULT.sd_noise_level
    seed: int = DEFAULT.sd_seed
    prompt: str = DEFAULT.sd_prompt
    batch_size: int = DEFAULT.upscale_batch

    @classmethod
    def from_settings(cls, settings: Settings) -> "UpscalerResource":
        return cls(backend=settings.upscaler, sd_path=settings.sd_upscaler_path, sr_model=settings.sr_model,
                   sr_tile=settings.sr_tile, sr_tile_overlap=settings.sr_tile_overlap,
                   device=settings.upscale_device, steps=settings.sd_steps, guidance=settings.sd_guidance,
                   noise_level=settings.sd_noise_level, seed=settings.sd_seed, prompt=settings.sd_prompt,
                   batch_size=settings.upscale_batch)

    def upscaler(self, backend: str | None = None) -> Upscaler:
        """The backend (this one's, or `backend`), its model loaded once per process and configuration."""
        backend = backend or self.backend
        sha = model_sha256(self.sr_model) if backend == "realesrgan" else ""
        return _cached_upscaler(backend, self.sd_path, self.sr_model, sha, self.sr_tile, self.sr_tile_overlap,
                                self.device, self.steps, self.guidance, self.noise_level, self.seed, self.prompt)

    def model_fingerprint(self) -> str:
        """What identifies the weights beyond the settings: the model file's content for realesrgan."""
        return model_sha256(self.sr_model) if self.backend == "realesrgan" else ""


@functools.lru_cache(maxsize=4)
def _cached_upscaler(backend: str, sd_path: str, sr_model: str, sr_sha256: str, sr_tile: int, sr_overlap: int,
                     device: str, steps: int, guidance: float, noise_level: int, seed: int, prompt: str) -> Upscaler:
    # sr_sha256 is part of the key: a new file at the same path loads the new model.
    chosen = None if device == "auto" else device
    if backend == "sd_x4":
        return make_upscaler("sd_x4", source=sd_path or None, device=chosen, steps=steps, guidance=guidance,
                             noise_level=noise_level, seed=seed, prompt=prompt)
    if backend == "realesrgan":
        return make_upscaler("realesrgan", model_path=sr_model or None, device=chosen, tile=sr_tile, overlap=sr_overlap)
    return make_upscaler(backend)


def upscale_code_version() -> str:
    """Backend and parameters as a code version: changing them makes `upscaled_faces` stale.

    For realesrgan the model file's sha256 is part of it, so a new model file marks the asset stale.
    """
    settings = current_settings()
    version = "upscale-v1|" + "|".join(settings.value(name) for name in RESULT_SETTINGS)
    if settings.upscaler == "realesrgan":
        version += "|sr=" + model_sha256(settings.sr_model) + "|" + "|".join(settings.value(n) for n in SR_SETTINGS)
    return version

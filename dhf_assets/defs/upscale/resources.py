"""The upscaler: backend and parameters from the environment, overridable in run config."""

import functools
from pathlib import Path

import dagster as dg

from dhf_assets.lib.settings import path_or_empty, setting
from dhf_assets.lib.upscale import Upscaler, file_sha256, make_upscaler

RESULT_SETTINGS = ("DHF_UPSCALER", "DHF_SD_UPSCALER_PATH", "DHF_SD_STEPS", "DHF_SD_GUIDANCE",
                   "DHF_SD_NOISE_LEVEL", "DHF_SD_SEED", "DHF_SD_PROMPT")
SR_SETTINGS = ("DHF_SR_TILE", "DHF_SR_TILE_OVERLAP")


def model_sha256(path: str) -> str:
    """The sha256 of a super-resolution model file, or "missing" (definitions load without it)."""
    return file_sha256(Path(path)) if path and Path(path).is_file() else "missing"


class UpscalerResource(dg.ConfigurableResource):
    """The ×4 super-resolution backend (sd_x4, realesrgan or lanczos) and its parameters; never substituted silently."""

    backend: str = setting("DHF_UPSCALER")
    sd_path: str = path_or_empty("DHF_SD_UPSCALER_PATH")
    sr_model: str = path_or_empty("DHF_SR_MODEL")  # realesrgan: a x4 model file spandrel loads
    sr_tile: int = int(setting("DHF_SR_TILE"))
    sr_tile_overlap: int = int(setting("DHF_SR_TILE_OVERLAP"))
    device: str = setting("DHF_UPSCALE_DEVICE")  # "auto": CUDA when available, else CPU
    steps: int = int(setting("DHF_SD_STEPS"))
    guidance: float = float(setting("DHF_SD_GUIDANCE"))
    noise_level: int = int(setting("DHF_SD_NOISE_LEVEL"))
    seed: int = int(setting("DHF_SD_SEED"))
    prompt: str = setting("DHF_SD_PROMPT")
    batch_size: int = int(setting("DHF_UPSCALE_BATCH"))

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
    version = "upscale-v1|" + "|".join(setting(name) for name in RESULT_SETTINGS)
    if setting("DHF_UPSCALER") == "realesrgan":
        version += (
            "|sr=" + model_sha256(path_or_empty("DHF_SR_MODEL")) + "|" + "|".join(setting(n) for n in SR_SETTINGS)
        )
    return version

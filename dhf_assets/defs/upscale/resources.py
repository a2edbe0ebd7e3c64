"""The upscaler: backend and parameters from the environment, overridable in run config."""

import functools

import dagster as dg

from dhf_assets.lib.settings import path_or_empty, setting
from dhf_assets.lib.upscale import Upscaler, make_upscaler

RESULT_SETTINGS = ("DHF_UPSCALER", "DHF_SD_UPSCALER_PATH", "DHF_SD_STEPS", "DHF_SD_GUIDANCE",
                   "DHF_SD_NOISE_LEVEL", "DHF_SD_SEED", "DHF_SD_PROMPT")


class UpscalerResource(dg.ConfigurableResource):
    """The ×4 super-resolution backend (sd_x4 or lanczos) and its parameters; never substituted silently."""

    backend: str = setting("DHF_UPSCALER")
    sd_path: str = path_or_empty("DHF_SD_UPSCALER_PATH")
    device: str = setting("DHF_UPSCALE_DEVICE")  # "auto": CUDA when available, else CPU
    steps: int = int(setting("DHF_SD_STEPS"))
    guidance: float = float(setting("DHF_SD_GUIDANCE"))
    noise_level: int = int(setting("DHF_SD_NOISE_LEVEL"))
    seed: int = int(setting("DHF_SD_SEED"))
    prompt: str = setting("DHF_SD_PROMPT")
    batch_size: int = int(setting("DHF_UPSCALE_BATCH"))

    def upscaler(self) -> Upscaler:
        """The backend, its model loaded once per process and configuration."""
        return _cached_upscaler(self.backend, self.sd_path, self.device, self.steps, self.guidance,
                                self.noise_level, self.seed, self.prompt)


@functools.lru_cache(maxsize=2)
def _cached_upscaler(backend: str, sd_path: str, device: str, steps: int, guidance: float,
                     noise_level: int, seed: int, prompt: str) -> Upscaler:
    if backend != "sd_x4":
        return make_upscaler(backend)
    return make_upscaler("sd_x4", source=sd_path or None, device=None if device == "auto" else device, steps=steps, guidance=guidance,
                         noise_level=noise_level, seed=seed, prompt=prompt)


def upscale_code_version() -> str:
    """Backend and parameters as a code version: changing them makes `upscaled_faces` stale."""
    return "upscale-v1|" + "|".join(setting(name) for name in RESULT_SETTINGS)

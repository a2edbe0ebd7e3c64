"""The stable-diffusion-x4-upscaler backend: diffusers' pipeline, loaded offline, seeded per image."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

from PIL import Image

from dhf_assets.lib.runtime.settings import current_settings
from dhf_assets.lib.runtime.torch_compat import ensure_torchvision
from dhf_assets.lib.upscale.backends import WeightsMissingError, derive_seed

REPO_ID = "stabilityai/stable-diffusion-x4-upscaler"
PATH_ENV = "DHF_SD_UPSCALER_PATH"
DEFAULT_PROMPT = "A high-quality detailed image"  # the paper's prompt
REQUIRED = ("model_index.json", "unet", "vae", "text_encoder", "tokenizer", "scheduler", "low_res_scheduler")
WEIGHT_FOLDERS = ("unet", "vae", "text_encoder")
WEIGHT_SUFFIXES = (".safetensors", ".bin")


def _missing(where: str, why: str) -> WeightsMissingError:
    return WeightsMissingError(
        f"stable-diffusion-x4-upscaler weights not found at {where}: {why}. Download {REPO_ID} "
        f"(a folder with model_index.json, unet/, vae/, text_encoder/, tokenizer/, scheduler/, "
        f"low_res_scheduler/; about 3.5 GB in float32) and set {PATH_ENV} to that folder, or put it "
        f"in the Hugging Face hub cache. Use the 'lanczos' backend on machines without the model."
    )


def _check_folder(folder: Path, where: str) -> Path:
    absent = [name for name in REQUIRED if not (folder / name).exists()]
    if absent:
        raise _missing(where, "missing " + ", ".join(absent))
    for name in WEIGHT_FOLDERS:
        # Configs without weights would fail deep inside from_pretrained with a vaguer message.
        if not any(path.name.endswith(WEIGHT_SUFFIXES) for path in (folder / name).iterdir()):
            raise _missing(where, f"no weight file in {name}/")
    return folder


def resolve_weights(source: str | Path | None = None, cache_dir: str | Path | None = None) -> tuple[Path, str]:
    """(folder, model_id) for a local folder or a hub repo id found in the cache, never downloading.

    `source` defaults to $DHF_SD_UPSCALER_PATH, then to the hub id. A cached repo's model_id carries
    the snapshot's commit, so the weights that made an image can be told apart.
    """
    source = str(source or current_settings().sd_upscaler_path or REPO_ID)
    folder = Path(source).expanduser()
    if folder.is_dir():
        resolved = folder.resolve()
        return _check_folder(resolved, str(resolved)), str(resolved)
    if source.count("/") != 1 or source.startswith(("/", ".", "~")):
        raise _missing(source, "no such folder")
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import LocalEntryNotFoundError

    try:
        snapshot = Path(snapshot_download(source, local_files_only=True, cache_dir=cache_dir))
    except LocalEntryNotFoundError as error:
        raise _missing(f"{source} in the hub cache", "not cached") from error
    return _check_folder(snapshot, f"{source} in the hub cache"), f"{source}@{snapshot.name}"


class SdX4Upscaler:
    """x4 super-resolution with the pretrained model: float16 on CUDA, float32 on the CPU."""

    backend = "sd_x4"

    def __init__(
        self,
        source: str | Path | None = None,
        *,
        device: str | None = None,
        prompt: str = DEFAULT_PROMPT,
        steps: int = 75,  # the pipeline's defaults: the paper names no other values
        guidance: float = 9.0,
        noise_level: int = 20,
        seed: int = 0,
        attention_slicing: bool = True,
        vae_tiling: bool = True,
        cache_dir: str | Path | None = None,
        pipeline: Any = None,
    ) -> None:
        ensure_torchvision()
        import torch

        if device is None:
            device = "cuda" if torch.cuda.is_available() else "cpu"
        if device.startswith("cuda") and not torch.cuda.is_available():
            raise RuntimeError("device 'cuda' was asked for, but torch sees no CUDA device")
        self.device = torch.device(device)
        self.dtype = torch.float16 if self.device.type == "cuda" else torch.float32
        self.prompt, self.steps, self.guidance = prompt, steps, guidance
        self.noise_level, self.seed = noise_level, seed
        self.attention_slicing, self.vae_tiling = attention_slicing, vae_tiling
        self._pipe: Any = None
        self._embeds: tuple[Any, Any] | None = None
        if pipeline is not None:  # a pipeline built in memory (the bench's full-size random one)
            self.weights_dir, self.model_id = None, f"in-memory:{type(pipeline.unet).__name__}"
            same = pipeline.unet.dtype == self.dtype  # casting again only makes diffusers warn
            self._pipe = self._prepare(pipeline if same else pipeline.to(dtype=self.dtype))
        else:
            self.weights_dir, self.model_id = resolve_weights(source, cache_dir)

    def _prepare(self, pipe: Any) -> Any:
        # No dtype here: from_pretrained already chose it, and a second cast makes diffusers warn.
        pipe = pipe.to(device=self.device)
        pipe.set_progress_bar_config(disable=True)
        # Set both ways: a pipeline handed in may carry another object's settings.
        if self.attention_slicing:
            pipe.enable_attention_slicing()
        else:
            pipe.disable_attention_slicing()
        if self.vae_tiling:
            pipe.vae.enable_tiling()  # a 512x512 input decodes to 2048x2048: tiles bound the memory
        else:
            pipe.vae.disable_tiling()
        return pipe

    @property
    def pipeline(self) -> Any:
        """The pipeline, loaded on first use and once per object (downsample-only runs skip it)."""
        if self._pipe is None:
            from diffusers import StableDiffusionUpscalePipeline

            pipe = StableDiffusionUpscalePipeline.from_pretrained(
                self.weights_dir, local_files_only=True, dtype=self.dtype
            )
            self._pipe = self._prepare(pipe)
        return self._pipe

    def prompt_embeddings(self) -> tuple[Any, Any]:
        """(negative, positive) text embeddings, encoded once: the prompt never changes."""
        if self._embeds is None:
            import torch

            with torch.inference_mode():
                positive, negative = self.pipeline.encode_prompt(
                    self.prompt, self.device, 1, self.guidance > 1.0, negative_prompt=None
                )
            self._embeds = (negative, positive)
        return self._embeds

    def seed_for(self, key: str) -> int | None:
        return derive_seed(self.seed, key)

    def upscale_x4(self, images: list[Image.Image], keys: Sequence[str] | None = None) -> list[Image.Image]:
        """One pipeline call for equally sized RGB images; `keys` default to their batch positions."""
        import torch

        if not images:
            return []
        sizes = {image.size for image in images}
        factor = self.pipeline.vae_scale_factor
        if len(sizes) != 1 or any(side % factor for side in images[0].size):
            raise ValueError(f"one batch needs one size, a multiple of {factor}; got {sorted(sizes)}")
        keys = list(keys) if keys is not None else [str(index) for index in range(len(images))]
        # CPU generators: the same noise on every device, one per image so the batch does not matter.
        generators = [torch.Generator("cpu").manual_seed(derive_seed(self.seed, key)) for key in keys]
        negative, positive = self.prompt_embeddings()
        count = len(images)
        with torch.inference_mode():
            result = self.pipeline(
                image=[image.convert("RGB") for image in images],
                prompt_embeds=positive.repeat(count, 1, 1),
                negative_prompt_embeds=None if negative is None else negative.repeat(count, 1, 1),
                num_inference_steps=self.steps,
                guidance_scale=self.guidance,
                noise_level=self.noise_level,
                generator=generators,
            ).images
        if self.device.type == "cuda":
            torch.cuda.empty_cache()  # the paper clears GPU memory between batches
        return result

    def settings(self) -> dict[str, Any]:
        return {
            "backend": self.backend,
            "model_id": self.model_id,
            "device": str(self.device),
            "dtype": str(self.dtype).removeprefix("torch."),
            "steps": self.steps,
            "guidance": self.guidance,
            "noise_level": self.noise_level,
            "seed": self.seed,
            "prompt": self.prompt,
            "attention_slicing": self.attention_slicing,
            "vae_tiling": self.vae_tiling,  # tiles are blended, so tiling changes the pixels slightly
        }


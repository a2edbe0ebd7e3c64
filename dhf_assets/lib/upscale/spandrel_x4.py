"""The learned x4 backend `realesrgan`: any x4 super-resolution model file that spandrel can load.

spandrel reads the architecture and its hyper-parameters from the state dict itself, so
Real-ESRGAN (RRDB or Compact), SwinIR, HAT, DAT, ... files work without new code. The model is
deterministic (no noise): the same input gives the same pixels. Inputs larger than the tile are cut
into tiles with `overlap` source pixels of context on each side; only each tile's centre is kept,
so memory stays bounded and the seams see the same neighbourhood as an untiled pass (for
realesr-general-x4v3, 32 px covers the receptive field: tiled output equals the untiled one).
"""

from __future__ import annotations

import functools
import math
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
from PIL import Image

from dhf_assets.lib.runtime.settings import current_settings
from dhf_assets.lib.runtime.torch_compat import ensure_torchvision
from dhf_assets.lib.storage.files import file_sha256
from dhf_assets.lib.upscale.backends import NO_SAMPLING, WeightsMissingError

MODEL_ENV = "DHF_SR_MODEL"
MODEL_SUFFIXES = (".safetensors", ".pth", ".pt", ".ckpt")
REQUIRED_SCALE = 4
EXAMPLE = "Real-ESRGAN's realesr-general-x4v3 (as .safetensors or .pth)"


class ModelFileError(ValueError):
    """The file exists but is not a usable x4 super-resolution model; the message says why."""


def _missing(where: str, why: str) -> WeightsMissingError:
    return WeightsMissingError(
        f"super-resolution model not found at {where}: {why}. Put a x4 model file that spandrel can load "
        f"({EXAMPLE}; also RealESRGAN x4plus, SwinIR, HAT, DAT x4 files; {', '.join(MODEL_SUFFIXES)}) anywhere "
        f"and set {MODEL_ENV} to its path. Use the 'lanczos' backend on machines without a model."
    )


def resolve_model_file(source: str | Path | None = None) -> Path:
    """The model file named by `source` or $DHF_SR_MODEL, or a WeightsMissingError saying what to put where."""
    value = str(source or current_settings().sr_model)
    if not value:
        raise _missing(f"${MODEL_ENV}", "the setting is empty")
    path = Path(value).expanduser().resolve()
    if not path.is_file():
        raise _missing(str(path), "no such file")
    if path.suffix.lower() not in MODEL_SUFFIXES:
        raise ModelFileError(f"{path}: unsupported model file type {path.suffix!r}; expected one of {MODEL_SUFFIXES}")
    return path


@functools.lru_cache(maxsize=16)
def _sha256_of(path: str, size: int, mtime_ns: int) -> str:
    return file_sha256(Path(path))


def model_file_sha256(path: Path) -> str:
    """A model file's sha256, hashed once per (path, size, mtime) in a process (models are large)."""
    stat = path.stat()
    return _sha256_of(str(path), stat.st_size, stat.st_mtime_ns)


def tile_edges(length: int, tile: int) -> list[int]:
    """Edges of ceil(length / tile) nearly equal tiles covering [0, length)."""
    count = max(1, math.ceil(length / tile)) if tile > 0 else 1
    return [round(index * length / count) for index in range(count + 1)]


def tiled_forward(forward: Callable[[Any], Any], batch: Any, scale: int, tile: int, overlap: int) -> Any:
    """`forward` on an NCHW batch, tile by tile with `overlap` pixels of context kept out of the result."""
    height, width = batch.shape[-2:]
    if tile <= 0 or (height <= tile and width <= tile):
        return forward(batch)
    rows, columns = tile_edges(height, tile), tile_edges(width, tile)
    output = None
    for y0, y1 in zip(rows, rows[1:]):
        for x0, x1 in zip(columns, columns[1:]):
            top, left = max(y0 - overlap, 0), max(x0 - overlap, 0)
            piece = forward(batch[..., top : min(y1 + overlap, height), left : min(x1 + overlap, width)])
            if output is None:
                output = piece.new_empty((*piece.shape[:2], height * scale, width * scale))
            dy, dx = (y0 - top) * scale, (x0 - left) * scale
            output[..., y0 * scale : y1 * scale, x0 * scale : x1 * scale] = (
                piece[..., dy : dy + (y1 - y0) * scale, dx : dx + (x1 - x0) * scale])
    return output


def load_descriptor(path: Path) -> Any:
    """spandrel's descriptor of a x4 RGB image model, or ModelFileError with the reason."""
    ensure_torchvision()  # spandrel imports torchvision: the shim must come first
    import spandrel

    try:
        descriptor = spandrel.ModelLoader(device="cpu").load_from_file(path)
    except Exception as exc:  # noqa: BLE001 - any loader error (safetensors, pickle, spandrel) means "not a model"
        raise ModelFileError(f"{path.name} is not a model spandrel can load: {type(exc).__name__}: {exc}") from exc
    name = descriptor.architecture.name
    if not isinstance(descriptor, spandrel.ImageModelDescriptor):
        raise ModelFileError(f"{path.name} ({name}) is not an image-to-image model")
    if descriptor.scale != REQUIRED_SCALE:
        raise ModelFileError(
            f"{path.name} ({name}) upscales x{descriptor.scale}; the tiers need a x{REQUIRED_SCALE} model "
            f"(each stage is x4, then Lanczos to 256 or 512)")
    if descriptor.input_channels != 3 or descriptor.output_channels != 3:
        raise ModelFileError(f"{path.name} ({name}) takes {descriptor.input_channels} and gives "
                             f"{descriptor.output_channels} channels; RGB (3 and 3) is needed")
    return descriptor


class SpandrelX4Upscaler:
    """x4 super-resolution with a local model file through spandrel: float16 on CUDA where supported."""

    backend = "realesrgan"

    def __init__(self, model_path: str | Path | None = None, *, device: str | None = None,
                 tile: int = 512, overlap: int = 32, half: bool = True) -> None:
        self.model_path = resolve_model_file(model_path)
        self.model_sha256 = model_file_sha256(self.model_path)
        descriptor = load_descriptor(self.model_path)
        import spandrel
        import torch

        if device is None or device == "auto":
            device = "cuda" if torch.cuda.is_available() else "cpu"
        if device.startswith("cuda") and not torch.cuda.is_available():
            raise RuntimeError("device 'cuda' was asked for, but torch sees no CUDA device")
        self.device = torch.device(device)
        use_half = half and self.device.type == "cuda" and descriptor.supports_half
        self.dtype = torch.float16 if use_half else torch.float32
        self.descriptor = descriptor.to(self.device).to(self.dtype).eval()
        self.architecture = descriptor.architecture.name
        # A model that tiles internally (or needs the whole image) is never cut into tiles here.
        self.tile = 0 if descriptor.tiling == spandrel.ModelTiling.INTERNAL else max(tile, 0)
        self.overlap = max(overlap, 0) if self.tile else 0
        self.model_id = f"{self.architecture}:{self.model_path.name}@{self.model_sha256[:12]}"

    def to_tensor(self, images: Sequence[Image.Image]) -> Any:
        """Equally sized RGB images as one float NCHW batch in [0, 1] on the model's device and dtype."""
        import torch

        sizes = {image.size for image in images}
        if len(sizes) != 1:
            raise ValueError(f"one batch needs one size; got {sorted(sizes)}")
        pixels = np.stack([np.asarray(image.convert("RGB")) for image in images])
        batch = torch.from_numpy(pixels).permute(0, 3, 1, 2).contiguous()  # NCHW memory, as the bare model gets
        return batch.to(self.device).to(self.dtype).div_(255.0)

    def forward(self, batch: Any) -> Any:
        """The model on a batch, tiled when it is larger than the tile; output clamped to [0, 1]."""
        import torch

        with torch.inference_mode():
            return tiled_forward(self.descriptor, batch, REQUIRED_SCALE, self.tile, self.overlap)

    def upscale_x4(self, images: list[Image.Image], keys: Sequence[str] | None = None) -> list[Image.Image]:
        """One batched forward for equally sized RGB images (`keys` are unused: nothing is random)."""
        import torch

        if not images:
            return []
        with torch.inference_mode():
            output = self.forward(self.to_tensor(images))
            pixels = output.float().mul_(255.0).round_().clamp_(0, 255).to(torch.uint8)
            arrays = pixels.permute(0, 2, 3, 1).cpu().numpy()
        if self.device.type == "cuda":
            torch.cuda.empty_cache()  # as sd_x4: free GPU memory between batches
        return [Image.fromarray(array, "RGB") for array in arrays]

    def seed_for(self, key: str) -> int | None:
        return None

    def settings(self) -> dict[str, Any]:
        return {
            "backend": self.backend,
            "model_id": self.model_id,
            "device": str(self.device),
            "dtype": str(self.dtype).removeprefix("torch."),
            **NO_SAMPLING,
            "architecture": self.architecture,
            "model_file": self.model_path.name,
            "model_sha256": self.model_sha256,
            "tile_size": self.tile,  # 0: whole image; tiles change pixels near seams slightly
            "tile_overlap": self.overlap,
        }

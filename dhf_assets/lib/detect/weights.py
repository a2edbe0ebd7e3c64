"""Reading RetinaFace weight files: plain state dicts and retinaface-pytorch's release archive."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import torch
from torch import nn

from dhf_assets.lib.detect.types import WeightsMissingError
from dhf_assets.lib.storage.files import file_sha256

ENV_VAR = "DHF_RETINAFACE_WEIGHTS"

# A key only each backbone's body has: names the backbone a mismatched file was made for.
_BODY_MARKERS = {"resnet50": "body.layer1.", "mobilenet0.25": "body.stage1."}

# Where each backbone's weights come from. The ResNet-50 asset is the one retinaface-pytorch 0.0.8
# names in retinaface/pre_trained_models.py (its get_model downloads it, which cannot work here).
SOURCES = {
    "resnet50": (
        "retinaface_resnet50_2020-07-20-f168fae3c.zip, the retinaface-pytorch release asset "
        "https://github.com/ternaus/retinaface/releases/download/0.01/"
        "retinaface_resnet50_2020-07-20-f168fae3c.zip (the zip itself or the .pth inside it)"
    ),
    "mobilenet0.25": (
        "mobilenet0.25_Final.pth from https://github.com/biubug6/Face-Detector-1MB-with-landmark "
        "(file weights/mobilenet0.25_Final.pth, MIT licence)"
    ),
}


class WeightsMismatchError(ValueError):
    """A weights file that is not a state dict for the requested RetinaFace backbone."""


def missing_weights_message(backbone: str, path: str | Path | None) -> str:
    where = "no weights path was given" if path is None else f"{path} is not a file"
    return (
        f"RetinaFace {backbone} weights are missing: {where}. Download {SOURCES[backbone]}, "
        f"put it outside the repository (for example in ../shared/weights/) and set {ENV_VAR} "
        f"to its absolute path. Nothing is downloaded automatically."
    )


def _is_release_archive(path: Path) -> bool:
    # torch.save also writes zip files, but with many entries (data.pkl, data/0, ...); the release
    # archive holds exactly one file, the .pth. This is the test torch.hub itself applies.
    if not zipfile.is_zipfile(path):
        return False
    with zipfile.ZipFile(path) as archive:
        members = archive.infolist()
    return len(members) == 1 and not members[0].is_dir()


def read_state_dict(path: Path) -> dict[str, torch.Tensor]:
    """Tensors by name from a .pth, or from a one-file zip around one; wrappers undone."""
    if _is_release_archive(path):
        with zipfile.ZipFile(path) as archive:
            source: Path | io.BytesIO = io.BytesIO(archive.read(archive.infolist()[0]))
    else:
        source = path
    # weights_only: a weights file is data; never run pickled code from it.
    loaded = torch.load(source, map_location="cpu", weights_only=True)
    if isinstance(loaded, dict) and isinstance(loaded.get("state_dict"), dict):
        loaded = loaded["state_dict"]  # training checkpoints wrap the weights
    if not isinstance(loaded, dict) or not all(
        isinstance(value, torch.Tensor) for value in loaded.values()
    ):
        raise WeightsMismatchError(f"{path} does not hold a state dict (name -> tensor)")
    for prefix in ("module.", "model."):  # DataParallel / Lightning wrappers
        if loaded and all(key.startswith(prefix) for key in loaded):
            loaded = {key[len(prefix) :]: value for key, value in loaded.items()}
    return loaded


def _mismatch_summary(expected: dict[str, torch.Tensor], found: dict[str, torch.Tensor]) -> str:
    missing = sorted(set(expected) - set(found))
    unexpected = sorted(set(found) - set(expected))
    shapes = sorted(
        f"{key} {tuple(found[key].shape)} (expected {tuple(expected[key].shape)})"
        for key in set(expected) & set(found)
        if found[key].shape != expected[key].shape
    )
    found_problems = (
        ("missing keys", missing), ("unexpected keys", unexpected), ("shape mismatches", shapes)
    )
    parts = [
        f"{len(items)} {label}, e.g. {', '.join(items[:3])}"
        for label, items in found_problems
        if items
    ]
    return "; ".join(parts)


def load_weights(net: nn.Module, backbone: str, path: str | Path | None) -> str:
    """Load `path` into `net` (strictly); return the weights id "backbone:sha256[:12]"."""
    if path is None or not Path(path).is_file():
        raise WeightsMissingError(missing_weights_message(backbone, path))
    path = Path(path)
    try:
        state = read_state_dict(path)
    except WeightsMismatchError:
        raise
    except Exception as error:  # torch.load raises many kinds of error on a file that is no pickle
        raise WeightsMismatchError(
            f"{path} could not be read as RetinaFace {backbone} weights: {error}"
        ) from error
    summary = _mismatch_summary(net.state_dict(), state)
    if summary:
        others = [
            name
            for name, marker in _BODY_MARKERS.items()
            if name != backbone and any(key.startswith(marker) for key in state)
        ]
        hint = f"it looks like {others[0]} weights" if others else "is it another network's file?"
        raise WeightsMismatchError(
            f"{path} does not match the RetinaFace {backbone} network ({hint}): {summary}"
        )
    net.load_state_dict(state, strict=True)
    return f"{backbone}:{file_sha256(path)[:12]}"

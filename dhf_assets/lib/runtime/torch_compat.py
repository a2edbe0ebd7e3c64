"""Make torchvision importable on a CPU-only torch.

The registry's torchvision 0.28.0 wheel links its native ops against CUDA libraries the CPU torch
lacks, so `import torchvision` fails with "operator torchvision::nms does not exist" (and with it
transformers, diffusers' upscale pipeline, piq, facenet-pytorch and retinaface-pytorch). Before
torchvision is first imported, this module tries to load the native ops; when that fails it
defines `torchvision::nms` and `torchvision::qnms` with a pure-torch CPU kernel. Where the native
ops load (a CUDA machine with a matching build), nothing changes.
"""

from __future__ import annotations

import importlib.util
import sys
import threading
from pathlib import Path

_lock = threading.Lock()
_state: dict[str, object] = {"done": False, "native": None, "library": None}

_NMS_SCHEMA = "nms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor"
_QNMS_SCHEMA = "qnms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor"


# Up to this many boxes the IoU of every pair is one n x n computation (16 MB of floats at the limit);
# beyond it the loop computes one row per kept box.
_MATRIX_MAX_BOXES = 2048


def nms_reference(boxes, scores, iou_threshold: float):
    """Greedy non-maximum suppression in plain torch; indices sorted by decreasing score.

    The same greedy result as `greedy_nms_loop`, from one IoU matrix and a loop over its rows as numpy
    booleans: facenet's MTCNN calls this a few times per crop with tens to hundreds of boxes, where
    several torch calls per kept box cost more than the detector's smaller networks.
    """
    import numpy as np
    import torch

    if boxes.numel() == 0 or boxes.shape[0] > _MATRIX_MAX_BOXES:
        return greedy_nms_loop(boxes, scores, iou_threshold)
    order = torch.argsort(scores.float(), descending=True, stable=True)
    x1, y1, x2, y2 = boxes.float()[order].unbind(dim=1)
    areas = (x2 - x1).clamp(min=0) * (y2 - y1).clamp(min=0)
    inter = ((torch.minimum(x2[:, None], x2) - torch.maximum(x1[:, None], x1)).clamp(min=0)
             * (torch.minimum(y2[:, None], y2) - torch.maximum(y1[:, None], y1)).clamp(min=0))
    overlaps = (inter / (areas[:, None] + areas - inter).clamp(min=1e-12) > iou_threshold).cpu().numpy()
    suppressed = np.zeros(len(order), dtype=bool)
    kept: list[int] = []
    for rank in range(len(order)):
        if not suppressed[rank]:
            kept.append(rank)
            suppressed |= overlaps[rank]
    return order[torch.tensor(kept, dtype=torch.long, device=order.device)]


def greedy_nms_loop(boxes, scores, iou_threshold: float):
    """Greedy non-maximum suppression, one IoU row per kept box (any number of boxes)."""
    import torch

    if boxes.numel() == 0:
        return torch.empty((0,), dtype=torch.long, device=boxes.device)
    boxes = boxes.float()
    x1, y1, x2, y2 = boxes.unbind(dim=1)
    areas = (x2 - x1).clamp(min=0) * (y2 - y1).clamp(min=0)
    order = torch.argsort(scores.float(), descending=True, stable=True)
    suppressed = torch.zeros(boxes.shape[0], dtype=torch.bool, device=boxes.device)
    keep: list[int] = []
    for index in order.tolist():
        if suppressed[index]:
            continue
        keep.append(index)
        xx1 = torch.maximum(x1[index], x1)
        yy1 = torch.maximum(y1[index], y1)
        xx2 = torch.minimum(x2[index], x2)
        yy2 = torch.minimum(y2[index], y2)
        inter = (xx2 - xx1).clamp(min=0) * (yy2 - yy1).clamp(min=0)
        iou = inter / (areas[index] + areas - inter).clamp(min=1e-12)
        suppressed |= iou > iou_threshold
    return torch.tensor(keep, dtype=torch.long, device=boxes.device)


def _load_native(torch) -> bool:
    spec = importlib.util.find_spec("torchvision")
    if spec is None or spec.origin is None:
        return False
    for candidate in sorted(Path(spec.origin).parent.glob("_C*.so")):
        try:
            torch.ops.load_library(str(candidate))
            return True
        except (OSError, RuntimeError):
            continue
    return False


def _define_fallback_ops(torch) -> object:
    library = torch.library.Library("torchvision", "DEF")
    library.define(_NMS_SCHEMA)
    library.define(_QNMS_SCHEMA)
    for name in ("nms", "qnms"):
        library.impl(name, lambda dets, scores, thr: nms_reference(dets, scores, thr), "CPU")
        library.impl(name, lambda dets, scores, thr: nms_reference(dets, scores, thr), "CUDA")
    return library


def ensure_torchvision() -> bool:
    """Import torchvision, defining its nms ops first if they cannot load; True if native."""
    with _lock:
        if _state["done"]:
            return bool(_state["native"])
        import torch

        native = "torchvision" in sys.modules or _load_native(torch)
        if not native:
            _state["library"] = _define_fallback_ops(torch)  # keep a reference alive
        import torchvision
        import torchvision.extension

        if not native:
            torchvision.extension._has_ops = lambda: True
        _state.update(done=True, native=native)
        return native

"""Non-maximum suppression for the detectors' post-processing.

Where torchvision's native ops load (a CUDA build), its `nms` is used. Here, on the CPU-only
torch, `torchvision::nms` is torch_compat's fallback (`nms_reference`: one IoU matrix and a loop
over its rows as numpy booleans), the same greedy result.
"""

from __future__ import annotations

import torch

from dhf_assets.lib.runtime.torch_compat import ensure_torchvision


def nms(boxes: torch.Tensor, scores: torch.Tensor, iou_threshold: float) -> torch.Tensor:
    """Indices of the boxes kept, best score first (boxes x1, y1, x2, y2)."""
    # Imported at the first call: torchvision pulls in torch._dynamo (about 1 s), which loading the
    # definitions, or a build whose steps all skip, never needs.
    ensure_torchvision()
    from torchvision.ops import nms as torchvision_nms

    return torchvision_nms(boxes, scores, iou_threshold)

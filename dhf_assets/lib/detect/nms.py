"""Non-maximum suppression for the detectors' post-processing.

Where torchvision's native ops load (a CUDA build), its `nms` is used. Here, on the CPU-only
torch, `torchvision::nms` is torch_compat's fallback, which loops in Python with several torch
calls per kept box; at the few dozen candidates a face crop yields, one IoU matrix and a loop
over its numpy rows is several times cheaper, and keeps the same greedy result.
"""

from __future__ import annotations

import numpy as np
import torch

from dhf_assets.lib.runtime.torch_compat import ensure_torchvision

_NATIVE = ensure_torchvision()

from torchvision.ops import box_iou, nms as torchvision_nms  # noqa: E402


def nms(boxes: torch.Tensor, scores: torch.Tensor, iou_threshold: float) -> torch.Tensor:
    """Indices of the boxes kept, best score first (boxes x1, y1, x2, y2)."""
    if _NATIVE or boxes.device.type != "cpu":
        return torchvision_nms(boxes, scores, iou_threshold)
    order = torch.argsort(scores, descending=True, stable=True)
    overlaps = (box_iou(boxes[order], boxes[order]) > iou_threshold).numpy()
    suppressed = np.zeros(len(order), dtype=bool)
    kept: list[int] = []
    for rank in range(len(order)):
        if not suppressed[rank]:
            kept.append(rank)
            suppressed |= overlaps[rank]
    return order[torch.tensor(kept, dtype=torch.long)]

"""Merging detections across tiles, scales and detectors into one box per face, in the annotators' style.

Detectors box the face from brows to chin; annotators of the sample box the whole head. Each detector's
box is mapped to the annotation style first (`HEAD_STYLE`, fitted on the sample's 36 annotated real
faces: median annotated/detected width and height, and the centre's shift as a share of the height;
both detectors then find all 36), so that a proposal is accepted with one key rather than redrawn.
The project's greedy NMS (lib/detect/nms.py) then keeps the best box of each group of boxes that
overlap above `iou`; the kept box records every detector whose box it absorbed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from dhf_assets.lib.detect.nms import nms
from dhf_assets.lib.proposals.detect import Box, Found
from dhf_assets.lib.runtime.torch_compat import ensure_torchvision


@dataclass(frozen=True)
class BoxStyle:
    width: float  # annotated width / detected width
    height: float  # annotated height / detected height
    shift_y: float  # centre shift as a share of the detected height (negative: up)


HEAD_STYLE: dict[str, BoxStyle] = {
    "mtcnn": BoxStyle(1.75, 1.70, -0.127),
    "yunet": BoxStyle(1.64, 1.67, -0.123),
}
TIGHT_STYLE: dict[str, BoxStyle] = {}  # the detectors' own boxes
STYLES = {"head": HEAD_STYLE, "tight": TIGHT_STYLE}
STYLE_VERSION = "head(mtcnn:1.75,1.70,-0.127;yunet:1.64,1.67,-0.123)"


@dataclass(frozen=True)
class Merged:
    box: tuple[int, int, int, int]  # 0-based, half-open pixels of the scan, like `faces`
    score: float
    detectors: tuple[str, ...]


def restyle(found: Found, style: dict[str, BoxStyle]) -> Found:
    """A detection's box in the annotation style (unchanged for a detector the style does not name)."""
    rule = style.get(found.detector)
    if rule is None:
        return found
    x1, y1, x2, y2 = found.box
    width, height = x2 - x1, y2 - y1
    cx, cy = (x1 + x2) / 2, (y1 + y2) / 2 + rule.shift_y * height
    half_w, half_h = rule.width * width / 2, rule.height * height / 2
    return Found((cx - half_w, cy - half_h, cx + half_w, cy + half_h), found.score, found.detector)


def pixel_box(box: Box, width: int, height: int) -> tuple[int, int, int, int] | None:
    """Whole pixels covering the box, clipped to the scan; None when nothing is left."""
    x1, y1 = max(0, math.floor(box[0])), max(0, math.floor(box[1]))
    x2, y2 = min(width, math.ceil(box[2])), min(height, math.ceil(box[3]))
    return (x1, y1, x2, y2) if x2 > x1 and y2 > y1 else None


def merge(found: list[Found], width: int, height: int, style: dict[str, BoxStyle], iou: float = 0.4) -> list[Merged]:
    """One box per face, best score first; scores stay each detector's own."""
    styled = [restyle(f, style) for f in found]
    if not styled:
        return []
    boxes = torch.tensor([f.box for f in styled], dtype=torch.float32)
    scores = torch.tensor([f.score for f in styled], dtype=torch.float32)
    ensure_torchvision()  # makes torchvision importable on the CPU-only torch (lib/runtime/torch_compat.py)
    from torchvision.ops import box_iou

    overlaps = box_iou(boxes, boxes) > iou
    taken = torch.zeros(len(styled), dtype=torch.bool)
    merged = []
    for index in nms(boxes, scores, iou).tolist():
        members = overlaps[index] & ~taken
        members[index] = True
        taken |= members
        box = pixel_box(styled[index].box, width, height)
        if box is not None:
            names = sorted({styled[m].detector for m in torch.nonzero(members).flatten().tolist()})
            merged.append(Merged(box, styled[index].score, tuple(names)))
    return merged

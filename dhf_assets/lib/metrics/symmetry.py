"""Mirror symmetry of the faces of one mural (paper, section 4.1).

The axis is the mean x of all box centres of the mural. A box left of the axis pairs with a box
right of it when the right box's centre, mirrored across the axis, lies within the tolerance of the
left centre in both x and y. Each box is in at most one pair: among all candidate pairs, the one
with the smallest mirrored distance is taken first (ties by left face_id, then right face_id), then
the next whose boxes are both still free, and so on. This greedy matching is deterministic and
independent of the order the boxes come in. A box whose centre lies exactly on the axis is on
neither side and is never paired.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

DEFAULT_TOLERANCE_PX = 200.0


@dataclass(frozen=True)
class FaceBox:
    """A face box in mural pixels: 0-based, half-open (xmax - xmin is the width)."""

    face_id: str
    xmin: int
    ymin: int
    xmax: int
    ymax: int

    @property
    def centre_x(self) -> float:
        return (self.xmin + self.xmax) / 2

    @property
    def centre_y(self) -> float:
        return (self.ymin + self.ymax) / 2

    @property
    def area(self) -> int:
        return (self.xmax - self.xmin) * (self.ymax - self.ymin)


@dataclass(frozen=True)
class SymmetryPair:
    """Two mirror faces and their errors: H = |dx| and V = |dy| after mirroring, A = |area difference|."""

    left_face_id: str
    right_face_id: str
    h_err: float
    v_err: float
    area_err: float


@dataclass(frozen=True)
class MuralSymmetry:
    axis_x: float
    pairs: tuple[SymmetryPair, ...]


def symmetry_axis(boxes: Sequence[FaceBox]) -> float:
    """The mean x of the box centres (the paper's c); undefined without boxes."""
    if not boxes:
        raise ValueError("a mural without boxes has no symmetry axis")
    return math.fsum(box.centre_x for box in boxes) / len(boxes)


def _candidates(left: Sequence[FaceBox], right: Sequence[FaceBox], axis_x: float,
                tolerance_px: float) -> list[tuple[float, str, str, float, float, FaceBox, FaceBox]]:
    found = []
    for left_box in left:
        for right_box in right:
            dx = abs(left_box.centre_x - (2 * axis_x - right_box.centre_x))
            dy = abs(left_box.centre_y - right_box.centre_y)
            if dx <= tolerance_px and dy <= tolerance_px:
                found.append((math.hypot(dx, dy), left_box.face_id, right_box.face_id, dx, dy, left_box, right_box))
    return found


def mural_symmetry(boxes: Sequence[FaceBox], tolerance_px: float = DEFAULT_TOLERANCE_PX) -> MuralSymmetry:
    """The axis and the mirror pairs of one mural's boxes, ordered by the left box's centre x."""
    if tolerance_px < 0:
        raise ValueError(f"tolerance must not be negative, got {tolerance_px}")
    axis_x = symmetry_axis(boxes)
    left = [box for box in boxes if box.centre_x < axis_x]
    right = [box for box in boxes if box.centre_x > axis_x]
    taken: set[str] = set()
    chosen: list[tuple[FaceBox, SymmetryPair]] = []
    for _, left_id, right_id, dx, dy, left_box, right_box in sorted(
        _candidates(left, right, axis_x, tolerance_px), key=lambda c: c[:3]
    ):
        if left_id in taken or right_id in taken:
            continue
        taken.update((left_id, right_id))
        pair = SymmetryPair(left_id, right_id, dx, dy, float(abs(left_box.area - right_box.area)))
        chosen.append((left_box, pair))
    chosen.sort(key=lambda item: (item[0].centre_x, item[0].centre_y, item[0].face_id))
    return MuralSymmetry(axis_x, tuple(pair for _, pair in chosen))

"""Per-face reuse for the per-face stages (upscaled_faces, face_quality): only new or changed faces are computed.

Each stage records, per face, a hash of what that face's result depends on (its crop, its upstream
image, the stage's configuration) in `face_stage_inputs`. On the next build a face whose recorded
hash equals its current one, whose previous row exists and whose output file is present keeps its
row; every other face is computed. Accepting ten more faces therefore standardizes ten faces.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Callable, Mapping

FACE_INPUT_COLUMNS = ("cave_id", "asset", "face_id", "inputs")


def face_inputs(*parts: str) -> str:
    """One hash of the parts a face's result depends on."""
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:24]


@dataclass(frozen=True)
class ReusePlan:
    reused: list[tuple]  # previous rows kept as they are
    compute: list[str]  # face ids to compute, in the order given


def plan_reuse(
    current: Mapping[str, str], recorded: Mapping[str, str], previous_rows: Mapping[str, tuple],
    present: Callable[[tuple], bool], force: bool = False,
) -> ReusePlan:
    """Which faces keep their previous row and which are computed again (all of them when forced)."""
    reused, compute = [], []
    for face_id, inputs in current.items():
        row = previous_rows.get(face_id)
        if not force and row is not None and recorded.get(face_id) == inputs and present(row):
            reused.append(row)
        else:
            compute.append(face_id)
    return ReusePlan(reused, compute)


def input_rows(cave_id: str, asset: str, current: Mapping[str, str], kept: set[str]) -> list[tuple]:
    """`face_stage_inputs` rows for the faces that have a row in the stage's table now."""
    return [(cave_id, asset, face_id, inputs) for face_id, inputs in sorted(current.items()) if face_id in kept]

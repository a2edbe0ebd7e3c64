"""Analysis: the mirror symmetry of each mural's faces (paper, section 4.1)."""

from itertools import groupby

import dagster as dg

from dhf_assets.defs.partitions import caves_partitions
from dhf_assets.defs.resources import DhfStore
from dhf_assets.lib.metrics.symmetry import FaceBox, mural_symmetry
from dhf_assets.lib.runtime.settings import current_settings
from dhf_assets.lib.storage.db import TableWrite

TOLERANCE_VARIABLE = "DHF_SYMMETRY_TOLERANCE_PX"
SYMMETRY_COLUMNS = ("cave_id", "mural_id", "axis_x", "left_face_id", "right_face_id", "h_err", "v_err", "area_err")


def symmetry_tolerance_px() -> float:
    """The pairing tolerance in pixels from DHF_SYMMETRY_TOLERANCE_PX (the paper's 200 by default)."""
    value = current_settings().symmetry_tolerance_px  # a SettingError (a ValueError) names a non-number
    if not value >= 0:
        raise ValueError(f"{TOLERANCE_VARIABLE}={value!r} must be a non-negative number of pixels")
    return value


@dg.asset(
    partitions_def=caves_partitions,
    deps=["faces"],
    group_name="analysis",
    kinds={"duckdb"},
    code_version=f"tolerance={symmetry_tolerance_px():g}",
)
def symmetry_pairs(context: dg.AssetExecutionContext, store: DhfStore) -> dg.MaterializeResult:
    """Mirror-symmetric face pairs of each mural of the cave, with the axis and the H, V, area errors of section 4.1."""
    cave_id = context.partition_key
    tolerance = symmetry_tolerance_px()
    boxes = store.query(
        "select mural_id, face_id, xmin, ymin, xmax, ymax from faces where cave_id = ? order by mural_id, face_id",
        [cave_id],
    )
    rows: list[tuple] = []
    murals = 0
    for mural_id, mural_boxes in groupby(boxes, key=lambda row: row[0]):
        murals += 1
        symmetry = mural_symmetry([FaceBox(*row[1:]) for row in mural_boxes], tolerance)
        rows += [(cave_id, mural_id, symmetry.axis_x, p.left_face_id, p.right_face_id, p.h_err, p.v_err, p.area_err)
                 for p in symmetry.pairs]
    store.replace([TableWrite("symmetry_pairs", SYMMETRY_COLUMNS, rows, {"cave_id": cave_id})])
    return dg.MaterializeResult(metadata={
        "dagster/row_count": len(rows),
        "murals": murals,
        "murals_with_pairs": len({row[1] for row in rows}),
        "tolerance_px": tolerance,
        "h_err_max": max((row[5] for row in rows), default=0.0),
        "v_err_max": max((row[6] for row in rows), default=0.0),
    })

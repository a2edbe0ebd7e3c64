"""Faces: every VOC box of a cave cropped from its mural and written as PNG."""


import time
from collections import Counter

import dagster as dg

from dhf_assets.defs.checks import checked_asset
from dhf_assets.defs.incremental.skip import begin, skipped
from dhf_assets.defs.resources import DhfStore
from dhf_assets.lib.ingest.crops import FACE_COLUMNS, MuralRecord, extract_mural_faces
from dhf_assets.lib.metrics.near_duplicates import HASH_COLUMNS
from dhf_assets.lib.storage.db import TableWrite
from dhf_assets.lib.storage.files import remove_stale_files
from dhf_assets.lib.storage.quarantine import Problem


def mural_records(store: DhfStore, cave_id: str) -> list[MuralRecord]:
    rows = store.query(
        "select mural_id, path, voc_path, width, height from murals where cave_id = ? order by mural_id",
        [cave_id],
    )
    return [
        MuralRecord(cave_id, mural_id, store.archive / path, store.archive / voc if voc else None, width, height)
        for mural_id, path, voc, width, height in rows
    ]


FACES_VERSION = "faces-v1"


@checked_asset(deps=["murals"], group_name="faces", kinds={"duckdb", "png"}, code_version=FACES_VERSION)
def faces(context: dg.AssetExecutionContext, store: DhfStore) -> dg.MaterializeResult:
    """Every valid VOC box of the cave cropped once from its decoded mural, one PNG and one row per face."""
    cave_id = context.partition_key
    started = time.perf_counter()
    step = begin(context, store, "faces", FACES_VERSION, str(store.png_compress_level), str(store.max_mural_pixels))
    if step.unchanged(store.output):  # and every crop file is there
        return skipped(step)
    rows: list[tuple] = []
    problems: list[Problem] = []
    hashes: dict[str, str] = {}  # pHash of each crop while it is in memory: near_duplicates reads them
    for mural in mural_records(store, cave_id):  # one mural decoded at a time: memory stays bounded
        mural_rows, mural_problems = extract_mural_faces(
            mural, store.output, store.max_mural_pixels, store.png_compress_level, hashes
        )
        rows += mural_rows
        problems += mural_problems
    phashes = [(row[0], cave_id, row[-1], hashes[row[0]]) for row in rows]
    store.replace([*step.writes(FACE_COLUMNS, rows, "faces", problems),
                   TableWrite("crop_phashes", HASH_COLUMNS, phashes, {"cave_id": cave_id})])
    kept = {store.output / row[FACE_COLUMNS.index("crop_path")] for row in rows}
    removed = remove_stale_files(store.output / "crops" / cave_id, kept, "*.png")
    sides = Counter(_size_band(max(r[8], r[9])) for r in rows)
    return dg.MaterializeResult(data_version=dg.DataVersion(step.fingerprint), metadata={
        "dagster/row_count": len(rows),
        "quarantined": sum(p.severity == "error" for p in problems),
        "stale_crops_removed": removed,
        "crops_by_longer_side": dg.MetadataValue.json(dict(sorted(sides.items()))),
        "seconds": round(time.perf_counter() - started, 2),
    })


def _size_band(longer_side: int) -> str:
    return "<256" if longer_side < 256 else "256-512" if longer_side <= 512 else ">512"

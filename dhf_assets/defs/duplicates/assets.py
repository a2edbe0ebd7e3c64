"""Near-duplicate crops across murals and caves, by perceptual hash."""

import dagster as dg

from dhf_assets.defs.resources import DhfStore
from dhf_assets.lib.metrics.near_duplicates import (
    HASH_COLUMNS,
    NEAR_DUPLICATE_COLUMNS,
    group_near_duplicates,
    perceptual_hash,
)
from dhf_assets.lib.runtime.settings import current_settings
from dhf_assets.lib.storage.db import TableWrite


@dg.asset(deps=["faces"], group_name="duplicates", kinds={"duckdb"})
def near_duplicates(context: dg.AssetExecutionContext, store: DhfStore) -> dg.MaterializeResult:
    """Groups of crops whose perceptual hashes are within DHF_NEAR_DUPLICATE_DISTANCE bits, across murals and caves."""
    faces = store.query("select face_id, cave_id, crop_path, sha256 from faces order by cave_id, face_id")
    known = {(f, sha): h for f, sha, h in store.query("select face_id, crop_sha256, phash from crop_phashes")}
    hashes, unreadable = [], []
    for face_id, cave_id, crop_path, sha in faces:  # only new or changed crops are hashed again
        digest = known.get((face_id, sha)) or perceptual_hash(store.output / crop_path)
        if digest is None:
            unreadable.append(face_id)
        else:
            hashes.append((face_id, cave_id, sha, digest))
    max_distance = current_settings().near_duplicate_distance
    rows = group_near_duplicates([(f, c, h) for f, c, _, h in hashes], max_distance)
    store.replace([TableWrite("crop_phashes", HASH_COLUMNS, hashes),
                   TableWrite("near_duplicates", NEAR_DUPLICATE_COLUMNS, rows)])
    if unreadable:
        context.log.warning(f"{len(unreadable)} crop(s) could not be read and have no hash: {unreadable[:5]}")
    return dg.MaterializeResult(metadata={
        "dagster/row_count": len(rows), "groups": len({r[0] for r in rows}), "max_distance": max_distance,
        "hashed_now": len(hashes) - sum((f, sha) in known for f, _, sha, _ in hashes), "unreadable": len(unreadable),
        "cross_cave_groups": len({g for g in {r[0] for r in rows} if len({r[2] for r in rows if r[0] == g}) > 1}),
    })

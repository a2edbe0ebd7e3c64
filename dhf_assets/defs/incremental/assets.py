"""The archive as it is now, per cave, so `cave_status` can say which caves changed since their build."""

from datetime import datetime, timezone

import dagster as dg

from dhf_assets.defs.resources import DhfStore
from dhf_assets.lib.ingest.archive import list_cave_dirs
from dhf_assets.lib.storage.db import TableWrite
from dhf_assets.lib.storage.incremental import current_hashes


@dg.asset(group_name="staging", kinds={"duckdb"})
def archive_inputs(store: DhfStore) -> dg.MaterializeResult:
    """The current inputs hash of every cave folder in the archive (stat-cached content hashes)."""
    now = datetime.now(timezone.utc)
    hashes = current_hashes(store.archive, list_cave_dirs(store.archive))
    rows = [(cave, digest, now) for cave, digest in sorted(hashes.items())]
    store.replace([TableWrite("archive_inputs", ("cave_id", "inputs_hash", "scanned_at"), rows)])
    return dg.MaterializeResult(metadata={"dagster/row_count": len(rows)})

"""Skip by content: an asset whose inputs and configuration are unchanged does no work again.

Dagster records code versions and data versions but re-runs whatever is launched; this is the skip.
A run tagged `dhf/force=true` recomputes everything.
"""

from collections.abc import Iterable
from datetime import datetime, timezone
from pathlib import Path

import dagster as dg

from dhf_assets.defs.resources import DhfStore
from dhf_assets.lib.db import TableWrite
from dhf_assets.lib.fingerprints import UPSTREAM_SQL, combine
from dhf_assets.lib.quarantine import QUARANTINE_COLUMNS, Problem

FORCE_TAG = "dhf/force"
FINGERPRINT_COLUMNS = ("cave_id", "asset", "fingerprint", "built_at")


def upstream_fingerprint(store: DhfStore, asset: str, cave_id: str, *config: str) -> str:
    """The asset's upstream rows (hashed in DuckDB) and its configuration, as one hash."""
    rows = store.query(UPSTREAM_SQL[asset], [cave_id])
    return combine(asset, rows[0][0] if rows else "-", *config)


def fingerprint_write(cave_id: str, asset: str, fingerprint: str) -> TableWrite:
    """Recorded in the same transaction as the asset's rows."""
    return TableWrite("asset_fingerprints", FINGERPRINT_COLUMNS,
                      [(cave_id, asset, fingerprint, datetime.now(timezone.utc))], {"cave_id": cave_id, "asset": asset})


def unchanged(context: dg.AssetExecutionContext, store: DhfStore, asset: str, fingerprint: str,
              outputs: Iterable[Path] = ()) -> bool:
    """True when the last build had the same fingerprint and its output files are all present."""
    if context.run.tags.get(FORCE_TAG) == "true":
        return False
    previous = store.query("select fingerprint from asset_fingerprints where cave_id = ? and asset = ?",
                           [context.partition_key, asset])
    return bool(previous) and previous[0][0] == fingerprint and all(path.exists() for path in outputs)


def skipped(store: DhfStore, table: str, cave_id: str, fingerprint: str) -> dg.MaterializeResult:
    """The result of a skipped step: same data version, current row count, and why."""
    count = store.query(f"select count(*) from {table} where cave_id = ?", [cave_id])[0][0]
    return dg.MaterializeResult(
        metadata={"dagster/row_count": count, "skipped": True,
                  "skip_reason": f"inputs and configuration unchanged (fingerprint {fingerprint})"},
        data_version=dg.DataVersion(fingerprint),
    )


def cave_stage_writes(cave_id: str, table: str, columns: tuple[str, ...], rows: list[tuple], stage: str,
                      problems: list[Problem], fingerprint: str) -> list[TableWrite]:
    """A stage's rows of one cave, its quarantine rows and its fingerprint, for one transaction."""
    return [
        TableWrite(table, columns, rows, {"cave_id": cave_id}),
        TableWrite(
            "quarantine", QUARANTINE_COLUMNS, [p.row(cave_id) for p in problems], {"cave_id": cave_id, "stage": stage}
        ),
        fingerprint_write(cave_id, table, fingerprint),
    ]

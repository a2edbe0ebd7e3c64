"""The per-cave quarantine report: everything that could not be used, with its reason."""


from datetime import datetime, timezone

import dagster as dg

from dhf_assets.defs.partitions import caves_partitions
from dhf_assets.defs.resources import DhfStore
from dhf_assets.lib.storage.db import TableWrite
from dhf_assets.lib.storage.incremental import CAVE_INPUTS, recorded_fingerprint
from dhf_assets.lib.text.markdown import markdown_table


@dg.asset(partitions_def=caves_partitions,
          deps=["murals", "faces", "face_candidates", "face_reviews", "upscaled_faces", "face_quality",
                "backend_quality", "face_proposals"], group_name="faces", kinds={"duckdb"})
def quarantine(context: dg.AssetExecutionContext, store: DhfStore) -> dg.MaterializeResult:
    """Everything of the cave that could not be used (or was used with a correction), with a plain reason.

    Closes the cave's build.
    """
    cave_id = context.partition_key
    with store.reader() as query:
        rows = query(
            "select stage, severity, file, item, reason from quarantine where cave_id = ? order by stage, file, item",
            [cave_id],
        )
        inputs = recorded_fingerprint(query, cave_id, CAVE_INPUTS)
    if inputs:  # the cave's build is complete: record which inputs it was built from
        store.replace([TableWrite("cave_builds", ("cave_id", "inputs_hash", "built_at"),
                                  [(cave_id, inputs, datetime.now(timezone.utc))], {"cave_id": cave_id})])
    return dg.MaterializeResult(metadata={
        "dagster/row_count": len(rows),
        "errors": sum(r[1] == "error" for r in rows),
        "preview": dg.MetadataValue.md(markdown_table(("stage", "severity", "file", "item", "reason"), rows[:50])),
    })

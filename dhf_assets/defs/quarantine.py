"""The per-cave quarantine report: everything that could not be used, with its reason."""


import dagster as dg

from dhf_assets.defs.partitions import caves_partitions
from dhf_assets.defs.resources import DhfStore


@dg.asset(partitions_def=caves_partitions, deps=["murals", "faces", "face_candidates", "face_reviews", "upscaled_faces", "face_quality"], group_name="faces", kinds={"duckdb"})
def quarantine(context: dg.AssetExecutionContext, store: DhfStore) -> dg.MaterializeResult:
    """Everything of the cave that could not be used (or was used with a correction), with a plain reason."""
    cave_id = context.partition_key
    rows = store.query(
        "select stage, severity, file, item, reason from quarantine where cave_id = ? order by stage, file, item",
        [cave_id],
    )
    lines = ["| stage | severity | file | item | reason |", "|---|---|---|---|---|"]
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows[:50]]
    return dg.MaterializeResult(metadata={
        "dagster/row_count": len(rows),
        "errors": sum(r[1] == "error" for r in rows),
        "preview": dg.MetadataValue.md("\n".join(lines)),
    })


def _cell(value: object) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")

"""The expert review loop: decisions from review files, the 3k and 500 subsets, and the queue."""

from urllib.parse import quote

import dagster as dg
from pydantic import Field

from dhf_assets.defs.checks import check_specs, selected_check_results
from dhf_assets.defs.partitions import caves_partitions
from dhf_assets.defs.resources import DhfStore
from dhf_assets.lib.reviews.queue import QUEUE_COLUMNS, UNDECIDED_SQL, queue_rows
from dhf_assets.lib.reviews.state import HISTORY_COLUMNS, HISTORY_KEY, LABEL_COLUMNS, REVIEW_COLUMNS, review_state
from dhf_assets.lib.runtime.settings import current_settings
from dhf_assets.lib.storage.db import TableWrite
from dhf_assets.lib.storage.quarantine import QUARANTINE_COLUMNS


class ReviewConfig(dg.Config):
    auto_accept: str = Field(
        default=current_settings().auto_accept,
        description='"off", or a minimum best score: undecided candidates at or above it join 3k as reviewer "auto"',
    )

    def min_score(self) -> float | None:
        return None if self.auto_accept.strip().lower() in ("", "off", "false", "0") else float(self.auto_accept)


@dg.multi_asset(
    specs=[
        dg.AssetSpec("face_reviews", deps=["face_candidates"],
                     description="The current expert decision per face (latest wins), with overrides of dropped crops "
                     "marked.", kinds={"duckdb"}),
        dg.AssetSpec("subset_3k", deps=["face_reviews"],
                     description="Faces accepted into the 3k subset (intact faces).", kinds={"duckdb"}),
        dg.AssetSpec("subset_500", deps=["face_reviews"],
                     description="Faces accepted into the 500 subset, with their tags.", kinds={"duckdb"}),
        dg.AssetSpec("face_labels", deps=["faces"],
                     description="Identity and orientation in force per face: the VOC label unless a reviewer's "
                     "correction overrides it.", kinds={"duckdb"}),
    ],
    check_specs=check_specs("face_reviews", "face_labels"),
    can_subset=True,  # `dhf check` runs the checks alone; any asset selected rewrites all four together
    partitions_def=caves_partitions,
    group_name="reviews",
)
def face_reviews(context: dg.AssetExecutionContext, config: ReviewConfig, store: DhfStore):
    if context.selected_asset_keys:
        for result in _review_tables(context.partition_key, config, store):
            if result.asset_key in context.selected_asset_keys:
                yield result
    yield from selected_check_results(context, store)


def _review_tables(cave_id: str, config: ReviewConfig, store: DhfStore) -> list[dg.MaterializeResult]:
    """Replace the cave's reviews, subsets, labels and review problems; one result per asset."""
    with store.reader() as query:
        history = query(f"select {', '.join(HISTORY_COLUMNS)} from review_history where cave_id = ?", [cave_id])
        candidates = {face_id: (status, score) for face_id, status, score in query(
            "select face_id, status, best_score from face_candidates where cave_id = ?", [cave_id])}
        voc_labels = {face_id: (identity, orientation) for face_id, identity, orientation in query(
            "select face_id, identity, orientation from faces where cave_id = ?", [cave_id])}
    state = review_state(cave_id, store.archive / "reviews" / f"{cave_id}.csv", history, candidates,
                         config.min_score(), voc_labels)
    store.replace([
        TableWrite("review_history", HISTORY_COLUMNS, state.new_history, append_key=HISTORY_KEY),
        TableWrite("face_reviews", REVIEW_COLUMNS, state.reviews, {"cave_id": cave_id}),
        TableWrite("subset_3k", ("face_id", "cave_id", "reviewer"), state.subset_3k, {"cave_id": cave_id}),
        TableWrite("subset_500", ("face_id", "cave_id", "tags", "reviewer"), state.subset_500, {"cave_id": cave_id}),
        TableWrite("face_labels", LABEL_COLUMNS, state.labels, {"cave_id": cave_id}),
        TableWrite("quarantine", QUARANTINE_COLUMNS, [p.row(cave_id) for p in state.problems],
                   {"cave_id": cave_id, "stage": "review"}),
    ])
    overrides = sum(row[-1] for row in state.reviews)
    return [
        dg.MaterializeResult(asset_key="face_reviews", metadata={
            "dagster/row_count": len(state.reviews), "new_history_rows": len(state.new_history),
            "auto_accepted": state.auto_accepted, "overrides": overrides, "problems": len(state.problems),
        }),
        dg.MaterializeResult(asset_key="subset_3k", metadata={"dagster/row_count": len(state.subset_3k)}),
        dg.MaterializeResult(asset_key="subset_500", metadata={"dagster/row_count": len(state.subset_500)}),
        dg.MaterializeResult(asset_key="face_labels", metadata={"dagster/row_count": len(state.labels),
                                                                "corrected": state.corrected}),
    ]


@dg.asset(partitions_def=caves_partitions, deps=["face_candidates", "face_reviews"], group_name="reviews",
          kinds={"duckdb"})
def review_queue(context: dg.AssetExecutionContext, store: DhfStore) -> dg.MaterializeResult:
    """Candidates of the cave without a decision yet, best score first."""
    cave_id = context.partition_key
    with store.reader() as query:
        rows = queue_rows(query(UNDECIDED_SQL, [cave_id, False]))
        decided = query("select count(*), count(*) filter (where decision = 'accept') from face_reviews where "
                        "cave_id = ?", [cave_id])[0]
    store.replace([TableWrite("review_queue", QUEUE_COLUMNS, rows, {"cave_id": cave_id})])
    workbench = f"{current_settings().review_url.rstrip('/')}/cave/{quote(cave_id)}?status=undecided"
    return dg.MaterializeResult(metadata={
        "dagster/row_count": len(rows), "queued": len(rows), "decided": decided[0], "accepted": decided[1],
        "workbench": dg.MetadataValue.url(workbench),
    })

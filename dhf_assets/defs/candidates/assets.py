"""Candidate sets: every face crop scored by the detectors and kept or dropped with a reason."""

from collections import Counter
from typing import Literal

import dagster as dg
from pydantic import Field

from dhf_assets.defs.candidates.resources import DetectorsResource, candidates_code_version
from dhf_assets.defs.checks import checked_asset
from dhf_assets.defs.incremental.skip import begin, skipped
from dhf_assets.defs.resources import DhfStore
from dhf_assets.lib.detect.scoring import CANDIDATE_COLUMNS, DETECTION_COLUMNS, Crop, score_crops
from dhf_assets.lib.runtime.settings import current_settings
from dhf_assets.lib.storage.db import TableWrite


class CandidateConfig(dg.Config):
    threshold: float = Field(default=current_settings().candidate_threshold, ge=0, le=1)
    rule: Literal["any", "all"] = current_settings().candidate_rule  # type: ignore[assignment]


@checked_asset(
    deps=["faces"],
    group_name="candidates",
    kinds={"pytorch", "duckdb"},
    code_version=candidates_code_version(),
)
def face_candidates(
    context: dg.AssetExecutionContext, config: CandidateConfig, store: DhfStore, detectors: DetectorsResource
) -> dg.MaterializeResult:
    """Every crop of the cave scored by each enabled detector and marked candidate or dropped with a reason."""
    cave_id = context.partition_key
    step = begin(context, store, "face_candidates", candidates_code_version(), detectors.detectors,
                 detectors.retinaface_backbone, detectors.retinaface_weights, str(config.threshold), config.rule)
    if step.unchanged():
        return skipped(step)
    setup = detectors.setup()
    context.log.info(setup.summary)
    if not setup.detectors:
        raise dg.Failure(description=f"no detector can run: {setup.summary}")
    crops = [
        Crop(face_id, store.output / path, width, height)
        for face_id, path, width, height in store.query(
            "select face_id, crop_path, width, height from faces where cave_id = ? order by face_id", [cave_id]
        )
    ]
    candidates, detections, problems = [], [], []
    for batch_candidates, batch_detections, batch_problems in score_crops(
        cave_id, crops, setup.detectors, config.threshold, config.rule, detectors.batch_size
    ):
        candidates += batch_candidates
        detections += batch_detections
        problems += batch_problems
    store.replace([
        *step.writes(CANDIDATE_COLUMNS, candidates, "candidates", problems),
        TableWrite("face_detections", DETECTION_COLUMNS, detections, {"cave_id": cave_id}),
    ])
    status = Counter(row[2] for row in candidates)
    return dg.MaterializeResult(data_version=dg.DataVersion(step.fingerprint), metadata={
        "dagster/row_count": len(candidates),
        "candidates": status["candidate"],
        "dropped": status["dropped"],
        "quarantined": len(problems),
        "detectors": setup.summary,
        "threshold": config.threshold,
        "rule": config.rule,
    })

"""The current review state of a cave: file decisions + history + auto-accept, reconciled."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from .quarantine import Problem
from .reviews import (
    ReviewDecision, ReviewRow, auto_accept, current_decisions, read_review_file, reconcile, subsets,
)

HISTORY_COLUMNS = (
    "face_id", "cave_id", "decision", "subset", "tags", "reviewer", "reviewed_at", "source_row",
    "source_sha256", "recorded_at",
)
HISTORY_KEY = ("face_id", "decision", "subset", "tags", "reviewer", "reviewed_at")
REVIEW_COLUMNS = ("face_id", "cave_id", "decision", "subset", "tags", "reviewer", "reviewed_at", "crop_status", "override")


@dataclass(frozen=True)
class ReviewState:
    new_history: list[tuple]
    reviews: list[tuple]
    subset_3k: list[tuple]
    subset_500: list[tuple]
    problems: list[Problem]
    auto_accepted: int


def history_row(decision: ReviewDecision, cave_id: str, recorded_at: datetime) -> tuple:
    return (decision.face_id, cave_id, decision.decision, decision.subset, list(decision.tags), decision.reviewer,
            decision.reviewed_at, decision.source_row, decision.source_sha256, recorded_at)


def decision_from_history(row: tuple) -> ReviewDecision:
    face_id, cave_id, decision, subset, tags, reviewer, reviewed_at, source_row, source_sha = row[:9]
    return ReviewDecision(face_id, decision, subset, tuple(tags or ()), reviewer, reviewed_at, cave_id, source_row, source_sha)


def review_state(
    cave_id: str, review_file: Path, history: list[tuple], candidates: dict[str, tuple[str, float | None]],
    auto_min_score: float | None,
) -> ReviewState:
    """Decisions in the file are appended to the history; the latest decision per face wins.

    The history, not the file, is what "current" is computed from, so a decision is never lost
    when a row disappears from a review file; a newer decision is how a reviewer changes one.
    """
    now = datetime.now(timezone.utc)
    file_decisions, file_problems = read_review_file(review_file, cave_id) if review_file.exists() else ([], [])
    known = {(r[0], r[2], r[3], tuple(r[4] or ()), r[5], r[6]) for r in history}
    new = [d for d in file_decisions
           if (d.face_id, d.decision, d.subset, d.tags, d.reviewer, d.reviewed_at) not in known]
    current = current_decisions([decision_from_history(r) for r in history] + new)
    if auto_min_score is not None:
        scored = [(face_id, score) for face_id, (status, score) in candidates.items()
                  if status == "candidate" and score is not None]
        for decision in auto_accept(scored, auto_min_score, set(current), now=now, cave_id=cave_id):
            current[decision.face_id] = decision
    rows, reconcile_problems = reconcile(current, {face_id: status for face_id, (status, _) in candidates.items()})
    in_3k, in_500 = subsets(rows)
    reviewer = {row.decision.face_id: row.decision.reviewer for row in rows}
    return ReviewState(
        new_history=[history_row(d, cave_id, now) for d in new],
        reviews=[_review_row(row, cave_id) for row in rows],
        subset_3k=[(face_id, cave_id, reviewer[face_id]) for face_id in in_3k],
        subset_500=[(face_id, cave_id, list(tags), reviewer[face_id]) for face_id, tags in in_500],
        problems=[p.quarantine() for p in file_problems + reconcile_problems],
        auto_accepted=sum(r.decision.reviewer == "auto" for r in rows),
    )


def _review_row(row: ReviewRow, cave_id: str) -> tuple:
    d = row.decision
    return (d.face_id, cave_id, d.decision, d.subset, list(d.tags), d.reviewer, d.reviewed_at, row.crop_status, row.override)

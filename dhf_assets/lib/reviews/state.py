"""The current review state of a cave: file decisions + history + auto-accept, reconciled, and the
effective labels (VOC label unless a reviewer's correction overrides it)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Mapping

from dhf_assets.lib.reviews.reader import (
    ReviewDecision,
    ReviewProblem,
    ReviewRow,
    auto_accept,
    current_corrections,
    current_decisions,
    decided_only,
    read_review_file,
    reconcile,
    subsets,
)
from dhf_assets.lib.storage.quarantine import Problem

HISTORY_COLUMNS = (
    "face_id", "cave_id", "decision", "subset", "tags", "reviewer", "reviewed_at", "source_row",
    "source_sha256", "recorded_at", "identity", "orientation",
)
HISTORY_KEY = ("face_id", "decision", "subset", "tags", "reviewer", "reviewed_at", "identity", "orientation")
REVIEW_COLUMNS = ("face_id", "cave_id", "decision", "subset", "tags", "reviewer", "reviewed_at", "crop_status",
                  "override")
LABEL_COLUMNS = (
    "face_id", "cave_id", "identity", "orientation", "identity_source", "orientation_source",
    "voc_identity", "voc_orientation",
)
VOC_SOURCE = "voc"


@dataclass(frozen=True)
class ReviewState:
    new_history: list[tuple]
    reviews: list[tuple]
    subset_3k: list[tuple]
    subset_500: list[tuple]
    problems: list[Problem]
    auto_accepted: int
    labels: list[tuple]
    corrected: int


def history_row(decision: ReviewDecision, cave_id: str, recorded_at: datetime) -> tuple:
    return (decision.face_id, cave_id, decision.decision, decision.subset, list(decision.tags), decision.reviewer,
            decision.reviewed_at, decision.source_row, decision.source_sha256, recorded_at,
            decision.identity, decision.orientation)


def decision_from_history(row: tuple) -> ReviewDecision:
    face_id, cave_id, decision, subset, tags, reviewer, reviewed_at, source_row, source_sha = row[:9]
    identity, orientation = (row[10], row[11]) if len(row) > 11 else (None, None)
    return ReviewDecision(face_id, decision, subset, tuple(tags or ()), reviewer, reviewed_at, cave_id, source_row,
                          source_sha, identity, orientation)


def _key(d: ReviewDecision) -> tuple:
    return (d.face_id, d.decision, d.subset, tuple(d.tags), d.reviewer, d.reviewed_at, d.identity, d.orientation)


def effective_labels(
    cave_id: str, voc_labels: Mapping[str, tuple[str | None, str]],
    corrections: Mapping[str, dict[str, ReviewDecision]],
) -> list[tuple]:
    """One row per face: the label in force for identity and orientation, and where it comes from
    (`voc`, or `review:<reviewer>` for a correction), beside the VOC's own values."""
    rows = []
    for face_id, (voc_identity, voc_orientation) in sorted(voc_labels.items()):
        fixes = corrections.get(face_id, {})
        identity, orientation = fixes.get("identity"), fixes.get("orientation")
        rows.append((
            face_id, cave_id,
            identity.identity if identity else voc_identity,
            orientation.orientation if orientation else voc_orientation,
            f"review:{identity.reviewer}" if identity else VOC_SOURCE,
            f"review:{orientation.reviewer}" if orientation else VOC_SOURCE,
            voc_identity, voc_orientation,
        ))
    return rows


def _unknown_corrections(corrections: Mapping[str, dict[str, ReviewDecision]],
                         known: Mapping[str, object]) -> list[Problem]:
    problems = []
    for face_id, fixes in sorted(corrections.items()):
        if face_id in known:
            continue
        for decision in fixes.values():
            where = f"row {decision.source_row}" if decision.source_row else f"face {face_id}"
            reason = f"correction for unknown face_id {face_id!r} (face no longer exists or never existed)"
            problems.append(ReviewProblem(f"{decision.cave_id}.csv", where, reason, face_id).quarantine())
    return list(dict.fromkeys(problems))


def review_state(
    cave_id: str, review_file: Path, history: list[tuple], candidates: dict[str, tuple[str, float | None]],
    auto_min_score: float | None, voc_labels: Mapping[str, tuple[str | None, str]] | None = None,
) -> ReviewState:
    """Decisions in the file are appended to the history; the latest decision per face wins.

    The history, not the file, is what "current" is computed from, so a decision is never lost
    when a row disappears from a review file; a newer decision is how a reviewer changes one. An
    undone face is undecided, and never auto-accepted again.
    """
    now = datetime.now(timezone.utc)
    file_decisions, file_problems = read_review_file(review_file, cave_id) if review_file.exists() else ([], [])
    known = {_key(decision_from_history(r)) for r in history}
    new = list({_key(d): d for d in file_decisions if _key(d) not in known}.values())
    everything = [decision_from_history(r) for r in history] + new
    current = current_decisions(everything)
    if auto_min_score is not None:
        scored = [(face_id, score) for face_id, (status, score) in candidates.items()
                  if status == "candidate" and score is not None]
        for decision in auto_accept(scored, auto_min_score, set(current), now=now, cave_id=cave_id):
            current[decision.face_id] = decision
    statuses = {face_id: status for face_id, (status, _) in candidates.items()}
    rows, reconcile_problems = reconcile(decided_only(current), statuses)
    in_3k, in_500 = subsets(rows)
    reviewer = {row.decision.face_id: row.decision.reviewer for row in rows}
    corrections = current_corrections(everything)
    labels = effective_labels(cave_id, voc_labels or {}, corrections)
    correction_problems = _unknown_corrections(corrections, voc_labels) if voc_labels is not None else []
    return ReviewState(
        new_history=[history_row(d, cave_id, now) for d in new],
        reviews=[_review_row(row, cave_id) for row in rows],
        subset_3k=[(face_id, cave_id, reviewer[face_id]) for face_id in in_3k],
        subset_500=[(face_id, cave_id, list(tags), reviewer[face_id]) for face_id, tags in in_500],
        problems=[p.quarantine() for p in file_problems + reconcile_problems] + correction_problems,
        auto_accepted=sum(r.decision.reviewer == "auto" for r in rows),
        labels=labels,
        corrected=sum(1 for row in labels if row[4] != VOC_SOURCE or row[5] != VOC_SOURCE),
    )


def _review_row(row: ReviewRow, cave_id: str) -> tuple:
    d = row.decision
    return (d.face_id, cave_id, d.decision, d.subset, list(d.tags), d.reviewer, d.reviewed_at, row.crop_status,
            row.override)

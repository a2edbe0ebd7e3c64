"""The workbench's view of every face: the DuckDB snapshot plus the decisions in the review files.

Review files are the truth for decisions: whatever this or another server appended is read back
(incrementally) before a page or a decision is answered, so a restarted server shows every one.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path

from dhf_assets.lib.reviews.reader import AUTO_REVIEWER, ReviewDecision, _order_key
from dhf_assets.lib.storage import db

from .review_log import ReviewLog
from .snapshot import Face, Snapshot, database_version, load_snapshot

STATES = ("undecided", "accepted", "in_500", "rejected")


@dataclass
class FaceState:
    decision: ReviewDecision | None = None  # accept / reject / undo in force
    identity: ReviewDecision | None = None  # latest identity correction
    orientation: ReviewDecision | None = None

    def take(self, d: ReviewDecision) -> None:
        if d.decision in ("accept", "reject",
                          "undo") and (self.decision is None or _order_key(d) >= _order_key(self.decision)):
            self.decision = d
        for attribute in ("identity", "orientation"):
            held = getattr(self, attribute)
            if getattr(d, attribute) is not None and (held is None or _order_key(d) >= _order_key(held)):
                setattr(self, attribute, d)


def status_of(face: Face, state: FaceState | None) -> str:
    """undecided | accepted (3k) | in_500 | rejected; an auto-accept counts until a human decides."""
    decision = state.decision if state else None
    if decision is None:
        return "accepted" if face.auto_accepted else "undecided"
    if decision.decision == "accept":
        return "in_500" if decision.subset == "500" else "accepted"
    return "rejected" if decision.decision == "reject" else "undecided"


class Workbench:
    """Snapshot + review logs, safe to share between request threads."""

    def __init__(self, database: Path, archive: Path, output: Path):
        self.database, self.archive, self.output = database, archive, output
        self.snapshot = Snapshot()
        self.states: dict[str, FaceState] = {}
        self.logs: dict[str, ReviewLog] = {}
        self.notice: str | None = None  # said on every page while the snapshot could not be refreshed
        self._lock = threading.RLock()
        self._next_db_check = 0.0
        self.version = 0  # changes with every decision taken and every snapshot: keys the caches below
        self._by_cave: dict[str, list[Face]] = {}
        self._counters: tuple[int, list[dict]] = (-1, [])
        self._tags: tuple[int, list[str]] = (-1, [])
        self.cave_choices: dict[str, tuple[list[str], list[str]]] = {}  # cave -> (detectors, murals)

    def review_path(self, cave_id: str) -> Path:
        return self.archive / "reviews" / f"{cave_id}.csv"

    def refresh_snapshot(self, timeout_s: float = 2.0) -> None:
        """Reload from DuckDB when its file changed; keep the old snapshot while a build writes."""
        with self._lock:
            now = time.monotonic()
            if now < self._next_db_check:
                return
            self._next_db_check = now + 1.0  # at most one stat per second
            try:
                if not self.database.exists():
                    self.notice = f"no tables yet at {self.database}: run `dhf build` first"
                    return
                if database_version(self.database) == self.snapshot.db_mtime_ns:
                    return
                snapshot = load_snapshot(self.database, timeout_s)
            except db.DatabaseBusy:
                shown = self.snapshot.loaded_at.strftime("%H:%M:%S UTC") if self.snapshot.loaded_at else "none yet"
                self.notice = (f"a build is writing the tables: showing the snapshot of {shown}; "
                               "decisions are still saved to the review files")
                return
            self.snapshot, self.notice = snapshot, None
            self.states, self.logs = {}, {}
            self.version += 1
            self._by_cave = {}
            for face in sorted(snapshot.faces.values(), key=lambda f: (-f.sort_score(), f.face_id)):
                self._by_cave.setdefault(face.cave_id, []).append(face)
            self.cave_choices = {cave: (sorted({d["detector"] for f in faces for d in f.detections}),
                                        sorted({f.mural_id for f in faces})) for cave, faces in self._by_cave.items()}
            for decision in snapshot.history:
                self._take(decision)
            for cave_id in snapshot.caves:
                self.refresh_log(cave_id)

    def _take(self, decision: ReviewDecision) -> None:
        if decision.reviewer != AUTO_REVIEWER:
            self.states.setdefault(decision.face_id, FaceState()).take(decision)
            self.version += 1

    def cave_faces(self, cave_id: str) -> list[Face]:
        """The cave's faces, best score first (sorted once per snapshot)."""
        return self._by_cave.get(cave_id, [])

    def counters(self) -> list[dict]:
        """Decided / undecided / accepted / in 500 per cave, recomputed only after a change."""
        with self._lock:
            if self._counters[0] == self.version:
                return self._counters[1]
            rows = []
            for cave_id in sorted(self._by_cave):
                row = {"cave_id": cave_id, "decided": 0, "undecided": 0, "accepted": 0, "in_500": 0}
                for face in self._by_cave[cave_id]:
                    status = self.status(face)
                    row["undecided" if status == "undecided" else "decided"] += 1
                    row["accepted"] += status in ("accepted", "in_500")
                    row["in_500"] += status == "in_500"
                rows.append(row)
            self._counters = (self.version, rows)
            return rows

    def refresh_log(self, cave_id: str) -> None:
        with self._lock:
            log = self.logs.get(cave_id)
            if log is None:
                log = self.logs[cave_id] = ReviewLog(self.review_path(cave_id), cave_id)
            for decision in log.refresh():
                self._take(decision)

    def face(self, face_id: str) -> Face | None:
        return self.snapshot.faces.get(face_id)

    def state(self, face_id: str) -> FaceState | None:
        return self.states.get(face_id)

    def status(self, face: Face) -> str:
        return status_of(face, self.states.get(face.face_id))

    def labels(self, face: Face) -> tuple[str | None, str, str, str]:
        """identity, orientation and their sources, with corrections made since the snapshot."""
        state = self.states.get(face.face_id)
        identity, identity_source = face.identity, face.identity_source
        orientation, orientation_source = face.orientation, face.orientation_source
        if state and state.identity:
            identity, identity_source = state.identity.identity, f"review:{state.identity.reviewer}"
        if state and state.orientation:
            orientation, orientation_source = state.orientation.orientation, f"review:{state.orientation.reviewer}"
        return identity, orientation, identity_source, orientation_source

    def history(self, face: Face) -> list[ReviewDecision]:
        log = self.logs.get(face.cave_id)
        seen, rows = set(), []
        for d in [*self.snapshot.history, *(log.decisions if log else [])]:
            key = (d.face_id, d.decision, d.subset, d.tags, d.reviewer, d.reviewed_at, d.identity, d.orientation)
            if d.face_id == face.face_id and key not in seen:
                seen.add(key)
                rows.append(d)
        return sorted(rows, key=lambda d: d.reviewed_at)

    def tags_in_use(self) -> list[str]:
        """Every tag of a decision in force, to suggest when accepting into 500."""
        with self._lock:
            if self._tags[0] != self.version:
                self._tags = (self.version,
                              sorted({t for s in self.states.values() if s.decision for t in s.decision.tags}))
            return self._tags[1]

"""What the workbench shows, read from DuckDB in one short read-only connection.

The server never writes DuckDB and never keeps a connection open: it loads a snapshot of every
face (box, labels in force, scores, status, table decisions) and keeps serving it. While a build
writes, DuckDB refuses readers; the server then keeps the last snapshot and says so on the page.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from dhf_assets.lib.reviews.reader import ReviewDecision
from dhf_assets.lib.storage import db

_FACES_SQL = """
with best as (
    select face_id, detector, score, box, landmarks,
           row_number() over (partition by face_id order by score desc nulls last, detector) as pick
    from face_detections
)
select f.face_id, f.cave_id, f.mural_id, m.period, f.crop_path, m.path, m.width, m.height,
       f.xmin, f.ymin, f.xmax, f.ymax, coalesce(l.identity, f.identity), coalesce(l.orientation, f.orientation),
       coalesce(l.identity_source, 'voc'), coalesce(l.orientation_source, 'voc'),
       coalesce(c.status, 'unscored'), c.reason, c.best_score,
       coalesce(list(struct_pack(detector := b.detector, score := b.score, box := b.box, landmarks := b.landmarks))
                filter (where b.detector is not null), []),
       any_value(b.box) filter (where b.pick = 1), any_value(b.landmarks) filter (where b.pick = 1),
       any_value(r.reviewer) filter (where r.reviewer = 'auto')
from faces f
join murals m on m.cave_id = f.cave_id and m.mural_id = f.mural_id
left join face_labels l on l.face_id = f.face_id
left join face_candidates c on c.face_id = f.face_id
left join best b on b.face_id = f.face_id
left join face_reviews r on r.face_id = f.face_id
group by all
"""
_HISTORY_SQL = """
select face_id, cave_id, decision, subset, tags, reviewer, reviewed_at, source_row, identity, orientation
from review_history order by cave_id, recorded_at, source_row
"""


@dataclass
class Face:
    face_id: str
    cave_id: str
    mural_id: str
    period: str
    crop_path: str  # relative to the output folder, from the faces table
    mural_path: str  # relative to the archive
    mural_size: tuple[int, int]
    box: tuple[int, int, int, int]  # in mural pixels
    identity: str | None
    orientation: str
    identity_source: str
    orientation_source: str
    status: str  # candidate | dropped | unscored
    reason: str | None
    best_score: float | None
    detections: list[dict]  # detector, score, box, landmarks (crop pixels)
    best_box: tuple[float, ...] | None
    best_landmarks: tuple[float, ...] | None
    auto_accepted: bool

    def score(self, detector: str) -> float | None:
        for detection in self.detections:
            if detection["detector"] == detector and detection["score"] is not None:
                return float(detection["score"])
        return None

    def sort_score(self) -> float:
        return self.best_score if self.best_score is not None and math.isfinite(self.best_score) else -1.0


@dataclass
class Snapshot:
    faces: dict[str, Face] = field(default_factory=dict)
    history: list[ReviewDecision] = field(default_factory=list)
    loaded_at: datetime | None = None
    db_mtime_ns: int = 0
    duplicate_groups: dict[str, list[tuple[str, int]]] = field(default_factory=dict)  # group -> (face_id, distance)
    group_of: dict[str, str] = field(default_factory=dict)  # face_id -> group_id

    @property
    def caves(self) -> list[str]:
        return sorted({face.cave_id for face in self.faces.values()})


def _face(row: tuple) -> Face:
    (face_id, cave_id, mural_id, period, crop_path, mural_path, width, height, xmin, ymin, xmax, ymax, identity,
     orientation, identity_source, orientation_source, status, reason, best_score, detections, best_box,
     best_landmarks, auto) = row
    return Face(face_id, cave_id, mural_id, period, crop_path, mural_path, (width, height), (xmin, ymin, xmax, ymax),
                identity, orientation, identity_source, orientation_source, status, reason, best_score,
                [dict(d) for d in detections], tuple(best_box) if best_box else None,
                tuple(best_landmarks) if best_landmarks else None, auto is not None)


def database_version(database: Path) -> int:
    """Changes whenever a writer touched the file or its write-ahead log (one or two stat calls)."""
    wal = database.with_name(database.name + ".wal")
    return max(database.stat().st_mtime_ns, wal.stat().st_mtime_ns if wal.exists() else 0)


def load_snapshot(database: Path, timeout_s: float = 2.0) -> Snapshot:
    """Every face and the decision history; raises db.DatabaseBusy while a build holds the file."""
    mtime = database_version(database)
    con = db.connect(database, read_only=True, timeout_s=timeout_s)
    try:
        tables = {name for (name,) in con.execute("select table_name from information_schema.tables").fetchall()}
        if "faces" not in tables:
            return Snapshot(loaded_at=datetime.now(timezone.utc), db_mtime_ns=mtime)
        faces = {row[0]: _face(row) for row in con.execute(_FACES_SQL).fetchall()}
        history_columns = {name for (name,) in con.execute(
            "select column_name from information_schema.columns where table_name = 'review_history'").fetchall()}
        history = []
        if {"identity", "orientation"} <= history_columns:
            for face_id, cave_id, decision, subset, tags, reviewer, when, row, identity, orientation in con.execute(
                    _HISTORY_SQL).fetchall():
                history.append(ReviewDecision(face_id, decision, subset, tuple(tags or ()), reviewer, when, cave_id,
                                              row, None, identity, orientation))
        groups: dict[str, list[tuple[str, int]]] = {}
        if "near_duplicates" in tables:
            for group_id, face_id, distance in con.execute(
                    "select group_id, face_id, distance from near_duplicates "
                    "order by group_id, distance, face_id").fetchall():
                groups.setdefault(group_id, []).append((face_id, distance))
    finally:
        con.close()
    group_of = {face_id: group for group, members in groups.items() for face_id, _ in members}
    return Snapshot(faces, history, datetime.now(timezone.utc), mtime, groups, group_of)

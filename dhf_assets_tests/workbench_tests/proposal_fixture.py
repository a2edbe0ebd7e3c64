"""Fixture data for the mural view until the proposals asset fills the table: the sample archive with
one mural's XML set aside, and rows of the real `murals` and `face_proposals` tables of a tmp DuckDB
whose boxes are that mural's real faces (one of them off by some pixels, for the curator to fix)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from dhf_assets.lib.ingest.murals import MURAL_COLUMNS, scan_murals
from dhf_assets.lib.sample.build import sample_manifest
from dhf_assets.lib.storage import db

CAVE, MURAL = "MG045", "south_wall"
Box = tuple[int, int, int, int]
OFF_BY = 24
HOSTILE = '<img src=x id=pwned onerror="document.title=1">overlaps face 1'
  # the first proposal's right edge lies this far outside its face


def set_aside_xml(archive: Path) -> tuple[list[Box], list[Box]]:
    """Remove the mural's XML; returns the pixel boxes of its real faces (what the curator should get back)
    and of its other boxes (a cloud: a false proposal to reject), each sorted."""
    (archive / "murals" / CAVE / f"{MURAL}.xml").unlink()
    boxes = [b for b in sample_manifest().boxes if (b.cave_id, b.mural_id) == (CAVE, MURAL)]
    faces = sorted(b.box.as_tuple() for b in boxes if b.is_face)
    return faces, sorted(b.box.as_tuple() for b in boxes if not b.is_face)


def proposal_rows(database: Path, archive: Path, faces: list[Box], others: list[Box]) -> list[str]:
    """Write the cave's murals and one open proposal per face, then the others; returns the proposal ids."""
    rows, _ = scan_murals(archive, CAVE, "HT", {}, 200_000_000)
    proposals = [list(box) for box in faces + others]
    proposals[0][2] += OFF_BY
    ids = [hashlib.sha1(f"{CAVE}\x1f{MURAL}\x1f{b}".encode()).hexdigest()[:16] for b in proposals]
    with db.write_connection(database) as con:
        con.executemany(f"insert into murals ({', '.join(MURAL_COLUMNS)}) values "
                        f"({', '.join('?' * len(MURAL_COLUMNS))})", rows)
        con.executemany("insert into face_proposals values (?, ?, ?, ?, ?, ?, ?, ?, ?, 'open', null)",
                        [(pid, CAVE, MURAL, *box, 0.99 - i / 100, "mtcnn") for i,
                         (pid, box) in enumerate(zip(ids, proposals))])
        con.execute("insert into face_proposals values ('hostile', ?, ?, 1, 1, 30, 30, 0.5, 'mtcnn', 'annotated', ?)",
                    [CAVE, MURAL, HOSTILE])  # last by score: a text to show escaped
    return ids

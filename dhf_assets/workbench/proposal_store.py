"""The mural view's data: murals and their face proposals from DuckDB, decisions from the proposals file.

Read like the face snapshot: one short read-only connection whenever the database file changed,
the last good copy kept (with a notice) while a build holds the file. Decisions are re-read from
`reviews/<cave_id>.proposals.csv` at each request, so another server's decisions show too.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path

from dhf_assets.lib.exports.folders import UnsafePath, safe_join
from dhf_assets.lib.proposals.decisions import ProposalDecision, proposals_file, read_decisions
from dhf_assets.lib.storage import db

from .pyramid import Scan
from .snapshot import database_version

_MURALS_SQL = "select cave_id, mural_id, path, width, height, sha256, voc_path from murals order by cave_id, mural_id"
_PROPOSALS_SQL = """
select proposal_id, cave_id, mural_id, xmin, ymin, xmax, ymax, score, detectors, status, coalesce(reason, '')
from face_proposals order by cave_id, mural_id, score desc, proposal_id
"""


@dataclass(frozen=True)
class Proposal:
    proposal_id: str
    cave_id: str
    mural_id: str
    box: tuple[int, int, int, int]
    score: float
    detectors: str
    status: str  # open | annotated
    reason: str


@dataclass
class ProposalData:
    scans: dict[tuple[str, str], Scan] = field(default_factory=dict)
    annotated: dict[tuple[str, str], bool] = field(default_factory=dict)  # has an XML in the archive
    proposals: dict[tuple[str, str], list[Proposal]] = field(default_factory=dict)  # (cave, mural) -> best first
    by_id: dict[tuple[str, str], Proposal] = field(default_factory=dict)  # (cave, proposal_id)
    version: int = -1


def _load(database: Path, archive: Path, timeout_s: float) -> ProposalData:
    data = ProposalData(version=database_version(database))
    con = db.connect(database, read_only=True, timeout_s=timeout_s)
    try:
        tables = {name for (name,) in con.execute("select table_name from information_schema.tables").fetchall()}
        murals = con.execute(_MURALS_SQL).fetchall() if "murals" in tables else []
        rows = con.execute(_PROPOSALS_SQL).fetchall() if "face_proposals" in tables else []
    finally:
        con.close()
    for cave_id, mural_id, path, width, height, sha256, voc_path in murals:
        try:
            data.scans[(cave_id, mural_id)] = Scan(cave_id, mural_id, safe_join(archive, path), width, height, sha256)
            data.annotated[(cave_id, mural_id)] = voc_path is not None
        except UnsafePath:
            continue
    for proposal_id, cave_id, mural_id, xmin, ymin, xmax, ymax, score, detectors, status, reason in rows:
        proposal = Proposal(proposal_id, cave_id, mural_id, (xmin, ymin, xmax, ymax), score, detectors, status, reason)
        data.proposals.setdefault((cave_id, mural_id), []).append(proposal)
        data.by_id[(cave_id, proposal_id)] = proposal
    return data


class ProposalStore:
    def __init__(self, database: Path, archive: Path):
        self.database, self.archive = database, archive
        self.data = ProposalData()
        self.notice: str | None = None
        self._lock = threading.Lock()

    def refresh(self, timeout_s: float = 2.0) -> ProposalData:
        with self._lock:
            try:
                if self.database.exists() and database_version(self.database) != self.data.version:
                    self.data, self.notice = _load(self.database, self.archive, timeout_s), None
            except db.DatabaseBusy:
                self.notice = "a build is writing the tables: showing the proposals read before it"
            return self.data

    def decisions(self, cave_id: str) -> tuple[dict[str, ProposalDecision], list[str]]:
        log = read_decisions(proposals_file(self.archive, cave_id))
        return log.latest(), log.problems

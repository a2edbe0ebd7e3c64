"""A curator's decisions on face proposals: `$DHF_ARCHIVE_DIR/reviews/<cave_id>.proposals.csv`.

Append-only and durable exactly like the review files (`lib/reviews/writer.py`): one `write` of whole
lines under an exclusive `flock`, a missing final newline repaired first, then `fsync`. One row per
decision; the latest `decided_at` per proposal wins (ties: the later line). The reader never raises:
an unterminated last line is left for later, a malformed row is reported with its line number.
"""

from __future__ import annotations

import csv
import io
import os
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Sequence

from dhf_assets.lib.ingest.vocabulary import IDENTITIES
from dhf_assets.lib.reviews.reader import canonical_orientation, parse_reviewed_at
from dhf_assets.lib.reviews.writer import append_locked, open_locked

COLUMNS = ("proposal_id", "mural_id", "decision", "xmin", "ymin", "xmax", "ymax", "identity", "orientation",
           "reviewer", "decided_at")
DECISIONS = ("accept", "reject")
MAX_FILE_BYTES = 50_000_000


def proposals_file(archive: Path, cave_id: str) -> Path:
    return archive / "reviews" / f"{cave_id}.proposals.csv"


@dataclass(frozen=True)
class ProposalDecision:
    """One decision; the box is 0-based half-open mural pixels, as adjusted by the curator."""

    proposal_id: str
    mural_id: str
    decision: str
    box: tuple[int, int, int, int]
    reviewer: str
    identity: str = ""
    orientation: str = ""
    decided_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    line: int = 0  # where it was read from (0: not read from a file)

    def problems(self) -> list[str]:
        xmin, ymin, xmax, ymax = self.box
        checks = [
            (not self.proposal_id.strip(), "proposal_id is missing"),
            (not self.mural_id.strip(), "mural_id is missing"),
            (self.decision not in DECISIONS, f"unknown decision {self.decision!r} (accept or reject)"),
            (xmin < 0 or ymin < 0 or xmax <= xmin or ymax <= ymin, f"not a box: {self.box}"),
            (bool(self.identity) and self.identity not in IDENTITIES, f"unknown identity {self.identity!r}"),
            (bool(self.orientation) and canonical_orientation(self.orientation) is None,
             f"unknown orientation {self.orientation!r}"),
            (not self.reviewer.strip() or self.reviewer.strip().lower() == "auto", "a reviewer name is needed"),
            (any(c in text for text in (self.reviewer, self.proposal_id, self.mural_id) for c in "\r\n"),
             "a line break in a name"),
        ]
        return [message for failed, message in checks if failed]

    def row(self) -> list[str]:
        return [self.proposal_id, self.mural_id, self.decision, *map(str, self.box), self.identity,
                canonical_orientation(self.orientation) or "" if self.orientation else "", self.reviewer.strip(),
                self.decided_at.isoformat(timespec="microseconds")]


def append_decisions(path: Path, decisions: Sequence[ProposalDecision]) -> int:
    """Append the decisions (the header first on a new file) with lock and fsync; returns bytes written.
    Raises ValueError, writing nothing, when one is invalid."""
    problems = [f"{d.proposal_id}: {p}" for d in decisions for p in d.problems()]
    if problems:
        raise ValueError("; ".join(problems))
    if not decisions:
        return 0
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = open_locked(path)
    try:
        return append_locked(fd, COLUMNS, [d.row() for d in decisions])
    finally:
        os.close(fd)


@dataclass
class DecisionLog:
    decisions: list[ProposalDecision] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # "line N: reason"

    def latest(self) -> dict[str, ProposalDecision]:
        """The decision in force per proposal: latest time wins, a later line breaks a tie."""
        chosen: dict[str, ProposalDecision] = {}
        for decision in self.decisions:
            held = chosen.get(decision.proposal_id)
            if held is None or (decision.decided_at, decision.line) >= (held.decided_at, held.line):
                chosen[decision.proposal_id] = decision
        return chosen


def _parse(raw: dict[str, str], line: int) -> ProposalDecision | str:
    try:
        box = tuple(int(raw[k]) for k in ("xmin", "ymin", "xmax", "ymax"))
    except ValueError:
        return "a box coordinate is not an integer"
    when = parse_reviewed_at(raw["decided_at"])
    if when is None:
        return f"decided_at {raw['decided_at']!r} is not an ISO time"
    decision = ProposalDecision(raw["proposal_id"], raw["mural_id"], raw["decision"], box,  # type: ignore[arg-type]
                                raw["reviewer"], raw["identity"], raw["orientation"], when, line)
    problems = decision.problems()
    return "; ".join(problems) if problems else decision


def read_decisions(path: Path) -> DecisionLog:
    """Every decision of the file; a missing file is an empty log."""
    log = DecisionLog()
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            log.problems.append(f"{path.name} is larger than {MAX_FILE_BYTES} bytes: not read")
            return log
        data = path.read_bytes()
    except FileNotFoundError:
        return log
    complete = data[: data.rfind(b"\n") + 1]  # an unterminated last line is still being written
    reader = csv.reader(io.StringIO(complete.decode("utf-8-sig", errors="replace"), newline=""))
    header = [name.strip().lower() for name in next(reader, [])]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        log.problems.append(f"line 1: missing column(s) {', '.join(missing)}")
        return log
    for line, fields in enumerate(reader, start=2):
        if not any(f.strip() for f in fields):
            continue
        raw = {name: (fields[i].strip() if i < len(fields) else "") for i, name in enumerate(header)}
        parsed = _parse(raw, line)
        if isinstance(parsed, str):
            log.problems.append(f"line {line}: {parsed}")
        else:
            log.decisions.append(parsed)
    return log

"""Expert review files: `$DHF_ARCHIVE_DIR/reviews/<cave_id>.csv`, read without ever raising.

Header (any column order): face_id,decision,subset,tags,reviewer,reviewed_at[,identity,orientation]
(format v2; the two correction columns are optional, so six-column files stay valid)
  decision     accept | reject | undo | correct; an empty decision is a row not reviewed yet (skipped
               quietly). undo: the face goes back to undecided and is never auto-accepted again.
               correct: the row only carries a correction (identity and/or orientation).
  subset       3k | 500, required for accept, ignored otherwise; 500 faces are also in 3k
  tags         separated by ";", trimmed, empties dropped, duplicates dropped (first kept); 500 needs one
  reviewer     non-empty; "auto" is reserved for automatic acceptance
  reviewed_at  ISO 8601 date or datetime; naive means UTC; stored as a UTC datetime
  identity     optional correction of the VOC identity (vocabulary code); empty: no correction
  orientation  optional correction of the VOC pose (vocabulary code, any case); empty: no correction
An unterminated last line is a write in progress or a torn append: it is ignored and reported once
(severity info), never an error. Rows are numbered as a spreadsheet shows them (the header is row 1).
Flow: read_review_file ->
current_decisions -> auto_accept (faces nobody decided) -> reconcile -> subsets.
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable, Literal, Mapping, cast

from dhf_assets.lib.ingest.vocabulary import IDENTITIES, ORIENTATIONS
from dhf_assets.lib.storage.quarantine import Problem, Severity

COLUMNS: tuple[str, ...] = ("face_id", "decision", "subset", "tags", "reviewer", "reviewed_at")
CORRECTION_COLUMNS: tuple[str, ...] = ("identity", "orientation")
COLUMNS_V2: tuple[str, ...] = COLUMNS + CORRECTION_COLUMNS
MAX_FILE_BYTES: int = 10 * 1024 * 1024  # far above any real cave, low enough to refuse a stray dump
AUTO_REVIEWER: str = "auto"

Verdict = Literal["accept", "reject", "undo", "correct"]
VERDICTS: tuple[str, ...] = ("accept", "reject", "undo", "correct")
# Decisions that set a face's state; "correct" rows only change labels.
STATE_VERDICTS: tuple[str, ...] = ("accept", "reject", "undo")


@dataclass(frozen=True)
class ReviewDecision:
    face_id: str
    decision: Verdict
    subset: str | None  # "3k" | "500" for accept, None for reject
    tags: tuple[str, ...]
    reviewer: str
    reviewed_at: datetime  # timezone-aware, UTC
    cave_id: str | None = None
    source_row: int | None = None  # None for auto decisions, which live in no file
    source_sha256: str | None = None
    identity: str | None = None  # a correction of the VOC identity, else None
    orientation: str | None = None  # a correction of the VOC pose, else None


@dataclass(frozen=True)
class ReviewProblem:
    file: str  # "<cave_id>.csv", or "auto" for an automatic decision
    item: str  # "row 7", "header" or "file"
    reason: str
    face_id: str | None = None
    severity: Severity = "error"

    def quarantine(self) -> Problem:  # every review problem is quarantined at stage "review"
        return Problem("review", self.file, self.item, self.reason, self.severity)


@dataclass(frozen=True)
class ReviewRow:
    decision: ReviewDecision
    crop_status: str  # "candidate" | "dropped", from the candidate rule
    override: bool  # an expert accepted a crop the rule dropped


def parse_tags(text: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(t.strip() for t in text.split(";") if t.strip()))  # first duplicate kept


def parse_reviewed_at(text: str) -> datetime | None:  # None when it is no ISO 8601 date or datetime
    try:  # a bare date becomes midnight; month 13, or year 9999 pushed past it by UTC, are refused
        value = datetime.fromisoformat(text.strip())
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)
    except (ValueError, OverflowError):
        return None


def canonical_orientation(text: str) -> str | None:
    """The vocabulary's spelling of a pose code given in any case, or None when it is unknown."""
    return {code.lower(): code for code in ORIENTATIONS}.get(text.strip().lower())


def _parse_row(header: list[str], fields: list[str], file: str, cave_id: str, row: int, sha: str
               ) -> ReviewDecision | ReviewProblem | None:
    """A decision, a problem saying why the row is not one, or None for a row with nothing to say."""
    if not any(field.strip() for field in fields):
        return None  # a blank line
    if len(fields) != len(header):
        return ReviewProblem(file, f"row {row}", f"{len(fields)} fields, expected {len(header)}")
    raw = {name: value.strip() for name, value in zip(header, fields)}
    if not raw["decision"]:
        return None  # a template row nobody has reviewed yet
    face_id, verdict, subset = raw["face_id"], raw["decision"].lower(), raw["subset"].lower()
    accept = verdict == "accept"
    identity, pose = raw.get("identity", ""), raw.get("orientation", "")
    orientation = canonical_orientation(pose) if pose else None
    tags, reviewer, when = parse_tags(raw["tags"]), raw["reviewer"], parse_reviewed_at(raw["reviewed_at"])
    shown = {name: repr(value[:40]) for name, value in raw.items()}  # cut: a hostile cell may be huge
    checks = [
        (not face_id, "face_id is missing"),
        (verdict not in VERDICTS, f"unknown decision {shown['decision']} (expected {', '.join(VERDICTS)})"),
        (accept and subset not in ("3k", "500"), f"accept needs subset 3k or 500, got {shown['subset']}"),
        (accept and subset == "500" and not tags, "subset 500 needs at least one tag"),
        (not reviewer, "reviewer is missing"),
        (reviewer.lower() == AUTO_REVIEWER, f"reviewer {AUTO_REVIEWER!r} is reserved for automatic acceptance"),
        (when is None, f"reviewed_at {shown['reviewed_at']} is not an ISO 8601 date or datetime"),
        (bool(identity) and identity not in IDENTITIES,
         f"unknown identity code {shown.get('identity')} (known: {', '.join(IDENTITIES)})"),
        (bool(pose) and orientation is None,
         f"unknown orientation code {shown.get('orientation')} (known: {', '.join(ORIENTATIONS)})"),
        (verdict == "correct" and not identity and not pose, "correct needs an identity or an orientation"),
    ]
    reasons = [message for failed, message in checks if failed]
    if reasons or when is None:
        return ReviewProblem(file, f"row {row}", "; ".join(reasons), face_id or None)
    kept_subset = subset if accept else None  # a reject's subset means nothing
    return ReviewDecision(face_id, cast(Verdict, verdict), kept_subset, tags, reviewer, when,
                          cave_id, row, sha, identity or None, orientation)


def read_review_file(path: Path, cave_id: str) -> tuple[list[ReviewDecision], list[ReviewProblem]]:
    """Every good row as a decision and every bad one as a problem; a broken file never raises."""
    try:
        if not path.is_file():  # a FIFO or device would block or never end
            return [], [ReviewProblem(path.name, "file", "not a regular file")]
        with path.open("rb") as handle:  # read one byte past the limit rather than trust stat
            data = handle.read(MAX_FILE_BYTES + 1)
    except OSError as error:
        return [], [ReviewProblem(path.name, "file", f"cannot read: {error.strerror or error}")]
    if len(data) > MAX_FILE_BYTES:
        return [], [ReviewProblem(path.name, "file", f"larger than the {MAX_FILE_BYTES} byte limit")]
    sha = hashlib.sha256(data).hexdigest()
    try:
        text = data.decode("utf-8-sig")  # spreadsheets like to prepend a BOM
    except UnicodeDecodeError:
        text = "\x00"  # reported with NUL bytes just below: either way it is no review file
    if "\x00" in text:
        return [], [ReviewProblem(path.name, "file", "not UTF-8 text or contains NUL bytes (binary file?)")]
    decisions, problems = list[ReviewDecision](), list[ReviewProblem]()
    text, torn = _complete_lines(text)
    if torn:
        reason = ("unterminated last line ignored (an append in progress, or a file saved without a final newline): "
                  f"{torn[:60]!r}")
        problems.append(ReviewProblem(path.name, "last line", reason, severity="info"))
    rows = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [name.strip().lower() for name in next(rows, [])]
        if not _valid_header(header):
            reason = (f"columns are {','.join(header) or 'nothing'}; expected {','.join(COLUMNS)}"
                      f" (optionally also {','.join(CORRECTION_COLUMNS)})")
            return [], problems + [ReviewProblem(path.name, "header", reason)]
        for number, fields in enumerate(rows, start=2):
            parsed = _parse_row(header, fields, path.name, cave_id, number, sha)
            if isinstance(parsed, ReviewDecision):
                decisions.append(parsed)
            elif parsed is not None:
                problems.append(parsed)
    except csv.Error as error:
        # The tokenizer cannot resync after e.g. an oversized field; keep what was read before it.
        reason = f"unreadable CSV, rest of the file skipped: {error}"
        problems.append(ReviewProblem(path.name, f"line {rows.line_num}", reason))
    return decisions, problems


def _complete_lines(text: str) -> tuple[str, str]:
    """(the text up to its last line break, the unterminated rest). A text without any line break
    is a lone header line and is kept whole."""
    if not text or text.endswith(("\n", "\r")) or "\n" not in text:
        return text, ""
    cut = text.rindex("\n") + 1
    return text[:cut], text[cut:]


def _valid_header(header: list[str]) -> bool:
    names = set(header)
    return len(names) == len(header) and set(COLUMNS) <= names <= set(COLUMNS_V2)


def _order_key(d: ReviewDecision) -> tuple[bool, datetime, str, int]:
    return (d.reviewer != AUTO_REVIEWER, d.reviewed_at, d.cave_id or "", d.source_row or 0)


def current_decisions(decisions: Iterable[ReviewDecision]) -> dict[str, ReviewDecision]:
    """The decision in force per face: the latest reviewed_at wins. Ties go to the later row of the
    file (then the later cave id): a reviewer who appends a fix with the same timestamp gets what
    they meant. A human decision always outranks an auto one, whatever the clocks say. "correct"
    rows change labels, not decisions, so they never count here; an "undo" does (the face is then
    undecided: see `decided_rows`)."""
    current: dict[str, ReviewDecision] = {}
    for decision in decisions:
        if decision.decision not in STATE_VERDICTS:
            continue
        held = current.get(decision.face_id)
        if held is None or _order_key(decision) >= _order_key(held):
            current[decision.face_id] = decision
    return current


def decided_only(current: Mapping[str, ReviewDecision]) -> dict[str, ReviewDecision]:
    """The faces whose decision in force is accept or reject (an undone face is undecided)."""
    return {face_id: d for face_id, d in current.items() if d.decision in ("accept", "reject")}


def current_corrections(decisions: Iterable[ReviewDecision]) -> dict[str, dict[str, ReviewDecision]]:
    """Per face and attribute ("identity", "orientation") the latest row that corrects it."""
    latest: dict[str, dict[str, ReviewDecision]] = {}
    for decision in decisions:
        for attribute in CORRECTION_COLUMNS:
            if getattr(decision, attribute) is None:
                continue
            held = latest.setdefault(decision.face_id, {}).get(attribute)
            if held is None or _order_key(decision) >= _order_key(held):
                latest[decision.face_id][attribute] = decision
    return latest


def reconcile(
    current: Mapping[str, ReviewDecision], known_faces: Mapping[str, str]
) -> tuple[list[ReviewRow], list[ReviewProblem]]:
    """Join decisions to the faces that exist now; decisions for other faces come back as problems."""
    rows, problems = list[ReviewRow](), list[ReviewProblem]()  # problems go to quarantine, never dropped
    for face_id, decision in sorted(current.items()):
        status = known_faces.get(face_id)
        if status is None:
            file = f"{decision.cave_id}.csv" if decision.source_row else AUTO_REVIEWER
            item = f"row {decision.source_row}" if decision.source_row else f"face {face_id}"
            reason = f"decision for unknown face_id {face_id!r} (face no longer exists or never existed)"
            problems.append(ReviewProblem(file, item, reason, face_id))
        else:
            rows.append(ReviewRow(decision, status, decision.decision == "accept" and status == "dropped"))
    return rows, problems


def subsets(current_rows: Iterable[ReviewRow]) -> tuple[list[str], list[tuple[str, tuple[str, ...]]]]:
    """The 3k face ids and the 500 (face id, tags); every 500 face is in 3k too. Sorted by face id."""
    accepted = sorted((r.decision for r in current_rows if r.decision.decision == "accept"),
                      key=lambda d: d.face_id)
    subset_3k = [d.face_id for d in accepted if d.subset in ("3k", "500")]
    subset_500 = [(d.face_id, d.tags) for d in accepted if d.subset == "500" and d.tags]
    return subset_3k, subset_500


def auto_accept(
    candidates: Iterable[tuple[str, float]], min_score: float, decided: set[str],
    *, now: datetime | None = None, cave_id: str | None = None,
) -> list[ReviewDecision]:
    """3k decisions by "auto" for undecided candidates scoring at least min_score; never written to files."""
    when = now or datetime.now(timezone.utc)
    undecided = [(face_id, score) for face_id, score in candidates if face_id not in decided]  # NaN never passes
    return [ReviewDecision(f, "accept", "3k", (), AUTO_REVIEWER, when, cave_id) for f, s in undecided if s >= min_score]


def review_csv_template(face_ids: Iterable[str]) -> str:
    """A review file to fill in: one row per face, decision empty (skipped until filled), subset 3k."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS_V2)
    writer.writerows([face_id, "", "3k", "", "", "", "", ""] for face_id in face_ids)
    return out.getvalue()

"""Appending decisions to a cave's review file so that none is ever lost.

One append = one `write` of whole CSV lines under an exclusive `fcntl.flock` on the file, then
`fsync`. Two server processes on the same cave therefore interleave whole lines, never bytes. Before
appending, a missing final newline (a hand-saved file, or a torn append) is repaired, so the new
line never glues onto the old one. A file with the six v1 columns keeps them until a correction
needs the two v2 columns; it is then rewritten once (same rows, two empty columns more) into a
temporary file and renamed over the old one, and a writer that was waiting on the old file's lock
notices the rename (inode changed) and locks the new file instead.
"""

from __future__ import annotations

import csv
import fcntl
import io
import os
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Sequence

from dhf_assets.lib.ingest.vocabulary import IDENTITIES
from dhf_assets.lib.reviews.reader import COLUMNS_V2, CORRECTION_COLUMNS, VERDICTS, canonical_orientation

_HEADER_PEEK = 4096


@dataclass(frozen=True)
class ReviewEntry:
    """One line to append; validated before anything touches the file."""

    face_id: str
    decision: str
    reviewer: str
    subset: str = ""
    tags: tuple[str, ...] = ()
    identity: str = ""
    orientation: str = ""
    reviewed_at: datetime | None = None  # default: now, UTC

    def problems(self) -> list[str]:
        checks = [
            (not self.face_id.strip(), "face_id is missing"),
            (self.decision not in VERDICTS, f"unknown decision {self.decision!r}"),
            (self.decision == "accept" and self.subset not in ("3k", "500"), "accept needs subset 3k or 500"),
            (self.decision == "accept" and self.subset == "500" and not self.tags, "subset 500 needs a tag"),
            (not self.reviewer.strip() or self.reviewer.strip().lower() == "auto", "a reviewer name is needed"),
            (bool(self.identity) and self.identity not in IDENTITIES, f"unknown identity {self.identity!r}"),
            (bool(self.orientation) and canonical_orientation(self.orientation) is None,
             f"unknown orientation {self.orientation!r}"),
            (self.decision == "correct" and not (self.identity or self.orientation), "nothing to correct"),
            (any(";" in t or "\n" in t or "\r" in t for t in self.tags), "a tag may not hold ';' or a line break"),
            (any(c in self.reviewer for c in "\r\n"), "a reviewer name may not hold a line break"),
        ]
        return [message for failed, message in checks if failed]

    def fields(self) -> dict[str, str]:
        when = self.reviewed_at or datetime.now(timezone.utc)
        return {
            "face_id": self.face_id, "decision": self.decision,
            "subset": self.subset if self.decision == "accept" else "", "tags": ";".join(self.tags),
            "reviewer": self.reviewer.strip(), "reviewed_at": when.isoformat(timespec="microseconds"),
            "identity": self.identity,
            "orientation": canonical_orientation(self.orientation) or "" if self.orientation else "",
        }


def _csv_lines(rows: Sequence[Sequence[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue().encode("utf-8")


def _read_all(fd: int) -> bytes:
    os.lseek(fd, 0, os.SEEK_SET)
    chunks = []
    while chunk := os.read(fd, 1 << 20):
        chunks.append(chunk)
    return b"".join(chunks)


def _header(fd: int) -> list[str] | None:
    """The file's column names, or None when the file is empty."""
    head = os.pread(fd, _HEADER_PEEK, 0)
    if not head:
        return None
    line = head.split(b"\n", 1)[0].decode("utf-8-sig", errors="replace")
    return [name.strip().lower() for name in next(csv.reader([line]), [])]


def _upgrade_to_v2(path: Path, fd: int, header: list[str]) -> None:
    """Rewrite a v1 file with the two correction columns (empty) added; the caller holds the lock."""
    text = _read_all(fd).decode("utf-8-sig")
    if text and not text.endswith("\n"):
        text += "\n"
    rows = list(csv.reader(io.StringIO(text, newline="")))
    upgraded = [header + list(CORRECTION_COLUMNS)] + [row + ["", ""] if any(row) else row for row in rows[1:]]
    temporary = path.with_name(f".{path.name}.upgrade-{os.getpid()}")
    temporary.write_bytes(_csv_lines(upgraded))
    with temporary.open("rb") as handle:
        os.fsync(handle.fileno())
    os.replace(temporary, path)


def open_locked(path: Path) -> int:
    """An append descriptor of `path` holding its exclusive lock, on the file the path names now."""
    while True:
        fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            if os.fstat(fd).st_ino == os.stat(path).st_ino:
                return fd
        except FileNotFoundError:
            pass
        os.close(fd)  # renamed or removed while we waited: lock the file that is there now


def append_locked(fd: int, header: Sequence[str], rows: Sequence[Sequence[str]]) -> int:
    """Append CSV rows through a locked descriptor in one write, then fsync: `header` first when the file is
    empty, and a missing final newline (a torn or hand-saved last line) repaired, never glued onto. Returns the
    bytes."""
    size = os.fstat(fd).st_size
    if size == 0:
        prefix = _csv_lines([header])
    else:
        prefix = b"\n" if os.pread(fd, 1, size - 1) != b"\n" else b""
    body = prefix + _csv_lines(rows)
    written = 0
    while written < len(body):
        written += os.write(fd, body[written:])
    os.fsync(fd)
    return written


def append_entries(path: Path, entries: Sequence[ReviewEntry]) -> int:
    """Append the entries as lines of `path` (created with the v2 header); fsync before returning.
    Returns the bytes written. Raises ValueError, writing nothing, when an entry is invalid."""
    problems = [f"{e.face_id}: {p}" for e in entries for p in e.problems()]
    if problems:
        raise ValueError("; ".join(problems))
    if not entries:
        return 0
    path.parent.mkdir(parents=True, exist_ok=True)
    while True:
        fd = open_locked(path)
        try:
            header = _header(fd)
            needs_v2 = any(e.identity or e.orientation for e in entries)
            if header is not None and needs_v2 and not set(CORRECTION_COLUMNS) <= set(header):
                _upgrade_to_v2(path, fd, header)
                continue  # the lock was on the old file: take the new one's
            columns = list(COLUMNS_V2) if header is None else header
            return append_locked(fd, COLUMNS_V2, [[e.fields().get(c, "") for c in columns] for e in entries])
        finally:
            os.close(fd)

"""A cave's review file as the server sees it: read once, then only the lines appended since.

Other server processes may append to the same file; each request re-checks its size and inode
(one stat) and parses only what was added. A rewrite (the one-time v1 -> v2 upgrade) or a shrink
makes it read the file again from the start. An unterminated last line is left for the next look.
"""

from __future__ import annotations

import csv
import io
import os
from dataclasses import dataclass, field
from pathlib import Path

from dhf_assets.lib.reviews.reader import ReviewDecision, _parse_row, _valid_header


@dataclass
class ReviewLog:
    path: Path
    cave_id: str
    decisions: list[ReviewDecision] = field(default_factory=list)
    problems: int = 0
    _inode: int = -1
    _offset: int = 0
    _header: list[str] | None = None
    _rows: int = 1

    def refresh(self) -> list[ReviewDecision]:
        """The decisions appended since the last look (all of them after a rewrite)."""
        try:
            stat = os.stat(self.path)
        except FileNotFoundError:
            return []
        if stat.st_ino != self._inode or stat.st_size < self._offset:
            self.decisions, self.problems, self._offset, self._header, self._rows = [], 0, 0, None, 1
            self._inode = stat.st_ino
        if stat.st_size == self._offset:
            return []
        with self.path.open("rb") as handle:
            handle.seek(self._offset)
            data = handle.read(stat.st_size - self._offset)
        complete = data[: data.rfind(b"\n") + 1]
        self._offset += len(complete)
        text = complete.decode("utf-8-sig" if self._header is None else "utf-8", errors="replace")
        added = []
        for fields in csv.reader(io.StringIO(text, newline="")):
            if self._header is None:
                self._header = [name.strip().lower() for name in fields]
                continue
            self._rows += 1
            if not _valid_header(self._header):
                self.problems += 1
                continue
            parsed = _parse_row(self._header, fields, self.path.name, self.cave_id, self._rows, "")
            if isinstance(parsed, ReviewDecision):
                added.append(parsed)
            elif parsed is not None:
                self.problems += 1
        self.decisions.extend(added)
        return added

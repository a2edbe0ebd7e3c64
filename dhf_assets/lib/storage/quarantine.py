"""Quarantine records: everything that could not be used, each with a plain reason."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from dhf_assets.lib.text.safe_text import printable_line

Severity = Literal["error", "warning", "info"]

QUARANTINE_COLUMNS = ("cave_id", "stage", "file", "item", "reason", "severity")


@dataclass(frozen=True)
class Problem:
    """One quarantined file or item. `error`: not used; `warning`: used with a correction;
    `info`: nothing wrong, but worth recording (a mural without annotations yet)."""

    stage: str
    file: str
    item: str
    reason: str
    severity: Severity = "error"

    def row(self, cave_id: str) -> tuple[str, str, str, str, str, str]:
        """The table row; any text that is not one printable line (a raw file name) is escaped."""
        return (cave_id, self.stage, printable_line(self.file), printable_line(self.item),
                printable_line(self.reason), self.severity)

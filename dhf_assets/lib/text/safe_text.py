"""Any path or file name as safe, readable text, and a cave folder's entries listed without surprises.

A POSIX file name is bytes: it may be invalid UTF-8, hold control characters or a newline, or be
255 bytes long. Python hands such names over as `str` with lone surrogates, which DuckDB, JSON, hashing
(`str.encode()`) and log lines refuse. Every place where a path becomes text goes through `safe_text`:
printable characters stay as they are, a backslash is doubled, an undecodable byte becomes `\\xNN` and
any other unprintable character its Python escape (`\\n`, `\\x07`, `\\u200b`). The result is one line,
unambiguous, and the same on every run.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

_SURROGATE_BYTES = range(0xDC80, 0xDD00)  # os.fsdecode's surrogateescape for bytes 0x80..0xFF


def _escaped(char: str) -> str:
    code = ord(char)
    if code in _SURROGATE_BYTES:
        return f"\\x{code - 0xDC00:02x}"
    if char == "\\":
        return "\\\\"
    if char.isprintable():
        return char
    return ascii(char)[1:-1]  # '\n' -> \n, '\x07' -> \x07, '\u2028' -> \u2028


def safe_text(value: str | bytes | os.PathLike) -> str:
    """`value` as one printable line: invalid bytes as \\xNN, control characters escaped."""
    return "".join(_escaped(char) for char in os.fsdecode(value))


def printable_line(text: str) -> str:
    """`text` unchanged when it is already one printable line, else `safe_text(text)` (a last guard)."""
    if all(char.isprintable() and ord(char) not in _SURROGATE_BYTES for char in text):
        return text
    return safe_text(text)


@dataclass(frozen=True)
class FolderEntry:
    """One entry of a folder as listed: its path, its name as safe text, and what it is."""

    path: Path
    text: str  # safe_text(name)
    kind: str  # "file", "dir", "symlink", "other" or "gone" (vanished after the listing)

    @property
    def name(self) -> str:
        return self.path.name


def _kind(path: Path) -> str:
    try:
        if path.is_symlink():
            return "symlink"
        mode = path.stat().st_mode
    except FileNotFoundError:
        return "gone"
    except OSError:
        return "other"
    if stat.S_ISREG(mode):
        return "file"
    return "dir" if stat.S_ISDIR(mode) else "other"


def list_folder(folder: Path) -> list[FolderEntry]:
    """The entries of `folder`, sorted by their raw bytes; never raises for a strange name."""
    names = sorted(os.listdir(folder), key=os.fsencode)
    return [FolderEntry(folder / name, safe_text(name), _kind(folder / name)) for name in names]

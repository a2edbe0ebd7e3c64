"""Reading the mural archive: caves.csv, murals.csv and the files of one cave folder.

    <archive>/caves.csv                       cave_id,site,period,cave_style
    <archive>/murals.csv                      optional: cave_id,mural_id,period
    <archive>/murals/<cave_id>/<mural_id>.jpg|.jpeg|.png|.tif|.tiff
    <archive>/murals/<cave_id>/<mural_id>.xml
Images and annotations pair by file stem. Nothing here follows a symbolic link or a name found
inside a file.
"""

from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from dhf_assets.lib.ingest.images import IMAGE_SUFFIXES
from dhf_assets.lib.ingest.vocabulary import unknown_code_reason
from dhf_assets.lib.storage.quarantine import Problem
from dhf_assets.lib.text.safe_text import FolderEntry, list_folder, safe_text

CAVE_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
MURAL_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")
MAX_CSV_BYTES = 20_000_000
CAVE_COLUMNS = ("cave_id", "site", "period", "cave_style")
MURAL_OVERRIDE_COLUMNS = ("cave_id", "mural_id", "period")


@dataclass(frozen=True)
class Cave:
    cave_id: str
    site: str
    period: str
    cave_style: str


@dataclass(frozen=True)
class MuralFile:
    mural_id: str
    image_path: Path
    voc_path: Path | None


def _read_csv(path: Path, columns: tuple[str, ...]) -> list[tuple[int, dict[str, str]]]:
    """(line number, row) pairs; raises ValueError when the file itself is unusable."""
    if path.stat().st_size > MAX_CSV_BYTES:
        raise ValueError(f"{path.name} is larger than {MAX_CSV_BYTES} bytes")
    text = path.read_bytes().decode("utf-8-sig")
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in columns if c not in (reader.fieldnames or [])]
    if missing:
        raise ValueError(f"{path.name} lacks the column(s) {', '.join(missing)}")
    return [
        (reader.line_num, {k: (v or "").strip() for k, v in row.items() if k})
        for row in reader
        if any((v or "").strip() for v in row.values() if isinstance(v, str))
    ]


def read_caves(path: Path) -> tuple[dict[str, Cave], dict[str, str]]:
    """Valid caves by id, and for each refused cave id the reason (naming the line and code)."""
    caves: dict[str, Cave] = {}
    refused: dict[str, str] = {}
    for line, row in _read_csv(path, CAVE_COLUMNS):
        cave_id = row["cave_id"]
        reasons = [] if CAVE_ID_PATTERN.match(cave_id) else [f"cave_id {cave_id!r} is not a safe name"]
        for attribute in ("site", "period", "cave_style"):
            reason = unknown_code_reason(attribute, row[attribute])
            if reason:
                reasons.append(reason)
        if cave_id in caves or cave_id in refused:
            reasons.append(f"cave_id {cave_id!r} is listed twice")
        if reasons:
            refused[cave_id] = f"caves.csv line {line}: cave {cave_id}: " + "; ".join(reasons)
            caves.pop(cave_id, None)
        else:
            caves[cave_id] = Cave(cave_id, row["site"], row["period"], row["cave_style"])
    return caves, refused


def read_mural_periods(path: Path, cave_id: str) -> tuple[dict[str, str], list[Problem]]:
    """Per-mural period overrides of one cave from the optional murals.csv."""
    if not path.exists():
        return {}, []
    overrides: dict[str, str] = {}
    problems: list[Problem] = []
    for line, row in _read_csv(path, MURAL_OVERRIDE_COLUMNS):
        if row["cave_id"] != cave_id:
            continue
        reason = unknown_code_reason("period", row["period"])
        if reason:
            problems.append(Problem("murals", "murals.csv", f"line {line}", reason))
        else:
            overrides[row["mural_id"]] = row["period"]
    return overrides, problems


def list_cave_dirs(archive: Path) -> list[str]:
    """Cave ids that have a folder under murals/ (safe names only, sorted)."""
    root = archive / "murals"
    if not root.is_dir():
        return []
    return sorted(e.name for e in list_folder(root) if e.kind == "dir" and CAVE_ID_PATTERN.match(e.name))


def ignored_archive_entries(archive: Path) -> list[str]:
    """What under murals/ is not a cave folder, each as 'murals/<safe name>: reason' (for log lines)."""
    root = archive / "murals"
    if not root.is_dir():
        return []
    ignored = []
    for entry in list_folder(root):
        if entry.name.startswith("."):
            continue
        if entry.kind != "dir":
            ignored.append(f"murals/{entry.text}: {_KIND_REASONS.get(entry.kind, 'a file, not a cave folder')}")
        elif not CAVE_ID_PATTERN.match(entry.name):
            ignored.append(f"murals/{entry.text}: not a safe cave id (letters, digits, '_', '-'; up to 64)")
    return ignored


_KIND_REASONS = {
    "symlink": "symbolic link not followed",
    "dir": "unexpected folder inside a cave folder",
    "other": "not a regular file (device, pipe or socket)",
    "gone": "vanished between listing the cave folder and reading it",
}


def _classify(entry: FolderEntry) -> str | None:
    """Why a folder entry is not a candidate mural or annotation, else None."""
    if entry.kind in _KIND_REASONS:
        return _KIND_REASONS[entry.kind]
    suffix = entry.path.suffix.lower()
    if suffix != ".xml" and suffix not in IMAGE_SUFFIXES:
        return f"unsupported file type {safe_text(suffix) or '(none)'}"
    if not MURAL_ID_PATTERN.match(entry.path.stem):
        return f"unsafe mural id '{safe_text(entry.path.stem)}' (letters, digits, '_', '-', '.'; up to 128)"
    return None


def scan_cave(cave_dir: Path) -> tuple[list[MuralFile], list[Problem]]:
    """Pair a cave folder's images and annotations by stem, reporting what cannot be paired."""
    images: dict[str, list[Path]] = defaultdict(list)
    annotations: dict[str, Path] = {}
    problems: list[Problem] = []
    for entry in list_folder(cave_dir):
        if entry.name.startswith("."):
            continue
        reason = _classify(entry)
        if reason:
            problems.append(Problem("murals", entry.text, "", reason))
        elif entry.path.suffix.lower() == ".xml":
            annotations[entry.path.stem] = entry.path
        else:
            images[entry.path.stem].append(entry.path)
    murals: list[MuralFile] = []
    for stem, paths in sorted(images.items()):
        if len(paths) > 1:
            names = ", ".join(p.name for p in paths)
            problems += [Problem("murals", p.name, stem,
                                 f"duplicate mural id {stem!r} ({names}): none used") for p in paths]
            if stem in annotations:
                problems.append(Problem("murals", annotations.pop(stem).name, stem,
                                        "its mural id is duplicated: boxes not used"))
            continue
        voc = annotations.pop(stem, None)
        if voc is None:
            problems.append(Problem("murals", paths[0].name, stem, "no annotation file yet: no faces", "info"))
        murals.append(MuralFile(stem, paths[0], voc))
    problems += [Problem("murals", p.name, stem, "annotation without an image") for stem,
                 p in sorted(annotations.items())]
    return murals, problems

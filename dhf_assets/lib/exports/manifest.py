"""Manifests: every file of a release with its sha256 and size, and their verification.

`MANIFEST.json` is authoritative (path, sha256, size); `MANIFEST.sha256` holds the same digests
in the format of `sha256sum -c MANIFEST.sha256`. Neither lists itself.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from dhf_assets.lib.storage.files import file_sha256
from dhf_assets.lib.text.safe_text import safe_text

MANIFEST_JSON = "MANIFEST.json"
MANIFEST_SHA256 = "MANIFEST.sha256"
MANIFEST_FILES = (MANIFEST_JSON, MANIFEST_SHA256)


@dataclass(frozen=True)
class FileEntry:
    path: str  # POSIX, relative to the release folder
    sha256: str
    size: int


def list_files(folder: Path, exclude: tuple[str, ...] = MANIFEST_FILES) -> list[FileEntry]:
    """Every regular file under `folder`, sorted by path; symbolic links are refused."""
    entries = []
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder).as_posix()
        if path.is_symlink():
            raise ValueError(f"refusing symbolic link {safe_text(relative)} in {safe_text(folder)}")
        if path.is_file() and relative not in exclude:
            entries.append(FileEntry(relative, file_sha256(path), path.stat().st_size))
    return entries


def content_hash(entries: list[FileEntry]) -> str:
    """One digest of paths, sizes and digests: equal contents give equal hashes."""
    digest = hashlib.sha256()
    for entry in entries:
        digest.update(f"{entry.path}\0{entry.size}\0{entry.sha256}\n".encode("utf-8"))
    return digest.hexdigest()


def write_manifest(folder: Path, version: str) -> list[FileEntry]:
    entries = list_files(folder)
    document = {"version": version, "files": [e.__dict__ for e in entries]}
    (folder / MANIFEST_JSON).write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")
    (folder / MANIFEST_SHA256).write_text("".join(f"{e.sha256}  {e.path}\n" for e in entries), encoding="utf-8")
    return entries


def verify_manifest(folder: Path) -> list[str]:
    """Problems found in `folder` against its manifest: missing, changed, resized or unlisted files."""
    manifest = folder / MANIFEST_JSON
    if not manifest.is_file():
        return [f"{MANIFEST_JSON} is missing"]
    try:
        listed = {f["path"]: FileEntry(f["path"], f["sha256"], int(f["size"]))
                  for f in json.loads(manifest.read_text(encoding="utf-8"))["files"]}
    except (ValueError, KeyError, TypeError) as exc:
        return [f"{MANIFEST_JSON} is unreadable ({exc})"]
    problems = []
    for path, entry in listed.items():
        target = folder / path
        if not target.is_file():
            problems.append(f"{path}: missing")
        elif target.stat().st_size != entry.size:
            problems.append(f"{path}: size {target.stat().st_size} != {entry.size} in the manifest")
        elif file_sha256(target) != entry.sha256:
            problems.append(f"{path}: sha256 differs from the manifest")
    present = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file() or p.is_symlink()}
    problems += [
        f"{safe_text(path)}: not in the manifest" for path in sorted(present - set(listed) - set(MANIFEST_FILES))
    ]
    problems += _sha256_file_problems(folder, listed)
    return problems


def _sha256_file_problems(folder: Path, listed: dict[str, FileEntry]) -> list[str]:
    sums = folder / MANIFEST_SHA256
    if not sums.is_file():
        return [f"{MANIFEST_SHA256} is missing"]
    lines = {}
    for line in sums.read_text(encoding="utf-8").splitlines():
        digest, _, path = line.partition("  ")
        lines[path] = digest
    if lines != {p: e.sha256 for p, e in listed.items()}:
        return [f"{MANIFEST_SHA256} disagrees with {MANIFEST_JSON}"]
    return []

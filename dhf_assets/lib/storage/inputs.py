"""Content hashes of a cave's inputs in the archive: its scans, VOC files, review file and catalog rows.

File hashes are cached by (path, size, mtime_ns) in memory and in a small JSON file, so an unchanged
archive is fingerprinted by stat calls alone.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import threading
from pathlib import Path

from dhf_assets.lib.ingest.images import write_bytes_atomic
from dhf_assets.lib.runtime.settings import current_settings
from dhf_assets.lib.storage.files import file_sha256
from dhf_assets.lib.text.safe_text import list_folder, safe_text

_lock = threading.Lock()
_memory: dict[tuple[str, int, int], str] = {}
_unsaved = {"count": 0}  # hashes computed since the cache file was last written


def _cache_file() -> Path | None:
    return current_settings().output_dir / ".cache" / "file_hashes.json"


def _load_disk_cache() -> None:
    path = _cache_file()
    if path is None or not path.exists() or _memory:
        return
    try:
        for key, digest in json.loads(path.read_text()).items():
            name, size, mtime = key.rsplit("|", 2)
            _memory[(name, int(size), int(mtime))] = digest
    except (OSError, ValueError):
        pass  # a damaged cache is only a slower run


def save_hash_cache() -> None:
    path = _cache_file()
    if path is None or not _unsaved["count"]:
        return  # nothing new: an unchanged archive costs no write
    with _lock:
        _unsaved["count"] = 0
        data = {f"{name}|{size}|{mtime}": digest for (name, size, mtime), digest in _memory.items()}
    write_bytes_atomic(path, json.dumps(data, sort_keys=True).encode())


def cached_sha256(path: Path) -> str:
    stat = path.stat()
    key = (safe_text(path), stat.st_size, stat.st_mtime_ns)
    with _lock:
        _load_disk_cache()
        if key in _memory:
            return _memory[key]
    digest = file_sha256(path)
    with _lock:
        _memory[key] = digest
        _unsaved["count"] += 1
    return digest


def _catalog_rows(path: Path, cave_id: str) -> list[str]:
    """The cave's own rows of caves.csv or murals.csv, normalised (other caves' rows do not count)."""
    if not path.is_file():
        return []
    reader = csv.reader(io.StringIO(path.read_bytes().decode("utf-8-sig", errors="replace")))
    return sorted(",".join(c.strip() for c in row) for row in reader if row and row[0].strip() == cave_id)


def cave_inputs_hash(archive: Path, cave_id: str) -> str:
    """One hash over everything a cave's build reads from the archive; '' when the cave folder is gone.

    Names enter the hash as safe text, so no file name (invalid UTF-8, control characters) can make
    it fail; a file that vanishes between listing and reading counts as gone.
    """
    folder = archive / "murals" / cave_id
    if not folder.is_dir():
        return ""
    digest = hashlib.sha256()
    for entry in list_folder(folder):
        content = _file_digest(entry.path) if entry.kind == "file" and not entry.name.startswith(".") else None
        if content:
            digest.update(f"file {entry.text} {content}\n".encode())
        else:
            digest.update(f"other {entry.text} {entry.kind}\n".encode())  # what the scan quarantines counts too
    review = archive / "reviews" / f"{cave_id}.csv"
    if review.is_file():
        digest.update(f"review {_file_digest(review)}\n".encode())
    for name in ("caves.csv", "murals.csv"):
        for row in _catalog_rows(archive / name, cave_id):
            digest.update(f"{name} {row}\n".encode())
    return digest.hexdigest()[:24]


def _file_digest(path: Path) -> str | None:
    """The file's cached sha256, or None when it vanished or cannot be read."""
    try:
        return cached_sha256(path)
    except OSError:
        return None

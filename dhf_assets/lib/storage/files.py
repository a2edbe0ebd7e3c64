"""File housekeeping for per-cave outputs."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

from dhf_assets.lib.storage.processes import orphan_temp_paths


def file_sha256(path: Path) -> str:
    """The sha256 of a file's bytes (read in 1 MiB blocks): the one file-hash helper of dhf."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def remove_stale_files(folder: Path, keep: set[Path], pattern: str) -> int:
    """Delete files under `folder` matching `pattern` that are not in `keep`; count them.

    Called after the new rows are committed, so a crash leaves extra files, never missing ones.
    """
    if not folder.exists():
        return 0
    removed = 0
    for path in folder.rglob(pattern):
        if path.is_file() and path not in keep:
            path.unlink(missing_ok=True)
            removed += 1
    for directory in sorted((d for d in folder.rglob("*") if d.is_dir()), reverse=True):
        if not any(directory.iterdir()):
            directory.rmdir()
    return removed


def remove_orphan_temp_files(folder: Path, include_own: bool = False) -> list[Path]:
    """Delete temporary files and folders under `folder` left by writers (on this host) that are gone.

    A writer that was killed mid-write (kill -9, out of memory, power loss) cannot remove its own
    temporary file; a live writer's file is never touched, so this is safe beside running builds.
    """
    removed = []
    for path in sorted(orphan_temp_paths(folder, include_own), key=lambda p: len(p.parts)):
        if not path.exists() and not path.is_symlink():
            continue  # inside an orphan folder removed just before
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
        removed.append(path)
    return removed

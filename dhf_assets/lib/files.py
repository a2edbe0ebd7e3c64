"""File housekeeping for per-cave outputs."""

from __future__ import annotations

from pathlib import Path


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

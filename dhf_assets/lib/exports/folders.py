"""Folders built beside their target and swapped in whole: readers never see half an export."""

from __future__ import annotations

import os
import shutil
import tempfile
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from dhf_assets.lib.storage.processes import temp_prefix

# Leftovers of a crashed run older than this are removed by the next run into the same parent.
STALE_AFTER_S = 24 * 3600


class UnsafePath(ValueError):
    """A relative path from the tables that would leave its root folder."""


def safe_join(root: Path, relative: str) -> Path:
    """`root / relative`, refusing absolute paths and `..` (ids are validated at ingestion; this is a second guard)."""
    path = Path(relative)
    if path.is_absolute() or ".." in path.parts or not path.parts:
        raise UnsafePath(f"refusing path {relative!r} outside {root}")
    return root / path


def remove_stale(parent: Path, pattern: str) -> None:
    """Remove folders matching `pattern` in `parent` left by a crashed run (older than STALE_AFTER_S)."""
    cutoff = time.time() - STALE_AFTER_S
    for sibling in parent.glob(pattern):
        try:
            if sibling.is_dir() and sibling.stat().st_mtime < cutoff:
                shutil.rmtree(sibling, ignore_errors=True)
        except OSError:
            pass


def replace_folder(new: Path, target: Path) -> None:
    """Put `new` at `target`; an existing `target` is moved aside first and deleted after."""
    old = None
    if target.exists():
        old = target.with_name(f"{temp_prefix(target.name)}old-{uuid.uuid4().hex[:8]}")
        os.rename(target, old)
    os.rename(new, target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


@contextmanager
def staged_folder(target: Path) -> Iterator[Path]:
    """Yield an empty folder beside `target`; on success it replaces `target`, on failure it is removed."""
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_stale(target.parent, f".{target.name}.*")
    temp = Path(tempfile.mkdtemp(dir=target.parent, prefix=temp_prefix(target.name), suffix=".tmp"))
    os.chmod(temp, 0o755)  # mkdtemp makes 0700; an export is meant to be read by others
    try:
        yield temp
        replace_folder(temp, target)
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)
        raise


def copy_file(source: Path, destination: Path) -> None:
    destination.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, destination)


def write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")

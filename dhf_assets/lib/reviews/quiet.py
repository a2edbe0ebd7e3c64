"""The sensor's quiet period for review files: a cave being reviewed is rebuilt once the reviewer pauses.

Every decision appends to `reviews/<cave_id>.csv`, which is part of the cave's inputs hash; without a
quiet period each keystroke in the workbench would request a cave run. A cave whose review file was
modified less than `DHF_REVIEW_QUIET_S` seconds ago (default 180) waits; the next sensor tick after
the pause requests one run with everything decided so far.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Iterable

from dhf_assets.lib.runtime.settings import current_settings


def quiet_seconds() -> float:
    return max(0.0, current_settings().review_quiet_s)


def review_file_quiet(archive: Path, cave_id: str, quiet_s: float, now: float | None = None) -> bool:
    """True when the cave has no review file or it has not changed for `quiet_s` seconds."""
    try:
        modified = (archive / "reviews" / f"{cave_id}.csv").stat().st_mtime
    except OSError:
        return True
    return (now if now is not None else time.time()) - modified >= quiet_s


def caves_still_reviewed(archive: Path, cave_ids: Iterable[str], quiet_s: float | None = None,
                         now: float | None = None) -> list[str]:
    """The caves among `cave_ids` whose review file changed within the quiet period, sorted."""
    wait = quiet_seconds() if quiet_s is None else quiet_s
    return sorted(cave for cave in cave_ids if not review_file_quiet(archive, cave, wait, now))

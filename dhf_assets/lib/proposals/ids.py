"""Stable proposal ids: the same box of the same mural gets the same id on every re-run."""

from __future__ import annotations

import hashlib


def proposal_id_for(cave_id: str, mural_id: str, box: tuple[int, int, int, int]) -> str:
    """sha1 of (cave, mural, 0-based half-open box), 16 hex digits; kept apart from face_id's key."""
    key = f"proposal\x1f{cave_id}\x1f{mural_id}\x1f{box[0]},{box[1]},{box[2]},{box[3]}"
    return hashlib.sha1(key.encode("utf-8")).hexdigest()[:16]

"""Near-duplicate crops: the same face photographed in two overlapping plates lands twice in the 20k subset.

Each crop gets a 64-bit perceptual hash (imagehash's pHash: DCT of the 32x32 grey image, the 8x8
lowest frequencies against their median), which survives re-encoding, small scale changes and mild
colour shifts. Two crops are near-duplicates when their hashes differ in at most
DHF_NEAR_DUPLICATE_DISTANCE bits (default 6 of 64, a common rule of thumb for pHash; not yet tuned
on real plates). The bundled sample paints the same two photographs into many murals, so 27 of its 46
crops fall into groups at 6 bits (15 at 4, 33 at 8). Groups are the connected components of that
relation across murals and caves; the first member is the smallest (cave_id, face_id) and every
member's distance to it is recorded.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np
from PIL import Image

NEAR_DUPLICATE_COLUMNS = ("group_id", "face_id", "cave_id", "distance")
HASH_COLUMNS = ("face_id", "cave_id", "crop_sha256", "phash")


def perceptual_hash(path: Path) -> str | None:
    """The crop's 64-bit pHash as 16 hex digits, or None when the file cannot be read."""
    try:
        with Image.open(path) as image:
            return image_hash(image)
    except (OSError, ValueError, Image.DecompressionBombError):
        return None


def image_hash(image: Image.Image) -> str:
    """The 64-bit pHash of an image in memory (the `faces` step hashes each crop as it cuts it, so this
    step need not decode it again; a PNG's pixels are the crop's, so both give the same hash)."""
    import imagehash

    return str(imagehash.phash(image.convert("RGB")))


def group_near_duplicates(items: Sequence[tuple[str, str, str]], max_distance: int) -> list[tuple[str, str, str, int]]:
    """(group_id, face_id, cave_id, distance to the group's first member) for every crop in a group of two or more.
    `items` are (face_id, cave_id, phash hex)."""
    ordered = sorted(items, key=lambda item: (item[1], item[0]))
    if len(ordered) < 2:
        return []
    hashes = np.array([int(h, 16) for _, _, h in ordered], dtype=np.uint64)
    parent = list(range(len(ordered)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i in range(len(ordered) - 1):  # one vectorised row of the distance matrix at a time: O(n) memory
        close = np.nonzero(np.bitwise_count(hashes[i + 1:] ^ hashes[i]) <= max_distance)[0] + i + 1
        for j in close:
            a, b = root(i), root(int(j))
            if a != b:
                parent[max(a, b)] = min(a, b)  # the smaller index (first in order) stays the root
    groups: dict[int, list[int]] = {}
    for i in range(len(ordered)):
        groups.setdefault(root(i), []).append(i)
    rows = []
    for first, members in sorted(groups.items()):
        if len(members) < 2:
            continue
        for i in members:
            distance = int(np.bitwise_count(hashes[i] ^ hashes[first]))
            rows.append((ordered[first][0], ordered[i][0], ordered[i][1], distance))
    return rows

"""Quality rows of a cave: each standardized face against its original crop, a chunk at a time."""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Sequence

from PIL import Image

from dhf_assets.lib.ingest.recent import read_rgb
from dhf_assets.lib.metrics import LpipsScorer, LpipsUnavailable, load_lpips, quality_rows
from dhf_assets.lib.runtime.threads import limited_torch_threads
from dhf_assets.lib.storage.quarantine import Problem

METRIC_COLUMNS = (
    "psnr", "ssim", "lpips", "esi_low", "esi_high", "snr_low", "snr_high", "ed_low", "ed_high",
    "entropy_low", "entropy_high", "hfc_low", "hfc_high",
)
QUALITY_COLUMNS = ("face_id", "cave_id", "band", *METRIC_COLUMNS, "null_reasons")


@dataclass(frozen=True)
class Pair:
    face_id: str
    crop_path: Path
    image_path: Path
    content_box: tuple[float, float, float, float]


@functools.lru_cache(maxsize=2)
def lpips_or_reason(torch_home: str, device: str) -> tuple[LpipsScorer | None, str | None]:
    """piq's LPIPS loaded once per process, or why it cannot run (said once per run by the caller)."""
    try:
        return load_lpips(Path(torch_home) if torch_home else None, device), None
    except LpipsUnavailable as exc:
        return None, str(exc)


def open_rgb(path: Path) -> Image.Image | str:
    """The image as RGB, or the quarantine reason when it cannot be decoded."""
    try:
        return read_rgb(path)  # in memory when this process wrote it (lib/ingest/recent.py)
    except (OSError, ValueError) as exc:
        return f"{path.name} cannot be decoded ({exc})"


def quality_for_cave(
    cave_id: str, pairs: Sequence[Pair], lpips: LpipsScorer | None, chunk: int = 32,
) -> Iterator[tuple[list[tuple], list[Problem]]]:
    """Rows (QUALITY_COLUMNS) and problems per chunk of pairs."""
    for start in range(0, len(pairs), chunk):
        loaded = [(p, open_rgb(p.crop_path), open_rgb(p.image_path)) for p in pairs[start : start + chunk]]
        problems = [Problem("quality", p.image_path.name, p.face_id, a if isinstance(a, str) else b)
                    for p, a, b in loaded if isinstance(a, str) or isinstance(b, str)]
        usable = [(p, a, b) for p, a, b in loaded if not isinstance(a, str) and not isinstance(b, str)]
        with limited_torch_threads():
            computed = quality_rows([(a, b, p.content_box) for p, a, b in usable], lpips)
        rows = [
            (p.face_id, cave_id, row["band"], *(row[c] for c in METRIC_COLUMNS),
             json.dumps(row["null_reasons"], sort_keys=True) if row["null_reasons"] else None)
            for (p, _, _), row in zip(usable, computed)
        ]
        yield rows, problems

"""Mural rows of one cave: header probe and content hash for every paired scan."""

from __future__ import annotations

from pathlib import Path

from dhf_assets.lib.ingest.archive import scan_cave
from dhf_assets.lib.ingest.images import ImageError, probe_image
from dhf_assets.lib.storage.files import file_sha256
from dhf_assets.lib.storage.quarantine import Problem

MURAL_COLUMNS = (
    "cave_id", "mural_id", "path", "voc_path", "sha256", "voc_sha256", "width", "height",
    "format", "exif_orientation", "period", "period_source",
)


def scan_murals(
    archive: Path, cave_id: str, cave_period: str, period_overrides: dict[str, str], max_pixels: int
) -> tuple[list[tuple], list[Problem]]:
    """Rows (MURAL_COLUMNS order, paths relative to the archive) and problems for a cave."""
    cave_dir = archive / "murals" / cave_id
    if not cave_dir.is_dir():
        return [], [Problem("murals", f"murals/{cave_id}", "", "cave folder is missing")]
    files, problems = scan_cave(cave_dir)
    rows = []
    for mural in files:
        try:
            info = probe_image(mural.image_path, max_pixels)
            digests = (file_sha256(mural.image_path), file_sha256(mural.voc_path) if mural.voc_path else None)
        except (ImageError, OSError) as exc:
            reason = str(exc) if isinstance(exc, ImageError) else f"cannot be read ({exc.strerror or exc})"
            problems.append(Problem("murals", mural.image_path.name, mural.mural_id, reason))
            if mural.voc_path:
                problems.append(Problem("murals", mural.voc_path.name, mural.mural_id,
                                        "its image is unusable: boxes not used"))
            continue
        if info.exif_orientation != 1:
            problems.append(Problem(
                "murals", mural.image_path.name, mural.mural_id,
                f"EXIF orientation {info.exif_orientation} ignored: boxes refer to the stored pixel grid", "warning",
            ))
        period = period_overrides.get(mural.mural_id, cave_period)
        rows.append((
            cave_id, mural.mural_id, mural.image_path.relative_to(archive).as_posix(),
            mural.voc_path.relative_to(archive).as_posix() if mural.voc_path else None,
            *digests, info.width, info.height, info.format, info.exif_orientation, period,
            "murals.csv" if mural.mural_id in period_overrides else "cave",
        ))
    return rows, problems

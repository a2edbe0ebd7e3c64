"""Tables 2 and 3 backend against backend: the same faces standardized by each backend and measured.

The pipeline's own tables keep one row per face (the configured backend). Here every compared
backend gets a row per face, keyed by (face_id, backend, model sha256). A face whose current
standardized image already came from the same backend and model (or from no model at all: the
`downsample` tier is Lanczos whatever the backend) reuses its `face_quality` row instead of being
upscaled and measured again; everything else is standardized in memory and measured with the same
metric code as `face_quality`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Sequence

from dhf_assets.lib.metrics import LpipsScorer, quality_rows
from dhf_assets.lib.metrics.quality_stage import METRIC_COLUMNS, open_rgb
from dhf_assets.lib.storage.quarantine import Problem
from dhf_assets.lib.upscale import BACKENDS, Crop, Upscaler, standardize

COMPARE_COLUMNS = ("face_id", "cave_id", "backend", "model_id", "model_sha256", "tier", "band", "reused",
                   *METRIC_COLUMNS, "null_reasons")
NO_MODEL = "none"  # the backend recorded for downsample-tier images: no model touched them


@dataclass(frozen=True)
class Face:
    face_id: str
    crop_path: Path


@dataclass(frozen=True)
class Stored:
    """A face's current standardized image (its provenance) and its face_quality row."""

    backend: str
    model_id: str | None
    model_sha256: str | None
    tier: str
    band: str
    metrics: tuple  # METRIC_COLUMNS then null_reasons, as in face_quality


def backends_to_compare(value: str, configured: str, sr_model: str, sd_path: str) -> tuple[list[str], dict[str, str]]:
    """(backends, left out -> why) for a setting "auto" or a comma list.

    "auto": lanczos, the configured backend (its images exist) and each learned backend whose
    weights are configured; the others are named with the reason they were left out.
    """
    if value.strip() != "auto":
        names = [name.strip() for name in value.split(",") if name.strip()]
        unknown = sorted(set(names) - set(BACKENDS))
        if unknown or not names:
            raise ValueError(f"DHF_COMPARE_BACKENDS: unknown backend(s) {unknown or names}; expected 'auto' or some of "
                             f"{BACKENDS}")
        return list(dict.fromkeys(names)), {}
    chosen, left_out = ["lanczos"], {}
    for backend, weights, setting in (("realesrgan", sr_model, "DHF_SR_MODEL"),
                                      ("sd_x4", sd_path, "DHF_SD_UPSCALER_PATH")):
        if weights or configured == backend:
            chosen.append(backend)
        else:
            left_out[backend] = f"{setting} is not set"
    return chosen, left_out


def sample_faces(faces: Sequence[Face], sample: str) -> list[Face]:
    """"all" faces, or the first N by face_id (a face_id is a hash: an unbiased, stable sample)."""
    ordered = sorted(faces, key=lambda face: face.face_id)
    if sample.strip() == "all":
        return ordered
    try:
        count = int(sample)
    except ValueError:
        count = 0
    if count < 1:
        raise ValueError(f"DHF_COMPARE_SAMPLE must be 'all' or a positive number, got {sample!r}")
    return ordered[:count]


def reusable(stored: Stored | None, settings: dict) -> bool:
    """True when the stored image is what this backend and model would produce again."""
    if stored is None:
        return False
    if stored.backend == NO_MODEL:
        return stored.tier == "downsample"
    return (stored.backend == settings["backend"] and stored.model_id == settings.get("model_id")
            and stored.model_sha256 == settings.get("model_sha256"))


def compare_backend(
    cave_id: str, faces: Sequence[Face], upscaler: Upscaler, stored: dict[str, Stored],
    lpips: LpipsScorer | None, batch_size: int, chunk: int = 16,
) -> Iterator[tuple[list[tuple], list[Problem]]]:
    """Rows (COMPARE_COLUMNS) and problems for one backend, `chunk` faces at a time."""
    settings = upscaler.settings()
    identity = (settings["backend"], settings.get("model_id"), settings.get("model_sha256"))
    for start in range(0, len(faces), chunk):
        part = faces[start : start + chunk]
        rows = [(f.face_id, cave_id, *identity, stored[f.face_id].tier, stored[f.face_id].band, True,
                 *stored[f.face_id].metrics) for f in part if reusable(stored.get(f.face_id), settings)]
        done = {row[0] for row in rows}
        loaded = [(face, open_rgb(face.crop_path)) for face in part if face.face_id not in done]
        problems = [Problem("compare", f.crop_path.name, f.face_id, f"{settings['backend']}: {r}")
                    for f, r in loaded if isinstance(r, str)]
        crops = [Crop(face.face_id, image) for face, image in loaded if not isinstance(image, str)]
        results = standardize(crops, upscaler, batch_size=batch_size)
        measured = quality_rows([(crop.image, result.image, tuple(result.provenance["content_box"]))
                                 for crop, result in zip(crops, results, strict=True)], lpips)
        for result, row in zip(results, measured, strict=True):
            reasons = json.dumps(row["null_reasons"], sort_keys=True) if row["null_reasons"] else None
            rows.append((result.provenance["image_id"], cave_id, *identity, result.provenance["tier"], row["band"],
                         False, *(row[c] for c in METRIC_COLUMNS), reasons))
        yield rows, problems

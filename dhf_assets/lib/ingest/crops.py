"""Face crops from one mural: validate every VOC box, decode the mural once, write PNG crops.

Crops are written under `<output>/crops/<cave_id>/<mural_id>/<face_id>.png`; `crop_path` is stored
relative to the output folder so an output tree can be moved.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from dhf_assets.lib.ingest.boxes import PixelBox, face_id_for, voc_to_pixel_box
from dhf_assets.lib.ingest.images import ImageError, decode_rgb, write_png_atomic
from dhf_assets.lib.ingest.recent import RECENT
from dhf_assets.lib.ingest.voc import VocError, VocObject, parse_voc_file
from dhf_assets.lib.ingest.vocabulary import IDENTITIES, ORIENTATIONS, UNLABELLED_NAME
from dhf_assets.lib.metrics.near_duplicates import image_hash
from dhf_assets.lib.storage.quarantine import Problem

FACE_COLUMNS = (
    "face_id", "cave_id", "mural_id", "object_index", "xmin", "ymin", "xmax", "ymax",
    "width", "height", "identity", "orientation", "crop_path", "sha256",
)
_IDENTITY_BY_KEY = {code.upper(): code for code in IDENTITIES}
_ORIENTATION_BY_KEY = {code.lower(): code for code in ORIENTATIONS}


@dataclass(frozen=True)
class MuralRecord:
    cave_id: str
    mural_id: str
    image_path: Path
    voc_path: Path | None
    width: int
    height: int


@dataclass(frozen=True)
class PlannedFace:
    face_id: str
    object_index: int
    box: PixelBox
    identity: str | None
    orientation: str


def _identity(name: str) -> tuple[str | None, str | None]:
    """(identity code or None for unlabelled, reason when the name is not in the vocabulary)."""
    if name.lower() == UNLABELLED_NAME:
        return None, None
    code = _IDENTITY_BY_KEY.get(name.upper())
    if code is None:
        return None, f"unknown identity code {name!r} (known: {', '.join(IDENTITIES)} or '{UNLABELLED_NAME}')"
    return code, None


def _orientation(pose: str) -> str:
    return _ORIENTATION_BY_KEY.get((pose or "Unspecified").lower(), "")


def plan_faces(mural: MuralRecord) -> tuple[list[PlannedFace], list[Problem]]:
    """Validate a mural's annotation; every refused box carries its reason."""
    if mural.voc_path is None:
        return [], []
    file = mural.voc_path.name
    try:
        annotation = parse_voc_file(mural.voc_path)
    except (VocError, OSError) as exc:
        return [], [Problem("faces", file, "", str(exc))]
    problems: list[Problem] = []
    if annotation.size and annotation.size != (mural.width, mural.height):
        problems.append(Problem(
            "faces", file, "size",
            f"declared size {annotation.size[0]}x{annotation.size[1]} differs from the image's "
            f"{mural.width}x{mural.height}; boxes checked against the image", "warning",
        ))
    planned: list[PlannedFace] = []
    seen: dict[PixelBox, int] = {}
    for obj in annotation.objects:
        face, reason = _plan_object(mural, obj, seen)
        if reason:
            # A kept face with a reason had a correction applied (a clamped edge): a warning.
            problems.append(Problem("faces", file, obj.item, reason, "warning" if face else "error"))
        if face:
            planned.append(face)
            seen[face.box] = obj.index
    return planned, problems


def _plan_object(
    mural: MuralRecord, obj: VocObject, seen: dict[PixelBox, int]
) -> tuple[PlannedFace | None, str | None]:
    """The planned face (or None) and a reason: why it is refused, or what was corrected."""
    identity, identity_problem = _identity(obj.name)
    if identity_problem:
        return None, identity_problem
    orientation = _orientation(obj.pose)
    if not orientation:
        return None, f"unknown pose {obj.pose!r} (known: {', '.join(ORIENTATIONS)})"
    result = voc_to_pixel_box(obj, mural.width, mural.height)
    if result.box is None:
        return None, result.reason
    if result.box in seen:
        return None, f"duplicate box: same as object {seen[result.box]}"
    face = PlannedFace(face_id_for(mural.cave_id, mural.mural_id, result.box), obj.index, result.box, identity,
                       orientation)
    return face, result.note


def extract_mural_faces(
    mural: MuralRecord, output_dir: Path, max_pixels: int, compress_level: int,
    hashes: dict[str, str] | None = None,
) -> tuple[list[tuple], list[Problem]]:
    """Face rows (in FACE_COLUMNS order) and problems for one mural; decodes the scan once.
    With `hashes`, each crop's perceptual hash is added to it by face id (lib/metrics/near_duplicates.py)."""
    planned, problems = plan_faces(mural)
    if not planned:
        return [], problems
    try:
        image = decode_rgb(mural.image_path, max_pixels)
    except ImageError as exc:
        return [], problems + [Problem("faces", mural.image_path.name, "",
                                       f"{exc}: {len(planned)} box(es) not cropped")]
    rows = []
    try:
        for face in planned:
            relative = Path("crops") / mural.cave_id / mural.mural_id / f"{face.face_id}.png"
            crop = image.crop(face.box.as_tuple())
            digest = write_png_atomic(crop, output_dir / relative, compress_level)
            RECENT.remember(output_dir / relative, crop)  # face_candidates reads it next, in this process
            if hashes is not None:
                hashes[face.face_id] = image_hash(crop)
            rows.append((
                face.face_id, mural.cave_id, mural.mural_id, face.object_index, *face.box.as_tuple(),
                face.box.width, face.box.height, face.identity, face.orientation, relative.as_posix(), digest,
            ))
    finally:
        image.close()
    return rows, problems

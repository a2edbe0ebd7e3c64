"""Pictures for the workbench, found by face_id in the snapshot: nothing from a request reaches a path."""

from __future__ import annotations

import hashlib
import io
import threading
from pathlib import Path

from PIL import Image, ImageDraw

from dhf_assets.lib.exports.folders import safe_join
from dhf_assets.lib.reviews.contact_sheet import BOX_COLOUR, SheetItem, draw_thumbnail

from .snapshot import Face

MURAL_PX = 900
_murals: dict[str, Image.Image] = {}
_murals_lock = threading.Lock()


def sheet_item(face: Face, output: Path) -> SheetItem:
    landmarks = face.best_landmarks or ()
    return SheetItem(
        face_id=face.face_id, mural_id=face.mural_id, crop_path=safe_join(output, face.crop_path),
        identity=face.identity, orientation=face.orientation,
        scores={d["detector"]: d["score"] for d in face.detections}, box=face.best_box,  # type: ignore[arg-type]
        landmarks=tuple(zip(landmarks[0::2], landmarks[1::2])), status=face.status, reason=face.reason,
    )


def thumbnail(face: Face, output: Path) -> Path | None:
    """The crop with its best box and landmarks drawn (as on the contact sheet), rendered once and cached.
    The cache name is a hash of the face id and the crop path, never the id itself."""
    digest = hashlib.sha256(f"{face.face_id}\x1f{face.crop_path}".encode()).hexdigest()[:24]
    dest = output / "workbench" / "thumbs" / digest[:2] / f"{digest}.jpg"
    if dest.is_file():
        return dest
    temporary = dest.with_name(f".{dest.name}.{threading.get_ident()}.tmp")
    if not draw_thumbnail(sheet_item(face, output), temporary):
        return None
    temporary.replace(dest)
    return dest


def crop(face: Face, output: Path) -> Path | None:
    path = safe_join(output, face.crop_path)
    return path if path.is_file() else None


def mural_with_box(face: Face, archive: Path) -> bytes | None:
    """A small JPEG of the face's mural with the face's box drawn (the mural is decoded once, reduced)."""
    key = f"{face.cave_id}/{face.mural_id}"
    with _murals_lock:
        small = _murals.get(key)
    if small is None:
        try:
            with Image.open(safe_join(archive, face.mural_path)) as opened:
                opened.draft("RGB", (MURAL_PX, MURAL_PX))  # JPEG decodes at a reduced scale
                small = opened.convert("RGB")
                small.thumbnail((MURAL_PX, MURAL_PX), Image.Resampling.LANCZOS)
        except (OSError, ValueError, Image.DecompressionBombError):
            return None
        with _murals_lock:
            if len(_murals) > 16:
                _murals.clear()
            _murals[key] = small
    picture = small.copy()
    scale = picture.width / face.mural_size[0]
    x1, y1, x2, y2 = (v * scale for v in face.box)
    ImageDraw.Draw(picture).rectangle((x1 - 2, y1 - 2, x2 + 2, y2 + 2), outline=BOX_COLOUR, width=3)
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=85)
    return out.getvalue()

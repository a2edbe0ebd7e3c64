"""What the exports read from DuckDB: murals, faces and the standardized 3k/500 faces of chosen caves.

Every value is bound as a parameter; the caves travel as one list parameter.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from dhf_assets.lib.storage import db

ATTRIBUTES = ("period", "cave_style", "site", "identity", "orientation")


@dataclass(frozen=True)
class Mural:
    cave_id: str
    mural_id: str
    path: str  # relative to the archive
    annotated: bool
    width: int
    height: int
    period: str

    @property
    def file_name(self) -> str:
        return Path(self.path).name


@dataclass(frozen=True)
class Face:
    face_id: str
    cave_id: str
    mural_id: str
    object_index: int
    box: tuple[int, int, int, int]  # 0-based, half-open pixels
    identity: str | None
    orientation: str
    crop_path: str  # relative to the output folder


@dataclass(frozen=True)
class StandardizedFace:
    """A face of the 3k subset with its 512x512 image, attributes and (for the 500) tags."""

    face: Face
    period: str
    cave_style: str
    site: str
    tier: str
    backend: str
    model_id: str | None
    source_size: tuple[int, int]
    image_path: str  # relative to the output folder
    image_sha256: str
    tags: tuple[str, ...] | None  # None: not in the 500 subset

    @property
    def in_500(self) -> bool:
        return self.tags is not None

    def code(self, attribute: str) -> str | None:
        if attribute in ("identity", "orientation"):
            return getattr(self.face, attribute)
        return getattr(self, attribute)


@dataclass
class ExportData:
    caves: list[tuple[str, str, str, str]]  # cave_id, site, period, cave_style
    murals: list[Mural]
    faces: list[Face]
    standardized: list[StandardizedFace]
    names: dict[tuple[str, str], str]  # (attribute, code) -> full name
    missing_images: list[str] = field(default_factory=list)  # 3k faces without a standardized image
    _by_mural: dict[tuple[str, str], list[Face]] = field(default_factory=dict, repr=False)

    def name(self, attribute: str, code: str | None) -> str | None:
        return None if code is None else self.names.get((attribute, code), code)

    def faces_of(self, cave_id: str, mural_id: str) -> list[Face]:
        if not self._by_mural:
            for face in self.faces:
                self._by_mural.setdefault((face.cave_id, face.mural_id), []).append(face)
        return self._by_mural.get((cave_id, mural_id), [])


def vocabulary_names(database: Path) -> dict[tuple[str, str], str]:
    return {(a, c): n for a, c, n in db.query(database, "select attribute, code, name from vocabulary")[1]}


def load_export_data(database: Path, cave_ids: Sequence[str]) -> ExportData:
    """Everything the exports write, for the given caves only, in a stable order."""
    caves = list(cave_ids)
    cave_rows = db.query(database, "select cave_id, site, period, cave_style from caves "
                                   "where list_contains(?, cave_id) order by cave_id", [caves])[1]
    murals = [Mural(c, m, p, v is not None, w, h, per) for c, m, p, v, w, h, per in db.query(database, """
        select cave_id, mural_id, path, voc_path, width, height, period from murals
        where list_contains(?, cave_id) order by cave_id, mural_id""", [caves])[1]]
    faces = [_face(row) for row in db.query(database, """
        select f.face_id, f.cave_id, f.mural_id, f.object_index, f.xmin, f.ymin, f.xmax, f.ymax,
               coalesce(l.identity, f.identity), coalesce(l.orientation, f.orientation), f.crop_path
        from faces f left join face_labels l using (face_id)
        where list_contains(?, f.cave_id) order by f.cave_id, f.mural_id, f.object_index""", [caves])[1]]
    by_id = {f.face_id: f for f in faces}
    standardized = [
        StandardizedFace(by_id[face_id], period, style, site, tier, backend, model_id, (sw, sh), image, sha,
                         tuple(tags) if in_500 else None)
        for face_id, period, style, site, tier, backend, model_id, sw, sh, image, sha, tags, in_500
        in db.query(database, """
            select s.face_id, m.period, c.cave_style, c.site, u.tier, u.backend, u.model_id,
                   u.source_width, u.source_height, u.image_path, u.sha256, coalesce(p.tags, []), p.face_id is not null
            from subset_3k s join faces f using (face_id) join upscaled_faces u using (face_id)
            join murals m on m.cave_id = f.cave_id and m.mural_id = f.mural_id
            join caves c on c.cave_id = f.cave_id
            left join subset_500 p using (face_id)
            where list_contains(?, s.cave_id) order by f.cave_id, f.mural_id, f.object_index""", [caves])[1]
    ]
    missing = [r[0] for r in db.query(database, """
        select s.face_id from subset_3k s anti join upscaled_faces u using (face_id)
        where list_contains(?, s.cave_id) order by s.face_id""", [caves])[1]]
    return ExportData(cave_rows, murals, faces, standardized, vocabulary_names(database), missing)


def _face(row: tuple) -> Face:
    face_id, cave_id, mural_id, index, xmin, ymin, xmax, ymax, identity, orientation, crop = row
    return Face(face_id, cave_id, mural_id, index, (xmin, ymin, xmax, ymax), identity, orientation, crop)


def attributes_record(item: StandardizedFace, data: ExportData) -> dict[str, object]:
    """The attributes of one standardized face as written to JSON (codes with their full names)."""
    face = item.face
    record: dict[str, object] = {"face_id": face.face_id, "cave_id": face.cave_id, "mural_id": face.mural_id}
    for attribute in ATTRIBUTES:
        code = item.code(attribute)
        record[attribute] = code
        record[f"{attribute}_name"] = data.name(attribute, code)
    xmin, ymin, xmax, ymax = face.box
    record["box"] = {"xmin": xmin, "ymin": ymin, "xmax": xmax, "ymax": ymax,
                     "convention": "pixels of the stored scan, 0-based, half-open (width = xmax - xmin)"}
    record["source_size"] = {"width": item.source_size[0], "height": item.source_size[1]}
    record["tier"] = item.tier
    record["backend"] = item.backend
    record["model_id"] = item.model_id
    record["image_sha256"] = item.image_sha256
    return record

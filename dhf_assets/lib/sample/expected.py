"""What the pipeline should make of the sample archive: valid boxes, bad inputs, reviews.

Derived from `sample_layout` alone (nothing is painted); the tests check it against the files.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from dhf_assets.lib.ingest.boxes import PixelBox, face_id_for, voc_to_pixel_box
from dhf_assets.lib.ingest.voc import VocObject
from dhf_assets.lib.ingest.vocabulary import IDENTITIES, ORIENTATIONS, UNLABELLED_NAME
from dhf_assets.lib.sample.layout import CATEGORIES, CAVES, MURAL_PERIODS, MURALS, REVIEWER, REVIEWS, MuralSpec

TIERS = ("small", "medium", "large")  # longer crop side < 256, 256..512, > 512 px


def size_tier(longer_side: int) -> str:
    """The upscale tier of a crop by its longer side."""
    return "small" if longer_side < 256 else "medium" if longer_side <= 512 else "large"


@dataclass(frozen=True)
class SampleBox:
    """A box that should become a face crop (real face or not: detectors decide later)."""

    cave_id: str
    mural_id: str
    index: int  # 1-based position among the <object> elements of the mural's XML
    name: str  # identity code, or "face" when unlabelled
    pose: str
    box: PixelBox  # 0-based, half-open, from voc_to_pixel_box
    face_id: str
    is_face: bool  # a real photographic face was painted in the box
    source: str  # astronaut | grace_hopper (faces); lotus | cloud | halo | chelsea | plaster (non-faces)

    @property
    def tier(self) -> str:
        return size_tier(max(self.box.width, self.box.height))


@dataclass(frozen=True)
class SampleBadFile:
    """A deliberately bad input and the quarantine row it should end as."""

    path: str  # relative to the archive root, with '/'
    category: str  # a key of CATEGORIES
    cave_id: str
    mural_id: str
    item: str | None = None  # "object N" for one box of an XML, None for the whole file
    severity: str = "error"  # warning: size_mismatch (still cropped); info: image_without_xml (no faces yet)
    detail: str = ""  # the offending value, where there is one


@dataclass(frozen=True)
class SampleReview:
    cave_id: str
    face_id: str
    decision: str
    subset: str
    tags: str
    reviewer: str
    reviewed_at: str
    exists: bool  # False for the decision about a face_id that is in no mural


@dataclass(frozen=True)
class SampleManifest:
    caves: tuple[tuple[str, str, str, str], ...]  # cave_id, site, period, cave_style
    mural_periods: tuple[tuple[str, str, str], ...]  # murals.csv rows
    murals: tuple[tuple[str, str], ...]  # (cave_id, mural_id) of every mural that gets cropped
    boxes: tuple[SampleBox, ...]  # every valid box, in file order
    bad_files: tuple[SampleBadFile, ...]
    reviews: tuple[SampleReview, ...]
    files: tuple[str, ...]  # every path the archive holds, relative, sorted

    def valid_box_counts(self) -> dict[str, int]:
        counts = {cave_id: 0 for cave_id, *_ in self.caves}
        for box in self.boxes:
            counts[box.cave_id] += 1
        return counts

    def boxes_of(self, cave_id: str) -> tuple[SampleBox, ...]:
        return tuple(box for box in self.boxes if box.cave_id == cave_id)

    @property
    def face_boxes(self) -> tuple[SampleBox, ...]:
        return tuple(box for box in self.boxes if box.is_face)

    @property
    def non_face_boxes(self) -> tuple[SampleBox, ...]:
        return tuple(box for box in self.boxes if not box.is_face)

    def categories(self) -> set[str]:
        return {bad.category for bad in self.bad_files}


def _mural_problems(spec: MuralSpec) -> list[SampleBadFile]:
    folder = f"murals/{spec.cave_id}/{spec.mural_id}"
    image, xml = f"{folder}.{spec.formats[0]}", f"{folder}.xml"
    found = {
        "truncated_image": spec.image == "truncated" and [image],
        "not_an_image": spec.image == "not_an_image" and [image],
        "xml_without_image": spec.image == "none" and [xml],
        "image_without_xml": spec.xml == "none" and [image],
        "hostile_xml": spec.xml == "hostile" and [xml],
        "malformed_xml": spec.xml == "malformed" and [xml],
        "duplicate_mural_id": len(spec.formats) > 1 and [f"{folder}.{fmt}" for fmt in spec.formats],
    }
    return [
        SampleBadFile(path, category, spec.cave_id, spec.mural_id,
                      severity="info" if category == "image_without_xml" else "error")
        for category, paths in found.items()
        for path in paths or []
    ]


def _mural_boxes(spec: MuralSpec) -> tuple[list[SampleBox], list[SampleBadFile]]:
    boxes, bad = [], []
    xml = f"murals/{spec.cave_id}/{spec.mural_id}.xml"
    if spec.declared_size:
        bad.append(SampleBadFile(xml, "size_mismatch", spec.cave_id, spec.mural_id, severity="warning",
                                 detail=f"declared {spec.declared_size[0]}x{spec.declared_size[1]}, "
                                 f"image {spec.width}x{spec.height}"))
    figures = [fig for fig in spec.figures if fig.name is not None]
    for index, fig in enumerate(figures, start=1):
        obj = VocObject(index, fig.name, fig.pose, *fig.voc_coords())
        if fig.bad:
            offending = {"unknown_identity": fig.name, "unknown_pose": fig.pose}
            detail = offending.get(fig.bad, ",".join(fig.voc_coords()))
            bad.append(SampleBadFile(xml, fig.bad, spec.cave_id, spec.mural_id, obj.item, detail=detail))
            continue
        result = voc_to_pixel_box(obj, spec.width, spec.height)
        known = (fig.name in IDENTITIES or fig.name == UNLABELLED_NAME) and fig.pose in ORIENTATIONS
        if result.box is None or result.note or not known:
            raise ValueError(f"sample layout bug: {xml} {obj.item} should be valid ({result.reason})")
        face_id = face_id_for(spec.cave_id, spec.mural_id, result.box)
        boxes.append(SampleBox(spec.cave_id, spec.mural_id, index, fig.name, fig.pose, result.box, face_id,
                               fig.kind == "face", fig.source or fig.kind))
    return boxes, bad


def _reviews(boxes: list[SampleBox]) -> list[SampleReview]:
    by_position = {(b.cave_id, b.mural_id, b.index): b for b in boxes}
    start = datetime(2024, 5, 13, 9, 30, tzinfo=timezone.utc)
    reviews = []
    for k, (cave_id, mural_id, index, decision, subset, tags) in enumerate(REVIEWS):
        if index is None:  # a face from a panel that is not in the archive
            face_id = face_id_for(cave_id, "removed_panel", PixelBox(10, 10, 110, 130))
        else:
            face_id = by_position[(cave_id, mural_id, index)].face_id
        when = (start + timedelta(minutes=7 * k)).isoformat()
        reviews.append(SampleReview(cave_id, face_id, decision, subset, tags, REVIEWER, when, index is not None))
    return reviews


def expected_manifest() -> SampleManifest:
    """What the sample archive holds and what the pipeline should make of it (nothing is painted)."""
    boxes: list[SampleBox] = []
    bad: list[SampleBadFile] = []
    murals, files = [], ["caves.csv", "murals.csv"]
    for spec in MURALS:
        folder = f"murals/{spec.cave_id}/{spec.mural_id}"
        files += [f"{folder}.{fmt}" for fmt in spec.formats] if spec.image != "none" else []
        files += [f"{folder}.xml"] if spec.xml != "none" else []
        problems = _mural_problems(spec)
        bad += problems
        if not problems:
            murals.append((spec.cave_id, spec.mural_id))
            mural_boxes, box_problems = _mural_boxes(spec)
            boxes += mural_boxes
            bad += box_problems
    reviews = _reviews(boxes)
    files += sorted({f"reviews/{review.cave_id}.csv" for review in reviews})
    assert {b.category for b in bad} == set(CATEGORIES), "every bad-file category is in the sample"
    return SampleManifest(CAVES, MURAL_PERIODS, tuple(murals), tuple(boxes), tuple(bad), tuple(reviews),
                          tuple(sorted(files)))

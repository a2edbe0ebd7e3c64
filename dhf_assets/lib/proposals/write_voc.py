"""Accepted proposals -> the mural's VOC file in the archive: the one writer, on a curator's request.

`murals/<cave>/<mural>.xml` is written in the contract's format (1-based inclusive coordinates,
`<name>` the identity code or `face`, `<pose>` the orientation, `<size>` read from the scan's header)
into a dot-prefixed temporary file, fsynced, then linked into place, which fails rather than
overwrite an XML that appeared meanwhile. An existing XML is left alone unless `merge` is asked:
then the old file is kept as a dot-prefixed backup and only boxes that overlap none of its boxes
are added. The archive scan skips dot files, so neither the temporary nor the backup is a mural.
Paths come from the archive scan, never from the decision file; a decision for a mural that no
longer exists is reported, not applied.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from PIL import Image

from dhf_assets.lib.ingest.archive import CAVE_ID_PATTERN, MuralFile, scan_cave
from dhf_assets.lib.ingest.boxes import voc_to_pixel_box
from dhf_assets.lib.ingest.voc import VocError, parse_voc_file, render_voc
from dhf_assets.lib.ingest.vocabulary import UNLABELLED_NAME

from .decisions import ProposalDecision, proposals_file, read_decisions

Box = tuple[int, int, int, int]


@dataclass
class MuralOutcome:
    mural_id: str
    action: str  # written | merged | unchanged | refused | missing
    added: int = 0
    skipped: list[str] = field(default_factory=list)  # accepted boxes not written, each with its reason
    reason: str = ""

    def line(self) -> str:
        text = f"{self.mural_id}: {self.action}" + (f", {self.added} box(es) added" if self.added else "")
        text += f" ({self.reason})" if self.reason else ""
        return text + "".join(f"\n  skipped: {s}" for s in self.skipped)


@dataclass
class WriteReport:
    cave_id: str
    murals: list[MuralOutcome] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # unreadable lines of the decision file

    @property
    def ok(self) -> bool:
        return all(m.action in ("written", "merged", "unchanged") for m in self.murals)


def overlaps(a: Box, b: Box) -> bool:
    return min(a[2], b[2]) > max(a[0], b[0]) and min(a[3], b[3]) > max(a[1], b[1])


def voc_object(decision: ProposalDecision) -> dict[str, object]:
    xmin, ymin, xmax, ymax = decision.box
    return {"name": decision.identity or UNLABELLED_NAME, "pose": decision.orientation or "Unspecified",
            "xmin": xmin + 1, "ymin": ymin + 1, "xmax": xmax, "ymax": ymax}


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_temporary(dest: Path, data: bytes, kind: str) -> Path:
    temporary = dest.with_name(f".{dest.name}.{kind}-{os.getpid()}")
    with temporary.open("wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    return temporary


def _existing_objects(path: Path, size: tuple[int, int]) -> tuple[list[dict[str, object]], list[Box]]:
    """The XML's objects as they stand (kept verbatim) and the boxes among them that are valid."""
    annotation = parse_voc_file(path)
    objects, boxes = [], []
    for obj in annotation.objects:
        objects.append({"name": obj.name, "pose": obj.pose or "Unspecified", "xmin": obj.xmin, "ymin": obj.ymin,
                        "xmax": obj.xmax, "ymax": obj.ymax})
        result = voc_to_pixel_box(obj, *size)
        if result.box is not None:
            boxes.append(result.box.as_tuple())
    return objects, boxes


def write_mural(mural: MuralFile, accepted: list[ProposalDecision], merge: bool, cave_id: str) -> MuralOutcome:
    outcome = MuralOutcome(mural.mural_id, "unchanged")
    try:
        with Image.open(mural.image_path) as image:
            size = image.size
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        return MuralOutcome(mural.mural_id, "refused", reason=f"the scan cannot be read ({type(exc).__name__})")
    kept: list[ProposalDecision] = []
    for decision in sorted(accepted, key=lambda d: (d.box[1], d.box[0], d.proposal_id)):
        if decision.box[2] > size[0] or decision.box[3] > size[1]:
            outcome.skipped.append(f"{decision.proposal_id}: box {decision.box} outside the scan {size[0]}x{size[1]}")
        elif any(overlaps(decision.box, k.box) for k in kept):
            outcome.skipped.append(f"{decision.proposal_id}: overlaps another accepted box")
        else:
            kept.append(decision)
    dest = mural.image_path.with_name(f"{mural.mural_id}.xml")
    objects: list[dict[str, object]] = []
    if mural.voc_path is not None:
        if not merge:
            return MuralOutcome(mural.mural_id, "refused", skipped=outcome.skipped,
                                reason=f"{mural.voc_path.name} exists; --merge adds the boxes that overlap none of its "
                                "own")
        try:
            objects, existing = _existing_objects(mural.voc_path, size)
        except (VocError, OSError) as exc:
            return MuralOutcome(mural.mural_id, "refused", reason=f"its XML cannot be read: {exc}")
        for decision in [k for k in kept if any(overlaps(k.box, e) for e in existing)]:
            outcome.skipped.append(f"{decision.proposal_id}: overlaps a box already in {mural.voc_path.name}")
            kept.remove(decision)
    if not kept:
        outcome.reason = "no accepted box to add"
        return outcome
    text = render_voc(mural.image_path.name, size[0], size[1], objects + [voc_object(d) for d in kept], folder=cave_id)
    temporary = _write_temporary(dest, text.encode("utf-8"), "tmp")
    try:
        if mural.voc_path is None:
            os.link(temporary, dest)  # fails rather than overwrite an XML that appeared meanwhile
            outcome.action = "written"
        else:
            stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
            backup = _write_temporary(dest, mural.voc_path.read_bytes(), f"bak-{stamp}")
            os.replace(temporary, dest)
            outcome.action, outcome.reason = "merged", f"backup {backup.name}"
    except FileExistsError:
        return MuralOutcome(mural.mural_id, "refused", reason=f"{dest.name} appeared meanwhile; run again with --merge")
    finally:
        temporary.unlink(missing_ok=True)
    _fsync_dir(dest.parent)
    outcome.added = len(kept)
    return outcome


def write_accepted(archive: Path, cave_id: str, mural_id: str | None = None, merge: bool = False) -> WriteReport:
    """Write the accepted proposals of a cave (or of one mural) into the archive's VOC files."""
    if not CAVE_ID_PATTERN.match(cave_id):
        raise ValueError(f"not a cave id: {cave_id!r}")
    log = read_decisions(proposals_file(archive, cave_id))
    report = WriteReport(cave_id, problems=log.problems)
    by_mural: dict[str, list[ProposalDecision]] = {}
    for decision in log.latest().values():
        if decision.decision == "accept" and mural_id in (None, decision.mural_id):
            by_mural.setdefault(decision.mural_id, []).append(decision)
    cave_dir = archive / "murals" / cave_id
    murals = {m.mural_id: m for m in scan_cave(cave_dir)[0]} if cave_dir.is_dir() else {}
    for name, accepted in sorted(by_mural.items()):
        mural = murals.get(name)
        if mural is None:
            report.murals.append(MuralOutcome(name, "missing", reason=f"no mural {name!r} in cave {cave_id} any more: "
                                              f"{len(accepted)} accepted box(es) not applied"))
        else:
            report.murals.append(write_mural(mural, accepted, merge, cave_id))
    return report


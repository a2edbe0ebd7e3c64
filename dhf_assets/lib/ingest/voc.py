"""Pascal VOC parsing with a hardened parser.

Only `<size>` and the `<object>` entries are read. `<filename>`, `<folder>` and `<path>` are never
used: the image is paired with its XML by file stem, so an annotation cannot redirect reads or
writes. DTDs, entities and external references are refused (defusedxml), and the file size is
bounded before parsing.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import defusedxml.ElementTree as safe_et
from defusedxml import DefusedXmlException

MAX_VOC_BYTES = 5_000_000


class VocError(ValueError):
    """An annotation file that cannot be used at all; the message is the quarantine reason."""


@dataclass(frozen=True)
class VocObject:
    index: int  # 1-based position among the file's <object> elements
    name: str
    pose: str
    xmin: str
    ymin: str
    xmax: str
    ymax: str

    @property
    def item(self) -> str:
        return f"object {self.index}"


@dataclass(frozen=True)
class VocAnnotation:
    size: tuple[int, int] | None  # (width, height) as declared, if declared and numeric
    objects: tuple[VocObject, ...]


def _text(element, tag: str) -> str:
    child = element.find(tag)
    return (child.text or "").strip() if child is not None else ""


def parse_voc_bytes(data: bytes) -> VocAnnotation:
    """Parse VOC XML bytes; raises VocError with a plain reason."""
    if len(data) > MAX_VOC_BYTES:
        raise VocError(f"annotation larger than {MAX_VOC_BYTES} bytes")
    try:
        root = safe_et.fromstring(
            data, forbid_dtd=True, forbid_entities=True, forbid_external=True
        )
    except DefusedXmlException as exc:
        raise VocError(f"hostile XML refused ({type(exc).__name__})") from exc
    except safe_et.ParseError as exc:
        raise VocError(f"malformed XML ({exc})") from exc
    if root.tag != "annotation":
        raise VocError(f"not a Pascal VOC file (root element <{root.tag}>)")
    objects = []
    for index, element in enumerate(root.findall("object"), start=1):
        box = element.find("bndbox")
        coords = {k: _text(box, k) if box is not None else "" for k in ("xmin", "ymin", "xmax", "ymax")}
        objects.append(
            VocObject(index=index, name=_text(element, "name"), pose=_text(element, "pose"), **coords)
        )
    return VocAnnotation(size=_declared_size(root), objects=tuple(objects))


def _declared_size(root) -> tuple[int, int] | None:
    size = root.find("size")
    if size is None:
        return None
    try:
        return int(_text(size, "width")), int(_text(size, "height"))
    except ValueError:
        return None


def parse_voc_file(path: Path) -> VocAnnotation:
    """Parse a VOC file from disk, bounded in size before reading."""
    if path.stat().st_size > MAX_VOC_BYTES:
        raise VocError(f"annotation larger than {MAX_VOC_BYTES} bytes")
    return parse_voc_bytes(path.read_bytes())


def render_voc(
    filename: str, width: int, height: int, objects: list[dict[str, object]], folder: str = ""
) -> str:
    """A VOC XML document for a mural; objects carry name, pose and 1-based inclusive coordinates."""
    from xml.sax.saxutils import escape

    parts = [
        "<annotation>",
        f"  <folder>{escape(folder)}</folder>",
        f"  <filename>{escape(filename)}</filename>",
        f"  <size><width>{width}</width><height>{height}</height><depth>3</depth></size>",
    ]
    for obj in objects:
        parts += [
            "  <object>",
            f"    <name>{escape(str(obj['name']))}</name>",
            f"    <pose>{escape(str(obj.get('pose', 'Unspecified')))}</pose>",
            "    <truncated>0</truncated><difficult>0</difficult>",
            f"    <bndbox><xmin>{obj['xmin']}</xmin><ymin>{obj['ymin']}</ymin>"
            f"<xmax>{obj['xmax']}</xmax><ymax>{obj['ymax']}</ymax></bndbox>",
            "  </object>",
        ]
    parts.append("</annotation>")
    return "\n".join(parts) + "\n"

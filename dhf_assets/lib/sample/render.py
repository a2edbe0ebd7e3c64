"""Turn a `MuralSpec` into the bytes of its scan(s) and annotation, good or deliberately bad."""

from __future__ import annotations

import hashlib
import io

import numpy as np
from PIL import Image, ImageDraw

from dhf_assets.lib.ingest.voc import render_voc
from dhf_assets.lib.sample import paint, shapes
from dhf_assets.lib.sample.layout import MuralSpec

_LAUGHS = "".join(
    f'  <!ENTITY lol{k} "{("&lol%s;" % (k - 1 if k > 1 else "")) * 10}">\n' for k in range(1, 10)
)
BILLION_LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE annotation [\n  <!ENTITY lol "lol">\n' + _LAUGHS
    + "]>\n<annotation>\n  <size><width>900</width><height>640</height><depth>3</depth></size>\n"
    "  <object><name>&lol9;</name><pose>Frontal</pose>\n"
    "    <bndbox><xmin>361</xmin><ymin>151</ymin><xmax>540</xmax><ymax>410</ymax></bndbox>\n"
    "  </object>\n</annotation>\n"
)
NOT_AN_IMAGE = (
    b"<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head>\n"
    b"<body><h1>502 Bad Gateway</h1><p>The scan server did not answer; this page was saved "
    b"instead of the image.</p></body></html>\n"
)


def _seed(spec: MuralSpec) -> int:
    return int.from_bytes(hashlib.sha256(f"{spec.cave_id}/{spec.mural_id}".encode()).digest()[:8], "big")


def _draw_thing(draw: ImageDraw.ImageDraw, kind: str, box: tuple[int, int, int, int], rng) -> None:
    x0, y0, x1, y1 = box
    if kind == "lotus":
        shapes.draw_lotus(draw, box)
    elif kind == "cloud":
        shapes.draw_cloud(draw, box, rng)
    elif kind == "halo":
        shapes.draw_halo(draw, (x0 + x1) / 2, (y0 + y1) / 2, min(x1 - x0, y1 - y0) / 2)


def _shapes_layer(spec: MuralSpec, rng: np.random.Generator) -> Image.Image:
    """Borders, decoration, halos and robes behind the heads, and the boxed non-face shapes."""
    layer = Image.new("RGBA", (spec.width, spec.height), (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    band = max(16, spec.height // 32)
    shapes.draw_border(draw, spec.width, 0, band)
    shapes.draw_border(draw, spec.width, spec.height - band, band)
    for kind, box in spec.decor:
        _draw_thing(draw, kind, box, rng)
    drawn = [fig for fig in spec.figures if fig.draw]
    for fig in drawn:
        cx = fig.x + fig.width / 2
        if fig.halo:
            shapes.draw_halo(draw, cx, fig.y + fig.height * 0.45, fig.height * 0.62)
        if fig.robe:
            top = fig.y + fig.height * 0.82
            shapes.draw_robe(draw, cx, top, fig.width * 2.3, min(fig.height * 1.5, spec.height - top), fig.robe)
    for fig in drawn:
        if fig.kind not in ("face", "cat"):
            box = (fig.x, fig.y, fig.x + fig.width, fig.y + fig.height)
            _draw_thing(draw, fig.kind, box, rng)
    return layer


def paint_mural(spec: MuralSpec, grain: float = 5.0) -> Image.Image:
    """The scan of a mural: plaster, shapes, wear, heads, then cracks and grain (RGB)."""
    rng = np.random.default_rng(_seed(spec))
    canvas = paint.plaster(rng, spec.width, spec.height)
    canvas.alpha_composite(_shapes_layer(spec, rng))
    canvas = paint.flaking(canvas, rng)
    for fig in spec.figures:
        if fig.draw and fig.kind in ("face", "cat"):
            head = paint.painted_head(fig.source, fig.width, fig.height, fig.flip, rng)
            canvas.alpha_composite(head, dest=(fig.x, fig.y))
    cracks = max(4, spec.width * spec.height // 120_000)
    canvas.alpha_composite(paint.crack_layer(rng, spec.width, spec.height, cracks))
    return paint.finish(canvas, rng, grain)


def encode(image: Image.Image, fmt: str) -> bytes:
    """Deterministic encodings: baseline JPEG, PNG, deflate-compressed TIFF."""
    buffer = io.BytesIO()
    if fmt == "jpg":
        image.save(buffer, "JPEG", quality=85)
    elif fmt == "png":
        image.save(buffer, "PNG", compress_level=6)
    elif fmt == "tif":
        image.save(buffer, "TIFF", compression="tiff_adobe_deflate")
    else:
        raise ValueError(f"unknown format {fmt!r}")
    return buffer.getvalue()


def voc_objects(spec: MuralSpec) -> list[dict[str, object]]:
    """The annotated figures as `render_voc` objects, in file order."""
    objects = []
    for fig in spec.figures:
        if fig.name is None:
            continue
        xmin, ymin, xmax, ymax = fig.voc_coords()
        objects.append(
            {"name": fig.name, "pose": fig.pose, "xmin": xmin, "ymin": ymin, "xmax": xmax, "ymax": ymax}
        )
    return objects


def annotation_bytes(spec: MuralSpec) -> bytes | None:
    """The VOC file of a mural (hostile or malformed where the spec says so), or None."""
    if spec.xml == "none":
        return None
    if spec.xml == "hostile":
        return BILLION_LAUGHS.encode()
    width, height = spec.declared_size or (spec.width, spec.height)
    text = render_voc(f"{spec.mural_id}.{spec.formats[0]}", width, height, voc_objects(spec), spec.cave_id)
    if spec.xml == "malformed":
        text = text.replace("  </object>\n", "", 1)  # an <object> never closed
    return text.encode()


def mural_files(spec: MuralSpec) -> dict[str, bytes]:
    """Relative path -> bytes for one mural's files."""
    folder = f"murals/{spec.cave_id}"
    files: dict[str, bytes] = {}
    if spec.image == "not_an_image":
        files[f"{folder}/{spec.mural_id}.{spec.formats[0]}"] = NOT_AN_IMAGE
    elif spec.image != "none":
        image = paint_mural(spec, grain=5.0 if spec.formats == ("jpg",) else 1.5)
        for fmt in spec.formats:
            data = encode(image, fmt)
            if spec.image == "truncated":
                data = data[: len(data) * 45 // 100]
            files[f"{folder}/{spec.mural_id}.{fmt}"] = data
    xml = annotation_bytes(spec)
    if xml is not None:
        files[f"{folder}/{spec.mural_id}.xml"] = xml
    return files

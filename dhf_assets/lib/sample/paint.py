"""Procedural mural surfaces and painted heads for the bundled sample archive.

Backgrounds are made here (plaster, flaking, cracks, grain; shapes in `sample_shapes`). The only
real faces are two public-domain photographs shipped inside installed packages: NASA's portrait of
Eileen Collins (`skimage.data.astronaut`) and the US Navy portrait of Grace Hopper (matplotlib's
`grace_hopper.jpg`); `skimage.data.chelsea` (a cat) gives a painted animal that is no face.
Everything is drawn from a seeded generator, so the same seed gives the same pixels.
"""

from __future__ import annotations

import functools
import math

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from dhf_assets.lib.sample.shapes import PIGMENTS

# Head and hair (with an annotator's margin) in each source photograph: x0, y0, x1, y1.
HEAD_REGIONS: dict[str, tuple[int, int, int, int]] = {
    "astronaut": (145, 10, 305, 200),
    "grace_hopper": (145, 22, 395, 382),
    "chelsea": (20, 0, 400, 300),
}


@functools.cache
def source_head(source: str) -> Image.Image:
    """The head region of a bundled public-domain photograph, as RGB."""
    if source == "grace_hopper":
        from matplotlib import cbook

        with cbook.get_sample_data("grace_hopper.jpg") as handle:
            photo = Image.open(handle).convert("RGB")
    else:
        import skimage.data

        photo = Image.fromarray(getattr(skimage.data, source)()).convert("RGB")
    return photo.crop(HEAD_REGIONS[source])


def head_aspect(source: str) -> float:
    """Width over height of a source head region."""
    x0, y0, x1, y1 = HEAD_REGIONS[source]
    return (x1 - x0) / (y1 - y0)


def smooth_noise(rng: np.random.Generator, width: int, height: int, cell: int) -> np.ndarray:
    """Value noise in about [-1, 1] with features about `cell` pixels across (bicubic upscaling)."""
    small = rng.uniform(-1.0, 1.0, (max(2, height // cell + 2), max(2, width // cell + 2)))
    img = Image.fromarray(small.astype(np.float32), mode="F").resize((width, height), Image.BICUBIC)
    return np.asarray(img, dtype=np.float32)


def plaster(rng: np.random.Generator, width: int, height: int) -> Image.Image:
    """Aged plaster: base colour with stains at several scales (RGBA, opaque).

    Stains are low-frequency, so they are computed at a quarter of the size and upscaled.
    """
    w, h = max(2, width // 4), max(2, height // 4)
    base = np.array(PIGMENTS["plaster"], dtype=np.float32)
    shade = 1.0 + 0.10 * smooth_noise(rng, w, h, 80) + 0.05 * smooth_noise(rng, w, h, 15)
    warm = 0.06 * smooth_noise(rng, w, h, 50)
    out = base[None, None, :] * shade[..., None]
    out[..., 0] += 40 * warm
    out[..., 2] -= 40 * warm
    small = Image.fromarray(np.clip(out, 0, 255).astype(np.uint8), "RGB")
    return small.resize((width, height), Image.BICUBIC).convert("RGBA")


@functools.cache
def _stylised_source(source: str, flip: bool) -> Image.Image:
    """A source head with flattened tones and an earth-pigment tint, at source resolution."""
    head = source_head(source)
    if flip:
        head = head.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    arr = np.asarray(head.filter(ImageFilter.ModeFilter(3)), dtype=np.float32)
    lum = arr @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
    earth = lum[..., None] * np.array([1.05, 0.84, 0.60], dtype=np.float32) + np.array([20, 10, 0], np.float32)
    arr = np.round((0.45 * arr + 0.55 * earth) / 10) * 10
    return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8), "RGB")


def painted_head(source: str, width: int, height: int, flip: bool, rng: np.random.Generator) -> Image.Image:
    """A source head repainted as mural pigment, plaster showing at a soft oval edge (RGBA)."""
    head = _stylised_source(source, flip).resize((width, height), Image.LANCZOS)
    texture = 1.0 + 0.07 * smooth_noise(rng, width, height, max(4, height // 20))
    arr = np.asarray(head, dtype=np.float32) * texture[..., None]
    alpha = Image.new("L", (width, height), 0)
    ImageDraw.Draw(alpha).ellipse((width * 0.03, height * 0.02, width * 0.97, height * 0.98), fill=255)
    rgba = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8), "RGB")
    rgba.putalpha(alpha.filter(ImageFilter.GaussianBlur(max(1.0, height / 40))))
    return rgba


def crack_layer(rng: np.random.Generator, width: int, height: int, count: int) -> Image.Image:
    """Thin dark cracks as random walks, on a transparent layer."""
    layer = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    for _ in range(count):
        x, y = rng.uniform(0, width), rng.uniform(0, height)
        heading = rng.uniform(0, 2 * math.pi)
        points = [(x, y)]
        for _ in range(int(rng.integers(8, 30))):
            heading += rng.normal(0, 0.5)
            step = rng.uniform(8, 30)
            x, y = x + step * math.cos(heading), y + step * math.sin(heading)
            points.append((x, y))
        draw.line(points, fill=PIGMENTS["lead_dark"] + (150,), width=int(rng.integers(1, 3)))
    return layer


def flaking(canvas: Image.Image, rng: np.random.Generator) -> Image.Image:
    """Patches where the paint flaked off and bare plaster shows."""
    noise = smooth_noise(rng, canvas.width, canvas.height, 90)
    mask = Image.fromarray((np.clip((noise - 0.72) * 20, 0, 1) * 150).astype(np.uint8), "L")
    bare = Image.new("RGBA", canvas.size, PIGMENTS["white_lead"] + (255,))
    return Image.composite(bare, canvas, mask)


def finish(canvas: Image.Image, rng: np.random.Generator, grain: float) -> Image.Image:
    """Fine grain (little for lossless scans, which grain only grows); RGB."""
    img = canvas.convert("RGB")
    if grain <= 0:
        return img
    noise = np.round(grain * smooth_noise(rng, img.width, img.height, 3)).astype(np.int16)
    arr = np.asarray(img, dtype=np.int16) + noise[..., None]
    return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8), "RGB")

"""Procedural mural painting for the bundled sample archive.

Backgrounds are made here (plaster, pigment zones, halos, lotus, clouds, cracks); the only real
faces are two public-domain photographs shipped inside installed packages: NASA's portrait of
Eileen Collins (`skimage.data.astronaut`) and the US Navy portrait of Grace Hopper (matplotlib's
`grace_hopper.jpg`), plus `skimage.data.chelsea` (a cat) as a painted animal that is no face.
Everything is drawn from a seeded generator, so the same seed gives the same pixels.
"""

from __future__ import annotations

import functools
import math

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

PIGMENTS: dict[str, tuple[int, int, int]] = {
    "plaster": (206, 176, 132),
    "ochre": (182, 126, 66),
    "red_ochre": (152, 66, 44),
    "malachite": (80, 132, 100),
    "azurite": (66, 96, 140),
    "lead_dark": (74, 52, 42),
    "white_lead": (228, 214, 186),
}

# Head and hair (with an annotator's margin) in each source photograph: x0, y0, x1, y1.
HEAD_REGIONS: dict[str, tuple[int, int, int, int]] = {
    "astronaut": (145, 10, 305, 200),
    "grace_hopper": (145, 22, 395, 382),
    "chelsea": (60, 20, 320, 280),
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
    """Value noise in [-1, 1] with features about `cell` pixels across (bicubic upscaling)."""
    small = rng.uniform(-1.0, 1.0, (max(2, height // cell + 2), max(2, width // cell + 2)))
    img = Image.fromarray(small.astype(np.float32), mode="F").resize((width, height), Image.BICUBIC)
    return np.asarray(img, dtype=np.float32)


def plaster(rng: np.random.Generator, width: int, height: int) -> np.ndarray:
    """Aged plaster: base colour with stains at several scales; float HxWx3 in 0..255."""
    base = np.array(PIGMENTS["plaster"], dtype=np.float32)
    shade = 1.0 + 0.10 * smooth_noise(rng, width, height, 320) + 0.05 * smooth_noise(rng, width, height, 60)
    warm = 0.06 * smooth_noise(rng, width, height, 200)
    out = base[None, None, :] * shade[..., None]
    out[..., 0] += 40 * warm
    out[..., 2] -= 40 * warm
    return out


def blend_layer(canvas: np.ndarray, layer: Image.Image, strength: float = 1.0) -> None:
    """Alpha-composite an RGBA layer onto a float canvas in place."""
    rgba = np.asarray(layer, dtype=np.float32)
    alpha = rgba[..., 3:4] / 255.0 * strength
    canvas *= 1.0 - alpha
    canvas += rgba[..., :3] * alpha


def _petal(cx: float, cy: float, angle: float, length: float, width: float) -> list[tuple[float, float]]:
    points = []
    for step in range(13):
        t = step / 12 * math.pi
        along, across = length * (1 - math.cos(t)) / 2, width * math.sin(t) / 2
        points.append((cx + along * math.cos(angle) - across * math.sin(angle),
                       cy + along * math.sin(angle) + across * math.cos(angle)))
    for step in range(12, -1, -1):
        t = step / 12 * math.pi
        along, across = length * (1 - math.cos(t)) / 2, -width * math.sin(t) / 2
        points.append((cx + along * math.cos(angle) - across * math.sin(angle),
                       cy + along * math.sin(angle) + across * math.cos(angle)))
    return points


def draw_lotus(draw: ImageDraw.ImageDraw, box: tuple[int, int, int, int]) -> None:
    """A lotus seen from the side: fanned petals over a seed pod."""
    x0, y0, x1, y1 = box
    cx, base_y, size = (x0 + x1) / 2, y1 - (y1 - y0) * 0.12, min(x1 - x0, y1 - y0)
    for k, angle in enumerate(np.linspace(-math.pi * 0.95, -math.pi * 0.05, 7)):
        colour = PIGMENTS["red_ochre"] if k % 2 else PIGMENTS["white_lead"]
        draw.polygon(_petal(cx, base_y, angle, size * 0.78, size * 0.26), fill=colour + (235,),
                     outline=PIGMENTS["lead_dark"] + (255,))
    draw.ellipse((cx - size * 0.32, base_y - size * 0.1, cx + size * 0.32, base_y + size * 0.1),
                 fill=PIGMENTS["malachite"] + (255,), outline=PIGMENTS["lead_dark"] + (255,))


def draw_cloud(draw: ImageDraw.ImageDraw, box: tuple[int, int, int, int], rng: np.random.Generator) -> None:
    """An auspicious cloud: overlapping scrolls with curled outlines."""
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    for k in range(6):
        cx, cy = x0 + w * (0.2 + 0.12 * k), y0 + h * (0.55 + 0.15 * math.sin(k * 1.7))
        r = h * (0.22 + 0.05 * rng.random())
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=PIGMENTS["azurite"] + (210,),
                     outline=PIGMENTS["white_lead"] + (255,), width=max(2, int(r / 12)))
        draw.arc((cx - r * 0.55, cy - r * 0.55, cx + r * 0.55, cy + r * 0.55), 180, 470,
                 fill=PIGMENTS["white_lead"] + (255,), width=max(2, int(r / 14)))


def draw_halo(draw: ImageDraw.ImageDraw, cx: float, cy: float, radius: float) -> None:
    """Concentric rings of pigment behind a head."""
    rings = ("ochre", "malachite", "red_ochre", "azurite", "white_lead")
    for k, name in enumerate(rings):
        r = radius * (1 - 0.13 * k)
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=PIGMENTS[name] + (230,))


def draw_robe(draw: ImageDraw.ImageDraw, cx: float, top: float, width: float, height: float, pigment: str) -> None:
    """A robe below a head: a flared body with a collar and a few fold lines."""
    body = [(cx - width * 0.18, top), (cx + width * 0.18, top), (cx + width * 0.5, top + height),
            (cx - width * 0.5, top + height)]
    draw.polygon(body, fill=PIGMENTS[pigment] + (235,), outline=PIGMENTS["lead_dark"] + (255,))
    for k in (-2, -1, 1, 2):
        draw.line([(cx + k * width * 0.05, top + height * 0.15), (cx + k * width * 0.16, top + height * 0.95)],
                  fill=PIGMENTS["lead_dark"] + (200,), width=max(1, int(width / 90)))


def draw_border(draw: ImageDraw.ImageDraw, width: int, top: int, band: int) -> None:
    """A decorative band of lozenges along the wall."""
    draw.rectangle((0, top, width, top + band), fill=PIGMENTS["red_ochre"] + (220,))
    for x in range(0, width + band, band):
        draw.polygon([(x, top + band / 2), (x + band / 2, top + 3), (x + band, top + band / 2),
                      (x + band / 2, top + band - 3)], fill=PIGMENTS["malachite"] + (230,))


def painted_head(source: str, height: int, flip: bool, rng: np.random.Generator) -> Image.Image:
    """A source head repainted as mural pigment: warm tint, flattened tones, soft oval edge (RGBA)."""
    head = source_head(source)
    if flip:
        head = head.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    width = max(8, round(height * head_aspect(source)))
    head = head.resize((width, height), Image.LANCZOS).filter(ImageFilter.ModeFilter(3 if height > 160 else 1))
    arr = np.asarray(head, dtype=np.float32)
    lum = arr @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
    earth = lum[..., None] * np.array([1.05, 0.86, 0.62], dtype=np.float32) + np.array([18, 10, 0], np.float32)
    mix = 0.45 + 0.1 * rng.random()
    arr = (1 - mix) * arr + mix * earth
    arr = np.round(arr / 12) * 12 + 6 * smooth_noise(rng, width, height, max(4, height // 24))[..., None]
    alpha = Image.new("L", (width, height), 0)
    ImageDraw.Draw(alpha).ellipse((width * 0.03, height * 0.02, width * 0.97, height * 0.98), fill=255)
    alpha = alpha.filter(ImageFilter.GaussianBlur(max(1.0, height / 40)))
    rgb = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8), "RGB")
    rgb.putalpha(alpha)
    return rgb


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


def flaking(canvas: np.ndarray, rng: np.random.Generator) -> None:
    """Patches where the paint flaked off and bare plaster shows."""
    height, width = canvas.shape[:2]
    mask = smooth_noise(rng, width, height, 90) > 0.72
    canvas[mask] = canvas[mask] * 0.35 + np.array(PIGMENTS["white_lead"], np.float32) * 0.65


def finish(canvas: np.ndarray, rng: np.random.Generator) -> Image.Image:
    """Fine grain and a slight softening, then 8-bit RGB."""
    height, width = canvas.shape[:2]
    canvas += 5.0 * smooth_noise(rng, width, height, 3)[..., None]
    img = Image.fromarray(np.clip(canvas, 0, 255).astype(np.uint8), "RGB")
    return img.filter(ImageFilter.GaussianBlur(0.6))

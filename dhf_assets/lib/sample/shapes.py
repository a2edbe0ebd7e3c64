"""Painted shapes of the sample murals: lotus, clouds, halos, robes and borders (on RGBA layers)."""

from __future__ import annotations

import math

import numpy as np
from PIL import ImageDraw

PIGMENTS: dict[str, tuple[int, int, int]] = {
    "plaster": (206, 176, 132),
    "ochre": (182, 126, 66),
    "red_ochre": (152, 66, 44),
    "malachite": (80, 132, 100),
    "azurite": (66, 96, 140),
    "lead_dark": (74, 52, 42),
    "white_lead": (228, 214, 186),
}


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

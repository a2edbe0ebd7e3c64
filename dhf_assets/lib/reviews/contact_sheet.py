"""The review queue as one self-contained HTML page: a thumbnail per face with what the detectors saw.

Output, all beside each other so the folder can be zipped and mailed to a reviewer:
  <out_dir>/index.html           no scripts, no remote resources, every text HTML-escaped
  <out_dir>/thumbs/<hash>.jpg     crop with the best box (green) and 5 landmarks drawn, linked relatively
  <out_dir>/review_template.csv   the review file to fill in (see reviews.py)
Thumbnail names are a hash of the face id, because face ids come from user files and must never
become paths.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Mapping

from PIL import Image, ImageDraw

from dhf_assets.lib.detect.types import Point
from dhf_assets.lib.ingest.vocabulary import IDENTITIES
from dhf_assets.lib.reviews.reader import review_csv_template

THUMB_PX = 220  # long side; small crops are enlarged so that eyes and landmarks stay visible
BOX_COLOUR = (0, 230, 64)
# One colour per landmark, so a swapped left/right eye is visible at a glance.
LANDMARKS = (
    ("left eye", (255, 40, 40)), ("right eye", (40, 120, 255)), ("nose", (255, 220, 0)),
    ("mouth left", (255, 140, 0)), ("mouth right", (200, 60, 255)),
)
TEMPLATE_NAME = "review_template.csv"


@dataclass(frozen=True)
class SheetItem:
    face_id: str
    mural_id: str
    crop_path: Path  # absolute, or relative to the working directory
    identity: str | None
    orientation: str | None
    scores: Mapping[str, float | None]  # detector -> its best score; None when it found no face or failed
    box: tuple[float, float, float, float] | None  # best detection, x1, y1, x2, y2 in crop pixels
    landmarks: tuple[Point, ...]
    status: str  # "candidate" | "dropped"
    reason: str | None

    @property
    def best_score(self) -> float | None:
        finite = [s for s in self.scores.values() if s is not None and math.isfinite(s)]
        return max(finite) if finite else None


def _sort_key(item: SheetItem) -> tuple[float, str]:
    best = item.best_score
    return (-best if best is not None else math.inf, item.face_id)  # best first, unscored last


def _finite(*values: float) -> bool:
    return all(math.isfinite(v) for v in values)


def draw_thumbnail(item: SheetItem, dest: Path) -> bool:
    """Write the annotated thumbnail; False when the crop cannot be read (the page says so instead)."""
    try:
        with Image.open(item.crop_path) as opened:
            image = opened.convert("RGB")
    except (OSError, ValueError, Image.DecompressionBombError):
        return False
    scale = THUMB_PX / max(image.size)
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    # Draw after resizing: lines drawn at full size would vanish when a large crop is shrunk.
    image = image.resize(size, Image.Resampling.LANCZOS)
    draw = ImageDraw.Draw(image)
    if item.box is not None and _finite(*item.box):
        x1, y1, x2, y2 = (v * scale for v in item.box)
        draw.rectangle((min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2)), outline=BOX_COLOUR, width=2)
    for (x, y), (_, colour) in zip(item.landmarks, LANDMARKS):
        if _finite(x, y):
            cx, cy, r = x * scale, y * scale, 3.5
            # A landmark outside the crop is pinned to the edge as a hollow ring, so the reviewer
            # still sees which point made the rule drop the face.
            px, py = min(max(cx, r), size[0] - r), min(max(cy, r), size[1] - r)
            if (px, py) == (cx, cy):
                draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=colour, outline=(0, 0, 0))
            else:
                draw.ellipse((px - r - 1, py - r - 1, px + r + 1, py + r + 1), outline=colour, width=2)
    dest.parent.mkdir(parents=True, exist_ok=True)
    image.save(dest, "JPEG", quality=88)
    return True


def _label(value: str | None, names: Mapping[str, str]) -> str:
    if not value:
        return "unlabelled"
    return f"{value} ({names[value]})" if value in names else value


def _card(item: SheetItem, thumb: str | None) -> str:
    e = escape  # quote=True by default, so the same call is safe inside attributes
    if thumb is not None:
        picture = f'<img src="{e(thumb)}" alt="face {e(item.face_id)}">'
    else:
        picture = f'<div class="missing">crop not readable:<br>{e(item.crop_path.name)}</div>'
    scores = "".join(
        f"<tr><td>{e(name)}</td><td>{'no face' if s is None else e(f'{s:.3f}')}</td></tr>"
        for name, s in sorted(item.scores.items())
    )
    reason = f'<p class="reason">{e(item.reason)}</p>' if item.reason else ""
    status = "candidate" if item.status == "candidate" else "dropped"  # CSS class from a fixed set only
    return (
        f'<figure class="card {status}">{picture}<figcaption>'
        f'<p class="id">{e(item.face_id)}</p>'
        f"<p>mural {e(item.mural_id)}</p>"
        f"<p>{e(_label(item.identity, IDENTITIES))} · {e(item.orientation or 'orientation unspecified')}</p>"
        f'<table class="scores">{scores}</table>'
        f'<p class="status">{e(item.status)}</p>{reason}</figcaption></figure>'
    )


STYLE = """
body{font:14px/1.35 system-ui,sans-serif;margin:16px;background:#f4f1ea;color:#222}
h1{font-size:20px;margin:0 0 4px} .legend span{display:inline-block;margin-right:12px}
.dot{display:inline-block;width:10px;height:10px;border-radius:50%;border:1px solid #000;margin-right:4px}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(240px,1fr));gap:12px}
.card{margin:0;background:#fff;border:1px solid #ccc;border-left:6px solid #888;padding:8px}
.card.candidate{border-left-color:#1a9c3c} .card.dropped{border-left-color:#c0392b}
.card img{display:block;margin:0 auto 6px;max-width:100%;background:#ddd}
.missing{height:120px;display:flex;align-items:center;justify-content:center;background:#eee;color:#a00}
figcaption p{margin:2px 0;overflow-wrap:anywhere} .id{font:12px monospace}
.scores{border-collapse:collapse;margin:4px 0} .scores td{padding:0 8px 0 0}
.status{font-weight:600} .dropped .status{color:#c0392b} .candidate .status{color:#1a9c3c}
.reason{font-size:12px;color:#555}
"""


def write_contact_sheet(out_dir: Path, cave_id: str, items: list[SheetItem]) -> Path:
    """Write index.html, its thumbnails and the review template into out_dir; return the HTML path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    ordered = sorted(items, key=_sort_key)
    cards = []
    for item in ordered:
        name = f"thumbs/{hashlib.sha256(item.face_id.encode('utf-8')).hexdigest()[:20]}.jpg"
        cards.append(_card(item, name if draw_thumbnail(item, out_dir / name) else None))
    (out_dir / TEMPLATE_NAME).write_text(review_csv_template(i.face_id for i in ordered), encoding="utf-8")
    legend = "".join(
        f'<span><i class="dot" style="background:rgb{colour}"></i>{label}</span>' for label, colour in LANDMARKS
    )
    cave = escape(cave_id)
    page = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        # No scripts or remote fetches: ids and reasons come from user files, so belt and braces.
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src 'self'; "
        "style-src 'unsafe-inline'\">"
        f"<title>Review queue, cave {cave}</title><style>{STYLE}</style></head><body>"
        f"<h1>Review queue, cave {cave}</h1>"
        f"<p>{len(ordered)} faces, best detector score first. Fill in "
        f'<a href="{TEMPLATE_NAME}">{TEMPLATE_NAME}</a> and save it as <code>reviews/{cave}.csv</code> '
        "in the archive.</p>"
        f'<p class="legend"><span><i class="dot" style="background:rgb{BOX_COLOUR}"></i>best box</span>{legend}</p>'
        f'<div class="grid">{"".join(cards)}</div></body></html>\n'
    )
    index = out_dir / "index.html"
    index.write_text(page, encoding="utf-8")
    return index

"""Read the marts, draw the report images, write them atomically under the reports folder."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from dhf_assets.lib.ingest.images import write_bytes_atomic
from dhf_assets.lib.ingest.vocabulary import VOCABULARY
from dhf_assets.lib.storage import db
from dhf_assets.lib.storage.incremental import combine, plan_reuse

from ..exports.folders import safe_join
from .charts import attribute_distribution_png, crop_resolution_png
from .murals import FIGURE_VERSION, MuralFigure, SymmetryPair, figure_title, load_preview, mural_figure_png

SUBSET_LABELS = {"3k": "Dunhuang_Faces-3k", "500": "Dunhuang_Faces-500"}


@dataclass(frozen=True)
class Written:
    path: Path
    png: bytes
    caption: str
    pairs: int = 0  # symmetric pairs drawn (mural figures)
    inputs: str = ""  # mural figures: hash of what the figure was drawn from (lib/storage/incremental.py)
    drawn: bool = True  # False: the figure of an earlier build was kept, its inputs unchanged


def distribution_rows(rows: list[tuple]) -> list[tuple]:
    """(attribute, code, name, faces) for every vocabulary code (0 where absent), in the paper's order."""
    counts = {(a, c): (n, f) for a, c, n, f in rows}
    present = {a for a, _, _, _ in rows} or set(VOCABULARY)
    ordered = []
    for attribute, codes in VOCABULARY.items():
        for code, name in codes.items():
            if attribute in present:
                mart_name, faces = counts.get((attribute, code), (name, 0))
                ordered.append((attribute, code, mart_name or name, faces))
    # Codes outside the vocabulary, e.g. the mart's NULL identity ("unlabelled"), come last.
    extra = sorted(((a, c, n, f) for (a, c), (n, f) in counts.items() if c not in VOCABULARY.get(a, {})),
                   key=lambda r: (r[0], str(r[1])))
    return ordered + extra


def write_attribute_charts(database: Path, reports: Path) -> list[Written]:
    written = []
    for subset, label in SUBSET_LABELS.items():
        rows = db.query(database, "select attribute, code, name, faces from attribute_distribution where subset = ?",
                        [subset])[1]
        total = sum(int(f or 0) for a, _, _, f in rows if a == "period")
        png = attribute_distribution_png(distribution_rows(rows), label, total)
        path = reports / f"attribute_distribution_{subset}.png"
        write_bytes_atomic(path, png)
        written.append(Written(path, png, f"{label}: {total} faces"))
    return written


def write_crop_resolution_chart(database: Path, reports: Path) -> Written:
    columns, rows = db.query(database, "select * from crop_resolution order by bin_start")
    # (bin_start, bin_end, crops[, crops_3k]): the 3k count is drawn over the 20k bars when the mart has it.
    bins = [tuple(row[columns.index(c)] for c in ("bin_start", "bin_end", "crops", "crops_3k") if c in columns)
            for row in rows]
    tiers = db.query(database, "select tier, crops_20k, crops_3k, upscaled from upscale_tiers")[1]
    png = crop_resolution_png(bins, tiers)
    path = reports / "crop_resolution.png"
    write_bytes_atomic(path, png)
    return Written(path, png, f"{sum(int(b[2] or 0) for b in bins)} crops")


def write_mural_figures(database: Path, archive: Path, reports: Path, max_side: int = 1600,
                        max_pixels: int = 250_000_000, recorded: Mapping[tuple[str, str], str] | None = None,
                        ) -> tuple[list[Written], list[str]]:
    """One PNG per mural with faces at reports/murals/<cave_id>/<mural_id>.png, and the murals skipped
    with their reason; PNGs of murals that are gone are removed. A mural whose figure inputs equal
    `recorded[(cave_id, mural_id)]` and whose PNG exists keeps its PNG (not drawn again)."""
    murals = db.query(database, """
        select m.cave_id, m.mural_id, m.path, m.width, m.height, s.axis_x, m.sha256
        from murals m left join mural_symmetry s using (cave_id, mural_id)
        where exists (select 1 from faces f where f.cave_id = m.cave_id and f.mural_id = m.mural_id)
        order by m.cave_id, m.mural_id""")[1]
    boxes: dict[tuple[str, str], list[tuple[int, int, int, int]]] = {}
    for cave, mural, *box in db.query(database, """select cave_id, mural_id, xmin, ymin, xmax, ymax from faces
                                                    order by cave_id, mural_id, face_id""")[1]:
        boxes.setdefault((cave, mural), []).append(tuple(box))
    pairs: dict[tuple[str, str], list[SymmetryPair]] = {}
    for cave, mural, *values in db.query(database, """
            select p.cave_id, p.mural_id, l.xmin, l.ymin, l.xmax, l.ymax, r.xmin, r.ymin, r.xmax, r.ymax,
                   p.h_err, p.v_err, p.area_err
            from symmetry_pairs p join faces l on l.face_id = p.left_face_id join faces r on r.face_id = p.right_face_id
            order by p.cave_id, p.mural_id, p.left_face_id""")[1]:
        pairs.setdefault((cave, mural), []).append(SymmetryPair(tuple(values[0:4]), tuple(values[4:8]), *values[8:]))
    folder = reports / "murals"
    current = {(cave, mural): combine(FIGURE_VERSION, path, sha, f"{width}x{height}", repr(axis_x),
                                      repr(boxes[(cave, mural)]), repr(pairs.get((cave, mural), [])),
                                      str(max_side), str(max_pixels))
               for cave, mural, path, width, height, axis_x, sha in murals}
    target = {key: folder / key[0] / f"{key[1]}.png" for key in current}
    plan = plan_reuse(current, recorded or {}, {key: key for key in current}, lambda key: target[key].exists())
    kept = set(plan.reused)
    written, skipped = [], []
    for cave, mural, path, width, height, axis_x, _ in murals:
        key = (cave, mural)
        mural_pairs, mural_boxes = pairs.get(key, []), boxes[key]
        if key in kept:  # the caption's scale is the kept PNG's width over the scan's
            png = target[key].read_bytes()
            scale = _png_width(target[key]) / width
            title = figure_title(cave, mural, (width, height), scale, len(mural_boxes), mural_pairs)
            written.append(Written(target[key], png, title, len(mural_pairs), current[key], drawn=False))
            continue
        try:
            preview, scale = load_preview(safe_join(archive, path), max_side, max_pixels)
        except (OSError, ValueError) as exc:  # the scan changed or vanished since it was ingested
            skipped.append(f"{cave}/{mural}: {exc}")
            continue
        title = figure_title(cave, mural, (width, height), scale, len(mural_boxes), mural_pairs)
        png = mural_figure_png(preview, scale, MuralFigure(title, mural_boxes, mural_pairs, axis_x))
        write_bytes_atomic(target[key], png)
        written.append(Written(target[key], png, title, len(mural_pairs), current[key]))
    _remove_stale(folder, {w.path for w in written})
    return written, skipped


def _png_width(path: Path) -> int:
    with Image.open(path) as image:
        return image.width


def _remove_stale(folder: Path, keep: set[Path]) -> None:
    for path in folder.rglob("*.png") if folder.exists() else []:
        if path not in keep:
            path.unlink(missing_ok=True)

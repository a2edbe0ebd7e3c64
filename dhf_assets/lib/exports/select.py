"""Training selections (section 4.2): e.g. the Five Dynasties Bodhisattvas of the 500 subset, with captions.

    select_training_set(db, output, "lora/fd_bs", subset="500", period="FD", identity="BS", tags=["crown"])

writes <out_dir>/<face_id>.png, <face_id>.txt (the caption, as LoRA trainers read it) and
metadata.jsonl. Every code is checked against the `vocabulary` table and every tag against the tags
in use, and all values are bound as parameters.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from dhf_assets.lib.ingest.vocabulary import VOCABULARY
from dhf_assets.lib.storage import db

from .captions import caption
from .data import vocabulary_names
from .folders import copy_file, safe_join, staged_folder, write_text

SUBSETS = ("500", "3k")


@dataclass(frozen=True)
class SelectionSummary:
    out_dir: Path
    images: int
    face_ids: list[str]
    filters: dict[str, object]


def _check_code(names: dict[tuple[str, str], str], attribute: str, code: str | None) -> None:
    if code is None:
        return
    paper_order = list(VOCABULARY.get(attribute, {}))
    rank = {c: i for i, c in enumerate(paper_order)}
    known = sorted((c for (a, c) in names if a == attribute), key=lambda c: (rank.get(c, len(rank)), c))
    if code not in known:
        raise ValueError(f"unknown {attribute} code {code!r} (known: {', '.join(known)})")


def _known_tags(database: Path) -> set[str]:
    return {t for (t,) in db.query(database, "select distinct unnest(tags) from subset_500")[1]}


_SELECT = """
    with labelled_faces as (  -- the labels in force: a reviewer's correction overrides the VOC label
        select f.face_id, f.cave_id, f.mural_id, f.object_index, coalesce(l.identity, f.identity) as identity,
               coalesce(l.orientation, f.orientation) as orientation
        from faces f left join face_labels l using (face_id)
    )
    select f.face_id, f.cave_id, f.mural_id, m.period, c.cave_style, c.site, f.identity, f.orientation,
           u.image_path, u.tier, coalesce(p.tags, [])
    from subset_3k s join labelled_faces f using (face_id) join upscaled_faces u using (face_id)
    join murals m on m.cave_id = f.cave_id and m.mural_id = f.mural_id
    join caves c on c.cave_id = f.cave_id
    left join subset_500 p using (face_id)
    where (? = '3k' or p.face_id is not null)
      and (?::varchar is null or m.period = ?) and (?::varchar is null or f.identity = ?)
      and (?::varchar is null or c.cave_style = ?) and (?::varchar is null or c.site = ?)
      and list_has_all(coalesce(p.tags, []), ?::varchar[])
    order by f.cave_id, f.mural_id, f.object_index
"""


def select_training_set(database: Path, output: Path, out_dir: Path, subset: str = "500", period: str | None = None,
                        identity: str | None = None, cave_style: str | None = None, site: str | None = None,
                        tags: Sequence[str] = (), limit: int | None = None) -> SelectionSummary:
    """Copy the matching standardized faces with a caption each into `out_dir` (replaced whole)."""
    if subset not in SUBSETS:
        raise ValueError(f"unknown subset {subset!r} (known: {', '.join(SUBSETS)})")
    if limit is not None and limit < 1:
        raise ValueError(f"limit must be at least 1, got {limit}")
    names = vocabulary_names(database)
    filters = {"period": period, "identity": identity, "cave_style": cave_style, "site": site}
    for attribute, code in filters.items():
        _check_code(names, attribute, code)
    tags = [t.strip() for t in tags if t.strip()]
    unknown = sorted(set(tags) - (known := _known_tags(database)))
    if unknown:
        known_tags = ", ".join(sorted(known)) or "none"
        raise ValueError(f"unknown tag(s) {', '.join(map(repr, unknown))} (known: {known_tags})")
    params = [subset, period, period, identity, identity, cave_style, cave_style, site, site, tags]
    rows = db.query(database, _SELECT, params)[1][:limit]
    with staged_folder(out_dir) as folder:
        lines = []
        for face_id, cave_id, mural_id, per, style, site_, ident, orientation, image, tier, face_tags in rows:
            text = caption(names.get(("period", per)), ident, names.get(("identity", ident)), face_tags)
            copy_file(safe_join(output, image), folder / f"{face_id}.png")
            write_text(folder / f"{face_id}.txt", text + "\n")
            lines.append(json.dumps({
                "file_name": f"{face_id}.png", "face_id": face_id, "cave_id": cave_id, "mural_id": mural_id,
                "period": per, "cave_style": style, "site": site_, "identity": ident or "",
                "orientation": orientation, "tier": tier, "tags": ", ".join(face_tags), "caption": text,
            }, ensure_ascii=False))
        write_text(folder / "metadata.jsonl", "".join(line + "\n" for line in lines))
    return SelectionSummary(out_dir, len(rows), [r[0] for r in rows],
                            {"subset": subset, **filters, "tags": tags, "limit": limit})

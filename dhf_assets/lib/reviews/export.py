"""`dhf review export`: the review queue of a cave as a contact sheet and a pre-filled CSV."""

from __future__ import annotations

from pathlib import Path

from dhf_assets.lib.reviews.contact_sheet import SheetItem, write_contact_sheet
from dhf_assets.lib.reviews.queue import UNDECIDED_SQL
from dhf_assets.lib.storage.db import query

# The queue itself is the review_queue asset's query; this adds each face's crop and detections.
_QUEUE_SQL = f"""
with queued as ({UNDECIDED_SQL}),
best as (
    select d.face_id, d.detector, d.score, d.box, d.landmarks,
           row_number() over (partition by d.face_id order by d.score desc nulls last) as pick
    from face_detections d
    where d.cave_id = ?
)
select q.face_id, f.mural_id, f.crop_path, f.identity, f.orientation, q.status, q.reason,
       list(struct_pack(detector := b.detector, score := b.score)) as scores,
       any_value(b.box) filter (where b.pick = 1) as box,
       any_value(b.landmarks) filter (where b.pick = 1) as landmarks
from queued q
join faces f on f.face_id = q.face_id
left join best b on b.face_id = q.face_id
group by all
order by any_value(q.rank)
"""


def queue_items(database: Path, output: Path, cave_id: str, include_dropped: bool = False) -> list[SheetItem]:
    """Undecided faces of a cave with their detections, best score first."""
    _, rows = query(database, _QUEUE_SQL, [cave_id, include_dropped, cave_id])
    items = []
    for face_id, mural_id, crop_path, identity, orientation, status, reason, scores, box, landmarks in rows:
        points = tuple(zip(landmarks[0::2], landmarks[1::2])) if landmarks else ()
        items.append(SheetItem(
            face_id=face_id, mural_id=mural_id, crop_path=output / crop_path, identity=identity,
            orientation=orientation, scores={s["detector"]: s["score"] for s in scores if s["detector"]},
            box=tuple(box) if box else None, landmarks=points, status=status, reason=reason,
        ))
    return items


def export_review_sheet(database: Path, output: Path, cave_id: str, include_dropped: bool = False) -> tuple[Path, int]:
    """Write `<output>/reviews/<cave_id>/index.html` and `review_template.csv`; returns (page, faces)."""
    items = queue_items(database, output, cave_id, include_dropped)
    page = write_contact_sheet(output / "reviews" / cave_id, cave_id, items)
    return page, len(items)

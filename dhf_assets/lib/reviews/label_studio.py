"""Label Studio interop, as files only: tasks out (detector boxes as predictions), decisions back in.

Export: one task per face with `data.image` a Label Studio local-files URL of the crop (serve
$DHF_OUTPUT_DIR with LOCAL_FILES_SERVING_ENABLED=true and LOCAL_FILES_DOCUMENT_ROOT=$DHF_OUTPUT_DIR),
`data.face_id`, and each detector's best box as a prediction (percent of the crop, as Label Studio
stores rectangles). LABELING_CONFIG is the matching labelling interface.
Import: a Label Studio JSON export; per task the latest annotation that was not cancelled becomes a
line of the face's cave review file (cave found from the face_id in DuckDB, never from the file).
Choices `decision` (accept_3k, accept_500, reject), text `tags` (";" separated), choices `identity`
and `orientation` (corrections). Rows already in the review file are not appended again.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from dhf_assets.lib.ingest.vocabulary import IDENTITIES, ORIENTATIONS
from dhf_assets.lib.reviews.reader import parse_reviewed_at, parse_tags, read_review_file
from dhf_assets.lib.reviews.writer import ReviewEntry, append_entries
from dhf_assets.lib.storage.db import query

DECISIONS = {"accept_3k": ("accept", "3k"), "accept_500": ("accept", "500"), "reject": ("reject", "")}
LABELING_CONFIG = f"""<View>
  <Image name="image" value="$image" zoom="true"/>
  <RectangleLabels name="box" toName="image"><Label value="face"/></RectangleLabels>
  <Choices name="decision" toName="image" choice="single" showInline="true">
    <Choice value="accept_3k"/><Choice value="accept_500"/><Choice value="reject"/>
  </Choices>
  <TextArea name="tags" toName="image" placeholder="tags for the 500 subset, separated by ;" maxSubmissions="1"/>
  <Choices name="identity" toName="image" choice="single" showInline="true">
    {''.join(f'<Choice value="{code}" hint="{name}"/>' for code, name in IDENTITIES.items())}
  </Choices>
  <Choices name="orientation" toName="image" choice="single" showInline="true">
    {''.join(f'<Choice value="{code}"/>' for code in ORIENTATIONS)}
  </Choices>
</View>
"""

_TASKS_SQL = """
select f.face_id, f.cave_id, f.mural_id, f.crop_path, f.width, f.height, c.status, c.best_score,
       coalesce(list(struct_pack(detector := d.detector, score := d.score, box := d.box))
                filter (where d.box is not null), [])
from faces f
join face_candidates c using (face_id)
left join face_detections d on d.face_id = f.face_id
where f.cave_id = ? and (c.status = 'candidate' or ?)
  and (? or not exists (select 1 from face_reviews r where r.face_id = f.face_id))
group by all
order by c.best_score desc nulls last, f.face_id
"""


def export_tasks(database: Path, cave_id: str, include_dropped: bool = False,
                 include_decided: bool = False) -> list[dict]:
    """Label Studio tasks for the cave's review queue (optionally also dropped and decided faces)."""
    tasks = []
    for face_id, cave, mural_id, crop_path, width, height, status, best, detections in query(
            database, _TASKS_SQL, [cave_id, include_dropped, include_decided])[1]:
        predictions = []
        for detection in detections:
            x1, y1, x2, y2 = detection["box"]
            value = {"x": 100 * x1 / width, "y": 100 * y1 / height, "width": 100 * (x2 - x1) / width,
                     "height": 100 * (y2 - y1) / height, "rotation": 0, "rectanglelabels": ["face"]}
            predictions.append({"model_version": detection["detector"], "score": detection["score"], "result": [{
                "from_name": "box", "to_name": "image", "type": "rectanglelabels", "original_width": width,
                "original_height": height, "value": value, "score": detection["score"]}]})
        tasks.append({"data": {"image": f"/data/local-files/?d={crop_path}", "face_id": face_id, "cave_id": cave,
                               "mural_id": mural_id, "status": status, "best_score": best}, "predictions": predictions})
    return tasks


def write_export(database: Path, output: Path, cave_id: str, include_dropped: bool = False) -> tuple[Path, int]:
    folder = output / "reviews" / cave_id
    folder.mkdir(parents=True, exist_ok=True)
    tasks = export_tasks(database, cave_id, include_dropped)
    (folder / "label_studio_config.xml").write_text(LABELING_CONFIG, encoding="utf-8")
    path = folder / "label_studio_tasks.json"
    path.write_text(json.dumps(tasks, indent=1), encoding="utf-8")
    return path, len(tasks)


@dataclass(frozen=True)
class ImportResult:
    appended: dict[str, int]  # cave -> lines appended
    skipped: int  # already in the review file, or an annotation that decides nothing
    problems: list[str]


def _annotation_entry(face_id: str, annotation: dict[str, Any], reviewer: str | None) -> ReviewEntry | str | None:
    values: dict[str, Any] = {}
    for item in annotation.get("result") or []:
        value = item.get("value") or {}
        if item.get("type") == "choices" and value.get("choices"):
            values[item.get("from_name")] = str(value["choices"][0])
        elif item.get("type") == "textarea" and value.get("text"):
            values[item.get("from_name")] = ";".join(str(t) for t in value["text"])
    decision, subset = DECISIONS.get(values.get("decision", ""), ("", ""))
    if "decision" in values and not decision:
        return f"face {face_id}: unknown decision {values['decision']!r}"
    identity, orientation = values.get("identity", ""), values.get("orientation", "")
    if not decision and not identity and not orientation:
        return None
    who = annotation.get("completed_by")
    name = reviewer or (who.get("email") if isinstance(who, dict) else None) or f"label-studio-user-{who}"
    stamp = str(annotation.get("updated_at") or annotation.get("created_at") or "")
    when = parse_reviewed_at(stamp) or datetime.now(timezone.utc)
    return ReviewEntry(face_id, decision or "correct", str(name), subset=subset,
                       tags=parse_tags(values.get("tags", "")) if subset == "500" else (),
                       identity=identity, orientation=orientation, reviewed_at=when)


def import_export(database: Path, archive: Path, export_file: Path, reviewer: str | None = None) -> ImportResult:
    """Append the decisions of a Label Studio JSON export to the review files of their caves."""
    try:
        tasks = json.loads(export_file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return ImportResult({}, 0, [f"{export_file.name}: not a Label Studio JSON export ({exc})"])
    if not isinstance(tasks, list):
        return ImportResult({}, 0, [f"{export_file.name}: expected a list of tasks"])
    caves = dict(query(database, "select face_id, cave_id from faces")[1])
    by_cave: dict[str, list[ReviewEntry]] = {}
    problems, skipped = [], 0
    for task in tasks:
        face_id = str(((task or {}).get("data") or {}).get("face_id", ""))
        if face_id not in caves:
            problems.append(
                f"task {task.get('id', '?') if isinstance(task, dict) else '?'}: unknown face_id {face_id[:40]!r}"
            )
            continue
        kept = [a for a in task.get("annotations") or [] if not a.get("was_cancelled")]
        if not kept:
            skipped += 1
            continue
        latest = max(kept, key=lambda a: str(a.get("updated_at") or a.get("created_at") or ""))
        entry = _annotation_entry(face_id, latest, reviewer)
        if entry is None:
            skipped += 1
        elif isinstance(entry, str):
            problems.append(entry)
        elif entry.problems():
            problems.append(f"face {face_id}: {'; '.join(entry.problems())}")
        else:
            by_cave.setdefault(caves[face_id], []).append(entry)
    appended = {}
    for cave_id, entries in sorted(by_cave.items()):
        path = archive / "reviews" / f"{cave_id}.csv"
        present, _ = read_review_file(path, cave_id) if path.exists() else ([], [])
        seen = {(d.face_id, d.decision, d.reviewer, d.reviewed_at) for d in present}
        new = [e for e in entries if (e.face_id, e.decision, e.reviewer.strip(), e.reviewed_at) not in seen]
        skipped += len(entries) - len(new)
        append_entries(path, new)
        appended[cave_id] = len(new)
    return ImportResult(appended, skipped, problems)

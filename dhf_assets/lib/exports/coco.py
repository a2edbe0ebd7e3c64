"""COCO detection JSON of the 20k boxes: images are murals, annotations are faces, categories identities.

`file_name` is relative to the Dunhuang_Faces-20k folder of the paper layout (`info.image_root`).
Boxes are [x, y, width, height] in pixels of the stored scan, the same half-open boxes that were
cropped. Ids follow the sorted order of caves, murals and faces, so a re-run writes the same file.
"""

from __future__ import annotations

import json

from dhf_assets.lib.ingest.vocabulary import IDENTITIES

from .data import ExportData
from .paper_layout import SUBSET_20K, mural_files

UNLABELLED = "unlabelled"


def coco_categories(data: ExportData) -> list[dict[str, object]]:
    codes = list(IDENTITIES) + sorted({c for (a, c) in data.names if a == "identity"} - set(IDENTITIES))
    categories = [{"id": i, "name": code, "full_name": data.name("identity", code), "supercategory": "face"}
                  for i, code in enumerate(codes, start=1)]
    categories.append({"id": len(codes) + 1, "name": UNLABELLED, "full_name": "Face, identity not labelled yet",
                       "supercategory": "face"})
    return categories


def build_coco(data: ExportData, description: str = "Dunhuang_Faces-20k face boxes") -> dict[str, object]:
    categories = coco_categories(data)
    category_id = {c["name"]: c["id"] for c in categories}
    images, annotations = [], []
    for image_id, mural in enumerate((m for m in data.murals if m.annotated), start=1):
        images.append({"id": image_id, "file_name": mural_files(mural)[0], "width": mural.width,
                       "height": mural.height, "cave_id": mural.cave_id, "mural_id": mural.mural_id,
                       "period": mural.period})
        for face in sorted(data.faces_of(mural.cave_id, mural.mural_id), key=lambda f: f.object_index):
            xmin, ymin, xmax, ymax = face.box
            annotations.append({
                "id": len(annotations) + 1, "image_id": image_id,
                "category_id": category_id[face.identity or UNLABELLED],
                "bbox": [xmin, ymin, xmax - xmin, ymax - ymin], "area": (xmax - xmin) * (ymax - ymin),
                "iscrowd": 0, "face_id": face.face_id, "orientation": face.orientation,
            })
    return {
        "info": {"description": description, "image_root": SUBSET_20K,
                 "bbox_convention": "[x, y, width, height] in pixels, 0-based, of the stored scan"},
        "licenses": [],
        "images": images,
        "annotations": annotations,
        "categories": categories,
    }


def coco_json(data: ExportData) -> str:
    return json.dumps(build_coco(data), indent=1, ensure_ascii=False) + "\n"

"""Candidates and reviews through Dagster with a real face photo and the real detectors."""

import shutil

import dagster as dg
import pytest

from dhf_assets.defs.candidates.assets import face_candidates
from dhf_assets.defs.candidates.resources import DetectorsResource
from dhf_assets.defs.reviews.assets import face_reviews, review_queue
from dhf_assets.lib.ingest.voc import render_voc
from dhf_assets.lib.reviews.export import queue_items
from dhf_assets_tests.archive_factory import voc_box, write_caves
from dhf_assets_tests.defs_tests.conftest import CAVE_ASSETS, rows

FACE = voc_box(248, 60, 357, 190, "BS", "Frontal")  # around the face MTCNN finds at 278,94-327,157
WALL = voc_box(20, 380, 200, 540, "face", "Unspecified")  # a patch of background
HEADER = "face_id,decision,subset,tags,reviewer,reviewed_at\n"


@pytest.fixture
def photo_cave(store, shared):
    write_caves(store.archive, [("C1", "MC", "FD", "IDRS")])
    folder = store.archive / "murals" / "C1"
    folder.mkdir(parents=True)
    shutil.copyfile(shared("testdata", "faces", "ivan.jpg"), folder / "ivan.jpg")
    (folder / "ivan.xml").write_text(render_voc("ivan.jpg", 561, 561, [FACE, WALL]))
    return store


def build(store, instance, retinaface_weights="", auto_accept="off"):
    from dhf_assets.defs.catalog.assets import caves, vocabulary

    if "C1" not in instance.get_dynamic_partitions("caves"):
        instance.add_dynamic_partitions("caves", ["C1"])
    detectors = DetectorsResource(detectors="mtcnn,retinaface", retinaface_backbone="mobilenet0.25",
                                  retinaface_weights=retinaface_weights, batch_size=4)
    resources = {"store": store, "detectors": detectors}
    dg.materialize([vocabulary, caves], resources=resources, instance=instance)
    return dg.materialize(
        [*CAVE_ASSETS, face_candidates, face_reviews, review_queue], partition_key="C1", resources=resources,
        instance=instance, run_config={"ops": {"face_reviews": {"config": {"auto_accept": auto_accept}}}},
    )


def ids(store):
    face, wall = (rows(store, "select face_id from faces where object_index = ?", [i])[0][0] for i in (1, 2))
    return face, wall


def test_a_face_box_is_a_candidate_and_background_is_dropped_with_its_reason(photo_cave, instance, shared):
    weights = str(shared("weights", "retinaface_mobilenet0.25_fd1mb.pth"))
    result = build(photo_cave, instance, retinaface_weights=weights)
    face, wall = ids(photo_cave)
    by_id = {r[0]: r[1:] for r in rows(photo_cave, "select face_id, status, reason, best_score from face_candidates")}
    assert by_id[face][0] == "candidate" and by_id[face][2] >= 0.9
    assert by_id[wall][0] == "dropped" and "mtcnn" in by_id[wall][1] and "retinaface(mobilenet0.25:" in by_id[wall][1]
    detections = rows(photo_cave,
                      "select detector, weights_id, n_faces, len(landmarks) from face_detections where face_id = ? "
                      "order by 1", [face])
    assert [(d[0], d[2] >= 1, d[3]) for d in detections] == [("mtcnn", True, 10), ("retinaface", True, 10)]
    assert detections[1][1].startswith("mobilenet0.25:")
    assert rows(photo_cave, "select face_id, rank from review_queue") == [(face, 1)]
    # `dhf review export` lists the asset's queue (one query), or with --include-dropped the dropped crops after it.
    exported = [[i.face_id for i in queue_items(photo_cave.database, photo_cave.output, "C1", dropped)]
                for dropped in (False, True)]
    assert exported == [[face], [face, wall]]
    queue = result.asset_materializations_for_node("review_queue")[0].metadata
    assert queue["queued"].value == 1 and queue["decided"].value == 0
    assert queue["workbench"].value.endswith("/cave/C1?status=undecided")  # a link in the UI (MetadataValue.url)
    metadata = result.asset_materializations_for_node("face_candidates")[0].metadata
    assert metadata["candidates"].value == 1 and metadata["dropped"].value == 1


def test_without_weights_retinaface_is_off_and_says_so(photo_cave, instance):
    result = build(photo_cave, instance)
    summary = result.asset_materializations_for_node("face_candidates")[0].metadata["detectors"].value
    assert "retinaface off: no weights: set DHF_RETINAFACE_WEIGHTS" in summary
    assert rows(photo_cave, "select distinct detector from face_detections") == [("mtcnn",)]


def test_review_decisions_survive_reruns_and_the_latest_wins(photo_cave, instance):
    build(photo_cave, instance)
    face, wall = ids(photo_cave)
    reviews = photo_cave.archive / "reviews"
    reviews.mkdir()
    review_file = reviews / "C1.csv"
    review_file.write_text(HEADER + f"{face},accept,500,crown;earrings,curator,2026-01-01\n"
                           f"{wall},accept,3k,,curator,2026-01-02\nffffffffffffffff,accept,3k,,curator,2026-01-03\n")
    build(photo_cave, instance)
    assert rows(photo_cave, "select face_id, tags from subset_500") == [(face, ["crown", "earrings"])]
    assert sorted(rows(photo_cave, "select face_id from subset_3k")) == sorted([(face,), (wall,)])
    assert rows(photo_cave, "select override from face_reviews where face_id = ?", [wall]) == [
        (True,)
    ]  # a rescued crop
    vanished = rows(photo_cave, "select reason from quarantine where stage = 'review'")
    assert "unknown face_id 'ffffffffffffffff'" in vanished[0][0]
    assert rows(photo_cave, "select count(*) from review_queue") == [(0,)]
    # A later decision overrides the earlier one; the file row of the earlier one may even be gone.
    review_file.write_text(HEADER + f"{face},reject,,,curator2,2026-02-01\n")
    build(photo_cave, instance)
    build(photo_cave, instance)
    assert rows(photo_cave, "select decision, reviewer from face_reviews where face_id = ?", [face]) == [
        ("reject", "curator2")
    ]
    assert rows(photo_cave, "select count(*) from subset_500") == [(0,)]
    history = rows(
        photo_cave, "select decision, reviewer from review_history where face_id = ? order by reviewed_at", [face]
    )
    assert history == [("accept", "curator"), ("reject", "curator2")]
    assert rows(photo_cave, "select face_id from subset_3k") == [(wall,)]  # the wall decision was never lost


def test_auto_accept_fills_3k_without_touching_review_files(photo_cave, instance):
    build(photo_cave, instance, auto_accept="0.9")
    face, _ = ids(photo_cave)
    assert rows(photo_cave, "select face_id, reviewer from subset_3k") == [(face, "auto")]
    assert not (photo_cave.archive / "reviews").exists()
    assert rows(photo_cave, "select count(*) from review_history") == [(0,)]

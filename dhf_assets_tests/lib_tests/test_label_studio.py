"""Label Studio tasks out (with the detectors' boxes as predictions) and an export back in as review lines."""

import json

import pytest

from dhf_assets.lib.reviews.label_studio import LABELING_CONFIG, export_tasks, import_export, write_export
from dhf_assets.lib.reviews.reader import read_review_file
from dhf_assets.lib.storage.db import query, write_connection
from dhf_assets_tests.dataset_fixture import build_fixture


@pytest.fixture(scope="module")
def fixture(tmp_path_factory):
    built = build_fixture(tmp_path_factory.mktemp("ls"))
    with write_connection(built.database) as con:
        con.execute("update face_detections set box = [10.0, 20.0, 60.0, 80.0]")
    return built


def annotation(choices: dict[str, str], text: str = "", when="2026-11-02T10:00:00Z", who=7, cancelled=False):
    result = [{"from_name": k, "to_name": "image", "type": "choices", "value": {"choices": [v]}} for k,
              v in choices.items()]
    if text:
        result.append({"from_name": "tags", "to_name": "image", "type": "textarea", "value": {"text": [text]}})
    return {"result": result, "completed_by": who, "updated_at": when, "was_cancelled": cancelled}


def test_tasks_carry_the_crop_and_each_detector_box_in_percent(fixture):
    path, count = write_export(fixture.database, fixture.output, "A1")
    tasks = json.loads(path.read_text())
    assert count == len(tasks) == 6 and (path.parent / "label_studio_config.xml").read_text() == LABELING_CONFIG
    face_id = tasks[0]["data"]["face_id"]
    crop, width, height = query(fixture.database, "select crop_path, width, height from faces where face_id = ?",
                                [face_id])[1][0]
    assert tasks[0]["data"]["image"] == f"/data/local-files/?d={crop}"
    box = tasks[0]["predictions"][0]["result"][0]
    assert box["type"] == "rectanglelabels" and box["original_width"] == width
    assert box["value"]["x"] == pytest.approx(1000 / width) and box["value"]["height"] == pytest.approx(6000 / height)
    assert export_tasks(fixture.database, "NOPE") == []


def test_an_export_becomes_review_lines_once(fixture, tmp_path):
    faces = [r[0] for r in query(fixture.database,
                                 "select face_id from faces where cave_id = 'A1' order by face_id")[1]]
    other = query(fixture.database, "select face_id from faces where cave_id = 'B2' limit 1")[1][0][0]
    export = [
        {"id": 1, "data": {"face_id": faces[0]}, "annotations": [
            annotation({"decision": "reject"}, when="2026-11-01T09:00:00Z"),
            annotation({"decision": "accept_500", "identity": "D"}, "crown; halo")]},
        {"id": 2, "data": {"face_id": faces[1]},
         "annotations": [annotation({"decision": "accept_3k"}, cancelled=True)]},
        {"id": 3, "data": {"face_id": faces[2], "cave_id": "../../etc"},
         "annotations": [annotation({"orientation": "Left"}, who={"email": "li@x.org"})]},
        {"id": 4, "data": {"face_id": other}, "annotations": [annotation({"decision": "reject"})]},
        {"id": 5, "data": {"face_id": "../../../evil"}, "annotations": [annotation({"decision": "reject"})]},
        {"id": 6, "data": {"face_id": faces[3]}, "annotations": [annotation({"decision": "accept_500"})]},  # no tag
    ]
    source = tmp_path / "export.json"
    source.write_text(json.dumps(export))
    result = import_export(fixture.database, fixture.archive, source)
    assert result.appended == {"A1": 2, "B2": 1} and result.skipped == 1
    assert len(result.problems) == 2 and "unknown face_id" in result.problems[0] and "needs a tag" in result.problems[1]
    decisions, problems = read_review_file(fixture.archive / "reviews" / "A1.csv", "A1")
    assert problems == []
    assert [(d.face_id, d.decision, d.subset, d.tags, d.identity, d.orientation, d.reviewer) for d in decisions] == [
        (faces[0], "accept", "500", ("crown", "halo"), "D", None, "label-studio-user-7"),
        (faces[2], "correct", None, (), None, "Left", "li@x.org")]
    again = import_export(fixture.database, fixture.archive, source, )
    assert again.appended == {"A1": 0, "B2": 0} and again.skipped == 4  # nothing is appended twice


def test_a_file_that_is_no_export_is_one_problem(fixture, tmp_path):
    source = tmp_path / "export.json"
    source.write_text("{not json")
    assert "not a Label Studio JSON export" in import_export(fixture.database, fixture.archive, source).problems[0]

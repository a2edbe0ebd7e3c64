"""near_duplicates through Dagster, then the workbench keeps one face of a group and rejects the others."""

import json
import shutil

import dagster as dg

from dhf_assets.defs.duplicates.assets import near_duplicates
from dhf_assets.defs.resources import DhfStore
from dhf_assets.lib.reviews.reader import read_review_file
from dhf_assets.lib.storage.db import query
from dhf_assets_tests.dataset_fixture import build_fixture

from .conftest import env_for
from .test_server import fetch, token_of


def test_a_face_in_two_caves_is_one_group_and_keeping_one_rejects_the_other(tmp_path, servers):
    fixture = build_fixture(tmp_path)
    (tmp_path / "dagster_home").mkdir()
    faces = query(fixture.database, "select face_id, cave_id, crop_path from faces order by cave_id, face_id")[1]
    (a_id, _, a_crop), (b_id, _, b_crop) = faces[0], next(f for f in faces if f[1] == "B2")
    shutil.copyfile(fixture.output / a_crop, fixture.output / b_crop)  # the same face photographed twice
    store = DhfStore(
        archive_dir=str(fixture.archive), output_dir=str(fixture.output), duckdb_path=str(fixture.database)
    )
    with dg.instance_for_test() as instance:
        result = dg.materialize([near_duplicates], resources={"store": store}, instance=instance)
        again = dg.materialize([near_duplicates], resources={"store": store}, instance=instance)
    metadata = result.asset_materializations_for_node("near_duplicates")[0].metadata
    assert metadata["groups"].value >= 1 and metadata["cross_cave_groups"].value >= 1
    assert (
        again.asset_materializations_for_node("near_duplicates")[0].metadata["hashed_now"].value == 0
    )  # cached by sha
    group = query(
        fixture.database, "select group_id, face_id, cave_id, distance from near_duplicates where group_id = ?", [a_id]
    )[1]
    assert sorted(group) == sorted([(a_id, a_id, "A1", 0), (a_id, b_id, "B2", 0)])

    server = servers(env_for(tmp_path), "--reviewer", "ana")
    status, page = fetch(f"{server.url}/face/{b_id}")
    assert status == 200 and f'data-face="{a_id}"' in page and "near-duplicates" in page
    headers = {"Content-Type": "application/json", "X-CSRF-Token": token_of(page)}
    assert fetch(f"{server.url}/api/keep", {"face_id": b_id}, {"Content-Type": "application/json"})[0] == 403
    status, answer = fetch(f"{server.url}/api/keep", {"face_id": b_id}, headers)
    assert status == 200 and json.loads(answer)["faces"][a_id]["status"] == "rejected"
    decisions, problems = read_review_file(fixture.archive / "reviews" / "A1.csv", "A1")
    assert problems == [] and [(d.face_id, d.decision, d.tags) for d in decisions] == [
        (a_id, "reject", (f"duplicate of {b_id}",))
    ]
    assert not (fixture.archive / "reviews" / "B2.csv").exists()  # the kept face's cave is untouched

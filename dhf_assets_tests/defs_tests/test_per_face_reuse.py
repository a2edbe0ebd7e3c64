"""Accepting more faces standardizes and measures only those faces; the others keep their rows and files."""

import dagster as dg
import pytest

from dhf_assets.defs.quality.assets import face_quality
from dhf_assets.defs.upscale.assets import upscaled_faces
from dhf_assets.defs.upscale.resources import UpscalerResource
from dhf_assets.lib.storage.db import TableWrite
from dhf_assets.lib.storage.incremental import plan_reuse
from dhf_assets_tests.archive_factory import voc_box, write_caves, write_mural
from dhf_assets_tests.defs_tests.conftest import build_catalog, build_cave, rows

BOXES = [voc_box(1, 1, 60, 90), voc_box(101, 1, 300, 200), voc_box(1, 301, 120, 420)]


@pytest.mark.parametrize("recorded, present, force, reused, compute", [
    ({"a": "1", "b": "2"}, True, False, ["a", "b"], ["c"]),  # c is new
    ({"a": "1", "b": "old"}, True, False, ["a"], ["b", "c"]),  # b's inputs changed
    ({"a": "1", "b": "2"}, False, False, [], ["a", "b", "c"]),  # output files gone
    ({"a": "1", "b": "2"}, True, True, [], ["a", "b", "c"]),  # dhf/force=true
])
def test_plan_reuse(recorded, present, force, reused, compute):
    plan = plan_reuse({"a": "1", "b": "2", "c": "3"}, recorded, {"a": ("a", 1), "b": ("b", 2)}, lambda row: present,
                      force)
    assert [r[0] for r in plan.reused] == reused and plan.compute == compute


def build(store, instance):
    result = dg.materialize([upscaled_faces, face_quality], partition_key="R1", instance=instance,
                            resources={"store": store, "upscaler": UpscalerResource(backend="lanczos")})
    up = result.asset_materializations_for_node("upscaled_faces")[0].metadata
    quality = result.asset_materializations_for_node("face_quality")[0].metadata
    return (up["standardized"].value, up["reused"].value), (quality["measured"].value, quality["reused"].value)


def test_one_more_accepted_face_costs_one_face(store, instance):
    write_caves(store.archive, [("R1", "MC", "FD", "IDRS")])
    write_mural(store.archive, "R1", "m1", (400, 500), BOXES)
    build_catalog(store, instance)
    build_cave(store, instance, "R1")
    face_ids = [r[0] for r in rows(store, "select face_id from faces order by object_index")]

    def accept(ids):
        store.replace(
            [
                TableWrite(
                    "subset_3k", ("face_id", "cave_id", "reviewer"), [(f, "R1", "ana") for f in ids], {"cave_id": "R1"}
                )
            ]
        )

    accept(face_ids[:2])
    assert build(store, instance) == ((2, 0), (2, 0))
    first = {p: (store.output / p).stat().st_mtime_ns for (p,) in rows(store, "select image_path from upscaled_faces")}
    accept(face_ids)
    assert build(store, instance) == ((1, 2), (1, 2))
    assert all((store.output / p).stat().st_mtime_ns == t for p, t in first.items())  # not written again
    assert (
        rows(store, "select count(*) from upscaled_faces")[0][0]
        == 3
        == rows(store, "select count(*) from face_quality")[0][0]
    )
    accept(face_ids[1:])  # un-accepting a face removes its row and image and computes nothing
    assert build(store, instance) == ((0, 2), (0, 2))
    assert {r[0] for r in rows(store, "select face_id from upscaled_faces")} == set(face_ids[1:])
    assert len(list((store.output / "standardized" / "R1").glob("*.png"))) == 2

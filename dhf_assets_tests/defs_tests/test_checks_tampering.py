"""Tampering between runs: each check fails with the offending row and its downstream asset does not run.

The checks run inside their asset's step: selecting only a check runs it alone on the current tables (`dhf check`),
selecting the asset runs it right after the asset's rows are written.
"""

import dagster as dg
import pytest
from PIL import Image

from dhf_assets.defs.candidates.assets import face_candidates
from dhf_assets.defs.candidates.resources import DetectorsResource
from dhf_assets.defs.catalog.assets import caves, vocabulary
from dhf_assets.defs.quality.assets import face_quality
from dhf_assets.defs.upscale.assets import upscaled_faces
from dhf_assets.defs.upscale.resources import UpscalerResource
from dhf_assets.lib.storage.db import TableWrite, connect
from dhf_assets_tests.archive_factory import voc_box, write_caves, write_mural
from dhf_assets_tests.defs_tests.conftest import CAVE_ASSETS, rows


def resources(store):
    return {"store": store, "upscaler": UpscalerResource(backend="lanczos"),
            "detectors": DetectorsResource(detectors="mtcnn")}


def run(store, instance, selection, raise_on_error=False):
    assets = [vocabulary, caves, *CAVE_ASSETS, face_candidates, upscaled_faces, face_quality]
    return dg.materialize(assets, selection=selection, partition_key="T1", instance=instance,
                          resources=resources(store), raise_on_error=raise_on_error)


@pytest.fixture
def built(store, instance):
    write_caves(store.archive, [("T1", "MC", "FD", "IDRS")])
    write_mural(store.archive, "T1", "m1", (700, 700),
                [voc_box(1, 1, 100, 120), voc_box(201, 201, 500, 520, "B", "Left")])
    dg.materialize([vocabulary, caves], resources=resources(store), instance=instance)
    instance.add_dynamic_partitions("caves", ["T1"])
    selection = dg.AssetSelection.assets(*CAVE_ASSETS) | dg.AssetSelection.checks_for_assets(*CAVE_ASSETS)
    result = dg.materialize(CAVE_ASSETS, selection=selection,
                            partition_key="T1", instance=instance, resources=resources(store))
    assert result.success
    face_ids = [r[0] for r in rows(store, "select face_id from faces order by object_index")]
    store.replace([TableWrite("subset_3k", ("face_id", "cave_id", "reviewer"), [(f, "T1", "t") for f in face_ids],
                              {"cave_id": "T1"})])
    assert run(store, instance, [upscaled_faces, face_quality], raise_on_error=True).success
    return face_ids


def failing(result, check_name):
    evaluation = next(e for e in result.get_asset_check_evaluations() if e.check_name == check_name)
    assert not evaluation.passed
    return evaluation.metadata["offending_rows"].value


def has_row(offending, **expected) -> bool:
    return any(all(row.get(k) == v for k, v in expected.items()) for row in offending)


def materialized(result) -> set[str]:
    return {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}


CHECK_AND_QUALITY = dg.AssetSelection.checks_for_assets(upscaled_faces) | dg.AssetSelection.assets(face_quality)


def test_an_image_of_500x512_fails_and_stops_face_quality(store, instance, built):
    path = store.output / rows(store, "select image_path from upscaled_faces where face_id = ?", [built[0]])[0][0]
    Image.new("RGB", (500, 512)).save(path)
    result = run(store, instance, CHECK_AND_QUALITY)
    offending = failing(result, "standardized_images_512")
    assert has_row(offending, face_id=built[0], width=500)
    assert "face_quality" not in materialized(result)


def test_a_missing_image_fails_and_stops_face_quality(store, instance, built):
    (store.output / rows(store, "select image_path from upscaled_faces where face_id = ?", [built[1]])[0][0]).unlink()
    result = run(store, instance, CHECK_AND_QUALITY)
    assert has_row(failing(result, "standardized_images_512"), face_id=built[1], file_exists=False)
    assert "face_quality" not in materialized(result)


def test_an_unknown_period_code_fails_the_murals_check(store, instance, built):
    con = connect(store.database)
    con.execute("update murals set period = 'XX' where mural_id = 'm1'")
    con.close()
    result = run(
        store, instance, dg.AssetSelection.checks_for_assets(CAVE_ASSETS[0]) | dg.AssetSelection.assets(CAVE_ASSETS[1])
    )
    assert has_row(failing(result, "murals_valid"), mural_id="m1", period="XX")
    assert "faces" not in materialized(result)


def test_a_duplicate_face_id_fails_the_faces_check(store, instance, built):
    con = connect(store.database)
    con.execute("insert into faces select * from faces where face_id = ?", [built[0]])
    con.close()
    result = run(
        store, instance, dg.AssetSelection.checks_for_assets(CAVE_ASSETS[1]) | dg.AssetSelection.assets(face_candidates)
    )
    assert has_row(failing(result, "faces_valid"), face_id=built[0])
    assert "face_candidates" not in materialized(result)


def test_a_check_failing_in_its_assets_step_fails_the_step_and_stops_downstream(store, instance, built):
    con = connect(store.database)
    con.execute("delete from vocabulary where attribute = 'period' and code = (select period from murals limit 1)")
    con.close()
    result = run(store, instance, dg.AssetSelection.assets(*CAVE_ASSETS[:2]))  # murals and faces, with their checks
    assert has_row(failing(result, "murals_valid"), mural_id="m1")
    assert materialized(result) == {"murals"}  # recorded, then its check failed the step: faces did not run
    failures = [e for e in result.all_events if e.is_step_failure]
    assert [e.step_key for e in failures] == ["murals"]
    assert "blocking asset check failed" in failures[0].step_failure_data.error.message
    assert "faces" not in {e.step_key for e in result.all_events if e.is_step_start}


def evaluation(result, check_name):
    return next(e for e in result.get_asset_check_evaluations() if e.check_name == check_name)


def skipped(result, asset) -> bool:
    metadata = next(e.materialization.metadata for e in result.get_asset_materialization_events()
                    if e.asset_key.to_user_string() == asset)
    return "skipped" in metadata and metadata["skipped"].value


def test_reuse_never_hides_a_changed_row_though_its_asset_skips(store, instance, built):
    faces = dg.AssetSelection.assets(CAVE_ASSETS[1])
    again = run(store, instance, faces, raise_on_error=True)  # unchanged: the asset skips, its check is reused
    assert skipped(again, "faces") and evaluation(again, "faces_valid").passed
    assert evaluation(again, "faces_valid").metadata["reused"].value is True
    con = connect(store.database)
    con.execute("update faces set orientation = 'Upside' where face_id = ?", [built[0]])
    con.close()
    tampered = run(store, instance, faces)
    assert skipped(tampered, "faces")  # the faces' inputs (murals) did not change
    assert has_row(failing(tampered, "faces_valid"), face_id=built[0], orientation="Upside")
    assert evaluation(tampered, "faces_valid").metadata["reused"].value is False
    # A failure records nothing: the next run validates again and fails again.
    assert not evaluation(run(store, instance, faces), "faces_valid").passed


def test_a_changed_image_is_seen_by_a_skipped_upscale_step(store, instance, built):
    upscaled = dg.AssetSelection.assets(upscaled_faces)
    again = run(store, instance, upscaled, raise_on_error=True)
    assert skipped(again, "upscaled_faces")
    assert evaluation(again, "standardized_images_512").metadata["reused"].value is True
    path = store.output / rows(store, "select image_path from upscaled_faces where face_id = ?", [built[1]])[0][0]
    Image.new("RGB", (512, 500)).save(path)
    tampered = run(store, instance, upscaled)
    assert skipped(tampered, "upscaled_faces")
    assert has_row(failing(tampered, "standardized_images_512"), face_id=built[1], height=500)


def test_checks_only_and_forced_runs_validate_for_real(store, instance, built):
    # As `dhf check` runs cave_checks_job: only the checks, the partition travels as the run's tag.
    recorded = "select asset, fingerprint, built_at from asset_fingerprints where asset like 'check:%' order by 1"
    before = rows(store, recorded)
    checks_only = dg.materialize([vocabulary, caves, *CAVE_ASSETS], instance=instance, resources=resources(store),
                                 selection=dg.AssetSelection.checks_for_assets(*CAVE_ASSETS[:2]),
                                 tags={"dagster/partition": "T1"})
    for name in ("murals_valid", "faces_valid"):
        assert evaluation(checks_only, name).passed and evaluation(checks_only, name).metadata["reused"].value is False
    assert rows(store, recorded) == before  # a checks-only run reads: it records nothing
    forced = dg.materialize([vocabulary, caves, *CAVE_ASSETS], selection=[CAVE_ASSETS[0]], partition_key="T1",
                            instance=instance, resources=resources(store), tags={"dhf/force": "true"})
    assert not skipped(forced, "murals")
    assert evaluation(forced, "murals_valid").metadata["reused"].value is False

"""The bundled sample through murals and faces: every valid VOC box becomes a face, every bad file a row."""

from dhf_assets.lib.sample.build import build_sample_archive
from dhf_assets_tests.defs_tests.conftest import build_catalog, build_cave, rows


def test_sample_faces_equal_valid_boxes_and_bad_files_are_quarantined(store, instance):
    manifest = build_sample_archive(store.archive)
    build_catalog(store, instance)
    for cave_id in manifest.valid_box_counts():
        assert build_cave(store, instance, cave_id).success
    counts = dict(rows(store, "select cave_id, count(*) from faces group by cave_id"))
    assert counts == manifest.valid_box_counts()
    assert {r[0] for r in rows(store, "select face_id from faces")} == {b.face_id for b in manifest.boxes}
    quarantined = {(r[0], r[1]) for r in rows(store, "select cave_id, file from quarantine")}
    for bad in manifest.bad_files:
        assert (bad.cave_id, bad.path.rsplit("/", 1)[-1]) in quarantined, bad
    longer = [max(w, h) for w, h in rows(store, "select width, height from faces")]
    assert min(longer) < 256 and any(256 <= s <= 512 for s in longer) and max(longer) > 512

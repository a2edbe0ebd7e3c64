import hashlib

from dhf_assets.defs.resources import DhfStore
from dhf_assets.lib.ingest.voc import render_voc
from dhf_assets_tests.archive_factory import BILLION_LAUGHS, two_cave_archive, voc_box, write_caves, write_mural
from dhf_assets_tests.defs_tests.conftest import build_catalog, build_cave, rows


def crop_hashes(store, cave_id):
    folder = store.output / "crops" / cave_id
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.rglob("*.png")}


def test_one_cave_into_a_temporary_duckdb(store, instance):
    expected = two_cave_archive(store.archive)
    build_catalog(store, instance)
    result = build_cave(store, instance, "A1")
    assert result.success
    assert rows(store, "select count(*) from faces where cave_id = 'A1'") == [(expected["A1"],)]
    assert rows(store, "select count(*) from murals") == [(2,)]
    paths = [r[0] for r in rows(store, "select crop_path from faces")]
    assert all((store.output / p).is_file() for p in paths)
    assert rows(store, "select count(*) from vocabulary where attribute = 'period'") == [(11,)]
    materialization = result.asset_materializations_for_node("faces")[0]
    assert materialization.metadata["dagster/row_count"].value == expected["A1"]


def test_rerun_is_idempotent_and_removes_stale_crops(store, instance):
    two_cave_archive(store.archive)
    build_catalog(store, instance)
    build_cave(store, instance, "A1")
    before_rows = rows(store, "select * from faces order by face_id")
    before_files = crop_hashes(store, "A1")
    build_cave(store, instance, "A1")
    assert rows(store, "select * from faces order by face_id") == before_rows
    assert crop_hashes(store, "A1") == before_files
    # The annotator deletes a box: its row and its crop go, the others stay byte-identical.
    xml = store.archive / "murals/A1/m1.xml"
    xml.write_text(render_voc("m1.jpg", 640, 480, [voc_box(11, 21, 110, 140)]))
    build_cave(store, instance, "A1")
    after = crop_hashes(store, "A1")
    assert len(after) == len(before_files) - 1 and set(after.items()) < set(before_files.items())


def test_a_second_cave_leaves_the_first_untouched(store, instance):
    two_cave_archive(store.archive)
    build_catalog(store, instance)
    build_cave(store, instance, "A1")
    a1_rows = rows(store, "select * from faces where cave_id = 'A1' order by face_id")
    a1_quarantine = rows(store, "select * from quarantine where cave_id = 'A1'")
    a1_files = crop_hashes(store, "A1")
    build_cave(store, instance, "B2")
    build_cave(store, instance, "B2")
    assert rows(store, "select * from faces where cave_id = 'A1' order by face_id") == a1_rows
    assert rows(store, "select * from quarantine where cave_id = 'A1'") == a1_quarantine
    assert crop_hashes(store, "A1") == a1_files
    assert rows(store, "select count(*) from faces where cave_id = 'B2'") == [(1,)]


def test_every_quarantine_reason_while_good_murals_are_cropped(store, instance):
    archive = store.archive
    write_caves(archive, [("A1", "MC", "FD", "IDRS"), ("B2", "YC", "HT", "DS")])
    write_mural(archive, "A1", "good", (400, 300), [voc_box(1, 1, 100, 100), voc_box(1, 1, 100, 100),
                                                    voc_box(50, 50, 500, 90), voc_box(5, 5, 50, 50, "Dragon")])
    folder = archive / "murals" / "A1"
    write_mural(archive, "A1", "hostile", (200, 200), [])
    (folder / "hostile.xml").write_bytes(BILLION_LAUGHS)
    cut = write_mural(archive, "A1", "cut", (800, 600), [voc_box(1, 1, 40, 40)])
    cut.write_bytes(cut.read_bytes()[:3000])
    (folder / "fake.jpg").write_text("not a picture")
    (folder / "orphan.xml").write_text(render_voc("x.jpg", 10, 10, []))
    write_mural(archive, "A1", "unannotated", (50, 50), None)
    write_mural(archive, "A1", "bomb", (1200, 1000), [voc_box(1, 1, 9, 9)], suffix=".png")
    write_mural(archive, "B2", "m1", (300, 300), [voc_box(1, 1, 60, 60)])
    store_small_limit = DhfStore(archive_dir=store.archive_dir, output_dir=store.output_dir,
                                 duckdb_path=store.duckdb_path, max_mural_pixels=1_000_000)
    build_catalog(store_small_limit, instance)
    assert build_cave(store_small_limit, instance, "A1").success
    reasons = {(stage, file, item): reason for stage, file, item, reason in rows(
        store, "select stage, file, item, reason from quarantine where cave_id = 'A1'")}
    assert "duplicate box" in reasons[("faces", "good.xml", "object 2")]
    assert "box outside the image" in reasons[("faces", "good.xml", "object 3")]
    assert "unknown identity code 'Dragon'" in reasons[("faces", "good.xml", "object 4")]
    assert "hostile XML refused" in reasons[("faces", "hostile.xml", "")]
    assert "truncated" in reasons[("faces", "cut.jpg", "")]
    assert "not an image" in reasons[("murals", "fake.jpg", "fake")]
    assert reasons[("murals", "orphan.xml", "orphan")] == "annotation without an image"
    assert "no annotation file yet" in reasons[("murals", "unannotated.jpg", "unannotated")]
    assert "decompression bomb refused" in reasons[("murals", "bomb.png", "bomb")]
    assert rows(store, "select mural_id, count(*) from faces group by mural_id") == [("good", 1)]
    assert build_cave(store, instance, "B2").success
    assert rows(store, "select count(*) from faces where cave_id = 'B2'") == [(1,)]


def test_a_cave_with_an_unknown_code_fails_with_the_checks_message(store, instance):
    write_caves(store.archive, [("A1", "MC", "FD", "IDRS"), ("B2", "MC", "QQ", "IDRS")])
    write_mural(store.archive, "B2", "m1", (100, 100), [voc_box(1, 1, 50, 50)])
    catalog = build_catalog(store, instance)
    check = catalog.get_asset_check_evaluations()[0]
    assert not check.passed and "caves.csv line 3: cave B2: unknown period code 'QQ'" in check.description
    result = build_cave(store, instance, "B2", raise_on_error=False)
    assert not result.success
    failure = next(e for e in result.all_events if e.is_step_failure)
    assert check.description in failure.step_failure_data.error.message
    assert rows(store, "select count(*) from faces") == [(0,)]

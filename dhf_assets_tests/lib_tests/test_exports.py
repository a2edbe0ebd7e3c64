"""Exports: VOC round trip, imagefolder loading and mural-grouped splits, COCO, manifests, releases, selections."""

import json
import os
from pathlib import Path

import pytest
from PIL import Image

from dhf_assets.lib.exports.coco import build_coco
from dhf_assets.lib.exports.data import load_export_data
from dhf_assets.lib.exports.folders import UnsafePath, safe_join, staged_folder
from dhf_assets.lib.exports.imagefolder import split_for_mural, validate_ratios, write_imagefolder
from dhf_assets.lib.exports.manifest import verify_manifest
from dhf_assets.lib.exports.paper_layout import SUBSET_3K, SUBSET_20K, SUBSET_500, write_paper_layout
from dhf_assets.lib.exports.release import build_release
from dhf_assets.lib.exports.select import select_training_set
from dhf_assets.lib.ingest.boxes import voc_to_pixel_box
from dhf_assets.lib.ingest.voc import parse_voc_file
from dhf_assets.lib.storage.db import query
from dhf_assets_tests.dataset_fixture import MURALS, build_fixture

CAVES = ["A1", "B2"]


@pytest.fixture(scope="module")
def fixture(tmp_path_factory):
    return build_fixture(tmp_path_factory.mktemp("dataset"))


@pytest.fixture(scope="module")
def data(fixture):
    return load_export_data(fixture.database, CAVES)


def pixel_boxes(xml: Path, size: tuple[int, int]) -> list[tuple]:
    return [voc_to_pixel_box(o, *size).box.as_tuple() for o in parse_voc_file(xml).objects]


def test_exported_voc_files_give_back_the_source_archive_boxes(fixture, data, tmp_path):
    summary = write_paper_layout(data, fixture.archive, fixture.output, tmp_path)
    assert (summary.murals, summary.unannotated_murals, summary.crops) == (6, 1, 12)
    for cave, mural, suffix, size, _, _ in MURALS:
        exported = tmp_path / SUBSET_20K / "murals" / cave
        source = fixture.archive / "murals" / cave
        # Fractional coordinates and a 1 px overshoot in the source come back as the same pixel boxes.
        assert pixel_boxes(exported / f"{mural}.xml", size) == pixel_boxes(source / f"{mural}.xml", size)
        assert (exported / f"{mural}{suffix}").read_bytes() == (source / f"{mural}{suffix}").read_bytes()
    assert not (tmp_path / SUBSET_20K / "murals" / "A1" / "unannotated.jpg").exists()
    crops = sorted(p.stem for p in (tmp_path / SUBSET_20K / "faces").rglob("*.png"))
    assert crops == sorted(f.face_id for f in data.faces)


def test_3k_has_json_per_image_and_500_adds_tags_as_txt(fixture, data, tmp_path):
    summary = write_paper_layout(data, fixture.archive, fixture.output, tmp_path)
    assert (summary.images_3k, summary.images_500) == (10, 3)
    images = sorted((tmp_path / SUBSET_3K).glob("*.png"))
    assert len(images) == 10 and all(Image.open(p).size == (512, 512) for p in images)
    record = json.loads(next((tmp_path / SUBSET_500).glob("*.json")).read_text())
    assert {"face_id", "cave_id", "mural_id", "period", "period_name", "cave_style", "site", "identity",
            "orientation", "box", "source_size", "tier", "backend", "tags"} <= set(record)
    assert record["period_name"] == "Five Dynasties"
    txt = (tmp_path / SUBSET_500 / f"{record['face_id']}.txt").read_text().strip()
    assert txt == ", ".join(record["tags"])


def test_imagefolder_loads_with_datasets_and_no_mural_is_in_two_splits(fixture, data, tmp_path):
    import datasets

    summary = write_imagefolder(data, fixture.output, tmp_path / "folder", (0.5, 0.25, 0.25))
    assert sum(summary.images.values()) == 10 and sum(1 for n in summary.images.values() if n) >= 2
    loaded = datasets.load_dataset("imagefolder", data_dir=str(tmp_path / "folder"), cache_dir=str(tmp_path / "cache"))
    assert sum(len(split) for split in loaded.values()) == 10
    murals = {name: {(r["cave_id"], r["mural_id"]) for r in split.remove_columns("image")} for name,
              split in loaded.items()}
    names = list(murals)
    assert all(not murals[a] & murals[b] for a in names for b in names if a < b)
    captions = [c for split in loaded.values() for c in split["caption"]]
    assert "a Five Dynasties Bodhisattva face, crown, earrings" in captions


def test_splits_depend_on_the_mural_only_and_ratios_are_checked():
    assert split_for_mural("A1", "m1") == split_for_mural("A1", "m1")
    assert split_for_mural("A1", "m1", (1, 0, 0)) == "train" and split_for_mural("A1", "m1", (0, 0, 1)) == "test"
    with pytest.raises(ValueError, match="sum"):
        validate_ratios((0.8, 0.1, 0.2))


def test_coco_boxes_are_the_face_boxes_and_unlabelled_faces_have_their_category(data):
    coco = build_coco(data)
    assert len(coco["images"]) == 6 and len(coco["annotations"]) == 12
    names = {c["id"]: c["name"] for c in coco["categories"]}
    assert "BS" in names.values() and "unlabelled" in names.values()
    by_face = {a["face_id"]: a for a in coco["annotations"]}
    for face in data.faces:
        xmin, ymin, xmax, ymax = face.box
        assert by_face[face.face_id]["bbox"] == [xmin, ymin, xmax - xmin, ymax - ymin]
        assert names[by_face[face.face_id]["category_id"]] == (face.identity or "unlabelled")


def test_release_verifies_names_left_out_caves_and_is_idempotent(fixture, tmp_path, monkeypatch):
    monkeypatch.setenv("DHF_LICENSE", "CC-BY-4.0")
    args = (fixture.database, fixture.archive, fixture.output, tmp_path / "releases", ["A1"],
            {"B2": "check faces_valid failed: unknown identity"})
    first = build_release(*args)
    assert first.version.count("-") == 1 and verify_manifest(first.folder) == []
    card = (first.folder / "README.md").read_text()
    assert "**B2**: check faces_valid failed: unknown identity" in card and "license: CC-BY-4.0" in card
    assert "facenet-pytorch-2.6.0" in card and "lanczos" in card
    assert not any("B2" in p.name for p in (first.folder / SUBSET_20K / "murals").iterdir())
    second = build_release(*args)
    assert second.version == first.version and verify_manifest(second.folder) == []
    assert [p.name for p in (tmp_path / "releases").iterdir()] == [first.version]


def test_manifest_reports_a_modified_a_missing_and_an_unlisted_file(fixture, tmp_path):
    release = build_release(fixture.database, fixture.archive, fixture.output, tmp_path, CAVES, {}, version="v1")
    image = next((release.folder / SUBSET_3K).glob("*.png"))
    image.write_bytes(image.read_bytes()[:-1] + b"\0")
    next((release.folder / SUBSET_500).glob("*.txt")).unlink()
    (release.folder / "extra.txt").write_text("x")
    problems = verify_manifest(release.folder)
    assert any(image.name in p and "sha256" in p for p in problems)
    assert any("missing" in p for p in problems) and any("extra.txt: not in the manifest" in p for p in problems)


def test_release_version_is_validated(fixture, tmp_path):
    with pytest.raises(ValueError, match="release version"):
        build_release(fixture.database, fixture.archive, fixture.output, tmp_path, CAVES, {}, version="../x")


def test_select_copies_matching_faces_with_captions(fixture, tmp_path):
    summary = select_training_set(fixture.database, fixture.output, tmp_path / "fd_bs", period="FD", identity="BS")
    assert summary.images == 2
    captions = sorted(p.read_text().strip() for p in (tmp_path / "fd_bs").glob("*.txt"))
    assert captions == ["a Five Dynasties Bodhisattva face, crown, earrings",
                        "a Five Dynasties Bodhisattva face, crown, serene expression"]
    lines = (tmp_path / "fd_bs" / "metadata.jsonl").read_text().splitlines()
    assert len(lines) == 2 and json.loads(lines[0])["file_name"].endswith(".png")
    again = select_training_set(fixture.database, fixture.output, tmp_path / "fd_bs", tags=["halo"], limit=5)
    assert again.images == 1 and len(list((tmp_path / "fd_bs").glob("*.png"))) == 1  # stale files gone


@pytest.mark.parametrize("arguments, message", [
    ({"period": "XX"}, "unknown period code 'XX' (known: FD, HT,"),
    ({"identity": "BS' or 1=1 --"}, "unknown identity code"),
    ({"site": "mc"}, "known: MC, YC, WTBC"),
    ({"tags": ["crwn"]}, "unknown tag(s) 'crwn' (known: crown, earrings, halo, serene expression)"),
    ({"subset": "20k"}, "unknown subset"),
])
def test_select_rejects_unknown_values_naming_the_known_ones(fixture, tmp_path, arguments, message):
    with pytest.raises(ValueError) as error:
        select_training_set(fixture.database, fixture.output, tmp_path / "out", **arguments)
    assert message in str(error.value)
    assert not (tmp_path / "out").exists()


def test_a_failed_build_leaves_the_previous_folder_untouched(tmp_path):
    target = tmp_path / "export"
    with staged_folder(target) as folder:
        (folder / "old.txt").write_text("old")
    with pytest.raises(RuntimeError), staged_folder(target) as folder:
        (folder / "new.txt").write_text("new")
        raise RuntimeError("boom")
    assert [p.name for p in target.iterdir()] == ["old.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["export"]
    assert oct(os.stat(target).st_mode & 0o777) == oct(0o755)


def test_paths_from_the_tables_cannot_leave_their_root(tmp_path):
    with pytest.raises(UnsafePath):
        safe_join(tmp_path, "../etc/passwd")
    with pytest.raises(UnsafePath):
        safe_join(tmp_path, "/etc/passwd")
    assert safe_join(tmp_path, "murals/A1/m1.jpg") == tmp_path / "murals" / "A1" / "m1.jpg"


def test_a_reviewer_correction_is_what_every_export_reads(tmp_path):
    from dhf_assets.lib.reviews.state import LABEL_COLUMNS
    from dhf_assets.lib.storage.db import write_connection

    fixture = build_fixture(tmp_path / "corrected")
    face_id, identity, orientation = query(fixture.database, """select face_id, identity, orientation from faces
        where face_id in (select face_id from subset_500) order by face_id limit 1""")[1][0]
    assert identity != "D"
    with write_connection(fixture.database) as con:  # what face_reviews writes for a correction to D
        con.execute(f"insert into face_labels ({', '.join(LABEL_COLUMNS)}) select face_id, cave_id, 'D', orientation, "
                     "'review:ana', 'voc', identity, orientation from faces where face_id = ?", [face_id])
    data = load_export_data(fixture.database, CAVES)
    assert {f.face_id: f.identity for f in data.faces}[face_id] == "D"
    coco = build_coco(data)
    category = {c["id"]: c["name"] for c in coco["categories"]}
    assert [category[a["category_id"]] for a in coco["annotations"] if a["face_id"] == face_id] == ["D"]
    summary = select_training_set(fixture.database, fixture.output, tmp_path / "d", identity="D")
    assert face_id in (tmp_path / "d" / "metadata.jsonl").read_text() and summary.images >= 1

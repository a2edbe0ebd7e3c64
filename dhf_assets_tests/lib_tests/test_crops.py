import numpy as np
import pytest
from PIL import Image

from dhf_assets.lib.ingest.crops import FACE_COLUMNS, MuralRecord, extract_mural_faces, plan_faces
from dhf_assets.lib.metrics.near_duplicates import perceptual_hash
from dhf_assets_tests.archive_factory import voc_box, write_mural


def record(archive, mural_id, size, cave_id="A1") -> MuralRecord:
    folder = archive / "murals" / cave_id
    image = next(p for p in folder.iterdir() if p.stem == mural_id and p.suffix != ".xml")
    voc = folder / f"{mural_id}.xml"
    return MuralRecord(cave_id, mural_id, image, voc if voc.exists() else None, *size)


def test_crops_match_the_mural_pixels_exactly(tmp_path):
    write_mural(tmp_path, "A1", "m1", (300, 200), [voc_box(11, 21, 110, 140), voc_box(1, 1, 300, 200, "face", "Left")],
                suffix=".png")
    hashes: dict[str, str] = {}
    rows, problems = extract_mural_faces(record(tmp_path, "m1", (300, 200)), tmp_path / "out", 10**8, 1, hashes)
    assert problems == []
    # each crop's pHash, taken in memory, is the one of its PNG (near_duplicates need not decode it)
    assert hashes == {row[0]: perceptual_hash(tmp_path / "out" / row[-2]) for row in rows}
    mural = np.asarray(Image.open(tmp_path / "murals/A1/m1.png"))
    by_column = [dict(zip(FACE_COLUMNS, row)) for row in rows]
    first, whole = by_column
    crop = np.asarray(Image.open(tmp_path / "out" / first["crop_path"]))
    assert crop.shape == (120, 100, 3) and np.array_equal(crop, mural[20:140, 10:110])
    assert (first["identity"], first["orientation"]) == ("BS", "Frontal")
    assert (whole["identity"], whole["orientation"], whole["width"], whole["height"]) == (None, "Left", 300, 200)


@pytest.mark.parametrize(
    "box, reason",
    [
        (voc_box(1, 1, 10, 10, name="Dragon"), "unknown identity code 'Dragon'"),
        (voc_box(1, 1, 10, 10, pose="Upside"), "unknown pose 'Upside'"),
        (voc_box(50, 1, 400, 10), "box outside the image 300x200"),
        (voc_box(20, 20, 10, 30), "zero or negative size"),
        ({"name": "B", "pose": "Frontal", "xmin": "1", "ymin": "x", "xmax": "9", "ymax": "9"}, "'x' is not a number"),
    ],
)
def test_each_refused_box_is_quarantined_while_the_others_are_cropped(tmp_path, box, reason):
    write_mural(tmp_path, "A1", "m1", (300, 200), [voc_box(1, 1, 50, 50), box])
    rows, problems = extract_mural_faces(record(tmp_path, "m1", (300, 200)), tmp_path / "out", 10**8, 1)
    assert len(rows) == 1
    assert [(p.stage, p.file, p.item, p.severity) for p in problems] == [("faces", "m1.xml", "object 2", "error")]
    assert reason in problems[0].reason


def test_duplicate_box_and_case_insensitive_codes(tmp_path):
    write_mural(tmp_path, "A1", "m1", (300, 200), [voc_box(1, 1, 50, 50, "bs", "left"), voc_box(1, 1, 50, 50)])
    planned, problems = plan_faces(record(tmp_path, "m1", (300, 200)))
    assert [(f.identity, f.orientation) for f in planned] == [("BS", "Left")]
    assert problems[0].reason == "duplicate box: same as object 1"


def test_declared_size_mismatch_is_a_warning_and_boxes_are_kept(tmp_path):
    write_mural(tmp_path, "A1", "m1", (300, 200), [voc_box(1, 1, 50, 50)])
    xml = tmp_path / "murals/A1/m1.xml"
    xml.write_text(xml.read_text().replace("<width>300</width>", "<width>3000</width>"))
    planned, problems = plan_faces(record(tmp_path, "m1", (300, 200)))
    assert len(planned) == 1
    assert problems[0].severity == "warning" and "declared size 3000x200 differs" in problems[0].reason


def test_truncated_mural_quarantines_its_boxes(tmp_path):
    path = write_mural(tmp_path, "A1", "m1", (600, 400), [voc_box(1, 1, 50, 50), voc_box(60, 60, 90, 90)])
    path.write_bytes(path.read_bytes()[:3000])
    rows, problems = extract_mural_faces(record(tmp_path, "m1", (600, 400)), tmp_path / "out", 10**8, 1)
    assert rows == [] and "truncated" in problems[0].reason and "2 box(es) not cropped" in problems[0].reason


def test_mural_without_annotation_has_no_faces(tmp_path):
    write_mural(tmp_path, "A1", "m1", (30, 20), None)
    assert extract_mural_faces(record(tmp_path, "m1", (30, 20)), tmp_path / "out", 10**8, 1) == ([], [])

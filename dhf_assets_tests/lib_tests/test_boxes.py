import pytest

from dhf_assets.lib.ingest.boxes import PixelBox, face_id_for, voc_to_pixel_box
from dhf_assets.lib.ingest.voc import VocObject


def obj(xmin, ymin, xmax, ymax) -> VocObject:
    return VocObject(1, "BS", "Frontal", str(xmin), str(ymin), str(xmax), str(ymax))


@pytest.mark.parametrize(
    "coords, expected",
    [
        ((1, 1, 10, 10), (0, 0, 10, 10)),  # 1-based inclusive -> 0-based half-open
        ((11, 21, 110, 90), (10, 20, 110, 90)),
        ((10, 10, 10, 40), (9, 9, 10, 40)),  # one pixel wide is a valid box
        ((10.4, 10.5, 20.49, 20.5), (9, 10, 20, 21)),  # rounded half up
        ("1.0 1.0 100.0 50.0".split(), (0, 0, 100, 50)),
        ((1, 1, 200, 100), (0, 0, 200, 100)),  # the whole image
    ],
)
def test_conversion(coords, expected):
    result = voc_to_pixel_box(obj(*coords), 200, 100)
    assert result.box == PixelBox(*expected) and result.reason is None and result.note is None


@pytest.mark.parametrize(
    "coords, note",
    [((0, 5, 10, 10), "xmin clamped"), ((5, 5, 201, 10), "xmax clamped"), ((5, 0, 10, 101), "ymin clamped")],
)
def test_one_pixel_overshoot_is_clamped_and_noted(coords, note):
    result = voc_to_pixel_box(obj(*coords), 200, 100)
    assert result.box is not None and note in result.note


@pytest.mark.parametrize(
    "coords, reason",
    [
        ((-5, 5, 10, 10), "box outside the image 200x100"),
        ((5, 5, 250, 10), "box outside the image"),
        ((20, 10, 10, 40), "zero or negative size"),
        (("nan", 1, 10, 10), "not a finite number"),
        (("inf", 1, 10, 10), "not a finite number"),
        (("abc", 1, 10, 10), "'abc' is not a number"),
        (("", 1, 10, 10), "xmin is missing"),
    ],
)
def test_refused_boxes_carry_a_reason(coords, reason):
    result = voc_to_pixel_box(obj(*coords), 200, 100)
    assert result.box is None and reason in result.reason


def test_face_id_depends_on_cave_mural_and_box_only():
    box = PixelBox(1, 2, 30, 40)
    assert face_id_for("A1", "m1", box) == face_id_for("A1", "m1", PixelBox(1, 2, 30, 40))
    others = {
        face_id_for("A2", "m1", box),
        face_id_for("A1", "m2", box),
        face_id_for("A1", "m1", PixelBox(1, 2, 30, 41)),
    }
    assert face_id_for("A1", "m1", box) not in others and len(others) == 3
    assert len(face_id_for("A1", "m1", box)) == 16

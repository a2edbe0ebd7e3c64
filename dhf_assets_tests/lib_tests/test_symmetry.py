"""Mirror symmetry of one mural's boxes (section 4.1): axis, tolerance, one pair per box, errors."""

import random

import pytest

from dhf_assets.lib.metrics.symmetry import FaceBox, SymmetryPair, mural_symmetry, symmetry_axis


def centred(face_id: str, centre_x: int, centre_y: int, half: int = 10) -> FaceBox:
    return FaceBox(face_id, centre_x - half, centre_y - half, centre_x + half, centre_y + half)


# Written out by hand: centres x 150, 870, 330, 670, 50 -> axis 2070 / 5 = 414, mirrored x = 828 - x.
HAND_BOXES = [
    FaceBox("fa", 100, 100, 200, 220),  # centre (150, 160), area 12000
    FaceBox("fb", 820, 100, 920, 240),  # centre (870, 170), area 14000 -> mirrored (-42, 170)
    FaceBox("fc", 300, 500, 360, 560),  # centre (330, 530), area 3600
    FaceBox("fd", 640, 520, 700, 600),  # centre (670, 560), area 4800 -> mirrored (158, 560)
    FaceBox("ff", 0, 1000, 100, 1100),  # centre (50, 1050): left, nothing within 200 px
]


def test_axis_is_the_mean_of_all_box_centres():
    assert symmetry_axis(HAND_BOXES) == 414.0
    with pytest.raises(ValueError):
        symmetry_axis([])


def test_hand_computed_pairs_and_errors():
    result = mural_symmetry(HAND_BOXES)
    assert result.axis_x == 414.0
    assert result.pairs == (
        SymmetryPair("fa", "fb", h_err=192.0, v_err=10.0, area_err=2000.0),  # |150 - -42|, |160 - 170|
        SymmetryPair("fc", "fd", h_err=172.0, v_err=30.0, area_err=1200.0),  # |330 - 158|, |530 - 560|
    )


def test_the_result_does_not_depend_on_the_order_of_the_boxes():
    shuffled = HAND_BOXES[:]
    random.Random(7).shuffle(shuffled)
    assert mural_symmetry(shuffled) == mural_symmetry(HAND_BOXES) == mural_symmetry(HAND_BOXES[::-1])


def test_each_box_is_in_at_most_one_pair_nearest_first():
    # Axis 500: l2's nearest mirror is r1 (dy 50), but l1 takes r1 first (dy 0); l2 gets r2 (dy 110).
    boxes = [centred("l1", 400, 100), centred("l2", 400, 150), centred("r1", 600, 100), centred("r2", 600, 260)]
    pairs = mural_symmetry(boxes).pairs
    assert [(p.left_face_id, p.right_face_id, p.v_err) for p in pairs] == [("l1", "r1", 0.0), ("l2", "r2", 110.0)]


def test_ties_go_to_the_smaller_face_ids():
    boxes = [centred("b_left", 400, 100), centred("a_left", 400, 100), centred("r", 600, 100)]
    # Axis (400 + 400 + 600) / 3 = 466.67: both left boxes are equally near r's mirror.
    assert [(p.left_face_id, p.right_face_id) for p in mural_symmetry(boxes).pairs] == [("a_left", "r")]


def test_a_box_on_the_axis_is_never_paired():
    boxes = [centred("left", 100, 100), centred("middle", 500, 100), centred("right", 900, 100)]
    result = mural_symmetry(boxes)
    assert result.axis_x == 500.0
    assert [(p.left_face_id, p.right_face_id) for p in result.pairs] == [("left", "right")]


@pytest.mark.parametrize(("third_centre_x", "h_err", "paired"), [(800, 200.0, True), (803, 202.0, False)])
def test_horizontal_tolerance_is_inclusive(third_centre_x, h_err, paired):
    # A third box far below shifts the axis so that the mirrored |dx| of left/right is exactly h_err.
    boxes = [centred("left", 100, 100), centred("right", 900, 100), centred("far", third_centre_x, 2000)]
    pairs = mural_symmetry(boxes).pairs
    assert [(p.left_face_id, p.h_err) for p in pairs] == ([("left", h_err)] if paired else [])


@pytest.mark.parametrize(("dy", "tolerance", "paired"), [(200, 200.0, True), (201, 200.0, False), (60, 50.0, False)])
def test_vertical_tolerance(dy, tolerance, paired):
    boxes = [centred("left", 100, 100), centred("right", 900, 100 + dy)]
    assert len(mural_symmetry(boxes, tolerance).pairs) == (1 if paired else 0)


def test_area_error_uses_half_open_pixel_boxes():
    boxes = [FaceBox("left", 0, 0, 10, 20), FaceBox("right", 90, 0, 100, 25)]  # areas 200 and 250
    assert mural_symmetry(boxes).pairs[0].area_err == 50.0

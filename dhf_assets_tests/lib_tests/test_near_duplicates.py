import pytest
from PIL import Image, ImageFilter

from dhf_assets.lib.metrics.near_duplicates import group_near_duplicates, perceptual_hash


@pytest.mark.parametrize("hashes, max_distance, expected", [
    # a and b one bit apart, c far: one group led by a
    ({"a": "0000000000000000", "b": "0000000000000001", "c": "ffffffffffffffff"}, 6, [("a", "a", 0), ("a", "b", 1)]),
    # a chain a-b-c where a and c are farther apart than the limit is still one group; distances to a
    ({"a": "0000000000000000", "b": "000000000000000f", "c": "00000000000000ff"}, 4,
     [("a", "a", 0), ("a", "b", 4), ("a", "c", 8)]),
    ({"a": "0000000000000000", "b": "00000000000000ff"}, 6, []),
    ({"a": "0000000000000000"}, 6, []),
])
def test_groups(hashes, max_distance, expected):
    rows = group_near_duplicates([(f, "C1", h) for f, h in hashes.items()], max_distance)
    assert [(g, f, d) for g, f, _, d in rows] == expected


def test_groups_span_caves_and_the_first_member_is_the_smallest_cave_and_id():
    rows = group_near_duplicates([("z", "B2", "0000000000000000"), ("y", "A1", "0000000000000003")], 6)
    assert rows == [("y", "y", "A1", 0), ("y", "z", "B2", 2)]


def test_a_re_encoded_blurred_copy_is_near_and_another_picture_is_not(tmp_path):
    from skimage import data

    face = Image.fromarray(data.astronaut()).crop((140, 20, 340, 230))
    face.save(tmp_path / "a.png")
    face.resize((150, 158)).filter(ImageFilter.GaussianBlur(1)).save(tmp_path / "b.jpg", quality=70)
    Image.fromarray(data.chelsea()).crop((100, 0, 300, 210)).save(tmp_path / "c.png")
    (tmp_path / "d.png").write_bytes(b"not an image")
    hashes = {name: perceptual_hash(tmp_path / name) for name in ("a.png", "b.jpg", "c.png", "d.png")}
    assert hashes["d.png"] is None
    rows = group_near_duplicates([(n, "C1", h) for n, h in hashes.items() if h], 6)
    assert {f for _, f, _, _ in rows} == {"a.png", "b.jpg"}

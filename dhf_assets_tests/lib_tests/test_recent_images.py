import os

import numpy as np
import pytest
from PIL import Image

from dhf_assets.lib.detect.scoring import Crop, _decode
from dhf_assets.lib.ingest.images import write_png_atomic
from dhf_assets.lib.ingest.recent import RecentImages
from dhf_assets.lib.metrics.quality_stage import open_rgb
from dhf_assets_tests.archive_factory import mural_image


def _written(tmp_path, name: str, size=(40, 30), seed: int = 0, mode: str = "RGB"):
    image = mural_image(*size, seed).convert(mode)
    path = tmp_path / name
    write_png_atomic(image, path, 1)
    return image, path


def test_the_pixels_handed_back_are_those_a_decode_of_the_file_gives(tmp_path):
    recent = RecentImages()
    image, path = _written(tmp_path, "crop.png")
    recent.remember(path, image)
    kept = recent.pixels(path)
    with Image.open(path) as decoded:
        assert np.array_equal(kept, np.asarray(decoded.convert("RGB")))
    assert not kept.flags.writeable  # shared with every reader: nobody may change it
    with pytest.raises(ValueError):
        kept[0, 0] = 0


@pytest.mark.parametrize("change", ["replaced", "rewritten_in_place", "removed"])
def test_a_file_that_is_no_longer_the_one_written_is_decoded_again(tmp_path, change):
    recent = RecentImages()
    image, path = _written(tmp_path, "crop.png")
    recent.remember(path, image)
    if change == "replaced":  # a new file under the same name (atomic writes make a new inode)
        write_png_atomic(mural_image(40, 30, 1), path, 1)
    elif change == "rewritten_in_place":
        with open(path, "r+b") as handle:
            handle.seek(0, os.SEEK_END)
            handle.write(b"\0")
    else:
        path.unlink()
    assert recent.pixels(path) is None
    # A stale entry found under the file's identity is dropped; one left under a freed inode ages out.
    assert recent.size_bytes == (0 if change == "rewritten_in_place" else image.width * image.height * 3)


@pytest.mark.parametrize("mode", ["L", "RGBA", "P"])
def test_only_rgb_pixels_are_kept(tmp_path, mode):
    recent = RecentImages()
    image, path = _written(tmp_path, "crop.png", mode=mode)
    recent.remember(path, image)
    assert recent.pixels(path) is None


def test_memory_stays_within_the_budget_least_recently_used_out_first(tmp_path):
    one = 40 * 30 * 3
    recent = RecentImages(max_bytes=2 * one)
    files = [_written(tmp_path, f"c{i}.png", seed=i) for i in range(3)]
    for image, path in files[:2]:
        recent.remember(path, image)
    assert recent.pixels(files[0][1]) is not None  # c0 is now the most recently used
    recent.remember(files[2][1], files[2][0])
    assert recent.size_bytes == 2 * one
    assert [recent.pixels(path) is not None for _, path in files] == [True, False, True]
    too_big, path = _written(tmp_path, "big.png", size=(60, 60))
    recent.remember(path, too_big)
    assert recent.pixels(path) is None


@pytest.mark.parametrize("reader", ["candidates", "quality"])
def test_the_stages_read_the_kept_pixels_or_decode_the_same_ones(tmp_path, reader):
    from dhf_assets.lib.ingest.recent import RECENT

    image, path = _written(tmp_path, "crop.png", seed=3)
    def read():
        return _decode(Crop("f", path, 40, 30)) if reader == "candidates" else np.asarray(open_rgb(path))

    RECENT.clear()
    decoded = read()
    RECENT.remember(path, image)
    kept = read()
    RECENT.clear()
    assert np.array_equal(decoded, kept)

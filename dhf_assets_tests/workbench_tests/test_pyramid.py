"""The mural view's tile pyramid: level sizes, tiles cut from one decode per level, integers only."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from dhf_assets.workbench.pyramid import TILE, Scan, tile


@pytest.fixture(scope="module")
def scan(tmp_path_factory) -> Scan:
    path = tmp_path_factory.mktemp("scan") / "m.jpg"
    gradient = np.linspace(0, 255, 1300, dtype=np.uint8)[None, :, None].repeat(700, 0).repeat(3, 2)
    Image.fromarray(gradient).save(path, quality=95)
    return Scan("MG045", "m", path, 1300, 700, "digest")


@pytest.mark.parametrize("level, grid, size",
                         [(0, (3, 2), (1300, 700)), (1, (2, 1), (650, 350)), (2, (1, 1), (325, 175))])
def test_levels(scan, level, grid, size):
    assert scan.top_level == 2 and scan.grid(level) == grid and scan.level_size(level) == size


@pytest.mark.parametrize("level, column, row, expected", [
    (0, 0, 0, (TILE, TILE)), (0, 2, 1, (1300 - 2 * TILE, 700 - TILE)), (1, 1, 0, (650 - TILE, 350)),
    (2, 0, 0, (325, 175)),
    (3, 0, 0, None), (0, 3, 0, None), (1, 0, 1, None), (-1, 0, 0, None),
])
def test_tiles(scan, tmp_path, level, column, row, expected):
    path = tile(scan, tmp_path, level, column, row)
    if expected is None:
        assert path is None
        return
    with Image.open(path) as image:
        assert image.size == expected
        left = image.getpixel((0, 0))[0]
    assert abs(left - 255 * column * TILE * 2**level / 1300) < 8  # the gradient: the tile sits where it should
    assert sorted(p.name for p in path.parent.iterdir() if p.name.startswith(".")) == [".complete"]  # no temporaries

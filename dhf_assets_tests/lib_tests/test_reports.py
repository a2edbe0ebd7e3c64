"""Report images: valid PNGs from the marts, murals downscaled once, stale figures removed, small embeds."""

import io

import pytest
from PIL import Image

from dhf_assets.lib.reports.build import (
    distribution_rows,
    write_attribute_charts,
    write_crop_resolution_chart,
    write_mural_figures,
)
from dhf_assets.lib.reports.charts import attribute_distribution_png, crop_resolution_png
from dhf_assets.lib.reports.embed import markdown_image, small_png
from dhf_assets.lib.reports.murals import load_preview
from dhf_assets.lib.storage.db import write_connection
from dhf_assets_tests.archive_factory import mural_image
from dhf_assets_tests.dataset_fixture import build_fixture

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def fixture(tmp_path_factory):
    return build_fixture(tmp_path_factory.mktemp("dataset"))


def opened(png: bytes) -> Image.Image:
    assert png.startswith(PNG_SIGNATURE)
    image = Image.open(io.BytesIO(png))
    image.load()
    return image


def test_attribute_charts_are_pngs_with_every_code_of_the_vocabulary(fixture, tmp_path):
    written = write_attribute_charts(fixture.database, tmp_path)
    assert [w.path.name for w in written] == ["attribute_distribution_3k.png", "attribute_distribution_500.png"]
    assert all(opened(w.path.read_bytes()).width > 800 for w in written)
    assert written[0].caption == "Dunhuang_Faces-3k: 10 faces"


def test_distribution_rows_keep_the_papers_order_with_zeros_and_unlabelled_last():
    rows = distribution_rows([("identity", "B", "Buddhas", 3), ("identity", None, "unlabelled", 1),
                              ("identity", "BS", "Bodhisattvas", 2)])
    assert [r[1] for r in rows] == ["BS", "B", "CM", "VW", "D", "O", "DN", None]
    assert rows[0][3] == 2 and rows[2][3] == 0 and rows[-1][2] == "unlabelled"


def test_charts_render_empty_marts():
    assert opened(attribute_distribution_png([], "Dunhuang_Faces-500", 0))
    assert opened(crop_resolution_png([]))


def test_crop_resolution_chart_is_a_png(fixture, tmp_path):
    written = write_crop_resolution_chart(fixture.database, tmp_path)
    assert written.path == tmp_path / "crop_resolution.png" and opened(written.png).height > 300
    assert written.caption == "12 crops"


def test_one_figure_per_mural_with_faces_and_stale_figures_removed(fixture, tmp_path):
    stale = tmp_path / "murals" / "A1" / "gone.png"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"old")
    written, skipped = write_mural_figures(fixture.database, fixture.archive, tmp_path, max_side=240)
    assert skipped == [] and not stale.exists()
    assert sorted(str(w.path.relative_to(tmp_path)) for w in written) == [
        "murals/A1/m1.png", "murals/A1/m2.png", "murals/A1/m3.png",
        "murals/B2/w.3.png", "murals/B2/w1.png", "murals/B2/w2.png"]
    m1 = next(w for w in written if w.path.stem == "m1")
    assert m1.pairs == 1 and "H 3.5 px" in m1.caption and "shown at 50%" in m1.caption
    assert opened(m1.png).width == 240


def test_figures_with_unchanged_inputs_are_kept_and_only_changed_ones_drawn(fixture, tmp_path):
    first, _ = write_mural_figures(fixture.database, fixture.archive, tmp_path, max_side=240)
    recorded = {(w.path.parent.name, w.path.stem): w.inputs for w in first}
    again, _ = write_mural_figures(fixture.database, fixture.archive, tmp_path, max_side=240, recorded=recorded)
    assert all(w.drawn for w in first) and not any(w.drawn for w in again)
    assert [(w.path, w.caption, w.pairs, w.png) for w in again] == [(w.path, w.caption, w.pairs, w.png) for w in first]
    (tmp_path / "murals" / "B2" / "w1.png").unlink()
    changed = {**recorded, ("A1", "m1"): "inputs of an earlier build"}
    third, _ = write_mural_figures(fixture.database, fixture.archive, tmp_path, max_side=240, recorded=changed)
    assert (
        sorted(w.path.stem for w in third if w.drawn) == ["m1", "w1"]
        and (tmp_path / "murals" / "B2" / "w1.png").exists()
    )
    bigger, _ = write_mural_figures(fixture.database, fixture.archive, tmp_path, max_side=260, recorded=recorded)
    assert all(w.drawn for w in bigger)  # the figure size is one of the inputs


def test_a_vanished_scan_is_skipped_with_its_reason(fixture, tmp_path):
    with write_connection(fixture.database) as con:
        con.execute("update murals set path = 'murals/A1/missing.jpg' where mural_id = 'm3'")
    try:
        written, skipped = write_mural_figures(fixture.database, fixture.archive, tmp_path, max_side=200)
    finally:
        with write_connection(fixture.database) as con:
            con.execute("update murals set path = 'murals/A1/m3.jpg' where mural_id = 'm3'")
    assert len(written) == 5 and len(skipped) == 1 and skipped[0].startswith("A1/m3:")


def test_jpeg_scans_are_decoded_downscaled(tmp_path):
    path = tmp_path / "big.jpg"
    mural_image(1600, 1000, seed=1).save(path, quality=85)
    preview, scale = load_preview(path, max_side=300, max_pixels=10**9)
    assert max(preview.size) == 300 and scale == pytest.approx(300 / 1600, rel=0.01)
    with pytest.raises(ValueError, match="pixel limit"):
        load_preview(path, max_side=300, max_pixels=1000)


def test_embedded_images_stay_under_the_limit():
    big = io.BytesIO()
    mural_image(1200, 900, seed=2).save(big, format="PNG")
    small = small_png(big.getvalue(), max_bytes=60_000)
    assert len(big.getvalue()) > 60_000 >= len(small) and opened(small)
    assert markdown_image(big.getvalue(), "mural", 60_000).startswith("![mural](data:image/png;base64,")

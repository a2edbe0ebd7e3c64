"""Face-box proposals on whole murals: tiles, the YuNet wrapper, merging, ids, status, VOC output, bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from dhf_assets.lib.detect.mtcnn import build_mtcnn, min_face_for
from dhf_assets.lib.detect.registry import load_proposal_detectors
from dhf_assets.lib.detect.types import SearchParams, WeightsMissingError
from dhf_assets.lib.detect.yunet import build_yunet
from dhf_assets.lib.ingest.boxes import PixelBox, voc_to_pixel_box
from dhf_assets.lib.ingest.images import ImageError
from dhf_assets.lib.ingest.voc import parse_voc_bytes
from dhf_assets.lib.proposals.detect import Found, detect_tiles
from dhf_assets.lib.proposals.ids import proposal_id_for
from dhf_assets.lib.proposals.merge import (
    HEAD_STYLE,
    TIGHT_STYLE,
    merge,
    pixel_box,
    restyle,
)
from dhf_assets.lib.proposals.propose import MuralScan, iou, propose_mural, status_of
from dhf_assets.lib.proposals.scan import decode_for_search
from dhf_assets.lib.proposals.tiles import (
    TileGrid,
    iter_tiles,
    plan_tiles,
    pyramid_scales,
    scaled_size,
    tile_count,
    windows,
)
from dhf_assets.lib.proposals.voc_out import proposals_voc

YUNET = ("weights", "face_detection_yunet_2023mar.onnx")


@pytest.fixture(scope="module")
def yunet():
    from dhf_assets_tests.conftest import shared_path

    return build_yunet(shared_path(*YUNET))


@pytest.mark.parametrize("length, tile, overlap", [(300, 640, 128), (640, 640, 128), (641, 640, 128),
                                                   (5068, 640, 128), (2968, 640, 96)])
def test_windows_cover_the_side_and_every_span_up_to_the_overlap_lies_inside_one(length, tile, overlap):
    spans = windows(length, tile, overlap)
    assert spans[0][0] == 0 and spans[-1][1] == length and all(e - s == min(tile, length) for s, e in spans)
    for start in range(0, max(1, length - overlap), 7):
        assert any(s <= start and start + min(overlap, length) <= e for s, e in spans)


@pytest.mark.parametrize("width, height, scales, tiles", [(900, 640, [0.5], 1), (8447, 4946, [0.5, 0.125, 0.03125], 18),
                                                         (2400, 1400, [0.5, 0.125], 3)])
def test_the_pyramid_runs_from_the_smallest_face_to_one_tile(width, height, scales, tiles):
    grid = TileGrid()
    assert pyramid_scales(width, height, grid) == pytest.approx(scales)
    assert tile_count(width, height, grid) == tiles
    assert max(width, height) * pyramid_scales(width, height, grid)[-1] <= grid.tile


@pytest.mark.parametrize("bad",
                         [{"overlap": 1024}, {"ratio": 1.0}, {"detect_px": 40, "ratio": 4.0}, {"min_face_px": 0}])
def test_a_grid_that_would_cut_faces_is_refused(bad):
    with pytest.raises(ValueError):
        TileGrid(**bad)


@pytest.mark.parametrize("box, cut", [((0, 100, 50, 150), True), ((3, 100, 50, 150), False),
                                      ((600, 100, 640, 150), False), ((100, 0, 150, 40), False)])
def test_a_box_on_an_inner_edge_is_a_cut_face_and_the_mural_border_is_not(box, cut):
    # a tile inside the mural on its left only: x0 > 0, top and right at the mural's border
    (tile,) = [t for t in plan_tiles(1000, 500, 1.0, TileGrid(tile=640)) if t.x0 > 0]
    assert tile.inner == (True, False, False, False)
    assert tile.cuts(box) is cut


@pytest.mark.parametrize("size, decoded",
                         [((2000, 1200), (1000, 600)), ((2001, 1201), (1001, 601)), ((900, 640), (450, 320))])
def test_a_jpeg_scan_decodes_once_at_the_finest_search_scale(tmp_path, size, decoded):
    path = tmp_path / "scan.jpg"
    Image.new("RGB", size, (120, 90, 60)).save(path)
    image, full = decode_for_search(path, 250_000_000, TileGrid())
    assert full == size and image.size == decoded and image.mode == "RGB"
    tiles = list(iter_tiles(image, TileGrid(), full))
    scaled = scaled_size(*size, 0.5)
    assert len(tiles) == tile_count(*size, TileGrid()) and tiles[0][1].shape[:2] == (scaled[1], scaled[0])


@pytest.mark.parametrize("content, reason", [(b"<html>not a scan</html>", "not an image"), (None, "truncated")])
def test_an_unreadable_scan_is_refused_with_its_reason(tmp_path, content, reason):
    path = tmp_path / "scan.jpg"
    Image.new("RGB", (800, 600), (10, 20, 30)).save(path)
    path.write_bytes(content if content is not None else path.read_bytes()[:2000])
    with pytest.raises(ImageError, match=reason):
        decode_for_search(path, 250_000_000, TileGrid())


def test_tiles_hold_the_scan_pixels_and_map_back_to_scan_coordinates():
    scan = Image.fromarray(np.random.default_rng(0).integers(0, 255, (700, 1500, 3), dtype=np.uint8))
    grid = TileGrid(tile=640, min_face_px=20)  # scale 1: tiles are crops of the scan itself
    first = [(t, p) for t, p in iter_tiles(scan, grid) if t.scale == 1.0]
    assert len(first) == len(plan_tiles(1500, 700, 1.0, grid))
    tile, pixels = first[-1]
    assert np.array_equal(pixels, np.asarray(scan)[tile.y0 : tile.y1, tile.x0 : tile.x1])
    assert tile.to_scan((1, 2, 3, 4)) == (tile.x0 + 1, tile.y0 + 2, tile.x0 + 3, tile.y0 + 4)


@pytest.mark.parametrize("params, expected", [(None, 20.0), (SearchParams(min_face_px=24), 24.0),
                                              (SearchParams(min_face_px=5), 12.0),
                                              (SearchParams(min_face_fraction=0.3), 0.3 * 400)])
def test_mtcnn_min_face_is_a_per_call_parameter(params, expected):
    assert min_face_for((400, 600, 3), 20, params) == pytest.approx(expected)


@pytest.mark.parametrize("name, faces",
                         [("group3_13.jpg", 3), ("ivan.jpg", 1), ("multiface.jpg", 6), ("no_face.jpg", 0)])
def test_yunet_finds_the_known_faces(yunet, shared, name, faces):
    image = np.asarray(Image.open(shared("testdata", "faces", name)).convert("RGB"))
    (found,) = yunet.detect_batch([image])
    assert len([d for d in found.detections if d.score >= 0.6]) == faces
    assert found.detector == "yunet" and found.weights_id.startswith("yunet-8f2383e4dd3c")


def test_yunet_boxes_stay_in_the_image_pixels_when_the_image_is_shrunk(yunet, shared):
    image = np.asarray(Image.open(shared("testdata", "faces", "group3_13.jpg")).convert("RGB"))
    (full,) = yunet.detect_batch([image])
    (small,) = yunet.detect_batch([image], SearchParams(max_side=640))
    pairs = [max(iou(tuple(map(round, a.box)),
                     tuple(map(round, b.box))) for b in small.detections) for a in full.detections]
    assert len(small.detections) == 3 and min(pairs) > 0.8


@pytest.mark.parametrize("model, why", [("", "no model file"), ("/nonexistent/yunet.onnx", "not found")])
def test_yunet_without_its_model_is_off_and_says_what_to_set(model, why):
    setup = load_proposal_detectors(("yunet",), model, "cpu")
    assert setup.detectors == () and why in setup.off["yunet"] and "DHF_YUNET_MODEL" in setup.off["yunet"]
    if model:
        with pytest.raises(WeightsMissingError, match="DHF_YUNET_MODEL"):
            build_yunet(model)


@pytest.mark.parametrize("style, expected",
                         [(TIGHT_STYLE, (100, 100, 200, 200)), (HEAD_STYLE, (68.0, 54.2, 232.0, 221.2))])
def test_restyle_maps_a_detector_box_to_the_annotators_box(style, expected):
    styled = restyle(Found((100, 100, 200, 200), 0.9, "yunet"), style)
    assert styled.box == pytest.approx(expected, abs=0.01)


@pytest.mark.parametrize("box, expected", [((10.2, 5.7, 20.1, 30.0), (10, 5, 21, 30)), ((-3, -1, 5, 5), (0, 0, 5, 5)),
                                           ((95, 10, 120, 20), (95, 10, 100, 20)), ((100, 10, 120, 20), None)])
def test_pixel_boxes_cover_the_box_and_stay_in_the_scan(box, expected):
    assert pixel_box(box, 100, 50) == expected


def test_merge_keeps_one_box_per_face_and_names_every_detector_that_found_it():
    found = [Found((100, 100, 200, 200), 0.99, "mtcnn"), Found((104, 98, 203, 205), 0.91, "yunet"),
             Found((102, 101, 199, 199), 0.95, "mtcnn"), Found((400, 100, 460, 160), 0.7, "yunet")]
    merged = merge(found, 1000, 1000, TIGHT_STYLE)
    assert [(m.box, m.detectors) for m in merged] == [((100, 100, 200, 200), ("mtcnn", "yunet")),
                                                      ((400, 100, 460, 160), ("yunet",))]
    assert merge([], 10, 10, HEAD_STYLE) == []


@pytest.mark.parametrize("box, status, words", [((100, 100, 200, 200), "annotated", "f1 (IoU 0.79)"),
                                                ((500, 500, 600, 600), "open", "best IoU 0.00")])
def test_a_proposal_on_an_annotated_box_is_annotated(box, status, words):
    annotated = (("f1", PixelBox(105, 95, 215, 200)),)
    assert status_of(box, annotated)[0] == status and words in status_of(box, annotated)[1]
    assert status_of(box, ()) == ("open", "the mural has no annotated box")


@pytest.mark.parametrize("other", [("C2", "m", (1, 2, 3, 4)), ("C", "m2", (1, 2, 3, 4)), ("C", "m", (1, 2, 3, 5))])
def test_proposal_ids_are_stable_and_differ_by_cave_mural_and_box(other):
    assert proposal_id_for("C", "m", (1, 2, 3, 4)) == proposal_id_for("C", "m", (1, 2, 3, 4))
    assert proposal_id_for("C", "m", (1, 2, 3, 4)) != proposal_id_for(*other)


@pytest.mark.parametrize("boxes", [[], [(0, 0, 10, 10)], [(5, 6, 120, 99), (200, 10, 399, 299)]])
def test_the_voc_file_reads_back_as_the_same_pixel_boxes(boxes):
    annotation = parse_voc_bytes(proposals_voc("a <&> b.jpg", 400, 300, boxes).encode())
    assert annotation.size == (400, 300) and {o.name for o in annotation.objects} <= {"face"}
    back = [voc_to_pixel_box(o, 400, 300).box for o in annotation.objects]
    assert [(b.xmin, b.ymin, b.xmax, b.ymax) for b in back] == boxes


class FailingOnce:
    """Fault injection: the real YuNet, except that its call on the second tile raises."""

    def __init__(self, detector) -> None:
        self.inner, self.calls, self.name, self.weights_id = detector, 0, detector.name, detector.weights_id

    def detect_batch(self, images, params=None):
        self.calls += 1
        if self.calls == 2:
            raise RuntimeError("out of memory in the tile")
        return self.inner.detect_batch(images, params)


@pytest.fixture(scope="module")
def south_wall(tmp_path_factory) -> Path:
    """MG045/south_wall of the sample: 1800 x 1200, 8 real faces and a cloud."""
    from dhf_assets.lib.sample.layout import MURALS
    from dhf_assets.lib.sample.render import mural_files

    (spec,) = [m for m in MURALS if (m.cave_id, m.mural_id) == ("MG045", "south_wall")]
    path = tmp_path_factory.mktemp("sample") / "south_wall.jpg"
    path.write_bytes(mural_files(spec)["murals/MG045/south_wall.jpg"])
    return path


def test_a_failing_tile_is_reported_and_the_other_tiles_are_searched(yunet):
    scan, grid = Image.fromarray(np.full((700, 1500, 3), 128, dtype=np.uint8)), TileGrid(tile=640)
    results = detect_tiles(iter_tiles(scan, grid), (FailingOnce(yunet),), grid)
    assert results.tiles == tile_count(1500, 700, grid) == 3 and len(results.failures) == 1
    assert "yunet failed: RuntimeError: out of memory in the tile" in results.failures[0][1]


@pytest.mark.parametrize("max_pixels, problem", [(250_000_000, None), (1_000_000, "decompression bomb refused")])
def test_propose_mural_finds_the_sample_faces_or_refuses_an_oversized_scan(yunet, south_wall, max_pixels, problem):
    from dhf_assets.lib.sample.build import sample_manifest

    path = south_wall
    real = [b.box for b in sample_manifest().face_boxes if (b.cave_id, b.mural_id) == ("MG045", "south_wall")]
    scan = MuralScan("MG045", "south_wall", path, (("f1", real[0]),))
    result = propose_mural(scan, (yunet,), TileGrid(), HEAD_STYLE, max_pixels)
    if problem:
        assert result.rows == [] and problem in result.problems[0].reason and result.problems[0].stage == "proposals"
        return
    boxes = [tuple(r[3:7]) for r in result.rows]
    assert all(max(iou((b.xmin, b.ymin, b.xmax, b.ymax), p) for p in boxes) >= 0.5 for b in real)
    assert len(boxes) == len(real) and [r[9] for r in result.rows].count("annotated") == 1


def test_mtcnn_searches_a_tile_down_to_the_grid_face_size(shared):
    image = np.asarray(Image.open(shared("testdata", "faces", "group3_13.jpg")).convert("RGB"))
    found = detect_tiles([(plan_tiles(933, 682, 1.0, TileGrid(tile=640))[0], image[:640, :640])],
                         (build_mtcnn(batch_size=1),), TileGrid(tile=640))
    assert len(found.found) == 2 and {f.detector for f in found.found} == {"mtcnn"}  # the third face is cut off

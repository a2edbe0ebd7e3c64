"""The bundled sample archive: deterministic, small, and saying truthfully what it holds.

The manifest is checked against the files by an independent reading of the archive (hardened VOC
parser, real image sizes, `voc_to_pixel_box`), and the painted faces against MTCNN.
"""

from __future__ import annotations

import csv
import hashlib
import subprocess
import sys
from collections import defaultdict
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, UnidentifiedImageError

from dhf_assets.lib.ingest.boxes import face_id_for, voc_to_pixel_box
from dhf_assets.lib.ingest.voc import VocError, parse_voc_file
from dhf_assets.lib.ingest.vocabulary import CAVE_STYLES, PERIODS, SITES, UNLABELLED_NAME, unknown_code_reason
from dhf_assets.lib.sample.build import CATEGORIES, TIERS, build_sample_archive, sample_manifest

REPO_ROOT = Path(__file__).resolve().parents[2]
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".tif", ".tiff"}
BOX_REASONS = {"not a number": "box_not_a_number", "zero or negative": "box_zero_size", "outside": "box_outside_image"}


@pytest.fixture(scope="module")
def archive(tmp_path_factory) -> Path:
    dest = tmp_path_factory.mktemp("sample") / "archive"
    build_sample_archive(dest)
    return dest


def _hashes(root: Path) -> dict[str, str]:
    return {
        path.relative_to(root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def _mural_image(root: Path, cave_id: str, mural_id: str) -> Image.Image:
    (path,) = [p for p in (root / "murals" / cave_id).glob(f"{mural_id}.*") if p.suffix in IMAGE_SUFFIXES]
    return Image.open(path).convert("RGB")


def test_rebuild_is_byte_identical_and_repairs(archive):
    before = _hashes(archive)
    untouched = archive / "murals" / "MG045" / "north_wall.jpg"
    mtime = untouched.stat().st_mtime_ns
    (archive / "caves.csv").write_text("cave_id\n")
    (archive / "murals" / "YL025" / "south_wall.xml").unlink()
    build_sample_archive(archive)
    assert _hashes(archive) == before
    assert untouched.stat().st_mtime_ns == mtime  # identical files are not rewritten


def test_fresh_process_builds_the_same_bytes(archive, tmp_path):
    dest = tmp_path / "again"
    subprocess.run([sys.executable, "-m", "dhf_assets.lib.sample.build", str(dest)], cwd=REPO_ROOT, check=True,
                   capture_output=True)
    assert _hashes(dest) == _hashes(archive)


def test_files_are_the_manifest_files_and_small(archive):
    manifest = sample_manifest()
    assert sorted(_hashes(archive)) == list(manifest.files)  # no temporary files left behind
    assert sum(p.stat().st_size for p in archive.rglob("*") if p.is_file()) < 8_000_000


def test_caves_and_mural_periods_use_vocabulary_codes(archive):
    with open(archive / "caves.csv", newline="") as handle:
        caves = list(csv.DictReader(handle))
    assert [row["cave_id"] for row in caves] == ["MG045", "MG220", "YL025"]
    for row in caves:
        assert row["site"] in SITES and row["period"] in PERIODS and row["cave_style"] in CAVE_STYLES
    cave_period = {row["cave_id"]: row["period"] for row in caves}
    with open(archive / "murals.csv", newline="") as handle:
        overrides = list(csv.DictReader(handle))
    assert overrides
    for row in overrides:
        assert row["period"] in PERIODS and row["period"] != cave_period[row["cave_id"]]
        assert (row["cave_id"], row["mural_id"]) in sample_manifest().murals


def _read_archive(root: Path) -> tuple[set, set]:
    """Valid boxes and bad inputs, found by reading the files (not the layout)."""
    valid, bad = set(), set()
    for cave_dir in sorted((root / "murals").iterdir()):
        stems: dict[str, list[Path]] = defaultdict(list)
        for path in cave_dir.iterdir():
            stems[path.stem].append(path)
        for mural_id, paths in sorted(stems.items()):
            rel = lambda p: p.relative_to(root).as_posix()  # noqa: E731
            images = [p for p in paths if p.suffix in IMAGE_SUFFIXES]
            xml = cave_dir / f"{mural_id}.xml"
            if len(images) > 1:
                bad |= {(rel(p), "duplicate_mural_id", None) for p in images}
                continue
            if not images:
                bad.add((rel(xml), "xml_without_image", None))
                continue
            if not xml.exists():
                bad.add((rel(images[0]), "image_without_xml", None))
                continue
            try:
                with Image.open(images[0]) as image:
                    image.load()
                    size = image.size
            except UnidentifiedImageError:
                bad.add((rel(images[0]), "not_an_image", None))
                continue
            except OSError:
                bad.add((rel(images[0]), "truncated_image", None))
                continue
            try:
                annotation = parse_voc_file(xml)
            except VocError as exc:
                bad.add((rel(xml), "hostile_xml" if "hostile" in str(exc) else "malformed_xml", None))
                continue
            if annotation.size != size:
                bad.add((rel(xml), "size_mismatch", None))
            seen = set()
            for obj in annotation.objects:
                result = voc_to_pixel_box(obj, *size)
                if result.box is None:
                    category = next(c for key, c in BOX_REASONS.items() if key in result.reason)
                elif obj.name != UNLABELLED_NAME and unknown_code_reason("identity", obj.name):
                    category = "unknown_identity"
                elif unknown_code_reason("orientation", obj.pose):
                    category = "unknown_pose"
                else:
                    face_id = face_id_for(cave_dir.name, mural_id, result.box)
                    category = "duplicate_box" if face_id in seen else None
                    seen.add(face_id)
                    if category is None:
                        valid.add((cave_dir.name, mural_id, obj.index, result.box, face_id))
                        continue
                bad.add((rel(xml), category, obj.item))
    return valid, bad


def test_manifest_agrees_with_the_files(archive):
    manifest = sample_manifest()
    valid, bad = _read_archive(archive)
    assert valid == {(b.cave_id, b.mural_id, b.index, b.box, b.face_id) for b in manifest.boxes}
    assert bad == {(b.path, b.category, b.item) for b in manifest.bad_files}
    counts = defaultdict(int)
    for cave_id, *_ in valid:
        counts[cave_id] += 1
    assert manifest.valid_box_counts() == dict(counts)
    assert len({b.face_id for b in manifest.boxes}) == len(manifest.boxes)


def test_every_bad_category_and_tier_is_present():
    manifest = sample_manifest()
    assert manifest.categories() == set(CATEGORIES)
    severities = {b.category: b.severity for b in manifest.bad_files}
    assert severities.pop("size_mismatch") == "warning" and severities.pop("image_without_xml") == "info"
    assert set(severities.values()) == {"error"}
    faces = manifest.face_boxes
    tiers = {tier: sum(b.tier == tier for b in faces) for tier in TIERS}
    assert tiers["small"] >= 3 and tiers["medium"] >= 3 and tiers["large"] >= 2
    assert len(manifest.non_face_boxes) >= 5
    assert {b.name for b in faces} >= {"B", "BS", "CM", "VW", "D", "DN", UNLABELLED_NAME}
    assert {b.pose for b in faces} >= {"Frontal", "Left", "Right", "Unspecified"}


def test_reviews(archive):
    manifest = sample_manifest()
    ids = {b.face_id for b in manifest.face_boxes}
    rows = []
    for path in sorted((archive / "reviews").glob("*.csv")):
        with open(path, newline="") as handle:
            rows += list(csv.DictReader(handle))
    assert [r["face_id"] for r in rows] == [r.face_id for r in manifest.reviews]
    assert sum(r["face_id"] not in ids for r in rows) == 1
    assert sum(r["subset"] == "500" for r in rows) >= 3 and any(r["decision"] == "reject" for r in rows)
    for row in rows:
        assert row["decision"] in ("accept", "reject") and row["subset"] in ("3k", "500", "")
        assert row["subset"] != "500" or row["tags"].split(";")[0]
        assert row["reviewer"] == "sample-curator"
        assert datetime.fromisoformat(row["reviewed_at"]).tzinfo is not None


def test_mirror_pairs_are_mirror_images(archive):
    boxes = {b.index: b for b in sample_manifest().boxes if (b.cave_id, b.mural_id) == ("MG045", "north_wall")}
    image = _mural_image(archive, "MG045", "north_wall")
    axis = image.width / 2
    for right, left in ((2, 3), (4, 5), (6, 7)):
        a, b = boxes[right].box, boxes[left].box
        assert (a.width, a.height) == (b.width, b.height)
        assert abs((a.xmin + a.xmax) / 2 + (b.xmin + b.xmax) / 2 - 2 * axis) <= 12
        crop_a = np.asarray(image.crop(a.as_tuple()), dtype=np.float32)
        crop_b = np.asarray(image.crop(b.as_tuple()), dtype=np.float32)
        mirrored = np.abs(crop_a - crop_b[:, ::-1]).mean()
        assert mirrored < 15 and mirrored < 0.5 * np.abs(crop_a - crop_b).mean()


def test_mtcnn_accepts_painted_faces_and_rejects_the_rest(archive):
    try:
        from dhf_assets.lib.runtime.torch_compat import ensure_torchvision

        ensure_torchvision()
        from facenet_pytorch import MTCNN
    except ImportError as exc:
        pytest.skip(f"MTCNN unavailable: {exc}")
    import torch

    detector = MTCNN(keep_all=True, device="cpu")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # small images: a second thread only adds contention on a shared CPU
    try:
        scores = _best_scores(detector, archive)
    finally:
        torch.set_num_threads(threads)
    for box, best in scores:
        assert (best >= 0.9) == box.is_face, (box, best)


def _best_scores(detector, archive: Path) -> list[tuple[object, float]]:
    images: dict[tuple[str, str], Image.Image] = {}
    scores = []
    for box in sample_manifest().boxes:
        key = (box.cave_id, box.mural_id)
        image = images.setdefault(key, _mural_image(archive, *key))
        found, probs = detector.detect(np.asarray(image.crop(box.box.as_tuple())))
        scores.append((box, 0.0 if found is None else float(max(probs))))
    return scores

"""Writing accepted proposals back as VOC files: the contract's format, atomic, no overwrite, merge."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from PIL import Image

from dhf_assets.lib.ingest.archive import scan_cave
from dhf_assets.lib.ingest.boxes import voc_to_pixel_box
from dhf_assets.lib.ingest.voc import parse_voc_file, render_voc
from dhf_assets.lib.proposals.decisions import ProposalDecision, append_decisions, proposals_file
from dhf_assets.lib.proposals.write_voc import overlaps, write_accepted

T0 = datetime(2026, 12, 1, tzinfo=timezone.utc)
CAVE = "MG045"


def archive_with(tmp_path: Path, annotated: dict[str, list[tuple[int, int, int, int]]]) -> Path:
    """murals m01 (no XML) and m02 (an XML with the given 1-based boxes), both 400x300."""
    folder = tmp_path / "murals" / CAVE
    folder.mkdir(parents=True)
    for mural in ("m01", "m02"):
        Image.new("RGB", (400, 300), (180, 150, 110)).save(folder / f"{mural}.jpg")
    for mural, boxes in annotated.items():
        objects = [{"name": "BS", "pose": "Left", "xmin": a, "ymin": b, "xmax": c, "ymax": d} for a, b, c, d in boxes]
        (folder / f"{mural}.xml").write_text(render_voc(f"{mural}.jpg", 400, 300, objects))
    return tmp_path


def decide(archive: Path, mural: str, *boxes: tuple[int, int, int, int], verdict: str = "accept", **kw) -> None:
    append_decisions(proposals_file(archive, CAVE), [
        ProposalDecision(f"{mural}-{verdict}-{i}", mural, verdict, box, "ana", decided_at=T0 + timedelta(seconds=i),
                         **kw)
        for i, box in enumerate(boxes)])


def pixel_boxes(path: Path) -> list[tuple[int, int, int, int]]:
    annotation = parse_voc_file(path)
    assert annotation.size == (400, 300)
    return [voc_to_pixel_box(o, 400, 300).box.as_tuple() for o in annotation.objects]  # type: ignore[union-attr]


@pytest.mark.parametrize("a, b, expected", [
    ((0, 0, 10, 10), (10, 0, 20, 10), False),  # half-open boxes that touch do not overlap
    ((0, 0, 10, 10), (9, 9, 20, 20), True),
    ((0, 0, 10, 10), (20, 20, 30, 30), False),
])
def test_overlaps(a, b, expected):
    assert overlaps(a, b) is expected and overlaps(b, a) is expected


def test_accepted_boxes_become_the_murals_voc_file(tmp_path):
    archive = archive_with(tmp_path, {})
    decide(archive, "m01", (0, 0, 50, 60), (100, 100, 400, 300), identity="CM", orientation="Right")
    decide(archive, "m01", (200, 10, 260, 70), verdict="reject")
    report = write_accepted(archive, CAVE)
    assert report.ok and [(m.mural_id, m.action, m.added) for m in report.murals] == [("m01", "written", 2)]
    xml = archive / "murals" / CAVE / "m01.xml"
    assert pixel_boxes(xml) == [(0, 0, 50, 60), (100, 100, 400, 300)]  # exact round trip through the contract
    assert [(o.name, o.pose) for o in parse_voc_file(xml).objects] == [("CM", "Right"), ("CM", "Right")]
    murals, problems = scan_cave(archive / "murals" / CAVE)
    assert {m.mural_id: m.voc_path for m in murals}["m01"] == xml
    assert [p for p in problems if p.severity != "info"] == []  # no stray temporary file
    again = write_accepted(archive, CAVE)  # an existing XML is never overwritten
    assert not again.ok and again.murals[0].action == "refused" and "--merge" in again.murals[0].reason


def test_merge_keeps_a_backup_and_adds_only_boxes_overlapping_nothing(tmp_path):
    archive = archive_with(tmp_path, {"m02": [(11, 21, 100, 120)]})  # pixels (10, 20, 100, 120)
    before = (archive / "murals" / CAVE / "m02.xml").read_bytes()
    decide(archive, "m02", (50, 50, 150, 150), (200, 200, 260, 280))
    report = write_accepted(archive, CAVE, merge=True)
    (outcome,) = report.murals
    assert (outcome.action, outcome.added) == ("merged", 1) and "overlaps a box already" in outcome.skipped[0]
    assert pixel_boxes(archive / "murals" / CAVE / "m02.xml") == [(10, 20, 100, 120), (200, 200, 260, 280)]
    backups = list((archive / "murals" / CAVE).glob(".m02.xml.bak-*"))
    assert len(backups) == 1 and backups[0].read_bytes() == before
    assert [p for p in scan_cave(archive / "murals" / CAVE)[1] if p.severity != "info"] == []
    rerun = write_accepted(archive, CAVE, merge=True)  # idempotent: nothing new, no second backup
    assert rerun.murals[0].action == "unchanged" and len(list((archive / "murals" / CAVE).glob(".m02*"))) == 1


@pytest.mark.parametrize("mural, box, action, reason", [
    ("gone", (0, 0, 10, 10), "missing", "no mural 'gone'"),
    ("m01", (0, 0, 500, 10), "unchanged", ""),  # outside the 400x300 scan: skipped, reported
])
def test_what_cannot_be_applied_is_reported(tmp_path, mural, box, action, reason):
    archive = archive_with(tmp_path, {})
    decide(archive, mural, box)
    (outcome,) = write_accepted(archive, CAVE).murals
    assert outcome.action == action and reason in outcome.reason
    assert not (archive / "murals" / CAVE / f"{mural}.xml").exists()
    assert action == "missing" or "outside the scan" in outcome.skipped[0]


def test_one_mural_only_and_unsafe_cave_id(tmp_path):
    archive = archive_with(tmp_path, {})
    decide(archive, "m01", (0, 0, 10, 10))
    decide(archive, "m02", (0, 0, 10, 10))
    assert [m.mural_id for m in write_accepted(archive, CAVE, "m02").murals] == ["m02"]
    with pytest.raises(ValueError):
        write_accepted(archive, "../x")


def test_cli_writes_then_refuses_then_merges(tmp_path, monkeypatch, capsys):
    from dhf_assets.cli import main

    archive = archive_with(tmp_path, {})
    decide(archive, "m01", (0, 0, 50, 60))
    monkeypatch.setenv("DHF_ARCHIVE_DIR", str(archive))
    assert main(["proposals", "write", "--cave", CAVE]) == 0
    assert "m01: written, 1 box(es) added" in capsys.readouterr().out
    assert main(["proposals", "write", "--cave", CAVE, "--mural", "m01"]) == 1
    assert "--merge" in capsys.readouterr().err
    assert main(["proposals", "write", "--cave", CAVE, "--merge"]) == 0
    assert "m01: unchanged" in capsys.readouterr().out
    assert main(["proposals", "write", "--cave", "../etc"]) == 2

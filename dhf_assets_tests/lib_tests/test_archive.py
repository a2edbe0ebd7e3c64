import os

import pytest

from dhf_assets.lib.ingest.archive import list_cave_dirs, read_caves, read_mural_periods, scan_cave
from dhf_assets_tests.archive_factory import write_caves, write_mural


def test_read_caves_refuses_unknown_codes_naming_line_and_code(tmp_path):
    write_caves(tmp_path, [("A1", "MC", "FD", "IDRS"), ("B2", "MC", "XX", "IDRS"), ("C3", "ZZ", "HT", "DS")])
    valid, refused = read_caves(tmp_path / "caves.csv")
    assert list(valid) == ["A1"]
    assert "caves.csv line 3: cave B2" in refused["B2"] and "unknown period code 'XX'" in refused["B2"]
    assert "unknown site code 'ZZ'" in refused["C3"]


@pytest.mark.parametrize(
    "rows, reason",
    [
        ([("A1", "MC", "FD", "IDRS"), ("A1", "MC", "FD", "IDRS")], "listed twice"),
        ([("../x", "MC", "FD", "IDRS")], "not a safe name"),
    ],
)
def test_read_caves_refuses_bad_ids(tmp_path, rows, reason):
    write_caves(tmp_path, rows)
    valid, refused = read_caves(tmp_path / "caves.csv")
    assert not valid and reason in next(iter(refused.values()))


def test_missing_column_is_an_error(tmp_path):
    (tmp_path / "caves.csv").write_text("cave_id,site\nA1,MC\n")
    with pytest.raises(ValueError, match="lacks the column"):
        read_caves(tmp_path / "caves.csv")


def test_mural_period_overrides(tmp_path):
    (tmp_path / "murals.csv").write_text("cave_id,mural_id,period\nA1,m1,WX\nA1,m2,QQ\nB2,m1,FD\n")
    overrides, problems = read_mural_periods(tmp_path / "murals.csv", "A1")
    assert overrides == {"m1": "WX"}
    assert problems[0].item == "line 3" and "unknown period code 'QQ'" in problems[0].reason


def test_scan_pairs_by_stem_and_reports_the_rest(tmp_path):
    write_mural(tmp_path, "A1", "good", (40, 30), [])
    write_mural(tmp_path, "A1", "noxml", (40, 30), None)
    write_mural(tmp_path, "A1", "dup", (40, 30), [])
    write_mural(tmp_path, "A1", "dup", (40, 30), None, suffix=".png")
    folder = tmp_path / "murals" / "A1"
    (folder / "orphan.xml").write_text("<annotation/>")
    (folder / "notes.txt").write_text("hello")
    (folder / "bad name!.jpg").write_bytes(b"x")
    (folder / "sub").mkdir()
    os.symlink("/etc/passwd", folder / "link.jpg")
    (folder / ".hidden.jpg").write_bytes(b"x")
    murals, problems = scan_cave(folder)
    assert [(m.mural_id, m.voc_path is not None) for m in murals] == [("good", True), ("noxml", False)]
    reasons = {(p.file, p.severity): p.reason for p in problems}
    assert "duplicate mural id 'dup'" in reasons[("dup.jpg", "error")]
    assert "duplicate mural id 'dup'" in reasons[("dup.png", "error")]
    assert "mural id is duplicated" in reasons[("dup.xml", "error")]
    assert reasons[("orphan.xml", "error")] == "annotation without an image"
    assert reasons[("noxml.jpg", "info")] == "no annotation file yet: no faces"
    assert "unsupported file type .txt" in reasons[("notes.txt", "error")]
    assert "unsafe mural id" in reasons[("bad name!.jpg", "error")]
    assert "unexpected folder" in reasons[("sub", "error")]
    assert "symbolic link not followed" in reasons[("link.jpg", "error")]
    assert not any(p.file == ".hidden.jpg" for p in problems)


def test_list_cave_dirs(tmp_path):
    for name in ("B2", "A1", "bad name"):
        (tmp_path / "murals" / name).mkdir(parents=True)
    (tmp_path / "murals" / "file.txt").write_text("")
    assert list_cave_dirs(tmp_path) == ["A1", "B2"]
    assert list_cave_dirs(tmp_path / "nowhere") == []

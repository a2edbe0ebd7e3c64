import os

import pytest

from dhf_assets.lib.reviews.quiet import caves_still_reviewed, quiet_seconds, review_file_quiet


@pytest.mark.parametrize("age_s, quiet_s, quiet", [(10, 180, False), (179, 180, False), (180, 180, True),
                                                   (3600, 180, True), (0, 0, True)])
def test_review_file_quiet(tmp_path, age_s, quiet_s, quiet):
    (tmp_path / "reviews").mkdir()
    path = tmp_path / "reviews" / "A1.csv"
    path.write_text("face_id,decision,subset,tags,reviewer,reviewed_at\n")
    os.utime(path, (1_000_000, 1_000_000))
    assert review_file_quiet(tmp_path, "A1", quiet_s, now=1_000_000 + age_s) is quiet


def test_a_cave_without_review_file_is_quiet_and_the_setting_is_read(tmp_path, monkeypatch):
    assert review_file_quiet(tmp_path, "A1", 180)
    (tmp_path / "reviews").mkdir()
    (tmp_path / "reviews" / "B2.csv").write_text("x\n")
    assert caves_still_reviewed(tmp_path, ["A1", "B2"]) == ["B2"]
    monkeypatch.setenv("DHF_REVIEW_QUIET_S", "0")
    assert quiet_seconds() == 0.0 and caves_still_reviewed(tmp_path, ["A1", "B2"]) == []

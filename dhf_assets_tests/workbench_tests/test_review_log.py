"""The server's incremental reading of a review file that other processes append to."""

from dhf_assets.lib.reviews.writer import ReviewEntry, append_entries
from dhf_assets.workbench.review_log import ReviewLog

V1 = "face_id,decision,subset,tags,reviewer,reviewed_at\n"


def test_only_appended_lines_are_parsed_and_a_torn_line_waits(tmp_path):
    path = tmp_path / "A1.csv"
    log = ReviewLog(path, "A1")
    assert log.refresh() == []  # no file yet
    path.write_text(V1 + "f1,accept,3k,,li,2024-05-01\nf2,rej")
    assert [d.face_id for d in log.refresh()] == ["f1"]
    with path.open("a") as handle:
        handle.write("ect,,,li,2024-05-01\n")  # the torn line is completed by its writer
    assert [(d.face_id, d.decision) for d in log.refresh()] == [("f2", "reject")]
    assert log.refresh() == []
    append_entries(path, [ReviewEntry("f3", "correct", "li", identity="B")])  # upgrade to v2: a new file
    assert [d.face_id for d in log.refresh()] == ["f1", "f2", "f3"] and [d.face_id for d in log.decisions] == [
        "f1",
        "f2",
        "f3",
    ]
    assert log.decisions[2].identity == "B" and log.problems == 0

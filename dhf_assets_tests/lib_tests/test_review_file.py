"""Review file v2: undo, corrections, durable appends under a lock, torn last lines."""

import multiprocessing
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from dhf_assets.lib.reviews.reader import COLUMNS_V2, current_corrections, current_decisions, read_review_file
from dhf_assets.lib.reviews.state import review_state
from dhf_assets.lib.reviews.writer import ReviewEntry, append_entries

V1 = "face_id,decision,subset,tags,reviewer,reviewed_at\n"
T0 = datetime(2026, 11, 2, 10, tzinfo=timezone.utc)


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def test_new_file_gets_the_v2_header_and_reads_back(tmp_path):
    path = tmp_path / "A.csv"
    append_entries(path, [ReviewEntry("f1", "accept", "ana", subset="500", tags=("crown", "serene"), reviewed_at=at(0)),
                          ReviewEntry("f2", "correct", "ana", identity="BS", orientation="left", reviewed_at=at(1))])
    assert path.read_text().splitlines()[0] == ",".join(COLUMNS_V2)
    decisions, problems = read_review_file(path, "A")
    assert problems == []
    assert [(d.face_id, d.decision, d.tags, d.identity, d.orientation) for d in decisions] == [
        ("f1", "accept", ("crown", "serene"), None, None), ("f2", "correct", (), "BS", "Left")]


def test_six_column_file_stays_valid_and_is_upgraded_only_for_a_correction(tmp_path):
    path = tmp_path / "A.csv"
    path.write_text(V1 + "f1,accept,3k,,li,2024-05-01\n")
    append_entries(path, [ReviewEntry("f2", "reject", "li", reviewed_at=at(0))])
    assert path.read_text().splitlines()[0] == V1.strip()  # no correction: the header is kept
    append_entries(path, [ReviewEntry("f1", "correct", "li", identity="D", reviewed_at=at(1))])
    lines = path.read_text().splitlines()
    assert lines[0] == ",".join(COLUMNS_V2) and lines[1] == "f1,accept,3k,,li,2024-05-01,,"
    decisions, problems = read_review_file(path, "A")
    assert problems == [] and [d.face_id for d in decisions] == ["f1", "f2", "f1"]


def test_missing_final_newline_is_repaired_before_appending(tmp_path):
    path = tmp_path / "A.csv"
    path.write_text(V1 + "f1,accept,3k,,li,2024-05-01")  # saved without a final newline
    decisions, problems = read_review_file(path, "A")
    assert decisions == [] and [(p.item, p.severity) for p in problems] == [("last line", "info")]
    append_entries(path, [ReviewEntry("f2", "reject", "li", reviewed_at=at(0))])
    decisions, problems = read_review_file(path, "A")
    assert problems == [] and [d.face_id for d in decisions] == ["f1", "f2"]


def test_torn_last_line_is_ignored_and_reported_once(tmp_path):
    path = tmp_path / "A.csv"
    path.write_text(V1 + "f1,accept,3k,,li,2024-05-01\nf2,acc")
    decisions, problems = read_review_file(path, "A")
    assert [d.face_id for d in decisions] == ["f1"]
    assert len(problems) == 1 and "unterminated" in problems[0].reason and problems[0].quarantine().severity == "info"


@pytest.mark.parametrize("entry, message", [
    (ReviewEntry("f1", "accept", "ana"), "accept needs subset"),
    (ReviewEntry("f1", "accept", "ana", subset="500"), "needs a tag"),
    (ReviewEntry("f1", "maybe", "ana"), "unknown decision"),
    (ReviewEntry("f1", "correct", "ana", identity="XX"), "unknown identity"),
    (ReviewEntry("f1", "correct", "ana", orientation="Up"), "unknown orientation"),
    (ReviewEntry("f1", "correct", "ana"), "nothing to correct"),
    (ReviewEntry("f1", "reject", "auto"), "reviewer"),
    (ReviewEntry("f1", "accept", "ana", subset="500", tags=("a;b",)), "tag"),
])
def test_invalid_entries_write_nothing(tmp_path, entry, message):
    path = tmp_path / "A.csv"
    with pytest.raises(ValueError, match=message):
        append_entries(path, [entry])
    assert not path.exists()


def _append_many(path: str, reviewer: str, count: int) -> None:
    for number in range(count):
        append_entries(Path(path), [ReviewEntry(f"{reviewer}{number}", "reject", reviewer)])


def test_two_processes_appending_lose_nothing(tmp_path):
    path = tmp_path / "A.csv"
    path.write_text(V1)  # a v1 file: one writer's correction upgrades it while the other appends
    context = multiprocessing.get_context("fork")
    workers = [context.Process(target=_append_many, args=(str(path), name, 150)) for name in ("ana", "bo")]
    for worker in workers:
        worker.start()
    append_entries(path, [ReviewEntry("x", "correct", "cy", identity="B")])
    for worker in workers:
        worker.join(30)
    decisions, problems = read_review_file(path, "A")
    assert problems == []
    expected = [f"ana{i}" for i in range(150)] + [f"bo{i}" for i in range(150)] + ["x"]
    assert sorted(d.face_id for d in decisions) == sorted(expected)


def _decision_rows(path: Path, rows: list[str]) -> Path:
    path.write_text(",".join(COLUMNS_V2) + "\n" + "".join(r + "\n" for r in rows))
    return path


def test_undo_makes_a_face_undecided_and_never_auto_accepted(tmp_path):
    path = _decision_rows(tmp_path / "A.csv", [
        "f1,accept,3k,,ana,2026-11-02T10:00:00,,", "f1,undo,,,ana,2026-11-02T10:01:00,,",
        "f2,accept,500,gold,ana,2026-11-02T10:00:00,,"])
    candidates = {"f1": ("candidate", 0.999), "f2": ("candidate", 0.99), "f3": ("candidate", 0.999)}
    state = review_state("A", path, [], candidates, auto_min_score=0.9)
    assert [r[0] for r in state.reviews] == ["f2", "f3"]  # f1 undecided, f3 auto-accepted
    assert [r[0] for r in state.subset_3k] == ["f2", "f3"] and len(state.new_history) == 3


def test_corrections_make_effective_labels_and_latest_wins(tmp_path):
    path = _decision_rows(tmp_path / "A.csv", [
        "f1,correct,,,ana,2026-11-02T10:00:00,D,", "f1,correct,,,bo,2026-11-02T10:05:00,BS,",
        "f2,accept,3k,,ana,2026-11-02T10:00:00,,right", "ghost,correct,,,ana,2026-11-02T10:00:00,B,"])
    labels = {"f1": (None, "Frontal"), "f2": ("CM", "Frontal"), "f3": ("O", "Left")}
    candidates = {f: ("candidate", 0.99) for f in labels}
    state = review_state("A", path, [], candidates, None, labels)
    assert state.labels == [
        ("f1", "A", "BS", "Frontal", "review:bo", "voc", None, "Frontal"),
        ("f2", "A", "CM", "Right", "voc", "review:ana", "CM", "Frontal"),
        ("f3", "A", "O", "Left", "voc", "voc", "O", "Left"),
    ]
    assert state.corrected == 2 and [r[0] for r in state.reviews] == ["f2"]  # a correct row decides nothing
    assert any("correction for unknown face_id 'ghost'" in p.reason for p in state.problems)
    # the history alone gives the same answer once the file is gone
    again = review_state("A", tmp_path / "gone.csv", state.new_history, candidates, None, labels)
    assert again.labels == state.labels and again.new_history == []


def test_current_decisions_ignore_corrections():
    decisions, _ = read_review_file(_decision_rows(Path("/tmp") / f"dhf-{id(object())}.csv", [
        "f1,reject,,,ana,2026-11-02T10:00:00,,", "f1,correct,,,ana,2026-11-02T10:09:00,B,"]), "A")
    assert current_decisions(decisions)["f1"].decision == "reject"
    assert current_corrections(decisions)["f1"]["identity"].identity == "B"

import hashlib
from datetime import datetime, timezone

import pytest

from dhf_assets.lib.reviews.reader import (
    MAX_FILE_BYTES,
    ReviewDecision,
    ReviewRow,
    auto_accept,
    current_decisions,
    parse_reviewed_at,
    parse_tags,
    read_review_file,
    reconcile,
    review_csv_template,
    subsets,
)

HEADER = "face_id,decision,subset,tags,reviewer,reviewed_at\n"
UTC = timezone.utc


def write(tmp_path, body: str, header: str = HEADER):
    path = tmp_path / "MC_045.csv"
    path.write_text(header + body, encoding="utf-8")
    return path


def decision(face_id, verdict="accept", subset="3k", tags=(), when="2024-05-01", reviewer="li", row=2):
    return ReviewDecision(face_id, verdict, subset, tuple(tags), reviewer, parse_reviewed_at(when), "MC_045", row)


def test_good_file_is_read_with_row_numbers_and_sha(tmp_path):
    path = write(tmp_path, "f1,accept,3k,,li,2024-05-01\nf2,reject,500,,wang,2024-05-02T10:00:00+08:00\n")
    decisions, problems = read_review_file(path, "MC_045")
    assert problems == []
    assert [(d.face_id, d.decision, d.subset, d.source_row) for d in decisions] == [
        ("f1", "accept", "3k", 2), ("f2", "reject", None, 3)]  # a reject's subset is ignored
    assert decisions[0].reviewed_at == datetime(2024, 5, 1, tzinfo=UTC)
    assert decisions[1].reviewed_at == datetime(2024, 5, 2, 2, tzinfo=UTC)
    assert decisions[0].source_sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2024-05-01", datetime(2024, 5, 1, tzinfo=UTC)),
        ("2024-05-01T12:30:00", datetime(2024, 5, 1, 12, 30, tzinfo=UTC)),  # naive means UTC
        ("2024-05-01T12:30:00Z", datetime(2024, 5, 1, 12, 30, tzinfo=UTC)),
        ("2024-05-01T12:30:00-02:00", datetime(2024, 5, 1, 14, 30, tzinfo=UTC)),
        ("01/05/2024", None), ("2024-13-01", None), ("", None), ("9999-12-31T23:00:00-05:00", None),
    ],
)
def test_reviewed_at(text, expected):
    assert parse_reviewed_at(text) == expected


@pytest.mark.parametrize(
    "text, tags",
    [("", ()), (" gold leaf ; damaged;", ("gold leaf", "damaged")), ("a;;a; b ;a", ("a", "b")), ("; ;", ())],
)
def test_tags(text, tags):
    assert parse_tags(text) == tags


@pytest.mark.parametrize(
    "row, reason",
    [
        ("f9,maybe,3k,,li,2024-05-01", "unknown decision 'maybe'"),
        ("f9,accept,3k,,li,yesterday", "reviewed_at 'yesterday' is not an ISO 8601"),
        ("f9,accept,500,,li,2024-05-01", "subset 500 needs at least one tag"),
        ("f9,accept,500, ; ,li,2024-05-01", "subset 500 needs at least one tag"),
        ("f9,accept,,,li,2024-05-01", "accept needs subset 3k or 500"),
        (",accept,3k,,li,2024-05-01", "face_id is missing"),
        ("f9,accept,3k,,,2024-05-01", "reviewer is missing"),
        ("f9,accept,3k,,auto,2024-05-01", "reserved for automatic acceptance"),
        ("f9,accept,3k,,li", "5 fields, expected 6"),
    ],
)
def test_bad_row_is_a_problem_and_good_rows_still_count(tmp_path, row, reason):
    path = write(tmp_path, f"f1,accept,3k,,li,2024-05-01\n{row}\nf2,reject,,,li,2024-05-01\n")
    decisions, problems = read_review_file(path, "MC_045")
    assert [d.face_id for d in decisions] == ["f1", "f2"]
    assert len(problems) == 1 and problems[0].item == "row 3" and reason in problems[0].reason
    assert problems[0].quarantine().stage == "review"


def test_several_reasons_of_one_row_are_reported_together(tmp_path):
    _, problems = read_review_file(write(tmp_path, "f1,yes,3k,,,never\n"), "MC_045")
    assert problems[0].reason.count(";") == 2


@pytest.mark.parametrize(
    "header",
    ["face_id,decision,subset,tags,reviewer\n", "face_id,decision,subset,tags,reviewer,reviewed_at,extra\n",
     "face_id,face_id,subset,tags,reviewer,reviewed_at\n", ""],
)
def test_wrong_column_set_is_one_problem(tmp_path, header):
    decisions, problems = read_review_file(write(tmp_path, "f1,accept,3k,,li,2024-05-01\n", header), "MC_045")
    assert decisions == [] and [p.item for p in problems] == ["header"]


def test_header_in_another_order_with_bom_and_crlf_is_fine(tmp_path):
    path = tmp_path / "MC_045.csv"
    path.write_bytes("\ufeffReviewer,face_id,decision,subset,tags,reviewed_at\r\nli,f1,accept,500,gold,2024-05-01\r\n"
                     .encode("utf-8"))
    decisions, problems = read_review_file(path, "MC_045")
    assert problems == [] and decisions[0].tags == ("gold",) and decisions[0].reviewer == "li"


@pytest.mark.parametrize(
    "content, reason",
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe", "binary file"),
        (HEADER.encode() + b"f1,accept,3k,,li,2024-05-01\x00\n", "binary file"),
        (HEADER.encode() + b"f1,accept,3k,,li,\xff\xfe\n", "not UTF-8"),
    ],
)
def test_hostile_files_are_problems_not_exceptions(tmp_path, content, reason):
    path = tmp_path / "MC_045.csv"
    path.write_bytes(content)
    decisions, problems = read_review_file(path, "MC_045")
    assert decisions == [] and problems[0].item == "file" and reason in problems[0].reason


def test_huge_file_is_refused_without_reading_it_all(tmp_path):
    path = tmp_path / "MC_045.csv"
    with path.open("wb") as handle:
        handle.write(HEADER.encode())
        handle.truncate(MAX_FILE_BYTES + 10)  # sparse: large on paper, cheap on disk
    decisions, problems = read_review_file(path, "MC_045")
    assert decisions == [] and "byte limit" in problems[0].reason


def test_oversized_field_keeps_rows_before_it(tmp_path):
    path = write(tmp_path, "f1,accept,3k,,li,2024-05-01\n" + '"' + "x" * 200_000 + '",accept,3k,,li,2024-05-01\n')
    decisions, problems = read_review_file(path, "MC_045")
    assert [d.face_id for d in decisions] == ["f1"] and "unreadable CSV" in problems[0].reason


@pytest.mark.parametrize("path_kind", ["missing", "directory"])
def test_unreadable_path_is_a_problem(tmp_path, path_kind):
    path = tmp_path / "MC_045.csv"
    if path_kind == "directory":
        path.mkdir()
    decisions, problems = read_review_file(path, "MC_045")
    assert decisions == [] and problems[0].item == "file"


def test_template_round_trips_and_unreviewed_rows_are_skipped_quietly(tmp_path):
    text = review_csv_template(["f1", "f,2", 'f"3'])
    assert text.splitlines()[0] == HEADER.strip() + ",identity,orientation"  # format v2
    path = tmp_path / "MC_045.csv"
    path.write_text(text.replace("f1,,3k,,,,,", "f1,accept,3k,,li,2024-05-01,,"), encoding="utf-8")
    decisions, problems = read_review_file(path, "MC_045")
    assert problems == [] and [d.face_id for d in decisions] == ["f1"]


def test_latest_decision_wins_and_both_stay_in_history(tmp_path):
    body = "f1,accept,500,gold,li,2024-05-03\nf1,reject,,,wang,2024-05-01\nf2,accept,3k,,li,2024-05-01\n"
    path = write(tmp_path, body)
    decisions, _ = read_review_file(path, "MC_045")
    assert [d.decision for d in decisions if d.face_id == "f1"] == ["accept", "reject"]  # history kept
    current = current_decisions(decisions)
    assert current["f1"].decision == "accept" and current["f1"].reviewer == "li"
    assert set(current) == {"f1", "f2"}


def test_tie_on_reviewed_at_goes_to_the_later_row():
    first, second = decision("f1", "accept", row=2), decision("f1", "reject", None, row=5)
    assert current_decisions([second, first])["f1"].decision == "reject"
    assert current_decisions([first, second])["f1"].decision == "reject"


def test_human_decision_outranks_a_later_auto_one():
    human = decision("f1", "reject", None, when="2020-01-01")
    (auto,) = auto_accept([("f1", 0.99)], 0.9, set(), now=datetime(2030, 1, 1, tzinfo=UTC))
    assert current_decisions([auto, human])["f1"] is human


def test_reconcile_reports_unknown_faces_and_flags_overrides():
    current = current_decisions([decision("f1"), decision("f2", row=3), decision("gone", row=4),
                                 decision("f3", "reject", None, row=5)])
    rows, problems = reconcile(current, {"f1": "candidate", "f2": "dropped", "f3": "candidate"})
    assert {(r.decision.face_id, r.crop_status, r.override) for r in rows} == {
        ("f1", "candidate", False), ("f2", "dropped", True), ("f3", "candidate", False)}
    assert len(problems) == 1 and problems[0].face_id == "gone" and problems[0].item == "row 4"
    assert "decision for unknown face_id 'gone' (face no longer exists or never existed)" == problems[0].reason


def test_subsets_500_is_inside_3k():
    current = [decision("a", subset="500", tags=["gold"]), decision("b"), decision("c", "reject", None),
               decision("d", subset="500", tags=["halo", "gold"])]
    subset_3k, subset_500 = subsets(ReviewRow(d, "candidate", False) for d in current)
    assert subset_3k == ["a", "b", "d"]
    assert subset_500 == [("a", ("gold",)), ("d", ("halo", "gold"))]
    assert {face for face, _ in subset_500} <= set(subset_3k)


def test_auto_accept_skips_human_decided_and_low_scores():
    now = datetime(2024, 6, 1, tzinfo=UTC)
    autos = auto_accept([("a", 0.99), ("b", 0.98), ("c", 0.5), ("d", 0.95), ("e", float("nan"))], 0.95, {"b"},
                        now=now, cave_id="MC_045")
    assert [d.face_id for d in autos] == ["a", "d"]  # at min_score is enough
    assert all(d.reviewer == "auto" and d.subset == "3k" and d.source_row is None and d.reviewed_at == now
               for d in autos)

"""The proposals decision file: appended durably, the latest decision per proposal wins, never raises."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from dhf_assets.lib.proposals.decisions import ProposalDecision, append_decisions, proposals_file, read_decisions

T0 = datetime(2026, 12, 1, 10, 0, tzinfo=timezone.utc)


def decision(pid: str = "p1", verdict: str = "accept", minutes: int = 0, **kw) -> ProposalDecision:
    values = {"mural_id": "m01", "box": (10, 20, 110, 140), "reviewer": "ana",
              "decided_at": T0 + timedelta(minutes=minutes)}
    values.update(kw)
    return ProposalDecision(pid, decision=verdict, **values)  # type: ignore[arg-type]


@pytest.mark.parametrize("sequence, expected", [
    ([("accept", 0), ("reject", 1)], "reject"),
    ([("reject", 1), ("accept", 0)], "reject"),  # an older decision appended later does not win
    ([("accept", 0), ("reject", 0), ("accept", 0)], "accept"),  # same time: the later line wins
])
def test_latest_decision_wins(tmp_path, sequence, expected):
    path = proposals_file(tmp_path, "MG045")
    for verdict, minutes in sequence:
        append_decisions(path, [decision(verdict=verdict, minutes=minutes)])
    log = read_decisions(path)
    assert log.problems == [] and len(log.decisions) == len(sequence)
    assert log.latest()["p1"].decision == expected


@pytest.mark.parametrize("bad, reason", [
    (decision(verdict="maybe"), "unknown decision"),
    (decision(box=(50, 20, 40, 140)), "not a box"),
    (decision(identity="XX"), "unknown identity"),
    (decision(orientation="Up"), "unknown orientation"),
    (decision(reviewer="auto"), "reviewer name"),
    (decision(reviewer="a\nb"), "line break"),
])
def test_invalid_decisions_write_nothing(tmp_path, bad, reason):
    path = tmp_path / "p.csv"
    with pytest.raises(ValueError, match=reason):
        append_decisions(path, [decision("ok"), bad])
    assert not path.exists()


def test_adjusted_box_labels_and_orientation_case_round_trip(tmp_path):
    path = tmp_path / "p.csv"
    append_decisions(path, [decision(box=(1, 2, 3, 4), identity="BS", orientation="frontal")])
    (kept,) = read_decisions(path).decisions
    assert (kept.box, kept.identity, kept.orientation, kept.line) == ((1, 2, 3, 4), "BS", "Frontal", 2)


def test_torn_last_line_is_ignored_then_repaired_and_bad_rows_reported(tmp_path):
    path = tmp_path / "p.csv"
    append_decisions(path, [decision("p1")])
    with path.open("a") as handle:
        handle.write("p2,m01,accept,1,2,x,4,,,ana,2026-12-01T10:00:00+00:00\np3,m01,acc")  # bad box, torn line
    log = read_decisions(path)
    assert [d.proposal_id for d in log.decisions] == ["p1"]
    assert log.problems == ["line 3: a box coordinate is not an integer"]
    append_decisions(path, [decision("p4")])  # the torn line gets its newline: p4 stays whole
    log = read_decisions(path)
    assert [d.proposal_id for d in log.decisions] == ["p1", "p4"] and len(log.problems) == 2


def test_missing_file_and_wrong_header(tmp_path):
    assert read_decisions(tmp_path / "none.csv").decisions == []
    path = tmp_path / "p.csv"
    path.write_text("face_id,decision\nx,accept\n")
    assert read_decisions(path).problems[0].startswith("line 1: missing column(s) proposal_id")

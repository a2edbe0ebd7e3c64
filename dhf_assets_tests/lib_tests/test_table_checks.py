"""The per-cave GX rules that moved from schema.yml: each passes on good rows and names the bad row; a passing
result is reused only while exactly its input (rows, vocabulary, check definition) is unchanged."""

import dataclasses
import subprocess
import sys

import pandas as pd
import pytest

from dhf_assets.lib.checks import reuse
from dhf_assets.lib.checks.table_checks import CHECKS, run_table_checks
from dhf_assets.lib.ingest.vocabulary import vocabulary_rows
from dhf_assets.lib.storage import db

FACE = ("face_id", "cave_id", "mural_id", "object_index", "xmin", "ymin", "xmax", "ymax", "width", "height",
        "orientation", "crop_path", "sha256")
GOOD = [
    "insert into caves values ('C1', 'MC', 'HT', 'IDRS')",
    "insert into murals (cave_id, mural_id, path, sha256, width, height, format, exif_orientation, period,"
    " period_source) values ('C1', 'm1', 'murals/C1/m1.png', 's', 100, 100, 'PNG', 1, 'HT', 'cave')",
    f"insert into faces ({', '.join(FACE)})"
    " values ('fa', 'C1', 'm1', 0, 0, 0, 9, 9, 9, 9, 'Frontal', 'crops/fa.png', 's')",
    "insert into face_labels values ('fa', 'C1', 'BS', 'Left', 'review:ana', 'review:ana', null, 'Frontal')",
    "insert into face_reviews (face_id, cave_id, decision, subset, reviewer, crop_status, override)"
    " values ('fa', 'C1', 'accept', '3k', 'ana', 'candidate', false)",
    "insert into subset_3k values ('fa', 'C1', 'ana')",
    "insert into backend_quality (face_id, cave_id, backend, tier, band, reused)"
    " values ('fa', 'C1', 'lanczos', 'two_stage', '~512', false)",
]


@pytest.fixture
def database(tmp_path):
    path = tmp_path / "dhf.duckdb"
    with db.write_connection(path) as con:
        con.executemany("insert into vocabulary values (?, ?, ?)", vocabulary_rows())
        for statement in GOOD:
            con.execute(statement)
    return path


def run_table_check(check, *args, **kwargs):
    return run_table_checks([check], *args, **kwargs)[0]


def outcomes(database, tmp_path, name):
    check = next(c for c in CHECKS if c.name == name)
    return run_table_check(check, database, tmp_path, "C1", reuse_passed=False).outcomes


# The failing expectation is named by its column; each is a value-set expectation.
@pytest.mark.parametrize(("check", "tamper", "failing", "offending"), [
    ("murals_valid", "update murals set period_source = 'guess'", "period_source", "m1"),
    ("face_labels_valid", "update face_labels set orientation = 'Upside'", "orientation", "fa"),
    ("face_labels_valid", "update face_labels set identity = 'XX'", "identity", "fa"),
    ("face_reviews_valid", "update face_reviews set decision = 'maybe'", "decision", "fa"),
    ("face_reviews_valid", "update face_reviews set face_id = 'ghost'", "face_known", "ghost"),
    ("backend_quality_valid", "update backend_quality set backend = 'bicubic'", "backend", "fa"),
    ("backend_quality_valid", "delete from subset_3k", "in_3k", "fa"),
])
def test_a_moved_rule_names_the_bad_row(database, tmp_path, check, tamper, failing, offending):
    assert all(o.passed for o in outcomes(database, tmp_path, check))
    with db.write_connection(database) as con:
        con.execute(tamper)
    failed = {o.column: o for o in outcomes(database, tmp_path, check) if not o.passed}
    assert list(failed) == [failing] and failed[failing].expectation == "ExpectColumnValuesToBeInSet"
    assert offending in {value for row in failed[failing].offending for value in row.values()}


def check_named(name):
    return next(c for c in CHECKS if c.name == name)


@pytest.mark.parametrize(("check", "change"), [
    ("faces_valid", "update faces set orientation = 'Left'"),  # a value still valid: validated again, passes
    ("faces_valid", "delete from vocabulary where code = 'Right'"),  # the vocabulary it validates against
    ("murals_valid", "update murals set period = 'ET'"),
    ("face_labels_valid", "insert into face_labels select 'fb', cave_id, identity, orientation, identity_source,"
                          " orientation_source, voc_identity, voc_orientation from face_labels"),
    ("face_labels_valid", "update face_labels set identity = null"),
])
def test_a_passing_result_is_reused_until_its_input_changes(database, tmp_path, check, change):
    first = run_table_check(check_named(check), database, tmp_path, "C1")
    assert first.passed and first.outcomes and first.reused_from is None
    second = run_table_check(check_named(check), database, tmp_path, "C1")
    assert second.reused_from is not None and second.outcomes == [] and second.fingerprint == first.fingerprint
    with db.write_connection(database) as con:
        con.execute(change)
    third = run_table_check(check_named(check), database, tmp_path, "C1")
    assert third.reused_from is None and third.outcomes and third.fingerprint != first.fingerprint


@pytest.mark.parametrize("change", [
    {"sql": check_named("faces_valid").sql + " and true"},
    {"id_column": "identity"},
    {"expectations": lambda v: check_named("faces_valid").expectations(v)[:2]},
])
def test_a_changed_check_definition_validates_again(database, tmp_path, change):
    assert run_table_check(check_named("faces_valid"), database, tmp_path, "C1").reused_from is None
    assert run_table_check(check_named("faces_valid"), database, tmp_path, "C1").reused_from is not None
    changed = dataclasses.replace(check_named("faces_valid"), **change)
    assert run_table_check(changed, database, tmp_path, "C1").reused_from is None


def test_a_failure_records_nothing_and_is_validated_again(database, tmp_path):
    assert run_table_check(check_named("faces_valid"), database, tmp_path, "C1").passed
    with db.write_connection(database) as con:
        con.execute("update faces set orientation = 'Upside'")
    for _ in range(2):
        run = run_table_check(check_named("faces_valid"), database, tmp_path, "C1")
        assert not run.passed and run.reused_from is None
    recorded = db.query(database, "select fingerprint from asset_fingerprints where asset = 'check:faces_valid'")[1]
    assert recorded and recorded[0][0] != run.fingerprint  # still the earlier passing evaluation's


def test_reuse_does_not_import_great_expectations(database, tmp_path):
    """A fresh process (as a no-op `dhf build`) reuses the result without importing Great Expectations."""
    assert run_table_check(check_named("faces_valid"), database, tmp_path, "C1").passed
    script = ("import sys; from pathlib import Path; from dhf_assets.lib.checks.table_checks import CHECKS, "
              "run_table_checks; check = next(c for c in CHECKS if c.name == 'faces_valid'); "
              f"run = run_table_checks([check], Path({str(database)!r}), Path({str(tmp_path)!r}), 'C1')[0]; "
              "print(run.reused_from is not None, 'great_expectations' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["True", "False"]


FRAME = pd.DataFrame({"face_id": ["a", "b", "c"], "orientation": ["Left", None, "Right"], "ok": [True, False, True]})


@pytest.mark.parametrize(("other", "same"), [
    (FRAME.iloc[::-1], True),  # row order does not matter
    (FRAME.copy(), True),
    (pd.concat([FRAME, FRAME.iloc[:1]]), False),  # a duplicate row counts
    (FRAME.iloc[:2], False),
    (FRAME.assign(orientation=["Left", "Frontal", "Right"]), False),
    (FRAME.rename(columns={"ok": "valid"}), False),
    (FRAME.assign(ok=[1, 0, 1]), False),  # dtype
])
def test_frame_digest(other, same):
    assert (reuse.frame_digest(other) == reuse.frame_digest(FRAME)) is same


@pytest.mark.parametrize(("one", "other", "same"), [
    (lambda v: [v["a"], 1], lambda v: [v["a"], 1], True),
    (lambda v: [v["a"], 1], lambda v: [v["a"], 2], False),
    (lambda v: [v["a"], 1], lambda v: [v["b"], 1], False),
    (lambda v: [v[k] for k in ("a",)], lambda v: [v[k] for k in ("b",)], False),  # nested code objects
    (None, None, True),
])
def test_function_digest(one, other, same):
    assert (reuse.function_digest(one) == reuse.function_digest(other)) is same

"""The per-cave GX rules that moved from schema.yml: each passes on good rows and names the bad row."""

import pytest

from dhf_assets.lib.checks.table_checks import CHECKS, run_table_check
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


def outcomes(database, tmp_path, name):
    check = next(c for c in CHECKS if c.name == name)
    return run_table_check(check, database, tmp_path, "C1")


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

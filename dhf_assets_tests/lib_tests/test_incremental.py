"""lib/storage/incremental.py on a real DuckDB: what each fingerprint reads, the skip, and the per-face inputs."""

from datetime import datetime, timezone

import pytest

from dhf_assets.lib.storage import db
from dhf_assets.lib.storage.incremental import ALL_CAVES, INCREMENTAL, Reads, begin
from dhf_assets.lib.storage.quarantine import Problem
from dhf_assets.lib.storage.tables import TABLES

T = datetime(2026, 1, 1, tzinfo=timezone.utc)
UPSCALED = ("face_id", "cave_id", "tier", "source_width", "source_height", "square_method", "padding", "content_box",
            "backend", "seconds", "image_path", "sha256")
FACE_COLUMNS = ("face_id", "cave_id", "mural_id", "object_index", "xmin", "ymin", "xmax", "ymax", "width", "height",
                "orientation", "crop_path", "sha256")


@pytest.fixture
def database(tmp_path):
    path = tmp_path / "dhf.duckdb"
    with db.write_connection(path) as con:
        for cave, face, sha in (("C1", "fa", "s1"), ("C1", "fb", "s2"), ("C2", "fc", "s3")):
            con.execute(f"insert into faces ({', '.join(FACE_COLUMNS)}) values ({', '.join('?' * len(FACE_COLUMNS))})",
                        [face, cave, "m1", 0, 0, 0, 10, 10, 10, 10, "Frontal", f"crops/{face}.png", sha])
        con.execute("insert into subset_3k (face_id, cave_id, reviewer) values ('fa', 'C1', 'ana')")
    return path


def query(path):
    return lambda sql, params=(): db.query(path, sql, params)[1]


def execute(path, sql):
    with db.write_connection(path) as con:
        con.execute(sql)


def test_every_declaration_reads_existing_tables_and_columns(tmp_path):
    path = tmp_path / "empty.duckdb"
    execute(path, "select 1")
    for asset, declaration in INCREMENTAL.items():
        assert asset in TABLES and all(r.table in TABLES for r in declaration.reads)
        step = begin(query(path), asset, "C1", ("v1",))  # every declared column is bound by DuckDB here
        assert step.previous is None and not step.unchanged()


def test_names_are_checked():
    with pytest.raises(ValueError, match="not a table or column name"):
        Reads("faces; drop table faces", ("face_id",))


@pytest.mark.parametrize(("change", "asset", "changes_fingerprint"), [
    ("update faces set sha256 = 'new' where face_id = 'fb'", "face_candidates", True),  # content column
    ("update faces set crop_path = 'elsewhere.png' where face_id = 'fb'", "face_candidates", False),  # not declared
    ("update faces set sha256 = 'new' where face_id = 'fc'", "face_candidates", False),  # another cave
    ("delete from faces where face_id = 'fb'", "face_candidates", True),  # a row less
    ("update faces set sha256 = 'new' where face_id = 'fb'", "upscaled_faces", False),  # fb is not in the 3k subset
    ("insert into subset_3k (face_id, cave_id, reviewer) values ('fb', 'C1', 'bo')", "upscaled_faces", True),
    ("update subset_3k set reviewer = 'bo'", "upscaled_faces", False),
])
def test_a_fingerprint_follows_its_declared_reads_only(database, change, asset, changes_fingerprint):
    before = begin(query(database), asset, "C1", ("v1",)).fingerprint
    execute(database, change)
    assert (begin(query(database), asset, "C1", ("v1",)).fingerprint != before) is changes_fingerprint
    assert begin(query(database), asset, "C1", ("v2",)).fingerprint != before  # configuration counts too


def test_recorded_fingerprint_skips_unless_forced_or_an_output_is_missing(database, tmp_path):
    step = begin(query(database), "upscaled_faces", "C1", ("v1",))
    plan = step.plan_faces({"fa": "h-fa"}, ("face_id",))
    assert plan.compute == ["fa"] and plan.reused == []
    row = ("fa", "C1", "downsample", 1, 1, "none", [0, 0, 0, 0], [0.0, 0.0, 512.0, 512.0], "none", 0.1,
           "standardized/fa.png", "x")
    problem = Problem("upscale", "x.png", "fb", "unreadable")
    db.replace_rows(database, step.writes(UPSCALED, [row], "upscale", [problem]))
    again = begin(query(database), "upscaled_faces", "C1", ("v1",))
    assert again.previous == step.fingerprint and again.rows == 1 and again.files == ["standardized/fa.png"]
    assert not again.unchanged(tmp_path)  # its image is missing
    (tmp_path / "standardized").mkdir()
    (tmp_path / "standardized" / "fa.png").write_bytes(b"png")
    assert again.unchanged(tmp_path)
    assert not begin(query(database), "upscaled_faces", "C1", ("v1",), force=True).unchanged()
    assert db.query(database, "select face_id, inputs from face_stage_inputs")[1] == [("fa", "h-fa")]
    assert db.query(database, "select stage, item from quarantine")[1] == [("upscale", "fb")]
    assert again.plan_faces({"fa": "h-fa"}, ("face_id", "tier")).reused == [("fa", "downsample")]


def test_a_global_scope_reads_every_cave(database):
    before = {scope: begin(query(database), "face_candidates", scope, ()).fingerprint for scope in ("C1", ALL_CAVES)}
    execute(database, "update faces set sha256 = 'new' where face_id = 'fc'")  # cave C2
    after = {scope: begin(query(database), "face_candidates", scope, ()).fingerprint for scope in ("C1", ALL_CAVES)}
    assert after["C1"] == before["C1"] and after[ALL_CAVES] != before[ALL_CAVES]
    assert begin(query(database), "face_candidates", ALL_CAVES, ()).rows == 0  # no candidate rows yet


@pytest.mark.parametrize("asset", sorted(INCREMENTAL))
def test_begin_counts_the_rows_of_any_asset(database, asset):
    execute(database, "insert into face_candidates (face_id, cave_id, status, best_score, threshold, rule, detectors)"
                      " values ('fa', 'C1', 'candidate', 0.99, 0.9, 'any', 'mtcnn'),"
                      " ('fb', 'C1', 'dropped', 0.5, 0.9, 'any', 'mtcnn')")
    step = begin(query(database), asset, "C1", ())
    assert step.rows == {"faces": 2, "face_candidates": 2}.get(asset, 0)
    assert sorted(step.files) == (["crops/fa.png", "crops/fb.png"] if asset == "faces" else [])

"""SQL models: dependencies and order, every model on a small fixture, marts by hand, schema tests, Dagster."""

from __future__ import annotations

import shutil
from datetime import datetime, timezone
from pathlib import Path

import dagster as dg
import pytest

from dhf_assets.lib.ingest.vocabulary import vocabulary_rows
from dhf_assets.lib.metrics.symmetry import FaceBox, mural_symmetry
from dhf_assets.lib.storage import db
from dhf_assets.lib.storage.sql_models import (
    discover_models,
    load_schema_tests,
    order_models,
    referenced_names,
    run_schema_test,
)

T1 = datetime(2026, 1, 1, tzinfo=timezone.utc)
T2 = datetime(2026, 2, 1, tzinfo=timezone.utc)

# Three caves: C1 (two murals, the hand-computed symmetric one is m1), C2 (one mural), C3 (nothing yet).
CAVES = [("C1", "MC", "HT", "IDRS"), ("C2", "YC", "MT", "DS"), ("C3", "WTBC", "SU", "CPS")]
MURALS = [("C1", "m1", "HT", "cave"), ("C1", "m2", "FD", "murals.csv"), ("C2", "m1", "MT", "cave")]
# face_id, cave, mural, box (xmin, ymin, xmax, ymax), identity
FACES = [
    ("fa", "C1", "m1", (100, 100, 200, 220), "BS"),
    ("fb", "C1", "m1", (820, 100, 920, 240), "BS"),
    ("fc", "C1", "m1", (300, 500, 360, 560), "CM"),
    ("fd", "C1", "m1", (640, 520, 700, 600), "CM"),
    ("ff", "C1", "m1", (0, 1000, 100, 1100), None),
    ("fg", "C1", "m2", (10, 10, 74, 74), "B"),
    ("fh", "C2", "m1", (0, 0, 600, 300), "DN"),
    ("fi", "C2", "m1", (0, 0, 300, 200), "D"),
]
SUBSET_3K = ["fa", "fb", "fc", "fg", "fh"]
SUBSET_500 = ["fg"]
TIERS = {"fa": "two_stage", "fb": "two_stage", "fc": "two_stage", "fg": "two_stage", "fh": "downsample"}


def insert(con, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
    marks = ", ".join("?" for _ in columns)
    for row in rows:
        con.execute(f"insert into {table} ({', '.join(columns)}) values ({marks})", list(row))


def fill_fixture(path: Path) -> None:
    faces_by_mural: dict[tuple[str, str], list[FaceBox]] = {}
    for face_id, cave_id, mural_id, box, _ in FACES:
        faces_by_mural.setdefault((cave_id, mural_id), []).append(FaceBox(face_id, *box))
    cave_of = {f[0]: f[1] for f in FACES}
    with db.write_connection(path) as con:
        insert(con, "vocabulary", ("attribute", "code", "name"), vocabulary_rows())
        insert(con, "caves", ("cave_id", "site", "period", "cave_style"), CAVES)
        insert(con, "murals", ("cave_id", "mural_id", "path", "sha256", "width", "height", "format",
                               "exif_orientation", "period", "period_source"),
               [(c, m, f"murals/{c}/{m}.png", "0" * 64, 2000, 1400, "PNG", 1, p, s) for c, m, p, s in MURALS])
        insert(con, "faces", ("face_id", "cave_id", "mural_id", "object_index", "xmin", "ymin", "xmax", "ymax",
                              "width", "height", "identity", "orientation", "crop_path", "sha256"),
               [(f, c, m, i, *box, box[2] - box[0], box[3] - box[1], ident, "Frontal", f"crops/{f}.png", "0" * 64)
                for i, (f, c, m, box, ident) in enumerate(FACES)])
        insert(con, "face_candidates", ("face_id", "cave_id", "status", "best_score", "threshold", "rule", "detectors"),
               [(f, c, "dropped" if f == "ff" else "candidate", 0.99, 0.9, "any", "mtcnn") for f, c, *_ in FACES])
        insert(con, "face_reviews", ("face_id", "cave_id", "decision", "subset", "reviewer", "crop_status", "override"),
               [(f, cave_of[f], "accept", "500" if f in SUBSET_500 else "3k", "ana", "candidate", False)
                for f in SUBSET_3K] + [("fd", "C1", "reject", None, "ana", "candidate", False)])
        insert(con, "subset_3k", ("face_id", "cave_id", "reviewer"), [(f, cave_of[f], "ana") for f in SUBSET_3K])
        insert(con, "subset_500", ("face_id", "cave_id", "tags", "reviewer"),
               [(f, cave_of[f], ["halo"], "ana") for f in SUBSET_500])
        insert(con, "upscaled_faces", ("face_id", "cave_id", "tier", "source_width", "source_height", "square_method",
                                       "padding", "content_box", "backend", "seconds", "image_path", "sha256"),
               [(f, cave_of[f], tier, 1, 1, "pad", [0, 0, 0, 0], [0.0, 0.0, 512.0, 512.0], "lanczos", 0.1,
                 f"standardized/{f}.png", "0" * 64) for f, tier in TIERS.items()])
        insert(con, "face_quality", ("face_id", "cave_id", "band", "psnr", "ssim", "lpips", "esi_low", "esi_high"),
               [("fa", "C1", "~512", 30.0, 0.8, None, 1.0, 2.0), ("fb", "C1", "~512", 34.0, 0.9, None, 1.5, 2.5),
                ("fh", "C2", "512~", 40.0, 0.95, 0.05, 1.2, 1.3)])
        insert(con, "quarantine", ("cave_id", "stage", "file", "item", "reason", "severity"),
               [("C1", "faces", "m1.xml", "object 9", "zero size", "error"),
                ("C2", "faces", "m1.xml", "size", "size differs", "warning")])
        insert(con, "symmetry_pairs", ("cave_id", "mural_id", "axis_x", "left_face_id", "right_face_id",
                                       "h_err", "v_err", "area_err"),
               [(cave, mural, result.axis_x, p.left_face_id, p.right_face_id, p.h_err, p.v_err, p.area_err)
                for (cave, mural), boxes in faces_by_mural.items()
                for result in [mural_symmetry(boxes)] for p in result.pairs])
        insert(con, "cave_builds", ("cave_id", "inputs_hash", "built_at"),
               [("C1", "old", T1), ("C1", "h1", T2), ("C2", "x", T1)])
        insert(con, "archive_inputs", ("cave_id", "inputs_hash", "scanned_at"), [("C1", "h1", T2), ("C2", "y", T2)])


@pytest.fixture(scope="module")
def template_db(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("sql_fixture") / "fixture.duckdb"
    fill_fixture(path)
    return path


@pytest.fixture
def fixture_db(template_db, tmp_path) -> Path:
    path = tmp_path / "dhf.duckdb"
    shutil.copy(template_db, path)
    return path


def materialize_models(database: Path, names: list[str] | None = None,
                       checks_of: str | None = None) -> dg.ExecuteInProcessResult:
    """Through Dagster: build the SQL models (all, or the named ones and what they read), or one model's checks."""
    from dhf_assets.defs.resources import DhfStore
    from dhf_assets.defs.sql_models import sql_model_definitions

    sql_models = sql_model_definitions()
    store = DhfStore(archive_dir=str(database.parent), output_dir=str(database.parent), duckdb_path=str(database))
    selection = (dg.AssetSelection.checks_for_assets(checks_of) if checks_of
                 else dg.AssetSelection.assets(*(names or sql_models.keys)).upstream().without_checks())
    return dg.materialize([sql_models], selection=selection, resources={"store": store},
                          instance=dg.DagsterInstance.ephemeral(), raise_on_error=checks_of is None)


def materializations(result: dg.ExecuteInProcessResult) -> dict[str, dg.AssetMaterialization]:
    """Each model's materialization in the one SQL step, by model name."""
    from dhf_assets.defs.sql_models import STEP_NAME

    return {m.asset_key.to_user_string(): m for m in result.asset_materializations_for_node(STEP_NAME)}


@pytest.fixture(scope="module")
def built(template_db, tmp_path_factory) -> tuple[Path, dict[str, int]]:
    path = tmp_path_factory.mktemp("sql_built") / "dhf.duckdb"
    shutil.copy(template_db, path)
    result = materialize_models(path)
    counts = {name: m.metadata["dagster/row_count"].value for name, m in materializations(result).items()}
    return path, counts


@pytest.fixture(scope="module")
def built_db(built) -> Path:
    return built[0]


def rows(path: Path, sql: str) -> list[tuple]:
    return db.query(path, sql)[1]


# ---------------------------------------------------------------- dependencies and order


@pytest.mark.parametrize(("sql", "expected"), [
    ("select * from faces", {"faces"}),
    ("-- from murals\nselect 'from caves' as x from faces /* join quarantine */", {"faces"}),
    ("select * from stg_faces f join stg_murals as m using (mural_key) left join caves c on true",
     {"stg_faces", "stg_murals", "caves"}),
    ("select * from stg_faces f, stg_caves c, main.subset_3k", {"stg_faces", "stg_caves", "subset_3k"}),
    ("with faces as (select * from stg_faces) select * from faces", {"stg_faces"}),
    ("select * from (select 1) s where exists (select 1 from quarantine)", {"quarantine"}),
    ("select a is distinct from murals from faces", {"faces"}),
    ("select * from read_csv('x.csv')", set()),
    ('select * from "Faces"', {"faces"}),
    ("with recursive t(n) as (select 1 union all select n + 1 from t where n < 3) select * from t, faces", {"faces"}),
    ("select (select count(*) from murals m where m.cave_id = c.cave_id) from caves c", {"murals", "caves"}),
    ("select * from faces join murals using (cave_id, mural_id), range(3) r, unnest([1, 2]) u", {"faces", "murals"}),
    ("select * from stg_a union all select * from stg_b", {"stg_a", "stg_b"}),
])
def test_referenced_names(sql, expected):
    assert referenced_names(sql) == expected


def test_dependencies_are_read_from_the_sql():
    models = {m.name: m for m in discover_models()}
    assert models["stg_faces"].reads_tables == ("face_labels", "faces") and models["stg_faces"].depends_on == ()
    assert models["mural_symmetry"].depends_on == ("stg_faces", "stg_symmetry_pairs")
    assert set(models["cave_status"].depends_on) >= {"stg_caves", "stg_cave_builds", "stg_archive_inputs"}
    assert all(m.materialization == ("view" if m.layer == "staging" else "table") for m in models.values())
    assert all(m.description.endswith(".") for m in models.values())


def test_order_puts_staging_before_marts_and_every_model_after_its_dependencies():
    models = discover_models()
    layers = [m.layer for m in models]
    assert layers == sorted(layers, key=["staging", "marts"].index)
    position = {m.name: i for i, m in enumerate(models)}
    assert all(position[dep] < position[m.name] for m in models for dep in m.depends_on)
    assert [m.name for m in order_models(reversed(models))] == [m.name for m in models]


# What the hand-written parser on DuckDB's tokenizer read from every model before sqlglot replaced it.
STAGING_TABLES = {"stg_archive_inputs": ("archive_inputs",), "stg_backend_quality": ("backend_quality",),
                  "stg_cave_builds": ("cave_builds",), "stg_caves": ("caves",),
                  "stg_face_candidates": ("face_candidates",),
                  "stg_face_quality": ("face_quality",), "stg_face_reviews": ("face_reviews",),
                  "stg_faces": ("face_labels", "faces"), "stg_murals": ("murals",), "stg_quarantine": ("quarantine",),
                  "stg_subset_3k": ("subset_3k",), "stg_subset_500": ("subset_500",),
                  "stg_symmetry_pairs": ("symmetry_pairs",), "stg_upscaled_faces": ("upscaled_faces",),
                  "stg_vocabulary": ("vocabulary",)}
MART_MODELS = {
    "attribute_distribution": ("stg_caves", "stg_faces", "stg_murals", "stg_subset_3k", "stg_subset_500",
                               "stg_vocabulary"),
    "cave_status": ("stg_archive_inputs", "stg_cave_builds", "stg_caves", "stg_face_candidates", "stg_faces",
                    "stg_murals", "stg_quarantine", "stg_subset_3k", "stg_subset_500"),
    "crop_resolution": ("stg_faces", "stg_subset_3k"), "mural_symmetry": ("stg_faces", "stg_symmetry_pairs"),
    "quality_by_backend": ("stg_backend_quality",), "quality_summary": ("stg_face_quality",),
    "subset_sizes": ("stg_caves", "stg_faces", "stg_subset_3k", "stg_subset_500"),
    "upscale_tiers": ("stg_faces", "stg_subset_3k", "stg_upscaled_faces"),
}


def test_every_model_reads_what_the_former_parser_found():
    models = {m.name: m for m in discover_models()}
    assert {n: m.reads_tables for n, m in models.items() if m.layer == "staging"} == STAGING_TABLES
    assert {n: m.depends_on for n, m in models.items() if m.layer == "marts"} == MART_MODELS
    assert all(m.depends_on == () for m in models.values() if m.layer == "staging")
    assert all(m.reads_tables == () for m in models.values() if m.layer == "marts")


def write_models(root: Path, files: dict[str, str]) -> Path:
    for relative, text in files.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(text)
    return root


@pytest.mark.parametrize(("files", "message"), [
    ({"marts/a.sql": "-- A.\nselect * from b", "marts/b.sql": "-- B.\nselect * from a"}, "cycle"),
    ({"staging/stg_x.sql": "-- X.\nselect * from m", "marts/m.sql": "-- M.\nselect 1"}, "staging"),
    ({"marts/faces.sql": "-- F.\nselect 1"}, "Python table"),
    ({"marts/m.sql": "select 1"}, "comment"),
])
def test_bad_model_folders_are_refused(tmp_path, files, message):
    with pytest.raises(ValueError, match=message):
        discover_models(write_models(tmp_path, files))


def test_schema_yml_forms(tmp_path):
    root = write_models(tmp_path, {
        "staging/stg_x.sql": "-- X.\nselect * from caves",
        "staging/schema.yml": """
models:
  - name: stg_x
    columns:
      - name: site
        tests:
          - accepted_values: [MC, YC]
          - relationships: {to: "ref('stg_x')", field: site}
      - name: period
        data_tests:
          - accepted_values: {attribute: period}
""",
    })
    tests = load_schema_tests(root)
    assert [t.name for t in tests] == ["stg_x__site__accepted_values", "stg_x__site__relationships",
                                       "stg_x__period__accepted_values"]
    assert tests[0].params == ("MC", "YC") and tests[2].params == ("period",)
    assert "from stg_x t" in tests[1].sql and tests[1].reads == ("stg_x",) and tests[2].reads == ("vocabulary",)


# ---------------------------------------------------------------- models on the fixture


def test_every_model_builds_on_the_fixture(built):
    path, counts = built
    assert set(counts) == {m.name for m in discover_models()}
    assert counts["stg_faces"] == len(FACES) and counts["cave_status"] == len(CAVES)


def test_mural_symmetry_matches_the_hand_computed_case(built_db):
    # C1/m1: axis (150 + 870 + 330 + 670 + 50) / 5 = 414; pairs fa-fb (H 192, V 10, A 2000)
    # and fc-fd (H 172, V 30, A 1200). C1/m2: one face, axis its centre 42, no pair.
    # C2/m1: centres 300 and 150, axis 225; fi-fh mirror exactly in x (H 0), V 50, A 180000 - 60000.
    assert rows(built_db, "select * from mural_symmetry order by cave_id, mural_id") == [
        ("C1", "m1", 414.0, 2, 182.0, 192.0, 20.0, 30.0, 1600.0, 2000.0),
        ("C1", "m2", 42.0, 0, None, None, None, None, None, None),
        ("C2", "m1", 225.0, 1, 0.0, 0.0, 50.0, 50.0, 120000.0, 120000.0),
    ]


def test_subset_sizes(built_db):
    assert rows(built_db, "select * from subset_sizes") == [
        ("all", None, "20k", 8), ("all", None, "3k", 5), ("all", None, "500", 1),
        ("cave", "C1", "20k", 6), ("cave", "C1", "3k", 4), ("cave", "C1", "500", 1),
        ("cave", "C2", "20k", 2), ("cave", "C2", "3k", 1), ("cave", "C2", "500", 0),
        ("cave", "C3", "20k", 0), ("cave", "C3", "3k", 0), ("cave", "C3", "500", 0),
    ]


def test_attribute_distribution(built_db):
    got = {(s, a, c): (n, faces, share) for s, a, c, n, faces, share in rows(
        built_db, "select * from attribute_distribution where faces > 0")}
    # 3k: fa, fb, fc (C1/m1, HT), fg (C1/m2, FD), fh (C2/m1, MT).
    assert got[("3k", "period", "HT")] == ("High Tang", 3, 0.6)
    assert got[("3k", "period", "FD")] == ("Five Dynasties", 1, 0.2)
    assert got[("3k", "cave_style", "DS")] == ("Dome Style", 1, 0.2)
    assert got[("3k", "site", "MC")] == ("Mogao Caves", 4, 0.8)
    assert got[("3k", "identity", "BS")] == ("Bodhisattvas", 2, 0.4)
    assert got[("500", "identity", "B")] == ("Buddhas", 1, 1.0)
    assert len(got) == 3 + 2 + 2 + 4 + 4  # 3k: 3 periods, 2 styles, 2 sites, 4 identities; 500: one each
    zero = rows(built_db, "select name, faces from attribute_distribution where subset = '3k' and code = 'WTBC'")
    assert zero == [("Western Thousand Buddha Cave", 0)]


def test_unlabelled_identity_has_a_name(fixture_db):
    with db.write_connection(fixture_db) as con:
        con.execute("insert into subset_3k values ('ff', 'C1', 'ana')")
    assert materialize_models(fixture_db, ["attribute_distribution"]).success
    found = rows(fixture_db, "select code, name, faces from attribute_distribution "
                             "where subset = '3k' and attribute = 'identity' and name = 'unlabelled'")
    assert found == [(None, "unlabelled", 1)]


def test_crop_resolution_and_upscale_tiers(built_db):
    # Longer sides: fa 120, fb 140, fc 60, fd 80, ff 100, fg 64, fh 600, fi 300.
    histogram = rows(built_db, "select bin_start, bin_end, crops, crops_3k from crop_resolution")
    assert histogram[:3] == [(0, 64, 1, 1), (64, 128, 4, 2), (128, 192, 1, 1)]
    assert histogram[-1] == (576, 640, 1, 1) and len(histogram) == 10 and sum(h[2] for h in histogram) == 8
    assert rows(built_db, "select * from upscale_tiers") == [
        ("two_stage", 6, 4, 4), ("one_stage", 1, 0, 0), ("downsample", 1, 1, 1)]


def test_quality_summary(built_db):
    summary = {r[0]: r for r in rows(built_db,
                                     "select band, images, psnr, ssim, lpips, esi_low, esi_high, snr_low from "
                                     "quality_summary")}
    assert list(summary) == ["~512", "512~"]
    assert summary["~512"] == ("~512", 2, 32.0, pytest.approx(0.85), None, 1.25, 2.25, None)
    assert summary["512~"] == ("512~", 1, 40.0, 0.95, 0.05, 1.2, 1.3, None)


def test_cave_status(built_db):
    assert rows(built_db, "select * from cave_status") == [
        ("C1", 2, 6, 5, 4, 1, 1, T2, False),
        ("C2", 1, 2, 2, 1, 0, 0, T1, True),
        ("C3", 0, 0, 0, 0, 0, 0, None, None),
    ]


# ---------------------------------------------------------------- schema tests


def test_every_schema_test_passes_on_good_data(built_db):
    failed = {t.name: o.offending for t in load_schema_tests() if not (o := run_schema_test(built_db, t)).passed}
    assert failed == {}


BROKEN = [
    pytest.param("insert into subset_3k select * from subset_3k where face_id = 'fa'", (),
                 "stg_subset_3k__face_id__unique", "fa", id="duplicate"),
    pytest.param("update caves set period = ? where cave_id = 'C2'", ("XX",),
                 "stg_caves__period__accepted_values", "XX", id="unknown-vocabulary-code"),
    pytest.param("update quarantine set severity = ? where cave_id = 'C2'", ("fatal",),
                 "stg_quarantine__severity__accepted_values", "fatal", id="unknown-literal-value"),
    pytest.param("insert into subset_3k values (?, 'C1', 'ana')", ("ghost",),
                 "stg_subset_3k__face_id__relationships", "ghost", id="dangling-relationship"),
    pytest.param("update faces set identity = ? where face_id = 'fa'", ("Apsara",),
                 "attribute_distribution__name__not_null", "Apsara", id="code-without-a-name-in-a-mart"),
]


@pytest.mark.parametrize(("sql", "params", "failing_test", "offending_value"), BROKEN)
def test_each_schema_test_fails_on_broken_data(fixture_db, sql, params, failing_test, offending_value):
    with db.write_connection(fixture_db) as con:
        for statement in sql.split("; "):
            con.execute(statement, list(params) if "?" in statement else [])
    test = next(t for t in load_schema_tests() if t.name == failing_test)
    # The model's check step runs all of its tests: build the model and what each of them reads first.
    models = {m.name for m in discover_models()}
    reads = {r for t in load_schema_tests() if t.model == test.model for r in t.reads} & models
    materialize_models(fixture_db, [test.model, *reads])
    result = materialize_models(fixture_db, checks_of=test.model)
    assert not materializations(result)  # the tests alone, on the tables as they are
    evaluations = result.get_asset_check_evaluations()
    assert {e.check_name for e in evaluations} == {t.name for t in load_schema_tests() if t.model == test.model}
    failed = {e.check_name: e for e in evaluations if not e.passed}
    assert failing_test in failed
    offending = failed[failing_test].metadata["offending"].value
    assert failed[failing_test].metadata["offending_count"].value >= 1
    assert offending_value in {value for row in offending for value in row.values()}


# ---------------------------------------------------------------- Dagster


@pytest.mark.slow
def test_dagster_materializes_every_sql_model_and_the_checks_pass(fixture_db, tmp_path):
    from dhf_assets.defs.analysis.assets import symmetry_pairs
    from dhf_assets.defs.resources import DhfStore
    from dhf_assets.defs.sql_models import sql_model_definitions

    store = DhfStore(archive_dir=str(tmp_path), output_dir=str(tmp_path), duckdb_path=str(fixture_db))
    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions("caves", ["C1", "C2"])
    for cave_id in ("C1", "C2", "C1"):  # per-cave replace: running a cave again changes nothing
        dg.materialize([symmetry_pairs], partition_key=cave_id, resources={"store": store}, instance=instance)
    assert rows(fixture_db, "select count(*) from symmetry_pairs") == [(3,)]

    result = dg.materialize([sql_model_definitions()], resources={"store": store}, instance=instance)
    assert result.success
    materialized = {name: m.metadata for name, m in materializations(result).items()}
    assert set(materialized) == {m.name for m in discover_models()}
    assert materialized["mural_symmetry"]["dagster/row_count"].value == 3
    assert "| cave_id | mural_id | axis_x |" in materialized["mural_symmetry"]["preview"].value
    evaluations = result.get_asset_check_evaluations()
    assert len(evaluations) == len(load_schema_tests()) and all(e.passed for e in evaluations)
    assert {e.check_name for e in evaluations} >= {"stg_caves__cave_id__unique", "cave_status__cave_id__unique"}


def test_one_step_one_connection_and_nothing_built_on_a_failed_test(fixture_db, tmp_path, monkeypatch):
    from dhf_assets.defs.reports.assets import attribute_distribution_charts, crop_resolution_chart
    from dhf_assets.defs.resources import DhfStore
    from dhf_assets.defs.sql_models import STEP_NAME, sql_model_definitions

    with db.write_connection(fixture_db) as con:
        con.execute("update caves set period = 'XX' where cave_id = 'C2'")
    opened: list[bool] = []
    real_connect = db.connect
    monkeypatch.setattr(db, "connect", lambda *a, **k: opened.append(k.get("read_only")) or real_connect(*a, **k))
    store = DhfStore(archive_dir=str(tmp_path), output_dir=str(tmp_path), duckdb_path=str(fixture_db))
    result = dg.materialize([sql_model_definitions(), attribute_distribution_charts, crop_resolution_chart],
                            resources={"store": store}, instance=dg.DagsterInstance.ephemeral(), raise_on_error=False)
    assert opened == [False]  # 23 models, their previews and 34 tests on one write connection

    not_built = {"attribute_distribution", "cave_status", "subset_sizes"}  # everything built on stg_caves
    materialized = materializations(result)
    assert set(materialized) == {m.name for m in discover_models()} - not_built
    assert all(materialized[m.name].tags["dagster/code_version"] == m.code_version
               for m in discover_models() if m.name in materialized)  # what the refresh sensor compares
    failed = {e.check_name: e for e in result.get_asset_check_evaluations() if not e.passed}
    assert list(failed) == ["stg_caves__period__accepted_values"]
    assert failed["stg_caves__period__accepted_values"].metadata["not_built_downstream"].value == sorted(not_built)
    failure = next(e for e in result.all_events if e.is_step_failure)
    assert failure.step_key == STEP_NAME
    assert ("1 schema test(s) failed: stg_caves__period__accepted_values; not built: attribute_distribution "
            "(stg_caves failed stg_caves__period__accepted_values)") in failure.step_failure_data.error.message
    ran = {e.step_key for e in result.all_events if e.is_step_success}
    assert "attribute_distribution_charts" not in ran and "crop_resolution_chart" not in ran  # nor Python below

    from dhf_assets.runner import _outcome, _report_checks

    errors = _outcome("marts_job", result).errors  # what `dhf build` prints
    assert errors[0].startswith("check stg_caves__period__accepted_values: 1 offending: stg_caves: period is a")
    assert errors[1].startswith(f"{STEP_NAME}: ") and "failed: stg_caves__period__accepted_values; not built: " \
        "attribute_distribution (stg_caves failed stg_caves__period__accepted_values), cave_status (" in errors[1]
    printed: list[str] = []  # what `dhf check` prints
    assert _report_checks(result, "marts", lambda line: printed.append(line)) is True
    assert "[dhf] FAIL marts stg_caves.stg_caves__period__accepted_values: 1 offending: " in "\n".join(printed)
    assert "         {'period': 'XX', 'n_rows': 1}" in printed


@pytest.mark.parametrize(("raw", "expected"), [(None, 200.0), ("", 200.0), ("150", 150.0), ("abc", None), ("-1", None)])
def test_symmetry_tolerance_setting(monkeypatch, raw, expected):
    from dhf_assets.defs.analysis.assets import TOLERANCE_VARIABLE, symmetry_tolerance_px

    if raw is None:
        monkeypatch.delenv(TOLERANCE_VARIABLE, raising=False)
    else:
        monkeypatch.setenv(TOLERANCE_VARIABLE, raw)
    if expected is None:
        with pytest.raises(ValueError, match=TOLERANCE_VARIABLE):
            symmetry_tolerance_px()
    else:
        assert symmetry_tolerance_px() == expected


def test_dependencies_survive_non_ascii_comments():
    from dhf_assets.lib.storage.sql_models import referenced_names

    sql = "-- 敦煌莫高窟 壁画 (Mogao murals), area in px²\nselect * from stg_faces join stg_murals using (mural_key)"
    assert referenced_names(sql) == {"stg_faces", "stg_murals"}

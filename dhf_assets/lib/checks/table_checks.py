"""What the data-quality checks assert, per cave, on what the tables and files hold now.

Ingestion already quarantines bad input; these guard against a bug, a hand edit or a changed
vocabulary. Every rule on one cave's rows lives here, once (blocking, and the export gate reads
these checks); `dbt_like_sql/*/schema.yml` keeps only the tests across caves: relationships between
tables, global tables and the marts. Each check reads one frame from DuckDB (the vocabulary comes from the `vocabulary`
table, so checks, SQL and the UI share it) and validates it with Great Expectations, unless exactly that frame,
vocabulary and check definition passed before (`lib/checks/reuse.py`): then its last passing result is reused.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Sequence

from PIL import Image

from dhf_assets.lib.checks import reuse
from dhf_assets.lib.checks.expectations import Outcome, validate
from dhf_assets.lib.storage import db
from dhf_assets.lib.storage.incremental import fingerprint_write

PSNR_CAP_DB = 80.0
BACKENDS = ["lanczos", "realesrgan", "sd_x4"]
BANDS = ["~512", "512~"]


@dataclass(frozen=True)
class TableCheck:
    name: str
    asset: str
    description: str
    id_column: str
    sql: str  # one parameter: the cave id
    expectations: Callable[[dict[str, list[str]]], list[Any]]
    enrich: Callable[[Any, Path], Any] | None = None  # adds columns computed from files


def _gx():
    import great_expectations as gx

    return gx.expectations


def _in_set(column: str, values: list[Any]):
    return _gx().ExpectColumnValuesToBeInSet(column=column, value_set=values)


def _between(column: str, low: float, high: float):
    return _gx().ExpectColumnValuesToBeBetween(column=column, min_value=low, max_value=high)


def _unique(column: str):
    return _gx().ExpectColumnValuesToBeUnique(column=column)


def _true(column: str):
    return _in_set(column, [True])


def image_facts(frame: Any, output: Path) -> Any:
    """Open every standardized image: does it exist, its size and mode."""
    facts = []
    for path in frame["image_path"]:
        try:
            with Image.open(output / path) as image:
                facts.append((True, image.width, image.height, image.mode))
        except (OSError, ValueError):
            facts.append((False, None, None, None))
    frame = frame.copy()
    frame["file_exists"] = [f[0] for f in facts]
    frame["width"] = [f[1] for f in facts]
    frame["height"] = [f[2] for f in facts]
    frame["mode"] = [f[3] for f in facts]
    return frame


CHECKS = (
    TableCheck(
        "murals_valid", "murals",
        "Mural ids unique, periods in the vocabulary and their source known, caves in the catalog.",
        "mural_id",
        """select m.mural_id, m.period, m.period_source, c.cave_id is not null as cave_known
           from murals m left join caves c using (cave_id) where m.cave_id = ?""",
        lambda v: [_unique("mural_id"), _in_set("period", v["period"]),
                   _in_set("period_source", ["cave", "murals.csv"]), _true("cave_known")],
    ),
    TableCheck(
        "faces_valid", "faces",
        "face_id unique; identity (where labelled) and orientation in the vocabulary; cave and mural exist.", "face_id",
        """select f.face_id, f.identity, f.orientation, c.cave_id is not null as cave_known,
                  m.mural_id is not null as mural_known
           from faces f left join caves c using (cave_id)
           left join murals m on m.cave_id = f.cave_id and m.mural_id = f.mural_id where f.cave_id = ?""",
        lambda v: [_unique("face_id"), _in_set("identity", v["identity"]), _in_set("orientation", v["orientation"]),
                   _true("cave_known"), _true("mural_known")],
    ),
    TableCheck(
        "face_candidates_valid", "face_candidates",
        "face_id unique, status known, best scores in [0, 1], every candidate row has its face.", "face_id",
        """select c.face_id, c.status, c.best_score, f.face_id is not null as face_known
           from face_candidates c left join faces f using (face_id) where c.cave_id = ?""",
        lambda v: [_unique("face_id"), _in_set("status", ["candidate", "dropped"]), _between("best_score", 0, 1),
                   _true("face_known")],
    ),
    TableCheck(
        "face_reviews_valid", "face_reviews",
        "face_id unique, decision accept or reject, subset 3k or 500, every decided face exists.", "face_id",
        """select r.face_id, r.decision, r.subset, f.face_id is not null as face_known
           from face_reviews r left join faces f using (face_id) where r.cave_id = ?""",
        lambda v: [_unique("face_id"), _in_set("decision", ["accept", "reject"]), _in_set("subset", ["3k", "500"]),
                   _true("face_known")],
    ),
    TableCheck(
        "face_labels_valid", "face_labels",
        "Labels in force (VOC or a reviewer's correction): face_id unique, identity and orientation in the vocabulary.",
        "face_id",
        """select l.face_id, l.identity, l.orientation, f.face_id is not null as face_known
           from face_labels l left join faces f using (face_id) where l.cave_id = ?""",
        lambda v: [_unique("face_id"), _in_set("identity", v["identity"]), _in_set("orientation", v["orientation"]),
                   _true("face_known")],
    ),
    TableCheck(
        "standardized_images_512", "upscaled_faces",
        "Every standardized image exists and is exactly 512x512 RGB; one per face of the 3k subset.", "face_id",
        """select u.face_id, u.tier, u.image_path, s.face_id is not null as in_3k
           from upscaled_faces u left join subset_3k s using (face_id) where u.cave_id = ?""",
        lambda v: [_unique("face_id"), _in_set("tier", ["two_stage", "one_stage", "downsample"]),
                   _true("file_exists"), _between("width", 512, 512),
                   _between("height", 512, 512), _in_set("mode", ["RGB"]), _true("in_3k")],
        enrich=image_facts,
    ),
    TableCheck(
        "face_quality_valid", "face_quality",
        "face_id unique, every row has its standardized image, metric values finite and in range.", "face_id",
        """select q.*, u.face_id is not null as upscaled_known
           from face_quality q left join upscaled_faces u using (face_id) where q.cave_id = ?""",
        lambda v: [_unique("face_id"), _true("upscaled_known"), _in_set("band", BANDS),
                   _between("psnr", 0, PSNR_CAP_DB), _between("ssim", -1, 1), _between("lpips", 0, 2),
                   *[_between(f"{m}_{s}", 0, 8) for m in ("entropy",) for s in ("low", "high")],
                   *[_between(f"{m}_{s}", 0, 1) for m in ("ed", "hfc") for s in ("low", "high")],
                   *[_between(f"esi_{s}", 0, 10) for s in ("low", "high")],
                   *[_between(f"snr_{s}", -100, 200) for s in ("low", "high")]],
    ),
    TableCheck(
        "backend_quality_valid", "backend_quality",
        "Known backend and band, every compared face in the 3k subset.", "face_id",
        """select b.face_id, b.backend, b.band, s.face_id is not null as in_3k
           from backend_quality b left join subset_3k s using (face_id) where b.cave_id = ?""",
        lambda v: [_in_set("backend", BACKENDS), _in_set("band", BANDS), _true("in_3k")],
    ),
)


def vocabulary_sets(con: Any) -> dict[str, list[str]]:
    sets: dict[str, list[str]] = {}
    for attribute, code in con.execute("select attribute, code from vocabulary").fetchall():
        sets.setdefault(attribute, []).append(code)
    return sets


@functools.lru_cache(maxsize=None)
def definition_digest(check: TableCheck) -> str:
    """The check's own definition: what it reads, how it enriches and validates, and the versions doing it."""
    return reuse.combine(check.name, check.asset, check.sql, check.id_column,
                         reuse.function_digest(check.expectations), reuse.function_digest(check.enrich),
                         reuse.function_digest(validate), reuse.package_version("dhf"),
                         reuse.package_version("great_expectations"))


@dataclass
class CheckInput:
    """What one check validates for one cave, and the fingerprint of its last passing evaluation."""

    check: TableCheck
    frame: Any
    vocabulary: dict[str, list[str]]
    recorded: tuple[str, datetime] | None  # (fingerprint, validated_at), or None

    @functools.cached_property
    def fingerprint(self) -> str:
        return reuse.combine(definition_digest(self.check), reuse.vocabulary_digest(self.vocabulary),
                             reuse.frame_digest(self.frame))


@dataclass(frozen=True)
class CheckRun:
    """One check's evaluation: validated now (`outcomes`), or its last passing result reused (`validated_at`)."""

    check: TableCheck
    fingerprint: str
    outcomes: list[Outcome] = field(default_factory=list)
    reused_from: datetime | None = None  # when the reused result was validated

    @property
    def passed(self) -> bool:
        return all(o.passed for o in self.outcomes)


def read_check_inputs(checks: Sequence[TableCheck], database: Path, output: Path,
                      cave_id: str) -> list[CheckInput]:
    """Each check's frame (enriched from the files after the connection is closed), the vocabulary and the
    recorded fingerprints: one read-only connection for all of them."""
    keys = [reuse.fingerprint_key(check.name) for check in checks]
    with db.connect(database, read_only=True) as con:
        frames = [con.execute(check.sql, [cave_id]).df() for check in checks]
        vocabulary = vocabulary_sets(con)
        recorded = {asset: (fingerprint, at) for asset, fingerprint, at in con.execute(
            "select asset, fingerprint, built_at from asset_fingerprints where cave_id = ? and asset in "
            f"({', '.join('?' for _ in keys)})", [cave_id, *keys]).fetchall()} if checks else {}
    return [CheckInput(check, check.enrich(frame, output) if check.enrich else frame, vocabulary,
                       recorded.get(key)) for check, frame, key in zip(checks, frames, keys, strict=True)]


def evaluate(item: CheckInput, reuse_passed: bool = True) -> CheckRun:
    """Reuse the last passing result when the fingerprint is the recorded one (and reuse is allowed); otherwise
    validate with Great Expectations."""
    if reuse_passed and item.recorded is not None and item.recorded[0] == item.fingerprint:
        return CheckRun(item.check, item.fingerprint, reused_from=item.recorded[1])
    outcomes = validate(item.frame, item.check.expectations(item.vocabulary), item.check.id_column)
    return CheckRun(item.check, item.fingerprint, outcomes)


def run_table_checks(checks: Sequence[TableCheck], database: Path, output: Path, cave_id: str,
                     reuse_passed: bool = True, record_passed: bool = True) -> list[CheckRun]:
    """Validate what the tables (and their files) hold now for one cave, or reuse the result of the same input.

    One read-only connection reads every check's input; the fingerprints of the checks validated now and
    passing are then recorded in one write (unless `record_passed` is off: a checks-only run, `dhf check`,
    only reads). A failure records nothing, and a reused result keeps the time it was validated."""
    runs = [evaluate(item, reuse_passed) for item in read_check_inputs(checks, database, output, cave_id)]
    validated = [run for run in runs if run.passed and run.reused_from is None]
    if record_passed and validated:
        db.replace_rows(database, [fingerprint_write(cave_id, reuse.fingerprint_key(run.check.name), run.fingerprint)
                                   for run in validated])
    return runs

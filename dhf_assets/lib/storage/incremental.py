"""Incremental builds in one place: what each per-cave asset's result depends on, and when it skips.

Each incremental asset has one declaration (`INCREMENTAL`) of what its fingerprint reads: per table,
the cave's rows by their key columns and content columns (never whole rows: they hold timestamps).
Those rows are hashed in DuckDB, in one query, and combined with the asset's configuration into its
fingerprint. An asset whose fingerprint equals the one recorded at its last build (`asset_fingerprints`)
and whose output files are all present skips its work; a per-face asset that does run keeps the
rows of faces whose own inputs are unchanged (`face_stage_inputs`). At the cave level, a cave needs
a build when its archive inputs hash differs from the one its last successful build used.
Dagster-free: the assets pass a query function and turn a `Step` into their results.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

from dhf_assets.lib.storage import db
from dhf_assets.lib.storage.files import remove_stale_files
from dhf_assets.lib.storage.inputs import cave_inputs_hash, save_hash_cache
from dhf_assets.lib.storage.quarantine import QUARANTINE_COLUMNS, Problem
from dhf_assets.lib.storage.tables import TABLES

Query = Callable[[str, Sequence[Any]], list[tuple]]
FINGERPRINT_COLUMNS = ("cave_id", "asset", "fingerprint", "built_at")
FACE_INPUT_COLUMNS = ("cave_id", "asset", "face_id", "inputs")
CAVE_INPUTS = "cave_inputs"  # the archive inputs hash a cave's build started from, recorded beside the fingerprints
ALL_CAVES = "*"  # the scope of a global asset: its reads and rows span every cave
_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")
_IN_SCOPE = "(cave_id = ? or ? = '*')"  # one cave's rows, or every cave's for ALL_CAVES; the scope bound twice


@dataclass(frozen=True)
class Reads:
    """The cave's rows of one table that a result depends on: key columns (the order) and content columns."""

    table: str
    key: tuple[str, ...]
    content: tuple[str, ...] = ()
    within: str | None = None  # only rows whose face_id the cave's rows of this table hold

    def __post_init__(self) -> None:
        for name in (self.table, *self.key, *self.content, *([self.within] if self.within else [])):
            if not _NAME.match(name):
                raise ValueError(f"not a table or column name: {name!r}")

    @property
    def sql(self) -> str:
        """One hash of the rows, or '-' for none; parameters: `params(cave_id)`."""
        values = ", ".join(f"coalesce(cast({c} as varchar), '-')" for c in (*self.key, *self.content))
        within = f" and face_id in (select face_id from {self.within} where {_IN_SCOPE})" if self.within else ""
        return (f"select coalesce(md5(string_agg(concat_ws(':', {values}), ',' order by {', '.join(self.key)})), '-') "
                f"from {self.table} where {_IN_SCOPE}{within}")

    def params(self, cave_id: str) -> list[str]:
        return [cave_id] * (4 if self.within else 2)


@dataclass(frozen=True)
class Incremental:
    """One asset (writing the table of its name): what its fingerprint reads, the column of its table that
    names its output files (relative to the output folder), and whether it reuses rows per face."""

    asset: str
    reads: tuple[Reads, ...]
    files: str | None = None
    per_face: bool = False

    def __post_init__(self) -> None:
        for name in (self.asset, *([self.files] if self.files else [])):
            if not _NAME.match(name):
                raise ValueError(f"not a table or column name: {name!r}")


_FACE = ("face_id",)
INCREMENTAL: dict[str, Incremental] = {d.asset: d for d in (
    # murals reads the cave's archive files: their inputs hash comes in as configuration.
    Incremental("murals", ()),
    Incremental("faces", (Reads("murals", ("mural_id",), ("sha256", "voc_sha256", "width", "height")),),
                files="crop_path"),
    Incremental("face_candidates", (Reads("faces", _FACE, ("sha256",)),)),
    Incremental("upscaled_faces", (Reads("faces", _FACE, ("sha256",), within="subset_3k"),), files="image_path",
                per_face=True),
    Incremental("face_quality", (Reads("upscaled_faces", _FACE, ("sha256",)),
                                 Reads("faces", _FACE, ("sha256",), within="upscaled_faces")), per_face=True),
    # The murals searched and their annotated boxes (an overlapping box makes a proposal `annotated`).
    Incremental("face_proposals", (Reads("murals", ("mural_id",), ("sha256", "voc_sha256")),
                                   Reads("faces", _FACE, ("mural_id", "xmin", "ymin", "xmax", "ymax")))),
    Incremental("backend_quality", (
        Reads("faces", _FACE, ("sha256",), within="subset_3k"),
        Reads("upscaled_faces", _FACE, ("sha256", "backend", "model_id", "model_sha256"), within="subset_3k"))),
)}


def combine(*parts: str) -> str:
    """One short hash of the parts, in order."""
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:24]


@dataclass(frozen=True)
class ReusePlan:
    reused: list[tuple]  # previous rows kept as they are
    compute: list[str]  # face ids to compute, in the order given


def plan_reuse(current: Mapping[str, str], recorded: Mapping[str, str], previous_rows: Mapping[str, tuple],
               present: Callable[[tuple], bool], force: bool = False) -> ReusePlan:
    """Which faces keep their previous row and which are computed again (all of them when forced)."""
    reused, compute = [], []
    for face_id, inputs in current.items():
        row = previous_rows.get(face_id)
        if not force and row is not None and recorded.get(face_id) == inputs and present(row):
            reused.append(row)
        else:
            compute.append(face_id)
    return ReusePlan(reused, compute)


def fingerprint_write(cave_id: str, asset: str, fingerprint: str) -> db.TableWrite:
    """The fingerprint row, recorded in the same transaction as the asset's rows."""
    return db.TableWrite("asset_fingerprints", FINGERPRINT_COLUMNS,
                         [(cave_id, asset, fingerprint, datetime.now(timezone.utc))],
                         {"cave_id": cave_id, "asset": asset})


def recorded_fingerprint(query: Query, cave_id: str, asset: str) -> str | None:
    rows = query("select fingerprint from asset_fingerprints where cave_id = ? and asset = ?", [cave_id, asset])
    return rows[0][0] if rows else None


@dataclass
class Step:
    """One build of one incremental asset for one cave."""

    declaration: Incremental
    cave_id: str
    fingerprint: str
    previous: str | None  # the fingerprint recorded at the last build
    rows: int  # the asset's rows of the cave now
    files: list[str]  # its output files now (the declared column), relative to the output folder
    query: Query
    force: bool = False
    face_inputs: dict[str, str] = field(default_factory=dict)  # per-face assets: face_id -> its inputs hash

    @property
    def asset(self) -> str:
        return self.declaration.asset

    def unchanged(self, output: Path | None = None) -> bool:
        """Same fingerprint as the last build and every declared output file under `output` present (never forced)."""
        if self.force or self.previous != self.fingerprint:
            return False
        return output is None or all((output / path).exists() for path in self.files)

    def plan_faces(self, current: Mapping[str, str], columns: Sequence[str],
                   present: Callable[[tuple], bool] = lambda row: True) -> ReusePlan:
        """Per face: keep the previous row when its inputs hash (`current`) is the one recorded with it."""
        self.face_inputs = dict(current)
        recorded = dict(self.query("select face_id, inputs from face_stage_inputs where cave_id = ? and asset = ?",
                                   [self.cave_id, self.asset]))
        previous = {row[0]: row for row in self.query(
            f"select {', '.join(columns)} from {self.asset} where {_IN_SCOPE}", [self.cave_id] * 2)}
        return plan_reuse(current, recorded, previous, present, self.force)

    def writes(self, columns: Sequence[str], rows: list[tuple], stage: str,
               problems: Sequence[Problem]) -> list[db.TableWrite]:
        """The asset's rows of the cave (of all caves for ALL_CAVES), its quarantine rows, its fingerprint (and
        per-face inputs): one transaction."""
        cave = {} if self.cave_id == ALL_CAVES else {"cave_id": self.cave_id}
        writes = [db.TableWrite(self.asset, tuple(columns), rows, cave),
                  db.TableWrite("quarantine", QUARANTINE_COLUMNS, [p.row(self.cave_id) for p in problems],
                                {**cave, "stage": stage}),
                  fingerprint_write(self.cave_id, self.asset, self.fingerprint)]
        if self.declaration.per_face:
            kept = {row[0] for row in rows}
            inputs = [(self.cave_id, self.asset, f, h) for f, h in sorted(self.face_inputs.items()) if f in kept]
            writes.append(db.TableWrite("face_stage_inputs", FACE_INPUT_COLUMNS, inputs, {**cave, "asset": self.asset}))
        return writes


def begin(query: Query, asset: str, cave_id: str, config: Sequence[str], force: bool = False) -> Step:
    """The asset's fingerprint now (its declared reads, hashed in one query, plus `config`) and the recorded one.

    `cave_id` is the partition of a per-cave asset, or ALL_CAVES for a global one (its reads span every cave).
    """
    declaration = INCREMENTAL[asset]
    parts = [f"({r.sql})" for r in declaration.reads]
    now = [  # what is there now: the recorded fingerprint, the rows and their files, in the same query
        "(select max(fingerprint) from asset_fingerprints where cave_id = ? and asset = ?)",
        f"(select count(*) from {asset} where {_IN_SCOPE})",
        f"(select coalesce(list({declaration.files}), []) from {asset} where {_IN_SCOPE})" if declaration.files
        else "([]::varchar[])",
    ]
    params = [p for r in declaration.reads for p in r.params(cave_id)] + [cave_id, asset] + [cave_id] * 2
    params += [cave_id] * 2 if declaration.files else []
    rows = query(f"select {', '.join([*parts, *now])}", params)
    values = list(rows[0]) if rows else ["-"] * len(parts) + [None, 0, []]
    *hashes, previous, count, paths = values
    return Step(declaration, cave_id, combine(asset, *hashes, *config), previous, int(count), list(paths or []),
                query, force)


# ---------------------------------------------------------------- caves: which need a build

# Expert decisions are never lost, not even when a cave leaves the archive.
KEPT_WHEN_RETIRED = ("review_history", "caves", "vocabulary")
RETIRED_OUTPUT_FOLDERS = ("crops", "standardized", "reviews")


def built_hashes(database: Path) -> dict[str, str]:
    """The inputs hash of each cave's last successful build (empty before any build)."""
    if not database.exists():
        return {}
    return dict(db.query(database, "select cave_id, inputs_hash from cave_builds")[1])


def current_hashes(archive: Path, caves: list[str]) -> dict[str, str]:
    hashes = {cave: cave_inputs_hash(archive, cave) for cave in caves}
    save_hash_cache()
    return hashes


def changed_caves(current: dict[str, str], built: dict[str, str]) -> list[str]:
    """Caves whose inputs differ from their last successful build (never built counts as changed)."""
    return sorted(cave for cave, digest in current.items() if digest and built.get(cave) != digest)


def retire_cave(database: Path, output: Path, cave_id: str) -> dict[str, int]:
    """Remove a vanished cave's rows (except review history) and output files; counts what went."""
    tables = [t for t, ddl in TABLES.items() if "cave_id" in ddl and t not in KEPT_WHEN_RETIRED]
    counts = {}
    if database.exists():
        for table in tables:
            counts[table] = db.query(database, f"select count(*) from {table} where cave_id = ?", [cave_id])[1][0][0]
        db.replace_rows(database, [db.TableWrite(t, (), (), {"cave_id": cave_id}) for t in tables])
    for folder in RETIRED_OUTPUT_FOLDERS:
        counts[f"{folder}/ files"] = remove_stale_files(output / folder / cave_id, set(), "*")
        if (output / folder / cave_id).is_dir():
            (output / folder / cave_id).rmdir()
    return counts

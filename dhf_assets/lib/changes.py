"""Which caves need a build: inputs that differ from the ones their last successful build used."""

from __future__ import annotations

from pathlib import Path

from . import db
from .files import remove_stale_files
from .inputs import cave_inputs_hash, save_hash_cache
from .tables import TABLES

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

"""The bundled sample archive: three caves of procedurally painted murals, built deterministically.

`build_sample_archive(dest)` writes the archive that `make demo` runs end to end; the layout lives
in `sample_layout`, the painting in `sample_paint`/`sample_shapes`, the file bytes in
`sample_render`. `sample_manifest()` says, without painting anything, what the pipeline should
make of it: the valid boxes (with face ids, and whether a real face was painted there) and every
deliberately bad file with the quarantine category it should produce.

    python -m dhf_assets.lib.sample.build [DEST]     # DEST defaults to $DHF_ARCHIVE_DIR
"""

from __future__ import annotations

import csv
import functools
import io
import os
import sys
from pathlib import Path

from dhf_assets.lib.sample.expected import (
    TIERS,
    SampleBadFile,
    SampleBox,
    SampleManifest,
    SampleReview,
    expected_manifest,
    size_tier,
)
from dhf_assets.lib.sample.layout import CATEGORIES, MURALS
from dhf_assets.lib.sample.render import mural_files

__all__ = [
    "CATEGORIES",
    "TIERS",
    "SampleBadFile",
    "SampleBox",
    "SampleManifest",
    "SampleReview",
    "build_sample_archive",
    "sample_files",
    "sample_manifest",
    "size_tier",
]


@functools.cache
def sample_manifest() -> SampleManifest:
    """What the sample archive holds and what the pipeline should make of it (nothing is painted)."""
    return expected_manifest()


def _csv(header: tuple[str, ...], rows) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode()


def sample_files() -> dict[str, bytes]:
    """Every file of the sample archive: relative path -> bytes."""
    manifest = sample_manifest()
    files = {
        "caves.csv": _csv(("cave_id", "site", "period", "cave_style"), manifest.caves),
        "murals.csv": _csv(("cave_id", "mural_id", "period"), manifest.mural_periods),
    }
    for spec in MURALS:
        files.update(mural_files(spec))
    for cave_id in sorted({review.cave_id for review in manifest.reviews}):
        rows = [(r.face_id, r.decision, r.subset, r.tags, r.reviewer, r.reviewed_at)
                for r in manifest.reviews if r.cave_id == cave_id]
        header = ("face_id", "decision", "subset", "tags", "reviewer", "reviewed_at")
        files[f"reviews/{cave_id}.csv"] = _csv(header, rows)
    if sorted(files) != list(manifest.files):
        raise RuntimeError("sample manifest and rendered files disagree")
    return files


def _write_atomically(path: Path, data: bytes) -> bool:
    """Write via a temporary file and os.replace; leave an identical file untouched. True if written."""
    if path.is_file() and path.stat().st_size == len(data) and path.read_bytes() == data:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return True


def build_sample_archive(dest: Path) -> SampleManifest:
    """Write the sample archive under `dest` and return its manifest.

    Each file is written to a temporary name and moved into place; a file that already holds the
    right bytes is left alone, so a rebuild changes nothing (not even mtimes). Files under `dest`
    that are not part of the sample are left where they are.
    """
    dest = Path(dest)
    for relative, data in sample_files().items():
        _write_atomically(dest / relative, data)
    return sample_manifest()


def main(argv: list[str] | None = None) -> int:
    import time

    from dhf_assets.lib.runtime.settings import current_settings

    args = sys.argv[1:] if argv is None else argv
    dest = Path(args[0]).resolve() if args else current_settings().archive_dir
    started = time.monotonic()
    manifest = build_sample_archive(dest)
    counts = ", ".join(f"{cave} {n}" for cave, n in manifest.valid_box_counts().items())
    print(f"sample archive at {dest}: {len(manifest.files)} files, valid boxes {counts}, "
          f"{len(manifest.bad_files)} bad inputs, {time.monotonic() - started:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

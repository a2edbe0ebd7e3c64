"""The dataset card (README.md of a release), written from the marts and the provenance tables."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import duckdb

from dhf_assets.lib.ingest.vocabulary import VOCABULARY
from dhf_assets.lib.runtime.settings import current_settings
from dhf_assets.lib.storage import db
from dhf_assets.lib.text.markdown import markdown_table

DEFAULT_LICENSE = "other"
DEFAULT_LICENSE_NOTE = ("No licence was set for this release (DHF_LICENSE). The mural scans remain subject to "
                        "the terms of their holders; do not redistribute before a licence is stated.")
DEFAULT_CITATION = ("Zhang, Z., Cao, Y. (2025). Dunhuang_Faces: A Dataset Enhanced through Image Processing for "
                    "Cultural Heritage and Machine Learning. Traitement du Signal, 42(1). "
                    "https://doi.org/10.18280/ts.420148")

MARTS = ("subset_sizes", "attribute_distribution", "crop_resolution", "upscale_tiers", "quality_summary",
         "mural_symmetry")


@dataclass(frozen=True)
class Table:
    columns: list[str]
    rows: list[tuple]


@dataclass
class CardInputs:
    version: str
    caves: list[str]
    left_out: dict[str, str]
    contents: dict[str, int]  # what the release holds: "murals", "crops", "images_3k", ...
    marts: dict[str, Table | None]
    provenance: dict[str, Table]
    license: str = DEFAULT_LICENSE
    license_note: str = DEFAULT_LICENSE_NOTE
    citation: str = DEFAULT_CITATION
    layout: list[tuple[str, str]] = field(default_factory=list)  # (path, what)


def licence_from_env() -> tuple[str, str, str]:
    """(licence id, licence note, citation) from DHF_LICENSE / DHF_CITATION, with defaults."""
    settings = current_settings()
    licence, citation = settings.license, settings.citation or DEFAULT_CITATION
    if not licence:
        return DEFAULT_LICENSE, DEFAULT_LICENSE_NOTE, citation
    return licence, f"Released under {licence}.", citation


def read_table(database: Path, sql: str, params: Sequence[object] = ()) -> Table | None:
    """A query's result, or None when a table it reads does not exist (a mart not built yet)."""
    try:
        columns, rows = db.query(database, sql, params)
    except duckdb.CatalogException:
        return None
    return Table(columns, rows)


def read_marts(database: Path) -> dict[str, Table | None]:
    # Mart names are constants of this module, never data.
    return {name: read_table(database, f"select * from {name} order by all") for name in MARTS}


def read_provenance(database: Path, caves: list[str]) -> dict[str, Table]:
    queries = {
        "detectors": """select detector, coalesce(weights_id, '') as weights_id, count(*) as crops_scored
                        from face_detections where list_contains(?, cave_id) group by all order by all""",
        "candidate rule": """select threshold, rule, detectors, count(*) as crops
                             from face_candidates where list_contains(?, cave_id) group by all order by all""",
        "upscaler": """select tier, backend, coalesce(model_id, '') as model_id, device, dtype, steps, guidance,
                              noise_level, seed, coalesce(prompt, '') as prompt, count(*) as images
                       from upscaled_faces where list_contains(?, cave_id) group by all order by all""",
    }
    return {name: read_table(database, sql, [caves]) or Table([], []) for name, sql in queries.items()}


def _cell(value: object) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.4f}".rstrip("0").rstrip(".") if abs(value) < 1e6 else f"{value:.0f}"
    return str(value)


def table_section(table: Table | None, columns: Sequence[str] | None = None) -> str:
    """A mart as a markdown table of the given columns, or a note that it is missing or empty."""
    if table is None:
        return "_(not built yet)_"
    if not table.rows:
        return "_(no rows)_"
    names = list(columns or table.columns)
    index = [table.columns.index(c) for c in names]
    return markdown_table(names, [[row[i] for i in index] for row in table.rows], _cell)


def _subset_sizes(table: Table | None, caves: list[str]) -> Table | None:
    """Per-cave rows of the released caves (the mart's per-cave scope), else the mart as it is."""
    if table is None or "cave_id" not in table.columns:
        return table
    cave = table.columns.index("cave_id")
    per_cave = [row for row in table.rows if row[cave] is not None and row[cave] in caves]
    return Table(table.columns, per_cave) if per_cave else table


def render_dataset_card(inputs: CardInputs) -> str:
    marts = inputs.marts
    left_out = "\n".join(f"- **{cave}**: {reason}" for cave, reason in sorted(inputs.left_out.items())) or "None."
    partial = ("\n\n> The statistics below come from the marts and cover every built cave, including the "
               "caves left out of this release." if inputs.left_out else "")
    contents = "\n".join(f"| {name} | {count} |" for name, count in inputs.contents.items())
    layout = "\n".join(f"| `{path}` | {what} |" for path, what in inputs.layout)
    distribution = marts.get("attribute_distribution")
    return f"""---
pretty_name: Dunhuang_Faces
license: {inputs.license}
tags: [cultural-heritage, dunhuang, murals, faces, super-resolution]
---

# Dunhuang_Faces {inputs.version}

Faces cropped from scans of the Dunhuang cave murals, built cave by cave by `dhf`: the boxes of every
annotated face (**Dunhuang_Faces-20k**), the expert-reviewed faces standardized to 512×512
(**Dunhuang_Faces-3k**) and the best preserved of them with descriptive tags (**Dunhuang_Faces-500**).

## Release contents

Caves: {", ".join(inputs.caves) or "none"}.

| item | count |
|---|---|
{contents}

| path | what |
|---|---|
{layout}

## Caves left out

Only caves whose data-quality checks passed on their latest materialization are released.

{left_out}{partial}

## Subset sizes

{table_section(_subset_sizes(marts.get("subset_sizes"), inputs.caves))}

## Attribute distributions (Figures 6 and 7)

### Dunhuang_Faces-3k

{table_section(_subset_rows(distribution, "3k"), ["attribute", "code", "name", "faces", "share"])}

### Dunhuang_Faces-500

{table_section(_subset_rows(distribution, "500"), ["attribute", "code", "name", "faces", "share"])}

## Crop resolution and upscaling tiers (Figure 3)

{table_section(marts.get("upscale_tiers"))}

## Quality of the standardized faces (Tables 2 and 3)

{table_section(marts.get("quality_summary"))}

## Provenance

Candidates were scored by these detectors and weights:

{table_section(inputs.provenance.get("detectors"))}

Candidate rule:

{table_section(inputs.provenance.get("candidate rule"))}

Standardization to 512×512 (backend and parameters per tier):

{table_section(inputs.provenance.get("upscaler"))}

Boxes are in pixels of the stored scans (EXIF orientation is never applied). In the VOC files they
are 1-based and inclusive; in the JSON, CSV and COCO files 0-based and half-open.

## Verifying the files

`MANIFEST.json` lists every file with its sha256 and size; from this folder,
`sha256sum -c MANIFEST.sha256` checks them too.

## Licence

{inputs.license_note}

## Citation

{inputs.citation}
"""


def _subset_rows(table: Table | None, subset: str) -> Table | None:
    """One subset's rows in the paper's order (Figure 6), shares as percentages."""
    if table is None:
        return None
    column = {name: i for i, name in enumerate(table.columns)}
    attributes = list(VOCABULARY)

    def order(row: tuple) -> tuple:
        attribute, code = row[column["attribute"]], row[column["code"]]
        codes = list(VOCABULARY.get(attribute, {}))
        return (attributes.index(attribute) if attribute in attributes else len(attributes), attribute,
                codes.index(code) if code in codes else len(codes), str(code))

    rows = sorted((r for r in table.rows if str(r[column["subset"]]) == subset), key=order)
    share = column["share"]
    return Table(table.columns, [(*r[:share], f"{r[share]:.1%}" if r[share] is not None else None, *r[share + 1:])
                                 for r in rows])

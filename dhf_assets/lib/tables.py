"""DDL of the tables the Python assets write. Each asset's table has the asset's name."""

from __future__ import annotations

TABLES: dict[str, str] = {
    "vocabulary": """
        create table if not exists vocabulary (
            attribute varchar not null, code varchar not null, name varchar not null
        )""",
    "caves": """
        create table if not exists caves (
            cave_id varchar not null, site varchar not null, period varchar not null,
            cave_style varchar not null
        )""",
    "murals": """
        create table if not exists murals (
            cave_id varchar not null, mural_id varchar not null, path varchar not null,
            voc_path varchar, sha256 varchar not null, voc_sha256 varchar,
            width integer not null, height integer not null, format varchar not null,
            exif_orientation integer not null, period varchar not null, period_source varchar not null
        )""",
    "faces": """
        create table if not exists faces (
            face_id varchar not null, cave_id varchar not null, mural_id varchar not null,
            object_index integer not null, xmin integer not null, ymin integer not null,
            xmax integer not null, ymax integer not null, width integer not null,
            height integer not null, identity varchar, orientation varchar not null,
            crop_path varchar not null, sha256 varchar not null
        )""",
    "quarantine": """
        create table if not exists quarantine (
            cave_id varchar not null, stage varchar not null, file varchar not null,
            item varchar not null, reason varchar not null, severity varchar not null
        )""",
}

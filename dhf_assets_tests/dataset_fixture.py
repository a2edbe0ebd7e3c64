"""A small built dataset for the report and export tests: archive, crops, 512x512 images, tables and marts.

The tables are filled the way the assets fill them (boxes parsed from the fixture's own VOC files with
`parse_voc_file` + `voc_to_pixel_box`), without running detectors or upscalers. The marts are simple
SQL stand-ins with the columns of the real marts.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from dhf_assets.lib.ingest.boxes import face_id_for, voc_to_pixel_box
from dhf_assets.lib.ingest.voc import parse_voc_file
from dhf_assets.lib.ingest.vocabulary import vocabulary_rows
from dhf_assets.lib.storage.db import write_connection
from dhf_assets_tests.archive_factory import mural_image, write_caves

CAVES = [("A1", "MC", "FD", "IDRS"), ("B2", "YC", "MT", "DS")]
# cave, mural, suffix, size, period override, boxes as VOC strings (1-based inclusive; some fractional,
# one overshooting the right edge by 1 px, which ingestion clamps)
MURALS = [
    ("A1", "m1", ".jpg", (480, 320), None, [("20.5", "30", "120", "150", "BS", "Left"),
                                          ("361", "30", "460.4", "150", "BS", "Right")]),
    ("A1", "m2", ".png", (360, 240), None,
     [("1", "1", "90", "100", "B", "Frontal"), ("200", "50", "361", "200", "face", "Unspecified")]),
    ("A1", "m3", ".jpg", (300, 200), "HT",
     [("10", "10", "70", "90", "CM", "Frontal"), ("150", "20", "230", "110", "BS", "Frontal")]),
    ("B2", "w1", ".jpg", (400, 300), None,
     [("30", "40", "130", "160", "DN", "Left"), ("250", "40", "350", "170", "D", "Right")]),
    ("B2", "w2", ".png", (320, 240), None,
     [("5", "5", "105", "125", "VW", "Frontal"), ("160", "60", "300", "220", "BS", "Left")]),
    ("B2", "w.3", ".jpg", (300, 220), None,
     [("40", "30", "140", "150", "O", "Frontal"), ("170", "30", "270", "150", "BS", "Frontal")]),
]
TAGS = {("A1", "m1", 1): ["crown", "earrings"], ("A1", "m1", 2): ["crown", "serene expression"],
        ("B2", "w2", 2): ["halo"]}
NOT_IN_3K = {("A1", "m3", 2), ("B2", "w1", 2)}


@dataclass(frozen=True)
class Fixture:
    archive: Path
    output: Path
    database: Path


def _write_archive(archive: Path) -> None:
    write_caves(archive, CAVES)
    (archive / "murals.csv").write_text("cave_id,mural_id,period\n" + "".join(
        f"{c},{m},{p}\n" for c, m, _, _, p, _ in MURALS if p))
    for seed, (cave, mural, suffix, size, _, boxes) in enumerate(MURALS):
        folder = archive / "murals" / cave
        folder.mkdir(parents=True, exist_ok=True)
        mural_image(*size, seed=seed).save(folder / f"{mural}{suffix}")
        objects = "".join(f"<object><name>{n}</name><pose>{p}</pose><bndbox><xmin>{a}</xmin><ymin>{b}</ymin>"
                          f"<xmax>{c}</xmax><ymax>{d}</ymax></bndbox></object>" for a, b, c, d, n, p in boxes)
        (folder / f"{mural}.xml").write_text(
            f"<annotation><size><width>{size[0]}</width><height>{size[1]}</height></size>{objects}</annotation>")
    mural_image(200, 150, seed=99).save(archive / "murals" / "A1" / "unannotated.jpg")


def _tier(longer: int) -> str:
    return "two_stage" if longer < 256 else ("one_stage" if longer <= 512 else "downsample")


def build_fixture(root: Path) -> Fixture:
    archive, output, database = root / "archive", root / "output", root / "dhf.duckdb"
    _write_archive(archive)
    periods = {c[0]: c[2] for c in CAVES}
    tables: dict[str, list[tuple]] = {k: [] for k in (
        "murals", "faces", "subset_3k", "subset_500", "upscaled_faces", "face_detections", "face_candidates",
        "face_quality")}
    tables["murals"].append(("A1", "unannotated", "murals/A1/unannotated.jpg", None, "0" * 64, None, 200, 150,
                             "JPEG", 1, "FD", "cave"))
    for cave, mural, suffix, size, period, _ in MURALS:
        path = archive / "murals" / cave / f"{mural}{suffix}"
        tables["murals"].append((cave, mural, f"murals/{cave}/{mural}{suffix}", f"murals/{cave}/{mural}.xml", "0" * 64,
                                 "0" * 64, *size, suffix[1:].upper().replace("JPG", "JPEG"), 1,
                                 period or periods[cave], "mural" if period else "cave"))
        image = Image.open(path).convert("RGB")
        for obj in parse_voc_file(path.with_suffix(".xml")).objects:
            box = voc_to_pixel_box(obj, *size).box
            face_id = face_id_for(cave, mural, box)
            crop = f"crops/{cave}/{mural}/{face_id}.png"
            (output / crop).parent.mkdir(parents=True, exist_ok=True)
            image.crop(box.as_tuple()).save(output / crop)
            identity = None if obj.name == "face" else obj.name
            tables["faces"].append((face_id, cave, mural, obj.index, *box.as_tuple(), box.width, box.height,
                                    identity, obj.pose, crop, "0" * 64))
            tables["face_detections"].append((face_id, cave, "mtcnn", "facenet-pytorch-2.6.0", 1, 0.99, None, None))
            tables["face_candidates"].append((face_id, cave, "candidate", None, 0.99, "mtcnn", 0.9, "any",
                                              "mtcnn:facenet-pytorch-2.6.0"))
            if (cave, mural, obj.index) in NOT_IN_3K:
                continue
            tables["subset_3k"].append((face_id, cave, "tester"))
            if (cave, mural, obj.index) in TAGS:
                tables["subset_500"].append((face_id, cave, TAGS[(cave, mural, obj.index)], "tester"))
            image_path = f"standardized/{cave}/{face_id}.png"
            (output / image_path).parent.mkdir(parents=True, exist_ok=True)
            Image.fromarray(np.full((512, 512, 3), 40 + obj.index * 30, np.uint8)).save(output / image_path)
            tables["upscaled_faces"].append((
                face_id, cave, _tier(max(box.width, box.height)), box.width, box.height, "reflect", [0, 0, 0, 0],
                [0.0, 0.0, 512.0, 512.0], "lanczos", "PIL.Image.LANCZOS", "cpu", None, None, None, None, None, [],
                None, 0.01, image_path, "0" * 64, None, None, None, None, None))
            tables["face_quality"].append((face_id, cave, "~512", 33.0, 0.8, None, 1.0, 1.9, 11.0, 11.1, 0.29, 0.33,
                                           6.7, 6.8, 0.45, 0.44, None))
    with write_connection(database) as con:
        con.executemany("insert into vocabulary values (?, ?, ?)", vocabulary_rows())
        con.executemany("insert into caves values (?, ?, ?, ?)", CAVES)
        for table, rows in tables.items():
            if rows:
                con.executemany(f"insert into {table} values ({', '.join('?' * len(rows[0]))})", rows)
        first, second = [r for r in tables["faces"] if r[1:3] == ("A1", "m1")]
        con.execute(
            "insert into symmetry_pairs values ('A1', 'm1', 240.0, ?, ?, 3.5, 0.0, 120.0)", [first[0], second[0]]
        )
        create_marts(con)
    return Fixture(archive, output, database)


MARTS_SQL = """
create or replace table subset_sizes as
with per_cave as (
    select 'cave' as scope, cave_id, '20k' as subset, count(*) as faces from faces group by cave_id
    union all select 'cave', cave_id, '3k', count(*) from subset_3k group by cave_id
    union all select 'cave', cave_id, '500', count(*) from subset_500 group by cave_id)
select * from per_cave union all select 'all', null, subset, sum(faces) from per_cave group by subset;

create or replace table attribute_distribution as
with members as (select '3k' as subset, face_id from subset_3k union all select '500', face_id from subset_500),
attrs as (
    select s.subset, m.period, c.cave_style, c.site, coalesce(f.identity, '?') as identity
    from members s join faces f using (face_id)
    join murals m on m.cave_id = f.cave_id and m.mural_id = f.mural_id join caves c on c.cave_id = f.cave_id),
long as (unpivot attrs on period, cave_style, site, identity into name attribute value code),
counts as (select subset, attribute, nullif(code, '?') as code, count(*) as faces from long group by all)
select c.subset, c.attribute, c.code, coalesce(v.name, 'unlabelled') as name, c.faces,
       c.faces / sum(c.faces) over (partition by c.subset, c.attribute) as share
from counts c left join vocabulary v on v.attribute = c.attribute and v.code = c.code;

create or replace table crop_resolution as
select (greatest(width, height) // 64) * 64 as bin_start, (greatest(width, height) // 64) * 64 + 64 as bin_end,
       count(*) as crops, count(s.face_id) as crops_3k from faces left join subset_3k s using (face_id) group by all;

create or replace table upscale_tiers as
with tiers as (select face_id, case when greatest(width, height) < 256 then 'two_stage'
                   when greatest(width, height) <= 512 then 'one_stage' else 'downsample' end as tier from faces)
select t.tier, count(*) as crops_20k, count(s.face_id) as crops_3k, count(u.face_id) as upscaled
from tiers t left join subset_3k s using (face_id) left join upscaled_faces u using (face_id) group by all;

create or replace table quality_summary as
select band, count(*) as images, avg(psnr) as psnr, avg(ssim) as ssim, avg(lpips) as lpips,
       avg(esi_low) as esi_low, avg(esi_high) as esi_high, avg(snr_low) as snr_low, avg(snr_high) as snr_high,
       avg(ed_low) as ed_low, avg(ed_high) as ed_high, avg(entropy_low) as entropy_low,
       avg(entropy_high) as entropy_high, avg(hfc_low) as hfc_low, avg(hfc_high) as hfc_high
from face_quality group by band;

create or replace table mural_symmetry as
select cave_id, mural_id, any_value(axis_x) as axis_x, count(*) as pairs, avg(h_err) as h_err_mean,
       max(h_err) as h_err_max, avg(v_err) as v_err_mean, max(v_err) as v_err_max,
       avg(area_err) as area_err_mean, max(area_err) as area_err_max
from symmetry_pairs group by cave_id, mural_id;
"""


def create_marts(con) -> None:
    con.execute(MARTS_SQL)

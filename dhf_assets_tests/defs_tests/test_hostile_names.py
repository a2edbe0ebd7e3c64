"""A cave full of hostile file names beside a good cave: nothing stops, every name is one readable quarantine row."""

import os
import subprocess
import sys

import dagster as dg
import pytest

from dhf_assets.defs.partitions import CAVES_PARTITION
from dhf_assets.defs.schedules import incremental_caves_schedule
from dhf_assets.defs.sensors import archive_sensor
from dhf_assets.lib.text import safe_text as safe_text_module
from dhf_assets_tests.archive_factory import voc_box, write_caves, write_mural
from dhf_assets_tests.defs_tests.conftest import build_catalog, build_cave, rows

pytestmark = pytest.mark.slow

# raw name -> the exact text its quarantine row shows
HOSTILE = {
    b"bad\xff.jpg": "bad\\xff.jpg",
    b"ctl\x07new\nline.jpg": "ctl\\x07new\\nline.jpg",
    b"a" * 251 + b".jpg": "a" * 251 + ".jpg",
    b"x'; drop table faces; --.jpg": "x'; drop table faces; --.jpg",
    b"<img src=x onerror=alert(1)>.png": "<img src=x onerror=alert(1)>.png",
    b"$(touch pwned).jpg": "$(touch pwned).jpg",
    b"-rf.xml": "-rf.xml",
}


def hostile_archive(archive):
    write_caves(archive, [("A1", "MC", "FD", "IDRS"), ("H1", "YC", "HT", "DS")])
    write_mural(archive, "A1", "m1", (400, 300), [voc_box(11, 21, 110, 140)], seed=1)
    good = write_mural(archive, "H1", "good", (400, 300), [voc_box(51, 41, 170, 160, "B")], seed=2)
    folder = os.fsencode(good.parent)
    for raw in HOSTILE:
        with open(os.path.join(folder, raw), "wb") as handle:
            handle.write(good.read_bytes())


def with_a_vanishing_file(monkeypatch, cave_folder):
    """The listing of H1 names a file that is gone by the time it is read (deterministic)."""
    real = os.listdir
    monkeypatch.setattr(safe_text_module.os, "listdir",
                        lambda path: [*real(path),
                                      "vanished.jpg"] if os.fsdecode(path) == str(cave_folder) else real(path))


def test_sensor_schedule_and_cave_build_survive_hostile_names(store, instance, monkeypatch):
    hostile_archive(store.archive)
    with_a_vanishing_file(monkeypatch, store.archive / "murals" / "H1")
    with dg.build_sensor_context(instance=instance, resources={"store": store}) as context:
        result = archive_sensor(context)
    assert sorted(r.partition_key for r in result.run_requests if r.partition_key) == ["A1", "H1"]
    instance.add_dynamic_partitions(CAVES_PARTITION, ["A1", "H1"])
    with dg.build_schedule_context(instance=instance, resources={"store": store}) as context:
        assert [r.partition_key for r in incremental_caves_schedule(context)] == ["A1", "H1"]
    build_catalog(store, instance)
    assert build_cave(store, instance, "H1").success
    quarantined = dict(rows(store, "select file, reason from quarantine where cave_id = 'H1' and stage = 'murals'"))
    assert quarantined.pop("vanished.jpg") == "vanished between listing the cave folder and reading it"
    assert set(quarantined) == set(HOSTILE.values())
    assert quarantined["bad\\xff.jpg"] == "unsafe mural id 'bad\\xff' (letters, digits, '_', '-', '.'; up to 128)"
    assert quarantined["-rf.xml"].startswith("unsafe mural id '-rf'")
    assert rows(store, "select mural_id from faces where cave_id = 'H1'") == [("good",)]


def test_dhf_build_exits_0_and_builds_every_good_mural(paths):
    hostile_archive(paths["DHF_ARCHIVE_DIR"])
    env = {**os.environ, **{k: str(v) for k, v in paths.items()}, "DHF_DETECTORS": "mtcnn", "DHF_UPSCALER": "lanczos"}
    result = subprocess.run([sys.executable, "-m", "dhf_assets.cli", "build"], env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    sql = [sys.executable, "-m", "dhf_assets.cli", "sql"]
    faces = subprocess.run([*sql, "select cave_id, count(*) as n from faces group by all order by 1"], env=env,
                           capture_output=True, text=True, check=True).stdout
    assert [line.split() for line in faces.splitlines()[2:4]] == [["A1", "1"], ["H1", "1"]]
    files = subprocess.run([*sql, "select file from quarantine where cave_id = 'H1' and stage = 'murals' order by 1"],
                           env=env, capture_output=True, text=True, check=True).stdout
    assert "bad\\xff.jpg" in files and "ctl\\x07new\\nline.jpg" in files

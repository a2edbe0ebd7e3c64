"""The `dhf` command as a user runs it: separate processes over one DuckDB file and instance."""

import os
import subprocess
import sys
import time

import pytest

from dhf_assets_tests.archive_factory import two_cave_archive, voc_box, write_caves, write_mural

pytestmark = pytest.mark.slow


def dhf(*args, env, check=True, **kwargs):
    result = subprocess.run([sys.executable, "-m", "dhf_assets.cli", *args], env=env, capture_output=True, text=True,
                            **kwargs)
    if check:
        assert result.returncode == 0, result.stdout + result.stderr
    return result


@pytest.fixture
def env(paths):
    return {**os.environ, **{k: str(v) for k, v in paths.items()}}


def test_build_sql_and_paths(paths, env):
    two_cave_archive(paths["DHF_ARCHIVE_DIR"])
    out = dhf("build", env=env).stdout
    assert "[dhf] done   faces" in out and "cave A1: ok" in out and "cave B2: ok" in out
    assert "faces=3" in out
    count = dhf("sql", "select count(*) as n from faces", env=env).stdout
    assert count.splitlines()[2].strip() == "4"
    lines = dhf("paths", env=env).stdout.splitlines()
    assert lines == [f"archive={paths['DHF_ARCHIVE_DIR']}", f"output={paths['DHF_OUTPUT_DIR']}",
                     f"duckdb={paths['DHF_DUCKDB_PATH']}", f"dagster_home={paths['DAGSTER_HOME']}"]
    refused = dhf("sql", "delete from faces", env=env, check=False)
    assert refused.returncode == 2 and "read-only" in refused.stderr.lower()


def test_build_with_jobs_runs_each_cave_in_its_own_process(paths, env):
    two_cave_archive(paths["DHF_ARCHIVE_DIR"])
    out = dhf("build", "--jobs", "2", env=env).stdout
    assert "building cave A1 (process, 1 torch thread(s))" in out and "building cave B2 (process" in out
    assert "cave A1: ok" in out and "cave B2: ok" in out and "faces=3" in out
    count = dhf("sql", "select count(distinct cave_id) as caves, count(*) as n from faces", env=env).stdout
    assert count.splitlines()[2].split() == ["2", "4"]
    refused = dhf("build", "--jobs", "0", env=env, check=False)
    assert refused.returncode == 2 and "at least 1" in refused.stderr


def test_build_of_a_refused_cave_exits_non_zero_with_the_reason(paths, env):
    write_caves(paths["DHF_ARCHIVE_DIR"], [("A1", "MC", "XX", "IDRS")])
    write_mural(paths["DHF_ARCHIVE_DIR"], "A1", "m1", (100, 100), [voc_box(1, 1, 50, 50)])
    result = dhf("build", "--cave", "A1", env=env, check=False)
    assert result.returncode == 1
    assert "caves.csv line 2: cave A1: unknown period code 'XX'" in result.stderr
    missing = dhf("build", "--cave", "NOPE", env=env, check=False)
    assert missing.returncode == 2 and "no cave folder for NOPE" in missing.stderr


def big_cave(archive, cave_id, murals, seed):
    for index in range(murals):
        boxes = [voc_box(1 + 90 * k, 1 + 60 * k, 80 + 90 * k, 70 + 60 * k) for k in range(12)]
        write_mural(archive, cave_id, f"m{index}", (1200, 900), boxes, seed=seed + index)


def test_two_caves_at_once_and_sql_during_a_build(paths, env):
    archive = paths["DHF_ARCHIVE_DIR"]
    write_caves(archive, [("A1", "MC", "FD", "IDRS"), ("B2", "YC", "HT", "DS")])
    big_cave(archive, "A1", 12, 0)
    big_cave(archive, "B2", 12, 100)
    dhf("build", "--cave", "A1", env=env)  # registers partitions and the catalog first
    dhf("sql", "select 1", env=env)
    builds = [subprocess.Popen([sys.executable, "-m", "dhf_assets.cli", "build", "--cave", cave], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) for cave in ("A1", "B2")]
    answered = 0
    while any(b.poll() is None for b in builds):
        dhf("sql", "select count(*) from faces", env=env, timeout=120)
        answered += 1
        time.sleep(0.2)
    outputs = [b.communicate()[0] for b in builds]
    assert all(b.returncode == 0 for b in builds), outputs
    assert answered >= 1
    counts = dhf("sql", "select cave_id, count(*) from faces group by cave_id order by cave_id", env=env).stdout
    assert "A1       144" in counts and "B2       144" in counts


def test_check_after_a_hand_edit_names_the_offending_row(paths, env):
    two_cave_archive(paths["DHF_ARCHIVE_DIR"])
    dhf("build", "--cave", "A1", env=env)
    assert "ok   A1 faces.faces_valid" in dhf("check", env=env).stdout
    import duckdb

    con = duckdb.connect(str(paths["DHF_DUCKDB_PATH"]))
    con.execute("update faces set orientation = 'Sideways' where mural_id = 'm2'")
    con.close()
    result = dhf("check", "--cave", "A1", env=env, check=False)
    assert result.returncode == 1
    assert "FAIL A1 faces.faces_valid" in result.stdout and "'orientation': 'Sideways'" in result.stdout

import multiprocessing
import time

import duckdb
import pytest

from dhf_assets.lib.storage import db
from dhf_assets.lib.storage.db import TableWrite, query, replace_rows
from dhf_assets.lib.storage.quarantine import QUARANTINE_COLUMNS


def quarantine_rows(cave, stage, n):
    return [(cave, stage, f"f{i}", "", "why", "error") for i in range(n)]


def test_replace_is_per_cave_and_stage_and_idempotent(tmp_path):
    path = tmp_path / "t.duckdb"
    replace_rows(path,
                 [TableWrite("quarantine", QUARANTINE_COLUMNS, quarantine_rows("A", "faces", 3),
                             {"cave_id": "A", "stage": "faces"})])
    replace_rows(path,
                 [TableWrite("quarantine", QUARANTINE_COLUMNS, quarantine_rows("A", "murals", 2),
                             {"cave_id": "A", "stage": "murals"})])
    replace_rows(path,
                 [TableWrite("quarantine", QUARANTINE_COLUMNS, quarantine_rows("B", "faces", 4),
                             {"cave_id": "B", "stage": "faces"})])
    for _ in range(2):
        replace_rows(path,
                     [TableWrite("quarantine", QUARANTINE_COLUMNS, quarantine_rows("A", "faces", 1),
                                 {"cave_id": "A", "stage": "faces"})])
    _, rows = query(path, "select cave_id, stage, count(*) from quarantine group by all order by all")
    assert rows == [("A", "faces", 1), ("A", "murals", 2), ("B", "faces", 4)]


def test_a_failed_write_rolls_back_everything(tmp_path):
    path = tmp_path / "t.duckdb"
    replace_rows(
        path, [TableWrite("quarantine", QUARANTINE_COLUMNS, quarantine_rows("A", "faces", 2), {"cave_id": "A"})]
    )
    bad = [("A", "faces", "f", "", None, "error")]  # reason is NOT NULL
    with pytest.raises(duckdb.Error):
        replace_rows(path, [TableWrite("quarantine", QUARANTINE_COLUMNS, bad, {"cave_id": "A"})])
    assert query(path, "select count(*) from quarantine")[1] == [(2,)]


def test_values_are_bound_never_formatted(tmp_path):
    path = tmp_path / "t.duckdb"
    hostile = "x'; drop table quarantine; --"
    replace_rows(
        path, [TableWrite("quarantine", QUARANTINE_COLUMNS, quarantine_rows(hostile, "s", 1), {"cave_id": hostile})]
    )
    assert query(path, "select cave_id from quarantine where cave_id = ?", [hostile])[1] == [(hostile,)]


def _hold_lock(path, seconds, ready):
    con = duckdb.connect(str(path))
    ready.set()
    time.sleep(seconds)
    con.close()


def test_readers_and_writers_wait_for_another_process(tmp_path):
    path = tmp_path / "t.duckdb"
    replace_rows(path, [TableWrite("quarantine", QUARANTINE_COLUMNS, quarantine_rows("A", "s", 1), {"cave_id": "A"})])
    ready = multiprocessing.Event()
    holder = multiprocessing.Process(target=_hold_lock, args=(path, 1.5, ready))
    holder.start()
    ready.wait(10)
    started = time.monotonic()
    assert query(path, "select count(*) from quarantine")[1] == [(1,)]
    assert time.monotonic() - started > 0.5  # it really waited for the other process
    holder.join()
    ready.clear()
    holder = multiprocessing.Process(target=_hold_lock, args=(path, 5, ready))
    holder.start()
    ready.wait(10)
    with pytest.raises(db.DatabaseBusy, match="stayed locked"):
        db.connect(path, timeout_s=0.5)
    holder.join()


@pytest.mark.parametrize(
    "damage", ["drop table crop_phashes", "alter table upscaled_faces drop column tile_size", None]
)
def test_a_write_connection_restores_a_missing_table_or_added_column(tmp_path, damage):
    path = tmp_path / "t.duckdb"
    with db.write_connection(path) as con:
        if damage:
            con.execute(damage)
    with db.write_connection(path) as con:  # the catalog check finds what is missing and runs the DDL
        assert db._schema_current(con)
        assert con.execute("select count(*) from upscaled_faces where tile_size is null").fetchone() == (0,)

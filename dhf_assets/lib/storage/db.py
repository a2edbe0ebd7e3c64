"""Short-lived DuckDB connections with lock retries, and per-cave replace-in-one-transaction.

DuckDB allows one writing process per file, and while one writes it refuses other processes even
read-only. dhf therefore never holds a connection while it computes: each asset does its work
first and then opens a connection only to replace its rows (milliseconds), and every connection,
reader or writer, retries with backoff while another process holds the file.
"""

from __future__ import annotations

import random
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Sequence

import duckdb

from dhf_assets.lib.runtime.test_hold import hold_if_asked
from dhf_assets.lib.storage.tables import ADDED_COLUMNS, TABLES, migrations

_LOCK_MARKERS = ("lock", "Conflicting")
_INSERT_CHUNK = 100


class DatabaseBusy(TimeoutError):
    """The DuckDB file stayed locked by another process for longer than the timeout."""


def _is_lock_error(exc: Exception) -> bool:
    return isinstance(exc, (duckdb.IOException, duckdb.ConnectionException)) and any(
        marker in str(exc) for marker in _LOCK_MARKERS
    )


def connect(path: Path, read_only: bool = False, timeout_s: float = 120.0) -> duckdb.DuckDBPyConnection:
    """Open the DuckDB file, retrying while another process holds its lock."""
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + timeout_s
    delay = 0.01
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only)
        except (duckdb.IOException, duckdb.ConnectionException) as exc:
            if not _is_lock_error(exc) or time.monotonic() > deadline:
                if _is_lock_error(exc):
                    raise DatabaseBusy(f"{path} stayed locked for {timeout_s:.0f} s: {exc}") from exc
                raise
        time.sleep(delay * (0.5 + random.random()))
        delay = min(delay * 2, 0.5)


@contextmanager
def write_connection(path: Path, timeout_s: float = 120.0) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection for one short write; the schema exists when it is handed out."""
    con = connect(path, read_only=False, timeout_s=timeout_s)
    try:
        if not _schema_current(con):
            for ddl in [*TABLES.values(), *migrations()]:
                con.execute(ddl)
        yield con
    finally:
        con.close()


def _schema_current(con: duckdb.DuckDBPyConnection) -> bool:
    """Every table and added column exists: one catalog query (5 ms) instead of ~30 DDL statements (15 ms)."""
    present = set(con.execute("""select table_name, column_name from duckdb_columns()
                                 where database_name = current_database() and schema_name = 'main'""").fetchall())
    return set(TABLES) <= {table for table, _ in present} and all(
        (table, column.split()[0]) in present for table, columns in ADDED_COLUMNS.items() for column in columns)


@dataclass(frozen=True)
class TableWrite:
    """Replace the rows of `table` that match `match` (column -> value) by `rows`."""

    table: str
    columns: Sequence[str]
    rows: Sequence[Sequence[object]]
    match: dict[str, str] = field(default_factory=dict)
    # When set, nothing is deleted: only rows whose key is not in the table yet are added.
    append_key: tuple[str, ...] = ()


def replace_rows(path: Path, writes: Sequence[TableWrite], timeout_s: float = 120.0) -> None:
    """Delete-then-insert for every write, all in one transaction, with bound parameters."""
    with write_connection(path, timeout_s) as con:
        con.execute("begin transaction")
        try:
            for write in writes:
                _apply(con, write)
            for write in writes:
                hold_if_asked(f"tx:{write.table}")
            con.execute("commit")
        except BaseException:
            con.execute("rollback")
            raise


def _apply(con: duckdb.DuckDBPyConnection, write: TableWrite) -> None:
    if write.table not in TABLES:
        raise ValueError(f"unknown table {write.table!r}")
    # Table and column names come from code (TABLES and the writers), never from data.
    if write.append_key:
        _append_new(con, write)
        return
    if write.match:
        where = " and ".join(f"{column} = ?" for column in write.match)
        con.execute(f"delete from {write.table} where {where}", list(write.match.values()))
    else:
        con.execute(f"delete from {write.table}")
    _insert(con, write.table, write.columns, write.rows)


def _insert(con: duckdb.DuckDBPyConnection, table: str, columns_: Sequence[str],
            rows: Sequence[Sequence[object]]) -> None:
    columns = ", ".join(columns_)
    row_marks = "(" + ", ".join("?" for _ in columns_) + ")"
    # Multi-row VALUES in chunks: 5x faster than executemany, so the file lock is held briefly.
    for start in range(0, len(rows), _INSERT_CHUNK):
        chunk = rows[start : start + _INSERT_CHUNK]
        values = ", ".join([row_marks] * len(chunk))
        con.execute(f"insert into {table} ({columns}) values {values}", [value for row in chunk for value in row])


def _append_new(con: duckdb.DuckDBPyConnection, write: TableWrite) -> None:
    """Insert the rows whose key is not present yet (an append-only history stays idempotent)."""
    columns = ", ".join(write.columns)
    con.execute(f"create or replace temp table incoming as select {columns} from {write.table} limit 0")
    _insert(con, "incoming", write.columns, write.rows)
    same_key = " and ".join(f"t.{k} is not distinct from i.{k}" for k in write.append_key)
    con.execute(
        f"insert into {write.table} ({', '.join(write.columns)}) select distinct "
        f"{', '.join('i.' + c for c in write.columns)} "
        f"from incoming i where not exists (select 1 from {write.table} t where {same_key})"
    )
    con.execute("drop table incoming")


def query(
    path: Path, sql: str, params: Sequence[object] = (), timeout_s: float = 120.0
) -> tuple[list[str], list[tuple]]:
    """Run read-only SQL; returns column names and rows."""
    if not path.exists():
        raise FileNotFoundError(f"no database at {path} yet: build a cave first (dhf build)")
    with connect(path, read_only=True, timeout_s=timeout_s) as con:
        cursor = con.execute(sql, list(params))
        return [d[0] for d in cursor.description or []], cursor.fetchall()


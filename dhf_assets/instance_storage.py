"""dhf's Dagster instance storage: Dagster's SQLite storage, whose event log keeps one engine per database file.

Dagster's `SqliteEventLogStorage` builds a new SQLAlchemy engine for every connection it opens, opens a
new SQLite connection on it and disposes of both afterwards: a stored event and the reads around it (the
run's file, the index file) do that about eight times, which was a fifth of the cost of a skipped step.
This storage keeps each file's engine and one idle SQLite connection in it (SQLAlchemy's `QueuePool`, its
default for SQLite files). An idle SQLite connection holds no lock: other processes read and write the
files exactly as before, and every use is still its own transaction, committed at once. The files, their
schema and their layout under `base_dir` are Dagster's own: an instance may switch between this and the
default `storage: sqlite` either way.

Configured in the instance template (dagster.yaml, `storage: custom`).
"""

from __future__ import annotations

from collections import OrderedDict
from contextlib import contextmanager
from typing import Any, Iterator

from dagster._core.storage.event_log.sqlite.sqlite_event_log import SQLITE_BUSY_TIMEOUT_SECONDS, SqliteEventLogStorage
from dagster._core.storage.sql import create_engine
from dagster._core.storage.sqlite_storage import DagsterSqliteStorage, _event_logs_directory
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import QueuePool

# Engines of the most recently used files; one process (the UI, the daemon) touches a file per run.
MAX_ENGINES = 64


class EngineKeepingEventLogStorage(SqliteEventLogStorage):
    """`SqliteEventLogStorage` that creates each shard's engine (and SQLite connection) once, not once per use."""

    def __init__(self, base_dir: str, inst_data: Any = None) -> None:
        super().__init__(base_dir, inst_data)
        if not hasattr(self, "_db_lock") or not hasattr(self, "_initialized_dbs"):
            raise RuntimeError("dagster's SqliteEventLogStorage changed: dhf_assets/instance_storage.py needs updating "
                               "(or set `storage: sqlite` in $DAGSTER_HOME/dagster.yaml)")
        self._engines: OrderedDict[str, Engine] = OrderedDict()

    def _engine(self, shard: str) -> Engine:
        engine = self._engines.get(shard)
        if engine is None:
            # One connection is used at a time (Dagster's _db_lock); the overflow only guards against a wait.
            engine = create_engine(self.conn_string_for_shard(shard), poolclass=QueuePool, pool_size=1,
                                   max_overflow=4, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS})
            self._engines[shard] = engine
            while len(self._engines) > MAX_ENGINES:
                self._engines.popitem(last=False)[1].dispose()
        else:
            self._engines.move_to_end(shard)
        return engine

    @contextmanager
    def _connect(self, shard: str) -> Iterator[Connection]:
        # Dagster's _connect, less the engine and the SQLite connection made and disposed of each time.
        with self._db_lock:
            engine = self._engine(shard)
            if shard not in self._initialized_dbs:
                self._initdb(engine)
                self._initialized_dbs.add(shard)
            with engine.connect() as conn, conn.begin():
                yield conn

    def dispose(self) -> None:
        with self._db_lock:
            while self._engines:
                self._engines.popitem()[1].dispose()
        super().dispose()


class DhfSqliteStorage(DagsterSqliteStorage):
    """Dagster's SQLite run, event log and schedule storage under `base_dir`, with the engine-keeping event log."""

    def __init__(self, base_dir: str, inst_data: Any = None) -> None:
        super().__init__(base_dir, inst_data)
        self._event_log_storage = EngineKeepingEventLogStorage(_event_logs_directory(base_dir))

    @classmethod
    def from_config_value(cls, inst_data: Any, config_value: Any) -> DhfSqliteStorage:  # type: ignore[override]
        return cls.from_local(inst_data=inst_data, **config_value)

"""The read-model store: tables beside the events, and a tracking position per projection.

Built on eventsourcing's tracking recorders (``SQLiteTrackingRecorder``,
``PostgresTrackingRecorder``) so the position of each projection is stored with the
single-row tracking upsert that refuses to go backwards: a batch of read-model changes
and its tracking row commit in one transaction, so an event is applied exactly once
even if the process dies mid-batch.

The SQL is written once, with ``?`` placeholders and ``{s}`` for the schema prefix; this
module adapts it to each database.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from eventsourcing.persistence import InfrastructureFactory, Tracking
from eventsourcing.postgres import PostgresTrackingRecorder
from eventsourcing.sqlite import SQLiteConnection, SQLiteConnectionPool, SQLiteTrackingRecorder
from eventsourcing.utils import Environment

from ledger.errors import StoreUnavailable
from ledger.store import StoreConfig, require_store
from projections.tables import INDEXES, PROJECTIONS, fingerprint

TRACKING_NAME = "taskledger_rm"  # environment name: PostgreSQL table taskledger_rm_tracking
Statement = tuple[str, Sequence[Any]]


def _schema_prefix(config: StoreConfig) -> str:
    return f'"{config.pg_schema}".' if config.backend == "postgres" and config.pg_schema else ""


def _ddl(config: StoreConfig, names: Sequence[str] | None = None) -> list[str]:
    prefix = _schema_prefix(config)
    statements = [
        ddl.format(s=prefix)
        for projection, tables in PROJECTIONS.items()
        if names is None or projection in names
        for _, ddl in tables
    ]
    statements += [index.format(s=prefix) for index in INDEXES]
    return statements


class _SQLiteReadModels(SQLiteTrackingRecorder):
    config: StoreConfig

    def construct_create_table_statements(self) -> list[str]:
        return [*super().construct_create_table_statements(), *_ddl(self.config)]


class _PostgresReadModels(PostgresTrackingRecorder):
    config: StoreConfig

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from psycopg.sql import SQL  # only PostgreSQL stores need psycopg

        super().__init__(*args, **kwargs)
        # the PostgreSQL recorders keep their DDL as psycopg SQL objects
        self.sql_create_statements.extend(SQL(ddl) for ddl in _ddl(self.config))


class _StatementCachingPool(SQLiteConnectionPool):
    """eventsourcing opens SQLite connections with ``cached_statements=True`` (a cache of
    one statement). A projector alternates several statements per event, so each was
    compiled again every time; 256 keeps them all (measured: about 2x rebuild CPU)."""

    def _create_connection(self) -> SQLiteConnection:
        connection = sqlite3.connect(
            database=self.db_name,
            uri=True,
            check_same_thread=False,
            isolation_level=None,
            cached_statements=256,
            timeout=self.lock_timeout or 5,
        )
        if not self.is_sqlite_memory_mode:
            connection.execute("PRAGMA journal_mode=WAL;")
            self.is_journal_mode_wal = True
        connection.row_factory = sqlite3.Row
        return SQLiteConnection(sqlite_conn=connection, max_age=self.max_age)


_PLACEHOLDER = re.compile(r"\?")


class ReadStore:
    """Read-model tables and their tracking positions, on SQLite or PostgreSQL."""

    def __init__(self, config: StoreConfig, *, create_tables: bool = False) -> None:
        if not create_tables:
            require_store(config)  # never make an empty SQLite file by opening one
        self.config = config
        self.postgres = config.backend == "postgres"
        self.prefix = _schema_prefix(config)
        env = Environment(TRACKING_NAME, config.eventsourcing_env(create_tables=create_tables))
        base = _PostgresReadModels if self.postgres else _SQLiteReadModels
        recorder_class = type(base.__name__, (base,), {"config": config})
        try:
            factory = InfrastructureFactory.construct(env)
            self.recorder = factory.tracking_recorder(recorder_class)  # type: ignore[arg-type]
        except Exception as error:  # the driver's own error types differ per backend
            raise StoreUnavailable(f"cannot open the read models: {error}") from None
        if not self.postgres:
            datastore = self.recorder.datastore
            previous = datastore.pool
            datastore.pool = _StatementCachingPool(
                db_name=previous.db_name, lock_timeout=previous.lock_timeout
            )
            previous.close()
        self._sql_cache: dict[str, str] = {}
        if create_tables:
            self.upgrade()

    # ---- SQL adaptation --------------------------------------------------------------
    def sql(self, text: str) -> str:
        cached = self._sql_cache.get(text)
        if cached is None:
            cached = text.replace("{s}", self.prefix)
            if self.postgres:
                cached = _PLACEHOLDER.sub("%s", cached.replace("%", "%%"))
            self._sql_cache[text] = cached
        return cached

    @contextmanager
    def transaction(self, *, commit: bool) -> Iterator[Any]:
        with self.recorder.datastore.transaction(commit=commit) as cursor:
            yield cursor

    def query(self, text: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        with self.transaction(commit=False) as cursor:
            cursor.execute(self.sql(text), tuple(params))
            return [dict(row) for row in cursor.fetchall()]

    def scalar(self, text: str, params: Sequence[Any] = ()) -> Any:
        rows = self.query(text, params)
        return next(iter(rows[0].values())) if rows else None

    # ---- tracking ----------------------------------------------------------------------
    def position(self, projection: str) -> int:
        return self.recorder.max_tracking_id(projection) or 0

    def positions(self) -> dict[str, int]:
        return {name: self.position(name) for name in PROJECTIONS}

    def apply(self, statements: list[Statement], trackings: list[Tracking]) -> None:
        """Run the statements and record the new positions, in one transaction.

        Consecutive statements with the same SQL go through ``executemany``, which
        psycopg pipelines: order is kept, round trips are not paid per row.
        """
        with self.transaction(commit=True) as cursor:
            with self._pipeline(cursor):
                run: list[Sequence[Any]] = []
                current: str | None = None
                for text, params in statements:
                    if text != current and run:
                        self._run(cursor, current, run)  # type: ignore[arg-type]
                        run = []
                    current = text
                    run.append(tuple(params))
                if run:
                    self._run(cursor, current, run)  # type: ignore[arg-type]
            # After the pipeline has synced: the tracking upsert reads its RETURNING row,
            # which psycopg cannot match to its statement inside a pipeline.
            for tracking in trackings:
                # the library's own upsert, on our cursor: same transaction as the rows
                self.recorder._insert_tracking(cursor, tracking)

    @contextmanager
    def _pipeline(self, cursor: Any) -> Iterator[None]:
        """PostgreSQL: send the whole batch without waiting for each statement's reply
        (measured: about 2x rebuild speed); SQLite has no round trips to save."""
        if self.postgres:
            with cursor.connection.pipeline():
                yield
        else:
            yield

    def _run(self, cursor: Any, text: str, rows: list[Sequence[Any]]) -> None:
        # One executemany per run of identical statements: psycopg pipelines it (one
        # round trip per batch, not per row); sqlite3 loops in C. Tried and dropped:
        # multi-row VALUES on PostgreSQL (psycopg re-parses long statements in Python;
        # through a RawCursor it was no faster: index upkeep on the server dominates).
        cursor.executemany(self.sql(text), rows)

    def reset(self, names: Sequence[str]) -> None:
        """Empty the named projections' tables and forget their positions (for rebuild)."""
        with self.transaction(commit=True) as cursor:
            for name in names:
                for table, _ in PROJECTIONS[name]:
                    cursor.execute(self.sql(f"DELETE FROM {{s}}{table}"))
                self._forget_position(cursor, name)

    def _forget_position(self, cursor: Any, name: str) -> None:
        tracking_table = (
            f'{self.prefix}"{self.recorder.tracking_table_name}"' if self.postgres else "tracking"
        )
        cursor.execute(
            self.sql(f"DELETE FROM {tracking_table} WHERE application_name = ?"), (name,)
        )

    def upgrade(self) -> list[str]:
        """Replace the tables of every projection written by another release.

        Each projection's fingerprint (its DDL and handler version) is kept in
        ``rm_schema``; where the store's differs, that projection's tables are dropped,
        created anew and its position forgotten, so the next catch-up rebuilds it from
        the events (which never change). Returns the projections replaced.
        """
        with self.transaction(commit=True) as cursor:
            cursor.execute(self.sql(
                "CREATE TABLE IF NOT EXISTS {s}rm_schema (projection TEXT PRIMARY KEY, "
                "fingerprint TEXT NOT NULL)"))
        recorded = {
            row["projection"]: row["fingerprint"]
            for row in self.query("SELECT projection, fingerprint FROM {s}rm_schema")
        }
        changed = [name for name in PROJECTIONS if recorded.get(name) != fingerprint(name)]
        # a projection with no fingerprint yet is new, unless it has applied events
        # (a store from before fingerprints were kept)
        stale = [n for n in changed if n in recorded or self.position(n) > 0]
        if not changed:
            return []
        with self.transaction(commit=True) as cursor:
            for name in stale:
                for table, ddl in PROJECTIONS[name]:
                    cursor.execute(self.sql(f"DROP TABLE IF EXISTS {{s}}{table}"))
                    cursor.execute(self.sql(ddl))
                self._forget_position(cursor, name)
            for index in INDEXES:
                cursor.execute(self.sql(index))
            for name in changed:
                cursor.execute(self.sql("DELETE FROM {s}rm_schema WHERE projection = ?"), (name,))
                cursor.execute(
                    self.sql("INSERT INTO {s}rm_schema (projection, fingerprint) VALUES (?, ?)"),
                    (name, fingerprint(name)),
                )
        return stale

    def close(self) -> None:
        self.recorder.datastore.close()

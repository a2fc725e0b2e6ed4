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
from dataclasses import dataclass
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


SQLITE_CACHE_KIB = 128 * 1024


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
        # A batch inserts into b-trees keyed by random ids (reports, chases, audit
        # indexes): with SQLite's default 2 MB page cache nearly every row missed it
        # (measured: the SQL of a 100k-event rebuild 15.8 s -> 12.9 s with 128 MB).
        # The cache is a ceiling, filled only as pages are read.
        connection.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
        connection.row_factory = sqlite3.Row
        return SQLiteConnection(sqlite_conn=connection, max_age=self.max_age)


_PLACEHOLDER = re.compile(r"\?")


# ---- grouping a batch's statements -----------------------------------------------------
# A batch holds a few statements per event, interleaved (audit row, assignment update,
# report row, obligation update, the next event's...): run in that order, nearly every
# ``executemany`` carried one row (measured: about 3.7 calls per event, each paying the
# driver's per-call cost, and on PostgreSQL a pipeline message per call). The rows of one
# batch are instead run one SQL text at a time, in *phases*, reordered only where the
# result cannot change: statements on different tables commute (no triggers, foreign
# keys or unique indexes besides primary keys), and so do statements on one table that
# touch different values of its partition column (the primary key's first column), which
# every statement names as ``WHERE <column> = ?`` (updates) or inserts (inserts).
# Statements on the same row keep their order; a statement this module does not
# understand, or one that reads another table (a subquery), is a barrier: everything
# before it runs first and everything after it runs later.


@dataclass(frozen=True)
class _Shape:
    """What one SQL text touches, as far as the scheduler needs to know."""

    table: str | None  # the table written; None: not understood (a barrier)
    key: int | None  # the parameter naming the partition value; None: the whole table
    barrier: bool  # reads another table, or not understood: runs alone, in order
    columns: tuple[str, ...] | None  # a plain INSERT of placeholders only (COPY-able)


_TABLE_REF = re.compile(r"\{s\}(\w+)")
_INSERT = re.compile(
    r"^INSERT INTO \{s\}(\w+) \(([^()]*)\) VALUES \(([^()]*)\)\s*(.*)$", re.S | re.I
)
_UPDATE = re.compile(r"^UPDATE \{s\}(\w+) SET (.*)$", re.S | re.I)
_PK_COLUMN = re.compile(r"^\s*(\w+)\s+\w+\s+PRIMARY KEY", re.I | re.M)
_PK_CLAUSE = re.compile(r"PRIMARY KEY\s*\(\s*(\w+)", re.I)


def _partition_columns() -> dict[str, str]:
    """Each read-model table's partition column: the first column of its primary key."""
    found: dict[str, str] = {}
    for tables in PROJECTIONS.values():
        for table, ddl in tables:
            body = ddl[ddl.index("(") + 1 :]
            match = _PK_CLAUSE.search(body) or _PK_COLUMN.search(
                body.replace(",", "\n")
            )
            if match:
                found[table] = match.group(1)
    return found


_PARTITION = _partition_columns()
_INDEX = re.compile(r"CREATE INDEX IF NOT EXISTS (\w+) ON \{s\}(\w+)", re.I)
#: (index, table, DDL) of every secondary index
_INDEXES = [(*_INDEX.match(ddl).groups(), ddl) for ddl in INDEXES]  # type: ignore[union-attr]
_BARRIER = _Shape(None, None, True, None)


def _top_level_split(text: str, separator: str) -> list[tuple[int, str]]:
    """``text`` split on ``separator`` outside parentheses and quotes: (offset, part)."""
    parts, depth, start, i, quoted = [], 0, 0, 0, False
    upper, sep = text.upper(), separator.upper()
    while i < len(text):
        char = text[i]
        if char == "'":
            quoted = not quoted
        elif not quoted and char == "(":
            depth += 1
        elif not quoted and char == ")":
            depth -= 1
        elif not quoted and depth == 0 and upper.startswith(sep, i):
            parts.append((start, text[start:i]))
            i += len(sep)
            start = i
            continue
        i += 1
    parts.append((start, text[start:]))
    return parts


def _shape(sql: str) -> _Shape:
    text = " ".join(sql.split())
    tables = set(_TABLE_REF.findall(text))
    insert = _INSERT.match(text)
    if insert:
        table, columns, values, rest = insert.groups()
        if tables != {table} or "?" in rest:
            return _BARRIER
        names = [c.strip() for c in columns.split(",")]
        items = [v.strip() for v in values.split(",")]
        if len(names) != len(items):
            return _BARRIER
        plain = not rest and all(item == "?" for item in items)
        column = _PARTITION.get(table)
        key = None
        if column in names and items[names.index(column)] == "?":
            key = sum(item == "?" for item in items[: names.index(column)])
        conflict = re.match(r"^ON CONFLICT\s*(?:\(([^()]*)\))?\s*DO\s", rest, re.I)
        if rest and not (conflict and (conflict.group(1) is None or column in [
            c.strip() for c in conflict.group(1).split(",")
        ])):
            key = None  # some other conflict clause: it may touch any row of the table
        return _Shape(table, key, False, tuple(names) if plain else None)
    update = _UPDATE.match(text)
    if update:
        table, body = update.groups()
        if tables != {table}:
            return _BARRIER  # a subquery on another table: order against its writes
        clauses = _top_level_split(body, " WHERE ")
        if len(clauses) != 2:
            return _Shape(table, None, False, None)
        (_, assignments), (where_at, where) = clauses
        column = _PARTITION.get(table)
        assigned = {a.split("=")[0].strip() for _, a in _top_level_split(assignments, ",")}
        key = None
        if column and column not in assigned and len(_top_level_split(where, " OR ")) == 1:
            offset = len("UPDATE {s}") + len(table) + len(" SET ") + where_at
            for at, condition in _top_level_split(where, " AND "):
                if condition.strip() == f"{column} = ?":
                    key = text[: offset + at].count("?")
                    break
        return _Shape(table, key, False, None)
    return _BARRIER


def schedule(statements: Sequence[Statement]) -> list[tuple[str, list[Sequence[Any]]]]:
    """The statements as runs of one SQL text each, in an order with the same result.

    Phases run in order, and within a phase one run per SQL text (rows in their batch
    order); a statement goes into the earliest phase after everything it must follow:
    the statement before it on the same row (the same phase when that is the same SQL
    text: the run keeps their order), any statement before it on its table that may
    touch every row, and the last barrier.
    """
    phases: list[dict[str, list[Sequence[Any]]]] = []
    row_last: dict[tuple[str, Any], tuple[int, str]] = {}  # (table, key) -> phase, SQL
    table_last: dict[str, int] = {}  # table -> the latest phase holding any of its rows
    table_wide: dict[str, tuple[int, str]] = {}  # table -> last whole-table statement
    floor = 0  # nothing goes before the last barrier's phase
    shapes = _SHAPES
    for text, params in statements:
        shape = shapes.get(text)
        if shape is None:
            shape = shapes[text] = _shape(text)
        table = shape.table
        if shape.barrier or table is None:
            phase = len(phases)
            floor = phase + 1
        elif shape.key is None:
            # every row of the table: after anything on it, before anything after it
            phase = max(floor, table_last.get(table, -1) + 1)
            wide = table_wide.get(table)
            if wide is not None and wide == (phase - 1, text) and table_last[table] == phase - 1:
                phase -= 1  # the same whole-table statement again, nothing else since
            table_wide[table] = (phase, text)
        else:
            value = params[shape.key]
            row = (table, value if type(value) is str else str(value))
            phase = floor
            wide = table_wide.get(table)
            if wide is not None:
                phase = max(phase, wide[0] + 1)
            last = row_last.get(row)
            if last is not None:
                phase = max(phase, last[0] if last[1] == text else last[0] + 1)
            row_last[row] = (phase, text)
        if table is not None and phase > table_last.get(table, -1):
            table_last[table] = phase
        while len(phases) <= phase:
            phases.append({})
        run = phases[phase].get(text)
        if run is None:
            phases[phase][text] = [params]
        else:
            run.append(params)
    return [(text, rows) for phase in phases for text, rows in phase.items()]


_SHAPES: dict[str, _Shape] = {}

#: PostgreSQL: a run of a plain INSERT this long goes through COPY (leaving the pipeline
#: costs a round trip; shorter runs are not worth it).
COPY_ROWS = 50


def _consecutive(statements: Sequence[Statement]) -> list[tuple[str, list[Sequence[Any]]]]:
    """The statements in batch order, consecutive identical SQL texts as one run."""
    runs: list[tuple[str, list[Sequence[Any]]]] = []
    for text, params in statements:
        if runs and runs[-1][0] == text:
            runs[-1][1].append(params)
        else:
            runs.append((text, [params]))
    return runs



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

    def apply(
        self, statements: list[Statement], trackings: list[Tracking], *, in_order: bool = False
    ) -> None:
        """Run the statements and record the new positions, in one transaction.

        The statements run grouped by :func:`schedule` (``in_order``: exactly in batch
        order, consecutive identical SQL texts together; the tests' reference).
        """
        runs = _consecutive(statements) if in_order else schedule(statements)
        with self.transaction(commit=True) as cursor:
            if self.postgres:
                self._run_postgres(cursor, runs)
            else:
                # sqlite3's executemany loops over the rows in C with one prepared
                # statement: per row it costs a bind and a step, no Python call.
                for text, rows in runs:
                    cursor.executemany(self.sql(text), rows)
            for tracking in trackings:
                # the library's own upsert, on our cursor: same transaction as the rows
                self.recorder._insert_tracking(cursor, tracking)

    def _run_postgres(self, cursor: Any, runs: list[tuple[str, list[Sequence[Any]]]]) -> None:
        """Long runs of plain INSERTs go through ``COPY``; the rest through
        ``executemany`` in a pipeline (sent without waiting for each statement's reply:
        measured about 2x rebuild speed over one round trip per row).

        Lessons: psycopg refuses ``COPY`` inside a pipeline, so the pipeline is left
        (a sync, one round trip) before each ``COPY`` and entered again after it; and the
        tracking upsert reads its ``RETURNING`` row, which psycopg cannot match to its
        statement inside a pipeline, so it runs after the pipeline has synced. Tried and
        dropped: multi-row ``VALUES`` (psycopg re-parses long statements in Python;
        through a RawCursor it was no faster: index upkeep on the server dominates).
        """
        connection = cursor.connection
        pipeline = None
        try:
            for text, rows in runs:
                columns = _SHAPES[text].columns if text in _SHAPES else None
                if columns and len(rows) >= COPY_ROWS:
                    if pipeline is not None:
                        pipeline.__exit__(None, None, None)
                        pipeline = None
                    table = _SHAPES[text].table
                    with cursor.copy(
                        f"COPY {self.prefix}{table} ({', '.join(columns)}) FROM STDIN"
                    ) as copy:
                        for row in rows:
                            copy.write_row(row)
                    continue
                if pipeline is None:
                    pipeline = connection.pipeline()
                    pipeline.__enter__()
                cursor.executemany(self.sql(text), rows)
        except BaseException as error:
            if pipeline is not None:
                pipeline.__exit__(type(error), error, error.__traceback__)
            raise
        if pipeline is not None:
            pipeline.__exit__(None, None, None)

    # ---- secondary indexes ----------------------------------------------------------------
    def drop_indexes(self, names: Sequence[str]) -> None:
        """Drop the secondary indexes of the named projections' tables (for a rebuild:
        keeping them up to date row by row cost about a third of a rebuild's SQL; made
        again at the end in one sort each, :meth:`create_indexes`)."""
        tables = {table for name in names for table, _ in PROJECTIONS[name]}
        with self.transaction(commit=True) as cursor:
            for index, table, _ in _INDEXES:
                if table in tables:
                    cursor.execute(self.sql(f"DROP INDEX IF EXISTS {{s}}{index}"))

    def missing_indexes(self) -> bool:
        """Whether any secondary index is missing (a rebuild stopped before its end)."""
        names = [index for index, _, _ in _INDEXES]
        if self.postgres:
            schema = self.config.pg_schema
            found = self.query(
                "SELECT indexname AS name FROM pg_indexes WHERE schemaname = "
                + ("?" if schema else "current_schema()"),
                (schema,) if schema else (),
            )
        else:
            found = self.query("SELECT name FROM sqlite_master WHERE type = 'index'")
        return bool(set(names) - {row["name"] for row in found})

    def create_indexes(self) -> None:
        with self.transaction(commit=True) as cursor:
            for _, _, ddl in _INDEXES:
                cursor.execute(self.sql(ddl))

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

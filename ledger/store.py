"""Where the ledger lives: ``TASKLEDGER_DATABASE_URL`` turned into eventsourcing settings.

- unset: an embedded SQLite file ``./var/taskledger.sqlite``;
- ``sqlite:///relative/path`` or ``sqlite:////absolute/path``: exactly that file;
- ``postgresql://user[:password]@host[:port]/db[?schema=name]``: eventsourcing's
  PostgreSQL store, optionally inside one schema (tests use a schema per run).

Only ``taskledger db init`` makes a store; everything else opens one that exists
(:func:`require_store`), so a mistyped path or URL is refused instead of becoming an
empty ledger that reports "0 rows".
"""

from __future__ import annotations

import os
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from ledger.errors import ConfigurationError, StoreNotInitialised, StoreUnavailable

DATABASE_URL_VARIABLE = "TASKLEDGER_DATABASE_URL"
DEFAULT_SQLITE_PATH = Path("var") / "taskledger.sqlite"
# The events table eventsourcing makes: ``stored_events`` on SQLite, ``<application
# name>_events`` on PostgreSQL (the Ledger application is named "taskledger").
SQLITE_EVENTS_TABLE = "stored_events"
POSTGRES_EVENTS_TABLE = "taskledger_events"


@dataclass(frozen=True)
class StoreConfig:
    url: str
    backend: str  # "sqlite" | "postgres"
    sqlite_path: Path | None = None
    pg_dbname: str = ""
    pg_host: str = ""
    pg_port: str = "5432"
    pg_user: str = ""
    pg_password: str = ""
    pg_schema: str = ""

    def eventsourcing_env(self, *, create_tables: bool) -> dict[str, str]:
        """Settings for an eventsourcing Application; table creation is the caller's call."""
        env = {"CREATE_TABLE": "y" if create_tables else "n"}
        if self.backend == "sqlite":
            assert self.sqlite_path is not None
            env.update(
                PERSISTENCE_MODULE="eventsourcing.sqlite",
                SQLITE_DBNAME=str(self.sqlite_path),
                SQLITE_LOCK_TIMEOUT="30",
            )
        else:
            env.update(
                PERSISTENCE_MODULE="eventsourcing.postgres",
                POSTGRES_DBNAME=self.pg_dbname,
                POSTGRES_HOST=self.pg_host,
                POSTGRES_PORT=self.pg_port,
                POSTGRES_USER=self.pg_user,
                POSTGRES_PASSWORD=self.pg_password,
                POSTGRES_SCHEMA=self.pg_schema,
                POSTGRES_CONNECT_TIMEOUT="5",
                POSTGRES_POOL_SIZE="5",
                POSTGRES_MAX_OVERFLOW="10",
                POSTGRES_IDLE_IN_TRANSACTION_SESSION_TIMEOUT="30",
            )
        return env

    @property
    def in_memory(self) -> bool:
        """An SQLite store in memory: made afresh by every process, nothing to find."""
        name = str(self.sqlite_path) if self.backend == "sqlite" else ""
        return ":memory:" in name or "mode=memory" in name

    @property
    def display(self) -> str:
        """The URL without its password, for messages."""
        if self.backend == "sqlite":
            return f"sqlite:///{self.sqlite_path}"
        schema = f"?schema={self.pg_schema}" if self.pg_schema else ""
        return f"postgresql://{self.pg_user}@{self.pg_host}:{self.pg_port}/{self.pg_dbname}{schema}"

    def psycopg_conninfo(self) -> str:
        parts = {
            "dbname": self.pg_dbname,
            "host": self.pg_host,
            "port": self.pg_port,
            "user": self.pg_user,
            "password": self.pg_password,
            "connect_timeout": "5",
        }
        return " ".join(f"{k}='{v}'" for k, v in parts.items() if v)


def parse_database_url(url: str | None) -> StoreConfig:
    if not url:
        return StoreConfig(url="", backend="sqlite", sqlite_path=DEFAULT_SQLITE_PATH)
    if url.startswith("sqlite:///"):
        raw = url[len("sqlite:///") :]
        if not raw or raw == "/":
            raise ConfigurationError(f"{DATABASE_URL_VARIABLE}: no file in {url!r}")
        # sqlite:////abs/path keeps its leading slash; sqlite:///rel/path is relative.
        return StoreConfig(url=url, backend="sqlite", sqlite_path=Path(raw))
    parts = urlsplit(url)
    if parts.scheme in ("postgresql", "postgres", "postgresql+psycopg"):
        dbname = unquote(parts.path.lstrip("/"))
        if not dbname or not parts.hostname:
            raise ConfigurationError(
                f"{DATABASE_URL_VARIABLE}: expected postgresql://user@host:port/db, got {url!r}"
            )
        schema = parse_qs(parts.query).get("schema", [""])[0]
        if schema and not schema.replace("_", "").isalnum():
            raise ConfigurationError(f"{DATABASE_URL_VARIABLE}: bad schema name {schema!r}")
        try:
            port = parts.port
        except ValueError:
            raise ConfigurationError(f"{DATABASE_URL_VARIABLE}: bad port in {url!r}") from None
        return StoreConfig(
            url=url,
            backend="postgres",
            pg_dbname=dbname,
            pg_host=parts.hostname,
            pg_port=str(port or 5432),
            pg_user=unquote(parts.username or os.environ.get("USER", "postgres")),
            pg_password=unquote(parts.password or ""),
            pg_schema=schema,
        )
    raise ConfigurationError(
        f"{DATABASE_URL_VARIABLE} must start with sqlite:/// or postgresql://, got {url!r}"
    )


def configured_store() -> StoreConfig:
    return parse_database_url(os.environ.get(DATABASE_URL_VARIABLE))


def postgres_problem(config: StoreConfig) -> str | None:
    """None when the PostgreSQL server answers, else its first line of complaint."""
    import psycopg  # only PostgreSQL stores need it

    try:
        with psycopg.connect(config.psycopg_conninfo()):
            return None
    except psycopg.Error as error:
        return (str(error).strip().splitlines() or [type(error).__name__])[0]


def _first_line(error: BaseException) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0]


def sqlite_path_problem(config: StoreConfig) -> str | None:
    """Why the SQLite file cannot be a store (a directory, a folder that is a file), or
    None. Checked before eventsourcing or sqlite3 get a chance to create anything."""
    assert config.sqlite_path is not None
    path = config.sqlite_path
    if path.is_dir():
        return f"{path} is a directory, not a store file"
    for folder in path.parents:
        if folder.exists():
            return None if folder.is_dir() else f"{folder} is not a directory"
    return None


def prepare_sqlite_file(config: StoreConfig) -> None:
    """``db init`` on SQLite: make the file's folder if missing (sqlite3 makes the file);
    a file already there must be an SQLite database."""
    assert config.sqlite_path is not None
    problem = sqlite_path_problem(config)
    if problem:
        raise ConfigurationError(f"{config.display}: {problem}")
    if config.sqlite_path.is_file():
        _sqlite_has_events(config)  # refuses what is not a database, in one line
        return
    try:
        config.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise StoreUnavailable(
            f"cannot create {config.sqlite_path.parent}: {error.strerror or error}"
        ) from None


def _sqlite_has_events(config: StoreConfig) -> bool:
    """Whether an existing SQLite file holds the events table (connecting to an
    existing file creates nothing)."""
    try:
        connection = sqlite3.connect(config.sqlite_path, timeout=30)  # type: ignore[arg-type]
        try:
            return connection.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
                [SQLITE_EVENTS_TABLE],
            ).fetchone() is not None
        finally:
            connection.close()
    except sqlite3.Error as error:  # not a database at all, locked, unreadable
        raise StoreUnavailable(
            f"cannot open the ledger store at {config.display}: {_first_line(error)}"
        ) from None


def require_store(config: StoreConfig) -> None:
    """Refuse a store that ``taskledger db init`` has not made, creating nothing.

    SQLite: the file must exist and hold the events table (sqlite3 would create a
    missing file on connect, so existence is checked first). PostgreSQL: the events
    table must exist in the schema (or ``public``); the schema is never created here.
    """
    if config.backend == "sqlite":
        if config.in_memory:
            return
        assert config.sqlite_path is not None
        problem = sqlite_path_problem(config)
        if problem:
            raise ConfigurationError(f"{config.display}: {problem}")
        found = config.sqlite_path.is_file() and _sqlite_has_events(config)
    else:
        import psycopg  # only PostgreSQL stores need it

        table = f'"{config.pg_schema or "public"}".{POSTGRES_EVENTS_TABLE}'
        try:
            with psycopg.connect(config.psycopg_conninfo()) as connection:
                row = connection.execute("SELECT to_regclass(%s) AS found", [table]).fetchone()
        except psycopg.Error as error:
            raise StoreUnavailable(
                f"cannot open the ledger store at {config.display}: {_first_line(error)}"
            ) from None
        found = row is not None and row[0] is not None
    if not found:
        raise StoreNotInitialised(config.display)


def drop_schema(config: StoreConfig) -> None:
    """Remove a PostgreSQL schema and everything in it (tests and benchmarks clean up)."""
    import psycopg

    if not config.pg_schema:
        raise ConfigurationError("refusing to drop a store without a schema of its own")
    with psycopg.connect(config.psycopg_conninfo(), autocommit=True) as connection:
        connection.execute(f'DROP SCHEMA IF EXISTS "{config.pg_schema}" CASCADE')


@contextmanager
def temporary_schema(base_url: str, prefix: str = "tl") -> Iterator[StoreConfig]:
    """A PostgreSQL store in a fresh schema of its own, dropped afterwards.

    For tests and benchmarks: every run works apart from the others on one server.
    """
    separator = "&" if "?" in base_url else "?"
    config = parse_database_url(f"{base_url}{separator}schema={prefix}_{uuid.uuid4().hex[:12]}")
    try:
        yield config
    finally:
        drop_schema(config)

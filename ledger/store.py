"""Where the ledger lives: ``TASKLEDGER_DATABASE_URL`` turned into eventsourcing settings.

- unset: an embedded SQLite file ``./var/taskledger.sqlite`` (created on first use);
- ``sqlite:///relative/path`` or ``sqlite:////absolute/path``: exactly that file;
- ``postgresql://user[:password]@host[:port]/db[?schema=name]``: eventsourcing's
  PostgreSQL store, optionally inside one schema (tests use a schema per run).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from ledger.errors import ConfigurationError

DATABASE_URL_VARIABLE = "TASKLEDGER_DATABASE_URL"
DEFAULT_SQLITE_PATH = Path("var") / "taskledger.sqlite"


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

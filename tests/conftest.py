"""Shared fixtures: a ledger store on SQLite and on PostgreSQL, and a pinned clock.

PostgreSQL comes from ``TASKLEDGER_TEST_POSTGRES_URL`` (default the local ``test``
database); each test gets a schema of its own, dropped afterwards. Locally an
unreachable server skips the PostgreSQL cases; under ``CI=true`` (or
``TASKLEDGER_REQUIRE_POSTGRES=1``) it fails them, so CI can never pass by skipping.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ledger import store as store_module
from ledger.application import Ledger, open_ledger
from ledger.clock import FixedClock
from ledger.store import StoreConfig, parse_database_url

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
SEEDS = SHARED / "seeds"
# Subprocesses (the taskledger command, gunicorn, the scheduler) run this checkout's
# code, not the checkout the virtualenv's editable install points at (a worktree
# sharing another checkout's .venv would otherwise test that checkout's CLI).
os.environ["PYTHONPATH"] = os.pathsep.join(
    p for p in (str(REPO), os.environ.get("PYTHONPATH")) if p
)
POSTGRES_URL = os.environ.get(
    "TASKLEDGER_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)


def postgres_required() -> bool:
    return (
        os.environ.get("CI", "").lower() == "true"
        or os.environ.get("TASKLEDGER_REQUIRE_POSTGRES") == "1"
    )


_pg_state: dict[str, str | None] = {}


def _postgres_problem() -> str | None:
    """None when the test server answers, else why not (checked once per run)."""
    if "problem" not in _pg_state:
        _pg_state["problem"] = store_module.postgres_problem(parse_database_url(POSTGRES_URL))
    return _pg_state["problem"]


def need_postgres() -> None:
    problem = _postgres_problem()
    if problem is None:
        return
    message = f"PostgreSQL at {POSTGRES_URL} is unreachable: {problem}"
    if postgres_required():
        pytest.fail(message + " (required under CI=true)")
    pytest.skip(message)


@pytest.fixture
def postgres_config() -> Iterator[StoreConfig]:
    """A fresh, empty schema on the test server."""
    need_postgres()
    with store_module.temporary_schema(POSTGRES_URL) as config:
        yield config


@pytest.fixture
def sqlite_config(tmp_path: Path) -> StoreConfig:
    return parse_database_url(f"sqlite:///{tmp_path}/ledger.sqlite")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_config(request: pytest.FixtureRequest) -> StoreConfig:
    name = "sqlite_config" if request.param == "sqlite" else "postgres_config"
    return request.getfixturevalue(name)


@pytest.fixture
def clock() -> FixedClock:
    # 2026-07-01 09:00 in Asia/Shanghai: a working Wednesday, early in Q3.
    return FixedClock(datetime(2026, 7, 1, 1, 0, tzinfo=UTC))


@pytest.fixture
def ledger(store_config: StoreConfig, clock: FixedClock) -> Iterator[Ledger]:
    app = open_ledger(store_config, clock=clock, create_tables=True)
    yield app
    app.close()

"""The one thing a command opens: the ledger and the read store, each opened when the
command first uses it and both closed when it ends."""

from __future__ import annotations

import argparse
import getpass
from functools import cached_property
from types import TracebackType
from typing import Any

from ledger.acts import Act
from ledger.application import Ledger, open_ledger
from ledger.calendar import ChineseCalendar
from ledger.clock import SystemClock
from ledger.store import StoreConfig, configured_store, parse_database_url, require_store
from projections.db import ReadStore
from projections.projector import Projector


def operator() -> str:
    """The actor a command records: the user at the terminal."""
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:  # no user name in some containers
        return "cli:operator"


def store_config(args: argparse.Namespace) -> StoreConfig:
    """The store named by --database-url, else $TASKLEDGER_DATABASE_URL, else SQLite."""
    return parse_database_url(args.database_url) if args.database_url else configured_store()


class CliContext:
    """``with CliContext(args) as cli:`` gives a command ``cli.ledger`` and ``cli.store``.

    Nothing is opened until used, so a command that checks its arguments first (or a dry
    run that needs no store) still fails or succeeds before any store is touched. Both
    refuse a store ``taskledger db init`` has not made (:func:`ledger.store.require_store`);
    only ``create_tables`` (``db init`` itself) makes one.
    """

    def __init__(self, args: argparse.Namespace, *, create_tables: bool = False) -> None:
        self._args = args
        self._create_tables = create_tables
        self._ledger: Ledger | None = None
        self._store: ReadStore | None = None

    def __enter__(self) -> CliContext:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._store is not None:
            self._store.close()
        if self._ledger is not None:
            self._ledger.close()

    @cached_property
    def config(self) -> StoreConfig:
        return store_config(self._args)

    @property
    def ledger(self) -> Ledger:
        if self._ledger is None:
            self._ledger = open_ledger(
                self.config, clock=SystemClock(), create_tables=self._create_tables
            )
        return self._ledger

    @property
    def store(self) -> ReadStore:
        if self._store is None:
            config = self.config
            if not self._create_tables:
                # SQLite upgrades its read models in place, but never makes a store
                require_store(config)
            self._store = ReadStore(
                config, create_tables=self._create_tables or config.backend == "sqlite"
            )
        return self._store

    @property
    def calendar(self) -> ChineseCalendar:
        """The calendar every part shares: Chinese holidays plus the office's adjustments."""
        return self.ledger.working_calendar()

    def projector(self) -> Projector:
        return Projector(self.ledger, self.store, self.calendar)

    def catch_up(self) -> None:
        """Bring the read models up to the ledger (what a command reads or just wrote)."""
        self.projector().catch_up()

    def act(self, **context: Any) -> Act:
        """An act of the office by the operator at the terminal."""
        return Act.by(self.ledger.clock, operator(), "office", **context)

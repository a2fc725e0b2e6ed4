"""What a web process needs, built once per process (after gunicorn forks).

eventsourcing applications hold connection pools, which must not cross a fork; the
factory is called in each worker (no preload), and everything here is created lazily
on first use.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from api.idempotency import IdempotencyStore
from api.tokens import TokenStore
from ledger.acts import Act
from ledger.application import Ledger, open_ledger
from ledger.calendar import WorkingDayCalendar
from ledger.clock import Clock, SystemClock
from ledger.errors import StoreNotInitialised
from ledger.importer.text import MAX_PLAN_BYTES
from ledger.store import StoreConfig, require_store
from projections.db import ReadStore
from projections.projector import Projector


@dataclass
class Settings:
    store: StoreConfig
    clock: Clock = field(default_factory=SystemClock)
    calendar: WorkingDayCalendar | None = None
    max_body_bytes: int = 256 * 1024
    max_plan_bytes: int = MAX_PLAN_BYTES  # the same limit as `taskledger import-plan`
    writes_per_minute: int = 600  # per token; 0 turns the limit off
    create_tables: bool = False


class Services:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self._ledger: Ledger | None = None
        self._store: ReadStore | None = None
        self._tokens: TokenStore | None = None
        self._idempotency: IdempotencyStore | None = None
        self._projector: Projector | None = None
        self._catch_up_lock = threading.Lock()

    @property
    def clock(self) -> Clock:
        return self.settings.clock

    @property
    def calendar(self) -> WorkingDayCalendar:
        """Settings' calendar if one was given (tests), else the ledger's own."""
        if self.settings.calendar is not None:
            return self.settings.calendar
        return self.ledger.working_calendar()

    @property
    def ledger(self) -> Ledger:
        if self._ledger is None:
            with self._lock:
                if self._ledger is None:
                    self._ledger = open_ledger(
                        self.settings.store, clock=self.settings.clock,
                        create_tables=self.settings.create_tables,
                    )
        return self._ledger

    @property
    def store(self) -> ReadStore:
        if self._store is None:
            with self._lock:
                if self._store is None:
                    if not self.settings.create_tables:
                        require_store(self.settings.store)  # only `db init` makes one
                    create = self.settings.create_tables or self.settings.store.backend == "sqlite"
                    store = ReadStore(self.settings.store, create_tables=create)
                    if self.settings.create_tables:  # `db init` in process (tests)
                        create_kept_tables(store)
                    else:
                        require_kept_tables(store, self.settings.store.display)
                    self._store = store
        return self._store

    @property
    def tokens(self) -> TokenStore:
        if self._tokens is None:
            self._tokens = TokenStore(self.store)
        return self._tokens

    @property
    def idempotency(self) -> IdempotencyStore:
        if self._idempotency is None:
            self._idempotency = IdempotencyStore(self.store)
        return self._idempotency

    def projector(self) -> Projector:
        """One projector per process: its caches survive between requests."""
        if self._projector is None:
            self._projector = Projector(self.ledger, self.store, self.settings.calendar)
        return self._projector

    def catch_up(self) -> Any:
        """Read-your-writes: apply whatever the ledger has that the read models lack.

        Cheap when nothing is new (two position reads). One thread at a time per
        process; other processes are kept apart by the tracking positions.
        """
        with self._catch_up_lock:
            return self.projector().catch_up()

    def close(self) -> None:
        if self._ledger is not None:
            self._ledger.close()
        if self._store is not None:
            self._store.close()


#: Tables beside the read models that are not rebuilt from events: bearer tokens,
#: idempotency keys and the outbox. ``taskledger db init`` creates them, nothing else.
KEPT_TABLES = ("api_tokens", "api_idempotency", "outbox", "outbox_attempts", "outbox_cursor")


def create_kept_tables(store: ReadStore) -> None:
    """What ``taskledger db init`` makes beside the ledger and the read models."""
    from scheduler.outbox import create_tables as create_outbox

    TokenStore(store).create_table()
    IdempotencyStore(store).create_table()
    create_outbox(store)


@dataclass(frozen=True)
class Initialised:
    """What ``db init`` wrote into the ledger: the rules (first time only) and the
    horizons of plans registered before horizons were recorded."""

    rules_position: int | None
    horizons: int


def initialise(ledger: Ledger, store: ReadStore, act: Act) -> Initialised:
    """Everything ``taskledger db init`` does beyond making tables, each part once:
    the kept tables, the reporting rules (version 1: the code's defaults and the
    installed ``chinesecalendar``'s data) and the missing plan horizons. Run again, it
    writes nothing."""
    create_kept_tables(store)
    rules = ledger.record_rules_once(act)
    horizons = ledger.record_missing_horizons(act)
    return Initialised(rules.position, len(horizons))


def require_kept_tables(store: ReadStore, display: str) -> None:
    """Refuse (503, as the CLI refuses) a store whose kept tables ``db init`` never made,
    e.g. one upgraded from a release that had none, rather than fail each request."""
    for table in KEPT_TABLES:
        try:
            store.query(f"SELECT 1 FROM {{s}}{table} WHERE 1 = 0")
        except Exception:  # no such table: the query is otherwise trivially valid
            raise StoreNotInitialised(display) from None

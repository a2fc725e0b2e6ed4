"""Events in, read-model rows out: one pass over the log feeds every projection.

:class:`Projector` reads the log a page at a time through the ledger's public API
(:meth:`Ledger.read_page`), hands each event to the handler its class is registered
with in each projection that has not yet applied it (``projections.<name>.handlers``),
and commits the statements in batches together with each projection's new tracking
position (one transaction per batch: a projector killed mid-batch leaves nothing
half-applied and restarts at the last committed position). Events it cannot decode (a
type from a newer release, say) are logged, counted and skipped; the position still
moves past them.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from eventsourcing.persistence import IntegrityError, Tracking

from ledger.application import Ledger, LedgerRecord
from ledger.calendar import WorkingDayCalendar
from ledger.errors import InvalidInput
from projections.accountability.handlers import HANDLERS as ACCOUNTABILITY
from projections.audit.handlers import HANDLERS as AUDIT
from projections.audit.summary import summarise
from projections.db import ReadStore
from projections.facts import Batch, Facts, Handler, ProjectionHandlers
from projections.office.handlers import HANDLERS as OFFICE
from projections.registry.handlers import HANDLERS as REGISTRY
from projections.tables import PROJECTIONS

__all__ = ["LEDGER_NAME", "CatchUpStats", "Projector", "summarise"]

log = logging.getLogger("taskledger.projections")

#: Events per transaction: each commit writes every page the batch dirtied, and the runs
#: of one statement get longer (measured at 100k events on SQLite: 1,000 -> 5,000 cut
#: the rebuild's SQL time by about a third). A batch's statements are held in memory.
BATCH_SIZE = 5000

LEDGER_NAME = Ledger.name  # tracking positions are positions in this application's log

#: Every projection's handlers, in the order they apply an event.
HANDLERS: tuple[ProjectionHandlers, ...] = (REGISTRY, OFFICE, ACCOUNTABILITY, AUDIT)
assert [h.name for h in HANDLERS] == list(PROJECTIONS), "handlers and tables disagree"


Route = tuple[tuple[str, bool, tuple[Handler, ...]], ...]
_ROUTES: dict[type, Route] = {}  # event class -> what applies it, in projection order


def _route(kind: type) -> Route:
    """The handlers an event class meets in each projection (looked up once per class)."""
    route = []
    for projection in HANDLERS:
        handlers = [projection.every_event] if projection.every_event is not None else []
        handler = projection.by_event.get(kind)
        if handler is not None:
            handlers.append(handler)
        if handlers:
            route.append((projection.name, projection.real_events_only, tuple(handlers)))
    return tuple(route)


@dataclass
class CatchUpStats:
    applied: int = 0
    unknown: int = 0
    position: int = 0
    seconds: float = 0.0
    batches: int = 0

    @property
    def rate(self) -> float:
        return self.applied / self.seconds if self.seconds else 0.0


class Projector:
    """Keeps every read model of one store up to date with one ledger."""

    def __init__(
        self,
        ledger: Ledger,
        store: ReadStore,
        calendar: WorkingDayCalendar | None = None,
        *,
        include: Callable[[LedgerRecord], bool] | None = None,
    ) -> None:
        self.ledger = ledger
        self.store = store
        self.facts = Facts(calendar)
        self.include = include  # a filter for "as of" snapshots; None applies everything
        self.unknown_events = 0
        self._facts_at: int | None = None  # the position the facts stand at, if known
        self._indexes_checked = False

    @property
    def calendar(self) -> WorkingDayCalendar:
        """The working-day calendar as of the last event applied."""
        return self.facts.calendar

    # ---- the loop ------------------------------------------------------------------
    def catch_up(
        self,
        *,
        batch_size: int = BATCH_SIZE,
        upto: int | None = None,
        progress: Callable[[CatchUpStats, int], None] | None = None,
    ) -> CatchUpStats:
        """Apply every event not yet applied, in batches; returns what was done."""
        started = time.perf_counter()
        stats = CatchUpStats()
        positions = self.store.positions()
        start = min(positions.values())
        stats.position = start
        self._prepare_facts(start, positions)
        head = self.ledger.position() if upto is None else upto
        while True:
            page = self.ledger.read_page(start, batch_size, upto)
            if page.last is None:
                break
            for unreadable in page.unreadable:
                self.unknown_events += 1
                stats.unknown += 1
                log.warning(
                    "skipping event %s at position %s that cannot be decoded: %s",
                    unreadable.topic,
                    unreadable.position,
                    unreadable.error,
                )
            batch = Batch()
            stats.applied += self._apply(page.records, positions, batch)
            last = page.last
            trackings = [Tracking(name, last) for name, at in positions.items() if last > at]
            try:
                self.store.apply(batch.statements, trackings)
            except IntegrityError:
                # Another projector committed these events first (the tracking upsert
                # refuses to go backwards): take up from where it got to.
                self._facts_at = None
                positions = self.store.positions()
                start = min(positions.values())
                self._prepare_facts(start, positions)
                continue
            for name in positions:
                positions[name] = max(positions[name], last)
            self._facts_at = last
            start = last
            stats.position = last
            stats.batches += 1
            stats.seconds = time.perf_counter() - started
            if progress:
                progress(stats, max(head, last))
            if not page.full:
                break
        if stats.applied and not self._indexes_checked:
            # a rebuild drops the secondary indexes and makes them at its end: one
            # stopped before (killed) left them missing
            if self.store.missing_indexes():
                self.store.create_indexes()
            self._indexes_checked = True
        stats.seconds = time.perf_counter() - started
        return stats

    def _apply(
        self, records: list[LedgerRecord], positions: dict[str, int], batch: Batch
    ) -> int:
        """Each record to the handler its class has in each projection behind it."""
        applied = 0
        learn, include, facts = self.facts.learn, self.include, self.facts
        routes = _ROUTES
        # the common case, every projection at the same position: none is skipped by it
        level = len(set(positions.values())) == 1
        for record in records:
            if include is not None and not include(record):
                continue
            learn(record)
            event, at = record.event, record.position
            kind = type(event)
            route = routes.get(kind)
            if route is None:
                route = routes[kind] = _route(kind)
            simulated = event.simulated
            for name, real_only, handlers in route:
                if not level and at <= positions[name]:
                    continue
                if real_only and simulated:
                    continue
                for handler in handlers:
                    handler(record, batch, facts)
            applied += 1
        return applied

    def rebuild(self, names: Iterable[str] | None = None, **kwargs: Any) -> CatchUpStats:
        """Empty the named projections (all by default) and apply the whole log again."""
        began = time.perf_counter()
        chosen = list(names or PROJECTIONS)
        unknown = [n for n in chosen if n not in PROJECTIONS]
        if unknown:
            raise InvalidInput(
                f"unknown projection {unknown[0]!r}; choose from {', '.join(PROJECTIONS)}"
            )
        self.store.reset(chosen)
        self.store.drop_indexes(chosen)
        self._facts_at = None
        self._indexes_checked = False
        stats = self.catch_up(**kwargs)
        self.store.create_indexes()
        self._indexes_checked = True
        stats.seconds = time.perf_counter() - began
        return stats

    def run_forever(
        self,
        stop: threading.Event,
        *,
        poll_seconds: float = 0.5,
        batch_size: int = BATCH_SIZE,
    ) -> None:
        """The long-running ``taskledger project`` loop: catch up, wait, repeat."""
        while not stop.is_set():
            stats = self.catch_up(batch_size=batch_size)
            if stats.applied:
                log.info("applied %d events up to position %d", stats.applied, stats.position)
            stop.wait(poll_seconds)

    # ---- the facts the handlers look up (derived from events only) ------------------------
    def _prepare_facts(self, start: int, positions: dict[str, int]) -> None:
        if self._facts_at == start:
            return
        self.facts.clear()
        if start > 0 and len(set(positions.values())) == 1:
            self.facts.load(self.store)
        elif start > 0:
            # Projections stand at different positions (a rebuild stopped half way): learn
            # the facts from the log itself up to where catching up starts.
            for record in self.ledger.records(upto=start):
                self.facts.learn(record)
        self._facts_at = start

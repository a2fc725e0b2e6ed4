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
from projections.facts import Batch, Facts, ProjectionHandlers
from projections.office.handlers import HANDLERS as OFFICE
from projections.registry.handlers import HANDLERS as REGISTRY
from projections.tables import PROJECTIONS

__all__ = ["LEDGER_NAME", "CatchUpStats", "Projector", "summarise"]

log = logging.getLogger("taskledger.projections")

LEDGER_NAME = Ledger.name  # tracking positions are positions in this application's log

#: Every projection's handlers, in the order they apply an event.
HANDLERS: tuple[ProjectionHandlers, ...] = (REGISTRY, OFFICE, ACCOUNTABILITY, AUDIT)
assert [h.name for h in HANDLERS] == list(PROJECTIONS), "handlers and tables disagree"


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

    @property
    def calendar(self) -> WorkingDayCalendar:
        """The working-day calendar as of the last event applied."""
        return self.facts.calendar

    # ---- the loop ------------------------------------------------------------------
    def catch_up(
        self,
        *,
        batch_size: int = 1000,
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
        stats.seconds = time.perf_counter() - started
        return stats

    def _apply(
        self, records: list[LedgerRecord], positions: dict[str, int], batch: Batch
    ) -> int:
        """Each record to the handler its class has in each projection behind it."""
        applied = 0
        learn, include = self.facts.learn, self.include
        for record in records:
            if include is not None and not include(record):
                continue
            learn(record)
            event, at = record.event, record.position
            kind = type(event)
            for projection in HANDLERS:
                if at <= positions[projection.name]:
                    continue
                if projection.real_events_only and event.simulated:
                    continue
                if projection.every_event is not None:
                    projection.every_event(record, batch, self.facts)
                handler = projection.by_event.get(kind)
                if handler is not None:
                    handler(record, batch, self.facts)
            applied += 1
        return applied

    def rebuild(self, names: Iterable[str] | None = None, **kwargs: Any) -> CatchUpStats:
        """Empty the named projections (all by default) and apply the whole log again."""
        chosen = list(names or PROJECTIONS)
        unknown = [n for n in chosen if n not in PROJECTIONS]
        if unknown:
            raise InvalidInput(
                f"unknown projection {unknown[0]!r}; choose from {', '.join(PROJECTIONS)}"
            )
        self.store.reset(chosen)
        self._facts_at = None
        return self.catch_up(**kwargs)

    def run_forever(
        self, stop: threading.Event, *, poll_seconds: float = 0.5, batch_size: int = 1000
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

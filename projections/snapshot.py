"""A report "as of a business date, knowing the ledger up to N" by replaying: the same
projector run into a private temporary SQLite store over just the events that count
(position <= N, business date <= as-of).

Reports no longer read this way (:mod:`projections.views` answers from the live
tables); it stays as the tests' oracle for those answers, and for briefings, whose
figures read tables (``projections.briefing_data``) that keep no history of their own.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

from ledger.application import Ledger, LedgerRecord
from ledger.calendar import WorkingDayCalendar
from ledger.store import parse_database_url
from projections.db import ReadStore
from projections.projector import Projector
from projections.views import View, anything_beyond, check_as_of, check_position


@contextmanager
def replayed(
    ledger: Ledger, calendar: WorkingDayCalendar | None, as_of: date, position: int
) -> Iterator[View]:
    """The tables as they would stand had only the events that count (position <=
    ``position``, business date <= ``as_of``) ever been recorded: a private store."""
    with tempfile.TemporaryDirectory(prefix="taskledger-view-") as folder:
        config = parse_database_url(f"sqlite:///{Path(folder) / 'view.sqlite'}")
        store = ReadStore(config, create_tables=True)

        def counts(record: LedgerRecord) -> bool:
            return record.event.business_date <= as_of

        try:
            projector = Projector(ledger, store, calendar, include=counts)
            projector.catch_up(upto=position)
            yield View(store, as_of, position, projector.facts.calendar, current=True)
        finally:
            store.close()


@contextmanager
def open_snapshot(
    ledger: Ledger,
    live: ReadStore,
    calendar: WorkingDayCalendar,
    *,
    as_of: date | None = None,
    position: int | None = None,
) -> Iterator[View]:
    """The tables for a briefing as of (as_of, position); defaults: today, the head.

    The live tables answer when all that lies beyond is bookkeeping
    (:data:`~projections.views.BOOKKEEPING`) or rehearsal; otherwise a replay does."""
    head = ledger.position()
    check_position(position, head)
    cutoff = head if position is None else position
    day = as_of or ledger.clock.today()
    check_as_of(day, ledger.clock.today())
    Projector(ledger, live, calendar).catch_up()  # the embedded default catches up in-process
    if not anything_beyond(live, day, cutoff):
        yield View(live, day, cutoff, calendar, current=True)
        return
    with replayed(ledger, calendar, day, cutoff) as view:
        yield View(view.store, day, cutoff, calendar, current=True)

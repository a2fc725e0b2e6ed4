"""Which tables answer a report "as of a business date, knowing the ledger up to N".

The live read models hold every event. When nothing in them is later than the asked
business date and the asked position is the head, they answer directly (the everyday
case, and fast). Otherwise a snapshot is built: the same projector run into a private
temporary SQLite store over just the events that count (position <= N, business date
<= as-of). Either way a report with both fixed reads the same forever.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from ledger.application import Ledger, LedgerRecord
from ledger.calendar import WorkingDayCalendar
from ledger.errors import InvalidInput
from ledger.store import parse_database_url
from projections.db import ReadStore
from projections.projector import Projector

MAX_DAYS_AHEAD = 366

#: Events that record what the office's machinery did, not what anyone owes or did:
#: cycle runs and the daily tick's marker (``Cycle.Ran``), issued briefings, and the
#: outbox's deliveries. They reach only the office tables and the audit trail, so a
#: report on the accountability tables reads the same with or without them.
BOOKKEEPING = (("Cycle", "Ran"), ("Briefing", "Issued"), ("Unit", "ChasersDelivered"),
               ("Unit", "ChasersUndelivered"))
_NOT_BOOKKEEPING = "NOT (" + " OR ".join(
    f"(stream_type = '{stream}' AND type = '{kind}')" for stream, kind in BOOKKEEPING) + ")"


def knowledge_position(live: ReadStore, as_of: date) -> int:
    """The position of the last real event, other than bookkeeping, dated on or before
    ``as_of``: what a report as of that day knows. Recording a briefing, a tick marker
    or a delivery, or anything dated later, does not move it; 0 for an empty ledger.

    One backward walk of the audit table's primary key from the head, stopping at the
    first event that counts (the read models must be caught up first)."""
    found = live.scalar(
        "SELECT position AS p FROM {s}rm_audit WHERE simulated = 0 AND business_date <= ? "
        f"AND {_NOT_BOOKKEEPING} ORDER BY position DESC LIMIT 1",
        [as_of.isoformat()],
    )
    return int(found or 0)


@dataclass(frozen=True)
class View:
    store: ReadStore
    as_of: date
    position: int
    snapshot: bool


@contextmanager
def open_view(
    ledger: Ledger,
    live: ReadStore,
    calendar: WorkingDayCalendar,
    *,
    as_of: date | None = None,
    position: int | None = None,
    bookkeeping_matters: bool = True,
) -> Iterator[View]:
    """Yield the tables that answer for (as_of, position); defaults: today, the head.

    ``bookkeeping_matters=False`` is for readers of the accountability and registry
    tables only (briefings): the live tables then also answer when all that lies beyond
    ``position`` or ``as_of`` is bookkeeping (:data:`BOOKKEEPING`) or rehearsal."""
    head = ledger.position()
    if position is not None and (position < 0 or position > head):
        raise InvalidInput(
            f"position {position} is outside the ledger (0..{head})", field="position"
        )
    cutoff = head if position is None else position
    today = ledger.clock.today()
    day = as_of or today
    if not date(2000, 1, 1) <= day <= today + timedelta(days=MAX_DAYS_AHEAD):
        # far-future dates would lay out decades of obligations for nothing
        raise InvalidInput(
            f"as-of date {day} must lie between 2000-01-01 and a year from today",
            field="as_of",
        )
    Projector(ledger, live, calendar).catch_up()  # the embedded default catches up in-process
    # a rehearsal's days change no real figure, so they need no snapshot either
    if bookkeeping_matters:
        latest_day = live.scalar(
            "SELECT MAX(business_date) AS d FROM {s}rm_audit WHERE simulated = 0")
        current = cutoff >= head and (latest_day is None or latest_day <= day.isoformat())
    else:
        current = live.scalar(
            "SELECT COUNT(*) AS n FROM (SELECT 1 AS x FROM {s}rm_audit WHERE simulated = 0 "
            f"AND (position > ? OR business_date > ?) AND {_NOT_BOOKKEEPING} LIMIT 1) later",
            [cutoff, day.isoformat()]) == 0
    if current:
        yield View(live, day, cutoff, snapshot=False)
        return
    with tempfile.TemporaryDirectory(prefix="taskledger-view-") as folder:
        config = parse_database_url(f"sqlite:///{Path(folder) / 'view.sqlite'}")
        store = ReadStore(config, create_tables=True)

        def counts(record: LedgerRecord) -> bool:
            return record.event.business_date <= day

        try:
            Projector(ledger, store, calendar, include=counts).catch_up(upto=cutoff)
            yield View(store, day, cutoff, snapshot=True)
        finally:
            store.close()

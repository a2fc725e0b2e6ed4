"""Which rows answer a report "as of a business date, knowing the ledger up to N".

The live read models hold every event, and every row carries the position and business
date its fact took effect at (an assignment's moves, a report, a correction, a chase,
an extension's decision, a calendar mark). When nothing in them is later than the asked
date and position (the everyday case) a report reads them directly; otherwise the same
tables answer through :meth:`View.counts`, which keeps only the facts of events with
position <= N and business date <= the as-of date (:mod:`projections.standing`). Either
way a report with both fixed reads the same forever, and no read builds a store: the
replay into a private store survives only as the tests' oracle and for briefings
(:mod:`projections.snapshot`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta

from ledger.application import Ledger
from ledger.calendar import WorkingDayCalendar
from ledger.errors import InvalidInput
from projections.db import ReadStore
from projections.projector import Projector

MAX_DAYS_AHEAD = 366

#: Events that record what the office's machinery did, not what anyone owes or did:
#: cycle runs and the daily tick's marker (``Cycle.Ran``), issued briefings, and the
#: outbox's deliveries. They reach only the office tables and the audit trail, so a
#: report on the accountability tables reads the same with or without them.
BOOKKEEPING = (("Cycle", "Ran"), ("Briefing", "Issued"), ("Unit", "ChasersDelivered"),
               ("Unit", "ChasersUndelivered"))
NOT_BOOKKEEPING = "NOT (" + " OR ".join(
    f"(stream_type = '{stream}' AND type = '{kind}')" for stream, kind in BOOKKEEPING) + ")"


@dataclass(frozen=True)
class View:
    """The tables, and the (business date, position) a report over them stands at.

    ``current``: no real event beyond (as_of, position) reaches the report tables, so
    their rows are the answer as they are. ``calendar``: the working days as the office
    had marked them by then (lateness is counted on it).
    """

    store: ReadStore
    as_of: date
    position: int
    calendar: WorkingDayCalendar
    current: bool = True

    def counts(self, alias: str, position: str = "position",
               day: str = "business_date") -> str:
        """SQL: whether the fact in row ``alias`` is of an event the view counts.

        The values are a date and an int the view checked, so they are written inline:
        the fragment then composes with any query's own parameters."""
        if self.current:
            return "1 = 1"
        return (f"({alias}.{position} <= {int(self.position)} AND "
                f"{alias}.{day} <= '{self.as_of.isoformat()}')")


def check_as_of(day: date, today: date) -> None:
    if not date(2000, 1, 1) <= day <= today + timedelta(days=MAX_DAYS_AHEAD):
        # far-future dates would lay out decades of obligations for nothing
        raise InvalidInput(
            f"as-of date {day} must lie between 2000-01-01 and a year from today",
            field="as_of",
        )


def check_position(position: int | None, head: int) -> None:
    if position is not None and (position < 0 or position > head):
        raise InvalidInput(
            f"position {position} is outside the ledger (0..{head})", field="position"
        )


def anything_beyond(store: ReadStore, as_of: date, position: int) -> bool:
    """Whether a real event other than bookkeeping lies after ``position`` or is dated
    after ``as_of``: two indexed probes of the audit table (position, business date)."""
    return bool(store.scalar(
        "SELECT COUNT(*) AS n FROM (SELECT 1 AS x FROM {s}rm_audit WHERE simulated = 0 "
        f"AND (position > ? OR business_date > ?) AND {NOT_BOOKKEEPING} LIMIT 1) later",
        [position, as_of.isoformat()],
    ))


def live_view(store: ReadStore, calendar: WorkingDayCalendar, as_of: date,
              position: int | None = None) -> View:
    """The view of tables already caught up (the scheduler's tick, the projector's
    callers): as of ``as_of`` and at ``position`` (default: all the tables hold)."""
    from projections import standing

    held = int(store.scalar("SELECT MAX(position) AS p FROM {s}rm_audit") or 0)
    cutoff = held if position is None else position
    if not anything_beyond(store, as_of, cutoff):
        return View(store, as_of, cutoff, calendar, current=True)
    bare = View(store, as_of, cutoff, calendar, current=False)
    return View(store, as_of, cutoff, standing.calendar_at(bare, calendar), current=False)


def knowledge_position(live: ReadStore, as_of: date) -> int:
    """The position of the last real event, other than bookkeeping, dated on or before
    ``as_of``: what a report as of that day knows. Recording a briefing, a tick marker
    or a delivery, or anything dated later, does not move it; 0 for an empty ledger.

    One backward walk of the audit table's primary key from the head, stopping at the
    first event that counts (the read models must be caught up first)."""
    found = live.scalar(
        "SELECT position AS p FROM {s}rm_audit WHERE simulated = 0 AND business_date <= ? "
        f"AND {NOT_BOOKKEEPING} ORDER BY position DESC LIMIT 1",
        [as_of.isoformat()],
    )
    return int(found or 0)


@contextmanager
def open_view(
    ledger: Ledger,
    live: ReadStore,
    calendar: WorkingDayCalendar,
    *,
    as_of: date | None = None,
    position: int | None = None,
) -> Iterator[View]:
    """The view for (as_of, position); defaults: today, the head. The embedded default
    catches the tables up first, in-process. (A context manager, as it was when a past
    view meant a private store; nothing is held open now.)"""
    head = ledger.position()
    check_position(position, head)
    day = as_of or ledger.clock.today()
    check_as_of(day, ledger.clock.today())
    Projector(ledger, live, calendar).catch_up()
    yield live_view(live, calendar, day, head if position is None else position)

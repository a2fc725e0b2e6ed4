"""The office's corrections to the working-day calendar, kept as ledger events.

One stream holds every adjustment (a day made a working day or a holiday, a year
confirmed as complete), so the calendar every part uses can be rebuilt from the ledger,
and the audit trail shows who changed a deadline's basis, and when.
"""

from __future__ import annotations

from datetime import date
from uuid import UUID

from eventsourcing.domain import Aggregate

from ledger.acts import Act, Recorded, RecordedCreation
from ledger.calendar import CalendarBase, ChineseCalendar, calendar_from
from ledger.errors import InvalidInput

CALENDAR_MARKS = ("workday", "holiday")


class CalendarLog(Aggregate):
    class Opened(RecordedCreation):
        def apply(self, log: CalendarLog) -> None:
            log.overrides = {}
            log.confirmed = []

    class DayMarked(Recorded):
        day: date
        mark: str
        note: str

        def apply(self, log: CalendarLog) -> None:
            log.overrides[self.day.isoformat()] = self.mark

    class YearConfirmed(Recorded):
        year: int
        note: str

        def apply(self, log: CalendarLog) -> None:
            if self.year not in log.confirmed:
                log.confirmed.append(self.year)

    def __init__(self) -> None:
        """State comes from the events' ``apply``."""

    overrides: dict[str, str]  # ISO date -> workday | holiday
    confirmed: list[int]

    @classmethod
    def open(cls, act: Act, log_id: UUID) -> CalendarLog:
        return cls._create(cls.Opened, id=log_id, **act.event_fields())

    def mark(self, act: Act, day: date, mark: str, note: str = "") -> bool:
        if mark not in CALENDAR_MARKS:
            raise InvalidInput(f"a day is marked 'workday' or 'holiday', not {mark!r}",
                               field="mark")
        if self.overrides.get(day.isoformat()) == mark:
            return False
        self.trigger_event(self.DayMarked, **act.event_fields(), day=day, mark=mark, note=note)
        return True

    def confirm(self, act: Act, year: int, note: str = "") -> bool:
        if not 2000 <= year <= 2100:
            raise InvalidInput(f"year {year} is out of range", field="year")
        if year in self.confirmed:
            return False
        self.trigger_event(self.YearConfirmed, **act.event_fields(), year=year, note=note)
        return True

    def calendar(self, base: CalendarBase | None = None) -> ChineseCalendar:
        """The office's calendar on a recorded base (None: the installed package's)."""
        return calendar_from(self.overrides, self.confirmed, base)


__all__ = ["CALENDAR_MARKS", "CalendarLog", "calendar_from"]

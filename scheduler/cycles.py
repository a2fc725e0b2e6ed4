"""The supervision rhythm: which cycles (月调度、季分析、半年总结、年度评估) fall on a day.

- monthly dispatch: the first working day of each month, for that month;
- quarterly analysis: the first working day after the quarterly deadline (the 5th
  working day of January, April, July, October), for the quarter just ended;
- half-year summary: the same day in July, for the first half;
- annual evaluation: the same day in January, for the year just ended.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from ledger.calendar import WorkingDayCalendar
from ledger.periods import Period
from ledger.vocabulary import Cadence

DEADLINE_WORKDAY = 5


@dataclass(frozen=True)
class CycleDue:
    kind: str  # a Cadence.briefing_kind: monthly | quarterly | half-year | annual
    period: Period


def cycles_due(day: date, calendar: WorkingDayCalendar) -> list[CycleDue]:
    if not calendar.is_workday(day):
        return []
    due: list[CycleDue] = []
    if day == calendar.nth_workday_of_month(day.year, day.month, 1):
        due.append(CycleDue(Cadence.MONTHLY.briefing_kind, Period.month_of(day)))
    if day.month in (1, 4, 7, 10):
        deadline = calendar.nth_workday_of_month(day.year, day.month, DEADLINE_WORKDAY)
        if day == calendar.next_workday(deadline):
            last_month = date(day.year - 1, 12, 31) if day.month == 1 else date(
                day.year, day.month - 1, 1)
            due.append(CycleDue(Cadence.QUARTERLY.briefing_kind, Period.quarter_of(last_month)))
            if day.month == 7:
                due.append(CycleDue(Cadence.HALF_YEARLY.briefing_kind, Period(day.year, "half", 1)))
            if day.month == 1:
                due.append(CycleDue(Cadence.ANNUAL.briefing_kind, Period.year_of(last_month)))
    return due

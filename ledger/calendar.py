"""The working-day calendar every deadline in taskledger is counted on.

Plans set deadlines in working days (``月初5个工作日内``), and China moves its working
days around each year: statutory holidays stretch over weekdays, and weekends become
make-up working days (调休, e.g. Saturday 2026-10-10). Projections and the scheduler
must agree on every due date, so the calendar lives in the domain and both use it.

Two implementations stand behind one interface:

* :class:`WeekdayCalendar`: Monday to Friday, nothing else. For tests that want simple
  arithmetic and as the stand-in until the Chinese calendar is configured.
* :class:`ChineseCalendar`: the ``chinesecalendar`` package's official data for the
  years it covers (2004–2026 in 1.11), an office-edited override table on top, and
  for any other year a *visible* fallback (weekdays minus the fixed-date holidays).
  A fallback year is reported by :meth:`~WorkingDayCalendar.year_status` and
  :meth:`~WorkingDayCalendar.warnings_for` until the office confirms it: a due date
  computed on a guess must never pass for an official one.

The official data can also come from the ledger rather than the package: a
:class:`CalendarBase` is the package's holidays and 调休 days as recorded once
(:mod:`ledger.rules`), so a deadline counted years ago is counted the same after the
package is upgraded. :func:`calendar_from` builds a calendar from a recorded base and
the office's overrides.

Both are immutable once built: the office edits overrides elsewhere (the CLI stores
them) and a new calendar is built from the new table. Each year is tabulated once,
lazily, into a set (for :meth:`is_workday`) and a sorted list (for ``bisect``), so the
hot paths never call into ``chinese_calendar`` after warm-up.

No function here reads the clock: callers pass every date.
"""

from __future__ import annotations

import datetime as _dt
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Literal, Protocol, runtime_checkable

from ledger.errors import ConfigurationError

YearStatus = Literal["confirmed", "fallback"]
DayMark = Literal["workday", "holiday"]

#: Holidays whose Gregorian dates never move, used for years without official data.
#: Spring Festival, Qingming, Dragon Boat and Mid-Autumn follow the lunar calendar and
#: cannot be guessed; the warning says so.
FIXED_DATE_HOLIDAYS: tuple[tuple[int, int], ...] = (
    (1, 1),  # 元旦
    (5, 1),  # 劳动节
    (5, 2),
    (10, 1),  # 国庆节
    (10, 2),
    (10, 3),
)

_ONE_DAY = timedelta(days=1)


def fallback_warning(year: int) -> str:
    """The one message every interface (healthz, CLI, briefings) shows for a guessed year."""
    return (
        f"{year}年：尚无官方节假日安排，暂按周一至周五扣除固定日期节日"
        "（1月1日、5月1–2日、10月1–3日）计算工作日，待办公室确认该年安排。"
        f" / {year}: no official holiday data; using weekdays minus fixed-date holidays "
        "(1 Jan, 1–2 May, 1–3 Oct) until the office confirms the year."
    )


@runtime_checkable
class WorkingDayCalendar(Protocol):
    """What projections, the scheduler and obligations need from a calendar.

    Counting convention (the one deadlines are spoken in): ``add_workdays(d, n)``
    counts the working days *after* ``d`` (or before, for negative ``n``), so
    ``add_workdays(d, 1)`` is the next working day whether or not ``d`` is one.
    """

    def is_workday(self, day: date) -> bool: ...

    def add_workdays(self, day: date, n: int) -> date: ...

    def nth_workday_of_month(self, year: int, month: int, n: int) -> date: ...

    def workdays_between(self, start: date, end: date) -> int: ...

    def next_workday(self, day: date) -> date: ...

    def first_workday_on_or_after(self, day: date) -> date: ...

    def year_status(self, year: int) -> YearStatus: ...

    def warnings_for(self, years: Iterable[int]) -> list[str]: ...


@dataclass(frozen=True)
class _YearTable:
    """One year's working days, in the two shapes the hot paths want."""

    days: frozenset[date]  # membership: is_workday
    ordered: tuple[date, ...]  # sorted, for bisect: counting and stepping


class TabulatedCalendar:
    """Shared arithmetic over per-year tables; subclasses say which days are working.

    Why tables: ``add_workdays`` over hundreds of days and the benchmark's millions of
    ``is_workday`` calls must not walk day by day nor call into ``chinese_calendar``.
    """

    def __init__(self) -> None:
        self._tables: dict[int, _YearTable] = {}

    # --- what a subclass provides -------------------------------------------------
    def _is_workday_uncached(self, day: date) -> bool:
        raise NotImplementedError

    def year_status(self, year: int) -> YearStatus:
        raise NotImplementedError

    # --- tables -------------------------------------------------------------------
    def _table(self, year: int) -> _YearTable:
        table = self._tables.get(year)
        if table is None:
            # Built at most a few times per year under threads: harmless, and the dict
            # assignment is atomic, so no lock is needed.
            first, last = date(year, 1, 1).toordinal(), date(year, 12, 31).toordinal()
            ordered = [
                day
                for day in map(date.fromordinal, range(first, last + 1))
                if self._is_workday_uncached(day)
            ]
            table = _YearTable(frozenset(ordered), tuple(ordered))
            self._tables[year] = table
        return table

    # --- the interface ------------------------------------------------------------
    def is_workday(self, day: date) -> bool:
        # A datetime is a date subclass and would hash differently from the date in the
        # set; normalise rather than silently answer "holiday".
        if type(day) is not date:
            day = _as_date(day)
        table = self._tables.get(day.year) or self._table(day.year)
        return day in table.days

    def add_workdays(self, day: date, n: int) -> date:
        """The n-th working day after ``day`` (before it, if n < 0); ``day`` itself if n == 0.

        ``day`` need not be a working day: ``add_workdays(saturday, 1)`` is Monday.
        """
        if type(day) is not date:
            day = _as_date(day)
        if n == 0:
            return day
        year = day.year
        ordered = self._table(year).ordered
        if n > 0:
            index = bisect_right(ordered, day) + n - 1  # working days <= day, then step
            while index >= len(ordered):
                index -= len(ordered)
                year += 1
                ordered = self._table(year).ordered
        else:
            index = bisect_left(ordered, day) + n  # working days < day, then step back
            while index < 0:
                year -= 1
                ordered = self._table(year).ordered
                index += len(ordered)
        return ordered[index]

    def nth_workday_of_month(self, year: int, month: int, n: int) -> date:
        """The n-th working day of the month (n >= 1), as in ``月初5个工作日内``."""
        if n < 1:
            raise ValueError(f"the working day of a month is counted from 1, not {n}")
        first = date(year, month, 1)
        found = self.add_workdays(first - _ONE_DAY, n)
        if (found.year, found.month) != (year, month):
            raise ValueError(f"{year:04d}-{month:02d} has fewer than {n} working days")
        return found

    def workdays_between(self, start: date, end: date) -> int:
        """Working days after ``start`` up to and including ``end``; 0 if end <= start.

        That is "how many working days late": due Tuesday, reported Wednesday → 1.
        """
        if type(start) is not date:
            start = _as_date(start)
        if type(end) is not date:
            end = _as_date(end)
        if end <= start:
            return 0
        if start.year == end.year:
            ordered = self._table(start.year).ordered
            return bisect_right(ordered, end) - bisect_right(ordered, start)
        first = self._table(start.year).ordered
        count = len(first) - bisect_right(first, start)
        for year in range(start.year + 1, end.year):
            count += len(self._table(year).ordered)
        return count + bisect_right(self._table(end.year).ordered, end)

    def next_workday(self, day: date) -> date:
        """The first working day strictly after ``day``."""
        return self.add_workdays(day, 1)

    def first_workday_on_or_after(self, day: date) -> date:
        """``day`` if it is a working day, else the next one (a deadline on a holiday)."""
        return day if self.is_workday(day) else self.add_workdays(day, 1)

    def workdays_in_month(self, year: int, month: int) -> list[date]:
        """Every working day of a month, e.g. for ``taskledger calendar show 2026-10``."""
        ordered = self._table(year).ordered
        lo = bisect_left(ordered, date(year, month, 1))
        hi = bisect_left(ordered, date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1))
        return list(ordered[lo:hi])

    def warnings_for(self, years: Iterable[int]) -> list[str]:
        """One message per year in ``years`` whose working days are a fallback guess."""
        return [
            fallback_warning(year)
            for year in sorted(set(years))
            if self.year_status(year) != "confirmed"
        ]


class WeekdayCalendar(TabulatedCalendar):
    """Monday to Friday are working days, every year, no holidays.

    Every year is "confirmed": this calendar makes no claim about Chinese holidays,
    so there is nothing it could be guessing. Use it where a test wants arithmetic it
    can do in its head, or where no holiday data is wanted at all.
    """

    def _is_workday_uncached(self, day: date) -> bool:
        return day.weekday() < 5

    def year_status(self, year: int) -> YearStatus:
        return "confirmed"


@dataclass(frozen=True)
class CalendarBase:
    """Official holiday data for the years it covers, as recorded in the ledger.

    ``years`` maps a year to its holidays and its adjusted working days (调休), each a
    mapping of date to the holiday's name, exactly as ``chinesecalendar`` lists them:
    a listed holiday is a day off (weekends included), a listed working day is worked
    (weekends included), any other day is worked Monday to Friday. ``package`` names
    the release the data was taken from (e.g. ``chinesecalendar 1.11.0``).
    """

    package: str
    years: Mapping[int, tuple[Mapping[date, str], Mapping[date, str]]]

    @classmethod
    def from_package(cls) -> CalendarBase:
        """What the installed ``chinesecalendar`` knows, year by year (2004 to its last)."""
        from importlib.metadata import PackageNotFoundError, version

        import chinese_calendar
        from chinese_calendar import constants

        try:
            release = f"chinesecalendar {version('chinesecalendar')}"
        except PackageNotFoundError:  # vendored or unusual install: still say what it is
            release = "chinesecalendar (unknown version)"
        years: dict[int, tuple[dict[date, str], dict[date, str]]] = {}
        year = FIRST_OFFICIAL_YEAR
        while True:
            try:
                chinese_calendar.is_workday(date(year, 7, 1))
            except NotImplementedError:
                break
            years[year] = (
                {d: str(n) for d, n in constants.holidays.items() if d.year == year},
                {d: str(n) for d, n in constants.workdays.items() if d.year == year},
            )
            year += 1
        return cls(release, years)

    def to_recorded(self) -> dict[str, dict[str, dict[str, str]]]:
        """As an event carries it: ``{"2026": {"holidays": {iso: name}, "workdays": {...}}}``."""
        return {
            str(year): {
                "holidays": {d.isoformat(): n for d, n in sorted(holidays.items())},
                "workdays": {d.isoformat(): n for d, n in sorted(workdays.items())},
            }
            for year, (holidays, workdays) in sorted(self.years.items())
        }

    @classmethod
    def from_recorded(cls, package: str, recorded: Mapping[str, Mapping[str, Any]]) -> CalendarBase:
        return cls(
            package,
            {
                int(year): (
                    {date.fromisoformat(d): n for d, n in days["holidays"].items()},
                    {date.fromisoformat(d): n for d, n in days["workdays"].items()},
                )
                for year, days in recorded.items()
            },
        )

    def detail(self, day: date) -> tuple[bool, str | None] | None:
        """(working day?, holiday name) for a day of a covered year; None outside them."""
        listed = self.years.get(day.year)
        if listed is None:
            return None
        holidays, workdays = listed
        if day in workdays:
            return True, workdays[day]
        if day in holidays:
            return False, holidays[day]
        return day.weekday() < 5, None


#: The first year ``chinesecalendar`` has data for.
FIRST_OFFICIAL_YEAR = 2004


@dataclass(frozen=True)
class DayInfo:
    """Why a day is what it is, for ``taskledger calendar show`` and for audits."""

    day: date
    workday: bool
    source: Literal["override", "official", "fallback"]
    name: str | None  # holiday name from the official data, if any


class ChineseCalendar(TabulatedCalendar):
    """China's working days: official data, office overrides, a visible fallback.

    ``overrides`` maps a date to ``"workday"`` or ``"holiday"`` and wins over
    everything else (the office's correction, or a new year's State Council notice
    loaded date by date). ``confirmed_years`` are years without package data whose
    overrides the office has declared complete; they stop being reported as fallback.
    A single override does not confirm its year: one corrected day says nothing about
    the rest of the year's holidays, so confirmation is an explicit, separate act.

    Years the package covers are always "confirmed". The package's coverage is probed
    (it raises ``NotImplementedError`` outside it), not hard-coded, so upgrading
    ``chinesecalendar`` to a release with 2027 data confirms 2027 with no code change.
    With a recorded ``base`` (:class:`CalendarBase`) the package is not consulted at
    all: the base's years are the official ones.
    """

    def __init__(
        self,
        overrides: Mapping[date, str] | None = None,
        confirmed_years: Iterable[int] = (),
        base: CalendarBase | None = None,
    ) -> None:
        super().__init__()
        self._base = base
        self._overrides: dict[date, bool] = {}
        for day, mark in (overrides or {}).items():
            if not isinstance(day, date) or isinstance(day, _dt.datetime):
                raise ConfigurationError(
                    f"calendar override key {day!r} is not a date", field="date"
                )
            if mark not in ("workday", "holiday"):
                raise ConfigurationError(
                    f"calendar override for {day.isoformat()} must be 'workday' or 'holiday', "
                    f"not {mark!r}",
                    field="mark",
                )
            self._overrides[day] = mark == "workday"
        self._confirmed = frozenset(int(y) for y in confirmed_years)
        self._covered: dict[int, bool] = {}

    @property
    def overrides(self) -> dict[date, DayMark]:
        """A copy of the override table, as given."""
        return {d: ("workday" if w else "holiday") for d, w in sorted(self._overrides.items())}

    @property
    def confirmed_years(self) -> frozenset[int]:
        return self._confirmed

    @property
    def base(self) -> CalendarBase | None:
        """The recorded official data this calendar counts on; None: the package's."""
        return self._base

    def has_official_data(self, year: int) -> bool:
        """Whether the recorded base (else the installed ``chinesecalendar``) knows ``year``."""
        if self._base is not None:
            return year in self._base.years
        known = self._covered.get(year)
        if known is None:
            import chinese_calendar

            try:
                chinese_calendar.is_workday(date(year, 7, 1))
                known = True
            except NotImplementedError:
                known = False
            self._covered[year] = known
        return known

    def year_status(self, year: int) -> YearStatus:
        if year in self._confirmed or self.has_official_data(year):
            return "confirmed"
        return "fallback"

    def explain(self, day: date) -> DayInfo:
        """Whether ``day`` is a working day and which source said so."""
        day = _as_date(day)
        workday = self.is_workday(day)
        name: str | None = None
        if self._base is not None:
            detail = self._base.detail(day)
            name = detail[1] if detail else None
        elif self.has_official_data(day.year):
            import chinese_calendar

            name = chinese_calendar.get_holiday_detail(day)[1]
        if day in self._overrides:
            return DayInfo(day, workday, "override", name)
        if self.has_official_data(day.year):
            return DayInfo(day, workday, "official", name)
        return DayInfo(day, workday, "fallback", None)

    def _is_workday_uncached(self, day: date) -> bool:
        # Only called while tabulating a year, never on the hot path.
        override = self._overrides.get(day)
        if override is not None:
            return override
        if self._base is not None:
            detail = self._base.detail(day)
            if detail is not None:
                return detail[0]
        elif self.has_official_data(day.year):
            import chinese_calendar

            return bool(chinese_calendar.is_workday(day))
        return day.weekday() < 5 and (day.month, day.day) not in FIXED_DATE_HOLIDAYS


def calendar_from(
    overrides: Mapping[str, str],
    confirmed: Iterable[int],
    base: CalendarBase | None = None,
) -> ChineseCalendar:
    """The calendar of the office's overrides (ISO date -> mark) and confirmed years, on
    a recorded base (None: the installed package's data)."""
    return ChineseCalendar(
        {date.fromisoformat(day): mark for day, mark in overrides.items()},
        confirmed_years=confirmed,
        base=base,
    )


def _as_date(day: date) -> date:
    """Accept a datetime where a date is meant (its calendar day, as given)."""
    if isinstance(day, _dt.datetime):
        return day.date()
    if isinstance(day, date):
        return day
    raise TypeError(f"expected a date, got {type(day).__name__}")

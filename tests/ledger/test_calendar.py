"""The working-day calendar: 2026's official days, the 2027 fallback, overrides, arithmetic."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.calendar import (
    ChineseCalendar,
    WeekdayCalendar,
    WorkingDayCalendar,
    fallback_warning,
)
from ledger.errors import ConfigurationError

CN = ChineseCalendar()
WD = WeekdayCalendar()


def d(text: str) -> date:
    return date.fromisoformat(text)


def test_both_calendars_satisfy_the_interface() -> None:
    assert isinstance(CN, WorkingDayCalendar)
    assert isinstance(WD, WorkingDayCalendar)


# --- 2026: official data ---------------------------------------------------------------
@pytest.mark.parametrize("day", [f"2026-10-0{i}" for i in range(1, 8)])
def test_national_day_2026_is_a_week_of_holidays(day: str) -> None:
    assert not CN.is_workday(d(day))


def test_make_up_saturday_after_national_day_2026_is_a_working_day() -> None:
    assert d("2026-10-10").weekday() == 5
    assert CN.is_workday(d("2026-10-10"))
    assert not CN.is_workday(d("2026-10-11"))  # the Sunday stays a rest day
    assert CN.is_workday(d("2026-10-08"))


def test_spring_festival_2026_and_its_make_up_days() -> None:
    # chinese_calendar 1.11: 2026-02-15 … 02-23 off; Saturdays 02-14 and 02-28 worked.
    for offset in range(9):
        assert not CN.is_workday(d("2026-02-15") + timedelta(days=offset))
    assert CN.is_workday(d("2026-02-14"))
    assert CN.is_workday(d("2026-02-28"))
    assert CN.is_workday(d("2026-02-24"))


def test_labour_day_2026() -> None:
    for day in ("2026-05-01", "2026-05-04", "2026-05-05"):
        assert not CN.is_workday(d(day))
    assert CN.is_workday(d("2026-05-09"))  # make-up Saturday
    assert CN.is_workday(d("2026-05-06"))


def test_ordinary_weekend_and_weekday() -> None:
    assert not CN.is_workday(d("2026-06-06"))  # Saturday
    assert CN.is_workday(d("2026-06-08"))  # Monday


def test_2026_is_confirmed_and_warns_nothing() -> None:
    assert CN.year_status(2026) == "confirmed"
    assert CN.warnings_for([2026]) == []


def test_explain_names_the_source() -> None:
    info = CN.explain(d("2026-10-10"))
    assert info.workday and info.source == "official" and info.name == "National Day"
    assert CN.explain(d("2027-05-01")).source == "fallback"


# --- 2027: no data, visible fallback --------------------------------------------------
def test_2027_falls_back_to_weekdays_minus_fixed_holidays() -> None:
    assert not CN.is_workday(d("2027-01-01"))  # Friday, New Year
    assert CN.is_workday(d("2027-05-03"))  # Monday: not a fixed holiday
    for day in ("2027-05-01", "2027-05-02", "2027-10-01", "2027-10-02", "2027-10-03"):
        assert not CN.is_workday(d(day))
    assert CN.is_workday(d("2027-01-04"))
    assert CN.is_workday(d("2027-10-04"))  # Monday: fallback cannot know the Golden Week
    assert not CN.is_workday(d("2027-01-02"))  # Saturday


def test_2027_is_reported_as_fallback_with_a_warning() -> None:
    assert CN.year_status(2027) == "fallback"
    warnings = CN.warnings_for([2027, 2026, 2027])
    assert len(warnings) == 1
    assert warnings[0] == fallback_warning(2027)
    assert "2027" in warnings[0]
    assert "no official holiday data" in warnings[0]
    assert "1 Jan, 1–2 May, 1–3 Oct" in warnings[0]
    assert "尚无官方节假日安排" in warnings[0]


def test_years_before_the_package_data_also_fall_back() -> None:
    assert CN.year_status(2003) == "fallback"
    assert CN.year_status(2004) == "confirmed"


# --- overrides and confirmation -------------------------------------------------------
def test_override_turns_a_day_into_a_holiday_or_a_workday() -> None:
    cal = ChineseCalendar(overrides={d("2026-06-08"): "holiday", d("2026-10-11"): "workday"})
    assert not cal.is_workday(d("2026-06-08"))
    assert cal.is_workday(d("2026-10-11"))
    assert cal.explain(d("2026-06-08")).source == "override"
    assert cal.overrides == {d("2026-06-08"): "holiday", d("2026-10-11"): "workday"}


def test_overrides_for_a_new_year_and_confirmation_stop_the_warning() -> None:
    # Loading a State Council notice for 2027: Spring Festival 2027-02-06 … 02-13 (a
    # made-up example), with Sunday 02-14 as a make-up day; then the office confirms.
    notice = {d("2027-02-06") + timedelta(days=i): "holiday" for i in range(8)}
    notice[d("2027-02-14")] = "workday"
    loaded = ChineseCalendar(overrides=notice)
    assert not loaded.is_workday(d("2027-02-08"))
    assert loaded.is_workday(d("2027-02-14"))
    assert loaded.year_status(2027) == "fallback"  # overrides alone do not confirm
    confirmed = ChineseCalendar(overrides=notice, confirmed_years={2027})
    assert confirmed.year_status(2027) == "confirmed"
    assert confirmed.warnings_for([2026, 2027]) == []
    assert not confirmed.is_workday(d("2027-01-01"))  # fixed-date holidays still hold


def test_bad_override_is_refused_with_a_clear_message() -> None:
    with pytest.raises(ConfigurationError, match="'workday' or 'holiday'"):
        ChineseCalendar(overrides={d("2026-06-08"): "day-off"})
    with pytest.raises(ConfigurationError, match="not a date"):
        ChineseCalendar(overrides={"2026-06-08": "holiday"})  # type: ignore[dict-item]


# --- arithmetic -----------------------------------------------------------------------
def test_add_workdays_across_national_day() -> None:
    assert CN.add_workdays(d("2026-09-30"), 1) == d("2026-10-08")
    assert CN.add_workdays(d("2026-09-30"), 3) == d("2026-10-10")
    assert CN.add_workdays(d("2026-09-30"), 4) == d("2026-10-12")
    assert CN.add_workdays(d("2026-10-08"), -1) == d("2026-09-30")
    assert CN.add_workdays(d("2026-10-04"), 0) == d("2026-10-04")


def test_add_workdays_across_the_year_end_into_fallback() -> None:
    assert CN.add_workdays(d("2026-12-31"), 1) == d("2027-01-04")
    assert CN.add_workdays(d("2027-01-04"), -1) == d("2026-12-31")
    far = CN.add_workdays(d("2026-01-05"), 600)  # three years of tables
    assert far > d("2028-01-01")
    assert CN.workdays_between(d("2026-01-05"), far) == 600


def test_add_workdays_from_a_non_working_day() -> None:
    assert WD.add_workdays(d("2026-06-06"), 1) == d("2026-06-08")  # Sat → Mon
    assert WD.add_workdays(d("2026-06-06"), -1) == d("2026-06-05")  # Sat → Fri


def test_nth_workday_of_month() -> None:
    assert CN.nth_workday_of_month(2026, 7, 5) == d("2026-07-07")
    assert CN.nth_workday_of_month(2026, 10, 5) == d("2026-10-13")
    assert CN.nth_workday_of_month(2027, 1, 5) == d("2027-01-08")
    assert CN.nth_workday_of_month(2026, 10, 1) == d("2026-10-08")
    with pytest.raises(ValueError, match="fewer than 40"):
        CN.nth_workday_of_month(2026, 10, 40)
    with pytest.raises(ValueError):
        CN.nth_workday_of_month(2026, 10, 0)


def test_workdays_between() -> None:
    assert CN.workdays_between(d("2026-07-07"), d("2026-07-08")) == 1
    assert CN.workdays_between(d("2026-09-30"), d("2026-10-13")) == 5
    assert CN.workdays_between(d("2026-07-08"), d("2026-07-07")) == 0
    assert CN.workdays_between(d("2026-07-07"), d("2026-07-07")) == 0
    assert CN.workdays_between(d("2026-12-30"), d("2027-01-05")) == 3  # 31, 4, 5


def test_next_and_first_workday() -> None:
    assert CN.next_workday(d("2026-10-08")) == d("2026-10-09")
    assert CN.next_workday(d("2026-10-01")) == d("2026-10-08")
    assert CN.first_workday_on_or_after(d("2026-10-08")) == d("2026-10-08")
    assert CN.first_workday_on_or_after(d("2026-10-03")) == d("2026-10-08")


def test_workdays_in_month() -> None:
    october = CN.workdays_in_month(2026, 10)
    assert october[:5] == [
        d(x) for x in ("2026-10-08", "2026-10-09", "2026-10-10", "2026-10-12", "2026-10-13")
    ]
    assert len(WD.workdays_in_month(2026, 12)) == 23


def test_a_datetime_counts_as_its_day() -> None:
    assert CN.is_workday(datetime(2026, 10, 10, 9, 0))
    assert CN.add_workdays(datetime(2026, 9, 30, 23, 0), 1) == d("2026-10-08")


def test_weekday_calendar_is_plain_monday_to_friday() -> None:
    assert WD.is_workday(d("2026-10-01"))
    assert not WD.is_workday(d("2026-10-10"))
    assert WD.add_workdays(d("2026-06-05"), 5) == d("2026-06-12")
    assert WD.year_status(2099) == "confirmed"
    assert WD.warnings_for([2027]) == []


# --- properties -----------------------------------------------------------------------
days = st.dates(min_value=date(2003, 1, 1), max_value=date(2029, 12, 31))
steps = st.integers(min_value=-400, max_value=400)
calendars = st.sampled_from(
    [CN, WD, ChineseCalendar(overrides={date(2026, 3, 2): "holiday"}, confirmed_years={2027})]
)


@given(calendars, days, steps)
def test_add_then_subtract_returns_the_working_day(
    cal: WorkingDayCalendar, day: date, n: int
) -> None:
    start = cal.first_workday_on_or_after(day)
    assert cal.add_workdays(cal.add_workdays(start, n), -n) == start


@given(calendars, days, st.integers(min_value=0, max_value=400))
def test_workdays_between_counts_what_add_workdays_added(
    cal: WorkingDayCalendar, day: date, n: int
) -> None:
    later = cal.add_workdays(day, n)
    assert cal.workdays_between(day, later) == n
    if n > 0:
        assert cal.is_workday(later)


@given(calendars, days, st.integers(min_value=1, max_value=60))
def test_add_workdays_agrees_with_a_day_by_day_walk(
    cal: WorkingDayCalendar, day: date, n: int
) -> None:
    walk, left = day, n
    while left:
        walk += timedelta(days=1)
        left -= cal.is_workday(walk)
    assert cal.add_workdays(day, n) == walk


@given(days, days)
def test_workdays_between_matches_counting(a: date, b: date) -> None:
    if abs((b - a).days) > 800:
        b = a + timedelta(days=800)
    expected = sum(CN.is_workday(a + timedelta(days=i)) for i in range(1, (b - a).days + 1))
    assert CN.workdays_between(a, b) == max(expected, 0)

"""Obligations: due dates on the Chinese calendar, instances per assignment, status, ladder."""

from __future__ import annotations

from datetime import date

import pytest

from ledger.calendar import ChineseCalendar, WeekdayCalendar
from ledger.errors import ConfigurationError, InvalidPeriod
from ledger.obligations import (
    DEFAULT_RULE,
    LadderDates,
    LadderPolicy,
    ObligationRule,
    ObligationStatus,
    due_date,
    evaluate_obligation,
    first_owed_period,
    ladder_dates,
    periods_due,
    quarterly_and_annual_rules,
)
from ledger.periods import Period

CN = ChineseCalendar()
WD = WeekdayCalendar()
ISSUED_000 = date(2026, 5, 9)  # 000's issue date as printed
QUARTERLY, ANNUAL = quarterly_and_annual_rules(
    "000-17", "稳岗扩容提质工程实施情况", source="000 （十七）"
)


def d(text: str) -> date:
    return date.fromisoformat(text)


# --- due dates: the issue's reference cases ------------------------------------------
def test_000_q2_2026_due_2026_07_07() -> None:
    assert due_date(QUARTERLY, Period.parse("2026-Q2"), CN) == d("2026-07-07")


def test_000_q3_2026_due_2026_10_13_because_of_national_day() -> None:
    # Working days of October 2026: 8 Thu, 9 Fri, 10 Sat (调休), 12 Mon, 13 Tue.
    assert due_date(QUARTERLY, Period.parse("2026-Q3"), CN) == d("2026-10-13")
    # Without the holidays it would be the 7th: the calendar really matters here.
    assert due_date(QUARTERLY, Period.parse("2026-Q3"), WD) == d("2026-10-07")


def test_000_annual_2026_due_on_5th_working_day_of_january_2027_fallback() -> None:
    assert due_date(ANNUAL, Period.parse("2026"), CN) == d("2027-01-08")
    assert CN.year_status(2027) == "fallback"
    assert CN.warnings_for([d("2027-01-08").year])  # the due date is shown as provisional


def test_default_rule_is_monthly_by_the_5th_working_day() -> None:
    assert DEFAULT_RULE.cadence == "monthly"
    assert DEFAULT_RULE.due_workday == 5
    assert DEFAULT_RULE.scope == "plan"
    assert due_date(DEFAULT_RULE, Period.parse("2026-09"), CN) == d("2026-10-13")
    assert due_date(DEFAULT_RULE, Period.parse("2026-12"), CN) == d("2027-01-08")


def test_due_date_refuses_a_period_of_the_wrong_kind() -> None:
    with pytest.raises(InvalidPeriod, match="per quarter"):
        due_date(QUARTERLY, Period.parse("2026-06"), CN)


# --- which periods are owed -----------------------------------------------------------
def test_january_report_is_the_annual_one_not_a_second_q4() -> None:
    quarters = periods_due(QUARTERLY, ISSUED_000, d("2027-12-31"))
    assert [str(p) for p in quarters] == ["2026-Q2", "2026-Q3", "2027-Q1", "2027-Q2", "2027-Q3"]
    years = periods_due(ANNUAL, ISSUED_000, d("2027-12-31"))
    assert [str(p) for p in years] == ["2026", "2027"]


def test_duty_starts_the_month_after_the_issue_date() -> None:
    assert first_owed_period(DEFAULT_RULE, ISSUED_000) == Period.parse("2026-06")
    assert first_owed_period(QUARTERLY, d("2026-06-15")) == Period.parse("2026-Q3")
    assert first_owed_period(DEFAULT_RULE, d("2026-12-20")) == Period.parse("2027-01")


def test_periods_due_include_the_current_period_and_stop_at_until() -> None:
    months = periods_due(DEFAULT_RULE, ISSUED_000, d("2026-08-01"))
    assert [str(p) for p in months] == ["2026-06", "2026-07", "2026-08"]
    assert periods_due(DEFAULT_RULE, ISSUED_000, d("2026-05-31")) == []


def test_explicit_first_period_and_late_assignment() -> None:
    rule = ObligationRule("q", "quarterly", "quarterly", first_period=Period.parse("2026-Q1"))
    assert [str(p) for p in periods_due(rule, d("2026-03-20"), d("2026-04-01"))] == [
        "2026-Q1",
        "2026-Q2",
    ]
    # A unit added in August owes nothing for periods that ended before it was added.
    assert [str(p) for p in periods_due(rule, d("2026-08-20"), d("2026-10-01"))] == [
        "2026-Q3",
        "2026-Q4",
    ]


def test_closing_the_plan_discharges_incomplete_periods() -> None:
    months = periods_due(DEFAULT_RULE, ISSUED_000, d("2026-12-31"), closed_on=d("2026-08-15"))
    assert [str(p) for p in months] == ["2026-06", "2026-07"]


def test_scope_plan_or_task_numbers() -> None:
    assert QUARTERLY.applies_to("（三）")
    rule = ObligationRule("jobs", "岗位汇总", "monthly", scope=("（十七）",))
    assert rule.applies_to("（十七）")
    assert not rule.applies_to("（三）")


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"cadence": "weekly"}, "cadence"),
        ({"due_workday": 0}, "due_workday"),
        ({"due_workday": 30}, "due_workday"),
        ({"scope": ()}, "scope"),
        ({"period_indices": (5,)}, "period_indices"),
        ({"first_period": Period.parse("2026-06")}, "first_period"),
    ],
)
def test_rule_refuses_bad_configuration(kwargs: dict, field: str) -> None:
    base = {"slug": "r", "description": "d", "cadence": "quarterly"}
    with pytest.raises(ConfigurationError) as caught:
        ObligationRule(**{**base, **kwargs})
    assert caught.value.field == field


def test_rules_are_hashable_values() -> None:
    rule = ObligationRule("jobs", "d", "monthly", scope=["（十七）"])  # type: ignore[arg-type]
    assert rule.scope == ("（十七）",)
    assert hash(rule) == hash(ObligationRule("jobs", "d", "monthly", scope=("（十七）",)))


# --- status ---------------------------------------------------------------------------
DUE = d("2026-07-07")


def test_open_before_and_on_the_due_date() -> None:
    assert evaluate_obligation(DUE, d("2026-07-01"), CN) == ObligationStatus("open", 0, DUE)
    assert evaluate_obligation(DUE, DUE, CN).status == "open"


def test_submitted_on_time() -> None:
    status = evaluate_obligation(DUE, d("2026-08-01"), CN, submitted_on=DUE)
    assert status == ObligationStatus("submitted_on_time", 0, DUE)
    assert status.settled


def test_submitted_late_by_working_days() -> None:
    status = evaluate_obligation(DUE, d("2026-08-01"), CN, submitted_on=d("2026-07-10"))
    assert (status.status, status.days_late) == ("submitted_late", 3)


def test_submitted_late_across_national_day_counts_working_days_only() -> None:
    due = d("2026-09-30")
    status = evaluate_obligation(due, d("2026-10-31"), CN, submitted_on=d("2026-10-08"))
    assert (status.status, status.days_late) == ("submitted_late", 1)


def test_late_on_a_weekend_is_at_least_one_working_day() -> None:
    status = evaluate_obligation(d("2026-07-10"), d("2026-07-11"), CN)  # Fri due, Sat as of
    assert (status.status, status.days_late) == ("overdue", 1)
    status = evaluate_obligation(d("2026-07-10"), d("2026-07-20"), CN, submitted_on=d("2026-07-11"))
    assert (status.status, status.days_late) == ("submitted_late", 1)


def test_overdue_as_of_a_date() -> None:
    status = evaluate_obligation(DUE, d("2026-07-14"), CN)
    assert status == ObligationStatus("overdue", 5, DUE)
    assert not status.settled


def test_a_report_after_the_as_of_date_does_not_count_yet() -> None:
    status = evaluate_obligation(DUE, d("2026-07-09"), CN, submitted_on=d("2026-07-20"))
    assert (status.status, status.days_late) == ("overdue", 2)


def test_extension_moves_the_due_date() -> None:
    new_due = d("2026-07-17")
    assert evaluate_obligation(DUE, d("2026-07-10"), CN, extended_to=new_due) == ObligationStatus(
        "extended", 0, new_due
    )
    on_time = evaluate_obligation(
        DUE, d("2026-07-31"), CN, submitted_on=d("2026-07-16"), extended_to=new_due
    )
    assert on_time.status == "submitted_on_time"
    overdue = evaluate_obligation(DUE, d("2026-07-21"), CN, extended_to=new_due)
    assert (overdue.status, overdue.days_late, overdue.due_on) == ("overdue", 2, new_due)


def test_waived_wins() -> None:
    status = evaluate_obligation(DUE, d("2026-09-01"), CN, waived=True)
    assert status == ObligationStatus("waived", 0, DUE)
    assert status.settled


# --- escalation ladder ----------------------------------------------------------------
def test_ladder_for_000_q2_2026() -> None:
    ladder = ladder_dates(d("2026-07-07"), CN)
    assert ladder == LadderDates(
        remind_on=d("2026-07-02"),  # Thu: 3 working days before Tue 07-07 (6, 3, 2)
        urge_on=d("2026-07-08"),
        escalate_on=d("2026-07-14"),  # 8, 9, 10, 13, 14
    )
    assert CN.workdays_between(ladder.remind_on, d("2026-07-07")) == 3
    assert CN.workdays_between(d("2026-07-07"), ladder.escalate_on) == 5


def test_ladder_for_000_q3_2026_skips_the_holidays() -> None:
    ladder = ladder_dates(d("2026-10-13"), CN)
    assert ladder.remind_on == d("2026-10-09")  # 12, 10 (Saturday worked), 9
    assert ladder.urge_on == d("2026-10-14")
    assert ladder.escalate_on == d("2026-10-20")


def test_ladder_policy_is_configurable_and_validated() -> None:
    policy = LadderPolicy(remind_before=1, urge_after=2, escalate_after=10)
    assert policy.dates(DUE, WD) == LadderDates(d("2026-07-06"), d("2026-07-09"), d("2026-07-21"))
    with pytest.raises(ConfigurationError):
        LadderPolicy(urge_after=0)
    with pytest.raises(ConfigurationError):
        ladder_dates(DUE, CN, escalate_after=0)

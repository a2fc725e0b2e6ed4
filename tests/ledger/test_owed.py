"""Issue 12: chasers, extensions and figures checked against the ledger's own facts.

The world plan states no duty, so every assignment owes the default monthly progress
report (``monthly-progress``), from June 2026 (the month after the 05-09 issue date);
June's is due on the 5th working day of July, 2026-07-07. The clock is 2026-07-01.
"""

from __future__ import annotations

import re
from datetime import date

import pytest

from ledger.application import Ledger
from ledger.errors import (
    InvalidValue,
    ObligationNotDue,
    ObligationNotOwed,
    ObligationReported,
    WrongDueDate,
)
from tests.ledger.world import EDU, HR, build_world

MONTHLY = "monthly-progress"


def test_owed_gives_the_obligations_due_date_and_its_extension(ledger: Ledger) -> None:
    world = build_world(ledger)
    target = world.assignments[("（一）", HR)]
    june = ledger.owed(target, MONTHLY, "2026-06")
    assert (june.rule, str(june.period), june.due_on, june.extended_to, june.reported) == (
        MONTHLY, "2026-06", date(2026, 7, 7), None, False
    )
    request = ledger.request_extension(world.liaison(), target, MONTHLY, "2026-06",
                                       date(2026, 7, 17), "数据核对")
    ledger.decide_extension(world.office(), target, request.event_id, approved=True)
    extended = ledger.owed(target, MONTHLY, "2026-06")
    assert (extended.due_on, extended.effective_due_on) == (date(2026, 7, 7), date(2026, 7, 17))
    ledger.report_progress(world.liaison(), target, "2026-06", "六月进展")
    assert ledger.owed(target, MONTHLY, "2026-06").reported


@pytest.mark.parametrize(
    ("obligation", "period", "field", "message"),
    [
        ("bogus-rule", "2026-06", "obligation", "no reporting duty 'bogus-rule'"),
        (MONTHLY, "2031-07", "period", "beyond the plan's span (obligations run to 2030-12-31)"),
        (MONTHLY, "2026-Q3", "period", "reported per month; 2026-Q3 is a quarter"),
        (MONTHLY, "2026-05", "period", "owes monthly-progress from 2026-06"),
        (MONTHLY, "2026-08", "period", "2026-08 has not begun"),
    ],
)
def test_what_the_plan_does_not_owe_is_neither_chased_nor_extended(
    ledger: Ledger, obligation: str, period: str, field: str, message: str
) -> None:
    world = build_world(ledger)
    target = world.assignments[("（一）", HR)]
    before = ledger.position()
    commands = [
        lambda: ledger.owed(target, obligation, period),
        lambda: ledger.issue_reminder(world.office(), target, obligation, period, None, "提醒"),
        lambda: ledger.issue_urge(world.office(), target, obligation, period, None, "催办"),
        lambda: ledger.escalate(world.office(), target, obligation, period, None, "上报"),
        lambda: ledger.request_extension(world.liaison(), target, obligation, period,
                                         date(2026, 12, 31), "延期"),
    ]
    for command in commands:
        with pytest.raises(ObligationNotOwed) as refused:
            command()
        assert refused.value.field == field and message in refused.value.message
    assert ledger.position() == before


def test_urges_and_escalations_come_only_after_the_due_date(ledger: Ledger) -> None:
    world = build_world(ledger)
    target = world.assignments[("（一）", HR)]
    before = ledger.position()
    for command in (ledger.issue_urge, ledger.escalate):
        with pytest.raises(ObligationNotDue, match="due on 2026-07-07"):
            command(world.office(), target, MONTHLY, "2026-06", None, "催办")
    ledger.clock.advance(days=6)  # the due date itself: still not missed
    with pytest.raises(ObligationNotDue):
        ledger.issue_urge(world.office(), target, MONTHLY, "2026-06", None, "催办")
    assert ledger.position() == before
    ledger.clock.advance(days=1)  # 07-08
    assert ledger.issue_urge(world.office(), target, MONTHLY, "2026-06", None, "催办").created


def test_due_on_must_be_the_obligations_own(ledger: Ledger) -> None:
    world = build_world(ledger)
    target = world.assignments[("（一）", HR)]
    with pytest.raises(WrongDueDate, match="due on 2026-07-07, not 2026-07-10") as wrong:
        ledger.issue_reminder(world.office(), target, MONTHLY, "2026-06", date(2026, 7, 10),
                              "提醒")
    assert wrong.value.field == "due_on"
    receipt = ledger.issue_reminder(world.office(), target, MONTHLY, "2026-06", None, "提醒")
    written = list(ledger.records())[-1].event
    assert written.due_on == date(2026, 7, 7) and receipt.created


def test_nothing_is_chased_once_the_period_is_reported(ledger: Ledger) -> None:
    world = build_world(ledger)
    target = world.assignments[("（一）", HR)]
    ledger.report_progress(world.liaison(), target, "2026-06", "六月进展")
    before = ledger.position()
    with pytest.raises(ObligationReported, match="reported 2026-06 on 2026-07-01"):
        ledger.issue_reminder(world.office(), target, MONTHLY, "2026-06", None, "提醒")
    with pytest.raises(ObligationReported):
        ledger.request_extension(world.liaison(), target, MONTHLY, "2026-06",
                                 date(2026, 7, 20), "延期")
    assert ledger.position() == before


def test_the_offices_chaser_is_recorded_once_per_business_date(ledger: Ledger) -> None:
    world = build_world(ledger)
    target = world.assignments[("（一）", HR)]
    first = ledger.issue_reminder(world.office(), target, MONTHLY, "2026-06", None, "提醒")
    before = ledger.position()
    again = ledger.issue_reminder(world.office(), target, MONTHLY, "2026-06", None, "再提醒")
    assert (again.created, again.event_id, again.position) == (False, first.event_id, None)
    assert ledger.position() == before
    # another unit, another period, or the next day is another chaser
    assert ledger.issue_reminder(world.office(), world.assignments[("（一）", EDU)], MONTHLY,
                                 "2026-06", None, "提醒").created
    assert ledger.issue_reminder(world.office(), target, MONTHLY, "2026-07", None, "提醒").created
    ledger.clock.advance(days=1)
    assert ledger.issue_reminder(world.office(), target, MONTHLY, "2026-06", None, "提醒").created


def test_an_extension_is_approved_only_to_a_date_still_ahead(ledger: Ledger) -> None:
    """The "1,723 working days late" case: an approval dated years back is refused."""
    world = build_world(ledger)
    target = world.assignments[("（一）", HR)]
    request = ledger.request_extension(world.liaison(), target, MONTHLY, "2026-06",
                                       date(2026, 7, 20), "数据核对")
    before = ledger.position()
    for new_due_on, message in (
        (date(2019, 12, 31), "after the decision's business date (2026-07-01)"),
        (date(2026, 7, 1), "after the decision's business date"),
        (date(2026, 7, 7), "after the current due date (2026-07-07)"),
    ):
        with pytest.raises(WrongDueDate, match=re.escape(message)):
            ledger.decide_extension(world.office(), target, request.event_id, approved=True,
                                    new_due_on=new_due_on)
    with pytest.raises(WrongDueDate, match="already due on 2026-07-07"):
        ledger.request_extension(world.liaison(), target, MONTHLY, "2026-06",
                                 date(2026, 7, 6), "早于到期日")
    assert ledger.position() == before
    # a refusal needs no date; an approval to a later date is recorded
    ledger.decide_extension(world.office(), target, request.event_id, approved=True,
                            new_due_on=date(2026, 7, 15))
    assert ledger.owed(target, MONTHLY, "2026-06").effective_due_on == date(2026, 7, 15)


@pytest.mark.parametrize(
    ("metrics", "message"),
    [
        ({"培训": 1e308}, "within ±10^15"),
        ({"其他": 10**16}, "within ±10^15"),
        ({"其他": -1e16}, "within ±10^15"),
        ({"培训": -1}, "cannot be negative"),
    ],
)
def test_figures_are_bounded_and_fit_their_target(
    ledger: Ledger, metrics: dict, message: str
) -> None:
    world = build_world(ledger)
    target = world.assignments[("（一）", HR)]
    report = ledger.report_progress(world.liaison(), target, "2026-06", "进展", {"培训": 10})
    before = ledger.position()
    with pytest.raises(InvalidValue, match=re.escape(message)):
        ledger.report_progress(world.liaison(), target, "2026-07", "进展", metrics)
    with pytest.raises(InvalidValue, match=re.escape(message)):
        ledger.correct_progress(world.liaison(), target, report.event_id, "更正", metrics, "核对")
    assert ledger.position() == before
    # a metric no target names may be negative (a change), within the bound
    assert ledger.report_progress(world.liaison(), target, "2026-07", "进展",
                                  {"其他": -3, "培训": 0}).created


def test_a_percentage_indicator_lies_within_0_to_100() -> None:
    from ledger.validation import check_figures_against_targets

    targets = [{"indicator": "覆盖率", "value": 93, "measure": "%"},
               {"indicator": "培训", "value": 20000, "measure": "人"}]
    check_figures_against_targets({"覆盖率": 100, "培训": 8000}, targets)
    for bad in ({"覆盖率": 8000}, {"覆盖率": 100.5}, {"覆盖率": -0.1}):
        with pytest.raises(InvalidValue):
            check_figures_against_targets(bad, targets)

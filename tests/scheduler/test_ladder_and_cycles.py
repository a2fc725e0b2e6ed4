"""The scheduler's rhythm over May–October 2026: ladder steps, cycles, exactly once."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, time, timedelta

import pytest

from ledger.acts import Act
from ledger.application import Ledger
from ledger.assignment import Assignment
from ledger.calendar import ChineseCalendar
from ledger.cycle import Cycle
from ledger.store import StoreConfig
from projections.db import ReadStore
from projections.projector import Projector
from scheduler.cycles import cycles_due
from scheduler.outbox import create_tables as create_outbox
from scheduler.service import days_to_run
from scheduler.tick import run_tick
from tests.scheduler.world import LATE, PROMPT, SILENT, build_plan

CALENDAR = ChineseCalendar()


def run_days(ledger: Ledger, store: ReadStore, start: date, end: date) -> None:
    day = start
    while day <= end:
        run_tick(ledger, store, day, wall=ledger.clock, simulated=False)
        day += timedelta(days=1)


def chases(ledger: Ledger, assignment) -> list[tuple[str, date, str]]:
    kinds = {
        Assignment.ReminderIssued: "reminder",
        Assignment.UrgeIssued: "urge",
        Assignment.EscalatedToSupervisionPlatform: "escalation",
    }
    return [
        (kinds[type(e)], e.business_date, e.period)
        for e in ledger.repository.event_store.get(assignment)
        if type(e) in kinds
    ]


@pytest.fixture
def world(ledger: Ledger, store_config: StoreConfig):
    built = build_plan(ledger)
    store = ReadStore(store_config, create_tables=True)
    create_outbox(store)  # as `taskledger db init` makes it
    ledger.clock.advance(days=150)  # wall time: late November; business dates are the ticks
    yield ledger, store, built["assignments"]
    store.close()


def report(ledger: Ledger, assignment, period: str, day: date) -> None:
    act = Act.by(ledger.clock, "liaison", "liaison", business_date=day)
    ledger.report_progress(act, assignment, period, f"{period}报告")


def test_ladder_for_silent_late_and_prompt_units(world) -> None:
    ledger, store, assignments = world
    report(ledger, assignments[PROMPT], "2026-Q2", date(2026, 7, 3))
    run_days(ledger, store, date(2026, 5, 1), date(2026, 7, 8))
    report(ledger, assignments[LATE], "2026-Q2", date(2026, 7, 9))  # after the urge
    run_days(ledger, store, date(2026, 7, 9), date(2026, 10, 31))

    assert chases(ledger, assignments[SILENT]) == [
        ("reminder", date(2026, 7, 2), "2026-Q2"),  # 3 working days before 07-07
        ("urge", date(2026, 7, 8), "2026-Q2"),  # first working day after
        ("escalation", date(2026, 7, 14), "2026-Q2"),  # 5 working days after
        ("reminder", date(2026, 10, 9), "2026-Q3"),  # due 10-13 after National Day
        ("urge", date(2026, 10, 14), "2026-Q3"),
        ("escalation", date(2026, 10, 20), "2026-Q3"),
    ]
    late = chases(ledger, assignments[LATE])
    assert ("escalation", date(2026, 7, 14), "2026-Q2") not in late  # the report stopped it
    assert late[:2] == [
        ("reminder", date(2026, 7, 2), "2026-Q2"),
        ("urge", date(2026, 7, 8), "2026-Q2"),
    ]
    assert [c for c in chases(ledger, assignments[PROMPT]) if c[2] == "2026-Q2"] == [
        ("reminder", date(2026, 7, 2), "2026-Q2")
    ]  # reminded before it reported on 07-03
    escalation = next(
        e
        for e in ledger.repository.event_store.get(assignments[SILENT])
        if isinstance(e, Assignment.EscalatedToSupervisionPlatform)
    )
    assert len(escalation.evidence) == 2 and escalation.actor_role == "system"

    cycles = sorted(
        (e.business_date, e.kind, e.period)
        for e in (r.event for r in ledger.records())
        if isinstance(e, Cycle.Ran) and e.kind != "daily-tick"
    )
    assert cycles == [
        (date(2026, 5, 6), "monthly", "2026-05"),
        (date(2026, 6, 1), "monthly", "2026-06"),
        (date(2026, 7, 1), "monthly", "2026-07"),
        (date(2026, 7, 8), "half-year", "2026-H1"),
        (date(2026, 7, 8), "quarterly", "2026-Q2"),
        (date(2026, 8, 3), "monthly", "2026-08"),
        (date(2026, 9, 1), "monthly", "2026-09"),
        (date(2026, 10, 8), "monthly", "2026-10"),
        (date(2026, 10, 14), "quarterly", "2026-Q3"),
    ]
    # running the same days again adds nothing
    before = ledger.position()
    run_days(ledger, store, date(2026, 7, 1), date(2026, 7, 20))
    assert ledger.position() == before


def test_an_approved_extension_moves_the_ladder(world) -> None:
    ledger, store, assignments = world
    office = Act.by(ledger.clock, "office", "office", business_date=date(2026, 7, 1))
    request = ledger.request_extension(
        office,
        assignments[SILENT],
        "implementation-report-quarterly",
        "2026-Q2",
        date(2026, 7, 17),
        "核对数据",
    )
    ledger.decide_extension(office, assignments[SILENT], request.event_id, approved=True)
    run_days(ledger, store, date(2026, 6, 25), date(2026, 7, 31))
    steps = [c for c in chases(ledger, assignments[SILENT]) if c[2] == "2026-Q2"]
    assert steps == [
        ("reminder", date(2026, 7, 14), "2026-Q2"),
        ("urge", date(2026, 7, 20), "2026-Q2"),
        ("escalation", date(2026, 7, 24), "2026-Q2"),
    ]


def test_simulated_days_are_marked_and_kept_apart(world) -> None:
    ledger, store, assignments = world
    run_tick(ledger, store, date(2026, 7, 2), wall=ledger.clock, simulated=True)
    run_tick(ledger, store, date(2026, 7, 2), wall=ledger.clock, simulated=False)
    reminders = [
        e
        for e in ledger.repository.event_store.get(assignments[SILENT])
        if isinstance(e, Assignment.ReminderIssued)
    ]
    assert sorted(e.simulated for e in reminders) == [False, True]
    dry = run_tick(ledger, store, date(2026, 7, 8), wall=ledger.clock, simulated=True, dry_run=True)
    assert len(dry.urges) == 3 and not any(u["event_id"] for u in dry.urges)
    assert not any(isinstance(r.event, Assignment.UrgeIssued) for r in ledger.records())


def test_a_calendar_adjustment_moves_due_dates(world) -> None:
    ledger, store, assignments = world
    Projector(ledger, store).catch_up()

    def q2_due() -> str:
        return store.scalar(
            "SELECT due_on FROM {s}rm_obligations WHERE assignment_id = ? AND period = ?",
            [str(assignments[SILENT]), "2026-Q2"],
        )

    assert q2_due() == "2026-07-07"
    office = Act.by(ledger.clock, "office", "office")
    ledger.adjust_calendar(office, marks=[(date(2026, 7, 3), "holiday")], note="测试")
    Projector(ledger, store).catch_up()
    assert q2_due() == "2026-07-08"  # July's 5th working day moved
    assert not ledger.working_calendar().is_workday(date(2026, 7, 3))
    from tests.projections.helpers import dump

    before = dump(store)
    Projector(ledger, store).rebuild()
    assert dump(store) == before


def test_cycle_days_for_the_year() -> None:
    monthly = [
        d
        for d in (date(2026, 1, 1) + timedelta(days=n) for n in range(365))
        if any(c.kind == "monthly" for c in cycles_due(d, CALENDAR))
    ]
    assert len(monthly) == 12 and date(2026, 10, 8) in monthly  # after National Day
    january = cycles_due(date(2027, 1, 11), CALENDAR)
    assert {(c.kind, str(c.period)) for c in january} == {
        ("quarterly", "2026-Q4"),
        ("annual", "2026"),
    }


def test_missed_days_are_caught_up_in_order() -> None:
    today = date(2026, 7, 10)
    assert days_to_run(None, today, time(8), time(9)) == []  # first start, before 09:00
    assert days_to_run(None, today, time(10), time(9)) == [today]
    assert days_to_run(date(2026, 7, 6), today, time(10), time(9)) == [
        date(2026, 7, 7),
        date(2026, 7, 8),
        date(2026, 7, 9),
        today,
    ]
    assert days_to_run(date(2026, 7, 6), today, time(8), time(9))[-1] == date(2026, 7, 9)
    assert days_to_run(today, today, time(23), time(9)) == []
    _ = datetime(2026, 1, 1, tzinfo=UTC)
    assert (
        Counter(days_to_run(date(2026, 1, 1), today, time(10), time(9))).most_common(1)[0][1] == 1
    )


def test_each_plan_has_its_own_ladder_and_the_optional_urge_rule(
    ledger: Ledger, store_config: StoreConfig
) -> None:
    from ledger.obligations import LadderPolicy
    from tests.ledger.world import HR, build_world

    quarterly = build_plan(ledger)  # 000's duty
    monthly = build_world(ledger)  # no stated duty: the monthly default
    store = ReadStore(store_config, create_tables=True)
    create_outbox(store)  # as `taskledger db init` makes it
    ledger.clock.advance(days=150)
    office = Act.by(ledger.clock, "office", "office")
    ledger.configure_ladder(office, quarterly["plan"], LadderPolicy(remind_before=5))
    ledger.configure_ladder(office, monthly.plan, LadderPolicy(escalate_after_urges=2))
    again = ledger.configure_ladder(office, monthly.plan, LadderPolicy(escalate_after_urges=2))
    assert again.created is False
    run_days(ledger, store, date(2026, 6, 25), date(2026, 8, 12))

    silent = chases(ledger, quarterly["assignments"][SILENT])
    assert silent[0] == ("reminder", date(2026, 6, 30), "2026-Q2")  # 5 working days before
    hr = chases(ledger, monthly.assignments[("（一）", HR)])
    escalations = [c for c in hr if c[0] == "escalation"]
    # June's report is escalated 5 working days after its 07-07 deadline; July's the day
    # the unit is urged for the second time this quarter (08-10), not waiting until 08-14
    assert ("escalation", date(2026, 7, 14), "2026-06") in escalations
    assert ("escalation", date(2026, 8, 10), "2026-07") in escalations
    store.close()

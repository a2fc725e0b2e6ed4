"""Each ledger command on SQLite and PostgreSQL: what it records and what it refuses."""

from __future__ import annotations

from datetime import date
from uuid import uuid4

import pytest

from ledger import ids
from ledger.acts import Act
from ledger.application import Ledger
from ledger.assignment import Assignment
from ledger.errors import (
    ActionNotAllowed,
    ConcurrentWriteConflict,
    EmptyNarrative,
    IdempotencyConflict,
    InvalidInput,
    InvalidPeriod,
    InvalidValue,
    NotAssigned,
    PeriodOutsidePlan,
    UnknownEvent,
    UnknownTask,
    UnknownUnit,
)
from tests.ledger.world import EDU, FIN, HR, build_world


def events_of(ledger: Ledger, stream) -> list:
    return [r.event for r in ledger.records() if r.event.originator_id == stream]


def test_world_is_recorded_with_who_and_when(ledger: Ledger) -> None:
    world = build_world(ledger)
    records = list(ledger.records())
    # 1 plan + 2 tasks + 3 units + 4 assignments
    assert len(records) == 10
    assert [r.position for r in records] == list(range(1, 11))
    for record in records:
        event = record.event
        assert event.actor == "importer" and event.actor_role == "system"
        assert event.business_date == date(2026, 5, 9)  # the document's issue date
        assert event.timestamp == ledger.clock.now()
        assert event.simulated is False
        assert event.correlation_id
    lead = ledger.get_assignment(world.assignments[("（一）", HR)])
    assert (lead.role, lead.status, lead.task_number, lead.unit_name) == (
        "lead",
        "not_started",
        "（一）",
        HR,
    )


def test_creation_is_idempotent_by_natural_key(ledger: Ledger) -> None:
    world = build_world(ledger)
    before = ledger.position()
    again = build_world(ledger)
    assert ledger.position() == before
    assert again.plan == world.plan and again.assignments == world.assignments
    receipt = ledger.assign(world.office(), world.task_one, world.units[HR], "lead")
    assert receipt.created is False and receipt.position is None


def test_progress_report_moves_status_and_is_idempotent(ledger: Ledger) -> None:
    world = build_world(ledger)
    assignment = world.assignments[("（一）", HR)]
    first = ledger.report_progress(
        world.liaison(), assignment, "2026-Q2", "完成培训1.2万人", {"培训": 12000}, "key-1"
    )
    assert first.created and first.position == 11
    same = ledger.report_progress(
        world.liaison(), assignment, "2026-Q2", "完成培训1.2万人", {"培训": 12000}, "key-1"
    )
    assert same.created is False and same.event_id == first.event_id
    assert ledger.position() == 11
    with pytest.raises(IdempotencyConflict):
        ledger.report_progress(
            world.liaison(), assignment, "2026-Q2", "完成培训1.3万人", {"培训": 13000}, "key-1"
        )
    state = ledger.get_assignment(assignment)
    assert state.status == "in_progress"
    assert state.report_ids() == {first.event_id: "2026-Q2"}
    reported = events_of(ledger, assignment)[-1]
    assert isinstance(reported, Assignment.ProgressReported)
    assert (reported.period, reported.metrics, reported.actor_role) == (
        "2026-Q2",
        {"培训": 12000},
        "liaison",
    )


@pytest.mark.parametrize(
    ("period", "narrative", "metrics", "error"),
    [
        ("2026-Q2", "   ", {}, EmptyNarrative),
        ("2026-Q2", "ok", {"培训": "many"}, InvalidValue),
        ("2026-Q2", "ok", {"培训": True}, InvalidValue),
        ("2026-Q2", "ok", {"培训": float("nan")}, InvalidValue),
        ("2026-Q2", "ok", ["培训"], InvalidValue),
        ("2026-Q5", "ok", {}, InvalidPeriod),
        ("next month", "ok", {}, InvalidPeriod),
        ("2025-Q4", "ok", {}, PeriodOutsidePlan),  # ends before the plan was issued
        ("2026-Q4", "ok", {}, PeriodOutsidePlan),  # has not started on 2026-07-01
        ("2026-Q2", "bell\x07", {}, InvalidInput),
    ],
)
def test_bad_reports_are_refused_and_write_nothing(
    ledger: Ledger, period, narrative, metrics, error
) -> None:
    world = build_world(ledger)
    before = ledger.position()
    with pytest.raises(error) as raised:
        ledger.report_progress(
            world.liaison(), world.assignments[("（一）", HR)], period, narrative, metrics
        )
    assert raised.value.message and "\n" not in raised.value.message
    assert ledger.position() == before


def test_unknown_things_are_named_in_the_error(ledger: Ledger) -> None:
    world = build_world(ledger)
    with pytest.raises(UnknownTask):
        ledger.assign(world.office(), uuid4(), world.units[HR], "lead")
    with pytest.raises(UnknownUnit):
        ledger.assign(world.office(), world.task_one, uuid4(), "lead")
    with pytest.raises(NotAssigned, match=f"{FIN} is not assigned to task （一）"):
        ledger.assignment_of(world.task_one, world.units[FIN])
    with pytest.raises(NotAssigned):
        ledger.report_progress(world.liaison(), uuid4(), "2026-Q2", "x")
    with pytest.raises(InvalidInput, match="role"):
        ledger.assign(world.office(), world.task_one, world.units[FIN], "boss")


def test_correction_names_the_report_and_keeps_it(ledger: Ledger) -> None:
    world = build_world(ledger)
    assignment = world.assignments[("（一）", EDU)]
    report = ledger.report_progress(world.liaison(EDU), assignment, "2026-06", "培训800人")
    fix = ledger.correct_progress(
        world.liaison(EDU), assignment, report.event_id, "培训900人", {"培训": 900}, "录入错误"
    )
    events = events_of(ledger, assignment)
    assert isinstance(events[-2], Assignment.ProgressReported)
    assert events[-2].narrative == "培训800人"  # the original stays
    assert isinstance(events[-1], Assignment.ProgressCorrected)
    assert events[-1].corrects == report.event_id
    state = ledger.get_assignment(assignment)
    assert state.version_of(report.event_id) == 2 and state.version_of(fix.event_id) == 3
    assert state.corrections == {2: [3]}
    with pytest.raises(UnknownEvent):
        ledger.correct_progress(world.liaison(EDU), assignment, uuid4(), "x", {}, "y")
    # an event of the assignment that is neither a report nor a correction is refused
    # too (here its Assigned event); a correction may itself be corrected (test_corrections)
    with pytest.raises(UnknownEvent):
        ledger.correct_progress(world.liaison(EDU), assignment, state.event_id_at(1), "x", {}, "y")


def test_reminder_urge_escalation_and_acknowledgement(ledger: Ledger) -> None:
    world = build_world(ledger)
    assignment = world.assignments[("（二）", FIN)]
    system = Act.by(ledger.clock, "scheduler", "system")
    due = date(2026, 7, 7)  # June's monthly progress report: the 5th working day of July
    remind = ledger.issue_reminder(
        system, assignment, "monthly-progress", "2026-06", due, "3 天后到期"
    )
    ledger.clock.advance(days=7)  # 07-08: the day after the due date
    system = Act.by(ledger.clock, "scheduler", "system")
    urge = ledger.issue_urge(
        system, assignment, "monthly-progress", "2026-06", due, "已逾期", [remind.event_id]
    )
    escalation = ledger.escalate(
        system,
        assignment,
        "monthly-progress",
        "2026-06",
        due,
        "逾期5个工作日未报",
        [remind.event_id, urge.event_id],
    )
    with pytest.raises(UnknownEvent):
        ledger.escalate(system, assignment, "monthly-progress", "2026-06", due, "x", [uuid4()])
    platform = Act.by(ledger.clock, "platform", "platform")
    ledger.acknowledge_escalation(platform, assignment, escalation.event_id, "SUP-1", "收到")
    state = ledger.get_assignment(assignment)
    assert (state.reminders, state.urges) == (1, 1)
    assert state.escalations == {state.version_of(escalation.event_id): "acknowledged"}
    ledger.acknowledge_escalation(
        platform, assignment, escalation.event_id, "SUP-1", "已办结", resolved=True
    )
    with pytest.raises(ActionNotAllowed):
        ledger.acknowledge_escalation(platform, assignment, escalation.event_id, "SUP-1", "again")
    escalated = events_of(ledger, assignment)[-3]
    assert isinstance(escalated, Assignment.EscalatedToSupervisionPlatform)
    assert escalated.evidence == [remind.event_id, urge.event_id]
    assert escalated.due_on == due


def test_extension_request_and_decision(ledger: Ledger) -> None:
    world = build_world(ledger)
    assignment = world.assignments[("（一）", HR)]
    request = ledger.request_extension(
        world.liaison(), assignment, "monthly-progress", "2026-06", date(2026, 7, 20), "数据核对中"
    )
    with pytest.raises(InvalidInput):
        ledger.request_extension(
            world.liaison(), assignment, "monthly-progress", "2026-06", date(2026, 6, 1), "past"
        )
    ledger.decide_extension(world.office(), assignment, request.event_id, approved=True)
    decided = events_of(ledger, assignment)[-1]
    assert isinstance(decided, Assignment.ExtensionDecided)
    assert decided.new_due_on == date(2026, 7, 20)  # the requested date by default
    with pytest.raises(ActionNotAllowed):
        ledger.decide_extension(world.office(), assignment, request.event_id, approved=False)


def test_lifecycle_complete_reopen_withdraw_reinstate(ledger: Ledger) -> None:
    world = build_world(ledger)
    assignment = world.assignments[("（一）", HR)]
    ledger.complete(world.office(), assignment, "办结")
    assert ledger.get_assignment(assignment).status == "completed"
    with pytest.raises(ActionNotAllowed, match="completed"):
        ledger.issue_urge(world.office(), assignment, "q", "2026-Q2", None, "x")
    with pytest.raises(ActionNotAllowed):
        ledger.complete(world.office(), assignment)
    ledger.reopen(world.office(), assignment, "复核发现问题")
    assert ledger.get_assignment(assignment).status == "in_progress"
    with pytest.raises(ActionNotAllowed):
        ledger.reopen(world.office(), assignment, "again")
    ledger.withdraw(world.office(), assignment, "职责调整")
    with pytest.raises(ActionNotAllowed, match="withdrawn"):
        ledger.report_progress(world.liaison(), assignment, "2026-Q2", "still here")
    ledger.assign(world.office(), world.task_one, world.units[HR], "co")
    state = ledger.get_assignment(assignment)
    assert (state.status, state.role) == ("not_started", "co")


def test_expected_version_turns_a_stale_view_into_a_conflict(ledger: Ledger) -> None:
    world = build_world(ledger)
    assignment = world.assignments[("（一）", HR)]
    seen = ledger.get_assignment(assignment).version
    ledger.report_progress(world.liaison(), assignment, "2026-Q2", "new facts")
    with pytest.raises(ConcurrentWriteConflict):
        ledger.complete(world.office(), assignment, "done", expected_version=seen)
    assert ledger.get_assignment(assignment).status == "in_progress"


def test_simulated_clock_marks_events(ledger: Ledger) -> None:
    from ledger.clock import SimulatedClock

    world = build_world(ledger)
    sim = SimulatedClock(date(2026, 7, 8), wall=ledger.clock)
    act = Act.by(sim, "scheduler", "system")
    ledger.issue_urge(
        act,
        world.assignments[("（一）", HR)],
        "monthly-progress",
        "2026-06",
        date(2026, 7, 7),
        "simulated urge",
    )
    last = list(ledger.records())[-1].event
    assert last.simulated is True and last.business_date == date(2026, 7, 8)


def test_cycles_run_once_per_period(ledger: Ledger) -> None:
    act = Act.by(ledger.clock, "scheduler", "system")
    first = ledger.record_cycle(act, "monthly", "2026-07", {"owed": 3})
    second = ledger.record_cycle(act, "monthly", "2026-07", {"owed": 4})
    assert first.created and not second.created and first.stream_id == second.stream_id
    assert first.stream_id == ids.cycle_id("monthly", "2026-07")
    assert second.event_ids == ()
    assert ledger.position() == 1


def test_records_to_dict_is_plain_json(ledger: Ledger) -> None:
    import json

    world = build_world(ledger)
    ledger.report_progress(
        world.liaison(), world.assignments[("（一）", HR)], "2026-Q2", "报告", {"培训": 1.5}
    )
    record = list(ledger.records())[-1].to_dict()
    assert json.loads(json.dumps(record, ensure_ascii=False)) == record
    assert record["type"] == "ProgressReported" and record["stream_type"] == "Assignment"
    assert record["data"]["metrics"] == {"培训": 1.5}
    assert record["business_date"] == "2026-07-01" and record["actor_role"] == "liaison"


def test_a_stale_cache_in_another_process_never_decides_wrongly(
    ledger: Ledger, store_config
) -> None:
    """Two applications on one store, each with its own aggregate cache."""
    from ledger.application import open_ledger

    world = build_world(ledger)
    other = open_ledger(store_config, clock=ledger.clock)
    assignment = world.assignments[("（一）", HR)]
    other.report_progress(world.liaison(), assignment, "2026-06", "warms the cache")
    # this process withdraws; the other's cached copy still says in progress
    ledger.withdraw(world.office(), assignment, "调整")
    with pytest.raises(ActionNotAllowed, match="withdrawn"):
        other.report_progress(world.liaison(), assignment, "2026-06", "stale write")
    # and the reverse: the other caches "withdrawn", this one reinstates
    ledger.assign(world.office(), world.task_one, world.units[HR], "lead")
    receipt = other.report_progress(world.liaison(), assignment, "2026-06", "after reinstating")
    assert receipt.created
    assert ledger.get_assignment(assignment).status == "in_progress"
    versions = [e.originator_version for e in ledger.repository.event_store.get(assignment)]
    assert versions == list(range(1, len(versions) + 1))
    other.close()


def test_a_liaison_acknowledges_a_reminder_once(ledger: Ledger) -> None:
    """签收: one ChaseAcknowledged per reminder or urge, naming it; again records nothing."""
    world = build_world(ledger)
    target = world.assignments[("（一）", HR)]
    reminder = ledger.issue_reminder(
        world.office(), target, "monthly-progress", "2026-06", date(2026, 7, 7), "请按时报送"
    ).event_id
    ledger.clock.advance(days=7)  # urged the day after June's report fell due
    urge = ledger.issue_urge(
        world.office(), target, "monthly-progress", "2026-06", date(2026, 7, 7), "已逾期"
    ).event_id
    first = ledger.acknowledge_chase(world.liaison(), target, reminder, " 已收到 ")
    assert first.created and first.position == ledger.position()
    event = events_of(ledger, target)[-1]
    assert isinstance(event, Assignment.ChaseAcknowledged)
    assert (event.chase, event.kind, event.obligation, event.period, event.note) == (
        reminder, "reminder", "monthly-progress", "2026-06", "已收到"
    )
    assert event.actor_role == "liaison"
    before = ledger.position()
    again = ledger.acknowledge_chase(world.office(), target, reminder, "又一次")
    assert (again.created, again.event_id, again.position) == (False, first.event_id, None)
    assert ledger.position() == before
    # the urge is a chase of its own
    assert ledger.acknowledge_chase(world.liaison(), target, urge).created
    assert len(ledger.get_assignment(target).acknowledgements) == 2


def test_only_this_assignments_real_reminders_and_urges_can_be_acknowledged(
    ledger: Ledger,
) -> None:
    from ledger.clock import SimulatedClock

    world = build_world(ledger)
    target = world.assignments[("（一）", HR)]
    ledger.clock.advance(days=7)  # 07-08: June's report (due 07-07) is overdue
    office = world.office()
    june = ("monthly-progress", "2026-06")
    escalation = ledger.escalate(office, target, *june, None, "逾期").event_id
    report = ledger.report_progress(world.liaison(), target, "2026-07", "进展").event_id
    elsewhere = ledger.issue_reminder(
        office, world.assignments[("（一）", EDU)], *june, None, "提醒"
    ).event_id
    simulated = SimulatedClock(date(2026, 7, 8), wall=ledger.clock)
    sim_urge = ledger.issue_urge(
        Act.by(simulated, "scheduler", "system"), target, *june, None, "模拟"
    ).event_id
    before = ledger.position()
    with pytest.raises(ActionNotAllowed, match="the platform acknowledges it"):
        ledger.acknowledge_chase(world.liaison(), target, escalation)
    for not_a_chase in (report, elsewhere, uuid4()):
        with pytest.raises(UnknownEvent, match="not a reminder or urge of this assignment"):
            ledger.acknowledge_chase(world.liaison(), target, not_a_chase)
    with pytest.raises(ActionNotAllowed, match="simulated and never sent"):
        ledger.acknowledge_chase(world.liaison(), target, sim_urge)
    real = ledger.issue_urge(office, target, *june, None, "催办").event_id
    with pytest.raises(ActionNotAllowed, match="simulated act cannot acknowledge a real urge"):
        ledger.acknowledge_chase(Act.by(simulated, "sim", "liaison"), target, real)
    assert ledger.position() == before + 1  # only the real urge
    # a simulation may acknowledge its own simulated urge
    assert ledger.acknowledge_chase(Act.by(simulated, "sim", "liaison"), target, sim_urge).created

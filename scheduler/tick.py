"""One day of the scheduler: the ladder's steps, the cycles, the outbox; exactly once.

Exactly once, however many schedulers run or crash: every step is taken with
``once=True`` (an assignment refuses a second reminder, urge or escalation for the same
obligation and period), every cycle and the day's tick marker have ids derived from
their kind and period, so a repeated or concurrent run writes nothing new.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

from ledger.acts import Act
from ledger.application import Ledger
from ledger.calendar import WorkingDayCalendar
from ledger.clock import Clock, SimulatedClock
from ledger.ladder import LadderPolicy
from ledger.periods import Period
from ledger.vocabulary import Cadence, ChaseKind
from projections import queries
from projections.db import ReadStore
from projections.office import queries as office
from projections.projector import Projector
from projections.views import live_view
from scheduler.cycles import cycles_due
from scheduler.ladder import Step, steps_due
from scheduler.outbox import enqueue_new

SCHEDULER_ACTOR = "scheduler"
TICK_KIND = "daily-tick"

@dataclass
class DayReport:
    day: date
    working_day: bool
    simulated: bool
    reminders: list[dict[str, Any]] = field(default_factory=list)
    urges: list[dict[str, Any]] = field(default_factory=list)
    escalations: list[dict[str, Any]] = field(default_factory=list)
    cycles: list[dict[str, Any]] = field(default_factory=list)
    already_done: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "day": self.day.isoformat(),
            "working_day": self.working_day,
            "simulated": self.simulated,
            "reminders": self.reminders,
            "urges": self.urges,
            "escalations": self.escalations,
            "cycles": self.cycles,
            "already_done": self.already_done,
        }

    @property
    def empty(self) -> bool:
        return not (self.reminders or self.urges or self.escalations or self.cycles)


def scope_of(simulated: bool) -> str:
    return "simulated" if simulated else ""


def run_tick(
    ledger: Ledger,
    store: ReadStore,
    day: date,
    *,
    wall: Clock,
    simulated: bool,
    dry_run: bool = False,
    policy: LadderPolicy | None = None,
    after_cycle: Any = None,
) -> DayReport:
    """Decide and record everything due on ``day``.

    ``simulated`` marks every event written (the office's time travel); ``dry_run``
    decides without writing. ``after_cycle(kind, period, view_day)`` is called for each
    cycle run (the briefing renderer plugs in there).
    """
    clock = SimulatedClock(day, wall=wall) if simulated else wall
    act = Act.by(clock, SCHEDULER_ACTOR, "system", business_date=day)
    calendar = ledger.working_calendar()
    Projector(ledger, store, calendar).catch_up()
    report = DayReport(day, calendar.is_workday(day), simulated)
    scope = scope_of(simulated)
    if _tick_recorded(store, day, scope):
        report.already_done = True
    steps = steps_due(store, day, calendar, policy, simulated=simulated)
    taken = {} if dry_run else _take_all(ledger, act, steps)
    for step in steps:
        written = taken.get((step.kind, step.assignment_id, step.obligation, step.period))
        entry = {
            "unit": step.unit_name, "task": step.task_number, "plan": step.plan_title,
            "obligation": step.obligation, "period": step.period,
            "due_on": step.due_on.isoformat(),
            "event_id": str(written) if written else None,
        }
        if dry_run or written:
            {ChaseKind.REMINDER: report.reminders, ChaseKind.URGE: report.urges,
             ChaseKind.ESCALATION: report.escalations}[step.kind].append(entry)
    for cycle in cycles_due(day, calendar):
        snapshot = _snapshot(ledger, store, calendar, day, cycle.kind, str(cycle.period))
        if dry_run:
            report.cycles.append({"kind": cycle.kind, "period": str(cycle.period)})
            continue
        done = office.cycle_ran(store, cycle.kind, str(cycle.period), scope)
        if after_cycle is not None and not done:
            # before the cycle is recorded: a crash here renders again on the rerun
            after_cycle(cycle.kind, str(cycle.period), day)
        receipt = ledger.record_cycle(act, cycle.kind, str(cycle.period), snapshot, scope=scope)
        if receipt.created:
            report.cycles.append({"kind": cycle.kind, "period": str(cycle.period),
                                  "event_id": str(receipt.event_id)})
    if not dry_run:
        Projector(ledger, store, calendar).catch_up()
        if not simulated:  # a rehearsal sends nothing, ever
            enqueue_new(store, wall.now())
        ledger.record_cycle(act, TICK_KIND, day.isoformat(),
                            {"steps": len(report.reminders) + len(report.urges)
                             + len(report.escalations), "cycles": len(report.cycles)},
                            scope=scope)
        Projector(ledger, store, calendar).catch_up()
    return report


def briefing_hook(ledger: Ledger, store: ReadStore, folder: Path, act_for: Any) -> Any:
    """What a cycle asks of the briefing renderer: the briefing of the period the cycle
    closes (the monthly dispatch on the first working day of July issues June's)."""
    from scheduler.briefings import issue_briefing

    def issue(kind: str, period: str, day: date) -> None:
        covered = Period.parse(period)
        if Cadence(kind) is Cadence.MONTHLY:
            covered = Period.month_of(covered.start - timedelta(days=1))
        issue_briefing(ledger, store, ledger.working_calendar(), kind, covered,
                       folder=folder, act=act_for(day))

    return issue


def _take_all(ledger: Ledger, act: Act, steps: list[Step]) -> dict[tuple, UUID]:
    """Take the day's steps, one transaction for all; returns the events written."""
    by_assignment: dict[UUID, list[Step]] = {}
    for step in steps:
        by_assignment.setdefault(UUID(step.assignment_id), []).append(step)

    def decide_for(own: list[Step]) -> Any:
        def decide(assignment: Any) -> dict[tuple, UUID]:
            written = {}
            # reminder, then urge, then escalation: each cites the steps before it
            for step in sorted(own, key=lambda s: ORDER[s.kind]):
                event = _take(assignment, act, step)
                if event is not None:
                    written[(step.kind, step.assignment_id, step.obligation, step.period)] = event
            return written
        return decide

    results = ledger.on_many_assignments(
        act, {assignment: decide_for(own) for assignment, own in by_assignment.items()}
    )
    taken: dict[tuple, UUID] = {}
    for outcome in results.values():
        if isinstance(outcome, dict):
            taken.update(outcome)
    return taken


ORDER = {kind: rank for rank, kind in enumerate(ChaseKind)}  # the ladder's own order


def _take(assignment: Any, act: Act, step: Step) -> UUID | None:
    if step.kind == ChaseKind.REMINDER:
        return assignment.issue_reminder(act, step.obligation, step.period, step.due_on,
                                         step.reason, once=True, trigger=step.trigger)
    evidence = [e for e in (
        assignment.chase_event(ChaseKind.REMINDER, step.obligation, step.period, act.simulated),
        assignment.chase_event(ChaseKind.URGE, step.obligation, step.period, act.simulated),
    ) if e is not None]
    method = assignment.issue_urge if step.kind == ChaseKind.URGE else assignment.escalate
    return method(act, step.obligation, step.period, step.due_on, step.reason, evidence,
                  once=True, trigger=step.trigger)


def _tick_recorded(store: ReadStore, day: date, scope: str) -> bool:
    return office.cycle_ran(store, TICK_KIND, day.isoformat(), scope)


def last_tick(store: ReadStore, *, simulated: bool = False) -> date | None:
    found = office.last_cycle_period(store, TICK_KIND, scope_of(simulated))
    return date.fromisoformat(found) if found else None


def _snapshot(ledger: Ledger, store: ReadStore, calendar: WorkingDayCalendar, day: date,
              kind: str, period: str) -> dict[str, Any]:
    """What the cycle saw: owed and overdue per unit, as of the day."""
    view = live_view(store, calendar, day, ledger.position())
    overdue = queries.overdue(view)
    by_unit: dict[str, int] = {}
    for row in overdue:
        by_unit[row["unit_name"]] = by_unit.get(row["unit_name"], 0) + 1
    worst = sorted(by_unit.items(), key=lambda item: (-item[1], item[0]))[:20]
    return {
        "kind": kind,
        "period": period,
        "as_of": day.isoformat(),
        "ledger_position": view.position,
        "overdue_obligations": len(overdue),
        "units_overdue": len(by_unit),
        "most_overdue_units": [{"unit": u, "overdue": n} for u, n in worst],
    }

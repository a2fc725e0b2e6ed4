"""The escalation ladder: which reminders, urges and escalations fall due on a day.

An obligation still unreported is reminded (提醒) a few working days before its due
date, urged (催办) on the first working day after it, and escalated to the supervision
platform (上报监督平台) when still missing some working days later. Each step fires on
its own date, so a scheduler that was down catches up day by day and never floods the
units with old steps; a report (on or before the day) stops the ladder; an approved
extension moves every step.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from ledger import chasers
from ledger.calendar import WorkingDayCalendar
from ledger.duties import plan_duties
from ledger.ladder import LadderPolicy
from ledger.vocabulary import ChaseKind
from projections.accountability import queries as accountability
from projections.chasers import urges_in_quarter
from projections.db import ReadStore
from projections.registry import queries as registry

# Steps are never more than this many calendar days from the (effective) due date:
# enough for 15 working days around the longest holiday.
_WINDOW = timedelta(days=40)


@dataclass(frozen=True)
class Step:
    kind: ChaseKind
    assignment_id: str
    unit_id: str
    unit_name: str
    task_number: str
    plan_id: str
    plan_title: str
    obligation: str
    period: str
    due_on: date
    duty: str = ""  # the duty's Chinese name
    trigger: dict[str, Any] = field(default_factory=dict)  # the rule that fired

    @property
    def reason(self) -> str:
        return chasers.ladder_reason(
            self.kind, self.trigger, self.duty or self.obligation, self.period, self.due_on
        )


def steps_due(
    store: ReadStore,
    day: date,
    calendar: WorkingDayCalendar,
    policy: LadderPolicy | None = None,
    *,
    simulated: bool = False,
) -> list[Step]:
    """Every ladder step that falls on ``day``, in a stable order.

    Each plan's own ladder applies (``taskledger ladder``); ``policy`` overrides them all.
    The "urged N times in a quarter" rule counts real urges; a simulated day (a
    rehearsal) also counts the rehearsal's own, but a rehearsal never counts for real.
    """
    policies: dict[str, LadderPolicy] = {}
    duty_names: dict[tuple[str, str], str] = {}
    for plan in registry.plans(store):
        policies[plan.plan_id] = LadderPolicy.from_recorded(plan.ladder)
        for duty in plan_duties(list(plan.obligations)):
            duty_names[(plan.plan_id, duty.rule.slug)] = chasers.duty_name(duty.rule)
    steps = []
    urged_today: dict[str, int] = {}
    for owed in accountability.ladder_candidates(store, day, _WINDOW):
        rules = policy or policies.get(owed.plan_id) or LadderPolicy()
        due = owed.effective_due_on
        dates = rules.dates(due, calendar)
        fired: list[tuple[ChaseKind, dict[str, Any]]] = []
        if dates.remind_on == day and day < due:
            fired.append((ChaseKind.REMINDER, chasers.trigger_for(
                chasers.REMIND_BEFORE, working_days=rules.remind_before)))
        if dates.urge_on == day:
            fired.append((ChaseKind.URGE, chasers.trigger_for(
                chasers.URGE_AFTER, working_days=rules.urge_after)))
            urged_today[owed.assignment_id] = urged_today.get(owed.assignment_id, 0) + 1
            urges = urges_in_quarter(
                store, owed.assignment_id, day, include_simulated=simulated
            ) + urged_today[owed.assignment_id]
            if rules.escalate_after_urges and urges >= rules.escalate_after_urges:
                # the optional rule: urged too often
                fired.append((ChaseKind.ESCALATION, chasers.trigger_for(
                    chasers.ESCALATE_AFTER_URGES, urges=urges)))
        if dates.escalate_on == day and all(kind != ChaseKind.ESCALATION for kind, _ in fired):
            fired.append((ChaseKind.ESCALATION, chasers.trigger_for(
                chasers.ESCALATE_AFTER, working_days=rules.escalate_after)))
        for kind, trigger in fired:
            steps.append(
                Step(
                    kind,
                    owed.assignment_id,
                    owed.unit_id,
                    owed.unit_name,
                    owed.task_number,
                    owed.plan_id,
                    owed.plan_title,
                    owed.rule,
                    owed.period,
                    due,
                    duty_names.get((owed.plan_id, owed.rule), owed.rule),
                    trigger,
                )
            )
    steps.sort(
        key=lambda s: (s.unit_name, s.plan_title, s.task_number, s.obligation, s.period, s.kind)
    )
    return steps

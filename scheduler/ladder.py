"""The escalation ladder: which reminders, urges and escalations fall due on a day.

An obligation still unreported is reminded (提醒) a few working days before its due
date, urged (催办) on the first working day after it, and escalated to the supervision
platform (上报监督平台) when still missing some working days later. Each step fires on
its own date, so a scheduler that was down catches up day by day and never floods the
units with old steps; a report (on or before the day) stops the ladder; an approved
extension moves every step.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta

from ledger.calendar import WorkingDayCalendar
from ledger.obligations import LadderPolicy
from ledger.periods import Period
from projections.db import ReadStore

# Steps are never more than this many calendar days from the (effective) due date:
# enough for 15 working days around the longest holiday.
_WINDOW = timedelta(days=40)


@dataclass(frozen=True)
class Step:
    kind: str  # reminder | urge | escalation
    assignment_id: str
    unit_id: str
    unit_name: str
    task_number: str
    plan_id: str
    plan_title: str
    obligation: str
    period: str
    due_on: date


def steps_due(
    store: ReadStore,
    day: date,
    calendar: WorkingDayCalendar,
    policy: LadderPolicy | None = None,
) -> list[Step]:
    """Every ladder step that falls on ``day``, in a stable order.

    Each plan's own ladder applies (``taskledger ladder``); ``policy`` overrides them all.
    """
    policies = {
        row["plan_id"]: LadderPolicy(**json.loads(row["ladder"])) if row["ladder"] else None
        for row in store.query("SELECT plan_id, ladder FROM {s}rm_plans")
    }
    rows = store.query(
        "SELECT o.assignment_id, o.rule, o.period, o.due_on, o.extended_to, o.first_report_on, "
        "a.unit_id, a.unit_name, a.task_number, a.plan_id, a.assigned_on, p.title "
        "FROM {s}rm_obligations o JOIN {s}rm_assignments a "
        "ON a.assignment_id = o.assignment_id JOIN {s}rm_plans p ON p.plan_id = o.plan_id "
        "WHERE o.void_position IS NULL AND (o.first_report_on IS NULL OR o.first_report_on > ?) "
        "AND COALESCE(o.extended_to, o.due_on) BETWEEN ? AND ? AND a.assigned_on <= ?",
        [
            day.isoformat(),
            (day - _WINDOW).isoformat(),
            (day + _WINDOW).isoformat(),
            day.isoformat(),
        ],
    )
    steps = []
    urged_today: dict[str, int] = {}
    for row in rows:
        rules = policy or policies.get(row["plan_id"]) or LadderPolicy()
        due = date.fromisoformat(row["extended_to"] or row["due_on"])
        dates = rules.dates(due, calendar)
        kinds = []
        if dates.remind_on == day and day < due:
            kinds.append("reminder")
        if dates.urge_on == day:
            kinds.append("urge")
            urged_today[row["assignment_id"]] = urged_today.get(row["assignment_id"], 0) + 1
            if (
                rules.escalate_after_urges
                and _urges_this_quarter(store, row["assignment_id"], day)
                + urged_today[row["assignment_id"]]
                >= rules.escalate_after_urges
            ):
                kinds.append("escalation")  # the optional rule: urged too often
        if dates.escalate_on == day and "escalation" not in kinds:
            kinds.append("escalation")
        for kind in kinds:
            steps.append(
                Step(
                    kind,
                    row["assignment_id"],
                    row["unit_id"],
                    row["unit_name"],
                    row["task_number"],
                    row["plan_id"],
                    row["title"],
                    row["rule"],
                    row["period"],
                    due,
                )
            )
    steps.sort(
        key=lambda s: (s.unit_name, s.plan_title, s.task_number, s.obligation, s.period, s.kind)
    )
    return steps


def _urges_this_quarter(store: ReadStore, assignment_id: str, day: date) -> int:
    quarter = Period.quarter_of(day)
    return int(
        store.scalar(
            "SELECT COUNT(*) AS n FROM {s}rm_chases WHERE assignment_id = ? AND kind = 'urge' "
            "AND business_date >= ? AND business_date < ?",
            [assignment_id, quarter.start.isoformat(), day.isoformat()],
        )
        or 0
    )

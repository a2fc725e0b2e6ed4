"""Questions about who is on what and what they owe, answered from the
accountability tables (assignments, obligations)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, timedelta
from typing import Any

from projections.db import ReadStore


@dataclass(frozen=True)
class AssignmentRow:
    """An assignment (task × unit) as the read model keeps it: role, status, and the
    running counts of its reports, corrections and chasers."""

    assignment_id: str
    plan_id: str
    task_id: str
    task_number: str
    unit_id: str
    unit_name: str
    role: str
    status: str
    source: str
    assigned_on: str
    reports: int
    corrections: int
    last_report_id: str | None
    last_report_period: str | None
    last_report_on: str | None
    reminders: int
    urges: int
    escalations: int
    position: int

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


_ASSIGNMENT_COLUMNS = ", ".join(AssignmentRow.__dataclass_fields__)


def assignment(store: ReadStore, assignment_id: str) -> AssignmentRow | None:
    rows = store.query(
        f"SELECT {_ASSIGNMENT_COLUMNS} FROM {{s}}rm_assignments WHERE assignment_id = ?",
        [assignment_id],
    )
    return AssignmentRow(**rows[0]) if rows else None


@dataclass(frozen=True)
class TaskUnit:
    """A unit on a task: its assignment, role (lead or co-unit) and status."""

    assignment_id: str
    unit_id: str
    unit_name: str
    role: str
    status: str

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def units_on_task(store: ReadStore, task_id: str) -> list[TaskUnit]:
    """The task's units, the lead first, then by name."""
    return [TaskUnit(**row) for row in store.query(
        "SELECT assignment_id, unit_id, unit_name, role, status FROM {s}rm_assignments "
        "WHERE task_id = ? ORDER BY CASE role WHEN 'lead' THEN 0 ELSE 1 END, unit_name",
        [task_id],
    )]


@dataclass(frozen=True)
class LadderCandidate:
    """An obligation the escalation ladder may act on: still unreported on the day,
    with its due date (and approved extension), its assignment's unit, task and plan."""

    assignment_id: str
    rule: str
    period: str
    due_on: date
    extended_to: date | None
    unit_id: str
    unit_name: str
    task_number: str
    plan_id: str
    plan_title: str

    @property
    def effective_due_on(self) -> date:
        return self.extended_to or self.due_on


def ladder_candidates(store: ReadStore, day: date, window: timedelta) -> list[LadderCandidate]:
    """Obligations not void, not reported by ``day`` (a report later than the day does
    not count yet), whose due date (an extension applied) is within ``window`` of the
    day, on assignments that had begun by the day."""
    rows = store.query(
        "SELECT o.assignment_id, o.rule, o.period, o.due_on, o.extended_to, "
        "a.unit_id, a.unit_name, a.task_number, a.plan_id, p.title AS plan_title "
        "FROM {s}rm_obligations o JOIN {s}rm_assignments a "
        "ON a.assignment_id = o.assignment_id JOIN {s}rm_plans p ON p.plan_id = o.plan_id "
        "WHERE o.void_position IS NULL AND (o.first_report_on IS NULL OR o.first_report_on > ?) "
        "AND COALESCE(o.extended_to, o.due_on) BETWEEN ? AND ? AND a.assigned_on <= ?",
        [
            day.isoformat(),
            (day - window).isoformat(),
            (day + window).isoformat(),
            day.isoformat(),
        ],
    )
    return [
        LadderCandidate(
            **{
                **row,
                "due_on": date.fromisoformat(row["due_on"]),
                "extended_to": date.fromisoformat(row["extended_to"])
                if row["extended_to"] else None,
            }
        )
        for row in rows
    ]

"""What a briefing reads from the read models, as typed rows.

The briefings (:mod:`scheduler.briefings`) name no read-model table: they ask here.
Dates in and out are ISO strings where the tables hold them so (the briefing compares
and prints them as such).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from projections.db import ReadStore


@dataclass(frozen=True)
class PlanSummary:
    plan_id: str
    title: str
    doc_number: str | None
    issued_on: str | None


def plans(store: ReadStore) -> list[PlanSummary]:
    """Every plan, in the order it was issued (then by title)."""
    return [
        PlanSummary(**row)
        for row in store.query(
            "SELECT plan_id, title, doc_number, issued_on FROM {s}rm_plans "
            "ORDER BY issued_on, title"
        )
    ]


@dataclass(frozen=True)
class TaskSummary:
    task_id: str
    plan_id: str
    number: str
    ordinal: int
    title: str
    target_count: int


def tasks(store: ReadStore) -> list[TaskSummary]:
    return [
        TaskSummary(
            task_id=row["task_id"],
            plan_id=row["plan_id"],
            number=row["number"],
            ordinal=row["ordinal"],
            title=row["title"],
            target_count=len(json.loads(row["targets"])),
        )
        for row in store.query(
            "SELECT t.task_id, t.plan_id, t.number, t.ordinal, t.title, t.targets "
            "FROM {s}rm_tasks t"
        )
    ]


@dataclass(frozen=True)
class Staffing:
    """A unit on a task (an assignment not withdrawn)."""

    task_id: str
    unit_id: str
    unit_name: str
    role: str


def staffing(store: ReadStore) -> list[Staffing]:
    """Every assignment not withdrawn, by unit name."""
    return [
        Staffing(**row)
        for row in store.query(
            "SELECT task_id, unit_id, unit_name, role FROM {s}rm_assignments "
            "WHERE status <> 'withdrawn' ORDER BY unit_name"
        )
    ]


@dataclass(frozen=True)
class UnitName:
    unit_id: str
    unit_name: str


def assigned_units(store: ReadStore) -> list[UnitName]:
    """The units with at least one assignment not withdrawn, by name."""
    return [
        UnitName(**row)
        for row in store.query(
            "SELECT DISTINCT a.unit_id, a.unit_name FROM {s}rm_assignments a "
            "WHERE a.status <> 'withdrawn' ORDER BY a.unit_name"
        )
    ]


def unit_kinds(store: ReadStore) -> dict[str, str]:
    """Unit name -> kind (party_organ, department, ...)."""
    return {u["name"]: u["kind"] for u in store.query("SELECT name, kind FROM {s}rm_units")}


@dataclass(frozen=True)
class Chase:
    """A reminder, urge or escalation, on the assignment it was issued for."""

    kind: str
    obligation: str
    period: str
    due_on: str
    business_date: str
    reason: str | None
    state: str | None
    unit_name: str
    task_number: str
    plan_id: str


def chases_between(store: ReadStore, start: date, end: date) -> list[Chase]:
    """Chases issued on business dates from ``start`` to ``end``, in ledger order."""
    return [
        Chase(**row)
        for row in store.query(
            "SELECT c.kind, c.obligation, c.period, c.due_on, c.business_date, c.reason, "
            "c.state, a.unit_name, a.task_number, a.plan_id FROM {s}rm_chases c "
            "JOIN {s}rm_assignments a ON a.assignment_id = c.assignment_id "
            "WHERE c.business_date >= ? AND c.business_date <= ? "
            "ORDER BY c.business_date, c.position",
            [start.isoformat(), end.isoformat()],
        )
    ]


@dataclass(frozen=True)
class ChaseCount:
    unit_id: str
    kind: str
    n: int


def chase_counts_between(store: ReadStore, start: date, end: date) -> list[ChaseCount]:
    """Chases per unit and kind issued from ``start`` to ``end``."""
    return [
        ChaseCount(**row)
        for row in store.query(
            "SELECT unit_id, kind, COUNT(*) AS n FROM {s}rm_chases "
            "WHERE business_date >= ? AND business_date <= ? GROUP BY unit_id, kind",
            [start.isoformat(), end.isoformat()],
        )
    ]


def reports_received_between(store: ReadStore, start: date, end: date) -> int:
    return store.scalar(
        "SELECT COUNT(*) AS n FROM {s}rm_reports WHERE business_date >= ? AND business_date <= ?",
        [start.isoformat(), end.isoformat()],
    ) or 0


@dataclass(frozen=True)
class ReceivedReport:
    """A progress report as received, with its unit and task."""

    narrative: str
    metrics: Mapping[str, Any]
    period: str
    business_date: str
    position: int
    corrected_by: str | None
    unit_name: str
    task_number: str
    role: str
    plan_id: str
    task_title: str


def reports_between(store: ReadStore, start: date, end: date) -> list[ReceivedReport]:
    """Reports received on business dates from ``start`` to ``end``, in ledger order."""
    rows = store.query(
        "SELECT r.narrative, r.metrics, r.period, r.business_date, r.position, r.corrected_by, "
        "a.unit_name, a.task_number, a.role, a.plan_id, t.title AS task_title "
        "FROM {s}rm_reports r JOIN {s}rm_assignments a ON a.assignment_id = r.assignment_id "
        "JOIN {s}rm_tasks t ON t.task_id = r.task_id "
        "WHERE r.business_date >= ? AND r.business_date <= ? ORDER BY r.position",
        [start.isoformat(), end.isoformat()],
    )
    return [ReceivedReport(**(row | {"metrics": json.loads(row["metrics"])})) for row in rows]

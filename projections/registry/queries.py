"""Questions about plans, tasks and units, answered from the registry's tables.

Each function returns frozen rows; ``to_json`` gives them as the API and the CLI print
them (the columns as stored, JSON columns decoded).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from projections.db import ReadStore


@dataclass(frozen=True)
class PlanRow:
    """A plan as issued: its plan-level targets, reporting duties and task numbers.

    ``ladder`` is the plan's own escalation ladder as recorded (None: the defaults).
    """

    plan_id: str
    title: str
    doc_number: str | None
    issuer: str | None
    issued_on: str | None
    closed_on: str | None
    targets: tuple[dict[str, Any], ...]
    obligations: tuple[dict[str, Any], ...]
    task_numbers: tuple[str, ...]
    ladder: dict[str, Any] | None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> PlanRow:
        return cls(
            plan_id=row["plan_id"],
            title=row["title"],
            doc_number=row["doc_number"],
            issuer=row["issuer"],
            issued_on=row["issued_on"],
            closed_on=row["closed_on"],
            targets=tuple(json.loads(row["targets"])),
            obligations=tuple(json.loads(row["obligations"])),
            task_numbers=tuple(json.loads(row["task_numbers"])),
            ladder=json.loads(row["ladder"]) if row["ladder"] else None,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "plan_id": self.plan_id,
            "title": self.title,
            "doc_number": self.doc_number,
            "issuer": self.issuer,
            "issued_on": self.issued_on,
            "closed_on": self.closed_on,
            "targets": list(self.targets),
            "obligations": list(self.obligations),
            "task_numbers": list(self.task_numbers),
        }


_PLAN_COLUMNS = ("plan_id, title, doc_number, issuer, issued_on, closed_on, targets, "
                 "obligations, task_numbers, ladder")


def plans(store: ReadStore) -> list[PlanRow]:
    """Every plan, by date of issue then title."""
    return [PlanRow.from_row(row) for row in store.query(
        f"SELECT {_PLAN_COLUMNS} FROM {{s}}rm_plans ORDER BY issued_on, title")]


def plan(store: ReadStore, plan_id: str) -> PlanRow | None:
    rows = store.query(f"SELECT {_PLAN_COLUMNS} FROM {{s}}rm_plans WHERE plan_id = ?",
                       [plan_id])
    return PlanRow.from_row(rows[0]) if rows else None


@dataclass(frozen=True)
class TaskRow:
    """A numbered task of a plan (任务), with its quantitative targets."""

    task_id: str
    plan_id: str
    number: str
    ordinal: int
    section: str | None
    title: str
    text: str
    targets: tuple[dict[str, Any], ...]

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> TaskRow:
        return cls(
            task_id=row["task_id"],
            plan_id=row["plan_id"],
            number=row["number"],
            ordinal=row["ordinal"],
            section=row["section"],
            title=row["title"],
            text=row["text"],
            targets=tuple(json.loads(row["targets"])),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "task_id": self.task_id,
            "plan_id": self.plan_id,
            "number": self.number,
            "ordinal": self.ordinal,
            "section": self.section,
            "title": self.title,
            "text": self.text,
            "targets": list(self.targets),
        }


_TASK_COLUMNS = "t.task_id, t.plan_id, t.number, t.ordinal, t.section, t.title, t.text, t.targets"


def tasks(
    store: ReadStore,
    *,
    plan_ids: Sequence[str] | None = None,
    number: str | None = None,
    unit_id: str | None = None,
) -> list[TaskRow]:
    """Tasks by plan then number order; only those of the plans, with the number, or
    that the unit is on (lead or co-unit, whatever the assignment's status), if given."""
    where, params = ["1 = 1"], []
    if plan_ids is not None:
        where.append(f"t.plan_id IN ({', '.join('?' for _ in plan_ids)})" if plan_ids
                     else "1 = 0")
        params += list(plan_ids)
    if number:
        where.append("t.number = ?")
        params.append(number)
    if unit_id is not None:
        where.append("t.task_id IN (SELECT task_id FROM {s}rm_assignments WHERE unit_id = ?)")
        params.append(unit_id)
    rows = store.query(
        f"SELECT {_TASK_COLUMNS} FROM {{s}}rm_tasks t WHERE {' AND '.join(where)} "
        "ORDER BY t.plan_id, t.ordinal",
        params,
    )
    return [TaskRow.from_row(row) for row in rows]


def task(store: ReadStore, task_id: str) -> TaskRow | None:
    rows = store.query(f"SELECT {_TASK_COLUMNS} FROM {{s}}rm_tasks t WHERE t.task_id = ?",
                       [task_id])
    return TaskRow.from_row(rows[0]) if rows else None


def unit_name(store: ReadStore, unit_id: str) -> str | None:
    """The unit's canonical name; None for no such unit."""
    return store.scalar("SELECT name FROM {s}rm_units WHERE unit_id = ?", [unit_id])

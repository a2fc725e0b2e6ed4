"""Summaries the board reads at a glance, computed from a report's own rows (so a
summary can never disagree with the report it sums up)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class UnitOverdue:
    """A unit's overdue reports: how many, how many as lead unit, the worst lateness
    and the earliest (effective, an extension applied) due date among them."""

    unit_id: str
    unit_name: str
    overdue: int
    lead_overdue: int
    max_working_days_late: int
    oldest_due_on: str

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def overdue_by_unit(rows: Iterable[Mapping[str, Any]]) -> list[UnitOverdue]:
    """Per unit, from the rows of the overdue list (``queries.overdue``): most overdue
    first, then by name (then id, so two units of one name keep an order)."""
    units: dict[str, dict[str, Any]] = {}
    for row in rows:
        unit = units.setdefault(row["unit_id"], {
            "unit_id": row["unit_id"], "unit_name": row["unit_name"], "overdue": 0,
            "lead_overdue": 0, "max_working_days_late": 0,
            "oldest_due_on": row["effective_due_on"]})
        unit["overdue"] += 1
        unit["lead_overdue"] += row["role"] == "lead"
        unit["max_working_days_late"] = max(unit["max_working_days_late"],
                                            row["working_days_late"])
        # ISO dates: the text order is the date order
        unit["oldest_due_on"] = min(unit["oldest_due_on"], row["effective_due_on"])
    summary = [UnitOverdue(**unit) for unit in units.values()]
    summary.sort(key=lambda unit: (-unit.overdue, unit.unit_name, unit.unit_id))
    return summary

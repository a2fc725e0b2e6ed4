"""The audit trail read straight off the log: every event in order, filtered.

This is the streaming form used by ``taskledger events``; it needs no read-model table,
so it works on any store and any ledger position.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID

from ledger.application import LedgerRecord
from ledger.assignment import Assignment
from ledger.plan import Plan, Task
from ledger.unit import Unit


@dataclass(frozen=True)
class TrailFilter:
    task: str | None = None  # task number as printed, e.g. "（三）" or "3"
    plan: str | None = None  # document number, natural key or a word of the title
    unit: str | None = None  # canonical name or any alias
    actor: str | None = None
    since: date | datetime | None = None  # business date, or recorded time if a datetime

    @property
    def empty(self) -> bool:
        return not (self.task or self.plan or self.unit or self.actor or self.since)


@dataclass
class _Stream:
    plan: UUID | None = None
    task_number: str | None = None
    unit: UUID | None = None


def audit_trail(records: Iterable[LedgerRecord], flt: TrailFilter) -> Iterator[LedgerRecord]:
    """Yield the records matching ``flt``; streams are learnt from their opening events."""
    streams: dict[UUID, _Stream] = {}
    unit_names: dict[UUID, set[str]] = {}
    plan_names: dict[UUID, set[str]] = {}
    for record in records:
        event = record.event
        stream = streams.setdefault(event.originator_id, _Stream())
        if isinstance(event, Plan.Registered):
            stream.plan = event.originator_id
            plan_names[event.originator_id] = {
                event.natural_key,
                event.doc_number or "",
                event.title,
            }
        elif isinstance(event, Task.Registered):
            stream.plan, stream.task_number = event.plan_id, event.number
        elif isinstance(event, Unit.Registered):
            stream.unit = event.originator_id
            unit_names[event.originator_id] = {event.name, *event.aliases}
        elif isinstance(event, Unit.AliasAdded):
            unit_names.setdefault(event.originator_id, set()).add(event.alias)
        elif isinstance(event, Assignment.Assigned):
            stream.plan, stream.task_number, stream.unit = (
                event.plan_id,
                event.task_number,
                event.unit_id,
            )
        if _matches(record, stream, flt, unit_names, plan_names):
            yield record


def _matches(
    record: LedgerRecord,
    stream: _Stream,
    flt: TrailFilter,
    unit_names: dict[UUID, set[str]],
    plan_names: dict[UUID, set[str]],
) -> bool:
    event = record.event
    if flt.actor and event.actor != flt.actor:
        return False
    if flt.since is not None:
        if isinstance(flt.since, datetime):
            if event.timestamp < flt.since:
                return False
        elif event.business_date < flt.since:
            return False
    # a delivery on a unit's stream is also about each task whose chasers it carried
    subjects = [(stream.plan, stream.task_number)]
    if isinstance(event, Unit.ChasersDelivered | Unit.ChasersUndelivered):
        subjects += [(UUID(c["plan_id"]), c["task"]) for c in event.chasers]
    if not any(_about(plan, task, flt, plan_names) for plan, task in subjects):
        return False
    return not flt.unit or (
        stream.unit is not None and flt.unit.strip() in unit_names.get(stream.unit, set())
    )


def _about(plan: UUID | None, task: str | None, flt: TrailFilter,
           plan_names: dict[UUID, set[str]]) -> bool:
    if flt.task and task != flt.task.strip():
        return False
    if flt.plan:
        names = plan_names.get(plan, set()) if plan else set()
        return any(flt.plan == name or (len(flt.plan) > 1 and flt.plan in name) for name in names)
    return True

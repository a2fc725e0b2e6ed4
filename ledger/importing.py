"""Turn a parsed plan into ledger events: Plan, Task, Unit and Assigned, all or nothing.

Importing the same document again writes nothing (every id comes from a natural key
and every fact is compared before it is written). Importing an amended version of a
plan (same natural key, other text) writes only the differences: task fields changed,
units added (Assigned, or Reinstated), units removed (Withdrawn), roles changed, tasks
added or dropped, and one ``Plan.Amended`` listing them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from ledger import ids
from ledger.acts import Act
from ledger.application import Ledger
from ledger.assignment import WITHDRAWN, Assignment
from ledger.errors import ConcurrentWriteConflict, InvalidBusinessDate
from ledger.importer.model import ParsedPlan, ParsedTask
from ledger.plan import Plan, Task
from ledger.unit import Unit
from ledger.units import UnitRegistry

# A concurrent import of the same plan is re-run on fresh state this many times.
MAX_ATTEMPTS = 3


@dataclass
class ImportOutcome:
    """What an import wrote (or, on a dry run, would write)."""

    plan_id: UUID
    plan_created: bool
    events: int
    position: int | None
    changes: list[dict[str, Any]] = field(default_factory=list)
    new_units: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "plan_id": str(self.plan_id),
            "plan_created": self.plan_created,
            "events_written": self.events,
            "position": self.position,
            "changes": self.changes,
            "new_units": self.new_units,
        }


def task_facts(task: ParsedTask, duty_slugs: list[str]) -> dict[str, Any]:
    return {
        "ordinal": task.ordinal,
        "section": task.section,
        "title": task.title,
        "text": task.text,
        "targets": [t.to_json() for t in task.targets],
        "obligations": duty_slugs,
        "units": [u.to_json() for u in task.units],
    }


def _duties_for(parsed: ParsedPlan, number: str) -> list[str]:
    return [
        duty.slug
        for duty in parsed.obligations
        if duty.scope == "plan" or (not isinstance(duty.scope, str) and number in duty.scope)
    ]


class _Draft:
    """Aggregates touched by one import attempt, each loaded once."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self.touched: dict[UUID, Aggregate] = {}

    def get(self, aggregate_id: UUID) -> Aggregate | None:
        if aggregate_id not in self.touched:
            found = self.ledger.find(aggregate_id)
            if found is None:
                return None
            self.touched[aggregate_id] = found
        return self.touched[aggregate_id]

    def add(self, aggregate: Aggregate) -> Aggregate:
        self.touched[aggregate.id] = aggregate
        return aggregate

    def pending(self) -> list[Aggregate]:
        return [a for a in self.touched.values() if a.pending_events]


def import_plan(
    ledger: Ledger,
    parsed: ParsedPlan,
    act: Act,
    registry: UnitRegistry | None = None,
    *,
    dry_run: bool = False,
) -> ImportOutcome:
    """Record ``parsed`` in the ledger; with ``dry_run`` decide everything, write nothing.

    A document dated after today is refused (a dry run too, saying why the import would
    fail): its assignments would count from a day that has not come.
    """
    if parsed.issued_on and not act.simulated and parsed.issued_on > act.recorded_on:
        raise InvalidBusinessDate(
            f"the document is dated {parsed.issued_on}, after today ({act.recorded_on}); "
            "import it on or after its issue date",
            field="issued_on",
        )
    registry = registry or UnitRegistry.load_default()
    for attempt in range(MAX_ATTEMPTS):
        draft = _Draft(ledger)
        outcome = _decide(draft, parsed, act, registry)
        pending = draft.pending()
        outcome.events = sum(len(a.pending_events) for a in pending)
        if dry_run or not pending:
            return outcome
        try:
            outcome.position = ledger.commit(*pending)
        except ConcurrentWriteConflict:
            if attempt == MAX_ATTEMPTS - 1:
                raise
            continue
        return outcome
    raise AssertionError("unreachable")


def _decide(draft: _Draft, parsed: ParsedPlan, act: Act, registry: UnitRegistry) -> ImportOutcome:
    # Assignments made by a document count from the day it was issued.
    doc_act = act.on(parsed.issued_on) if parsed.issued_on else act
    plan_id = ids.plan_id(parsed.natural_key())
    outcome = ImportOutcome(plan_id=plan_id, plan_created=False, events=0, position=None)

    unit_ids = _units(draft, parsed, doc_act, registry, outcome)
    plan = draft.get(plan_id)
    plan_facts = {
        "doc_number": parsed.doc_number,
        "title": parsed.title or "",
        "issuer": parsed.issuer,
        "issued_on": parsed.issued_on,
        "source_sha256": parsed.source_sha256,
        "targets": [t.to_json() for t in parsed.targets],
        "obligations": [o.to_json() for o in parsed.obligations],
        "task_numbers": [t.number for t in parsed.tasks],
    }
    if plan is None:
        draft.add(Plan.register(doc_act, plan_id, natural_key=parsed.natural_key(), **plan_facts))
        outcome.plan_created = True
        previous_numbers: list[str] = []
    else:
        assert isinstance(plan, Plan)
        previous_numbers = list(plan.task_numbers)

    for task in parsed.tasks:
        _task(
            draft, plan_id, task, _duties_for(parsed, task.number), unit_ids, doc_act, act, outcome
        )

    dropped = [n for n in previous_numbers if n not in plan_facts["task_numbers"]]
    for number in dropped:
        _drop_task(draft, plan_id, number, act, outcome)

    if plan is not None:
        assert isinstance(plan, Plan)
        plan_changed = (
            plan.source_sha256 != parsed.source_sha256
            or plan.targets != plan_facts["targets"]
            or plan.obligations != plan_facts["obligations"]
            or plan.task_numbers != plan_facts["task_numbers"]
        )
        if outcome.changes or plan_changed:
            if plan.targets != plan_facts["targets"]:
                outcome.changes.append({"change": "plan-targets"})
            if plan.obligations != plan_facts["obligations"]:
                outcome.changes.append({"change": "plan-obligations"})
            plan.amend(
                act,
                source_sha256=parsed.source_sha256,
                changes=outcome.changes,
                targets=plan_facts["targets"],
                obligations=plan_facts["obligations"],
                task_numbers=plan_facts["task_numbers"],
            )
    return outcome


def _units(
    draft: _Draft, parsed: ParsedPlan, act: Act, registry: UnitRegistry, outcome: ImportOutcome
) -> dict[str, UUID]:
    unit_ids: dict[str, UUID] = {}
    for task in parsed.tasks:
        for parsed_unit in task.units:
            name = parsed_unit.name
            if name in unit_ids:
                continue
            unit_id = ids.unit_id(name)
            unit_ids[name] = unit_id
            known = registry.resolve(name)
            aliases = list(known.aliases) if known else []
            existing = draft.get(unit_id)
            if existing is None:
                draft.add(Unit.register(act, unit_id, name, parsed_unit.kind, aliases))
                if known is None:
                    outcome.new_units.append(name)
            else:
                assert isinstance(existing, Unit)
                for alias in aliases:
                    existing.add_alias(act, alias)
    return unit_ids


def _task(
    draft: _Draft,
    plan_id: UUID,
    parsed: ParsedTask,
    duty_slugs: list[str],
    unit_ids: dict[str, UUID],
    doc_act: Act,
    act: Act,
    outcome: ImportOutcome,
) -> None:
    task_id = ids.task_id(plan_id, parsed.number)
    facts = task_facts(parsed, duty_slugs)
    task = draft.get(task_id)
    previous_units: list[str] = []
    if task is None:
        task = draft.add(
            Task.register(doc_act, task_id, plan_id=plan_id, number=parsed.number, **facts)
        )
        if outcome.plan_created is False:
            outcome.changes.append({"change": "task-added", "task": parsed.number})
    else:
        assert isinstance(task, Task)
        previous_units = [u["name"] for u in task.units]
        changed = {k: v for k, v in facts.items() if getattr(task, k) != v}
        if changed:
            outcome.changes.append(
                {"change": "task-amended", "task": parsed.number, "fields": sorted(changed)}
            )
            task.amend(act, changed)

    wanted = {u.name: u.role for u in parsed.units}
    for name, role in wanted.items():
        assignment_id = ids.assignment_id(task_id, unit_ids[name])
        assignment = draft.get(assignment_id)
        if assignment is None:
            draft.add(
                Assignment.assign(
                    doc_act if outcome.plan_created else act,
                    assignment_id,
                    plan_id=plan_id,
                    task_id=task_id,
                    unit_id=unit_ids[name],
                    task_number=parsed.number,
                    unit_name=name,
                    role=role,
                    source="document",
                )
            )
            if not outcome.plan_created:
                outcome.changes.append(
                    {"change": "unit-added", "task": parsed.number, "unit": name, "role": role}
                )
            continue
        assert isinstance(assignment, Assignment)
        if assignment.status == WITHDRAWN:
            assignment.reinstate(act, role, "named again by the amended document")
            outcome.changes.append(
                {"change": "unit-added", "task": parsed.number, "unit": name, "role": role}
            )
        elif assignment.role != role:
            assignment.change_role(act, role, "role changed by the amended document")
            outcome.changes.append(
                {"change": "role-changed", "task": parsed.number, "unit": name, "role": role}
            )

    # Units the earlier version named and this one does not: withdrawn, history kept.
    for earlier in previous_units:
        if earlier not in wanted:
            _withdraw(
                draft,
                task_id,
                earlier,
                act,
                parsed.number,
                outcome,
                "removed by the amended document",
            )


def _withdraw(
    draft: _Draft,
    task_id: UUID,
    unit_name: str,
    act: Act,
    number: str,
    outcome: ImportOutcome,
    reason: str,
) -> None:
    assignment = draft.get(ids.assignment_id(task_id, ids.unit_id(unit_name)))
    # Only what a document assigned is withdrawn by a document; the office's own
    # assignments stay until the office withdraws them.
    if (
        isinstance(assignment, Assignment)
        and assignment.status != WITHDRAWN
        and assignment.source == "document"
    ):
        assignment.withdraw(act, reason)
        outcome.changes.append({"change": "unit-removed", "task": number, "unit": unit_name})


def _drop_task(draft: _Draft, plan_id: UUID, number: str, act: Act, outcome: ImportOutcome) -> None:
    task = draft.get(ids.task_id(plan_id, number))
    outcome.changes.append({"change": "task-removed", "task": number})
    if isinstance(task, Task):
        for unit in task.units:
            _withdraw(
                draft,
                task.id,
                unit["name"],
                act,
                number,
                outcome,
                "task removed by the amended document",
            )

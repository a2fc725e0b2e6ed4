"""What each event writes into the registry tables (plans, tasks, units, unit names)."""

from __future__ import annotations

from ledger.application import LedgerRecord
from ledger.ladder import LadderPolicy
from ledger.plan import Plan, Task
from ledger.unit import Unit
from ledger.validation import stored_contact
from projections.facts import Batch, Facts, ProjectionHandlers, iso, json_text

# Task.Amended names its changes by field; the columns they land in (others are ignored)
_TASK_COLUMNS = ("ordinal", "section", "title", "text", "targets", "units")
_JSON_COLUMNS = ("targets", "units")


def plan_registered(record: LedgerRecord, batch: Batch, facts: Facts) -> None:
    e = record.event
    batch.add(
        "INSERT INTO {s}rm_plans (plan_id, natural_key, doc_number, title, issuer, "
        "issued_on, closed_on, source_sha256, targets, obligations, task_numbers, "
        "position, registered_position, registered_on) "
        "VALUES (?, ?, ?, ?, ?, ?, NULL, ?, ?, ?, ?, ?, ?, ?)",
        str(e.originator_id),
        e.natural_key,
        e.doc_number,
        e.title,
        e.issuer,
        iso(e.issued_on),
        e.source_sha256,
        json_text(e.targets),
        json_text(e.obligations),
        json_text(e.task_numbers),
        record.position,
        record.position,
        iso(e.business_date),
    )


def plan_amended(record: LedgerRecord, batch: Batch, facts: Facts) -> None:
    e = record.event
    batch.add(
        "UPDATE {s}rm_plans SET source_sha256 = ?, targets = ?, obligations = ?, "
        "task_numbers = ?, position = ? WHERE plan_id = ?",
        e.source_sha256,
        json_text(e.targets),
        json_text(e.obligations),
        json_text(e.task_numbers),
        record.position,
        str(e.originator_id),
    )


def ladder_configured(record: LedgerRecord, batch: Batch, facts: Facts) -> None:
    e = record.event
    batch.add(
        "UPDATE {s}rm_plans SET ladder = ?, position = ? WHERE plan_id = ?",
        json_text(LadderPolicy.from_event(e).as_dict()),
        record.position,
        str(e.originator_id),
    )


def plan_closed(record: LedgerRecord, batch: Batch, facts: Facts) -> None:
    e = record.event
    batch.add(
        "UPDATE {s}rm_plans SET closed_on = ?, position = ? WHERE plan_id = ?",
        iso(e.business_date),
        record.position,
        str(e.originator_id),
    )


def task_registered(record: LedgerRecord, batch: Batch, facts: Facts) -> None:
    e = record.event
    batch.add(
        "INSERT INTO {s}rm_tasks (task_id, plan_id, number, ordinal, section, title, "
        "text, targets, units, position, registered_position, registered_on) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        str(e.originator_id),
        str(e.plan_id),
        e.number,
        e.ordinal,
        e.section,
        e.title,
        e.text,
        json_text(e.targets),
        json_text(e.units),
        record.position,
        record.position,
        iso(e.business_date),
    )


def task_amended(record: LedgerRecord, batch: Batch, facts: Facts) -> None:
    e = record.event
    for column, value in sorted(e.changes.items()):
        if column not in _TASK_COLUMNS:
            continue
        batch.add(
            f"UPDATE {{s}}rm_tasks SET {column} = ?, position = ? WHERE task_id = ?",
            json_text(value) if column in _JSON_COLUMNS else value,
            record.position,
            str(e.originator_id),
        )


def unit_registered(record: LedgerRecord, batch: Batch, facts: Facts) -> None:
    e = record.event
    unit = str(e.originator_id)
    batch.add(
        "INSERT INTO {s}rm_units (unit_id, name, kind, liaison, position) "
        "VALUES (?, ?, ?, NULL, ?)",
        unit,
        e.name,
        e.kind,
        record.position,
    )
    for name in (e.name, *e.aliases):
        _add_name(batch, name, unit)


def alias_added(record: LedgerRecord, batch: Batch, facts: Facts) -> None:
    e = record.event
    unit = str(e.originator_id)
    _add_name(batch, e.alias, unit)
    batch.add("UPDATE {s}rm_units SET position = ? WHERE unit_id = ?", record.position, unit)


def liaison_assigned(record: LedgerRecord, batch: Batch, facts: Facts) -> None:
    e = record.event
    # every field present, so readers need not know that early events lacked ``webhook``
    batch.add(
        "UPDATE {s}rm_units SET liaison = ?, position = ? WHERE unit_id = ?",
        json_text(stored_contact(e.liaison)),
        record.position,
        str(e.originator_id),
    )


def _add_name(batch: Batch, name: str, unit: str) -> None:
    batch.add(
        "INSERT INTO {s}rm_unit_names (name, unit_id) VALUES (?, ?) "
        "ON CONFLICT (name) DO NOTHING",
        name,
        unit,
    )


HANDLERS = ProjectionHandlers(
    "registry",
    {
        Plan.Registered: plan_registered,
        Plan.Amended: plan_amended,
        Plan.LadderConfigured: ladder_configured,
        Plan.Closed: plan_closed,
        Task.Registered: task_registered,
        Task.Amended: task_amended,
        Unit.Registered: unit_registered,
        Unit.AliasAdded: alias_added,
        Unit.LiaisonAssigned: liaison_assigned,
    },
)

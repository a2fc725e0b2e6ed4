"""What each event writes into the audit trail: one row per event, whatever its type, and
the tasks a delivery of chasers concerns."""

from __future__ import annotations

import json

from ledger.application import LedgerRecord
from ledger.assignment import Assignment
from ledger.unit import Unit
from projections.audit.summary import summarise
from projections.facts import Batch, Facts, ProjectionHandlers


def recorded(record: LedgerRecord, batch: Batch, facts: Facts) -> None:
    e = record.event
    stream = facts.stream(str(e.originator_id))
    as_dict = record.to_dict()
    corrects = str(e.corrects) if isinstance(e, Assignment.ProgressCorrected) else None
    batch.add(
        "INSERT INTO {s}rm_audit (position, event_id, type, stream_type, stream_id, "
        "plan_id, task_number, unit_id, actor, actor_role, correlation_id, business_date, "
        "recorded_at, simulated, corrects, summary, data) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        record.position,
        as_dict["event_id"],
        record.type_name,
        record.stream_type,
        as_dict["stream_id"],
        stream.plan_id,
        stream.task_number,
        stream.unit_id,
        e.actor,
        e.actor_role,
        e.correlation_id,
        as_dict["business_date"],
        as_dict["recorded_at"],
        1 if e.simulated else 0,
        corrects,
        summarise(e),
        json.dumps(as_dict["data"], ensure_ascii=False, sort_keys=True),
    )


def chasers_sent(record: LedgerRecord, batch: Batch, facts: Facts) -> None:
    """A delivery (or failed delivery) on a unit's stream shows in each task's trail."""
    for plan_id, task in sorted({(c["plan_id"], c["task"]) for c in record.event.chasers}):
        batch.add(
            "INSERT INTO {s}rm_audit_links (position, plan_id, task_number) "
            "VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
            record.position,
            plan_id,
            task,
        )


HANDLERS = ProjectionHandlers(
    "audit",
    {
        Unit.ChasersDelivered: chasers_sent,
        Unit.ChasersUndelivered: chasers_sent,
    },
    every_event=recorded,
)

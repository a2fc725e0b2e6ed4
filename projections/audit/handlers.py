"""What each event writes into the audit trail: one row per event, whatever its type, and
the tasks a delivery of chasers concerns."""

from __future__ import annotations

import json

from ledger import ids
from ledger.application import LedgerRecord, plain
from ledger.assignment import Assignment
from ledger.unit import Unit
from projections.audit.summary import summarise
from projections.facts import Batch, Facts, ProjectionHandlers

# What LedgerRecord.to_dict() takes out of an event into the envelope: the rest is ``data``.
_ENVELOPE = frozenset({
    "originator_id", "originator_version", "timestamp", "business_date", "actor",
    "actor_role", "correlation_id", "simulated", "originator_topic",
})
_NAMES: dict[type, tuple[str, str]] = {}  # event class -> (type name, stream type)
_DATA = json.JSONEncoder(ensure_ascii=False, sort_keys=True).encode


def recorded(record: LedgerRecord, batch: Batch, facts: Facts) -> None:
    """One row per event: the columns of ``record.to_dict()``, built without it (its
    envelope dict, its second ``str`` of the stream id and its ``plain`` of the envelope
    cost a third of the projector's time on the audit trail)."""
    e = record.event
    kind = type(e)
    names = _NAMES.get(kind)
    if names is None:
        names = _NAMES[kind] = (record.type_name, record.stream_type)
    stream_id = str(e.originator_id)
    stream = facts.stream(stream_id)
    fields = vars(e)
    data = {k: v for k, v in fields.items() if k not in _ENVELOPE}
    corrects = str(e.corrects) if isinstance(e, Assignment.ProgressCorrected) else None
    batch.add(
        "INSERT INTO {s}rm_audit (position, event_id, type, stream_type, stream_id, "
        "plan_id, task_number, unit_id, actor, actor_role, correlation_id, business_date, "
        "recorded_at, simulated, corrects, summary, data) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        record.position,
        str(ids.event_id(e.originator_id, e.originator_version)),
        names[0],
        names[1],
        stream_id,
        stream.plan_id,
        stream.task_number,
        stream.unit_id,
        e.actor,
        e.actor_role,
        e.correlation_id,
        e.business_date.isoformat(),
        e.timestamp.isoformat(),
        1 if e.simulated else 0,
        corrects,
        summarise(e),
        _DATA(plain(data)),
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

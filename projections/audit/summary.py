"""One line saying what an event did, for lists and the audit trail (``rm_audit.summary``)."""

from __future__ import annotations

from typing import Any

from ledger.assignment import Assignment
from ledger.cycle import Cycle
from ledger.plan import Plan, Task
from ledger.unit import Unit


def summarise(event: Any) -> str:
    """One line saying what happened, for lists and the audit trail."""
    name = type(event).__name__
    if isinstance(event, Assignment.Assigned):
        return f"{event.unit_name} assigned to {event.task_number} as {event.role}"
    if isinstance(event, Assignment.ProgressReported):
        return f"progress for {event.period}: {_clip(event.narrative)}"
    if isinstance(event, Assignment.ProgressCorrected):
        if event.replaces_metrics:  # recorded before corrections named their changes
            return f"correction ({event.reason}): {_clip(event.narrative)}"
        changes = [] if event.narrative is None else [_clip(event.narrative, 60)]
        changes += [f"{name} removed" if value is None else f"{name}={value}"
                    for name, value in event.metrics.items()]
        return _clip(f"correction ({event.reason}): {'; '.join(changes)}", 160)
    if isinstance(
        event,
        Assignment.ReminderIssued
        | Assignment.UrgeIssued
        | Assignment.EscalatedToSupervisionPlatform,
    ):
        return f"{name} {event.obligation} {event.period}: {_clip(event.reason)}"
    if isinstance(event, Assignment.ChaseAcknowledged):
        note = f": {_clip(event.note)}" if event.note else ""
        return f"{event.kind} {event.obligation} {event.period} acknowledged (签收){note}"
    if isinstance(event, Plan.Registered | Task.Registered):
        return _clip(event.title)
    if isinstance(event, Unit.Registered):
        return f"{event.name} ({event.kind})"
    if isinstance(event, Unit.ChasersDelivered | Unit.ChasersUndelivered):
        what = ", ".join(f"{c['kind']} {c['task']} {c['obligation']} {c['period']}"
                         for c in event.chasers)
        to = ", ".join(f"{r['channel']} {r['address']}" for r in event.recipients) or "nobody"
        if isinstance(event, Unit.ChasersDelivered):
            return _clip(f"delivered to {to}: {what}", 160)
        return _clip(f"not delivered ({event.reason}): {what}", 160)
    if isinstance(event, Cycle.Ran):
        return f"{event.kind} cycle for {event.period}"
    for attribute in ("reason", "note", "alias"):
        value = getattr(event, attribute, None)
        if isinstance(value, str) and value:
            return _clip(value)
    return name


def _clip(text: str, width: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"

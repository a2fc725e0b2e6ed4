"""What each event writes into the accountability tables: assignments, reports and their
corrections, obligations owed, chases, extensions.

An assignment's status is the domain's (``ledger.assignment.status_after``), as
:class:`~projections.facts.Facts` followed it: no transition is written here again.
"""

from __future__ import annotations

from datetime import date, timedelta
from uuid import UUID

from ledger import ids
from ledger.application import LedgerRecord
from ledger.assignment import Assignment
from ledger.calendar_log import CalendarLog
from ledger.duties import owed_reports
from ledger.obligations import due_date
from ledger.periods import Period
from ledger.rules import ReportingRules
from ledger.vocabulary import ChaseKind
from projections.facts import Batch, Facts, ProjectionHandlers, iso, json_text

# The moves kept in rm_assignment_moves: what sets an assignment's role or status.
MOVE_ASSIGNED, MOVE_REINSTATED, MOVE_ROLE_CHANGED = "assigned", "reinstated", "role_changed"
MOVE_COMPLETED, MOVE_WITHDRAWN, MOVE_REOPENED = "completed", "withdrawn", "reopened"
_ADD_MOVE = (
    "INSERT INTO {s}rm_assignment_moves (assignment_id, position, business_date, move, "
    "role) VALUES (?, ?, ?, ?, ?)"
)

_SET_STATUS = (
    "UPDATE {s}rm_assignments SET status = COALESCE(?, status), position = ? "
    "WHERE assignment_id = ?"
)


def assigned(record: LedgerRecord, batch: Batch, facts: Facts) -> None:
    e = record.event
    sid = str(e.originator_id)
    batch.add(
        "INSERT INTO {s}rm_assignments (assignment_id, plan_id, task_id, task_number, "
        "unit_id, unit_name, role, status, source, assigned_on, position, "
        "assigned_position) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        sid,
        str(e.plan_id),
        str(e.task_id),
        e.task_number,
        str(e.unit_id),
        e.unit_name,
        e.role,
        facts.status(sid),
        e.source,
        iso(e.business_date),
        record.position,
        record.position,
    )
    batch.add(_ADD_MOVE, sid, record.position, iso(e.business_date), MOVE_ASSIGNED, e.role)
    _lay_out_obligations(e, batch, facts)


def reinstated(record: LedgerRecord, batch: Batch, facts: Facts) -> None:
    e = record.event
    sid = str(e.originator_id)
    batch.add(
        "UPDATE {s}rm_assignments SET role = ?, status = COALESCE(?, status), position = ? "
        "WHERE assignment_id = ?",
        e.role,
        facts.status(sid),
        record.position,
        sid,
    )
    batch.add(_ADD_MOVE, sid, record.position, iso(e.business_date), MOVE_REINSTATED, e.role)
    _release(sid, e.business_date, batch)


def role_changed(record: LedgerRecord, batch: Batch, facts: Facts) -> None:
    e = record.event
    sid = str(e.originator_id)
    batch.add(
        "UPDATE {s}rm_assignments SET role = ?, position = ? WHERE assignment_id = ?",
        e.role,
        record.position,
        sid,
    )
    batch.add(_ADD_MOVE, sid, record.position, iso(e.business_date), MOVE_ROLE_CHANGED,
              e.role)


def progress_reported(record: LedgerRecord, batch: Batch, facts: Facts) -> None:
    e, at = record.event, record.position
    sid = str(e.originator_id)
    day = iso(e.business_date)
    stream = facts.stream(sid)
    report_id = str(ids.event_id(e.originator_id, e.originator_version))
    batch.add(
        "UPDATE {s}rm_assignments SET reports = reports + 1, last_report_id = ?, "
        "last_report_period = ?, last_report_on = ?, status = COALESCE(?, status), "
        "position = ? WHERE assignment_id = ?",
        report_id,
        e.period,
        day,
        facts.status(sid),
        at,
        sid,
    )
    task_id = (
        str(ids.task_id(UUID(stream.plan_id), stream.task_number))
        if (stream.plan_id and stream.task_number)
        else ""
    )
    batch.add(
        "INSERT INTO {s}rm_reports (report_id, assignment_id, plan_id, task_id, unit_id, "
        "period, business_date, recorded_at, actor, narrative, metrics, position) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        report_id,
        sid,
        stream.plan_id or "",
        task_id,
        stream.unit_id or "",
        e.period,
        day,
        e.timestamp.isoformat(),
        e.actor,
        e.narrative,
        json_text(e.metrics),
        at,
    )
    batch.add(
        "UPDATE {s}rm_obligations SET first_report_id = ?, first_report_on = ?, "
        "first_report_position = ? WHERE assignment_id = ? AND period = ? "
        "AND first_report_position IS NULL",
        report_id,
        day,
        at,
        sid,
        e.period,
    )


def progress_corrected(record: LedgerRecord, batch: Batch, facts: Facts) -> None:
    e, at = record.event, record.position
    sid = str(e.originator_id)
    correction = str(ids.event_id(e.originator_id, e.originator_version))
    # the report's row holds its current values; the first correction keeps
    # what it said first (right-hand sides read the row as it was)
    batch.add(
        "UPDATE {s}rm_reports SET original_narrative = COALESCE(original_narrative, "
        "narrative), original_metrics = COALESCE(original_metrics, metrics), "
        "narrative = COALESCE(?, narrative), metrics = ?, corrected_by = ?, "
        "corrected_position = ? WHERE report_id = ?",
        e.narrative,
        json_text(e.resulting_metrics),
        correction,
        at,
        str(e.report),
    )
    batch.add(
        "INSERT INTO {s}rm_corrections (correction_id, report_id, assignment_id, "
        "corrects, narrative, metrics, replaces_metrics, resulting_metrics, reason, "
        "actor, actor_role, business_date, recorded_at, position) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        correction,
        str(e.report),
        sid,
        str(e.corrects),
        e.narrative,
        json_text(e.metrics),
        1 if e.replaces_metrics else 0,
        json_text(e.resulting_metrics),
        e.reason,
        e.actor,
        e.actor_role,
        iso(e.business_date),
        e.timestamp.isoformat(),
        at,
    )
    batch.add(
        "UPDATE {s}rm_assignments SET corrections = corrections + 1, position = ? "
        "WHERE assignment_id = ?",
        at,
        sid,
    )


def _chase(kind: ChaseKind, counter: str):
    """The handler of one kind of chase (提醒, 催办, 上报监督平台): its row and its count."""
    count = (
        f"UPDATE {{s}}rm_assignments SET {counter} = {counter} + 1, position = ? "
        "WHERE assignment_id = ?"
    )

    def chased(record: LedgerRecord, batch: Batch, facts: Facts) -> None:
        e, at = record.event, record.position
        sid = str(e.originator_id)
        batch.add(
            "INSERT INTO {s}rm_chases (event_id, assignment_id, unit_id, kind, obligation, "
            "period, due_on, business_date, reason, state, trigger, position) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            str(ids.event_id(e.originator_id, e.originator_version)),
            sid,
            facts.stream(sid).unit_id or "",
            kind,
            e.obligation,
            e.period,
            iso(e.due_on),
            iso(e.business_date),
            e.reason,
            "open" if kind is ChaseKind.ESCALATION else None,
            json_text(e.trigger) if e.trigger else None,
            at,
        )
        batch.add(count, at, sid)

    return chased


def escalation_acknowledged(record: LedgerRecord, batch: Batch, facts: Facts) -> None:
    e = record.event
    batch.add(
        "UPDATE {s}rm_chases SET state = ? WHERE event_id = ?",
        "resolved" if e.resolved else "acknowledged",
        str(e.escalation),
    )


def chase_acknowledged(record: LedgerRecord, batch: Batch, facts: Facts) -> None:
    e = record.event
    # 签收: the first acknowledgement stands (the ledger records no second one)
    batch.add(
        "UPDATE {s}rm_chases SET acknowledged_on = ?, acknowledged_by = ?, "
        "acknowledgement_id = ?, acknowledged_position = ? WHERE event_id = ? "
        "AND acknowledgement_id IS NULL",
        iso(e.business_date),
        e.actor,
        str(ids.event_id(e.originator_id, e.originator_version)),
        record.position,
        str(e.chase),
    )


def extension_requested(record: LedgerRecord, batch: Batch, facts: Facts) -> None:
    e = record.event
    batch.add(
        "INSERT INTO {s}rm_extensions (request_id, assignment_id, obligation, period, "
        "requested_due_on, requested_on, reason, position) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        str(ids.event_id(e.originator_id, e.originator_version)),
        str(e.originator_id),
        e.obligation,
        e.period,
        iso(e.requested_due_on),
        iso(e.business_date),
        e.reason,
        record.position,
    )


def extension_decided(record: LedgerRecord, batch: Batch, facts: Facts) -> None:
    e, at = record.event, record.position
    batch.add(
        "UPDATE {s}rm_extensions SET decision = ?, new_due_on = ?, decided_by = ?, "
        "decided_on = ?, position = ?, decided_position = ? WHERE request_id = ?",
        "approved" if e.approved else "refused",
        iso(e.new_due_on),
        e.actor,
        iso(e.business_date),
        at,
        at,
        str(e.request),
    )
    if e.approved and e.new_due_on:
        batch.add(
            "UPDATE {s}rm_obligations SET extended_to = ?, extended_by = ?, "
            "extension_position = ? WHERE assignment_id = ? AND rule = "
            "(SELECT obligation FROM {s}rm_extensions WHERE request_id = ?) "
            "AND period = (SELECT period FROM {s}rm_extensions WHERE request_id = ?)",
            iso(e.new_due_on),
            e.actor,
            at,
            str(e.originator_id),
            str(e.request),
            str(e.request),
        )


def ended(record: LedgerRecord, batch: Batch, facts: Facts) -> None:
    """办结 or withdrawal."""
    e, at = record.event, record.position
    sid = str(e.originator_id)
    batch.add(_SET_STATUS, facts.status(sid), at, sid)
    move = MOVE_COMPLETED if isinstance(e, Assignment.Completed) else MOVE_WITHDRAWN
    batch.add(_ADD_MOVE, sid, at, iso(e.business_date), move, None)
    # reports falling due after 办结 or withdrawal are no longer owed
    batch.add(
        "UPDATE {s}rm_obligations SET void_position = ? WHERE assignment_id = ? "
        "AND due_on > ? AND void_position IS NULL AND first_report_position IS NULL",
        at,
        sid,
        iso(e.business_date),
    )


def reopened(record: LedgerRecord, batch: Batch, facts: Facts) -> None:
    e = record.event
    sid = str(e.originator_id)
    batch.add(_SET_STATUS, facts.status(sid), record.position, sid)
    batch.add(_ADD_MOVE, sid, record.position, iso(e.business_date), MOVE_REOPENED, None)
    _release(sid, e.business_date, batch)


def day_marked(record: LedgerRecord, batch: Batch, facts: Facts) -> None:
    """A day changed status: every due date counted in its month is counted again."""
    _recount_month(record.event.day, batch, facts)


def rules_recorded(record: LedgerRecord, batch: Batch, facts: Facts) -> None:
    """Recorded holiday data that differs from what the calendar counted on before:
    the due dates counted in each month with a changed day are counted again."""
    for month in facts.months_recounted:
        _recount_month(month, batch, facts)


def _recount_month(day: date, batch: Batch, facts: Facts) -> None:
    month_before = day.replace(day=1) - timedelta(days=1)
    ending = [Period.month_of(month_before)]
    if month_before.month % 3 == 0:
        ending.append(Period.quarter_of(month_before))
    if month_before.month % 6 == 0:
        ending.append(Period.half_of(month_before))
    if month_before.month == 12:
        ending.append(Period.year_of(month_before))
    for plan_id, plan in facts.plans.items():
        for duty in plan.duties:
            for period in ending:
                if period.kind != duty.rule.period_kind:
                    continue
                batch.add(
                    "UPDATE {s}rm_obligations SET due_on = ? WHERE plan_id = ? "
                    "AND rule = ? AND period = ?",
                    due_date(duty.rule, period, facts.calendar).isoformat(),
                    plan_id,
                    duty.rule.slug,
                    str(period),
                )


def _release(assignment_id: str, day: date, batch: Batch) -> None:
    """Back on the task: what falls due after ``day`` is owed again."""
    batch.add(
        "UPDATE {s}rm_obligations SET void_position = NULL WHERE assignment_id = ? "
        "AND due_on > ?",
        assignment_id,
        iso(day),
    )


def _lay_out_obligations(e: Assignment.Assigned, batch: Batch, facts: Facts) -> None:
    plan = facts.plans.get(str(e.plan_id))
    if plan is None:
        return
    # a document's assignments owe from its issue date; the office's from the day made
    active_from = (
        plan.issued_on if (e.source == "document" and plan.issued_on) else e.business_date
    )
    kind = facts.unit_kinds.get(str(e.unit_id), "department")
    binding = tuple(d.binds(e.task_number, e.unit_name, kind) for d in plan.duties)
    # Most assignments of a plan owe the same schedule: compute it once.
    key = (str(e.plan_id), active_from, binding)
    schedule = facts.schedules.get(key)
    if schedule is None:
        schedule = [
            (
                owed.rule,
                str(owed.period),
                owed.period.start.isoformat(),
                owed.due_on.isoformat(),
            )
            for owed in owed_reports(
                [d for d, bound in zip(plan.duties, binding, strict=True) if bound],
                task_number=e.task_number,
                unit_name=e.unit_name,
                unit_kind=kind,
                active_from=active_from,
                horizon=plan.horizon,
                calendar=facts.calendar,
            )
        ]
        facts.schedules[key] = schedule
    assignment, plan_id, unit = str(e.originator_id), str(e.plan_id), str(e.unit_id)
    for rule, period, start, due in schedule:
        batch.add(
            "INSERT INTO {s}rm_obligations (assignment_id, rule, period, plan_id, unit_id, "
            "task_number, period_start, due_on) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (assignment_id, rule, period) DO NOTHING",
            assignment,
            rule,
            period,
            plan_id,
            unit,
            e.task_number,
            start,
            due,
        )


HANDLERS = ProjectionHandlers(
    "accountability",
    {
        CalendarLog.DayMarked: day_marked,
        ReportingRules.Opened: rules_recorded,
        ReportingRules.Recorded: rules_recorded,
        Assignment.Assigned: assigned,
        Assignment.Reinstated: reinstated,
        Assignment.RoleChanged: role_changed,
        Assignment.ProgressReported: progress_reported,
        Assignment.ProgressCorrected: progress_corrected,
        Assignment.ReminderIssued: _chase(ChaseKind.REMINDER, "reminders"),
        Assignment.UrgeIssued: _chase(ChaseKind.URGE, "urges"),
        Assignment.EscalatedToSupervisionPlatform: _chase(ChaseKind.ESCALATION, "escalations"),
        Assignment.EscalationAcknowledged: escalation_acknowledged,
        Assignment.ChaseAcknowledged: chase_acknowledged,
        Assignment.ExtensionRequested: extension_requested,
        Assignment.ExtensionDecided: extension_decided,
        Assignment.Completed: ended,
        Assignment.Withdrawn: ended,
        Assignment.Reopened: reopened,
    },
    # A rehearsal (simulate, tick --as-of) changes no real figure: its events stay in
    # the audit trail, flagged, and nowhere else.
    real_events_only=True,
)

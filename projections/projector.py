"""Events in, read-model rows out: one pass over the log feeds every projection.

:class:`Projector` turns each event into SQL statements for the projections that have
not yet applied it, and :meth:`Projector.catch_up` commits them in batches together
with each projection's new tracking position (one transaction per batch: a projector
killed mid-batch leaves nothing half-applied and restarts at the last committed
position). Events it cannot decode (a type from a newer release, say) are logged,
counted and skipped; the position still moves past them.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any
from uuid import UUID

from eventsourcing.persistence import IntegrityError, Tracking

from ledger import ids
from ledger.application import Ledger, LedgerRecord, _plain
from ledger.assignment import COMPLETED, IN_PROGRESS, NOT_STARTED, WITHDRAWN, Assignment
from ledger.briefing import Briefing
from ledger.calendar import ChineseCalendar, WorkingDayCalendar
from ledger.calendar_log import CalendarLog, calendar_from
from ledger.cycle import Cycle
from ledger.duties import PlanDuty, obligation_horizon, owed_reports, plan_duties
from ledger.obligations import due_date
from ledger.periods import Period
from ledger.plan import Plan, Task
from ledger.unit import Unit
from ledger.validation import stored_contact
from projections.db import ReadStore, Statement
from projections.tables import PROJECTIONS

log = logging.getLogger("taskledger.projections")

LEDGER_NAME = Ledger.name  # tracking positions are positions in this application's log


@dataclass
class _PlanFacts:
    issued_on: date | None
    duties: list[PlanDuty]
    horizon: date


@dataclass
class _Stream:
    plan_id: str | None = None
    task_number: str | None = None
    unit_id: str | None = None


@dataclass
class CatchUpStats:
    applied: int = 0
    unknown: int = 0
    position: int = 0
    seconds: float = 0.0
    batches: int = 0

    @property
    def rate(self) -> float:
        return self.applied / self.seconds if self.seconds else 0.0


@dataclass
class _Batch:
    statements: list[Statement] = field(default_factory=list)

    def add(self, sql: str, *params: Any) -> None:
        self.statements.append((sql, params))


def _j(value: Any) -> str:
    return json.dumps(_plain(value), ensure_ascii=False, sort_keys=True)


def _d(value: date | None) -> str | None:
    return value.isoformat() if value else None


class Projector:
    """Keeps every read model of one store up to date with one ledger."""

    def __init__(
        self,
        ledger: Ledger,
        store: ReadStore,
        calendar: WorkingDayCalendar | None = None,
        *,
        include: Callable[[LedgerRecord], bool] | None = None,
    ) -> None:
        self.ledger = ledger
        self.store = store
        # Due dates follow the calendar as the ledger knew it at each event: the base
        # Chinese calendar plus the office's adjustments seen so far (CalendarLog events).
        # ``calendar`` only serves callers that pass a custom calendar without any
        # adjustments of their own (tests with a weekday calendar).
        self._base_calendar = calendar
        self._overrides: dict[str, str] = {}
        self._confirmed: list[int] = []
        self.calendar: WorkingDayCalendar = calendar or ChineseCalendar()
        self.include = include  # a filter for "as of" snapshots; None applies everything
        self.unknown_events = 0
        self._caches_at: int | None = None
        self._plans: dict[str, _PlanFacts] = {}
        self._unit_kinds: dict[str, str] = {}
        self._streams: dict[str, _Stream] = {}
        self._schedules: dict[tuple, list[tuple[str, str, str, str]]] = {}

    # ---- the loop ------------------------------------------------------------------
    def catch_up(
        self,
        *,
        batch_size: int = 1000,
        upto: int | None = None,
        progress: Callable[[CatchUpStats, int], None] | None = None,
    ) -> CatchUpStats:
        """Apply every event not yet applied, in batches; returns what was done."""
        started = time.perf_counter()
        stats = CatchUpStats()
        positions = self.store.positions()
        start = min(positions.values())
        stats.position = start
        self._prepare_caches(start, positions)
        head = self.ledger.position() if upto is None else upto
        while True:
            notifications = self.ledger.recorder.select_notifications(
                start=start + 1, limit=batch_size, stop=upto
            )
            if not notifications:
                break
            batch = _Batch()
            for notification in notifications:
                try:
                    event = self.ledger.mapper.to_domain_event(notification)
                except Exception as error:  # an event this release cannot read
                    self.unknown_events += 1
                    stats.unknown += 1
                    log.warning(
                        "skipping event %s at position %s that cannot be decoded: %s",
                        notification.topic,
                        notification.id,
                        error,
                    )
                    continue
                record = LedgerRecord(notification.id, event)
                if self.include is not None and not self.include(record):
                    continue
                self._learn(record)
                for name in PROJECTIONS:
                    if record.position > positions[name]:
                        getattr(self, f"_{name}")(record, batch)
                stats.applied += 1
            last = notifications[-1].id
            trackings = [Tracking(name, last) for name, at in positions.items() if last > at]
            try:
                self.store.apply(batch.statements, trackings)
            except IntegrityError:
                # Another projector committed these events first (the tracking upsert
                # refuses to go backwards): take up from where it got to.
                self._caches_at = None
                positions = self.store.positions()
                start = min(positions.values())
                self._prepare_caches(start, positions)
                continue
            for name in positions:
                positions[name] = max(positions[name], last)
            self._caches_at = last
            start = last
            stats.position = last
            stats.batches += 1
            stats.seconds = time.perf_counter() - started
            if progress:
                progress(stats, max(head, last))
            if len(notifications) < batch_size:
                break
        stats.seconds = time.perf_counter() - started
        return stats

    def rebuild(self, names: Iterable[str] | None = None, **kwargs: Any) -> CatchUpStats:
        """Empty the named projections (all by default) and apply the whole log again."""
        chosen = list(names or PROJECTIONS)
        unknown = [n for n in chosen if n not in PROJECTIONS]
        if unknown:
            from ledger.errors import InvalidInput

            raise InvalidInput(
                f"unknown projection {unknown[0]!r}; choose from {', '.join(PROJECTIONS)}"
            )
        self.store.reset(chosen)
        self._caches_at = None
        return self.catch_up(**kwargs)

    def run_forever(
        self, stop: threading.Event, *, poll_seconds: float = 0.5, batch_size: int = 1000
    ) -> None:
        """The long-running ``taskledger project`` loop: catch up, wait, repeat."""
        while not stop.is_set():
            stats = self.catch_up(batch_size=batch_size)
            if stats.applied:
                log.info("applied %d events up to position %d", stats.applied, stats.position)
            stop.wait(poll_seconds)

    def wait_for(self, position: int, *, timeout: float = 5.0) -> bool:
        """Read-your-writes: catch up (in-process) until ``position`` is applied."""
        deadline = time.monotonic() + timeout
        while True:
            if min(self.store.positions().values()) >= position:
                return True
            self.catch_up(upto=None)
            if min(self.store.positions().values()) >= position:
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.05)

    # ---- caches the handlers need (derived from events only) -----------------------------
    def _prepare_caches(self, start: int, positions: dict[str, int]) -> None:
        if self._caches_at == start:
            return
        self._plans.clear()
        self._unit_kinds.clear()
        self._streams.clear()
        self._schedules.clear()
        self._overrides = {}
        self._confirmed = []
        self._refresh_calendar()
        if start == 0:
            self._caches_at = 0
            return
        if len(set(positions.values())) == 1:
            self._load_caches_from_tables()
            self._caches_at = start
            return
        # Projections stand at different positions (a rebuild stopped half way): learn
        # the caches from the log itself up to where catching up starts.
        for record in self.ledger.records(upto=start):
            self._learn(record)
        self._caches_at = start

    def _load_caches_from_tables(self) -> None:
        for row in self.store.query("SELECT * FROM {s}rm_plans"):
            issued = date.fromisoformat(row["issued_on"]) if row["issued_on"] else None
            self._plans[row["plan_id"]] = self._plan_facts(
                issued, json.loads(row["obligations"]), json.loads(row["targets"])
            )
        for row in self.store.query("SELECT unit_id, kind FROM {s}rm_units"):
            self._unit_kinds[row["unit_id"]] = row["kind"]
            self._streams[row["unit_id"]] = _Stream(unit_id=row["unit_id"])
        for row in self.store.query("SELECT task_id, plan_id, number FROM {s}rm_tasks"):
            self._streams[row["task_id"]] = _Stream(row["plan_id"], row["number"])
        for row in self.store.query(
            "SELECT assignment_id, plan_id, task_number, unit_id FROM {s}rm_assignments"
        ):
            self._streams[row["assignment_id"]] = _Stream(
                row["plan_id"], row["task_number"], row["unit_id"]
            )
        for row in self.store.query("SELECT plan_id FROM {s}rm_plans"):
            self._streams[row["plan_id"]] = _Stream(plan_id=row["plan_id"])
        self._overrides = {
            r["day"]: r["mark"] for r in self.store.query("SELECT day, mark FROM {s}rm_calendar")
        }
        self._confirmed = [
            r["year"] for r in self.store.query("SELECT year FROM {s}rm_calendar_years")
        ]
        self._refresh_calendar()

    def _refresh_calendar(self) -> None:
        if self._overrides or self._confirmed or self._base_calendar is None:
            self.calendar = calendar_from(self._overrides, self._confirmed)
        else:
            self.calendar = self._base_calendar

    @staticmethod
    def _plan_facts(issued_on: date | None, obligations: list, targets: list) -> _PlanFacts:
        start = issued_on or date(2000, 1, 1)
        return _PlanFacts(issued_on, plan_duties(obligations), obligation_horizon(start, targets))

    def _learn(self, record: LedgerRecord) -> None:
        event = record.event
        stream = str(event.originator_id)
        if isinstance(event, Plan.Registered | Plan.Amended):
            self._schedules.clear()
        if isinstance(event, Plan.Registered):
            self._plans[stream] = self._plan_facts(
                event.issued_on, event.obligations, event.targets
            )
            self._streams[stream] = _Stream(plan_id=stream)
        elif isinstance(event, Plan.Amended):
            old = self._plans.get(stream)
            issued = old.issued_on if old else None
            self._plans[stream] = self._plan_facts(issued, event.obligations, event.targets)
        elif isinstance(event, Task.Registered):
            self._streams[stream] = _Stream(str(event.plan_id), event.number)
        elif isinstance(event, Unit.Registered):
            self._unit_kinds[stream] = event.kind
            self._streams[stream] = _Stream(unit_id=stream)
        elif isinstance(event, Assignment.Assigned):
            self._streams[stream] = _Stream(
                str(event.plan_id), event.task_number, str(event.unit_id)
            )
        elif isinstance(event, CalendarLog.DayMarked):
            self._overrides[event.day.isoformat()] = event.mark
            self._schedules.clear()
            self._refresh_calendar()
        elif isinstance(event, CalendarLog.YearConfirmed):
            if event.year not in self._confirmed:
                self._confirmed.append(event.year)
            self._refresh_calendar()

    # ---- registry ----------------------------------------------------------------------
    def _registry(self, record: LedgerRecord, batch: _Batch) -> None:
        e, at = record.event, record.position
        sid = str(e.originator_id)
        if isinstance(e, Plan.Registered):
            batch.add(
                "INSERT INTO {s}rm_plans (plan_id, natural_key, doc_number, title, issuer, "
                "issued_on, closed_on, source_sha256, targets, obligations, task_numbers, "
                "position) VALUES (?, ?, ?, ?, ?, ?, NULL, ?, ?, ?, ?, ?)",
                sid,
                e.natural_key,
                e.doc_number,
                e.title,
                e.issuer,
                _d(e.issued_on),
                e.source_sha256,
                _j(e.targets),
                _j(e.obligations),
                _j(e.task_numbers),
                at,
            )
        elif isinstance(e, Plan.Amended):
            batch.add(
                "UPDATE {s}rm_plans SET source_sha256 = ?, targets = ?, obligations = ?, "
                "task_numbers = ?, position = ? WHERE plan_id = ?",
                e.source_sha256,
                _j(e.targets),
                _j(e.obligations),
                _j(e.task_numbers),
                at,
                sid,
            )
        elif isinstance(e, Plan.LadderConfigured):
            ladder = {
                "remind_before": e.remind_before,
                "urge_after": e.urge_after,
                "escalate_after": e.escalate_after,
                "escalate_after_urges": e.escalate_after_urges,
            }
            batch.add(
                "UPDATE {s}rm_plans SET ladder = ?, position = ? WHERE plan_id = ?",
                _j(ladder), at, sid,
            )
        elif isinstance(e, Plan.Closed):
            batch.add(
                "UPDATE {s}rm_plans SET closed_on = ?, position = ? WHERE plan_id = ?",
                _d(e.business_date),
                at,
                sid,
            )
        elif isinstance(e, Task.Registered):
            batch.add(
                "INSERT INTO {s}rm_tasks (task_id, plan_id, number, ordinal, section, title, "
                "text, targets, units, position) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                sid,
                str(e.plan_id),
                e.number,
                e.ordinal,
                e.section,
                e.title,
                e.text,
                _j(e.targets),
                _j(e.units),
                at,
            )
        elif isinstance(e, Task.Amended):
            for name, value in sorted(e.changes.items()):
                column = {
                    "ordinal": "ordinal",
                    "section": "section",
                    "title": "title",
                    "text": "text",
                    "targets": "targets",
                    "units": "units",
                }.get(name)
                if column is None:
                    continue
                stored = _j(value) if column in ("targets", "units") else value
                batch.add(
                    f"UPDATE {{s}}rm_tasks SET {column} = ?, position = ? WHERE task_id = ?",
                    stored,
                    at,
                    sid,
                )
        elif isinstance(e, Unit.Registered):
            batch.add(
                "INSERT INTO {s}rm_units (unit_id, name, kind, liaison, position) "
                "VALUES (?, ?, ?, NULL, ?)",
                sid,
                e.name,
                e.kind,
                at,
            )
            for name in (e.name, *e.aliases):
                batch.add(
                    "INSERT INTO {s}rm_unit_names (name, unit_id) VALUES (?, ?) "
                    "ON CONFLICT (name) DO NOTHING",
                    name,
                    sid,
                )
        elif isinstance(e, Unit.AliasAdded):
            batch.add(
                "INSERT INTO {s}rm_unit_names (name, unit_id) VALUES (?, ?) "
                "ON CONFLICT (name) DO NOTHING",
                e.alias,
                sid,
            )
            batch.add("UPDATE {s}rm_units SET position = ? WHERE unit_id = ?", at, sid)
        elif isinstance(e, Unit.LiaisonAssigned):
            # every field present, so readers need not know that early events lacked
            # ``webhook``
            batch.add(
                "UPDATE {s}rm_units SET liaison = ?, position = ? WHERE unit_id = ?",
                _j(stored_contact(e.liaison)),
                at,
                sid,
            )

    # ---- office: cycles, briefings, calendar -------------------------------------------------
    def _office(self, record: LedgerRecord, batch: _Batch) -> None:
        e, at = record.event, record.position
        sid = str(e.originator_id)
        if isinstance(e, Cycle.Ran):
            batch.add(
                "INSERT INTO {s}rm_cycles (cycle_id, kind, period, scope, business_date, "
                "simulated, snapshot, position) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                sid,
                e.kind,
                e.period,
                e.scope,
                _d(e.business_date),
                int(e.simulated),
                _j(e.snapshot),
                at,
            )
        elif isinstance(e, Briefing.Issued):
            batch.add(
                "INSERT INTO {s}rm_briefings (briefing_id, kind, period, as_of, ledger_position, "
                "sha256, pages, filename, actor, business_date, simulated, position) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                sid,
                e.kind,
                e.period,
                _d(e.as_of),
                e.position,
                e.sha256,
                e.pages,
                e.filename,
                e.actor,
                _d(e.business_date),
                int(e.simulated),
                at,
            )
        elif isinstance(e, CalendarLog.DayMarked):
            batch.add(
                "INSERT INTO {s}rm_calendar (day, mark, actor, position) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (day) DO UPDATE SET mark = excluded.mark, actor = excluded.actor, "
                "position = excluded.position",
                _d(e.day),
                e.mark,
                e.actor,
                at,
            )
        elif isinstance(e, CalendarLog.YearConfirmed):
            batch.add(
                "INSERT INTO {s}rm_calendar_years (year, actor, position) VALUES (?, ?, ?) "
                "ON CONFLICT (year) DO NOTHING",
                e.year,
                e.actor,
                at,
            )

    # ---- accountability ----------------------------------------------------------------
    def _accountability(self, record: LedgerRecord, batch: _Batch) -> None:
        e, at = record.event, record.position
        if e.simulated:
            # A rehearsal (simulate, tick --as-of) changes no real figure: its events
            # stay in the audit trail, flagged, and nowhere else.
            return
        sid = str(e.originator_id)
        day = _d(e.business_date)
        if isinstance(e, CalendarLog.DayMarked):
            self._move_due_dates(e.day, batch)
        elif isinstance(e, Assignment.Assigned):
            batch.add(
                "INSERT INTO {s}rm_assignments (assignment_id, plan_id, task_id, task_number, "
                "unit_id, unit_name, role, status, source, assigned_on, position) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                sid,
                str(e.plan_id),
                str(e.task_id),
                e.task_number,
                str(e.unit_id),
                e.unit_name,
                e.role,
                NOT_STARTED,
                e.source,
                day,
                at,
            )
            self._lay_out_obligations(e, batch)
        elif isinstance(e, Assignment.Reinstated):
            batch.add(
                "UPDATE {s}rm_assignments SET role = ?, status = CASE WHEN reports > 0 "
                "THEN ? ELSE ? END, position = ? WHERE assignment_id = ?",
                e.role,
                IN_PROGRESS,
                NOT_STARTED,
                at,
                sid,
            )
            self._release(sid, e.business_date, batch)
        elif isinstance(e, Assignment.RoleChanged):
            batch.add(
                "UPDATE {s}rm_assignments SET role = ?, position = ? WHERE assignment_id = ?",
                e.role,
                at,
                sid,
            )
        elif isinstance(e, Assignment.ProgressReported):
            stream = self._streams.get(sid, _Stream())
            report_id = str(ids.event_id(e.originator_id, e.originator_version))
            batch.add(
                "UPDATE {s}rm_assignments SET reports = reports + 1, last_report_id = ?, "
                "last_report_period = ?, last_report_on = ?, status = CASE WHEN status = ? "
                "THEN ? ELSE status END, position = ? WHERE assignment_id = ?",
                report_id,
                e.period,
                day,
                NOT_STARTED,
                IN_PROGRESS,
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
                _j(e.metrics),
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
        elif isinstance(e, Assignment.ProgressCorrected):
            correction = str(ids.event_id(e.originator_id, e.originator_version))
            # the report's row holds its current values; the first correction keeps
            # what it said first (right-hand sides read the row as it was)
            batch.add(
                "UPDATE {s}rm_reports SET original_narrative = COALESCE(original_narrative, "
                "narrative), original_metrics = COALESCE(original_metrics, metrics), "
                "narrative = COALESCE(?, narrative), metrics = ?, corrected_by = ?, "
                "corrected_position = ? WHERE report_id = ?",
                e.narrative,
                _j(e.resulting_metrics),
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
                _j(e.metrics),
                1 if e.replaces_metrics else 0,
                _j(e.resulting_metrics),
                e.reason,
                e.actor,
                e.actor_role,
                day,
                e.timestamp.isoformat(),
                at,
            )
            batch.add(
                "UPDATE {s}rm_assignments SET corrections = corrections + 1, position = ? "
                "WHERE assignment_id = ?",
                at,
                sid,
            )
        elif isinstance(
            e,
            Assignment.ReminderIssued
            | Assignment.UrgeIssued
            | Assignment.EscalatedToSupervisionPlatform,
        ):
            kind, counter = {
                Assignment.ReminderIssued: ("reminder", "reminders"),
                Assignment.UrgeIssued: ("urge", "urges"),
                Assignment.EscalatedToSupervisionPlatform: ("escalation", "escalations"),
            }[type(e)]
            stream = self._streams.get(sid, _Stream())
            batch.add(
                "INSERT INTO {s}rm_chases (event_id, assignment_id, unit_id, kind, obligation, "
                "period, due_on, business_date, reason, state, trigger, position) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                str(ids.event_id(e.originator_id, e.originator_version)),
                sid,
                stream.unit_id or "",
                kind,
                e.obligation,
                e.period,
                _d(e.due_on),
                day,
                e.reason,
                "open" if kind == "escalation" else None,
                _j(e.trigger) if e.trigger else None,
                at,
            )
            batch.add(
                f"UPDATE {{s}}rm_assignments SET {counter} = {counter} + 1, position = ? "
                "WHERE assignment_id = ?",
                at,
                sid,
            )
        elif isinstance(e, Assignment.EscalationAcknowledged):
            batch.add(
                "UPDATE {s}rm_chases SET state = ? WHERE event_id = ?",
                "resolved" if e.resolved else "acknowledged",
                str(e.escalation),
            )
        elif isinstance(e, Assignment.ChaseAcknowledged):
            # 签收: the first acknowledgement stands (the ledger records no second one)
            batch.add(
                "UPDATE {s}rm_chases SET acknowledged_on = ?, acknowledged_by = ?, "
                "acknowledgement_id = ? WHERE event_id = ? AND acknowledgement_id IS NULL",
                day,
                e.actor,
                str(ids.event_id(e.originator_id, e.originator_version)),
                str(e.chase),
            )
        elif isinstance(e, Assignment.ExtensionRequested):
            batch.add(
                "INSERT INTO {s}rm_extensions (request_id, assignment_id, obligation, period, "
                "requested_due_on, requested_on, reason, position) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                str(ids.event_id(e.originator_id, e.originator_version)),
                sid,
                e.obligation,
                e.period,
                _d(e.requested_due_on),
                day,
                e.reason,
                at,
            )
        elif isinstance(e, Assignment.ExtensionDecided):
            decision = "approved" if e.approved else "refused"
            batch.add(
                "UPDATE {s}rm_extensions SET decision = ?, new_due_on = ?, decided_by = ?, "
                "decided_on = ?, position = ? WHERE request_id = ?",
                decision,
                _d(e.new_due_on),
                e.actor,
                day,
                at,
                str(e.request),
            )
            if e.approved and e.new_due_on:
                batch.add(
                    "UPDATE {s}rm_obligations SET extended_to = ?, extended_by = ?, "
                    "extension_position = ? WHERE assignment_id = ? AND rule = "
                    "(SELECT obligation FROM {s}rm_extensions WHERE request_id = ?) "
                    "AND period = (SELECT period FROM {s}rm_extensions WHERE request_id = ?)",
                    _d(e.new_due_on),
                    e.actor,
                    at,
                    sid,
                    str(e.request),
                    str(e.request),
                )
        elif isinstance(e, Assignment.Completed | Assignment.Withdrawn):
            status = COMPLETED if isinstance(e, Assignment.Completed) else WITHDRAWN
            batch.add(
                "UPDATE {s}rm_assignments SET status = ?, position = ? WHERE assignment_id = ?",
                status,
                at,
                sid,
            )
            # reports falling due after 办结 or withdrawal are no longer owed
            batch.add(
                "UPDATE {s}rm_obligations SET void_position = ? WHERE assignment_id = ? "
                "AND due_on > ? AND void_position IS NULL AND first_report_position IS NULL",
                at,
                sid,
                day,
            )
        elif isinstance(e, Assignment.Reopened):
            batch.add(
                "UPDATE {s}rm_assignments SET status = ?, position = ? WHERE assignment_id = ?",
                IN_PROGRESS,
                at,
                sid,
            )
            self._release(sid, e.business_date, batch)

    def _move_due_dates(self, day: date, batch: _Batch) -> None:
        """A day changed status: every due date counted in its month is counted again."""
        month_before = day.replace(day=1) - timedelta(days=1)
        ending = [Period.month_of(month_before)]
        if month_before.month % 3 == 0:
            ending.append(Period.quarter_of(month_before))
        if month_before.month % 6 == 0:
            ending.append(Period.half_of(month_before))
        if month_before.month == 12:
            ending.append(Period.year_of(month_before))
        for plan_id, facts in self._plans.items():
            for duty in facts.duties:
                for period in ending:
                    if period.kind != duty.rule.period_kind:
                        continue
                    batch.add(
                        "UPDATE {s}rm_obligations SET due_on = ? WHERE plan_id = ? "
                        "AND rule = ? AND period = ?",
                        due_date(duty.rule, period, self.calendar).isoformat(),
                        plan_id,
                        duty.rule.slug,
                        str(period),
                    )

    def _release(self, assignment_id: str, day: date, batch: _Batch) -> None:
        batch.add(
            "UPDATE {s}rm_obligations SET void_position = NULL WHERE assignment_id = ? "
            "AND due_on > ?",
            assignment_id,
            _d(day),
        )

    def _lay_out_obligations(self, e: Assignment.Assigned, batch: _Batch) -> None:
        facts = self._plans.get(str(e.plan_id))
        if facts is None:
            return
        # a document's assignments owe from its issue date; the office's from the day made
        active_from = (
            facts.issued_on if (e.source == "document" and facts.issued_on) else (e.business_date)
        )
        kind = self._unit_kinds.get(str(e.unit_id), "department")
        binding = tuple(d.binds(e.task_number, e.unit_name, kind) for d in facts.duties)
        # Most assignments of a plan owe the same schedule: compute it once.
        key = (str(e.plan_id), active_from, binding)
        schedule = self._schedules.get(key)
        if schedule is None:
            schedule = [
                (
                    owed.rule,
                    str(owed.period),
                    owed.period.start.isoformat(),
                    owed.due_on.isoformat(),
                )
                for owed in owed_reports(
                    [d for d, bound in zip(facts.duties, binding, strict=True) if bound],
                    task_number=e.task_number,
                    unit_name=e.unit_name,
                    unit_kind=kind,
                    active_from=active_from,
                    horizon=facts.horizon,
                    calendar=self.calendar,
                )
            ]
            self._schedules[key] = schedule
        assignment, plan, unit = str(e.originator_id), str(e.plan_id), str(e.unit_id)
        for rule, period, start, due in schedule:
            batch.add(
                "INSERT INTO {s}rm_obligations (assignment_id, rule, period, plan_id, unit_id, "
                "task_number, period_start, due_on) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (assignment_id, rule, period) DO NOTHING",
                assignment,
                rule,
                period,
                plan,
                unit,
                e.task_number,
                start,
                due,
            )

    # ---- audit ---------------------------------------------------------------------------
    def _audit(self, record: LedgerRecord, batch: _Batch) -> None:
        e = record.event
        stream = self._streams.get(str(e.originator_id), _Stream())
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
        if isinstance(e, Unit.ChasersDelivered | Unit.ChasersUndelivered):
            for plan_id, task in sorted({(c["plan_id"], c["task"]) for c in e.chasers}):
                batch.add(
                    "INSERT INTO {s}rm_audit_links (position, plan_id, task_number) "
                    "VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                    record.position, plan_id, task,
                )


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

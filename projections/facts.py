"""What the projection handlers share: the batch they write into and the facts they look up.

A handler turns one event into SQL statements. Some need more than the event: an
assignment's obligations depend on its plan's duties and on the calendar as the ledger
knew it; a report's row names the plan and unit of its assignment. :class:`Facts`
holds those, learned from the events themselves (or, on a restart, read back from the
tables), so no handler queries the store mid-batch.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from ledger.application import LedgerRecord, plain
from ledger.assignment import NOT_STARTED, STATUS_EVENTS, Assignment, status_after
from ledger.calendar import CalendarBase, WorkingDayCalendar, calendar_from
from ledger.calendar_log import CalendarLog
from ledger.duties import PlanDuty, obligation_horizon, plan_duties
from ledger.plan import Plan, Task
from ledger.rules import ReportingRules
from ledger.unit import Unit

if TYPE_CHECKING:
    from projections.db import ReadStore


# json.dumps with any option builds a new JSONEncoder per call: build it once
_ENCODE = json.JSONEncoder(ensure_ascii=False, sort_keys=True).encode


def json_text(value: Any) -> str:
    """An event's value as stored in a JSON column."""
    return _ENCODE(plain(value))


def iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


@dataclass
class Batch:
    """The statements of one transaction, in order."""

    statements: list[tuple[str, Sequence[Any]]] = field(default_factory=list)

    def add(self, sql: str, *params: Any) -> None:
        self.statements.append((sql, params))


@dataclass
class PlanFacts:
    issued_on: date | None
    duties: list[PlanDuty]
    horizon: date


@dataclass
class Stream:
    """Where a stream's events belong: its plan, task number and unit, as far as known."""

    plan_id: str | None = None
    task_number: str | None = None
    unit_id: str | None = None


@dataclass
class AssignmentFacts:
    """An assignment as the accountability tables hold it (rehearsals left out)."""

    status: str
    reported: bool = False


Handler = Callable[[LedgerRecord, Batch, "Facts"], None]


@dataclass(frozen=True)
class ProjectionHandlers:
    """How one projection applies events: a handler per event class it cares about."""

    name: str
    by_event: Mapping[type, Handler]
    every_event: Handler | None = None  # runs first, for every event (the audit trail)
    real_events_only: bool = False  # rehearsals (simulated events) do not reach it


def plan_facts(
    issued_on: date | None, obligations: list, targets: list, horizon: date | None = None
) -> PlanFacts:
    """A plan's duties and horizon: the recorded one, else (a plan recorded before
    horizons were) this release's rule."""
    if horizon is None:
        horizon = obligation_horizon(issued_on or date(2000, 1, 1), targets)
    return PlanFacts(issued_on, plan_duties(obligations), horizon)


@lru_cache(maxsize=1)
def _package_base() -> CalendarBase:
    """The installed package's data: what a calendar counted on before any was recorded."""
    return CalendarBase.from_package()


def changed_months(before: CalendarBase, after: CalendarBase) -> list[date]:
    """The months (their first days) in which ``after`` marks some day differently from
    ``before``; every month of a year only one of them covers."""
    months: set[date] = set()
    for year in set(before.years) | set(after.years):
        old, new = before.years.get(year), after.years.get(year)
        if old is None or new is None:
            months.update(date(year, month, 1) for month in range(1, 13))
            continue
        for old_days, new_days in zip(old, new, strict=True):
            for day in set(old_days) ^ set(new_days):
                months.add(day.replace(day=1))
    return sorted(months)


class Facts:
    """What the handlers look up, kept as of the event being applied."""

    def __init__(self, base_calendar: WorkingDayCalendar | None) -> None:
        # Due dates follow the calendar as the ledger knew it at each event: the holiday
        # data recorded by then (ReportingRules events; the installed package's before
        # any) plus the office's adjustments seen so far (CalendarLog events).
        # ``base_calendar`` only serves callers that pass a custom calendar without any
        # adjustments of their own (tests with a weekday calendar).
        self._base_calendar = base_calendar
        self.plans: dict[str, PlanFacts] = {}
        self.unit_kinds: dict[str, str] = {}
        self.streams: dict[str, Stream] = {}
        self.assignments: dict[str, AssignmentFacts] = {}
        # (plan, active from, which duties bind) -> the obligations such an assignment owes
        self.schedules: dict[tuple, list[tuple[str, str, str, str]]] = {}
        self._overrides: dict[str, str] = {}
        self._confirmed: list[int] = []
        self._recorded_base: CalendarBase | None = None
        # the first day of each month whose working days the last rules event changed
        self.months_recounted: list[date] = []
        self.calendar: WorkingDayCalendar = self._calendar()
        self._learners: dict[type, Callable[[Any, str], None]] = {
            Plan.Registered: self._plan_registered,
            Plan.Amended: self._plan_amended,
            Task.Registered: self._task_registered,
            Unit.Registered: self._unit_registered,
            CalendarLog.DayMarked: self._day_marked,
            CalendarLog.YearConfirmed: self._year_confirmed,
            ReportingRules.Opened: self._rules_recorded,
            ReportingRules.Recorded: self._rules_recorded,
            Plan.HorizonRecorded: self._horizon_recorded,
        }

    def stream(self, stream_id: str) -> Stream:
        return self.streams.get(stream_id) or Stream()

    def status(self, assignment_id: str) -> str | None:
        known = self.assignments.get(assignment_id)
        return known.status if known else None

    def clear(self) -> None:
        self.plans.clear()
        self.unit_kinds.clear()
        self.streams.clear()
        self.assignments.clear()
        self.schedules.clear()
        self._overrides = {}
        self._confirmed = []
        self._recorded_base = None
        self.months_recounted = []
        self.calendar = self._calendar()

    # ---- learning ------------------------------------------------------------------
    def learn(self, record: LedgerRecord) -> None:
        """Take in one event, before the handlers apply it."""
        event = record.event
        kind = type(event)
        learner = self._learners.get(kind)
        if learner is not None:
            learner(event, str(event.originator_id))
        if kind in STATUS_EVENTS:
            self._status_moved(event, str(event.originator_id))

    def _plan_registered(self, event: Plan.Registered, stream: str) -> None:
        self.schedules.clear()
        self.plans[stream] = plan_facts(
            event.issued_on, event.obligations, event.targets, event.horizon
        )
        self.streams[stream] = Stream(plan_id=stream)

    def _plan_amended(self, event: Plan.Amended, stream: str) -> None:
        self.schedules.clear()
        old = self.plans.get(stream)
        issued = old.issued_on if old else None
        self.plans[stream] = plan_facts(issued, event.obligations, event.targets, event.horizon)

    def _horizon_recorded(self, event: Plan.HorizonRecorded, stream: str) -> None:
        known = self.plans.get(stream)
        if known is not None and known.horizon != event.horizon:
            self.schedules.clear()
            self.plans[stream] = PlanFacts(known.issued_on, known.duties, event.horizon)

    def _rules_recorded(self, event: ReportingRules.Opened, stream: str) -> None:
        base = CalendarBase.from_recorded(event.calendar_package, event.calendar_base)
        before = self._recorded_base or _package_base()
        self.months_recounted = changed_months(before, base)
        if base != self._recorded_base:
            self._recorded_base = base
            self.schedules.clear()
            self.calendar = self._calendar()

    def _task_registered(self, event: Task.Registered, stream: str) -> None:
        self.streams[stream] = Stream(str(event.plan_id), event.number)

    def _unit_registered(self, event: Unit.Registered, stream: str) -> None:
        self.unit_kinds[stream] = event.kind
        self.streams[stream] = Stream(unit_id=stream)

    def _day_marked(self, event: CalendarLog.DayMarked, stream: str) -> None:
        self._overrides[event.day.isoformat()] = event.mark
        self.schedules.clear()
        self.calendar = self._calendar()

    def _year_confirmed(self, event: CalendarLog.YearConfirmed, stream: str) -> None:
        if event.year not in self._confirmed:
            self._confirmed.append(event.year)
        self.calendar = self._calendar()

    def _status_moved(self, event: Any, stream: str) -> None:
        if isinstance(event, Assignment.Assigned):
            self.streams[stream] = Stream(
                str(event.plan_id), event.task_number, str(event.unit_id)
            )
        if event.simulated:
            return  # a rehearsal moves no status in the read model
        known = self.assignments.get(stream)
        if known is None and not isinstance(event, Assignment.Assigned):
            return  # an assignment the tables do not hold (left out of a snapshot)
        before, reported = (known.status, known.reported) if known else (None, False)
        if isinstance(event, Assignment.ProgressReported):
            reported = True
        status = status_after(type(event), before, reported=reported)
        self.assignments[stream] = AssignmentFacts(status or NOT_STARTED, reported)

    def _calendar(self) -> WorkingDayCalendar:
        recorded = self._recorded_base
        adjusted = self._overrides or self._confirmed
        if recorded is not None or adjusted or self._base_calendar is None:
            return calendar_from(self._overrides, self._confirmed, recorded)
        return self._base_calendar

    # ---- reading back --------------------------------------------------------------
    def load(self, store: ReadStore) -> None:
        """The facts as the tables hold them (every projection at the same position)."""
        self.clear()
        horizons = {
            r["plan_id"]: date.fromisoformat(r["horizon"])
            for r in store.query("SELECT plan_id, horizon FROM {s}rm_plan_horizons")
        }
        for row in store.query("SELECT * FROM {s}rm_plans"):
            issued = date.fromisoformat(row["issued_on"]) if row["issued_on"] else None
            self.plans[row["plan_id"]] = plan_facts(
                issued, json.loads(row["obligations"]), json.loads(row["targets"]),
                horizons.get(row["plan_id"]),
            )
            self.streams[row["plan_id"]] = Stream(plan_id=row["plan_id"])
        for row in store.query("SELECT unit_id, kind FROM {s}rm_units"):
            self.unit_kinds[row["unit_id"]] = row["kind"]
            self.streams[row["unit_id"]] = Stream(unit_id=row["unit_id"])
        for row in store.query("SELECT task_id, plan_id, number FROM {s}rm_tasks"):
            self.streams[row["task_id"]] = Stream(row["plan_id"], row["number"])
        for row in store.query(
            "SELECT assignment_id, plan_id, task_number, unit_id, status, reports "
            "FROM {s}rm_assignments"
        ):
            self.streams[row["assignment_id"]] = Stream(
                row["plan_id"], row["task_number"], row["unit_id"]
            )
            self.assignments[row["assignment_id"]] = AssignmentFacts(
                row["status"], row["reports"] > 0
            )
        self._overrides = {
            r["day"]: r["mark"] for r in store.query("SELECT day, mark FROM {s}rm_calendar")
        }
        self._confirmed = [
            r["year"] for r in store.query("SELECT year FROM {s}rm_calendar_years")
        ]
        latest = store.query(
            "SELECT rule_values FROM {s}rm_rules ORDER BY position DESC LIMIT 1"
        )
        if latest:
            recorded = json.loads(latest[0]["rule_values"])
            self._recorded_base = CalendarBase.from_recorded(
                recorded["calendar_package"], recorded["calendar_base"]
            )
        self.calendar = self._calendar()

"""The ledger application: commands that validate, decide and append events.

Interfaces (CLI, HTTP API, scheduler) build an :class:`Act` saying who acts and when,
then call one method here. A method either appends all its events in one transaction
or raises a :class:`~ledger.errors.LedgerError` having written nothing.
"""

from __future__ import annotations

import contextlib
import random
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from copy import deepcopy
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import DatabaseError as StoreDatabaseError
from eventsourcing.persistence import (
    IntegrityError,
    JSONTranscoder,
    OperationalError,
    ProgrammingError,
    Transcoding,
)
from eventsourcing.utils import get_topic

from ledger import ids
from ledger.acts import Act
from ledger.assignment import Assignment
from ledger.calendar import CalendarBase, ChineseCalendar
from ledger.clock import Clock, SystemClock
from ledger.cycle import Cycle
from ledger.duties import OwedReport, PlanDuty, owed_report, plan_duties
from ledger.errors import (
    ActionNotAllowed,
    ConcurrentWriteConflict,
    InvalidInput,
    LedgerError,
    NotAssigned,
    PeriodOutsidePlan,
    StoreUnavailable,
    UnknownPlan,
    UnknownTask,
    UnknownUnit,
)
from ledger.periods import Period
from ledger.plan import Plan, Task
from ledger.rules import DEFAULTS as RULE_DEFAULTS
from ledger.rules import RULES_SINCE, ReportingRules, RuleValues
from ledger.store import StoreConfig, prepare_sqlite_file, require_store
from ledger.unit import Unit
from ledger.validation import clean_text

AGG = TypeVar("AGG", bound=Aggregate)
T = TypeVar("T")

# Batched writes (the scheduler's day, the calendar) re-decide on fresh state this many
# times before the caller is told to retry.
MAX_ATTEMPTS = 5
# A single command meeting concurrent writes to its stream keeps re-deciding on the state
# they left until this much time has passed, and only then answers "conflict": every
# lost race means another writer got through, so a count of attempts would refuse
# ordinary bursts (50 reports at once on one assignment) while the ledger is healthy.
CONFLICT_DEADLINE_SECONDS = 5.0
# Between attempts a random pause up to a cap that doubles from the first to the longest,
# so that writers in different processes stop colliding in step.
FIRST_PAUSE_SECONDS = 0.001
LONGEST_PAUSE_SECONDS = 0.05
# A stream that met another process's write this recently is read before deciding (one
# read of the newer events) instead of trusting the cache and losing the race again.
CONTENDED_SECONDS = 2.0


class DateAsISO(Transcoding):
    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


@dataclass(frozen=True)
class Receipt:
    """What a command wrote: the stream, the ids of its new events, the position reached.

    ``created`` is False when the command found its outcome already recorded (same
    natural key, same idempotency key) and wrote nothing.
    """

    stream_id: UUID
    event_ids: tuple[UUID, ...]
    position: int | None
    created: bool = True

    @property
    def event_id(self) -> UUID | None:
        """The last event written, if any."""
        return self.event_ids[-1] if self.event_ids else None


@dataclass(frozen=True)
class OwedObligation:
    """A report an assignment owes: its own due date and any approved extension."""

    rule: str
    period: Period
    due_on: date
    extended_to: date | None
    reported: bool

    @property
    def effective_due_on(self) -> date:
        return self.extended_to or self.due_on


@dataclass(frozen=True)
class LedgerRecord:
    """One stored event with its place in the ledger (the notification id)."""

    position: int
    event: Any

    @property
    def type_name(self) -> str:
        return type(self.event).__name__

    @property
    def stream_type(self) -> str:
        return type(self.event).__qualname__.split(".")[0]

    @property
    def event_id(self) -> UUID:
        return ids.event_id(self.event.originator_id, self.event.originator_version)

    def to_dict(self) -> dict[str, Any]:
        """A plain JSON-able view: the envelope first, then the event's own facts."""
        fields = dict(vars(self.event))
        envelope = {
            "position": self.position,
            "event_id": str(self.event_id),
            "type": self.type_name,
            "stream_type": self.stream_type,
            "stream_id": str(fields.pop("originator_id")),
            "version": fields.pop("originator_version"),
            "recorded_at": fields.pop("timestamp").isoformat(),
            "business_date": fields.pop("business_date").isoformat(),
            "actor": fields.pop("actor"),
            "actor_role": fields.pop("actor_role"),
            "correlation_id": fields.pop("correlation_id"),
            "simulated": fields.pop("simulated"),
        }
        fields.pop("originator_topic", None)
        envelope["data"] = plain(fields)
        return envelope


@dataclass(frozen=True)
class UnreadableEvent:
    """A stored event this release cannot decode (a type from a newer release, say)."""

    position: int
    topic: str
    error: str


@dataclass(frozen=True)
class LogPage:
    """One page of the log, for a reader that keeps its own position (the projector)."""

    records: list[LedgerRecord]
    unreadable: list[UnreadableEvent]  # skipped, but the page's ``last`` moves past them
    last: int | None  # position of the last event read, readable or not; None: none read
    full: bool  # the page holds as many events as asked for: more may follow


_SCALARS = (str, int, float, bool, type(None))


def plain(value: Any) -> Any:
    """An event's value as JSON types: UUIDs and dates as text, tuples as lists."""
    if type(value) in _SCALARS:  # the common case first: this runs for every field
        return value
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


class Ledger(Application[UUID]):
    """All the accountability facts of every plan, as one ordered log of events."""

    name = "taskledger"

    def __init__(self, env: dict[str, str] | None = None, clock: Clock | None = None) -> None:
        self.clock: Clock = clock or SystemClock()
        self._stream_locks = _StreamLocks()
        self._contended: dict[UUID, float] = {}  # stream -> when it last met a conflict
        self._duties_cache: dict[tuple[UUID, int], tuple[list[PlanDuty], date]] = {}
        self._calendar_cache: tuple[tuple[int, int], ChineseCalendar] | None = None
        try:
            super().__init__(env)
        except (OperationalError, StoreDatabaseError) as error:
            raise StoreUnavailable(f"cannot open the ledger store: {_first_line(error)}") from None

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(DateAsISO())

    # ---- plumbing ------------------------------------------------------------------
    def _save(self, *aggregates: Aggregate) -> int | None:
        try:
            recordings = self.save(*aggregates)
        except IntegrityError:
            raise
        except (OperationalError, ProgrammingError, StoreDatabaseError) as error:
            raise StoreUnavailable(_store_message(error)) from None
        return max((r.notification.id for r in recordings), default=None)

    def _load(
        self,
        aggregate_id: UUID,
        kind: type[AGG],
        missing: Callable[[], Exception],
        *,
        fresh: bool = True,
    ) -> AGG:
        """Load an aggregate: ``fresh`` as stored; otherwise the process's cache as it is.

        The cache may be stale when other processes write; commands tolerate that
        (see :meth:`_change`), queries always read fresh. A fresh load reads only the
        events after the cached copy's version (:meth:`_fast_forwarded`).
        """
        try:
            if fresh:
                aggregate = self._fast_forwarded(aggregate_id)
            else:
                aggregate = self.repository.get(aggregate_id, projector_func=_project)
        except AggregateNotFoundError:
            raise missing() from None
        except (OperationalError, ProgrammingError, StoreDatabaseError) as error:
            raise StoreUnavailable(_store_message(error)) from None
        if not isinstance(aggregate, kind):
            raise missing()
        return aggregate

    def _fast_forwarded(self, aggregate_id: UUID) -> Aggregate:
        """The stored state: the cached copy brought up to date with only the events
        after its version, and cached again; a full replay only when nothing is cached.

        Safe because events are immutable and (stream, version) is unique in the store:
        a copy at version V is the replay of the stored events 1..V, whoever wrote them.
        """
        cache = self.repository.cache
        cached = None
        if cache is not None:
            with contextlib.suppress(KeyError):
                cached = cache.get(aggregate_id)
        if cached is None:
            aggregate = _project(None, self.repository.event_store.get(aggregate_id))
            if aggregate is None:
                raise AggregateNotFoundError(aggregate_id)
        else:
            aggregate = deepcopy(cached)  # commands mutate what they load; the cache stays
            newer = list(self.repository.event_store.get(aggregate_id, gt=aggregate.version))
            if not newer:
                return aggregate
            aggregate = _project(aggregate, newer)
        if cache is not None:
            cache.put(aggregate_id, deepcopy(aggregate))
        return aggregate

    def _forget(self, aggregate_id: UUID) -> None:
        """Drop a possibly stale aggregate from this process's cache."""
        if self.repository.cache is not None:
            with contextlib.suppress(KeyError):
                self.repository.cache.get(aggregate_id, evict=True)

    def find(self, aggregate_id: UUID) -> Aggregate | None:
        """The aggregate with this id as stored, or None: for commands touching many."""
        try:
            return self._load(aggregate_id, Aggregate, lambda: KeyError(aggregate_id))
        except KeyError:
            return None

    def commit(self, *aggregates: Aggregate) -> int | None:
        """Save the pending events of several aggregates in one transaction, or none."""
        if not any(a.pending_events for a in aggregates):
            return None
        try:
            return self._save(*aggregates)
        except IntegrityError:
            raise ConcurrentWriteConflict(
                "another writer changed the same records at the same moment; retry"
            ) from None

    def _exists(self, aggregate_id: UUID) -> bool:
        try:
            return aggregate_id in self.repository
        except (OperationalError, ProgrammingError, StoreDatabaseError) as error:
            raise StoreUnavailable(_store_message(error)) from None

    def _change(
        self,
        stream: UUID,
        kind: type[AGG],
        missing: Callable[[], Exception],
        decide: Callable[[AGG], T],
        expected_version: int | None = None,
    ) -> tuple[T, int | None]:
        """Load, decide, save; on a concurrent write, decide again on the state it left.

        With ``expected_version`` the caller acted on a state it saw: no retry, a
        changed stream is a conflict at once.

        Otherwise the threads of this process take turns on the stream (they would only
        collide), and a write that meets another process's write brings its copy up to
        date with the events after it (not a replay), pauses a random moment and decides
        again, until ``CONFLICT_DEADLINE_SECONDS`` after the call began: only then is it
        refused as a conflict, whatever the number of attempts.
        """
        if expected_version is not None:
            return self._change_once(stream, kind, missing, decide, expected_version)
        deadline = time.monotonic() + CONFLICT_DEADLINE_SECONDS
        with self._stream_locks.holding(stream, CONFLICT_DEADLINE_SECONDS) as turn:
            if not turn:
                raise ConcurrentWriteConflict(
                    f"the record stayed busy with other updates for "
                    f"{CONFLICT_DEADLINE_SECONDS:g}s; retry"
                )
            pause = FIRST_PAUSE_SECONDS
            fresh = self._lately_contended(stream)
            while True:
                # First try on the cached state: no read at all (unless other processes
                # are writing this stream just now). A stale cache cannot do harm: a
                # write decided on it conflicts in the store (then we decide again on the
                # stored state), and a refusal decided on it is checked again on the
                # stored state below.
                aggregate = self._load(stream, kind, missing, fresh=fresh)
                try:
                    result = decide(aggregate)
                except LedgerError:
                    if fresh:
                        raise
                    aggregate = self._load(stream, kind, missing, fresh=True)
                    result = decide(aggregate)
                if not aggregate.pending_events:
                    return result, None
                try:
                    return result, self._save(aggregate)
                except IntegrityError:
                    fresh = True
                    self._contended[stream] = time.monotonic()
                    left = deadline - time.monotonic()
                    if left <= 0:
                        raise ConcurrentWriteConflict(
                            f"other updates to the same record kept arriving for "
                            f"{CONFLICT_DEADLINE_SECONDS:g}s; retry"
                        ) from None
                    time.sleep(min(left, random.uniform(0, pause)))
                    pause = min(pause * 2, LONGEST_PAUSE_SECONDS)

    def _lately_contended(self, stream: UUID) -> bool:
        since = self._contended.get(stream)
        if since is None:
            return False
        if time.monotonic() - since < CONTENDED_SECONDS:
            return True
        self._contended.pop(stream, None)  # quiet again: trust the cache
        return False

    def _change_once(
        self,
        stream: UUID,
        kind: type[AGG],
        missing: Callable[[], Exception],
        decide: Callable[[AGG], T],
        expected_version: int,
    ) -> tuple[T, int | None]:
        """Decide on the stored state the caller saw, or refuse at once."""
        aggregate = self._load(stream, kind, missing, fresh=True)
        result = self._decide(aggregate, decide, expected_version)
        if not aggregate.pending_events:
            return result, None
        try:
            return result, self._save(aggregate)
        except IntegrityError:
            raise ConcurrentWriteConflict(
                f"the record changed (you saw version {expected_version}); reload and try again"
            ) from None

    @staticmethod
    def _decide(aggregate: AGG, decide: Callable[[AGG], T], expected_version: int | None) -> T:
        if expected_version is not None and aggregate.version != expected_version:
            raise ConcurrentWriteConflict(
                f"the record changed (version {aggregate.version}, you saw "
                f"{expected_version}); reload and try again"
            )
        return decide(aggregate)

    # ---- units ---------------------------------------------------------------------
    def register_unit(self, act: Act, name: str, kind: str, aliases: Sequence[str] = ()) -> Receipt:
        """Register a unit once; registering it again adds only aliases it lacked."""
        unit_id = ids.unit_id(name.strip())
        if self._exists(unit_id):

            def add_aliases(unit: Unit) -> None:
                for alias in aliases:
                    unit.add_alias(act, alias)

            _, position = self._change(unit_id, Unit, lambda: UnknownUnit(name), add_aliases)
            return Receipt(unit_id, (), position, created=False)
        unit = Unit.register(act, unit_id, name, kind, aliases)
        return self._create(unit)

    def assign_liaison(self, act: Act, unit_id: UUID, **contact: str) -> Receipt:
        """Set the unit's whole contact (name, phone, email, webhook); fields not given
        are cleared. The same contact again writes nothing (``created`` False)."""
        return self._on_unit(unit_id, lambda unit: unit.assign_liaison(act, **contact))

    def update_liaison(self, act: Act, unit_id: UUID, **changes: str) -> Receipt:
        """Change only the contact fields given ("" clears one), decided on the state
        the write lands on, so two clerks' edits of different fields both count."""
        return self._on_unit(unit_id, lambda unit: unit.update_liaison(act, **changes))

    def _on_unit(self, unit_id: UUID, decide: Callable[[Unit], UUID | None]) -> Receipt:
        # A contact can change back and forth, so "already so" decided on a stale cached
        # copy could skip a needed write (another process changed it meanwhile). Contacts
        # change rarely: decide on the stored state.
        self._forget(unit_id)
        event, position = self._change(
            unit_id, Unit, lambda: UnknownUnit(f"no unit {unit_id}"), decide
        )
        return Receipt(unit_id, (event,) if event else (), position, created=event is not None)

    def get_unit(self, unit_id: UUID) -> Unit:
        return self._load(unit_id, Unit, lambda: UnknownUnit(f"unknown unit {unit_id}"))

    # ---- plans and tasks -----------------------------------------------------------
    def get_plan(self, plan_id: UUID) -> Plan:
        return self._load(plan_id, Plan, lambda: UnknownPlan(f"unknown plan {plan_id}"))

    def get_task(self, task_id: UUID) -> Task:
        return self._load(task_id, Task, lambda: UnknownTask(f"unknown task {task_id}"))

    def task_numbered(self, plan_id: UUID, number: str) -> Task:
        return self._load(
            ids.task_id(plan_id, number),
            Task,
            lambda: UnknownTask(f"plan has no task numbered {number!r}"),
        )

    def register_plan(self, act: Act, natural_key: str, **facts: Any) -> Receipt:
        plan_id = ids.plan_id(natural_key)
        if self._exists(plan_id):
            return Receipt(plan_id, (), None, created=False)
        return self._create(Plan.register(act, plan_id, natural_key=natural_key, **facts))

    def configure_ladder(self, act: Act, plan_id: UUID, policy: Any) -> Receipt:
        """Set a plan's escalation ladder (a ``LadderPolicy``); the same again writes nothing."""
        _, position = self._change(
            plan_id, Plan, lambda: UnknownPlan(f"unknown plan {plan_id}"),
            lambda plan: plan.configure_ladder(act, policy.as_dict()),
        )
        return Receipt(plan_id, (), position, created=position is not None)

    def register_task(self, act: Act, plan_id: UUID, number: str, **facts: Any) -> Receipt:
        self.get_plan(plan_id)
        task_id = ids.task_id(plan_id, number)
        if self._exists(task_id):
            return Receipt(task_id, (), None, created=False)
        return self._create(Task.register(act, task_id, plan_id=plan_id, number=number, **facts))

    def _create(self, aggregate: Aggregate) -> Receipt:
        try:
            position = self._save(aggregate)
        except IntegrityError:
            # Someone created the same natural key a moment ago: that is the outcome
            # the caller wanted, so report it as already there.
            return Receipt(aggregate.id, (), None, created=False)
        return Receipt(aggregate.id, (ids.event_id(aggregate.id, 1),), position)

    # ---- assignments ---------------------------------------------------------------
    def assign(
        self, act: Act, task_id: UUID, unit_id: UUID, role: str, source: str = "office"
    ) -> Receipt:
        """Put a unit on a task (责任清单). Assigning again changes nothing."""
        task = self.get_task(task_id)
        unit = self.get_unit(unit_id)
        assignment_id = ids.assignment_id(task_id, unit_id)
        if self._exists(assignment_id):
            existing = self.get_assignment(assignment_id)
            if existing.status == "withdrawn":
                return self._on_assignment(
                    act,
                    assignment_id,
                    lambda a: a.reinstate(act, role, f"assigned again by {act.actor}") or None,
                )
            return Receipt(assignment_id, (), None, created=False)
        assignment = Assignment.assign(
            act,
            assignment_id,
            plan_id=task.plan_id,
            task_id=task_id,
            unit_id=unit_id,
            task_number=task.number,
            unit_name=unit.name,
            role=role,
            source=source,
        )
        return self._create(assignment)

    def get_assignment(self, assignment_id: UUID) -> Assignment:
        return self._load(
            assignment_id, Assignment, lambda: NotAssigned(f"no assignment {assignment_id}")
        )

    def unit_of_assignment(self, assignment_id: UUID) -> UUID:
        """Which unit an assignment belongs to (immutable, so the cache may answer)."""
        return self._load(
            assignment_id, Assignment, lambda: NotAssigned(f"no assignment {assignment_id}"),
            fresh=False,
        ).unit_id

    def assignment_of(self, task_id: UUID, unit_id: UUID) -> Assignment:
        task = self.get_task(task_id)
        unit = self.get_unit(unit_id)
        return self._load(
            ids.assignment_id(task_id, unit_id),
            Assignment,
            lambda: NotAssigned(f"{unit.name} is not assigned to task {task.number}"),
        )

    def _on_assignment(
        self,
        act: Act,
        assignment_id: UUID,
        decide: Callable[[Assignment], UUID | None],
        expected_version: int | None = None,
    ) -> Receipt:
        event, position = self._change(
            assignment_id,
            Assignment,
            lambda: NotAssigned(f"no assignment {assignment_id}"),
            decide,
            expected_version,
        )
        return Receipt(assignment_id, (event,) if event else (), position)

    def report_progress(
        self,
        act: Act,
        assignment_id: UUID,
        period: str,
        narrative: str,
        metrics: dict[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> Receipt:
        """A unit reports progress for a period; a repeated idempotency key writes nothing."""
        parsed = Period.parse(period)
        outcome: dict[str, bool] = {}
        attempts = [0]

        def decide(a: Assignment) -> UUID:
            fresh, attempts[0] = attempts[0] > 0, attempts[0] + 1
            self._check_period_in_plan(a.plan_id, parsed, act)
            event, created = a.report_progress(
                act, parsed, narrative, metrics, idempotency_key, self._targets(a, fresh)
            )
            outcome["created"] = created
            return event

        event, position = self._change(
            assignment_id,
            Assignment,
            lambda: NotAssigned(f"no assignment {assignment_id}"),
            decide,
        )
        return Receipt(assignment_id, (event,), position, created=outcome["created"])

    def _check_period_in_plan(self, plan_id: UUID, period: Period, act: Act) -> None:
        try:
            # Read-only look at the cached plan (no defensive copy). A closure made a
            # moment ago by another process may not be seen yet; a report is a fact
            # either way, and the office sees it in the audit trail.
            plan = self.repository.get(plan_id, projector_func=_project, deepcopy_from_cache=False)
        except AggregateNotFoundError:
            raise UnknownPlan(f"unknown plan {plan_id}") from None
        if plan.issued_on and period.end < plan.issued_on.replace(day=1):
            raise PeriodOutsidePlan(
                f"period {period} ends before the plan was issued ({plan.issued_on})",
                field="period",
            )
        if plan.closed_on and period.start > plan.closed_on:
            raise PeriodOutsidePlan(
                f"period {period} starts after the plan was closed ({plan.closed_on})",
                field="period",
            )
        if period.start > act.business_date:
            raise PeriodOutsidePlan(
                f"period {period} has not started yet (business date {act.business_date})",
                field="period",
            )

    def correct_progress(
        self,
        act: Act,
        assignment_id: UUID,
        corrects: UUID,
        narrative: str | None,
        metrics: dict[str, Any] | None,
        reason: str,
    ) -> Receipt:
        """Correct a report (or a correction of one): ``narrative`` None keeps the
        wording; in ``metrics`` a number sets a figure, None removes it, and figures
        not named keep their values. Figures set are checked against the task's targets."""
        attempts = [0]

        def decide(a: Assignment) -> UUID:
            fresh, attempts[0] = attempts[0] > 0, attempts[0] + 1
            return a.correct_progress(
                act, corrects, narrative, metrics, reason, self._targets(a, fresh)
            )

        return self._on_assignment(act, assignment_id, decide)

    def _targets(self, assignment: Assignment, fresh: bool) -> list[dict[str, Any]]:
        """The task's targets, which the figures of a report are checked against."""
        if fresh:
            return self.get_task(assignment.task_id).targets
        return self._cached(assignment.task_id, Task, lambda: UnknownTask("unknown task")).targets

    def issue_reminder(
        self,
        act: Act,
        assignment_id: UUID,
        obligation: str,
        period: str,
        due_on: date | None,
        reason: str,
        evidence: Sequence[UUID] = (),
        *,
        once: bool = False,
        trigger: dict[str, Any] | None = None,
    ) -> Receipt:
        return self._chase(
            "issue_reminder", act, assignment_id, obligation, period, due_on, reason, evidence,
            once, trigger,
        )

    def issue_urge(
        self,
        act: Act,
        assignment_id: UUID,
        obligation: str,
        period: str,
        due_on: date | None,
        reason: str,
        evidence: Sequence[UUID] = (),
        *,
        once: bool = False,
        trigger: dict[str, Any] | None = None,
    ) -> Receipt:
        return self._chase(
            "issue_urge", act, assignment_id, obligation, period, due_on, reason, evidence,
            once, trigger,
        )

    def escalate(
        self,
        act: Act,
        assignment_id: UUID,
        obligation: str,
        period: str,
        due_on: date | None,
        reason: str,
        evidence: Sequence[UUID] = (),
        *,
        once: bool = False,
        trigger: dict[str, Any] | None = None,
    ) -> Receipt:
        return self._chase(
            "escalate", act, assignment_id, obligation, period, due_on, reason, evidence,
            once, trigger,
        )

    def _chase(
        self,
        method: str,
        act: Act,
        assignment_id: UUID,
        obligation: str,
        period: str,
        due_on: date | None,
        reason: str,
        evidence: Sequence[UUID],
        once: bool,
        trigger: dict[str, Any] | None,
    ) -> Receipt:
        """A reminder, urge or escalation, checked against the obligation it names.

        The scheduler's ladder steps (``once`` with a ``trigger``) are not checked again:
        ``scheduler.ladder`` lays them out from the read models' obligations, which the
        projector computes with the same :func:`ledger.duties.owed_reports` and calendar,
        and passes each obligation's own (extended) due date; re-deriving every step of
        a day's batch from the plan and calendar would only repeat that work.
        """
        ladder_step = once and trigger is not None
        rule = clean_text(obligation, "obligation", limit=200)
        parsed = Period.parse(period)
        attempts = [0]

        def decide(a: Assignment) -> UUID | None:
            fresh, attempts[0] = attempts[0] > 0, attempts[0] + 1
            owed = None if ladder_step else (
                lambda: self._owed_report(a, rule, parsed, act.business_date, fresh=fresh)
            )
            return getattr(a, method)(
                act, rule, str(parsed), due_on, reason, list(evidence), once, trigger,
                owed=owed,
            )

        event, position = self._change(
            assignment_id, Assignment, lambda: NotAssigned(f"no assignment {assignment_id}"),
            decide,
        )
        return Receipt(
            assignment_id, (event,) if event else (), position, created=position is not None
        )

    # ---- obligations -------------------------------------------------------------------
    def owed(
        self,
        assignment_id: UUID,
        obligation: str,
        period: str,
        business_date: date | None = None,
    ) -> OwedObligation:
        """Whether the assignment owes this report (rule and period) and when it is due.

        Raises :class:`ObligationNotOwed` when the plan does not lay it out for this
        assignment or its period has not begun by ``business_date`` (today by default).
        """
        assignment = self.get_assignment(assignment_id)
        rule = clean_text(obligation, "obligation", limit=200)
        parsed = Period.parse(period)
        day = business_date or self.clock.today()
        report = self._owed_report(assignment, rule, parsed, day, fresh=True)
        extended = assignment.extended_to.get(f"{rule}|{parsed}")
        return OwedObligation(
            rule=rule,
            period=parsed,
            due_on=report.due_on,
            extended_to=extended,
            reported=assignment.reported_on.get(str(parsed), date.max) <= day,
        )

    def _owed_report(
        self, assignment: Assignment, rule: str, period: Period, day: date, *, fresh: bool
    ) -> OwedReport:
        """The plan's obligation (due date before extensions) or ObligationNotOwed.

        ``fresh`` False reads the plan and unit from this process's cache (a command's
        first try); a refusal is then decided again on fresh state (see :meth:`_change`),
        while a chase accepted on a plan amended or closed a moment ago by another
        process stands, as a report does (the office sees it in the audit trail).
        The calendar is always checked against the store: a due date must not come from
        a calendar another process has since adjusted.
        """
        if fresh:
            plan = self.get_plan(assignment.plan_id)
            unit = self.get_unit(assignment.unit_id)
        else:
            plan = self._cached(assignment.plan_id, Plan, lambda: UnknownPlan("unknown plan"))
            unit = self._cached(assignment.unit_id, Unit, lambda: UnknownUnit("unknown unit"))
        facts = self._plan_facts(plan)
        active_from = (
            plan.issued_on
            if assignment.source == "document" and plan.issued_on
            else assignment.assigned_on
        )
        return owed_report(
            facts[0],
            rule,
            period,
            task_number=assignment.task_number,
            unit_name=assignment.unit_name,
            unit_kind=unit.kind,
            active_from=active_from,
            horizon=facts[1],
            closed_on=plan.closed_on,
            business_date=day,
            calendar=self.working_calendar(),
        )

    def _cached(self, aggregate_id: UUID, kind: type[AGG], missing: Callable[[], Exception]) -> AGG:
        """A read-only look at a cached aggregate (no defensive copy): never mutate it."""
        try:
            aggregate = self.repository.get(
                aggregate_id, projector_func=_project, deepcopy_from_cache=False
            )
        except AggregateNotFoundError:
            raise missing() from None
        except (OperationalError, ProgrammingError, StoreDatabaseError) as error:
            raise StoreUnavailable(_store_message(error)) from None
        if not isinstance(aggregate, kind):
            raise missing()
        return aggregate

    def _plan_facts(self, plan: Plan) -> tuple[list[PlanDuty], date]:
        """A plan's duties and obligation horizon, kept per plan version."""
        key = (plan.id, plan.version)
        facts = self._duties_cache.get(key)
        if facts is None:
            facts = (plan_duties(plan.obligations), plan.horizon_in_force)
            self._duties_cache[key] = facts
        return facts

    def acknowledge_escalation(
        self,
        act: Act,
        assignment_id: UUID,
        escalation: UUID,
        platform_reference: str,
        note: str = "",
        resolved: bool = False,
    ) -> Receipt:
        return self._on_assignment(
            act,
            assignment_id,
            lambda a: a.acknowledge_escalation(act, escalation, platform_reference, note, resolved),
        )

    def acknowledge_chase(
        self, act: Act, assignment_id: UUID, chase: UUID, note: str = ""
    ) -> Receipt:
        """The unit signs for (签收) a reminder or urge; the second time writes nothing and
        returns the first acknowledgement."""
        outcome: dict[str, bool] = {}

        def decide(a: Assignment) -> UUID:
            event, created = a.acknowledge_chase(act, chase, note)
            outcome["created"] = created
            return event

        event, position = self._change(
            assignment_id,
            Assignment,
            lambda: NotAssigned(f"no assignment {assignment_id}"),
            decide,
        )
        return Receipt(assignment_id, (event,), position, created=outcome["created"])

    def request_extension(
        self,
        act: Act,
        assignment_id: UUID,
        obligation: str,
        period: str,
        requested_due_on: date,
        reason: str,
    ) -> Receipt:
        rule = clean_text(obligation, "obligation", limit=200)
        parsed = Period.parse(period)
        attempts = [0]

        def decide(a: Assignment) -> UUID:
            fresh, attempts[0] = attempts[0] > 0, attempts[0] + 1
            return a.request_extension(
                act, rule, str(parsed), requested_due_on, reason,
                lambda: self._owed_report(a, rule, parsed, act.business_date, fresh=fresh),
            )

        return self._on_assignment(act, assignment_id, decide)

    def decide_extension(
        self,
        act: Act,
        assignment_id: UUID,
        request: UUID,
        approved: bool,
        new_due_on: date | None = None,
        note: str = "",
    ) -> Receipt:
        attempts = [0]

        def decide(a: Assignment) -> UUID:
            fresh, attempts[0] = attempts[0] > 0, attempts[0] + 1
            due = new_due_on
            if approved and due is None:
                due = _requested_due_on(self, a, request)

            def owed() -> OwedReport:
                rule, period = a.extension_request(request)
                return self._owed_report(
                    a, rule, Period.parse(period), act.business_date, fresh=fresh
                )

            return a.decide_extension(act, request, approved, due, note, owed)

        return self._on_assignment(act, assignment_id, decide)

    def complete(
        self, act: Act, assignment_id: UUID, note: str = "", expected_version: int | None = None
    ) -> Receipt:
        return self._on_assignment(
            act, assignment_id, lambda a: a.complete(act, note), expected_version
        )

    def reopen(
        self, act: Act, assignment_id: UUID, reason: str, expected_version: int | None = None
    ) -> Receipt:
        return self._on_assignment(
            act, assignment_id, lambda a: a.reopen(act, reason), expected_version
        )

    def withdraw(
        self, act: Act, assignment_id: UUID, reason: str, expected_version: int | None = None
    ) -> Receipt:
        return self._on_assignment(
            act, assignment_id, lambda a: a.withdraw(act, reason), expected_version
        )

    def on_many_assignments(
        self, act: Act, decisions: dict[UUID, Callable[[Assignment], T]]
    ) -> dict[UUID, T]:
        """Apply one decision to each of many assignments, all in one transaction.

        For the scheduler's day: hundreds of reminders commit together (one fsync, not
        hundreds). A conflict with another writer re-decides everything on fresh state.
        """
        for attempt in range(MAX_ATTEMPTS):
            fresh = attempt > 0
            results: dict[UUID, T] = {}
            aggregates = []
            for assignment_id, decide in decisions.items():
                aggregate = self._load(
                    assignment_id, Assignment,
                    lambda i=assignment_id: NotAssigned(f"no assignment {i}"), fresh=fresh,
                )
                try:
                    results[assignment_id] = decide(aggregate)
                except LedgerError as error:
                    results[assignment_id] = error  # type: ignore[assignment]
                aggregates.append(aggregate)
            try:
                self.commit(*aggregates)
            except ConcurrentWriteConflict:
                for assignment_id in decisions:
                    self._forget(assignment_id)
                continue
            return results
        raise ConcurrentWriteConflict("other writers kept changing the same records; retry")

    # ---- deliveries ----------------------------------------------------------------
    def delivery_recorded(self, unit_id: UUID, delivery_id: str) -> bool:
        """Whether the outcome of this delivery is already a ledger fact."""
        return delivery_id in self._load(
            unit_id, Unit, lambda: UnknownUnit(f"unknown unit {unit_id}"), fresh=True
        ).deliveries

    def record_delivery(self, act: Act, unit_id: UUID, **outcome: Any) -> Receipt:
        """Record that chasers reached (or could not reach) a unit's contact or the
        platform; recording the same delivery again writes nothing."""
        created: dict[str, bool] = {}

        def decide(unit: Unit) -> UUID | None:
            created["new"] = unit.record_delivery(act, **outcome)
            return ids.event_id(unit.id, unit.version) if created["new"] else None

        event, position = self._change(
            unit_id, Unit, lambda: UnknownUnit(f"unknown unit {unit_id}"), decide
        )
        return Receipt(unit_id, (event,) if event else (), position, created=created["new"])

    # ---- cycles --------------------------------------------------------------------
    def record_cycle(
        self, act: Act, kind: str, period: str, snapshot: dict[str, Any], scope: str = ""
    ) -> Receipt:
        """Record a cycle run; the same (kind, period, scope) twice records it once."""
        cycle_id = ids.cycle_id(kind, period, scope)
        if self._exists(cycle_id):
            return Receipt(cycle_id, (), None, created=False)
        return self._create(Cycle.run(act, cycle_id, kind, period, scope, snapshot))

    # ---- the working-day calendar --------------------------------------------------------
    def working_calendar(self) -> ChineseCalendar:
        """Chinese holidays and 调休 as recorded (:mod:`ledger.rules`; the installed
        package's data for a store that recorded none), with the office's adjustments.

        Rebuilt only when the office's calendar log or the recorded rules have changed:
        one indexed read of each stream's latest version, instead of replaying them on
        every call (the API and the chaser checks ask several times per request). A
        calendar is never changed once made, so one instance can serve every caller.
        """
        from ledger.calendar_log import CalendarLog

        log_id = ids.calendar_log_id()
        version = (self._latest_version(log_id), self._latest_version(ids.reporting_rules_id()))
        cached = self._calendar_cache
        if cached is None or cached[0] != version:
            log = self.find(log_id)
            rules = self.reporting_rules()
            base = rules.base() if rules is not None else None
            calendar = (
                log.calendar(base) if isinstance(log, CalendarLog) else ChineseCalendar(base=base)
            )
            cached = self._calendar_cache = (version, calendar)
        return cached[1]

    def _latest_version(self, stream: UUID) -> int:
        try:
            latest = self.recorder.select_events(stream, desc=True, limit=1)
        except (OperationalError, ProgrammingError, StoreDatabaseError) as error:
            raise StoreUnavailable(_store_message(error)) from None
        return latest[0].originator_version if latest else 0

    def _registered_plans(self) -> list[UUID]:
        """Every plan's id, from the store's index of event topics (nothing decoded)."""
        topic = get_topic(Plan.Registered)
        found, start = [], 1
        while True:
            try:
                page = self.recorder.select_notifications(start, 1000, topics=[topic])
            except (OperationalError, ProgrammingError, StoreDatabaseError) as error:
                raise StoreUnavailable(_store_message(error)) from None
            found.extend(n.originator_id for n in page)
            if len(page) < 1000:
                return found
            start = page[-1].id + 1

    # ---- the rules reports are judged by ----------------------------------------------
    def reporting_rules(self) -> ReportingRules | None:
        """The rules as last recorded, or None for a store that never recorded any."""
        found = self.find(ids.reporting_rules_id())
        return found if isinstance(found, ReportingRules) else None

    def record_rules_once(self, act: Act) -> Receipt:
        """Record the code's default rules and the installed package's holiday data as
        version 1, counting from :data:`~ledger.rules.RULES_SINCE`; nothing if any are
        recorded already (``taskledger db init`` calls this every time)."""
        rules_id = ids.reporting_rules_id()
        if self._exists(rules_id):
            return Receipt(rules_id, (), None, created=False)
        return self._create(
            ReportingRules.open(act.on(RULES_SINCE), rules_id, RULE_DEFAULTS,
                                CalendarBase.from_package())
        )

    def record_rules(
        self, act: Act, values: RuleValues, base: CalendarBase | None = None
    ) -> Receipt:
        """Record a new version of the rules (``base`` None keeps the calendar data);
        the same values again write nothing."""
        rules_id = ids.reporting_rules_id()
        if not self._exists(rules_id):
            self.record_rules_once(act)
        _, position = self._change(
            rules_id, ReportingRules, lambda: ActionNotAllowed("no rules are recorded"),
            lambda rules: rules.record(act, values, base),
        )
        return Receipt(rules_id, (), position, created=position is not None)

    def record_missing_horizons(self, act: Act) -> list[Receipt]:
        """Give every plan registered before horizons were recorded its horizon, once,
        dated as the plan's issue (the day its obligations counted from)."""
        receipts = []
        for plan_id in self._registered_plans():
            plan = self.get_plan(plan_id)
            if plan.horizon is not None:
                continue
            dated = act.on(min(plan.issued_on or act.business_date, act.business_date))
            _, position = self._change(
                plan_id, Plan, lambda gone=plan_id: UnknownPlan(f"unknown plan {gone}"),
                lambda p, dated=dated: p.record_horizon(dated),
            )
            if position is not None:
                receipts.append(Receipt(plan_id, (), position))
        return receipts

    def adjust_calendar(
        self,
        act: Act,
        *,
        marks: Sequence[tuple[date, str]] = (),
        confirm_years: Sequence[int] = (),
        note: str = "",
    ) -> Receipt:
        """Mark days as working days or holidays and/or confirm years, in one go."""
        from ledger.calendar_log import CalendarLog

        log_id = ids.calendar_log_id()
        for _attempt in range(MAX_ATTEMPTS):
            log = self.find(log_id)
            if log is None:
                log = CalendarLog.open(act, log_id)
            assert isinstance(log, CalendarLog)
            for day, mark in marks:
                log.mark(act, day, mark, note)
            for year in confirm_years:
                log.confirm(act, year, note)
            try:
                position = self.commit(log)
            except ConcurrentWriteConflict:
                continue
            return Receipt(log_id, (), position, created=position is not None)
        raise ConcurrentWriteConflict("the calendar changed at the same moment; retry")

    # ---- briefings --------------------------------------------------------------------
    def record_briefing(
        self,
        act: Act,
        *,
        kind: str,
        period: str,
        as_of: date,
        position: int,
        sha256: str,
        pages: int,
        filename: str,
    ) -> Receipt:
        """Record that a briefing was issued; the same one again records nothing.

        "The same one" is the same kind, period, as-of date and position (and scope: a
        rehearsal's briefings are its own); its bytes must then be the same too."""
        from ledger.briefing import Briefing
        from ledger.errors import ConflictError

        if position < 0 or position > self.position():
            raise InvalidInput(f"position {position} is outside the ledger", field="position")
        briefing_id = ids.briefing_id(kind, period, as_of, position,
                                      "simulated" if act.simulated else "")
        found = self.find(briefing_id)
        if found is None:
            receipt = self._create(
                Briefing.issue(
                    act,
                    briefing_id,
                    kind=kind,
                    period=period,
                    as_of=as_of,
                    position=position,
                    sha256=sha256,
                    pages=pages,
                    filename=filename,
                )
            )
            if receipt.created:
                return receipt
            found = self.find(briefing_id)  # another issuer recorded it a moment ago
        assert isinstance(found, Briefing)
        if found.sha256 != sha256:
            raise ConflictError(
                f"briefing {briefing_id} was issued with SHA-256 {found.sha256}, not {sha256}"
            )
        return Receipt(briefing_id, (), None, created=False)

    def issued_briefing(
        self, *, kind: str, period: str, as_of: date, position: int, simulated: bool = False
    ) -> Any:
        """The briefing already issued for (kind, period, as-of, position), or None."""
        from ledger.briefing import Briefing

        found = self.find(ids.briefing_id(kind, period, as_of, position,
                                          "simulated" if simulated else ""))
        return found if isinstance(found, Briefing) else None

    # ---- reading the log -----------------------------------------------------------
    def position(self) -> int:
        """The ledger position: how many events it holds (the highest notification id)."""
        try:
            return self.recorder.max_notification_id() or 0
        except (OperationalError, ProgrammingError, StoreDatabaseError) as error:
            raise StoreUnavailable(_store_message(error)) from None

    def records(
        self, after: int = 0, upto: int | None = None, batch: int = 1000
    ) -> Iterator[LedgerRecord]:
        """Every stored event after position ``after`` (up to ``upto``), in ledger order."""
        start = min(after, 2**63 - 2) + 1  # positions are signed 64-bit in both stores
        while True:
            try:
                notifications = self.recorder.select_notifications(
                    start=start, limit=batch, stop=upto
                )
            except (OperationalError, ProgrammingError, StoreDatabaseError) as error:
                raise StoreUnavailable(_store_message(error)) from None
            for notification in notifications:
                yield LedgerRecord(notification.id, self.mapper.to_domain_event(notification))
            if len(notifications) < batch:
                return
            start = notifications[-1].id + 1

    def read_page(self, after: int, limit: int, upto: int | None = None) -> LogPage:
        """Up to ``limit`` stored events after position ``after`` (up to ``upto``).

        Unlike :meth:`records`, an event this release cannot decode does not stop the
        reader: it comes back in ``unreadable`` and the page still moves past it."""
        start = min(after, 2**63 - 2) + 1  # positions are signed 64-bit in both stores
        try:
            notifications = self.recorder.select_notifications(
                start=start, limit=limit, stop=upto
            )
        except (OperationalError, ProgrammingError, StoreDatabaseError) as error:
            raise StoreUnavailable(_store_message(error)) from None
        records: list[LedgerRecord] = []
        unreadable: list[UnreadableEvent] = []
        decode = self.mapper.to_domain_event
        for notification in notifications:
            try:
                event = decode(notification)
            except Exception as error:  # whatever the transcoder or the topic resolver raise
                unreadable.append(UnreadableEvent(notification.id, notification.topic, str(error)))
                continue
            records.append(LedgerRecord(notification.id, event))
        last = notifications[-1].id if notifications else None
        return LogPage(records, unreadable, last, full=len(notifications) >= limit)


class _StreamLocks:
    """One lock per stream within a process, held by a command from load to save.

    Threads writing the same stream in one process would only collide in the store and
    re-decide; taking turns, each decides on the state the previous one left in the
    cache. Locks exist only while someone holds or waits for them.
    """

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: dict[UUID, tuple[threading.RLock, int]] = {}

    @contextlib.contextmanager
    def holding(self, stream: UUID, timeout: float) -> Iterator[bool]:
        """Yield True holding the stream's lock, or False after ``timeout`` seconds."""
        with self._guard:
            lock, users = self._locks.get(stream, (None, 0))
            lock = lock or threading.RLock()
            self._locks[stream] = (lock, users + 1)
        try:
            acquired = lock.acquire(timeout=max(timeout, 0.0))
            try:
                yield acquired
            finally:
                if acquired:
                    lock.release()
        finally:
            with self._guard:
                _, users = self._locks[stream]
                if users == 1:
                    del self._locks[stream]
                else:
                    self._locks[stream] = (lock, users - 1)


def _project(aggregate: Any, events: Any) -> Any:
    """Replay events onto an aggregate.

    The library's default projector asserts a runtime-checkable Protocol on every
    event, which costs about a third of a command's time on Python 3.11; the events
    here are always our own aggregate events.
    """
    for event in events:
        aggregate = event.mutate(aggregate)
    return aggregate


def _requested_due_on(ledger: Ledger, assignment: Assignment, request: UUID) -> date | None:
    for record in ledger.repository.event_store.get(assignment.id):
        if (
            isinstance(record, Assignment.ExtensionRequested)
            and ids.event_id(assignment.id, record.originator_version) == request
        ):
            return record.requested_due_on
    return None


def _first_line(error: BaseException) -> str:
    text = str(error).strip() or type(error).__name__
    return text.splitlines()[0]


def _store_message(error: BaseException) -> str:
    text = _first_line(error)
    if "does not exist" in text or "no such table" in text:
        return "the ledger store is not initialised: run `taskledger db init`"
    return f"the ledger store failed: {text}"


def open_ledger(
    config: StoreConfig, *, clock: Clock | None = None, create_tables: bool = False
) -> Ledger:
    """Build the application for a store. Only ``create_tables`` (``taskledger db init``)
    makes a store; otherwise it must exist (:func:`ledger.store.require_store`), so a
    mistyped path is refused, not made into an empty ledger. An embedded SQLite store
    that exists still gains any table a newer release adds, on any command."""
    if not create_tables:
        require_store(config)
    if config.backend == "sqlite":
        assert config.sqlite_path is not None
        if create_tables and not config.in_memory:
            prepare_sqlite_file(config)
        create_tables = True
    elif create_tables and config.pg_schema:
        ensure_schema(config)
    env = config.eventsourcing_env(create_tables=create_tables)
    # Commands load a stream, decide and append: keep recent aggregates in memory so a
    # command costs no read at all. Safe with several processes: a write decided on a
    # stale copy conflicts in the store and is re-decided on fresh state (_change).
    env.setdefault("AGGREGATE_CACHE_MAXSIZE", "5000")
    env.setdefault("AGGREGATE_CACHE_FASTFORWARD", "n")
    return Ledger(env=env, clock=clock)


def ensure_schema(config: StoreConfig) -> None:
    import psycopg  # imported here: only PostgreSQL stores need it

    try:
        with psycopg.connect(config.psycopg_conninfo(), autocommit=True) as connection:
            connection.execute(f'CREATE SCHEMA IF NOT EXISTS "{config.pg_schema}"')
    except psycopg.Error as error:
        raise StoreUnavailable(f"cannot reach {config.display}: {_first_line(error)}") from None

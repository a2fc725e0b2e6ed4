"""The accountability record of one unit for one task (task × unit).

Every act of the office, the unit's liaison, the scheduler and the supervision platform
about that pair is an event on this stream, so "who was told what, when, and what did
they do?" is answered by reading one stream in order.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from ledger.acts import Act, Recorded, RecordedCreation
from ledger.duties import OwedReport
from ledger.errors import (
    ActionNotAllowed,
    IdempotencyConflict,
    InvalidBusinessDate,
    InvalidInput,
    InvalidValue,
    ObligationNotDue,
    ObligationReported,
    UnknownEvent,
    WrongDueDate,
)
from ledger.ids import event_id
from ledger.meaning import report_meaning
from ledger.periods import Period
from ledger.validation import (
    MAX_METRICS,
    MAX_SHORT_TEXT,
    check_figures_against_targets,
    clean_metrics,
    clean_narrative,
    clean_text,
)
from ledger.vocabulary import ChaseKind, Role

ROLES: tuple[str, ...] = tuple(Role)
NOT_STARTED, IN_PROGRESS, COMPLETED, WITHDRAWN = (
    "not_started",
    "in_progress",
    "completed",
    "withdrawn",
)
MAX_IDEMPOTENCY_KEY = 200
# What the office does when it takes each step, as refusals name it.
_CHASE_VERBS = {
    ChaseKind.REMINDER: "remind",
    ChaseKind.URGE: "urge",
    ChaseKind.ESCALATION: "escalate",
}


def content_hash(period: str, narrative: str, metrics: dict[str, Any]) -> str:
    """What "the same report" means for an idempotency key: same period, text and figures."""
    canonical = json.dumps(
        {"period": period, "narrative": narrative, "metrics": metrics},
        sort_keys=True,
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class Assignment(Aggregate):
    # ---- events --------------------------------------------------------------------
    class Event(Recorded):
        """Base of this stream's events."""

    class Assigned(RecordedCreation):
        plan_id: UUID
        task_id: UUID
        unit_id: UUID
        task_number: str
        unit_name: str
        role: str
        source: str  # "document" (imported plan) or "office"

        def apply(self, a: Assignment) -> None:
            a.plan_id = self.plan_id
            a.task_id = self.task_id
            a.unit_id = self.unit_id
            a.task_number = self.task_number
            a.unit_name = self.unit_name
            a.role = self.role
            a.source = self.source
            a.assigned_on = self.business_date
            a.status = status_after(type(self), None, reported=False)
            a.reports = {}
            a.reported_on = {}
            a.report_keys = {}
            a.corrections = {}
            a.correction_of = {}
            a.report_values = {}
            a.escalations = {}
            a.extensions = {}
            a.extension_of = {}
            a.extended_to = {}
            a.chased = {}
            a.office_chased = {}
            a.chases = {}
            a.acknowledgements = {}
            a.reminders = 0
            a.urges = 0

    class Reinstated(Event):
        """A withdrawn unit is put back on the task (e.g. by an amended document)."""

        role: str
        reason: str

        def apply(self, a: Assignment) -> None:
            a.role = self.role
            a.status = status_after(type(self), a.status, reported=bool(a.reports))

    class RoleChanged(Event):
        role: str
        reason: str

        def apply(self, a: Assignment) -> None:
            a.role = self.role

    class ProgressReported(Event):
        period: str
        narrative: str
        metrics: dict[str, Any]
        idempotency_key: str | None
        content_hash: str  # of the bytes, as written; idempotency reads the content itself

        def apply(self, a: Assignment) -> None:
            a.reports[self.originator_version] = self.period
            a.report_values[self.originator_version] = (
                narrative_digest(self.narrative), dict(self.metrics), self.simulated
            )
            first = a.reported_on.get(self.period)
            if first is None or self.business_date < first:
                a.reported_on[self.period] = self.business_date
            if self.idempotency_key:
                # The meaning of the stored report, not its stored hash: a key recorded
                # before meanings were compared keeps matching, and 8000 == 8000.0.
                meaning = report_meaning(self.period, self.narrative, self.metrics)
                a.report_keys[self.idempotency_key] = (self.originator_version, meaning)
            a.status = status_after(type(self), a.status, reported=True)

    class ProgressCorrected(Event):
        """Changes what a report says; the report and earlier corrections stay.

        ``corrects`` names the event the clerk set out to correct: the report or one of
        its corrections; ``report`` is the report that chain leads back to, whose
        values change (its period, business date and on-time status do not).
        ``narrative`` is the new wording, None for unchanged; ``metrics`` names the
        figures that change, a number sets one and None removes it, figures not named
        keep their values. ``resulting_metrics`` is every figure the report has after
        the correction. Corrections recorded before class version 2 replaced the
        narrative and all the figures: they read with ``replaces_metrics`` True,
        ``metrics`` the whole new set, and ``report`` the event they corrected (then
        always a report).
        """

        class_version = 2

        corrects: UUID
        report: UUID
        narrative: str | None
        metrics: dict[str, Any]
        replaces_metrics: bool
        resulting_metrics: dict[str, Any]
        reason: str

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["report"] = state["corrects"]
            state["replaces_metrics"] = True
            state["resulting_metrics"] = dict(state["metrics"])

        def apply(self, a: Assignment) -> None:
            report = a.version_of(self.report)
            a.corrections.setdefault(report, []).append(self.originator_version)
            a.correction_of[self.originator_version] = report
            wording, _, simulated = a.report_values.get(report, ("", {}, self.simulated))
            if self.narrative is not None:
                wording = narrative_digest(self.narrative)
            a.report_values[report] = (wording, dict(self.resulting_metrics), simulated)

    class _Chase(Event):
        """A reminder, urge or escalation: what is owed, why, and what rule fired.

        ``trigger`` names the rule (``ledger.obligations.CHASE_TRIGGERS``) with its
        numbers, e.g. ``{"rule": "escalate_after", "working_days": 3}``; chasers
        recorded before triggers were kept (class version 1) read as None, which is
        also how the outbox knows not to send them now.
        """

        class_version = 2

        obligation: str
        period: str
        due_on: date | None
        reason: str
        evidence: list[UUID]
        trigger: dict[str, Any] | None

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["trigger"] = None

        def _record(self, a: Assignment, kind: str) -> None:
            a.chases[self.originator_version] = key = chase_key(kind, self)
            a.chased[key] = self.originator_version
            if self.trigger is not None and self.trigger.get("rule") == "office":
                a.office_chased[key] = (self.business_date, self.originator_version)

    class ReminderIssued(_Chase):
        """提醒: before a deadline."""

        def apply(self, a: Assignment) -> None:
            a.reminders += 1
            self._record(a, ChaseKind.REMINDER)

    class UrgeIssued(_Chase):
        """催办: after a deadline was missed."""

        def apply(self, a: Assignment) -> None:
            a.urges += 1
            self._record(a, ChaseKind.URGE)

    class EscalatedToSupervisionPlatform(_Chase):
        """上报监督平台, with the reason and the events that justify it."""

        def apply(self, a: Assignment) -> None:
            a.escalations[self.originator_version] = "open"
            self._record(a, ChaseKind.ESCALATION)

    class EscalationAcknowledged(Event):
        escalation: UUID
        platform_reference: str
        note: str
        resolved: bool

        def apply(self, a: Assignment) -> None:
            escalation = a.version_of(self.escalation)
            a.escalations[escalation] = "resolved" if self.resolved else "acknowledged"

    class ChaseAcknowledged(Event):
        """签收: the unit's liaison (or the office for it) confirms a reminder or urge
        reached them. Kind, obligation and period repeat the chase's, for the reader."""

        chase: UUID
        kind: str
        obligation: str
        period: str
        note: str

        def apply(self, a: Assignment) -> None:
            a.acknowledgements[a.version_of(self.chase)] = self.originator_version

    class ExtensionRequested(Event):
        obligation: str
        period: str
        requested_due_on: date
        reason: str

        def apply(self, a: Assignment) -> None:
            a.extensions[self.originator_version] = None
            a.extension_of[self.originator_version] = f"{self.obligation}|{self.period}"

    class ExtensionDecided(Event):
        request: UUID
        approved: bool
        new_due_on: date | None
        note: str

        def apply(self, a: Assignment) -> None:
            request = a.version_of(self.request)
            a.extensions[request] = "approved" if self.approved else "refused"
            if self.approved and self.new_due_on is not None and request in a.extension_of:
                a.extended_to[a.extension_of[request]] = self.new_due_on

    class Completed(Event):
        """办结."""

        note: str

        def apply(self, a: Assignment) -> None:
            a.status = status_after(type(self), a.status, reported=bool(a.reports))

    class Reopened(Event):
        reason: str

        def apply(self, a: Assignment) -> None:
            a.status = status_after(type(self), a.status, reported=bool(a.reports))

    class Withdrawn(Event):
        reason: str

        def apply(self, a: Assignment) -> None:
            a.status = status_after(type(self), a.status, reported=bool(a.reports))

    def __init__(self) -> None:
        """State comes from the creation event's ``apply``; see the attributes below."""

    # ---- state ---------------------------------------------------------------------
    plan_id: UUID
    task_id: UUID
    unit_id: UUID
    task_number: str
    unit_name: str
    role: str
    source: str
    assigned_on: date  # the Assigned event's business date: nothing real counts before it
    status: str
    # Events are named by their version within the stream: small ints keep the state
    # cheap to copy (the repository cache deep-copies it on every command); their
    # public ids (uuid5 of stream and version) are computed only when asked for.
    reports: dict[int, str]  # report version -> period
    reported_on: dict[str, date]  # period -> business date of its first report
    report_keys: dict[str, tuple[int, str]]  # idempotency key -> (version, meaning)
    corrections: dict[int, list[int]]  # report version -> correction versions
    correction_of: dict[int, int]  # correction version -> the report it changed
    # report version -> (digest of its narrative, its figures, simulated), as corrected
    # so far; the figures dict is replaced, never changed in place
    report_values: dict[int, tuple[str, dict[str, Any], bool]]
    escalations: dict[int, str]  # escalation version -> open | acknowledged | resolved
    chased: dict[str, int]  # "kind|obligation|period|real/simulated" -> version
    # the same key -> (business date, version) of the office's latest such chase
    office_chased: dict[str, tuple[date, int]]
    chases: dict[int, str]  # every chase's version -> its key, as in ``chased``
    acknowledgements: dict[int, int]  # reminder/urge version -> its acknowledgement's
    extensions: dict[int, str | None]  # request version -> None | approved | refused
    extension_of: dict[int, str]  # request version -> "obligation|period" it asks about
    extended_to: dict[str, date]  # "obligation|period" -> the approved new due date
    reminders: int
    urges: int

    def __deepcopy__(self, memo: dict[int, Any]) -> Assignment:
        """A copy for the repository cache, made knowing the state's shape.

        Every value is immutable except the few containers copied here, so this is
        several times faster than the generic ``copy.deepcopy`` walk.
        """
        clone = object.__new__(type(self))
        state = dict(self.__dict__)
        for name in (
            "reports", "report_keys", "escalations", "extensions", "chased", "chases",
            "acknowledgements", "correction_of", "report_values",
            "extension_of", "extended_to", "office_chased", "reported_on",
        ):
            state[name] = dict(state[name])
        state["corrections"] = {k: list(v) for k, v in state["corrections"].items()}
        state["_pending_events"] = list(state["_pending_events"])
        clone.__dict__.update(state)
        return clone

    def event_id_at(self, version: int) -> UUID:
        return event_id(self.id, version)

    def version_of(self, event: UUID) -> int | None:
        """The version of this stream's event with public id ``event``, if it is one."""
        for version in range(self.version, 0, -1):
            if event_id(self.id, version) == event:
                return version
        return None

    def report_ids(self) -> dict[UUID, str]:
        return {self.event_id_at(v): period for v, period in self.reports.items()}

    def _require_begun(self, act: Act) -> None:
        if not act.simulated and act.business_date < self.assigned_on:
            raise InvalidBusinessDate(
                f"business date {act.business_date} is before {self.unit_name} was assigned "
                f"to task {self.task_number} ({self.assigned_on})",
                field="business_date",
            )

    def _emit(self, event_class: type[Assignment.Event], act: Act, **fields: Any) -> UUID:
        self._require_begun(act)
        self.trigger_event(event_class, **act.event_fields(), **fields)
        return event_id(self.id, self.version)

    def _require_open(self, action: str) -> None:
        if self.status in (COMPLETED, WITHDRAWN):
            state = "completed (办结)" if self.status == COMPLETED else "withdrawn"
            raise ActionNotAllowed(
                f"cannot {action}: {self.unit_name} on task {self.task_number} is {state}"
            )

    # ---- commands ------------------------------------------------------------------
    @classmethod
    def assign(
        cls,
        act: Act,
        assignment_id: UUID,
        *,
        plan_id: UUID,
        task_id: UUID,
        unit_id: UUID,
        task_number: str,
        unit_name: str,
        role: str,
        source: str,
    ) -> Assignment:
        _check_role(role)
        return cls._create(
            cls.Assigned,
            id=assignment_id,
            **act.event_fields(),
            plan_id=plan_id,
            task_id=task_id,
            unit_id=unit_id,
            task_number=task_number,
            unit_name=unit_name,
            role=role,
            source=source,
        )

    def reinstate(self, act: Act, role: str, reason: str) -> None:
        _check_role(role)
        if self.status != WITHDRAWN:
            raise ActionNotAllowed(
                f"{self.unit_name} is already on task {self.task_number}; nothing to reinstate"
            )
        self._emit(self.Reinstated, act, role=role, reason=clean_text(reason, "reason"))

    def change_role(self, act: Act, role: str, reason: str) -> None:
        _check_role(role)
        if role != self.role:
            self._emit(self.RoleChanged, act, role=role, reason=clean_text(reason, "reason"))

    def report_progress(
        self,
        act: Act,
        period: Period,
        narrative: str,
        metrics: dict[str, Any] | None,
        idempotency_key: str | None,
        targets: Sequence[dict[str, Any]] = (),
    ) -> tuple[UUID, bool]:
        """Record a report; returns (its event id, whether it is new).

        The same idempotency key with the same content returns the first report's id
        and records nothing; with other content it is a conflict. "The same" is by
        meaning (``ledger.meaning``), against what the first report stored. ``targets``
        are the task's: figures under their indicators are checked against them.
        """
        narrative = clean_narrative(narrative)
        values = clean_metrics(metrics)
        check_figures_against_targets(values, list(targets))
        key = None
        if idempotency_key is not None:
            key = clean_text(idempotency_key, "idempotency key", limit=MAX_IDEMPOTENCY_KEY)
        digest = content_hash(str(period), narrative, values)
        if key is not None and key in self.report_keys:
            earlier, earlier_meaning = self.report_keys[key]
            if earlier_meaning == report_meaning(str(period), narrative, values):
                return self.event_id_at(earlier), False
            raise IdempotencyConflict(
                f"idempotency key {key!r} was already used for a different report",
                field="idempotency_key",
            )
        self._require_open("report progress")
        new = self._emit(
            self.ProgressReported,
            act,
            period=str(period),
            narrative=narrative,
            metrics=values,
            idempotency_key=key,
            content_hash=digest,
        )
        return new, True

    def correct_progress(
        self,
        act: Act,
        corrects: UUID,
        narrative: str | None,
        metrics: dict[str, Any] | None,
        reason: str,
        targets: Sequence[dict[str, Any]] = (),
    ) -> UUID:
        """Correct a report, or a correction of one: only what is named changes.

        ``narrative`` None keeps the wording; in ``metrics`` a number sets a figure and
        None removes it; figures not named keep their values. A correction must change
        something, and a removed figure must be there to remove.
        """
        named = self.version_of(corrects)
        report = named if named in self.reports else self.correction_of.get(named or 0)
        if report is None:
            raise UnknownEvent(
                f"event {corrects} is neither a progress report of {self.unit_name} on "
                f"task {self.task_number} nor a correction of one",
                field="corrects",
            )
        if self.status == WITHDRAWN:
            self._require_open("correct a report")
        wording, figures, rehearsed = self.report_values[report]
        if rehearsed != act.simulated:
            raise ActionNotAllowed(
                "a rehearsal's report can only be corrected in a rehearsal"
                if rehearsed
                else "a simulated act cannot correct a real report",
                field="corrects",
            )
        new_narrative = None if narrative is None else clean_narrative(narrative)
        changes = _figure_changes(metrics)
        check_figures_against_targets(
            {name: value for name, value in changes.items() if value is not None},
            list(targets),
        )
        if new_narrative is None and not changes:
            raise InvalidInput(
                "a correction must change the narrative or at least one figure",
                field="narrative",
            )
        removed = {name for name, value in changes.items() if value is None}
        missing = sorted(removed - figures.keys())
        if missing:
            raise InvalidValue(
                f"the report has no figure {missing[0]!r} to remove "
                f"(it has {', '.join(map(repr, figures)) or 'none'})",
                field="metrics",
            )
        resulting = {name: value for name, value in figures.items() if name not in removed}
        resulting.update({name: value for name, value in changes.items() if value is not None})
        if len(resulting) > MAX_METRICS:
            raise InvalidValue(
                f"a report has at most {MAX_METRICS} figures; this correction leaves "
                f"{len(resulting)}",
                field="metrics",
            )
        same_wording = new_narrative is None or narrative_digest(new_narrative) == wording
        if same_wording and _same_figures(resulting, figures):
            raise InvalidInput(
                "this correction changes nothing: the report already says that",
                field="narrative" if new_narrative is not None else "metrics",
            )
        return self._emit(
            self.ProgressCorrected,
            act,
            corrects=corrects,
            report=self.event_id_at(report),
            narrative=new_narrative,
            metrics=changes,
            replaces_metrics=False,
            resulting_metrics=resulting,
            reason=clean_text(reason, "reason"),
        )

    def _chase(
        self,
        event_class: type[Assignment.Event],
        kind: ChaseKind,
        act: Act,
        obligation: str,
        period: str,
        due_on: date | None,
        reason: str,
        evidence: list[UUID] | tuple[UUID, ...],
        once: bool,
        trigger: dict[str, Any] | None,
        owed: Callable[[], OwedReport] | None,
    ) -> UUID | None:
        """Remind, urge or escalate. With ``once`` (the scheduler's ladder) a step
        already taken for this obligation and period is not taken again: None.
        Without a ``trigger`` the office decided it.

        ``owed`` gives the report as the plan lays it out (it raises when the plan owes
        none; the ledger's ``_owed_report``), asked only once the assignment is open and
        the act's date is within it. The chase is then checked against this stream's
        facts: an approved extension moves the due date, ``due_on`` must be that date
        (None takes it), nothing is chased once the period is reported, and urges and
        escalations wait until the due date has passed. The office's second chase of the
        same kind, obligation and period on the same business date records nothing and
        returns the first one (it is the office's step for that day; the ladder's own
        step that day does not count, so the office can still urge after it). The
        ledger passes no ``owed`` for the scheduler's ladder steps only.
        """
        self._require_open(_CHASE_VERBS[kind])
        period = str(Period.parse(period))
        obligation = clean_text(obligation, "obligation", limit=200)
        reason = clean_text(reason, "reason", limit=MAX_SHORT_TEXT)
        key = f"{kind}|{obligation}|{period}|{'simulated' if act.simulated else 'real'}"
        if once and key in self.chased:
            return None
        unknown = [str(e) for e in evidence if self.version_of(e) is None]
        if unknown:
            raise UnknownEvent(
                f"evidence {', '.join(unknown)} is not an event of this assignment",
                field="evidence",
            )
        if owed is not None:
            self._require_begun(act)
            due = self.due_date_of(owed())
            if due_on is not None and due_on != due:
                raise WrongDueDate(
                    f"{obligation} {period} is due on {due}, not {due_on}", field="due_on"
                )
            due_on = due
            earlier = self.office_chased.get(key)
            if trigger is None and earlier is not None and earlier[0] == act.business_date:
                return self.event_id_at(earlier[1])
            self._require_unreported(obligation, period, act.business_date)
            if kind != ChaseKind.REMINDER and act.business_date <= due:
                raise ObligationNotDue(
                    f"{obligation} {period} is due on {due}: an {kind} comes only after the "
                    f"due date has passed (business date {act.business_date})",
                    field="period",
                )
        return self._emit(
            event_class,
            act,
            obligation=obligation,
            period=period,
            due_on=due_on,
            reason=reason,
            evidence=list(evidence),
            trigger=dict(trigger) if trigger else {"rule": "office"},
        )

    def due_date_of(self, owed: OwedReport) -> date:
        """The obligation's due date on this stream: its own, or an approved extension's."""
        return self.extended_to.get(f"{owed.rule}|{owed.period}", owed.due_on)

    def _require_unreported(self, obligation: str, period: str, day: date) -> None:
        """Refuse to chase a period reported on or before ``day`` (an act recorded later
        for an earlier day, such as a paper reminder, sees the state of that day)."""
        reported = self.reported_on.get(period)
        if reported is not None and reported <= day:
            raise ObligationReported(
                f"{self.unit_name} on task {self.task_number} reported {period} on "
                f"{reported}; {obligation} {period} is owed no more",
                field="period",
            )

    def chase_event(self, kind: str, obligation: str, period: str, simulated: bool) -> UUID | None:
        """The id of the reminder/urge/escalation already taken for this obligation."""
        version = self.chased.get(
            f"{kind}|{obligation}|{period}|{'simulated' if simulated else 'real'}"
        )
        return self.event_id_at(version) if version else None

    def issue_reminder(
        self,
        act: Act,
        obligation: str,
        period: str,
        due_on: date | None,
        reason: str,
        evidence: list[UUID] | tuple[UUID, ...] = (),
        once: bool = False,
        trigger: dict[str, Any] | None = None,
        owed: Callable[[], OwedReport] | None = None,
    ) -> UUID | None:
        return self._chase(
            self.ReminderIssued, ChaseKind.REMINDER, act, obligation, period, due_on, reason,
            evidence, once, trigger, owed,
        )

    def issue_urge(
        self,
        act: Act,
        obligation: str,
        period: str,
        due_on: date | None,
        reason: str,
        evidence: list[UUID] | tuple[UUID, ...] = (),
        once: bool = False,
        trigger: dict[str, Any] | None = None,
        owed: Callable[[], OwedReport] | None = None,
    ) -> UUID | None:
        return self._chase(
            self.UrgeIssued, ChaseKind.URGE, act, obligation, period, due_on, reason, evidence,
            once, trigger, owed,
        )

    def escalate(
        self,
        act: Act,
        obligation: str,
        period: str,
        due_on: date | None,
        reason: str,
        evidence: list[UUID] | tuple[UUID, ...] = (),
        once: bool = False,
        trigger: dict[str, Any] | None = None,
        owed: Callable[[], OwedReport] | None = None,
    ) -> UUID | None:
        return self._chase(
            self.EscalatedToSupervisionPlatform,
            ChaseKind.ESCALATION,
            act,
            obligation,
            period,
            due_on,
            reason,
            evidence,
            once,
            trigger,
            owed,
        )

    def acknowledge_escalation(
        self, act: Act, escalation: UUID, platform_reference: str, note: str, resolved: bool
    ) -> UUID:
        state = self.escalations.get(self.version_of(escalation) or 0)
        if state is None:
            raise UnknownEvent(
                f"event {escalation} is not an escalation of this assignment", field="escalation"
            )
        if state == "resolved":
            raise ActionNotAllowed("this escalation is already resolved")
        return self._emit(
            self.EscalationAcknowledged,
            act,
            escalation=escalation,
            platform_reference=clean_text(platform_reference, "platform reference", limit=200),
            note=clean_text(note, "note", required=False),
            resolved=bool(resolved),
        )

    def acknowledge_chase(self, act: Act, chase: UUID, note: str) -> tuple[UUID, bool]:
        """签收 a reminder or urge; returns (the acknowledgement's id, whether it is new).

        Acknowledging again records nothing and returns the first acknowledgement. An
        escalation is the platform's to acknowledge; a simulated chase was never sent,
        so only a simulated act may acknowledge it (and a simulated act no real one).
        """
        version = self.version_of(chase) or 0
        key = self.chases.get(version)
        if key is None:
            raise UnknownEvent(
                f"event {chase} is not a reminder or urge of this assignment", field="chase"
            )
        kind, rest = key.split("|", 1)
        obligation, period, world = rest.rsplit("|", 2)
        if kind == ChaseKind.ESCALATION:
            raise ActionNotAllowed(
                f"event {chase} is an escalation to the supervision platform; the platform "
                "acknowledges it, not the unit",
                field="chase",
            )
        if version in self.acknowledgements:
            return self.event_id_at(self.acknowledgements[version]), False
        if (world == "simulated") != act.simulated:
            raise ActionNotAllowed(
                f"this {kind} was simulated and never sent; it cannot be acknowledged"
                if world == "simulated"
                else f"a simulated act cannot acknowledge a real {kind}",
                field="chase",
            )
        new = self._emit(
            self.ChaseAcknowledged,
            act,
            chase=chase,
            kind=kind,
            obligation=obligation,
            period=period,
            note=clean_text(note, "note", required=False),
        )
        return new, True

    def request_extension(
        self,
        act: Act,
        obligation: str,
        period: str,
        requested_due_on: date,
        reason: str,
        owed: Callable[[], OwedReport] | None = None,
    ) -> UUID:
        """Ask for a later due date. With ``owed`` (the ledger always passes it) the
        request names a report still owed, and asks for a date after its current one."""
        self._require_open("request an extension")
        obligation = clean_text(obligation, "obligation", limit=200)
        period = str(Period.parse(period))
        if requested_due_on <= act.business_date:
            raise InvalidInput(
                "the requested due date must be in the future", field="requested_due_on"
            )
        if owed is not None:
            self._require_begun(act)
            due = self.due_date_of(owed())
            self._require_unreported(obligation, period, act.business_date)
            if requested_due_on <= due:
                raise WrongDueDate(
                    f"{obligation} {period} is already due on {due}; ask for a later date",
                    field="requested_due_on",
                )
        return self._emit(
            self.ExtensionRequested,
            act,
            obligation=obligation,
            period=period,
            requested_due_on=requested_due_on,
            reason=clean_text(reason, "reason"),
        )

    def extension_request(self, request: UUID) -> tuple[str, str]:
        """The (obligation, period) an extension request of this stream asks about."""
        version = self.version_of(request)
        if version not in self.extensions:
            raise UnknownEvent(
                f"event {request} is not an extension request of this assignment", field="request"
            )
        obligation, period = self.extension_of[version].rsplit("|", 1)
        return obligation, period

    def decide_extension(
        self,
        act: Act,
        request: UUID,
        approved: bool,
        new_due_on: date | None,
        note: str,
        owed: Callable[[], OwedReport] | None = None,
    ) -> UUID:
        """Approve (with the new due date) or refuse. An approved date must be later than
        both the obligation's current due date (``owed``, with any earlier extension)
        and the decision's business date: a deadline set in the past would make the
        report late the moment it was granted, and no second decision could undo it."""
        version = self.version_of(request)
        if version not in self.extensions:
            raise UnknownEvent(
                f"event {request} is not an extension request of this assignment", field="request"
            )
        if self.extensions[version] is not None:
            raise ActionNotAllowed(f"extension request {request} was already decided")
        if approved:
            if new_due_on is None:
                raise InvalidInput("an approval needs the new due date", field="new_due_on")
            if new_due_on <= act.business_date:
                raise WrongDueDate(
                    f"the new due date {new_due_on} must be after the decision's business "
                    f"date ({act.business_date})",
                    field="new_due_on",
                )
            current = self.due_date_of(owed()) if owed is not None else None
            if current is not None and new_due_on <= current:
                raise WrongDueDate(
                    f"the new due date {new_due_on} must be after the current due date "
                    f"({current})",
                    field="new_due_on",
                )
        return self._emit(
            self.ExtensionDecided,
            act,
            request=request,
            approved=bool(approved),
            new_due_on=new_due_on if approved else None,
            note=clean_text(note, "note", required=False),
        )

    def complete(self, act: Act, note: str) -> UUID:
        self._require_open("complete")
        return self._emit(self.Completed, act, note=clean_text(note, "note", required=False))

    def reopen(self, act: Act, reason: str) -> UUID:
        if self.status != COMPLETED:
            raise ActionNotAllowed(
                f"only a completed assignment can be reopened; this one is {self.status}"
            )
        return self._emit(self.Reopened, act, reason=clean_text(reason, "reason"))

    def withdraw(self, act: Act, reason: str) -> UUID:
        if self.status == WITHDRAWN:
            raise ActionNotAllowed(
                f"{self.unit_name} is already withdrawn from task {self.task_number}"
            )
        return self._emit(self.Withdrawn, act, reason=clean_text(reason, "reason"))


def _figure_changes(metrics: Any) -> dict[str, int | float | None]:
    """A correction's named figures, cleaned: numbers through ``clean_metrics`` (the
    same checks as a report's), None (remove) kept; a name may appear once."""
    if metrics is None:
        return {}
    if not isinstance(metrics, dict):
        raise InvalidValue("metric values must be a mapping of name to number", field="metrics")
    if len(metrics) > MAX_METRICS:
        raise InvalidValue(f"at most {MAX_METRICS} figures per correction", field="metrics")
    changes: dict[str, int | float | None] = {}
    for name, value in metrics.items():  # in the clerk's order
        # names and numbers cleaned exactly as a report's are (a removed figure's name
        # too, with a stand-in value, so it matches the name the report stored)
        ((key, number),) = clean_metrics({name: 0 if value is None else value}).items()
        if key in changes:
            both = (value is None) != (changes[key] is None)
            raise InvalidValue(
                f"figure {key!r} is both set and removed in this correction"
                if both
                else f"figure {key!r} is named twice in this correction",
                field="metrics",
            )
        changes[key] = None if value is None else number
    return changes


def _same_figures(left: dict[str, Any], right: dict[str, Any]) -> bool:
    """Figures compared by value, 8000 and 8000.0 alike."""
    return left.keys() == right.keys() and all(left[k] == right[k] for k in left)


def narrative_digest(narrative: str) -> str:
    """Enough of a narrative to tell whether a correction changes it."""
    return hashlib.sha256(narrative.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def chase_key(kind: str, event: Any) -> str:
    real = "simulated" if event.simulated else "real"
    return f"{kind}|{event.obligation}|{event.period}|{real}"


# How each event moves an assignment's status, given its status before the event and
# whether it holds any report. The aggregate and the read model (projections) both
# follow this one table, so the two cannot disagree.
_STATUS_RULES: dict[type, Callable[[str | None, bool], str]] = {
    Assignment.Assigned: lambda status, reported: NOT_STARTED,
    Assignment.Reinstated: lambda status, reported: IN_PROGRESS if reported else NOT_STARTED,
    Assignment.ProgressReported: (
        lambda status, reported: IN_PROGRESS if status == NOT_STARTED else status
    ),
    Assignment.Completed: lambda status, reported: COMPLETED,
    Assignment.Reopened: lambda status, reported: IN_PROGRESS,
    Assignment.Withdrawn: lambda status, reported: WITHDRAWN,
}
#: The events that can change an assignment's status.
STATUS_EVENTS = frozenset(_STATUS_RULES)


def status_after(event_type: type, status: str | None, *, reported: bool) -> str | None:
    """An assignment's status after an event of ``event_type``: ``status`` before it
    (None before its creation), ``reported`` whether it holds any report by then.
    Events outside :data:`STATUS_EVENTS` leave the status as it was."""
    rule = _STATUS_RULES.get(event_type)
    return status if rule is None else rule(status, reported)


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise InvalidInput(f"role must be 'lead' or 'co', not {role!r}", field="role")

"""A plan as issued (实施方案) and its numbered tasks (任务)."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from ledger.acts import Act, Recorded, RecordedCreation
from ledger.errors import ActionNotAllowed
from ledger.ladder import LadderPolicy


class Plan(Aggregate):
    """One implementation plan, keyed by its document number (or issuer + title + date)."""

    class Registered(RecordedCreation):
        natural_key: str
        doc_number: str | None
        title: str
        issuer: str | None
        issued_on: date | None
        source_sha256: str
        targets: list[dict[str, Any]]
        obligations: list[dict[str, Any]]
        task_numbers: list[str]

        def apply(self, plan: Plan) -> None:
            plan.task_numbers = list(self.task_numbers)
            plan.natural_key = self.natural_key
            plan.doc_number = self.doc_number
            plan.title = self.title
            plan.issuer = self.issuer
            plan.issued_on = self.issued_on
            plan.source_sha256 = self.source_sha256
            plan.targets = list(self.targets)
            plan.obligations = list(self.obligations)
            plan.closed_on = None
            plan.ladder = None

    class Amended(Recorded):
        """A new version of the document was imported; ``changes`` lists what differs."""

        source_sha256: str
        changes: list[dict[str, Any]]
        targets: list[dict[str, Any]]
        obligations: list[dict[str, Any]]
        task_numbers: list[str]

        def apply(self, plan: Plan) -> None:
            plan.task_numbers = list(self.task_numbers)
            plan.source_sha256 = self.source_sha256
            plan.targets = list(self.targets)
            plan.obligations = list(self.obligations)

    class Closed(Recorded):
        reason: str

        def apply(self, plan: Plan) -> None:
            plan.closed_on = self.business_date

    class LadderConfigured(Recorded):
        """The office sets this plan's escalation ladder (working days; optional rule)."""

        remind_before: int
        urge_after: int
        escalate_after: int
        escalate_after_urges: int | None  # escalate a unit urged this often in a quarter

        def apply(self, plan: Plan) -> None:
            plan.ladder = LadderPolicy.from_event(self).as_dict()

    def __init__(self) -> None:
        """State comes from the creation event's ``apply``; see the attributes below."""

    natural_key: str
    doc_number: str | None
    title: str
    issuer: str | None
    issued_on: date | None
    source_sha256: str
    targets: list[dict[str, Any]]
    obligations: list[dict[str, Any]]
    task_numbers: list[str]
    closed_on: date | None
    ladder: dict[str, int | None] | None

    @classmethod
    def register(cls, act: Act, plan_id: UUID, **facts: Any) -> Plan:
        return cls._create(cls.Registered, id=plan_id, **act.event_fields(), **facts)

    def amend(self, act: Act, **facts: Any) -> None:
        self.trigger_event(self.Amended, **act.event_fields(), **facts)

    @property
    def ladder_policy(self) -> LadderPolicy:
        """The plan's escalation ladder: its own, or the defaults."""
        return LadderPolicy.from_recorded(self.ladder)

    def configure_ladder(self, act: Act, ladder: dict[str, int | None]) -> bool:
        if ladder == self.ladder:
            return False
        self.trigger_event(self.LadderConfigured, **act.event_fields(), **ladder)
        return True

    def close(self, act: Act, reason: str) -> None:
        if self.closed_on is not None:
            raise ActionNotAllowed(f"plan {self.title} is already closed")
        self.trigger_event(self.Closed, **act.event_fields(), reason=reason)


class Task(Aggregate):
    """One numbered item of a plan; its number is kept exactly as printed."""

    class Registered(RecordedCreation):
        plan_id: UUID
        number: str
        ordinal: int
        section: str | None
        title: str
        text: str
        targets: list[dict[str, Any]]
        obligations: list[dict[str, Any]]
        units: list[dict[str, str]]  # as the document assigns them: name, role, kind

        def apply(self, task: Task) -> None:
            task.units = list(self.units)
            task.plan_id = self.plan_id
            task.number = self.number
            task.ordinal = self.ordinal
            task.section = self.section
            task.title = self.title
            task.text = self.text
            task.targets = list(self.targets)
            task.obligations = list(self.obligations)

    class Amended(Recorded):
        """Changed fields of an amended document, with their new values."""

        changes: dict[str, Any]

        def apply(self, task: Task) -> None:
            for name, value in self.changes.items():
                setattr(task, name, value)

    def __init__(self) -> None:
        """State comes from the creation event's ``apply``; see the attributes below."""

    plan_id: UUID
    number: str
    ordinal: int
    section: str | None
    title: str
    text: str
    targets: list[dict[str, Any]]
    obligations: list[dict[str, Any]]

    units: list[dict[str, str]]

    AMENDABLE = ("ordinal", "section", "title", "text", "targets", "obligations", "units")

    @classmethod
    def register(cls, act: Act, task_id: UUID, **facts: Any) -> Task:
        return cls._create(cls.Registered, id=task_id, **act.event_fields(), **facts)

    def amend(self, act: Act, changes: dict[str, Any]) -> None:
        unknown = set(changes) - set(self.AMENDABLE)
        if unknown:
            raise ActionNotAllowed(f"task fields cannot be amended: {', '.join(sorted(unknown))}")
        if changes:
            self.trigger_event(self.Amended, **act.event_fields(), changes=changes)

"""A plan as issued (实施方案) and its numbered tasks (任务)."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from ledger.acts import Act, Recorded, RecordedCreation
from ledger.duties import obligation_horizon
from ledger.errors import ActionNotAllowed
from ledger.ladder import LadderPolicy


class Plan(Aggregate):
    """One implementation plan, keyed by its document number (or issuer + title + date)."""

    class Registered(RecordedCreation):
        """``horizon``: the last day obligations are laid out to, decided when the plan
        is registered (:func:`ledger.duties.obligation_horizon`) and kept, so a later
        release's rule does not move old deadlines. Plans registered before it was
        recorded (class version 1) read None and get a :class:`HorizonRecorded`."""

        class_version = 2

        natural_key: str
        doc_number: str | None
        title: str
        issuer: str | None
        issued_on: date | None
        source_sha256: str
        targets: list[dict[str, Any]]
        obligations: list[dict[str, Any]]
        task_numbers: list[str]
        horizon: date | None

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["horizon"] = None

        def apply(self, plan: Plan) -> None:
            plan.task_numbers = list(self.task_numbers)
            plan.horizon = self.horizon
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
        """A new version of the document was imported; ``changes`` lists what differs.
        ``horizon`` is the horizon of the new targets (None before class version 2:
        the plan's horizon is then whatever it was)."""

        class_version = 2

        source_sha256: str
        changes: list[dict[str, Any]]
        targets: list[dict[str, Any]]
        obligations: list[dict[str, Any]]
        task_numbers: list[str]
        horizon: date | None

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["horizon"] = None

        def apply(self, plan: Plan) -> None:
            plan.task_numbers = list(self.task_numbers)
            if self.horizon is not None:
                plan.horizon = self.horizon
            plan.source_sha256 = self.source_sha256
            plan.targets = list(self.targets)
            plan.obligations = list(self.obligations)

    class HorizonRecorded(Recorded):
        """The horizon of a plan registered before horizons were recorded, as the rule
        of the release that recorded it computed it (written once, by ``db init``)."""

        horizon: date

        def apply(self, plan: Plan) -> None:
            plan.horizon = self.horizon

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
    horizon: date | None  # None: registered before horizons were recorded
    closed_on: date | None
    ladder: dict[str, int | None] | None

    @classmethod
    def register(cls, act: Act, plan_id: UUID, **facts: Any) -> Plan:
        if facts.get("horizon") is None:
            facts["horizon"] = obligation_horizon(
                facts.get("issued_on") or date(2000, 1, 1), facts.get("targets") or []
            )
        return cls._create(cls.Registered, id=plan_id, **act.event_fields(), **facts)

    def amend(self, act: Act, **facts: Any) -> None:
        if facts.get("horizon") is None:
            facts["horizon"] = self.horizon_for(facts.get("targets", self.targets))
        self.trigger_event(self.Amended, **act.event_fields(), **facts)

    def horizon_for(self, targets: list[dict[str, Any]]) -> date:
        """The horizon this release's rule gives the plan with these targets."""
        return obligation_horizon(self.issued_on or date(2000, 1, 1), targets)

    @property
    def horizon_in_force(self) -> date:
        """The recorded horizon; for a plan recorded without one, the rule's."""
        return self.horizon if self.horizon is not None else self.horizon_for(self.targets)

    def record_horizon(self, act: Act) -> bool:
        """Record the horizon of a plan that has none recorded; False if it has one."""
        if self.horizon is not None:
            return False
        self.trigger_event(
            self.HorizonRecorded, **act.event_fields(), horizon=self.horizon_for(self.targets)
        )
        return True

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

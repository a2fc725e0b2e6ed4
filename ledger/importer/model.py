"""What the importer reads out of a plan: plain frozen values, no events, no database.

``ParsedPlan.to_json()`` is the contract other tools rely on (issue 4, item 8)::

    {"plan": {"title", "doc_number", "issued_on", "issuer", "targets", ...},
     "tasks": [{"number", "ordinal", "section", "title", "text", "units", "targets", ...}],
     "obligations": [...], "warnings": [...]}

Keys may be added (``source_sha256``, ``deadline``, ``requirements``...), never renamed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from ledger.vocabulary import Cadence, Role

Comparator = Literal[">=", "<=", "~"]
Per = Literal["year", "total"]


@dataclass(frozen=True)
class ParsedUnit:
    """One unit on one task. ``name`` is the registry's canonical name."""

    name: str
    role: Role
    kind: str

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "role": self.role, "kind": self.kind}


@dataclass(frozen=True)
class TargetPeriod:
    """When a target applies. ``from_``/``to`` are ISO dates or None; ``per`` says whether
    the value is owed each year of the span or once over the whole of it."""

    from_: str | None
    to: str | None
    per: Per

    def to_json(self) -> dict[str, Any]:
        return {"from": self.from_, "to": self.to, "per": self.per}


@dataclass(frozen=True)
class ParsedTarget:
    """A quantitative target: ``value`` with 万/亿 multiplied out, ``text`` as printed."""

    indicator: str
    value: int | float
    measure: str
    comparator: Comparator
    period: TargetPeriod
    text: str

    def to_json(self) -> dict[str, Any]:
        return {
            "indicator": self.indicator,
            "value": self.value,
            "measure": self.measure,
            "comparator": self.comparator,
            "period": self.period.to_json(),
            "text": self.text,
        }


@dataclass(frozen=True)
class Deadline:
    """A ``完成时限：…`` clause: the words as printed and, when they name one, the day."""

    text: str
    on: date | None

    def to_json(self) -> dict[str, Any]:
        return {"text": self.text, "on": self.on.isoformat() if self.on else None}


@dataclass(frozen=True)
class ParsedTask:
    """One numbered task.

    ``number`` is the number as printed, without the separator that follows it:
    ``（十一）`` for a bracketed number, ``8`` for ``8.`` (the ledger and the CLI refer
    to task ``8``), ``三`` for ``三、``. ``ordinal`` is the task's position among the
    plan's tasks, from 1. ``text`` is the whole task (title sentence included) without
    its number, unit list and deadline clause.
    """

    number: str
    ordinal: int
    section: str | None
    title: str
    text: str
    units: tuple[ParsedUnit, ...]
    targets: tuple[ParsedTarget, ...] = ()
    deadline: Deadline | None = None

    @property
    def lead(self) -> tuple[str, ...]:
        return tuple(u.name for u in self.units if u.role == Role.LEAD)

    @property
    def co_units(self) -> tuple[str, ...]:
        return tuple(u.name for u in self.units if u.role == Role.CO)

    def to_json(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "ordinal": self.ordinal,
            "section": self.section,
            "title": self.title,
            "text": self.text,
            "units": [u.to_json() for u in self.units],
            "targets": [t.to_json() for t in self.targets],
            "deadline": self.deadline.to_json() if self.deadline else None,
        }


@dataclass(frozen=True)
class ObligationDuty:
    """A periodic reporting duty the plan states (or the documented default).

    Shaped after :class:`ledger.obligations.ObligationRule`: due on the ``due_workday``-th
    working day of the month after the period ends; ``scope`` is ``"plan"`` or the task
    numbers it binds; ``period_indices`` limits which periods of a year are owed (000's
    quarterly report skips Q4, whose report is the annual one). ``audience`` says who owes
    it in the document's words and, where the registry knows them, as units; ``report_to``
    whom it goes to; ``stated_in`` the item that says so (``（十七）``); ``default`` is
    True only for the documented default duty of a plan that states none.
    """

    slug: str
    description: str
    cadence: Cadence
    due_workday: int = 5
    scope: str | tuple[str, ...] = "plan"
    period_indices: tuple[int, ...] | None = None
    audience: dict[str, Any] = field(default_factory=dict)
    report_to: str | None = None
    source: str = ""
    stated_in: str | None = None
    default: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "slug": self.slug,
            "description": self.description,
            "cadence": self.cadence,
            "due": {"within_working_days": self.due_workday, "of_month_after_period": 1},
            "period_indices": list(self.period_indices) if self.period_indices else None,
            "applies_to": self.scope if isinstance(self.scope, str) else list(self.scope),
            "audience": self.audience,
            "report_to": self.report_to,
            "stated_in": self.stated_in,
            "source": self.source,
            "default": self.default,
        }


@dataclass(frozen=True)
class Requirement:
    """A standing, non-periodic duty (a responsibility list, a liaison per unit)."""

    slug: str
    description: str
    audience: dict[str, Any]
    source: str
    stated_in: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "slug": self.slug,
            "description": self.description,
            "audience": self.audience,
            "stated_in": self.stated_in,
            "source": self.source,
        }


@dataclass(frozen=True)
class ParsedPlan:
    """Everything read from one document. Fields the text does not give are None, with a
    warning in ``warnings``."""

    title: str | None
    doc_number: str | None
    issued_on: date | None
    issuer: str | None
    targets: tuple[ParsedTarget, ...]
    tasks: tuple[ParsedTask, ...]
    obligations: tuple[ObligationDuty, ...]
    warnings: tuple[str, ...]
    source_sha256: str
    requirements: tuple[Requirement, ...] = ()
    new_units: tuple[ParsedUnit, ...] = ()

    def task(self, number: str) -> ParsedTask:
        for task in self.tasks:
            if task.number == number:
                return task
        raise KeyError(number)

    def natural_key(self) -> str:
        """The document number, or else issuer + title + issue date (issue 4, item 2)."""
        if self.doc_number:
            return self.doc_number
        issued = self.issued_on.isoformat() if self.issued_on else ""
        return f"{self.issuer or ''}|{self.title or ''}|{issued}"

    def to_json(self) -> dict[str, Any]:
        return {
            "plan": {
                "title": self.title,
                "doc_number": self.doc_number,
                "issued_on": self.issued_on.isoformat() if self.issued_on else None,
                "issuer": self.issuer,
                "targets": [t.to_json() for t in self.targets],
                "source_sha256": self.source_sha256,
                "natural_key": self.natural_key(),
            },
            "tasks": [t.to_json() for t in self.tasks],
            "obligations": [o.to_json() for o in self.obligations],
            "requirements": [r.to_json() for r in self.requirements],
            "warnings": list(self.warnings),
        }

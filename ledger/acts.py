"""Who did it, in which role, on whose request, when, and for which business day.

Every event in the ledger carries these facts (the :class:`ActFields` of its class), so
the audit trail can answer an auditor without joining anything.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from eventsourcing.domain import Aggregate

from ledger.clock import Clock, business_date_of
from ledger.errors import InvalidBusinessDate, InvalidInput
from ledger.vocabulary import ActorRole

ROLES: tuple[str, ...] = tuple(role.value for role in ActorRole)


@dataclass(frozen=True)
class Act:
    """The circumstances of one command: passed in, never read from globals.

    A real act cannot count for a day that has not come: its business date is at most
    the day it is recorded (Asia/Shanghai). Checked here, so the CLI, the API, the
    importer and the scheduler all refuse the same thing. A simulated act (the office's
    time travel) may be dated anywhere; its events say so.
    """

    actor: str
    role: str
    correlation_id: str
    recorded_at: datetime
    business_date: date
    simulated: bool = False

    def __post_init__(self) -> None:
        if not self.actor or not self.actor.strip():
            raise InvalidInput("every act needs a named actor", field="actor")
        if self.role not in ROLES:
            raise InvalidInput(f"unknown actor role {self.role!r}", field="role")
        if self.recorded_at.tzinfo is None:
            raise InvalidInput("recorded_at must be timezone-aware")
        if not self.simulated and self.business_date > self.recorded_on:
            raise InvalidBusinessDate(
                f"business date {self.business_date} is after today ({self.recorded_on}); "
                "an act can only count for a day that has come",
                field="business_date",
            )

    @property
    def recorded_on(self) -> date:
        """The day the act is recorded, in Asia/Shanghai: "today" for a real act."""
        return business_date_of(self.recorded_at)

    @classmethod
    def by(
        cls,
        clock: Clock,
        actor: str,
        role: str,
        *,
        correlation_id: str | None = None,
        business_date: date | None = None,
    ) -> Act:
        """An act happening now on ``clock``; business date defaults to its day."""
        return cls(
            actor=actor,
            role=role,
            correlation_id=correlation_id or str(uuid.uuid4()),
            recorded_at=clock.now(),
            business_date=business_date or clock.today(),
            simulated=clock.simulated,
        )

    def on(self, business_date: date) -> Act:
        """The same act counted for another business day (e.g. a document's issue date)."""
        return Act(
            self.actor,
            self.role,
            self.correlation_id,
            self.recorded_at,
            business_date,
            self.simulated,
        )

    def event_fields(self) -> dict[str, Any]:
        """Keyword arguments every ledger event is created with."""
        return {
            "timestamp": self.recorded_at,
            "actor": self.actor,
            "actor_role": self.role,
            "correlation_id": self.correlation_id,
            "business_date": self.business_date,
            "simulated": self.simulated,
        }


@dataclass(frozen=True)
class ActFields:
    """Fields shared by every ledger event. ``timestamp`` is the recorded time (UTC)."""

    actor: str
    actor_role: str
    correlation_id: str
    business_date: date
    simulated: bool


class Recorded(ActFields, Aggregate.Event):
    """Base of every ledger event after a stream's first."""

    @property
    def recorded_at(self) -> datetime:
        return self.timestamp


class RecordedCreation(ActFields, Aggregate.Created):
    """Base of every ledger event that opens a stream."""

    @property
    def recorded_at(self) -> datetime:
        return self.timestamp

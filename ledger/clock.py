"""Injected time.

The domain never reads the wall clock itself: commands receive an :class:`Act` built
from a clock, so tests pin time and the office can run a day "as if" (simulation)
without the events pretending to be real history.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

BUSINESS_TZ = ZoneInfo("Asia/Shanghai")


class Clock(Protocol):
    """Where "now" comes from. ``simulated`` marks days that did not really happen."""

    simulated: bool

    def now(self) -> datetime:
        """The current instant, timezone-aware, in UTC."""
        ...

    def today(self) -> date:
        """The business date: the calendar day in Asia/Shanghai."""
        ...


def business_date_of(instant: datetime) -> date:
    return instant.astimezone(BUSINESS_TZ).date()


class SystemClock:
    """The real clock; the only place in the project that reads wall time."""

    simulated = False

    def now(self) -> datetime:
        return datetime.now(UTC)

    def today(self) -> date:
        return business_date_of(self.now())


@dataclass
class FixedClock:
    """A clock that stands still until told to move: for tests and reproducible runs."""

    instant: datetime
    simulated: bool = False

    def __post_init__(self) -> None:
        if self.instant.tzinfo is None:
            raise ValueError("FixedClock needs a timezone-aware instant")
        self.instant = self.instant.astimezone(UTC)

    def now(self) -> datetime:
        return self.instant

    def today(self) -> date:
        return business_date_of(self.instant)

    def advance(self, **delta: float) -> None:
        self.instant += timedelta(**delta)


@dataclass
class SimulatedClock:
    """Business day chosen by the office ("as if it were 2026-07-08"), recorded time real.

    Events written under it carry ``simulated=True``: a demo can never pass for history.
    """

    day: date
    wall: Clock = field(default_factory=SystemClock)
    simulated: bool = True

    def now(self) -> datetime:
        return self.wall.now()

    def today(self) -> date:
        return self.day

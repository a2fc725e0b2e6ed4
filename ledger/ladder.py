"""The escalation ladder's policy: when an unreported obligation is reminded (提醒),
urged (催办) and escalated (上报监督平台), in working days around its due date.

One object for every place that needs the settings: a plan's ``LadderConfigured``
event, the read model's ``ladder`` column, the scheduler laying out a day's steps and
the ``taskledger ladder`` command all go through :class:`LadderPolicy`, so the
defaults and the field names are written once.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from datetime import date
from typing import Any

from ledger.calendar import WorkingDayCalendar
from ledger.errors import ConfigurationError


@dataclass(frozen=True)
class LadderDates:
    """When the scheduler reminds (提醒), urges (催办) and escalates (上报监督平台)."""

    remind_on: date
    urge_on: date
    escalate_on: date


@dataclass(frozen=True)
class LadderPolicy:
    """The escalation ladder's steps in working days, configurable per plan.

    Defaults (issue 7): remind 3 working days before the due date, urge on the first
    working day after it, escalate when still missing 5 working days after it.
    """

    remind_before: int = 3
    urge_after: int = 1
    escalate_after: int = 5
    # Off by default: escalate at once a unit urged this many times in one quarter.
    escalate_after_urges: int | None = None

    def __post_init__(self) -> None:
        _check_ladder(self.remind_before, self.urge_after, self.escalate_after)
        if self.escalate_after_urges is not None and not 1 <= self.escalate_after_urges <= 20:
            raise ConfigurationError(
                "escalate_after_urges must be between 1 and 20, or off",
                field="escalate_after_urges",
            )

    @classmethod
    def field_names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))

    @classmethod
    def from_event(cls, event: Any) -> LadderPolicy:
        """The policy a ``Plan.LadderConfigured`` event (or anything with the same
        attributes) recorded."""
        return cls(**{name: getattr(event, name) for name in cls.field_names()})

    @classmethod
    def from_recorded(cls, recorded: Mapping[str, Any] | str | None) -> LadderPolicy:
        """A plan's ladder as stored (the aggregate's dict or the read model's JSON
        text); the defaults when the plan never configured one."""
        if recorded is None or recorded == "":
            return cls()
        if isinstance(recorded, str):
            recorded = json.loads(recorded)
        return cls(**{name: recorded[name] for name in cls.field_names() if name in recorded})

    def changed(self, **changes: Any) -> LadderPolicy:
        """This policy with some settings replaced (validated again)."""
        return replace(self, **changes)

    def as_dict(self) -> dict[str, int | None]:
        return {name: getattr(self, name) for name in self.field_names()}

    def dates(self, due_on: date, calendar: WorkingDayCalendar) -> LadderDates:
        return ladder_dates(
            due_on, calendar, self.remind_before, self.urge_after, self.escalate_after
        )


def ladder_dates(
    due_on: date,
    calendar: WorkingDayCalendar,
    remind_before: int = LadderPolicy.remind_before,
    urge_after: int = LadderPolicy.urge_after,
    escalate_after: int = LadderPolicy.escalate_after,
) -> LadderDates:
    """The three ladder dates for one due date (pass the extended date if there is one).

    Counted in working days strictly before/after ``due_on``: due Tuesday 2026-07-07
    → remind Thursday 07-02, urge 07-08, escalate Tuesday 07-14.
    """
    _check_ladder(remind_before, urge_after, escalate_after)
    return LadderDates(
        remind_on=calendar.add_workdays(due_on, -remind_before),
        urge_on=calendar.add_workdays(due_on, urge_after),
        escalate_on=calendar.add_workdays(due_on, escalate_after),
    )


def _check_ladder(remind_before: int, urge_after: int, escalate_after: int) -> None:
    if remind_before < 0 or urge_after < 1 or escalate_after < urge_after:
        raise ConfigurationError(
            "escalation ladder: remind 0 or more working days before the due date, urge 1 or "
            "more after it, escalate no earlier than the urge "
            f"(got {remind_before}, {urge_after}, {escalate_after})",
            field="ladder",
        )

"""From a plan's stated reporting duties to who owes what: the rules every part shares.

The importer stores each duty as JSON on the plan (``ObligationDuty.to_json``). Here
they become :class:`PlanDuty` values: an :class:`~ledger.obligations.ObligationRule`
plus *whom* it binds. A duty addressed to everyone (``各地各部门``) binds every
assignment of the plan; a duty addressed to named units (``各级人力资源社会保障部门``
按月汇总) binds those units' assignments on the task that states it, so a department
on seventeen tasks owes that summary once, not seventeen times.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from ledger.calendar import WorkingDayCalendar
from ledger.obligations import DEFAULT_RULE, ObligationRule, due_date, periods_due
from ledger.periods import Period

#: With no target telling how long a plan runs, obligations are laid out this many
#: calendar years from the issue year (a five-year plan's span); closing the plan ends
#: them earlier.
DEFAULT_PLAN_YEARS = 5


@dataclass(frozen=True)
class PlanDuty:
    rule: ObligationRule
    units: frozenset[str] | None = None  # None: every assignment
    leagues_and_cities: bool = False
    stated_in: str | None = None

    def binds(self, task_number: str, unit_name: str, unit_kind: str) -> bool:
        if self.units is None:
            return self.rule.applies_to(task_number)
        if self.stated_in is not None and task_number != self.stated_in:
            return False
        return unit_name in self.units or (self.leagues_and_cities and unit_kind == "league_city")


def plan_duties(obligations: Iterable[Mapping[str, Any]]) -> list[PlanDuty]:
    """The duties of a plan, from the JSON the importer stored; the default if none."""
    duties: list[PlanDuty] = []
    for duty in obligations:
        applies = duty.get("applies_to", "plan")
        scope = "plan" if applies == "plan" else tuple(applies)
        rule = ObligationRule(
            slug=duty["slug"],
            description=duty.get("description", ""),
            cadence=duty["cadence"],
            due_workday=int((duty.get("due") or {}).get("within_working_days", 5)),
            scope=scope,
            period_indices=tuple(duty["period_indices"]) if duty.get("period_indices") else None,
            source=duty.get("stated_in") or "",
        )
        audience = duty.get("audience") or {}
        named = audience.get("units")
        duties.append(
            PlanDuty(
                rule=rule,
                units=frozenset(named) if named else None,
                leagues_and_cities=bool(audience.get("leagues_and_cities")),
                stated_in=duty.get("stated_in") if named else None,
            )
        )
    return duties or [PlanDuty(DEFAULT_RULE)]


def obligation_horizon(issued_on: date, targets: Iterable[Mapping[str, Any]]) -> date:
    """The last day obligations are laid out to: the plan's last target date, or five
    calendar years from the issue year, whichever is later."""
    horizon = date(issued_on.year + DEFAULT_PLAN_YEARS - 1, 12, 31)
    for target in targets:
        until = (target.get("period") or {}).get("to")
        if until:
            horizon = max(horizon, date.fromisoformat(until))
    return horizon


@dataclass(frozen=True)
class OwedReport:
    rule: str
    period: Period
    due_on: date


def owed_reports(
    duties: Iterable[PlanDuty],
    *,
    task_number: str,
    unit_name: str,
    unit_kind: str,
    active_from: date,
    horizon: date,
    calendar: WorkingDayCalendar,
) -> list[OwedReport]:
    """Every report one assignment owes, from ``active_from`` to the horizon."""
    owed = []
    for duty in duties:
        if not duty.binds(task_number, unit_name, unit_kind):
            continue
        for period in periods_due(duty.rule, active_from, horizon):
            owed.append(OwedReport(duty.rule.slug, period, due_date(duty.rule, period, calendar)))
    return owed

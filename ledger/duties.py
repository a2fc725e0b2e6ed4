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
from ledger.errors import ObligationNotOwed
from ledger.obligations import (
    DEFAULT_RULE,
    ObligationRule,
    due_date,
    first_owed_period,
    periods_due,
)
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


def owed_report(
    duties: Iterable[PlanDuty],
    rule_slug: str,
    period: Period,
    *,
    task_number: str,
    unit_name: str,
    unit_kind: str,
    active_from: date,
    horizon: date,
    closed_on: date | None,
    business_date: date,
    calendar: WorkingDayCalendar,
) -> OwedReport:
    """The one report an assignment owes under ``rule_slug`` for ``period``, with its own
    due date (before any extension), or :class:`ObligationNotOwed` saying why not.

    The same facts as :func:`owed_reports` (the read models' schedule), checked without
    laying out the whole schedule: the rule exists and binds this assignment, the period
    is of the rule's kind and one it asks for, lies between the first owed period and
    the horizon (a closed plan owes no period ending after its closure), and has begun
    by ``business_date``.
    """
    duties = list(duties)
    rule = next((d.rule for d in duties if d.rule.slug == rule_slug), None)
    if rule is None:
        known = ", ".join(sorted({d.rule.slug for d in duties}))
        raise ObligationNotOwed(
            f"the plan has no reporting duty {rule_slug!r} (its duties: {known})",
            field="obligation",
        )
    if not any(
        d.rule.slug == rule_slug and d.binds(task_number, unit_name, unit_kind) for d in duties
    ):
        raise ObligationNotOwed(
            f"{unit_name} on task {task_number} does not owe {rule_slug}", field="obligation"
        )
    if period.kind != rule.period_kind:
        raise ObligationNotOwed(
            f"{rule_slug} is reported per {rule.period_kind}; {period} is a {period.kind}",
            field="period",
        )
    if not rule.owes(period):
        raise ObligationNotOwed(
            f"{rule_slug} does not ask for a report for {period}", field="period"
        )
    first = first_owed_period(rule, active_from)
    if period < first or period.end < active_from:
        raise ObligationNotOwed(
            f"{unit_name} on task {task_number} owes {rule_slug} from "
            f"{_first_after(rule, first, active_from)}, not for {period}",
            field="period",
        )
    if period.start > horizon:
        raise ObligationNotOwed(
            f"{period} lies beyond the plan's span (obligations run to {horizon})",
            field="period",
        )
    if closed_on is not None and period.end > closed_on:
        raise ObligationNotOwed(
            f"{period} ends after the plan was closed ({closed_on}); it is not owed",
            field="period",
        )
    if period.start > business_date:
        raise ObligationNotOwed(
            f"{period} has not begun (business date {business_date}); nothing is owed yet",
            field="period",
        )
    return OwedReport(rule.slug, period, due_date(rule, period, calendar))


def _first_after(rule: ObligationRule, first: Period, active_from: date) -> Period:
    period = first
    while period.end < active_from or not rule.owes(period):
        period = period.next()
    return period

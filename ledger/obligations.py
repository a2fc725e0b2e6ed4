"""Reporting obligations: which reports each assignment owes, when, and how it stands.

A plan states its reporting duties in prose (``000`` （十七）: "各地各部门于4月、7月、10月
和次年1月月初5个工作日内，将季度和年度工程实施情况报……办公室"). The importer turns
them into :class:`ObligationRule` definitions; this module turns a rule into the periods
an assignment owes, their due dates, and evaluates each one as of a date.
Projections and the scheduler both call these pure functions, so the overdue list and
the reminders can never disagree about a due date.

Every due rule has one shape: *the N-th working day of the month after the period
ends*, counted on a :class:`~ledger.calendar.WorkingDayCalendar`.

The January question. (十七) names four deadlines: April, July, October and the next
January, for "quarterly and annual" reports. We read January's as the *annual* report,
which also covers Q4: one report, not two, so a unit is reminded, urged and scored
once. :func:`quarterly_and_annual_rules` builds that pair (Q1–Q3 quarterly, plus the
annual) so the importer need not re-derive it; a plan that wants a separate Q4 report
simply leaves ``period_indices`` unset.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from ledger.calendar import WorkingDayCalendar
from ledger.errors import ConfigurationError, InvalidPeriod
from ledger.ladder import LadderDates, LadderPolicy, ladder_dates  # noqa: F401 (re-exported)
from ledger.periods import Period
from ledger.vocabulary import Cadence, ObligationState

_PERIODS_PER_YEAR = {"month": 12, "quarter": 4, "half": 2, "year": 1}

#: Every month has at least 15 working days even around Spring Festival, so a due rule
#: within that bound always lands inside its month; beyond it is a typo in a config.
MAX_DUE_WORKDAY = 15


@dataclass(frozen=True)
class ObligationRule:
    """A reporting duty as a plan states it.

    ``scope`` is ``"plan"`` (every assignment of the plan owes it, as (十七) binds
    "各地各部门") or the task numbers exactly as printed (``("（十七）",)``, ``("8",)``).
    ``period_indices`` restricts which periods of each year are owed (1-based; ``None``
    for all): 000's quarterly duty is ``(1, 2, 3)`` because January's report is the
    annual one. ``first_period`` replaces the default start (the month after the plan's
    issue date) when the document names its own first period.
    """

    slug: str
    description: str
    cadence: Cadence
    due_workday: int = 5  # the N-th working day of the month after the period ends
    scope: Literal["plan"] | tuple[str, ...] = "plan"
    period_indices: tuple[int, ...] | None = None
    first_period: Period | None = None
    source: str = ""  # where the document says so, e.g. "000 （十七）"

    def __post_init__(self) -> None:
        if not self.slug:
            raise ConfigurationError("an obligation needs a slug", field="slug")
        try:
            object.__setattr__(self, "cadence", Cadence(self.cadence))
        except ValueError:
            raise ConfigurationError(
                f"obligation {self.slug}: cadence {self.cadence!r} is not one of "
                "monthly, quarterly, half-yearly, annual",
                field="cadence",
            ) from None
        if not 1 <= self.due_workday <= MAX_DUE_WORKDAY:
            raise ConfigurationError(
                f"obligation {self.slug}: due on working day {self.due_workday} of the month; "
                f"expected 1 to {MAX_DUE_WORKDAY}",
                field="due_workday",
            )
        if self.scope != "plan":
            if isinstance(self.scope, str) or not self.scope:
                raise ConfigurationError(
                    f"obligation {self.slug}: scope is 'plan' or a non-empty list of task numbers",
                    field="scope",
                )
            object.__setattr__(self, "scope", tuple(self.scope))
        if self.period_indices is not None:
            count = _PERIODS_PER_YEAR[self.period_kind]
            indices = tuple(sorted(set(self.period_indices)))
            if not indices or not all(1 <= i <= count for i in indices):
                raise ConfigurationError(
                    f"obligation {self.slug}: period indices {self.period_indices!r} must be "
                    f"between 1 and {count}",
                    field="period_indices",
                )
            object.__setattr__(self, "period_indices", indices)
        if self.first_period is not None and self.first_period.kind != self.period_kind:
            raise ConfigurationError(
                f"obligation {self.slug}: first period {self.first_period} is not a "
                f"{self.period_kind}",
                field="first_period",
            )

    @property
    def period_kind(self) -> str:
        return self.cadence.period_kind

    def applies_to(self, task_number: str) -> bool:
        """Whether an assignment on ``task_number`` owes this report."""
        return self.scope == "plan" or task_number in self.scope

    def owes(self, period: Period) -> bool:
        """Whether ``period`` is one this rule asks for (kind and, if set, index)."""
        return period.kind == self.period_kind and (
            self.period_indices is None or period.index in self.period_indices
        )


#: The documented default for a plan that states no reporting duty (issue 4): a
#: monthly progress report due by the 5th working day of the next month, owed by every
#: assignment from the month after the plan's issue date until the plan is closed.
DEFAULT_RULE = ObligationRule(
    slug="monthly-progress",
    description="月度进展报告：次月前5个工作日内报送 / monthly progress report, "
    "due by the 5th working day of the next month",
    cadence=Cadence.MONTHLY,
    due_workday=5,
    scope="plan",
    source="default",
)


def quarterly_and_annual_rules(
    slug: str,
    description: str,
    *,
    due_workday: int = 5,
    scope: Literal["plan"] | tuple[str, ...] = "plan",
    source: str = "",
) -> tuple[ObligationRule, ObligationRule]:
    """The (十七) pattern: Q1–Q3 reports in April, July, October; the annual in January.

    January's report is the annual one and stands for Q4 too (see the module docstring),
    so the quarterly rule skips Q4. Slugs are ``{slug}-quarterly`` and ``{slug}-annual``.
    """
    quarterly = ObligationRule(
        slug=f"{slug}-quarterly",
        description=f"{description}（季度）",
        cadence=Cadence.QUARTERLY,
        due_workday=due_workday,
        scope=scope,
        period_indices=(1, 2, 3),
        source=source,
    )
    annual = ObligationRule(
        slug=f"{slug}-annual",
        description=f"{description}（年度，含第四季度）",
        cadence=Cadence.ANNUAL,
        due_workday=due_workday,
        scope=scope,
        source=source,
    )
    return quarterly, annual


def due_date(rule: ObligationRule, period: Period, calendar: WorkingDayCalendar) -> date:
    """The N-th working day of the month after ``period`` ends."""
    if period.kind != rule.period_kind:
        raise InvalidPeriod(
            f"period {period} is a {period.kind}, but {rule.slug} is reported per "
            f"{rule.period_kind}",
            field="period",
        )
    after = period.end + timedelta(days=1)
    return calendar.nth_workday_of_month(after.year, after.month, rule.due_workday)


def first_owed_period(rule: ObligationRule, active_from: date) -> Period:
    """The first period of ``rule``'s kind owed by an assignment active from that date.

    Default: the duty runs from the month after ``active_from`` (the plan's issue date,
    or the day a unit was added), so the first owed period is the one containing that
    month: ``000`` issued 2026-05-09 owes Q2 2026 (due 2026-07-07) and monthly reports
    from June. A part-month at the start is not owed; the plan was barely in force.
    An explicit ``rule.first_period`` takes the place of that start.
    """
    if rule.first_period is not None:
        return rule.first_period
    month_after = (active_from.replace(day=1) + timedelta(days=32)).replace(day=1)
    return _period_containing(rule.period_kind, month_after)


def periods_due(
    rule: ObligationRule,
    active_from: date,
    until: date,
    *,
    closed_on: date | None = None,
) -> list[Period]:
    """Every period for which the obligation exists, from the start up to ``until``.

    An obligation exists once its period has *begun* (it is "open" until submitted or
    due), so the list includes the current period: that is what "next obligation and
    its due date" needs. Periods that ended before ``active_from`` are never owed (a
    unit added in August owes nothing for Q1, even when the rule names Q1 as its
    first period). ``closed_on``: closing a plan discharges periods not complete by
    then; periods that ended on or before it remain owed.
    """
    period = first_owed_period(rule, active_from)
    result: list[Period] = []
    while period.start <= until:
        if closed_on is not None and period.end > closed_on:
            break
        if period.end >= active_from and rule.owes(period):
            result.append(period)
        period = period.next()
    return result


@dataclass(frozen=True)
class ObligationStatus:
    """How an obligation stands as of a date.

    ``days_late`` is in working days: how late it was submitted (``submitted_late``)
    or how long it has been overdue as of the date (``overdue``); 0 otherwise.
    ``due_on`` is the effective due date (after any extension).
    """

    status: ObligationState
    days_late: int
    due_on: date

    @property
    def settled(self) -> bool:
        """No further action is owed: submitted (on time or late) or waived."""
        return self.status.settled


def evaluate_obligation(
    due_on: date,
    as_of: date,
    calendar: WorkingDayCalendar,
    submitted_on: date | None = None,
    extended_to: date | None = None,
    waived: bool = False,
) -> ObligationStatus:
    """The status of one obligation as of ``as_of``; pure, so any date can be replayed.

    * ``submitted_on`` is the business date of the first report for the period. A
      report dated after ``as_of`` is ignored: as of that day it had not arrived.
    * ``extended_to`` (an approved extension) replaces the due date for everything:
      on time, late and overdue are measured against it.
    * ``waived`` wins over everything: the office has said the report is not owed.

    A report or an as-of date that falls on a non-working day after the deadline
    counts as at least one working day late: the deadline has passed, and the office
    reads it on the next working day. (Plain ``workdays_between`` would say 0.)
    """
    effective = extended_to if extended_to is not None else due_on
    if waived:
        return ObligationStatus(ObligationState.WAIVED, 0, effective)
    if submitted_on is not None and submitted_on <= as_of:
        if submitted_on <= effective:
            return ObligationStatus(ObligationState.SUBMITTED_ON_TIME, 0, effective)
        late = max(1, calendar.workdays_between(effective, submitted_on))
        return ObligationStatus(ObligationState.SUBMITTED_LATE, late, effective)
    if as_of <= effective:
        return ObligationStatus(
            ObligationState.EXTENDED if extended_to is not None else ObligationState.OPEN,
            0,
            effective,
        )
    overdue = max(1, calendar.workdays_between(effective, as_of))
    return ObligationStatus(ObligationState.OVERDUE, overdue, effective)


def _period_containing(kind: str, day: date) -> Period:
    if kind == "month":
        return Period.month_of(day)
    if kind == "quarter":
        return Period.quarter_of(day)
    if kind == "half":
        return Period.half_of(day)
    return Period.year_of(day)

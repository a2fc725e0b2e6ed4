"""Evaluation: the one module that decides how an obligation stands, how a target and a
task are lit, how a unit's reports are counted, and the annual scores and ranking.

Reports (:mod:`projections.queries`), the API (through those queries) and briefings
(:mod:`scheduler.briefings`) read rows and hand them here; nothing else counts reports
on time or lights a target. Every function is pure: rows in, frozen dataclasses out, so
any date can be replayed. The status of a single obligation is the ledger's rule
(:func:`ledger.obligations.evaluate_obligation`); this module only calls it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

from ledger.calendar import WorkingDayCalendar
from ledger.obligations import ObligationStatus, evaluate_obligation
from ledger.periods import Period
from ledger.rules import DEFAULTS as RULE_DEFAULTS
from ledger.rules import RuleValues
from ledger.vocabulary import ChaseKind, ObligationState, Role

ADDITIVE_MEASURES = {"人", "人次", "个", "家", "户", "元", "万元", "亿元"}


# ---- obligation status ---------------------------------------------------------------------
#: Statuses of an obligation that is not owed (yet) as of the date: it counts for nothing.
NOT_YET_OWED = frozenset(
    {ObligationState.OPEN, ObligationState.EXTENDED, ObligationState.WAIVED}
)


def obligation_status(
    due_on: date,
    as_of: date,
    calendar: WorkingDayCalendar,
    *,
    submitted_on: date | None = None,
    extended_to: date | None = None,
) -> ObligationStatus:
    """Open, submitted on time, submitted late by N working days, overdue by N working
    days, or extended, as of a date (the ledger's rule)."""
    return evaluate_obligation(
        due_on, as_of, calendar, submitted_on=submitted_on, extended_to=extended_to
    )


class StatusAt:
    """Obligation status as of one date, from the read model's ISO date strings.

    Thousands of obligations share a handful of (due, submitted, extended) triples, so
    the answers are cached per instance.
    """

    def __init__(self, calendar: WorkingDayCalendar, as_of: date) -> None:
        self.calendar = calendar
        self.as_of = as_of
        self._evaluate = lru_cache(maxsize=4096)(self._status)

    def __call__(
        self, due_on: str, submitted_on: str | None, extended_to: str | None
    ) -> ObligationStatus:
        return self._evaluate(due_on, submitted_on, extended_to)

    def _status(
        self, due_on: str, submitted_on: str | None, extended_to: str | None
    ) -> ObligationStatus:
        return obligation_status(
            date.fromisoformat(due_on),
            self.as_of,
            self.calendar,
            submitted_on=_day(submitted_on),
            extended_to=_day(extended_to),
        )


@dataclass(frozen=True)
class ReportCount:
    """Reports owed (due by the date) and how they stand: made on time, made late,
    still overdue; ``lateness`` holds the working days of each late or overdue one."""

    due: int = 0
    made: int = 0
    on_time: int = 0
    late: int = 0
    overdue: int = 0
    lateness: tuple[int, ...] = ()

    @property
    def rate(self) -> float | None:
        """On-time rate = reports made on time / reports due; None when nothing is due."""
        return self.on_time / self.due if self.due else None

    @property
    def average_lateness(self) -> float:
        """Mean working days late over the late and overdue reports (0.0 for none)."""
        return round(sum(self.lateness) / len(self.lateness), 2) if self.lateness else 0.0


def count_reports(statuses: Iterable[tuple[str, int] | tuple[str, int, int]]) -> ReportCount:
    """Count (status, working days late) pairs, or (status, days late, how many) triples
    for obligations that share both; obligations not yet owed are left out."""
    due = made = on_time = late = overdue = 0
    lateness: list[int] = []
    for status, days_late, *many in statuses:
        if status in NOT_YET_OWED:
            continue
        n = many[0] if many else 1
        due += n
        if status == ObligationState.SUBMITTED_ON_TIME:
            made += n
            on_time += n
        elif status == ObligationState.SUBMITTED_LATE:
            made += n
            late += n
            lateness += [days_late] * n
        else:
            overdue += n
            lateness += [days_late] * n
    return ReportCount(due, made, on_time, late, overdue, tuple(lateness))


# ---- target lights (红黄绿灯) ---------------------------------------------------------------
@dataclass(frozen=True)
class Thresholds:
    """Traffic-light thresholds for target progress (percentage points).

    green: actual % of target >= expected % by elapsed time;
    yellow: behind, but by less than ``yellow_within`` points;
    red: behind by ``yellow_within`` points or more, or an obligation on the task is overdue.

    The value in force is recorded in the ledger (:mod:`ledger.rules`); the default is
    the one recorded as version 1 (:func:`thresholds_from`).
    """

    yellow_within: float = RULE_DEFAULTS.yellow_within


def thresholds_from(values: RuleValues) -> Thresholds:
    return Thresholds(yellow_within=values.yellow_within)


DEFAULT_THRESHOLDS = thresholds_from(RULE_DEFAULTS)


@dataclass(frozen=True)
class TargetValue:
    """One unit's latest figure for a target's indicator inside the target's window."""

    unit: str
    role: str
    period: str
    value: Any

    def to_json(self) -> dict[str, Any]:
        return {"unit": self.unit, "role": self.role, "period": self.period, "value": self.value}


@dataclass(frozen=True)
class TargetProgress:
    """A quantitative target of a task: latest values, aggregate, % done, % expected, light.

    ``plan_id`` and ``task_id`` identify the task (they are not in the report's JSON).
    """

    plan_id: str
    task_id: str
    plan_title: str
    task_number: str
    task_title: str
    indicator: str
    target: Any
    measure: str | None
    comparator: str
    window_from: date
    window_to: date
    values: tuple[TargetValue, ...]
    additive: bool
    actual: Any
    percent: float | None
    expected_percent: float
    light: str
    overdue_obligations: bool = False

    def to_json(self) -> dict[str, Any]:
        """As ``/reports/targets`` and ``taskledger report targets --json`` print it."""
        return {
            "indicator": self.indicator,
            "target": self.target,
            "measure": self.measure,
            "comparator": self.comparator,
            "window": {"from": self.window_from.isoformat(), "to": self.window_to.isoformat()},
            "values": [value.to_json() for value in self.values],
            "additive": self.additive,
            "actual": self.actual,
            "percent": self.percent,
            "expected_percent": self.expected_percent,
            "light": self.light,
            "overdue_obligations": self.overdue_obligations,
            "plan_title": self.plan_title,
            "task_number": self.task_number,
            "task_title": self.task_title,
        }


def finite(value: Any) -> Any:
    """A stored figure as JSON can carry it: stores written before the ledger bounded
    figures (±10^15) may hold values such as 1e308, whose sums and ratios overflow to
    infinity; those read as None (unknown), never as ``Infinity``."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def target_window(target: Mapping[str, Any], as_of: date) -> tuple[date, date]:
    """The dates a target's figures count in: its stated span, or the as-of year; a
    per-year target is measured in the year of the as-of date (within its span)."""
    period = target.get("period") or {}
    start = date.fromisoformat(period["from"]) if period.get("from") else date(as_of.year, 1, 1)
    end = date.fromisoformat(period["to"]) if period.get("to") else date(as_of.year, 12, 31)
    if period.get("per") == "year":
        year = min(max(as_of.year, start.year), end.year)
        start, end = date(year, 1, 1), date(year, 12, 31)
    return start, end


def target_progress(
    target: Mapping[str, Any],
    reports: Sequence[Mapping[str, Any]],
    as_of: date,
    thresholds: Thresholds,
    *,
    plan_id: str,
    task_id: str,
    plan_title: str,
    task_number: str,
    task_title: str,
    overdue_obligations: bool = False,
) -> TargetProgress:
    """Progress of one target from its task's reports (rows with ``unit_id``,
    ``unit_name``, ``role``, ``period``, ``position`` and decoded ``metrics``).

    Convention: a unit reports, under the target's indicator name, the value it has
    reached so far in the target's window. Additive measures sum across units; rates
    (%) take the lead unit's latest value. A task with an overdue obligation is red.
    """
    indicator = target["indicator"]
    start, end = target_window(target, as_of)
    latest: dict[str, Mapping[str, Any]] = {}
    for report in reports:
        if indicator not in report["metrics"]:
            continue
        period = Period.parse(report["period"])
        if period.end < start or period.start > end:
            continue
        previous = latest.get(report["unit_id"])
        if previous is None or (period.end, report["position"]) >= (
            Period.parse(previous["period"]).end,
            previous["position"],
        ):
            latest[report["unit_id"]] = report
    values = tuple(
        TargetValue(r["unit_name"], r["role"], r["period"], finite(r["metrics"][indicator]))
        for r in latest.values()
    )
    additive = target.get("measure") in ADDITIVE_MEASURES
    known = [v for v in values if v.value is not None]
    if not known:
        actual = None
    elif additive:
        actual = finite(sum(v.value for v in known))
    else:
        leads = [v for v in known if v.role == Role.LEAD] or known
        actual = leads[0].value
    goal = float(target["value"])
    comparator = target.get("comparator", ">=")
    span = max((end - start).days, 1)
    elapsed = min(max((as_of - start).days, 0), span)
    expected = 100.0 * elapsed / span if comparator == ">=" else 100.0
    if actual is None:
        percent = 0.0 if comparator == ">=" else None
    elif comparator == ">=":
        percent = 100.0 * actual / goal if goal else 100.0
    elif comparator == "<=":
        percent = 100.0 if actual <= goal else 100.0 * goal / actual
    else:  # about: within 5% of the value counts as reached
        percent = (
            100.0
            if goal and abs(actual - goal) <= 0.05 * abs(goal)
            else (100.0 * min(actual, goal) / max(actual, goal) if goal and actual else 0.0)
        )
    if percent is None:
        light = "yellow"
    elif percent >= expected:
        light = "green"
    elif expected - percent < thresholds.yellow_within:
        light = "yellow"
    else:
        light = "red"
    if percent is not None and not math.isfinite(percent):
        percent, light = None, "yellow"  # not a number anyone can act on; see finite()
    return TargetProgress(
        plan_id=plan_id,
        task_id=task_id,
        plan_title=plan_title,
        task_number=task_number,
        task_title=task_title,
        indicator=indicator,
        target=target["value"],
        measure=target.get("measure"),
        comparator=comparator,
        window_from=start,
        window_to=end,
        values=values,
        additive=additive,
        actual=actual,
        percent=None if percent is None else round(percent, 1),
        expected_percent=round(expected, 1),
        light="red" if overdue_obligations else light,
        overdue_obligations=overdue_obligations,
    )


def task_light(target_lights: Sequence[str], late_units: int, units: int, red_share: float) -> str:
    """A task on the board: red when a target is red or at least ``red_share`` of its
    units are overdue; yellow when a target is yellow or any unit is overdue; else green."""
    share = late_units / units if units else 0.0
    if "red" in target_lights or (late_units and share >= red_share):
        return "red"
    if "yellow" in target_lights or late_units:
        return "yellow"
    return "green"


def target_completion(percents: Sequence[float | None]) -> float | None:
    """Mean of min(percent done, 100%) over targets, as a share (no data counts 0);
    None when there is no target."""
    if not percents:
        return None
    return sum(min(max(done or 0.0, 0.0), 100.0) / 100 for done in percents) / len(percents)


# ---- unit scorecards and ranking --------------------------------------------------------
CHASE_FIELDS = {
    ChaseKind.REMINDER: "reminders",
    ChaseKind.URGE: "urges",
    ChaseKind.ESCALATION: "escalations",
}


@dataclass(frozen=True)
class UnitScorecard:
    """Per unit: reports due and made, on-time rate, average lateness, chases received."""

    unit_id: str
    unit: str
    reports_due: int
    reports_made: int
    on_time: int
    overdue: int
    reminders: int
    urges: int
    escalations: int
    on_time_rate: float | None
    average_lateness: float

    def to_json(self) -> dict[str, Any]:
        """As ``/reports/scorecard`` and ``taskledger report scorecard --json`` print it."""
        return {
            "unit": self.unit,
            "reports_due": self.reports_due,
            "reports_made": self.reports_made,
            "on_time": self.on_time,
            "overdue": self.overdue,
            "reminders": self.reminders,
            "urges": self.urges,
            "escalations": self.escalations,
            "on_time_rate": self.on_time_rate,
            "average_lateness": self.average_lateness,
        }


@dataclass(frozen=True)
class RankedScorecard(UnitScorecard):
    """A scorecard with its place: ties share a rank (1, 1, 3)."""

    rank: int = 0


def scorecards(
    obligations: Iterable[Mapping[str, Any]], chases: Iterable[Mapping[str, Any]]
) -> list[UnitScorecard]:
    """Scorecards from obligation rows evaluated as of the date (``unit_id``,
    ``unit_name``, ``status``, ``working_days_late``, and ``n`` if a row stands for
    several obligations alike) and chase counts (``unit_id``, ``name``, ``kind``,
    ``n``); best on-time rate first, then by name."""
    names: dict[str, str] = {}
    statuses: dict[str, list[tuple[str, int, int]]] = {}
    for row in obligations:
        if row["status"] in NOT_YET_OWED:
            continue
        names.setdefault(row["unit_id"], row["unit_name"])
        statuses.setdefault(row["unit_id"], []).append(
            (row["status"], row["working_days_late"], row.get("n", 1))
        )
    chased: dict[str, dict[str, int]] = {}
    for row in chases:
        names.setdefault(row["unit_id"], row["name"])
        counts = chased.setdefault(row["unit_id"], dict.fromkeys(CHASE_FIELDS.values(), 0))
        counts[CHASE_FIELDS[row["kind"]]] += row["n"]
    cards = []
    for unit_id, name in names.items():
        counted = count_reports(statuses.get(unit_id, []))
        received = chased.get(unit_id, {})
        cards.append(
            UnitScorecard(
                unit_id=unit_id,
                unit=name,
                reports_due=counted.due,
                reports_made=counted.made,
                on_time=counted.on_time,
                overdue=counted.overdue,
                reminders=received.get("reminders", 0),
                urges=received.get("urges", 0),
                escalations=received.get("escalations", 0),
                on_time_rate=round(counted.rate, 3) if counted.rate is not None else None,
                average_lateness=counted.average_lateness,
            )
        )
    return sorted(cards, key=lambda c: (-(c.on_time_rate or 0), c.unit))


def ranking(cards: Iterable[UnitScorecard]) -> list[RankedScorecard]:
    """Units by on-time rate (none due last), then fewer overdue, then less lateness."""

    def key(card: UnitScorecard) -> tuple:
        rate = card.on_time_rate
        return (-(rate if rate is not None else -1), card.overdue, card.average_lateness)

    ordered = sorted(cards, key=lambda c: (*key(c), c.unit))
    ranked, previous_key, rank = [], None, 0
    for i, card in enumerate(ordered, start=1):
        if key(card) != previous_key:
            rank, previous_key = i, key(card)
        ranked.append(RankedScorecard(**vars(card), rank=rank))
    return ranked


# ---- annual scores ------------------------------------------------------------------------
@dataclass(frozen=True)
class ScoreWeights:
    """The annual evaluation's formula (see :func:`annual_scores`); the values in force
    are recorded in the ledger (:class:`ledger.rules.Weights`, :func:`weights_from`)."""

    on_time: float = RULE_DEFAULTS.weights.on_time
    targets: float = RULE_DEFAULTS.weights.targets
    escalations: float = RULE_DEFAULTS.weights.escalations
    # share of the escalation term each escalation costs
    escalation_cost: float = RULE_DEFAULTS.weights.escalation_cost
    urge_cost: float = RULE_DEFAULTS.weights.urge_cost
    commend_at: float = RULE_DEFAULTS.weights.commend_at
    call_out_below: float = RULE_DEFAULTS.weights.call_out_below


def weights_from(values: RuleValues) -> ScoreWeights:
    return ScoreWeights(**vars(values.weights))


@dataclass(frozen=True)
class UnitYear:
    """What a unit's annual score is made of: its year's reports and chases, and the
    percent done of each quantitative target of the tasks it leads."""

    unit: str
    reports: ReportCount
    urges: int
    escalations: int
    led_targets: tuple[float | None, ...]


@dataclass(frozen=True)
class UnitScore:
    unit: str
    rate: float | None
    completion: float | None
    penalty: float
    escalations: int
    urges: int
    due: int
    overdue: int
    score: float
    verdict: str  # "commend", "call_out" or ""
    rank: int


def annual_scores(units: Iterable[UnitYear], weights: ScoreWeights) -> list[UnitScore]:
    """Each unit's score (0-100), verdict and rank, best first::

        score = 100 × (w_on_time × on_time_rate + w_targets × target_completion
                       + w_escalations × (1 − penalty)) / (sum of the weights used)

    ``penalty = min(1, escalation_cost × escalations + urge_cost × urges)``. A term that
    does not apply (no report due, no target led) is left out with its weight.
    Commended: score ≥ ``commend_at`` with no escalation and nothing overdue; called
    out: score < ``call_out_below`` or any escalation.
    """
    scored = []
    for unit in units:
        terms: list[tuple[float, float]] = []
        rate = unit.reports.rate
        if rate is not None:
            terms.append((weights.on_time, rate))
        completion = target_completion(unit.led_targets)
        if completion is not None:
            terms.append((weights.targets, completion))
        penalty = min(
            1.0, weights.escalation_cost * unit.escalations + weights.urge_cost * unit.urges
        )
        terms.append((weights.escalations, 1 - penalty))
        score = 100 * sum(w * x for w, x in terms) / sum(w for w, _ in terms)
        overdue = unit.reports.overdue
        if score >= weights.commend_at and not unit.escalations and not overdue:
            verdict = "commend"
        elif score < weights.call_out_below or unit.escalations:
            verdict = "call_out"
        else:
            verdict = ""
        scored.append((unit, rate, completion, penalty, round(score, 1), verdict))
    scored.sort(key=lambda s: (-s[4], s[0].unit))
    result, rank, previous_score = [], 0, None
    for i, (unit, rate, completion, penalty, score, verdict) in enumerate(scored, start=1):
        if score != previous_score:
            rank, previous_score = i, score
        result.append(
            UnitScore(
                unit=unit.unit,
                rate=rate,
                completion=completion,
                penalty=penalty,
                escalations=unit.escalations,
                urges=unit.urges,
                due=unit.reports.due,
                overdue=unit.reports.overdue,
                score=score,
                verdict=verdict,
                rank=rank,
            )
        )
    return result


def _day(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None

"""What a briefing says: its figures, the task board, the overdue units, chases,
highlights, the ranking and the annual scores, from the projections.

Everything here is plain computation over :mod:`projections` reads; the rules (status,
lights, counting, scores) are :mod:`projections.evaluation`'s. No rendering library is
imported, so this is testable without WeasyPrint (see :mod:`scheduler.briefings.render`
for templates, charts and PDF).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from ledger.briefing import BRIEFING_KINDS
from ledger.calendar import WorkingDayCalendar
from ledger.errors import InvalidInput
from ledger.periods import Period
from ledger.vocabulary import Cadence, ChaseKind, ObligationState, Role
from projections import briefing_data, evaluation, queries
from projections.evaluation import (
    DEFAULT_THRESHOLDS,
    ReportCount,
    ScoreWeights,
    TargetProgress,
    Thresholds,
    UnitYear,
)
from projections.views import View
from scheduler.briefings.formatting import (
    STATUS_NAMES,
    clip,
    cn_period,
    listing,
    percent,
    quantity,
    short_plan,
    signed,
    task_sort,
)

#: A briefing's title, by its kind as recorded (``Cadence.briefing_kind``).
TITLES = {
    Cadence.MONTHLY.briefing_kind: "月调度简报",
    Cadence.QUARTERLY.briefing_kind: "季度分析报告",
    Cadence.HALF_YEARLY.briefing_kind: "半年工作总结",
    Cadence.ANNUAL.briefing_kind: "年度评估报告",
}
_PERIODS_PER_YEAR = {"month": 12, "quarter": 4, "half": 2, "year": 1}


@dataclass(frozen=True)
class BriefingConfig:
    thresholds: Thresholds = DEFAULT_THRESHOLDS
    red_share: float = 0.3  # share of a task's units overdue that turns its light red
    weights: ScoreWeights = field(default_factory=ScoreWeights)
    highlights: int = 10  # progress highlights quoted
    quote_chars: int = 240  # a quoted narrative is cut after this many characters
    chase_rows: int = 40  # units listed with their reminders/urges/escalations
    tasks_listed: int = 8  # task numbers listed per unit and plan (the rest are counted)


DEFAULT_CONFIG = BriefingConfig()


def check(kind: str, period: str | Period) -> Period:
    """The period a briefing of this kind covers; refuses a kind or period that do not fit."""
    if kind not in BRIEFING_KINDS:
        raise InvalidInput(
            f"briefing kind must be one of {', '.join(BRIEFING_KINDS)}, not {kind!r}",
            field="kind",
        )
    parsed = period if isinstance(period, Period) else Period.parse(period)
    period_kind = Cadence(kind).period_kind
    if parsed.kind != period_kind:
        example = {"month": "2026-06", "quarter": "2026-Q2", "half": "2026-H1", "year": "2026"}
        raise InvalidInput(
            f"a {kind} briefing needs a {period_kind} period such as "
            f"{example[period_kind]}, not {parsed}",
            field="period",
        )
    return parsed


def previous(period: Period) -> Period:
    if period.index > 1:
        return Period(period.year, period.kind, period.index - 1)
    return Period(period.year - 1, period.kind, _PERIODS_PER_YEAR[period.kind])


# ---- figures of a period -------------------------------------------------------------------
@dataclass(frozen=True)
class Activity:
    """A period's reports due (evaluated at its close), chases issued and reports received,
    for the whole office or one unit."""

    reports: ReportCount = field(default_factory=ReportCount)
    reminder: int = 0
    urge: int = 0
    escalation: int = 0
    received: int = 0

    @property
    def due(self) -> int:
        return self.reports.due

    @property
    def made(self) -> int:
        return self.reports.made

    @property
    def on_time(self) -> int:
        return self.reports.on_time

    @property
    def late(self) -> int:
        return self.reports.late

    @property
    def overdue(self) -> int:
        return self.reports.overdue

    @property
    def rate(self) -> float | None:
        return self.reports.rate


NO_ACTIVITY = Activity()


@dataclass(frozen=True)
class PeriodFigures:
    period_cn: str
    close: date
    totals: Activity
    per_unit: dict[str, Activity]  # unit id ->

    @property
    def rate(self) -> float | None:
        return self.totals.rate


def period_figures(
    view: View,
    obligations: list[dict],
    period: Period,
    close: date,
    calendar: WorkingDayCalendar,
) -> PeriodFigures:
    """Reports due in the period, evaluated at its close; chases and reports received.

    The same rule for any period, so this period and the previous one compare like for
    like; a report made after the close does not change a closed period.
    """
    start, end = period.start.isoformat(), period.end.isoformat()
    status_at_close = evaluation.StatusAt(calendar, close)
    everyone: list[tuple[str, int]] = []
    per_unit: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for row in obligations:
        if not start <= row["due_on"] <= end:
            continue
        status = status_at_close(row["due_on"], row["first_report_on"], row["extended_to"])
        if status.status in evaluation.NOT_YET_OWED:
            continue
        everyone.append((status.status, status.days_late))
        per_unit[row["unit_id"]].append((status.status, status.days_late))
    chased: dict[str, Counter[str]] = defaultdict(Counter)
    for count in briefing_data.chase_counts_between(view.store, period.start, close):
        chased[count.unit_id][count.kind] += count.n
    totals: Counter[str] = sum(chased.values(), Counter())
    units = {
        unit_id: Activity(evaluation.count_reports(per_unit.get(unit_id, [])),
                          **chased.get(unit_id, {}))
        for unit_id in {**per_unit, **chased}
    }
    received = briefing_data.reports_received_between(view.store, period.start, close)
    return PeriodFigures(
        period_cn=cn_period(period),
        close=close,
        totals=Activity(evaluation.count_reports(everyone), **totals, received=received),
        per_unit=units,
    )


def comparison(this: PeriodFigures, last: PeriodFigures) -> list[dict[str, Any]]:
    rows = []
    for key, label in (
        ("due", "应报送报告（份）"),
        ("made", "已报送（份）"),
        ("on_time", "按时报送（份）"),
        ("late", "逾期后补报（份）"),
        ("overdue", "期末仍未报送（份）"),
        ("received", "收到进展报告（份）"),
        (ChaseKind.REMINDER, "提醒（次）"),
        (ChaseKind.URGE, "催办（次）"),
        (ChaseKind.ESCALATION, "上报监督平台（次）"),
    ):
        now, before = getattr(this.totals, key), getattr(last.totals, key)
        rows.append({"label": label, "now": now, "before": before, "change": now - before})
    now_rate, before_rate = this.rate, last.rate
    rows.insert(
        3,
        {
            "label": "按时报送率",
            "now": percent(now_rate),
            "before": percent(before_rate),
            "change": None
            if now_rate is None or before_rate is None
            else signed(100 * (now_rate - before_rate)) + "个百分点",
        },
    )
    return rows


def unit_comparison(
    this: PeriodFigures, last: PeriodFigures, units: list[briefing_data.UnitName]
) -> list[dict[str, Any]]:
    rows = []
    for unit in units:
        now = this.per_unit.get(unit.unit_id, NO_ACTIVITY)
        before = last.per_unit.get(unit.unit_id, NO_ACTIVITY)
        if not now.due and not before.due:
            continue
        change = None if now.rate is None or before.rate is None else now.rate - before.rate
        rows.append(
            {
                "unit": unit.unit_name,
                "due": now.due,
                "on_time": now.on_time,
                "rate": now.rate,
                "before": before.rate,
                "change": change,
                "overdue": now.overdue,
                "chased": now.urge + now.escalation,
            }
        )
    rows.sort(key=lambda r: (-(-1 if r["rate"] is None else r["rate"]), r["overdue"], r["unit"]))
    return rows


# ---- the task board (红黄绿灯) ----------------------------------------------------------------
@dataclass(frozen=True)
class BoardTask:
    """A task with the units on it (assignments not withdrawn)."""

    plan_id: str
    plan: str  # short title
    number: str
    ordinal: int
    title: str
    lead: str  # lead units' names, joined
    lead_ids: tuple[str, ...]
    unit_ids: frozenset[str]
    units: int
    target_count: int


def board_tasks(view: View, plan_short: dict, plan_order: dict) -> list[BoardTask]:
    by_task: dict[str, list[briefing_data.Staffing]] = defaultdict(list)
    for staff in briefing_data.staffing(view.store):
        by_task[staff.task_id].append(staff)
    tasks = []
    for task in briefing_data.tasks(view.store):
        people = by_task.get(task.task_id, [])
        leads = [p for p in people if p.role == Role.LEAD]
        tasks.append(
            BoardTask(
                plan_id=task.plan_id,
                plan=plan_short[task.plan_id],
                number=task.number,
                ordinal=task.ordinal,
                title=task.title,
                lead="、".join(p.unit_name for p in leads) or "—",
                lead_ids=tuple(p.unit_id for p in leads),
                unit_ids=frozenset(p.unit_id for p in people),
                units=len(people),
                target_count=task.target_count,
            )
        )
    tasks.sort(key=lambda t: (plan_order[t.plan_id], t.ordinal))
    return tasks


@dataclass(frozen=True)
class BoardRow:
    plan: str
    number: str
    title: str
    lead: str
    units: int
    late_units: int
    targets: int
    target_lights: Counter[str]
    light: str


def board(
    tasks: list[BoardTask],
    targets: list[TargetProgress],
    overdue_rows: list[dict],
    config: BriefingConfig,
) -> list[BoardRow]:
    """Each task's light (:func:`projections.evaluation.task_light`): its targets' lights
    and the share of its units with an overdue report."""
    target_lights: dict[tuple[str, str], list[str]] = defaultdict(list)
    for target in targets:
        target_lights[(target.plan_id, target.task_number)].append(target.light)
    late_units: dict[tuple[str, str], set[str]] = defaultdict(set)
    for row in overdue_rows:
        late_units[(row["plan_id"], row["task_number"])].add(row["unit_id"])
    rows = []
    for task in tasks:
        key = (task.plan_id, task.number)
        lights = target_lights.get(key, [])
        late = len(late_units.get(key, set()) & task.unit_ids)
        rows.append(
            BoardRow(
                plan=task.plan,
                number=task.number,
                title=task.title,
                lead=task.lead,
                units=task.units,
                late_units=late,
                targets=len(lights),
                target_lights=Counter(lights),
                light=evaluation.task_light(lights, late, task.units, config.red_share),
            )
        )
    return rows


# ---- overdue units, chases, highlights, responsibilities -------------------------------------
def overdue_units(
    rows: list[dict], plan_short: dict, plan_order: dict, config: BriefingConfig
) -> list[dict[str, Any]]:
    by_unit: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        by_unit[row["unit_id"]].append(row)
    result = []
    for items in by_unit.values():
        tasks: dict[str, list[str]] = defaultdict(list)
        for item in sorted(items, key=lambda r: (plan_order[r["plan_id"]], r["task_number"])):
            numbers = tasks[item["plan_id"]]
            if item["task_number"] not in numbers:
                numbers.append(item["task_number"])
        listed = [
            {"plan": plan_short[plan_id], "tasks": listing(task_sort(tasks[plan_id]),
                                                           config.tasks_listed)}
            for plan_id in sorted(tasks, key=plan_order.get)
        ]
        worst = max(items, key=lambda r: (r["working_days_late"], r["due_on"]))
        result.append(
            {
                "unit": items[0]["unit_name"],
                "count": len(items),
                "max_days": worst["working_days_late"],
                "earliest_period": min(items, key=lambda r: r["due_on"])["period"],
                "earliest_due": min(r["effective_due_on"] for r in items),
                "tasks": listed,
            }
        )
    result.sort(key=lambda u: (-u["max_days"], -u["count"], u["unit"]))
    return result


def chases(
    view: View, period: Period, close: date, plan_short: dict, config: BriefingConfig
) -> dict[str, Any]:
    """Reminders, urges and escalations issued in the period, grouped by unit.

    The events are per assignment (one per task and report owed); the office reads them
    per unit, as the reminders themselves are sent.
    """
    rows = briefing_data.chases_between(view.store, period.start, close)
    counts = Counter(r.kind for r in rows)
    units = Counter({k: len({r.unit_name for r in rows if r.kind == k}) for k in counts})
    by_unit: dict[str, list[briefing_data.Chase]] = defaultdict(list)
    for row in rows:
        by_unit[row.unit_name].append(row)
    listed = []
    for unit, items in by_unit.items():
        kinds = Counter(r.kind for r in items)
        tasks: dict[str, list[str]] = defaultdict(list)
        for item in items:
            if item.task_number not in tasks[item.plan_id]:
                tasks[item.plan_id].append(item.task_number)
        numbers = "；".join(
            f"{plan_short[plan_id]} " + listing(task_sort(found), config.tasks_listed)
            for plan_id, found in tasks.items()
        )
        listed.append(
            {
                "unit": unit,
                **{kind: kinds[kind] for kind in ChaseKind},
                "first": min(r.business_date for r in items),
                "last": max(r.business_date for r in items),
                "periods": "、".join(sorted({r.period for r in items})),
                "tasks": numbers,
            }
        )
    listed.sort(key=lambda u: (-u[ChaseKind.ESCALATION], -u[ChaseKind.URGE],
                               -u[ChaseKind.REMINDER], u["unit"]))
    return {
        "counts": counts,
        "units": units,
        "rows": listed[: config.chase_rows],
        "more": max(0, len(listed) - config.chase_rows),
        "total": len(rows),
    }


def highlights(
    view: View, period: Period, close: date, plan_short: dict, config: BriefingConfig
) -> list[dict[str, Any]]:
    """Progress quoted from the units' own narratives, received in the period.

    Preference: reports with figures, then lead units, then the earliest; one quote per
    unit and task. Narratives are cut, never rewritten, and escaped by the template.
    """
    rows = briefing_data.reports_between(view.store, period.start, close)
    rows.sort(key=lambda r: (not r.metrics, r.role != Role.LEAD, r.position))
    # one quote per unit first (so one busy unit cannot fill the section), then the rest;
    # never two quotes of the same unit on the same task
    units_seen: set[str] = set()
    first, rest = [], []
    for row in rows:
        (rest if row.unit_name in units_seen else first).append(row)
        units_seen.add(row.unit_name)
    seen: set[tuple[str, str, str]] = set()
    quotes = []
    for row in first + rest:
        key = (row.unit_name, row.plan_id, row.task_number)
        if key in seen:
            continue
        seen.add(key)
        text, cut = clip(row.narrative, config.quote_chars)
        quotes.append(
            {
                "unit": row.unit_name,
                "plan": plan_short[row.plan_id],
                "task": row.task_number,
                "task_title": row.task_title,
                "period": row.period,
                "date": row.business_date,
                "text": text,
                "cut": cut,
                "corrected": bool(row.corrected_by),
                "metrics": [
                    {"name": k, "value": quantity(v)} for k, v in sorted(row.metrics.items())
                ],
            }
        )
        if len(quotes) >= config.highlights:
            break
    return quotes


_KIND_ORDER = {"party_organ": 0, "department": 1, "central_branch": 2, "league_city": 3, "group": 4}


def annex(
    rows: list[dict], plan_short: dict, plan_order: dict, kinds: dict[str, str]
) -> list[dict[str, Any]]:
    """Each unit's responsibility list, one line per plan: lead tasks, co-tasks, reports.

    Units in the order a plan lists them: Party organs, government departments, central
    branches in the region, then leagues and cities, then vague groups; by name within.
    """
    by_unit: dict[str, dict[str, list[dict]]] = defaultdict(lambda: defaultdict(list))
    for row in rows:
        by_unit[row["unit_name"]][row["plan_id"]].append(row)
    result = []
    for unit in sorted(by_unit, key=lambda name: (_KIND_ORDER.get(kinds.get(name, ""), 9), name)):
        lines = []
        for plan_id in sorted(by_unit[unit], key=plan_order.get):
            items = by_unit[unit][plan_id]
            lead = task_sort(r["task_number"] for r in items if r["role"] == Role.LEAD)
            co = task_sort(r["task_number"] for r in items if r["role"] != Role.LEAD)
            statuses = Counter(r["status"] for r in items)
            last = max((r["last_report_on"] or "" for r in items), default="")
            nexts = [r["next_due_on"] for r in items if r["next_due_on"]]
            lines.append(
                {
                    "plan": plan_short[plan_id],
                    "lead": "、".join(lead) or "—",
                    "co": "、".join(co) or "—",
                    "reports": sum(r["reports"] for r in items),
                    "statuses": "，".join(
                        f"{STATUS_NAMES.get(s, s)}{n}" for s, n in sorted(statuses.items())
                    ),
                    "last": last or "—",
                    "next": min(nexts) if nexts else "—",
                }
            )
        result.append({"unit": unit, "lines": lines})
    return result


# ---- the annual evaluation ---------------------------------------------------------------
def scores(
    year: PeriodFigures,
    targets: list[TargetProgress],
    tasks: list[BoardTask],
    units: list[briefing_data.UnitName],
    weights: ScoreWeights,
) -> list[evaluation.UnitScore]:
    """:func:`projections.evaluation.annual_scores` of the year's figures; a unit answers
    for the targets of the tasks it leads."""
    lead_of = {(t.plan_id, t.number): t.lead_ids for t in tasks}
    led: dict[str, list[float | None]] = defaultdict(list)
    for target in targets:
        for unit_id in lead_of.get((target.plan_id, target.task_number), ()):
            led[unit_id].append(target.percent)
    years = []
    for unit in units:
        figures = year.per_unit.get(unit.unit_id, NO_ACTIVITY)
        years.append(
            UnitYear(
                unit=unit.unit_name,
                reports=figures.reports,
                urges=figures.urge,
                escalations=figures.escalation,
                led_targets=tuple(led.get(unit.unit_id, ())),
            )
        )
    return evaluation.annual_scores(years, weights)


# ---- everything a briefing says -------------------------------------------------------------
def briefing_context(
    view: View, calendar: WorkingDayCalendar, kind: str, period: Period, config: BriefingConfig
) -> dict[str, Any]:
    """The template's context, charts apart (:func:`scheduler.briefings.render.charts`)."""
    store = view.store
    close = min(period.end, view.as_of)
    prior = previous(period)
    plans = briefing_data.plans(store)
    plan_short = {p.plan_id: short_plan(p.title) for p in plans}
    plan_order = {p.plan_id: i for i, p in enumerate(plans)}
    tasks = board_tasks(view, plan_short, plan_order)
    obligations = queries.obligations(view)
    overdue_rows = [r for r in obligations if r["status"] == ObligationState.OVERDUE]
    targets = queries.target_rows(view, config.thresholds)  # pure progress lights
    this = period_figures(view, obligations, period, close, calendar)
    last = period_figures(view, obligations, prior, min(prior.end, view.as_of), calendar)
    years = {period.start.year, period.end.year, view.as_of.year}
    if period.end.month == 12:
        years.add(period.end.year + 1)  # the year's last reports fall due in January
    units = briefing_data.assigned_units(store)
    context: dict[str, Any] = {
        "kind": kind,
        "title": TITLES[kind],
        "period": str(period),
        "period_cn": cn_period(period),
        "previous_cn": cn_period(prior),
        "as_of": view.as_of,
        "as_of_iso": view.as_of.isoformat(),
        "position": view.position,
        "plans": [
            {"plan_id": p.plan_id, "title": p.title, "short": plan_short[p.plan_id],
             "doc": p.doc_number}
            for p in plans
        ],
        "plan_line": "、".join(f"《{p.title}》" for p in plans),
        "warnings": calendar.warnings_for(years),
        "figures": {
            "plans": len(plans),
            "tasks": len(tasks),
            "units": len(units),
            "assignments": sum(t.units for t in tasks),
            "overdue_reports": len(overdue_rows),
            "overdue_units": len({r["unit_id"] for r in overdue_rows}),
            "targets": len(targets),
        },
        "this": this,
        "last": last,
        "comparison": comparison(this, last),
        "board": board(tasks, targets, overdue_rows, config),
        "overdue_units": overdue_units(overdue_rows, plan_short, plan_order, config),
        "chases": chases(view, period, close, plan_short, config),
        "highlights": highlights(view, period, close, plan_short, config),
        "targets": targets,
    }
    context["board_counts"] = Counter(t.light for t in context["board"])
    cadence = Cadence(kind)
    if cadence is Cadence.MONTHLY:
        context["ranking"] = evaluation.ranking(queries.unit_scorecards(view))
        kinds = briefing_data.unit_kinds(store)
        context["annex"] = annex(queries.responsibilities(view), plan_short, plan_order, kinds)
    else:
        context["unit_periods"] = unit_comparison(this, last, units)
    if cadence is Cadence.ANNUAL:
        scored = scores(this, targets, tasks, units, config.weights)
        context["scores"] = scored
        context["weights"] = config.weights
        context["commended"] = [s for s in scored if s.verdict == "commend"]
        context["called_out"] = [s for s in scored if s.verdict == "call_out"]
    return context

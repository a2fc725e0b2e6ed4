"""The questions the office asks, answered from the read models.

Every function takes a :class:`~projections.views.View` (tables plus the business date
and ledger position they stand for) and returns plain JSON-able rows.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any

from ledger.errors import UnknownTask, UnknownUnit
from ledger.validation import stored_contact
from ledger.vocabulary import ChaseKind, ObligationState
from projections import evaluation, standing
from projections.audit import queries as audit
from projections.db import ReadStore
from projections.evaluation import DEFAULT_THRESHOLDS, Thresholds  # the rules live there
from projections.lookup import Scope, scope
from projections.views import View


@dataclass(frozen=True)
class UnitRecord:
    """A unit as the registry read model knows it, with its contact (联络员).

    ``contact`` has every field (``name``, ``phone``, ``email``, ``webhook``; "" for
    none), or is None when no contact was ever set. ``aliases`` are the other names that
    resolve to this unit. ``position`` is the ledger position of the unit's last change.
    """

    unit_id: str
    name: str
    kind: str
    aliases: tuple[str, ...]
    contact: dict[str, str] | None
    position: int

    def to_json(self) -> dict[str, Any]:
        """As the API and ``taskledger units show --json`` print it: absent is null."""
        contact = None
        if self.contact is not None:
            contact = {key: value or None for key, value in self.contact.items()}
        return {
            "unit_id": self.unit_id,
            "name": self.name,
            "kind": self.kind,
            "aliases": list(self.aliases),
            "contact": contact,
            "position": self.position,
        }


def unit_record(store: ReadStore, unit_id: str) -> UnitRecord:
    rows = store.query(
        "SELECT unit_id, name, kind, liaison, position FROM {s}rm_units WHERE unit_id = ?",
        [unit_id],
    )
    if not rows:
        raise UnknownUnit(f"no unit {unit_id}", field="unit")
    row = rows[0]
    aliases = store.query(
        "SELECT name FROM {s}rm_unit_names WHERE unit_id = ? AND name <> ? ORDER BY name",
        [unit_id, row["name"]],
    )
    return UnitRecord(
        unit_id=row["unit_id"],
        name=row["name"],
        kind=row["kind"],
        aliases=tuple(a["name"] for a in aliases),
        contact=stored_contact(json.loads(row["liaison"])) if row["liaison"] else None,
        position=row["position"],
    )


# ---- responsibility list (责任清单) ------------------------------------------------------
def responsibilities(
    view: View,
    *,
    unit: str | None = None,
    task: str | None = None,
    plan: str | None = None,
) -> list[dict[str, Any]]:
    """Who is on which task in which role, its status, last report and next obligation."""
    store = view.store
    about, params = scope(store, unit=unit, plan=plan, task=task).about("a",
                                                                         task_column="task_id")
    where = [view.counts("a", "assigned_position", "assigned_on"), *about]
    rows = store.query(
        "SELECT a.assignment_id, a.plan_id, p.title AS plan_title, a.task_id, a.task_number, "
        "t.ordinal, t.title AS task_title, a.unit_id, a.unit_name, a.role, a.status, "
        "a.reports, a.last_report_period, a.last_report_on, a.reminders, a.urges, "
        "a.escalations FROM {s}rm_assignments a "
        "JOIN {s}rm_tasks t ON t.task_id = a.task_id JOIN {s}rm_plans p ON p.plan_id = a.plan_id "
        f"WHERE {' AND '.join(where)} ORDER BY p.title, t.ordinal, a.unit_name",
        params,
    )
    if task and not rows:
        raise UnknownTask(f"no task numbered {task!r} has units", field="task")
    if not view.current:
        _as_they_stood(view, rows, about, params)
    # leads first within each task; the store's collation ordered the names (stable sort)
    task_order = {row["task_id"]: n for n, row in reversed(list(enumerate(rows)))}
    rows.sort(key=lambda r: (task_order[r["task_id"]], 0 if r["role"] == "lead" else 1))
    nexts = _next_obligations(view, [r["assignment_id"] for r in rows], about, params)
    for row in rows:
        upcoming = nexts.get(row["assignment_id"])
        row["next_obligation"] = upcoming["rule"] if upcoming else None
        row["next_period"] = upcoming["period"] if upcoming else None
        row["next_due_on"] = upcoming["due_on"] if upcoming else None
    return rows


def _as_they_stood(view: View, rows: list[dict[str, Any]], about: list[str],
                   params: list[Any]) -> None:
    """Role, status, report and chase counts of each responsibility row as the view
    counts them (:mod:`projections.standing`); ``about`` picks the rows' assignments."""
    moves = standing.Moves(view, about, params)
    tallies = standing.report_tallies(view, about, params)
    chases = standing.chase_counts(view, about, params)
    for row in rows:
        assignment = row["assignment_id"]
        tally = tallies.get(assignment, {"reports": 0})
        row["role"] = moves.role(assignment, row["role"])
        row["status"] = moves.status(assignment, reported=tally["reports"] > 0)
        row["reports"] = tally["reports"]
        row["last_report_period"] = tally.get("last_report_period")
        row["last_report_on"] = tally.get("last_report_on")
        counted = chases.get(assignment, {})
        row["reminders"] = counted.get(ChaseKind.REMINDER, 0)
        row["urges"] = counted.get(ChaseKind.URGE, 0)
        row["escalations"] = counted.get(ChaseKind.ESCALATION, 0)


def _next_obligations(view: View, assignment_ids: list[str], about: list[str],
                      params: list[Any]) -> dict[str, dict]:
    """The earliest report each assignment still owes (due date, extension applied);
    ``about`` (conditions on ``rm_assignments a``) picks the assignments as a query."""
    if not assignment_ids:
        return {}
    store = view.store
    found: dict[str, dict] = {}
    if not view.current:
        # ``about`` picks the same counted assignments as the rows
        rows = [
            {"assignment_id": r["assignment_id"], "rule": r["rule"], "period": r["period"],
             "due_on": r["extended_to"] or r["due_on"]}
            for r in standing.obligations(view, ["fr.report_id IS NULL", *about], params)
        ]
        rows.sort(key=lambda r: (r["assignment_id"], r["due_on"], r["rule"]))
        for row in rows:
            found.setdefault(row["assignment_id"], row)
        return found
    for chunk in _chunks(assignment_ids, 400):
        marks = ", ".join("?" for _ in chunk)
        for row in store.query(
            "SELECT assignment_id, rule, period, COALESCE(extended_to, due_on) AS due_on "
            f"FROM {{s}}rm_obligations WHERE assignment_id IN ({marks}) "
            "AND first_report_position IS NULL AND void_position IS NULL "
            "ORDER BY assignment_id, due_on, rule",
            chunk,
        ):
            found.setdefault(row["assignment_id"], row)
    return found


def _chunks(items: list[str], size: int) -> list[list[str]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


# ---- obligations and overdue (逾期) ------------------------------------------------------
def obligations(
    view: View,
    *,
    unit: str | None = None,
    plan: str | None = None,
    task: str | None = None,
    assignment: str | None = None,
    only_overdue: bool = False,
) -> list[dict[str, Any]]:
    """Every obligation whose period has begun by the as-of date, with its status
    (:class:`projections.evaluation.StatusAt`) on the view's calendar; of the unit,
    plan, task if named."""
    store, day = view.store, view.as_of.isoformat()
    about, about_params = scope(store, unit=unit, plan=plan, task=task).about("o")
    where = ["o.period_start <= ?", *about]
    params: list[Any] = [day, *about_params]
    if assignment:
        where.append("o.assignment_id = ?")
        params.append(assignment)
    if view.current:
        where.append("o.void_position IS NULL")
        if only_overdue:
            # cheap pre-filter on the partial index; exact status is computed below
            where += ["o.first_report_position IS NULL",
                      "COALESCE(o.extended_to, o.due_on) < ?"]
            params.append(day)
        rows = store.query(
            "SELECT o.assignment_id, o.rule, o.period, o.due_on, o.extended_to, "
            "o.extended_by, o.first_report_id, o.first_report_on, o.task_number, "
            "a.unit_name, a.unit_id, a.role, a.plan_id, p.title AS plan_title "
            "FROM {s}rm_obligations o "
            "JOIN {s}rm_assignments a ON a.assignment_id = o.assignment_id "
            "JOIN {s}rm_plans p ON p.plan_id = o.plan_id "
            f"WHERE {' AND '.join(where)}",
            params,
        )
    else:
        if only_overdue:
            where += [
                "fr.report_id IS NULL",
                # sound pre-filters on the live row: its first report, if the view counts
                # it, is a counted report; an as-of due date stays in the live one's month
                "NOT (o.first_report_position IS NOT NULL AND "
                f"{view.counts('o', 'first_report_position', 'first_report_on')})",
                "o.due_on < ?",
            ]
            params.append(view.as_of.isoformat()[:8] + "32")
        rows = [{key: row[key] for key in _OBLIGATION_COLUMNS}
                for row in standing.obligations(view, where, params)]
    result = []
    evaluate = evaluation.StatusAt(view.calendar, view.as_of)
    for row in rows:
        status = evaluate(row["due_on"], row["first_report_on"], row["extended_to"])
        if only_overdue and status.status != "overdue":
            continue
        row["status"] = status.status
        row["working_days_late"] = status.days_late
        row["effective_due_on"] = status.due_on.isoformat()
        result.append(row)
    result.sort(
        key=lambda r: (
            -r["working_days_late"],
            r["effective_due_on"],
            r["unit_name"],
            r["task_number"],
            r["rule"],
        )
    )
    return result


#: An obligation row's columns, in the order the live query selects them.
_OBLIGATION_COLUMNS = (
    "assignment_id", "rule", "period", "due_on", "extended_to", "extended_by",
    "first_report_id", "first_report_on", "task_number", "unit_name", "unit_id", "role",
    "plan_id", "plan_title",
)


def overdue(
    view: View,
    *,
    unit: str | None = None,
    plan: str | None = None,
    task: str | None = None,
) -> list[dict]:
    """Reports owed and not made as of the date, most severe (most working days) first;
    of the unit, plan and task if named."""
    return obligations(view, unit=unit, plan=plan, task=task, only_overdue=True)


# ---- target progress ---------------------------------------------------------------------
def target_progress(
    view: View,
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
    *,
    overdue_turns_red: bool = True,
    unit: str | None = None,
    plan: str | None = None,
    task: str | None = None,
) -> list[dict[str, Any]]:
    """Each quantitative target: latest values, aggregate, % done, % expected, light
    (:func:`projections.evaluation.target_progress`); as JSON rows."""
    return [row.to_json() for row in target_rows(
        view, thresholds, overdue_turns_red=overdue_turns_red, unit=unit, plan=plan,
        task=task)]


def target_rows(
    view: View,
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
    *,
    overdue_turns_red: bool = False,
    unit: str | None = None,
    plan: str | None = None,
    task: str | None = None,
) -> list[evaluation.TargetProgress]:
    """Every target of every task, in plan and task order; with a unit, of the tasks the
    unit is on (lead or co-unit: the target and its figures stay the task's, every
    unit's reports counted); with a plan or task, of those. With ``overdue_turns_red``,
    a task with an overdue obligation turns its targets red; without, the lights are
    pure progress."""
    store = view.store
    narrowed = scope(store, unit=unit, plan=plan, task=task)
    where, params = Scope(None, narrowed.plan_ids, narrowed.task).about("t",
                                                                         task_column="task_id")
    where.append(view.counts("t", "registered_position", "registered_on"))
    if narrowed.unit_id is not None:
        where.append("t.task_id IN (SELECT task_id FROM {s}rm_assignments a WHERE "
                     f"a.unit_id = ? AND {view.counts('a', 'assigned_position', 'assigned_on')})")
        params.append(narrowed.unit_id)
    tasks = store.query(
        "SELECT t.task_id, t.number, t.ordinal, t.title, t.targets, t.plan_id, "
        "p.title AS plan_title FROM {s}rm_tasks t JOIN {s}rm_plans p ON p.plan_id = t.plan_id "
        f"WHERE {' AND '.join(where)} ORDER BY p.title, t.ordinal",
        params,
    )
    # only the reports of tasks with targets are read (most tasks have none)
    measured = sorted({t["task_id"] for t in tasks if json.loads(t["targets"])})
    late_tasks = (
        {(r["plan_id"], r["task_number"]) for r in overdue(view)}
        if overdue_turns_red and measured else set()
    )
    if not measured:
        reports = []
    elif view.current:
        reports = [
            report
            for chunk in _chunks(measured, 400)
            for report in store.query(
                "SELECT r.task_id, r.unit_id, r.period, r.business_date, r.position, "
                "r.metrics, a.role, a.unit_name FROM {s}rm_reports r "
                "JOIN {s}rm_assignments a ON a.assignment_id = r.assignment_id "
                f"WHERE r.task_id IN ({', '.join('?' for _ in chunk)})",
                chunk,
            )
        ]
    else:
        moves = standing.Moves(view)
        names = {row["assignment_id"]: row for row in store.query(
            "SELECT assignment_id, role, unit_name FROM {s}rm_assignments")}
        reports = []
        for row in (report for chunk in _chunks(measured, 400)
                    for report in standing.reports_as_they_stood(
                        view, [f"r.task_id IN ({', '.join('?' for _ in chunk)})"], chunk)):
            assignment = names[row["assignment_id"]]
            reports.append({
                "task_id": row["task_id"], "unit_id": row["unit_id"], "period": row["period"],
                "business_date": row["business_date"], "position": row["position"],
                "metrics": row["metrics"], "unit_name": assignment["unit_name"],
                "role": moves.role(row["assignment_id"], assignment["role"]),
            })
    by_task: dict[str, list[dict]] = defaultdict(list)
    for report in sorted(reports, key=lambda r: r["position"]):
        report["metrics"] = json.loads(report["metrics"])
        by_task[report["task_id"]].append(report)
    return [
        evaluation.target_progress(
            target,
            by_task.get(task["task_id"], []),
            view.as_of,
            thresholds,
            plan_id=task["plan_id"],
            task_id=task["task_id"],
            plan_title=task["plan_title"],
            task_number=task["number"],
            task_title=task["title"],
            overdue_obligations=(task["plan_id"], task["number"]) in late_tasks,
        )
        for task in tasks
        for target in json.loads(task["targets"])
    ]


# ---- unit scorecard ----------------------------------------------------------------------
def scorecard(
    view: View,
    *,
    unit: str | None = None,
    plan: str | None = None,
    task: str | None = None,
) -> list[dict[str, Any]]:
    """Per unit: reports due and made, on-time rate, average lateness, chases received."""
    return [card.to_json() for card in unit_scorecards(view, unit=unit, plan=plan, task=task)]


def unit_scorecards(
    view: View,
    *,
    unit: str | None = None,
    plan: str | None = None,
    task: str | None = None,
) -> list[evaluation.UnitScorecard]:
    """:func:`projections.evaluation.scorecards` of the obligations as of the view's date
    and the chases received. With a unit, that unit's card alone; with a plan or task,
    each unit's card counted over that plan's or task's obligations and chases only."""
    about, params = scope(view.store, unit=unit, plan=plan, task=task).about("a")
    chases = view.store.query(
        "SELECT c.unit_id, u.name, c.kind, COUNT(*) AS n FROM {s}rm_chases c "
        "JOIN {s}rm_units u ON u.unit_id = c.unit_id "
        "JOIN {s}rm_assignments a ON a.assignment_id = c.assignment_id "
        f"WHERE {' AND '.join([view.counts('c'), *about])} GROUP BY c.unit_id, u.name, c.kind",
        params,
    )
    return evaluation.scorecards(_owed_by_outcome(view, unit=unit, plan=plan, task=task), chases)


def _owed_by_outcome(view: View, **named: str | None) -> list[dict[str, Any]]:
    """The obligations :func:`obligations` lists, as the scorecard counts them: one
    evaluation and one row per distinct (unit, effective due date, first report), with
    ``n`` the obligations sharing it. Reports on time need no calendar
    (made by the effective due date and the as-of date), so the store folds them into
    one group per due date; only late and missing ones keep their own dates."""
    about, params = scope(view.store, **named).about("o")
    day = view.as_of.isoformat()
    where = ["o.period_start <= ?", *about]
    params = [day, *params]
    if view.current:
        groups = view.store.query(
            "SELECT o.unit_id, a.unit_name, COALESCE(o.extended_to, o.due_on) AS due_on, "
            "CASE WHEN o.first_report_on IS NULL OR o.first_report_on > ? THEN NULL "
            f"WHEN o.first_report_on <= COALESCE(o.extended_to, o.due_on) THEN '{_ON_TIME}' "
            "ELSE o.first_report_on END AS submitted, COUNT(*) AS n "
            "FROM {s}rm_obligations o "
            "JOIN {s}rm_assignments a ON a.assignment_id = o.assignment_id "
            f"WHERE {' AND '.join(['o.void_position IS NULL', *where])} "
            "GROUP BY o.unit_id, a.unit_name, COALESCE(o.extended_to, o.due_on), submitted",
            [day, *params],
        )
    else:
        counted: dict[tuple, int] = defaultdict(int)
        for row in standing.obligations(view, where, params):
            due, made = row["extended_to"] or row["due_on"], row["first_report_on"]
            if made is not None and made <= day and made <= due:
                made = _ON_TIME
            counted[(row["unit_id"], row["unit_name"], due, made)] += 1
        groups = [{"unit_id": u, "unit_name": n, "due_on": d, "submitted": m, "n": c}
                  for (u, n, d, m), c in counted.items()]
    evaluate = evaluation.StatusAt(view.calendar, view.as_of)
    rows: list[dict[str, Any]] = []
    for group in groups:
        if group["submitted"] == _ON_TIME:
            status, late = ObligationState.SUBMITTED_ON_TIME, 0
        else:
            # the effective due date stands for the extension: on time, late and overdue
            # are measured against it alike (open and extended are both "not yet owed")
            judged = evaluate(group["due_on"], group["submitted"], None)
            status, late = judged.status, judged.days_late
        rows.append({"unit_id": group["unit_id"], "unit_name": group["unit_name"],
                     "status": status, "working_days_late": late, "n": group["n"]})
    return rows


#: Stands for "made on time" in :func:`_owed_by_outcome`'s groups (not an ISO date).
_ON_TIME = "on-time"


# ---- audit trail -------------------------------------------------------------------------
def audit_trail(
    view: View,
    *,
    task: str | None = None,
    plan: str | None = None,
    unit: str | None = None,
    actor: str | None = None,
    since: date | None = None,
    until: date | None = None,
    after: int = 0,
    limit: int = 100,
    include_simulated: bool = False,
) -> list[dict[str, Any]]:
    """Every event in ledger order; each report lists the corrections made to it.
    Rehearsal (simulated) events only when asked for; they stay flagged. The task, plan
    and unit are named as :func:`projections.audit.queries.trail_filter` reads them."""
    flt = audit.trail_filter(view.store, task=task, plan=plan, unit=unit, actor=actor,
                             since=since, until=until)
    return [event.to_json() for event in audit.trail(
        view, flt, after=after, limit=limit, include_simulated=include_simulated
    )]


# ---- an assignment's reports and their corrections ----------------------------------------
def assignment_reports(view: View, assignment_id: str) -> list[dict[str, Any]]:
    """Every report of the assignment in ledger order: what it said first, each
    correction with what it changed, what it says now, and whether it was on time.

    On time is the report's own: its business date against the due date (an approved
    extension applied) of each obligation of its period; corrections never move it.
    ``on_time`` is None for a period the assignment owes no report for.
    """
    store = view.store
    reports = standing.reports_as_they_stood(view, ["r.assignment_id = ?"], [assignment_id])
    corrections: dict[str, list[dict]] = defaultdict(list)
    for row in store.query(
        "SELECT correction_id, report_id, corrects, position, business_date, recorded_at, "
        "actor, actor_role, reason, narrative, metrics, replaces_metrics, resulting_metrics "
        f"FROM {{s}}rm_corrections c WHERE assignment_id = ? AND {view.counts('c')} "
        "ORDER BY position",
        [assignment_id],
    ):
        corrections[row.pop("report_id")].append(
            {
                **row,
                "metrics": json.loads(row["metrics"]),
                "replaces_metrics": bool(row["replaces_metrics"]),
                "resulting_metrics": json.loads(row["resulting_metrics"]),
            }
        )
    owed: dict[str, list[dict]] = defaultdict(list)
    if view.current:
        owing = store.query(
            "SELECT rule, period, due_on, extended_to FROM {s}rm_obligations "
            "WHERE assignment_id = ? AND void_position IS NULL ORDER BY rule",
            [assignment_id],
        )
    else:
        owing = sorted(standing.obligations(view, ["o.assignment_id = ?"], [assignment_id]),
                       key=lambda r: r["rule"])
    for row in owing:
        owed[row["period"]].append(row)
    listed = []
    for report in reports:
        submitted = date.fromisoformat(report["business_date"])
        statuses = []
        # as of the report's own day at the earliest: it was made, so it is not open
        status_at = evaluation.StatusAt(view.calendar, max(view.as_of, submitted))
        for obligation in owed.get(report["period"], []):
            status = status_at(
                obligation["due_on"], report["business_date"], obligation["extended_to"]
            )
            statuses.append(
                {
                    "rule": obligation["rule"],
                    "due_on": obligation["due_on"],
                    "effective_due_on": status.due_on.isoformat(),
                    "status": status.status,
                    "working_days_late": status.days_late,
                }
            )
        current = {"narrative": report["narrative"], "metrics": json.loads(report["metrics"])}
        original = {"narrative": report["first_narrative"],
                    "metrics": json.loads(report["first_metrics"])}
        listed.append(
            {
                "report_id": report["report_id"],
                "period": report["period"],
                "business_date": report["business_date"],
                "recorded_at": report["recorded_at"],
                "actor": report["actor"],
                "position": report["position"],
                "original": original,
                "corrections": corrections.get(report["report_id"], []),
                "current": current,
                "on_time": (
                    all(s["status"] == "submitted_on_time" for s in statuses)
                    if statuses
                    else None
                ),
                "obligations": statuses,
            }
        )
    return listed

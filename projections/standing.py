"""How the accountability tables stood at a (business date, position) a view counts to.

The live tables hold the latest of everything; each fact also keeps the position and
business date of the event that made it (:meth:`projections.views.View.counts`). What a
replay of only the counted events would have written (:func:`projections.snapshot.
replayed`, the tests' oracle) follows in closed form:

* an assignment exists once its ``Assigned`` counts; its role is the last counted
  role move's; its status is decided by the last counted end or reopening (completed,
  withdrawn, in progress), else it is in progress iff a counted report exists
  (``ledger.assignment.status_after`` walked to its end);
* an obligation's first report is the counted report of its period with the lowest
  position; its extension the last counted approval; it is void when the last counted
  end or release touching it is an end (an end touches an obligation due after the
  end's date that had no counted report before it; a release, one due after its date);
* its due date is the live one unless its month holds a calendar mark the view does not
  count: then it is worked out again on the calendar as the view knows it;
* a report says what its last counted correction left it saying.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date
from typing import TYPE_CHECKING, Any

from ledger.assignment import COMPLETED, IN_PROGRESS, NOT_STARTED, WITHDRAWN
from ledger.calendar import WorkingDayCalendar
from ledger.duties import plan_duties
from projections.accountability.handlers import (
    MOVE_ASSIGNED,
    MOVE_COMPLETED,
    MOVE_REINSTATED,
    MOVE_REOPENED,
    MOVE_ROLE_CHANGED,
    MOVE_WITHDRAWN,
)
from projections.rules import rules_at

if TYPE_CHECKING:
    from projections.views import View

_SETS_ROLE = (MOVE_ASSIGNED, MOVE_REINSTATED, MOVE_ROLE_CHANGED)
_ENDS = {MOVE_COMPLETED: COMPLETED, MOVE_WITHDRAWN: WITHDRAWN}
_RELEASES = (MOVE_REINSTATED, MOVE_REOPENED)


# ---- the calendar ------------------------------------------------------------------------
def calendar_at(view: View, base: WorkingDayCalendar | None) -> WorkingDayCalendar:
    """The working days as the office had marked them by the view's (date, position):
    each day's last counted mark and the counted confirmed years. ``base`` serves only a
    store the office never adjusted (custom calendars in tests): as in
    :class:`projections.facts.Facts`, once a mark exists the calendar is built from the
    marks, and a production base already holds every mark, counted or not."""
    marks = view.store.query(
        f"SELECT day, mark, {view.counts('m')} AS counted FROM {{s}}rm_calendar_marks m "
        "ORDER BY position"
    )
    years = view.store.query(
        f"SELECT year, {view.counts('y')} AS counted FROM {{s}}rm_calendar_years y "
        "ORDER BY position"
    )
    in_force = rules_at(view.store, view.position, view.as_of)
    if not marks and not years and in_force.calendar_base is None and base is not None:
        return base
    return in_force.calendar_with({row["day"]: row["mark"] for row in marks if row["counted"]},
                                  [row["year"] for row in years if row["counted"]])


def _months_marked_later(view: View) -> set[tuple[int, int]]:
    """The (year, month) of every calendar mark the view does not count, and of every
    month whose working days a version of the rules it does not count changed."""
    rows = view.store.query(
        f"SELECT day FROM {{s}}rm_calendar_marks m WHERE NOT {view.counts('m')}"
    )
    months = {(int(r["day"][:4]), int(r["day"][5:7])) for r in rows}
    for row in view.store.query(
        f"SELECT months_changed FROM {{s}}rm_rules r WHERE NOT {view.counts('r')}"
    ):
        months.update((int(m[:4]), int(m[5:7])) for m in json.loads(row["months_changed"]))
    return months


# ---- assignments -------------------------------------------------------------------------
class Moves:
    """Each assignment's counted moves, in ledger order; of the assignments ``a`` that
    ``about`` (conditions on ``rm_assignments a``, with ``params``) picks, if given."""

    def __init__(self, view: View, about: list[str] = (), params: list[Any] = ()) -> None:
        self.by_assignment: dict[str, list[dict]] = defaultdict(list)
        for row in view.store.query(
            "SELECT m.assignment_id, m.position, m.business_date, m.move, m.role "
            f"FROM {{s}}rm_assignment_moves m{_joined(about)} "
            f"WHERE {' AND '.join([view.counts('m'), *about])} "
            "ORDER BY m.assignment_id, m.position",
            list(params),
        ):
            self.by_assignment[row["assignment_id"]].append(row)

    def role(self, assignment_id: str, default: str) -> str:
        role = default
        for move in self.by_assignment.get(assignment_id, ()):
            if move["move"] in _SETS_ROLE and move["role"]:
                role = move["role"]
        return role

    def status(self, assignment_id: str, reported: bool) -> str:
        decided = None
        for move in self.by_assignment.get(assignment_id, ()):
            if move["move"] in _ENDS:
                decided = _ENDS[move["move"]]
            elif move["move"] == MOVE_REOPENED:
                decided = IN_PROGRESS
            elif move["move"] in (MOVE_ASSIGNED, MOVE_REINSTATED):
                decided = None
        if decided is not None:
            return decided
        return IN_PROGRESS if reported else NOT_STARTED

    def void(self, assignment_id: str, due_on: str, first_report_position: int | None) -> bool:
        """Whether the obligation due ``due_on`` is no longer owed (see the module)."""
        void = False
        for move in self.by_assignment.get(assignment_id, ()):
            if due_on <= move["business_date"]:
                continue
            if move["move"] in _ENDS:
                if first_report_position is None or first_report_position > move["position"]:
                    void = True
            elif move["move"] in _RELEASES:
                void = False
        return void


def _joined(about: list[str], alias: str = "") -> str:
    """The join to ``rm_assignments a`` that conditions on it need, if any."""
    return (f" JOIN {{s}}rm_assignments a ON a.assignment_id = {alias or 'm'}.assignment_id"
            if about else "")


def report_tallies(view: View, about: list[str] = (), params: list[Any] = ()
                   ) -> dict[str, dict]:
    """Per assignment (of those ``about`` picks): how many counted reports, and the
    period and business date of the last of them (by position)."""
    tallies: dict[str, dict] = {}
    for row in view.store.query(
        "SELECT r.assignment_id, r.period, r.business_date, r.position "
        f"FROM {{s}}rm_reports r{_joined(about, 'r')} "
        f"WHERE {' AND '.join([view.counts('r'), *about])} ORDER BY r.position",
        list(params),
    ):
        tally = tallies.setdefault(row["assignment_id"], {"reports": 0})
        tally["reports"] += 1
        tally["last_report_period"] = row["period"]
        tally["last_report_on"] = row["business_date"]
    return tallies


def chase_counts(view: View, about: list[str] = (), params: list[Any] = ()
                 ) -> dict[str, dict[str, int]]:
    """Per assignment (of those ``about`` picks): counted chases by kind."""
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in view.store.query(
        "SELECT c.assignment_id, c.kind, COUNT(*) AS n "
        f"FROM {{s}}rm_chases c{_joined(about, 'c')} "
        f"WHERE {' AND '.join([view.counts('c'), *about])} GROUP BY c.assignment_id, c.kind",
        list(params),
    ):
        counts[row["assignment_id"]][row["kind"]] = row["n"]
    return counts


# ---- obligations -------------------------------------------------------------------------
def obligation_select(view: View) -> str:
    """FROM-and-joins of obligations ``o`` with their assignment ``a``, plan ``p``, first
    counted report ``fr`` and last counted approved extension ``x``, as the view counts.
    Select ``fr.report_id``/``fr.business_date``/``fr.position`` as the first report,
    ``x.new_due_on``/``x.decided_by`` as the extension."""
    return (
        "FROM {s}rm_obligations o "
        "JOIN {s}rm_assignments a ON a.assignment_id = o.assignment_id "
        "JOIN {s}rm_plans p ON p.plan_id = o.plan_id "
        "LEFT JOIN {s}rm_reports fr ON fr.assignment_id = o.assignment_id "
        "AND fr.period = o.period AND fr.position = (SELECT MIN(r.position) "
        "FROM {s}rm_reports r WHERE r.assignment_id = o.assignment_id "
        f"AND r.period = o.period AND {view.counts('r')}) "
        "LEFT JOIN {s}rm_extensions x ON x.request_id = (SELECT e.request_id "
        "FROM {s}rm_extensions e WHERE e.assignment_id = o.assignment_id "
        "AND e.obligation = o.rule AND e.period = o.period AND e.decision = 'approved' "
        "AND e.new_due_on IS NOT NULL "
        f"AND {view.counts('e', 'decided_position', 'decided_on')} "
        f"AND {view.counts('e', 'position', 'requested_on')} "
        "ORDER BY e.decided_position DESC LIMIT 1) "
    )


#: The columns of an obligation as it stood: the first counted report of its period and
#: the last counted approved extension (joined), as the live row's columns are named.
STANDING_COLUMNS = (
    "o.assignment_id, o.rule, o.period, o.period_start, o.due_on, o.task_number, "
    "o.plan_id, o.unit_id, a.unit_name, a.role, p.title AS plan_title, "
    "fr.report_id AS first_report_id, fr.business_date AS first_report_on, "
    "fr.position AS first_report_position, x.new_due_on AS extended_to, "
    "x.decided_by AS extended_by"
)


def obligations(view: View, where: list[str], params: list[Any]) -> list[dict]:
    """The obligations of counted assignments matching ``where``, as they stood: the
    live columns' names, void ones left out, each row's ``role`` as it stood."""
    rows = view.store.query(
        f"SELECT {STANDING_COLUMNS} {obligation_select(view)}"
        f"WHERE {' AND '.join([view.counts('a', 'assigned_position', 'assigned_on'), *where])}",
        params,
    )
    if not rows:
        return rows
    moves = Moves(view)
    redo = _months_marked_later(view)
    # each plan's duties, read once and only when some due date is counted again
    rules = {
        (plan["plan_id"], duty.rule.slug): duty.rule
        for plan in view.store.query("SELECT plan_id, obligations FROM {s}rm_plans")
        for duty in plan_duties(json.loads(plan["obligations"]))
    } if redo else {}
    kept = []
    for row in rows:
        if redo:
            due = date.fromisoformat(row["due_on"])
            if (due.year, due.month) in redo:
                rule = rules.get((row["plan_id"], row["rule"]))
                if rule is not None:
                    row["due_on"] = view.calendar.nth_workday_of_month(
                        due.year, due.month, rule.due_workday).isoformat()
        if moves.void(row["assignment_id"], row["due_on"], row["first_report_position"]):
            continue
        row["role"] = moves.role(row["assignment_id"], row["role"])
        kept.append(row)
    return kept


def reports_as_they_stood(view: View, where: list[str], params: list[Any]) -> list[dict]:
    """Counted reports of ``r`` matching ``where`` in ledger order, saying what their
    last counted correction left them saying: ``narrative``, ``metrics`` (JSON text),
    and what they said first (``first_narrative``, ``first_metrics``), ``corrected``."""
    counted_corrections = (
        "FROM {s}rm_corrections c WHERE c.assignment_id = r.assignment_id "
        f"AND c.report_id = r.report_id AND {view.counts('c')}"
    )
    rows = view.store.query(
        "SELECT r.report_id, r.assignment_id, r.task_id, r.unit_id, r.period, "
        "r.business_date, r.recorded_at, r.actor, r.position, "
        "COALESCE(r.original_narrative, r.narrative) AS first_narrative, "
        "COALESCE(r.original_metrics, r.metrics) AS first_metrics, "
        f"(SELECT c.resulting_metrics {counted_corrections} ORDER BY c.position DESC LIMIT 1)"
        " AS standing_metrics, "
        f"(SELECT c.narrative {counted_corrections} AND c.narrative IS NOT NULL "
        "ORDER BY c.position DESC LIMIT 1) AS standing_narrative, "
        f"(SELECT COUNT(*) {counted_corrections}) AS corrected "
        "FROM {s}rm_reports r "
        f"WHERE {' AND '.join([view.counts('r'), *where])} ORDER BY r.position",
        params,
    )
    for row in rows:
        metrics, narrative = row.pop("standing_metrics"), row.pop("standing_narrative")
        row["metrics"] = row["first_metrics"] if metrics is None else metrics
        row["narrative"] = row["first_narrative"] if narrative is None else narrative
    return rows

"""The office's questions: responsibility list, overdue, targets, scorecard, audit, feed."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask.views import MethodView
from flask_smorest import Blueprint

from api.auth import OWN_UNIT_RECORDS, principal, requires, scoped_unit, services
from api.problems import PROBLEM_JSON
from api.schemas import (
    AuditQuery,
    AuditTrailOut,
    FeedQuery,
    OverdueOut,
    ProblemOut,
    ReportQuery,
    ResponsibilitiesOut,
    ScorecardOut,
    TargetsOut,
    TrailOut,
)
from projections import lookup, queries
from projections.views import open_view

blp = Blueprint("reports", __name__, description="Read models, as of a date and position")

#: A filter naming a plan, task or unit the store does not know.
UNKNOWN_FILTER = {"schema": ProblemOut, "content_type": PROBLEM_JSON,
                  "description": "no plan, task or unit is known by that name, number or id "
                                 "(a number several plans have is 422: give the plan)"}


def _liaison_unit(query: dict[str, Any]) -> str | None:
    """A liaison's reports are about its own unit, whatever it asks for (another unit is
    403); other roles' are about the unit they name (id, name or alias), or every unit."""
    if principal().role != "liaison":
        return query.get("unit")
    asked = lookup.resolve_unit(services().store, query["unit"]) if query.get("unit") else None
    return scoped_unit(asked.unit_id if asked else None, message=OWN_UNIT_RECORDS)


def _report(kind: str, query: dict[str, Any]) -> dict[str, Any]:
    svc = services()
    unit = _liaison_unit(query)
    with open_view(svc.ledger, svc.store, svc.calendar, as_of=query["as_of"],
                   position=query["position"]) as view:
        about = {"unit": unit, "plan": query.get("plan"), "task": query.get("task")}
        if kind == "responsibilities":
            rows = queries.responsibilities(view, **about)
        elif kind == "overdue":
            rows = queries.overdue(view, svc.calendar, **about)
        elif kind == "targets":
            rows = queries.target_progress(view, calendar=svc.calendar, **about)
        else:
            rows = queries.scorecard(view, svc.calendar, **about)
    return {"as_of": view.as_of.isoformat(), "position": view.position, "rows": rows}


REPORT_SCHEMAS = {
    "responsibilities": ResponsibilitiesOut,
    "overdue": OverdueOut,
    "targets": TargetsOut,
    "scorecard": ScorecardOut,
}


def _report_view(kind: str, roles: tuple[str, ...], doc: str) -> type[MethodView]:
    class Report(MethodView):
        @requires(*roles)
        @blp.arguments(ReportQuery, location="query", unknown=ma.RAISE)
        @blp.response(200, REPORT_SCHEMAS[kind])
        @blp.alt_response(404, **UNKNOWN_FILTER)
        def get(self, query: dict[str, Any]) -> Any:
            return _report(kind, query)

    Report.get.__doc__ = doc
    Report.__name__ = f"Report{kind.title()}"
    return Report


for _kind, _roles, _doc in (
    ("responsibilities", ("office", "auditor", "liaison"),
     "Responsibility list (责任清单): who is on which task, role, status, next due."),
    ("overdue", ("office", "auditor", "liaison"),
     "Reports owed and not made as of a date, most working days late first."),
    ("targets", ("office", "auditor"),
     "Progress of every quantitative target, with the traffic light."),
    ("scorecard", ("office", "auditor"),
     "Per unit: reports due and made, on-time rate, lateness, reminders, urges, escalations."),
):
    blp.route(f"/reports/{_kind}", endpoint=f"report_{_kind}")(_report_view(_kind, _roles, _doc))


@blp.route("/audit")
class Audit(MethodView):
    @requires("office", "auditor")
    @blp.arguments(AuditQuery, location="query", unknown=ma.RAISE)
    @blp.response(200, AuditTrailOut)
    @blp.alt_response(404, **UNKNOWN_FILTER)
    def get(self, query: dict[str, Any]) -> Any:
        """The audit trail: who did what, in which role, when; by task, unit or actor.
        Page with ``after`` = the last ``position`` seen. Real events only, unless
        ``simulated=true`` (then rehearsal events are listed too, each flagged)."""
        svc = services()
        simulated = query.pop("simulated")
        with open_view(svc.ledger, svc.store, svc.calendar) as view:
            rows = queries.audit_trail(view, include_simulated=simulated, **query)
        next_after = rows[-1]["position"] if len(rows) == query["limit"] else None
        return {"items": rows, "next_after": next_after, "includes_simulated": simulated}


@blp.route("/events")
class Feed(MethodView):
    @requires("office", "auditor")
    @blp.arguments(FeedQuery, location="query", unknown=ma.RAISE)
    @blp.response(200, TrailOut)
    def get(self, query: dict[str, Any]) -> Any:
        """The raw event feed after a ledger position, for other systems (cursor-paged).
        Real events only, unless ``simulated=true``."""
        ledger = services().ledger
        items = []
        for record in ledger.records(after=query["after"]):
            if record.event.simulated and not query["simulated"]:
                continue
            items.append(record.to_dict())
            if len(items) >= query["limit"]:
                break
        next_after = items[-1]["position"] if len(items) == query["limit"] else None
        return {"items": items, "next_after": next_after,
                "includes_simulated": query["simulated"]}

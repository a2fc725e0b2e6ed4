"""An assignment (task × unit): its record, reports, corrections, extensions, office acts."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import marshmallow as ma
from flask.views import MethodView
from flask_smorest import abort

from api.auth import require_unit, requires, services
from api.bodies import Blueprint
from api.idempotency import idempotent
from api.routes.common import act, assignment_row, check_assignment, receipt_body, with_position
from api.schemas import (
    AcknowledgeIn,
    AsOfQuery,
    AssignmentOut,
    AssignmentReportsOut,
    ChaseAcknowledgeIn,
    ChaseIn,
    CorrectionIn,
    ExtensionDecisionIn,
    ExtensionRequestIn,
    IdempotencyHeader,
    LifecycleIn,
    ProgressReportIn,
    ReceiptOut,
    ReportReceiptOut,
    ResponsibilitiesOut,
)
from ledger.vocabulary import ChaseKind
from projections import queries
from projections.registry import queries as registry
from projections.views import open_view

blp = Blueprint("assignments", __name__, description="A unit's record on one task")

IDEMPOTENCY_HEADER = "Idempotency-Key"


@blp.route("/units/<uuid:unit_id>/assignments")
class UnitAssignments(MethodView):
    @requires("office", "auditor", "liaison")
    @blp.response(200, ResponsibilitiesOut)
    def get(self, unit_id: UUID) -> Any:
        """The unit's responsibility list: every task it is on, role, status, next due."""
        require_unit(str(unit_id))
        ledger, store = services().ledger, services().store
        with open_view(ledger, store, services().calendar) as view:
            name = registry.unit_name(store, str(unit_id))
            if name is None:
                abort(404, message=f"no unit {unit_id}")
            listed = queries.responsibilities(view, unit=str(unit_id))
        return {"as_of": view.as_of.isoformat(), "position": view.position, "rows": listed}


@blp.route("/assignments/<uuid:assignment_id>")
class AssignmentOne(MethodView):
    @requires("office", "auditor", "liaison")
    @blp.response(200, AssignmentOut)
    def get(self, assignment_id: UUID) -> Any:
        """The assignment with its obligations and their status today."""
        row = assignment_row(assignment_id)
        calendar = services().calendar
        with open_view(services().ledger, services().store, calendar) as view:
            owed = queries.obligations(view, assignment=row.assignment_id)
        return {**row.to_json(), "obligations": owed}


@blp.route("/assignments/<uuid:assignment_id>/reports")
class Reports(MethodView):
    @requires("liaison", "office")
    @idempotent
    @blp.arguments(IdempotencyHeader, location="headers", error_status_code=400)
    @blp.arguments(ProgressReportIn)
    @blp.response(201, ReportReceiptOut)
    def post(self, headers: dict[str, Any], body: dict[str, Any], assignment_id: UUID) -> Any:
        """Post a progress report. ``Idempotency-Key`` is required: the same key with the
        same body gives the same response and records nothing; with another body, 409."""
        key = headers["idempotency_key"].strip()
        if not key:
            abort(400, message=f"send an {IDEMPOTENCY_HEADER} header (1-200 characters)")
        check_assignment(assignment_id)
        receipt = services().ledger.report_progress(
            act(), assignment_id, body["period"], body["narrative"], body["metrics"], key
        )
        return with_position(
            {
                "event_id": str(receipt.event_id),
                "assignment_id": str(assignment_id),
                "period": body["period"],
            }
        )


@blp.route("/assignments/<uuid:assignment_id>/corrections")
class Corrections(MethodView):
    @requires("liaison", "office")
    @idempotent
    @blp.arguments(CorrectionIn)
    @blp.response(201, ReceiptOut)
    def post(self, body: dict[str, Any], assignment_id: UUID) -> Any:
        """Correct a report, or a correction of one: the narrative and/or named figures
        (``null`` removes a figure; figures not named keep their values). The report and
        earlier corrections stay in the ledger; the report's on-time status does not move."""
        check_assignment(assignment_id)
        receipt = services().ledger.correct_progress(
            act(),
            assignment_id,
            body["corrects"],
            body["narrative"],
            body["metrics"],
            body["reason"],
        )
        return with_position(receipt_body(receipt))


@blp.route("/assignments/<uuid:assignment_id>/extension-requests")
class ExtensionRequests(MethodView):
    @requires("liaison", "office")
    @idempotent
    @blp.arguments(ExtensionRequestIn)
    @blp.response(201, ReceiptOut)
    def post(self, body: dict[str, Any], assignment_id: UUID) -> Any:
        """Ask the office for more time on one obligation."""
        check_assignment(assignment_id)
        receipt = services().ledger.request_extension(
            act(),
            assignment_id,
            body["obligation"],
            body["period"],
            body["requested_due_on"],
            body["reason"],
        )
        return with_position(receipt_body(receipt))


@blp.route("/assignments/<uuid:assignment_id>/extension-requests/<uuid:request_id>/decision")
class ExtensionDecision(MethodView):
    @requires("office")
    @idempotent
    @blp.arguments(ExtensionDecisionIn)
    @blp.response(201, ReceiptOut)
    def post(self, body: dict[str, Any], assignment_id: UUID, request_id: UUID) -> Any:
        """The office approves (optionally with another date) or refuses."""
        check_assignment(assignment_id)
        receipt = services().ledger.decide_extension(
            act(), assignment_id, request_id, body["approved"], body["new_due_on"], body["note"]
        )
        return with_position(receipt_body(receipt))


#: The route of each chase kind (its plural, as the API has always named it).
CHASE_ROUTES = {
    ChaseKind.REMINDER: "reminders",
    ChaseKind.URGE: "urges",
    ChaseKind.ESCALATION: "escalations",
}


def _chase(kind: ChaseKind) -> type[MethodView]:
    class Chase(MethodView):
        @requires("office")
        @idempotent
        @blp.arguments(ChaseIn)
        @blp.response(201, ReceiptOut)
        @blp.alt_response(200, schema=ReceiptOut, description="already chased so today: the "
                          "first event of that kind for this obligation, nothing recorded")
        def post(self, body: dict[str, Any], assignment_id: UUID) -> Any:
            check_assignment(assignment_id)
            ledger = services().ledger
            method = {
                ChaseKind.REMINDER: ledger.issue_reminder,
                ChaseKind.URGE: ledger.issue_urge,
                ChaseKind.ESCALATION: ledger.escalate,
            }[kind]
            receipt = method(
                act(),
                assignment_id,
                body["obligation"],
                body["period"],
                body["due_on"],
                body["reason"],
                body["evidence"],
            )
            return with_position(receipt_body(receipt), 201 if receipt.created else 200)

    Chase.post.__doc__ = {
        ChaseKind.REMINDER: "Remind the unit (提醒) before a deadline.",
        ChaseKind.URGE: "Urge the unit (催办) after a missed deadline.",
        ChaseKind.ESCALATION: "Escalate to the supervision platform (上报监督平台), with evidence.",
    }[kind] + (
        " The obligation (rule and period) must be one the assignment owes and has not "
        "reported (422 / 409); ``due_on`` is its due date, an approved extension applied "
        "(omit it to take that date; another value is 422)."
        + ("" if kind == ChaseKind.REMINDER else " Only after the due date has passed (409).")
        + " The same kind for the same obligation on the same business date is recorded "
        "once: again, 200 with the first event and ``created: false``."
    )
    Chase.__name__ = f"Chase{CHASE_ROUTES[kind].title()}"
    return Chase


for _kind, _route in CHASE_ROUTES.items():
    blp.route(f"/assignments/<uuid:assignment_id>/{_route}", endpoint=_route)(_chase(_kind))


@blp.route("/assignments/<uuid:assignment_id>/escalations/<uuid:escalation_id>/acknowledgement")
class Acknowledgement(MethodView):
    @requires("platform", "office")
    @idempotent
    @blp.arguments(AcknowledgeIn)
    @blp.response(201, ReceiptOut)
    def post(self, body: dict[str, Any], assignment_id: UUID, escalation_id: UUID) -> Any:
        """The supervision platform acknowledges (or resolves) an escalation."""
        check_assignment(assignment_id)
        receipt = services().ledger.acknowledge_escalation(
            act(),
            assignment_id,
            escalation_id,
            body["platform_reference"],
            body["note"],
            body["resolved"],
        )
        return with_position(receipt_body(receipt))


@blp.route("/assignments/<uuid:assignment_id>/chases/<uuid:event_id>/acknowledgement")
class ChaseAcknowledgement(MethodView):
    @requires("liaison", "office")
    @idempotent
    @blp.arguments(ChaseAcknowledgeIn)
    @blp.response(201, ReceiptOut)
    @blp.alt_response(200, schema=ReceiptOut, description="already acknowledged: the first "
                      "acknowledgement, nothing recorded")
    def post(self, body: dict[str, Any], assignment_id: UUID, event_id: UUID) -> Any:
        """The unit signs for (签收) a reminder or urge. Once: a second acknowledgement
        records nothing and returns the first (200, ``created: false``). Escalations are
        the supervision platform's to acknowledge (409)."""
        check_assignment(assignment_id)
        receipt = services().ledger.acknowledge_chase(
            act(), assignment_id, event_id, body["note"]
        )
        return with_position(receipt_body(receipt), 201 if receipt.created else 200)


def _lifecycle(kind: str) -> type[MethodView]:
    class Lifecycle(MethodView):
        @requires("office")
        @idempotent
        @blp.arguments(LifecycleIn)
        @blp.response(201, ReceiptOut)
        def post(self, body: dict[str, Any], assignment_id: UUID) -> Any:
            check_assignment(assignment_id)
            ledger = services().ledger
            reason = body["reason"] or {"complete": "办结"}.get(kind, "")
            method = {
                "complete": ledger.complete,
                "reopen": ledger.reopen,
                "withdraw": ledger.withdraw,
            }[kind]
            receipt = method(
                act(), assignment_id, reason, expected_version=body["expected_version"]
            )
            return with_position(receipt_body(receipt))

    Lifecycle.post.__doc__ = {
        "complete": "Mark the unit's work on the task completed (办结).",
        "reopen": "Reopen a completed assignment (needs a reason).",
        "withdraw": "Take the unit off the task (needs a reason); history stays.",
    }[kind]
    Lifecycle.__name__ = f"Lifecycle{kind.title()}"
    return Lifecycle


for _kind in ("complete", "reopen", "withdraw"):
    blp.route(f"/assignments/<uuid:assignment_id>/{_kind}", endpoint=_kind)(_lifecycle(_kind))


@blp.route("/assignments/<uuid:assignment_id>/reports", endpoint="report_list")
class AssignmentReports(MethodView):
    @requires("office", "auditor", "liaison")
    @blp.arguments(AsOfQuery, location="query", unknown=ma.RAISE)
    @blp.response(200, AssignmentReportsOut)
    def get(self, query: dict[str, Any], assignment_id: UUID) -> Any:
        """The assignment's reports in ledger order: what each said first, each correction
        with what it changed, what it says now, and whether it was on time."""
        row = assignment_row(assignment_id)
        calendar = services().calendar
        with open_view(services().ledger, services().store, calendar,
                       as_of=query["as_of"], position=query["position"]) as view:
            listed = queries.assignment_reports(view, row.assignment_id)
        return {
            "assignment_id": row.assignment_id,
            "unit_id": row.unit_id,
            "unit_name": row.unit_name,
            "task_number": row.task_number,
            "as_of": view.as_of.isoformat(),
            "position": view.position,
            "reports": listed,
        }

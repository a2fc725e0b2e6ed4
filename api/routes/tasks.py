"""Tasks: list with filters, one task with its units, targets and status; assign a unit."""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

import marshmallow as ma
from flask.views import MethodView
from flask_smorest import abort

from api.auth import principal, requires, services
from api.bodies import Blueprint
from api.idempotency import idempotent
from api.routes.common import act, receipt_body, with_position
from api.schemas import AssignIn, ReceiptOut, TaskOut, TaskQuery
from projections import queries

blp = Blueprint("tasks", __name__, description="Numbered tasks and who is on them")


def _units_of(task_id: str) -> list[dict[str, Any]]:
    return services().store.query(
        "SELECT assignment_id, unit_id, unit_name, role, status FROM {s}rm_assignments "
        "WHERE task_id = ? ORDER BY CASE role WHEN 'lead' THEN 0 ELSE 1 END, unit_name",
        [task_id],
    )


def _task_out(row: dict[str, Any]) -> dict[str, Any]:
    return {
        **{k: row[k] for k in ("task_id", "plan_id", "number", "ordinal", "section", "title",
                               "text")},
        "targets": json.loads(row["targets"]),
        "units": _units_of(row["task_id"]),
    }


@blp.route("/tasks")
class Tasks(MethodView):
    @requires("office", "auditor", "liaison")
    @blp.arguments(TaskQuery, location="query", unknown=ma.RAISE)
    @blp.response(200, TaskOut(many=True))
    def get(self, query: dict[str, Any]) -> Any:
        """Tasks, filtered by plan, unit or number; a liaison sees its unit's tasks."""
        services().catch_up()
        store = services().store
        where, params = ["1 = 1"], []
        if query.get("plan"):
            ids = [p["plan_id"] for p in queries.resolve_plan(store, query["plan"])]
            where.append(f"t.plan_id IN ({', '.join('?' for _ in ids)})")
            params += ids
        if query.get("number"):
            where.append("t.number = ?")
            params.append(query["number"])
        unit_id = None
        if query.get("unit"):
            unit_id = queries.resolve_unit(store, query["unit"])["unit_id"]
        who = principal()
        if who.role == "liaison":
            if unit_id is not None and unit_id != who.unit_id:
                abort(403, message="a liaison may read only its own unit's tasks")
            unit_id = who.unit_id
        if unit_id is not None:
            where.append("t.task_id IN (SELECT task_id FROM {s}rm_assignments WHERE unit_id = ?)")
            params.append(unit_id)
        rows = store.query(
            f"SELECT t.* FROM {{s}}rm_tasks t WHERE {' AND '.join(where)} "
            "ORDER BY t.plan_id, t.ordinal",
            params,
        )
        return [_task_out(r) for r in rows]


@blp.route("/tasks/<uuid:task_id>")
class TaskOne(MethodView):
    @requires("office", "auditor", "liaison")
    @blp.response(200, TaskOut)
    def get(self, task_id: UUID) -> Any:
        """One task with its units (role, status) and targets."""
        services().catch_up()
        rows = services().store.query("SELECT * FROM {s}rm_tasks WHERE task_id = ?",
                                      [str(task_id)])
        if not rows:
            abort(404, message=f"no task {task_id}")
        task = _task_out(rows[0])
        who = principal()
        if who.role == "liaison" and who.unit_id not in {u["unit_id"] for u in task["units"]}:
            abort(403, message="a liaison may read only its own unit's tasks")
        return task


@blp.route("/tasks/<uuid:task_id>/assignments")
class TaskAssignments(MethodView):
    @requires("office")
    @idempotent
    @blp.arguments(AssignIn)
    @blp.response(201, ReceiptOut)
    def post(self, body: dict[str, Any], task_id: UUID) -> Any:
        """Put a unit on the task (lead or co-unit)."""
        services().catch_up()
        unit = queries.resolve_unit(services().store, body["unit"])
        receipt = services().ledger.assign(act(), task_id, UUID(unit["unit_id"]), body["role"])
        return with_position(receipt_body(receipt))

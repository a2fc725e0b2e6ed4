"""Tasks: list with filters, one task with its units, targets and status; assign a unit."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import marshmallow as ma
from flask.views import MethodView
from flask_smorest import abort

from api.auth import OWN_UNIT_TASKS, require_unit, requires, scoped_unit, services
from api.bodies import Blueprint
from api.idempotency import idempotent
from api.paging import Keyset
from api.routes.common import LIST_PAGE_HEADERS, act, list_page, receipt_body, with_position
from api.routes.reports import UNKNOWN_FILTER
from api.schemas import AssignIn, ReceiptOut, TaskOut, TaskQuery
from projections import lookup
from projections.accountability import queries as accountability
from projections.accountability.queries import TaskUnit
from projections.registry import queries as registry
from projections.registry.queries import TaskRow

blp = Blueprint("tasks", __name__, description="Numbered tasks and who is on them")

#: Tasks page in the list's own order, plan then number (ordinal); the id is unique.
TASK_PAGES = Keyset("tasks", lambda task: (task.plan_id, task.ordinal, task.task_id), width=3)


def _task_out(task: TaskRow, units: list[TaskUnit]) -> dict[str, Any]:
    return {**task.to_json(), "units": [unit.to_json() for unit in units]}


@blp.route("/tasks")
class Tasks(MethodView):
    @requires("office", "auditor", "liaison")
    @blp.arguments(TaskQuery, location="query", unknown=ma.RAISE)
    @blp.response(200, TaskOut(many=True), headers=LIST_PAGE_HEADERS)
    @blp.alt_response(404, **UNKNOWN_FILTER)
    def get(self, query: dict[str, Any]) -> Any:
        """Tasks, filtered by plan, unit or number; a liaison sees its unit's tasks.
        Paged with `limit` (keyset: tasks added between pages neither repeat nor push
        one off a page); `Link` gives the next page, `X-Total-Count` the total."""
        services().catch_up()
        store = services().store
        about = lookup.scope(store, unit=query.get("unit"), plan=query.get("plan"),
                             task=query.get("number"))
        unit_id = scoped_unit(about.unit_id, message=OWN_UNIT_TASKS)
        found = registry.tasks(store, plan_ids=about.plan_ids,
                               number=about.task.number if about.task else None,
                               unit_id=unit_id)
        return list_page(TASK_PAGES, found, query, lambda page: [
            _task_out(task, accountability.units_on_task(store, task.task_id))
            for task in page])


@blp.route("/tasks/<uuid:task_id>")
class TaskOne(MethodView):
    @requires("office", "auditor", "liaison")
    @blp.response(200, TaskOut)
    def get(self, task_id: UUID) -> Any:
        """One task with its units (role, status) and targets."""
        services().catch_up()
        store = services().store
        task = registry.task(store, str(task_id))
        if task is None:
            abort(404, message=f"no task {task_id}")
        units = accountability.units_on_task(store, task.task_id)
        require_unit(*(unit.unit_id for unit in units), message=OWN_UNIT_TASKS)
        return _task_out(task, units)


@blp.route("/tasks/<uuid:task_id>/assignments")
class TaskAssignments(MethodView):
    @requires("office")
    @idempotent
    @blp.arguments(AssignIn)
    @blp.response(201, ReceiptOut)
    def post(self, body: dict[str, Any], task_id: UUID) -> Any:
        """Put a unit on the task (lead or co-unit)."""
        services().catch_up()
        unit = lookup.resolve_unit(services().store, body["unit"])
        receipt = services().ledger.assign(act(), task_id, UUID(unit.unit_id), body["role"])
        return with_position(receipt_body(receipt))

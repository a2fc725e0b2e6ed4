"""Plans: list, read, import a document (with a dry-run preview)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import marshmallow as ma
from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint, abort

from api.auth import requires, services
from api.idempotency import idempotent
from api.paging import Keyset
from api.routes.common import LIST_PAGE_HEADERS, act, list_page
from api.schemas import ImportOut, ImportQuery, PageQuery, PlanOut
from ledger.importer import decode_document, parse_plan
from ledger.importing import import_plan
from projections.registry import queries as registry

blp = Blueprint("plans", __name__, description="Plans as issued")

PLAN_READERS = ("office", "auditor", "liaison")
#: Plans page by date of issue then title, as listed (a plan with no date first), the
#: id breaking ties.
PLAN_PAGES = Keyset("plans", lambda plan: (plan.issued_on, plan.title, plan.plan_id), width=3)


@blp.route("/plans")
class Plans(MethodView):
    @requires(*PLAN_READERS)
    @blp.arguments(PageQuery, location="query", unknown=ma.RAISE)
    @blp.response(200, PlanOut(many=True), headers=LIST_PAGE_HEADERS)
    def get(self, query: dict[str, Any]) -> Any:
        """Every plan in the ledger. Paged with `limit` (keyset); `Link` gives the next
        page, `X-Total-Count` the total."""
        services().catch_up()
        return list_page(PLAN_PAGES, registry.plans(services().store), query,
                         lambda page: [row.to_json() for row in page])

    @requires("office")
    @idempotent
    @blp.doc(requestBody={
        "required": True,
        "description": "the plan document as published (UTF-8 or GB18030 text)",
        "content": {"text/plain": {"schema": {"type": "string"}}},
    })
    @blp.arguments(ImportQuery, location="query", unknown=ma.RAISE)
    @blp.response(201, ImportOut)
    @blp.alt_response(200, schema=ImportOut, description="dry run, or nothing new")
    def post(self, query: dict[str, Any]) -> Any:
        """Import a plan document (text/plain, UTF-8 or GB18030) as published."""
        parsed = parse_plan(decode_document(request.get_data()))
        outcome = import_plan(services().ledger, parsed, act(), dry_run=query["dry_run"])
        body = {"preview": parsed.to_json(),
                "written": None if query["dry_run"] else outcome.to_json()}
        status = 201 if (not query["dry_run"] and outcome.events) else 200
        return body, status


@blp.route("/plans/<uuid:plan_id>")
class PlanOne(MethodView):
    @requires(*PLAN_READERS)
    @blp.response(200, PlanOut)
    def get(self, plan_id: UUID) -> Any:
        """One plan, with its plan-level targets and reporting duties."""
        services().catch_up()
        found = registry.plan(services().store, str(plan_id))
        if found is None:
            abort(404, message=f"no plan {plan_id}")
        return found.to_json()

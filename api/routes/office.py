"""The office's queues: the outbox to the supervision platform and liaisons; briefings."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from uuid import UUID

import marshmallow as ma
from flask import send_file
from flask.views import MethodView
from flask_smorest import Blueprint, abort

from api.auth import requires, services
from api.schemas import BriefingsOut, OutboxOut, Strict, text
from projections.office import queries as office
from scheduler.folders import briefings_dir
from scheduler.outbox import outbox_list

blp = Blueprint("office", __name__, description="Outbox and briefings")

class OutboxQuery(Strict):
    channel = text(20, required=False)


@blp.route("/outbox")
class Outbox(MethodView):
    @requires("office", "auditor")
    @blp.arguments(OutboxQuery, location="query", unknown=ma.RAISE)
    @blp.response(200, OutboxOut)
    def get(self, query: dict[str, Any]) -> Any:
        """Deliveries to the supervision platform and to liaisons: queued, delivered,
        failed or acknowledged (escalations the platform has acknowledged)."""
        svc = services()
        svc.catch_up()
        return {"items": outbox_list(svc.store, query.get("channel")), "next_after": None}


@blp.route("/briefings")
class Briefings(MethodView):
    @requires("office", "auditor")
    @blp.response(200, BriefingsOut)
    def get(self) -> Any:
        """Briefings issued: kind, period, as-of date, ledger position, SHA-256."""
        svc = services()
        svc.catch_up()
        return {"items": [row.to_json() for row in office.briefings(svc.store)],
                "next_after": None}


@blp.route("/briefings/<uuid:briefing_id>/pdf")
class BriefingPdf(MethodView):
    @requires("office", "auditor")
    @blp.response(200, content_type="application/pdf")
    def get(self, briefing_id: UUID) -> Any:
        """The PDF, if its bytes still match the SHA-256 recorded when it was issued."""
        import hashlib

        svc = services()
        svc.catch_up()
        issued = office.briefing(svc.store, str(briefing_id))
        if issued is None:
            abort(404, message=f"no briefing {briefing_id}")
        path = briefings_dir() / Path(issued.filename).name
        if not path.is_file():
            abort(404, message="the briefing's file is not in the briefings folder")
        data = path.read_bytes()
        if hashlib.sha256(data).hexdigest() != issued.sha256:
            abort(409, message="the file no longer matches the issued briefing's SHA-256")
        return send_file(path, mimetype="application/pdf", download_name=path.name)

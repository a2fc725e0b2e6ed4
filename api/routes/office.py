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
from api.paging import Keyset
from api.routes.common import LIST_PAGE_HEADERS, list_page
from api.schemas import BriefingsOut, OutboxOut, PageQuery, text
from projections.office import queries as office
from scheduler.folders import briefings_dir
from scheduler.outbox import outbox_list

blp = Blueprint("office", __name__, description="Outbox and briefings")

#: Deliveries page by day, unit and channel as listed, the id breaking ties (the list
#: itself breaks them by creation time first, which a delivery's row does not show).
OUTBOX_PAGES = Keyset("outbox", lambda row: (row["day"], row["unit_name"], row["channel"],
                                             row["delivery_id"]), width=4)
#: Briefings page by the ledger position each stands for, the id breaking ties.
BRIEFING_PAGES = Keyset("briefings", lambda row: (row.ledger_position, row.briefing_id),
                        width=2)


class OutboxQuery(PageQuery):
    channel = text(20, required=False)


def _items(page: list[dict[str, object]]) -> dict[str, object]:
    # The body keeps its shape; next_after stays null: these lists page by the cursor in
    # the Link header, not by a ledger position.
    return {"items": page, "next_after": None}


@blp.route("/outbox")
class Outbox(MethodView):
    @requires("office", "auditor")
    @blp.arguments(OutboxQuery, location="query", unknown=ma.RAISE)
    @blp.response(200, OutboxOut, headers=LIST_PAGE_HEADERS)
    def get(self, query: dict[str, Any]) -> Any:
        """Deliveries to the supervision platform and to liaisons: queued, delivered,
        failed or acknowledged (escalations the platform has acknowledged). Paged with
        `limit` (keyset); `Link` gives the next page, `X-Total-Count` the total."""
        svc = services()
        svc.catch_up()
        return list_page(OUTBOX_PAGES, outbox_list(svc.store, query.get("channel")), query,
                         _items)


@blp.route("/briefings")
class Briefings(MethodView):
    @requires("office", "auditor")
    @blp.arguments(PageQuery, location="query", unknown=ma.RAISE)
    @blp.response(200, BriefingsOut, headers=LIST_PAGE_HEADERS)
    def get(self, query: dict[str, Any]) -> Any:
        """Briefings issued: kind, period, as-of date, ledger position, SHA-256. Paged
        with `limit` (keyset); `Link` gives the next page, `X-Total-Count` the total."""
        svc = services()
        svc.catch_up()
        return list_page(BRIEFING_PAGES, office.briefings(svc.store), query,
                         lambda page: _items([row.to_json() for row in page]))


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

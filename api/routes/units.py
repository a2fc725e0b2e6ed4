"""Units: one unit with its contact (联络员), and the office setting that contact."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask.views import MethodView

from api.auth import require_unit, requires, services
from api.bodies import Blueprint
from api.idempotency import idempotent
from api.routes.common import act, with_position
from api.schemas import ContactIn, UnitOut
from projections import queries

blp = Blueprint("units", __name__, description="Responsible units and their contacts")


@blp.route("/units/<uuid:unit_id>")
class UnitOne(MethodView):
    @requires("office", "auditor", "liaison")
    @blp.response(200, UnitOut)
    def get(self, unit_id: UUID) -> Any:
        """The unit: name, kind, aliases and contact (null if none); a liaison reads
        only its own."""
        require_unit(str(unit_id))
        services().catch_up()
        return queries.unit_record(services().store, str(unit_id)).to_json()


@blp.route("/units/<uuid:unit_id>/contact")
class UnitContact(MethodView):
    @requires("office")
    @idempotent
    @blp.arguments(ContactIn)
    @blp.response(200, UnitOut)
    def put(self, body: dict[str, Any], unit_id: UUID) -> Any:
        """Replace the unit's whole contact (optional fields left out are cleared). The
        same contact again writes nothing. A change is a new event: earlier contacts
        stay in the ledger's history."""
        contact = {key: value or "" for key, value in body.items()}
        services().ledger.assign_liaison(act(), unit_id, **contact)
        services().catch_up()
        return with_position(queries.unit_record(services().store, str(unit_id)).to_json(), 200)

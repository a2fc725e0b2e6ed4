"""Health (no auth, at the root) and basic metrics."""

from __future__ import annotations

from typing import Any

from flask import Blueprint as FlaskBlueprint
from flask import Response, current_app, jsonify
from flask.views import MethodView
from flask_smorest import Blueprint

from api.auth import requires, services
from ledger.errors import LedgerError

blp = Blueprint("system", __name__, description="Metrics")
health = FlaskBlueprint("health", __name__)


@health.route("/healthz")
def healthz() -> Any:
    """Checks the database; says which calendar years are guessed."""
    svc = services()
    try:
        position = svc.ledger.position()
        svc.store.positions()
    except LedgerError as error:
        response = jsonify(status="unavailable", database="unreachable", detail=error.message)
        response.status_code = 503
        return response
    except Exception as error:  # any driver failure means "not healthy", never a 500
        response = jsonify(status="unavailable", database="unreachable",
                           detail=str(error).splitlines()[0] if str(error) else "error")
        response.status_code = 503
        return response
    today = svc.clock.today()
    return jsonify(status="ok", database=svc.settings.store.backend, position=position,
                   warnings=svc.calendar.warnings_for({today.year, today.year + 1}))


@blp.route("/metrics")
class Metrics(MethodView):
    @requires("office", "auditor")
    @blp.response(200, content_type="text/plain")
    def get(self) -> Any:
        """Request counts, ledger position and read-model lag (Prometheus text format)."""
        svc = services()
        counts = current_app.extensions["taskledger.metrics"]
        head = svc.ledger.position()
        lines = [
            "# TYPE taskledger_ledger_position gauge",
            f"taskledger_ledger_position {head}",
            "# TYPE taskledger_projection_lag gauge",
        ]
        for name, at in svc.store.positions().items():
            lines.append(f'taskledger_projection_lag{{projection="{name}"}} {head - at}')
        lines.append("# TYPE taskledger_http_requests_total counter")
        for (method, rule, status), n in sorted(counts.items()):
            lines.append(
                f'taskledger_http_requests_total{{method="{method}",route="{rule}",'
                f'status="{status}"}} {n}'
            )
        return Response("\n".join(lines) + "\n", mimetype="text/plain")

"""The API's blueprints, registered under /api/v1 (health at the root)."""

from __future__ import annotations

from flask import Flask
from flask_smorest import Api


def register(api: Api, app: Flask) -> None:
    from api.routes import assignments, office, plans, reports, system, tasks, units

    for module in (plans, tasks, units, assignments, reports, office, system):
        api.register_blueprint(module.blp, url_prefix="/api/v1")
    app.register_blueprint(system.health)

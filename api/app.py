"""The Flask application factory: HTTP API under /api/v1, OpenAPI, docs, health."""

from __future__ import annotations

import os
import re
import time
import uuid
from collections import Counter
from typing import Any

from flask import Flask, g, request
from flask.json.provider import DefaultJSONProvider
from flask_smorest import Api
from werkzeug.exceptions import HTTPException

from api import bodies, problems
from api.schemas import ProblemOut
from api.services import Services, Settings
from ledger.errors import LedgerError
from ledger.store import configured_store


class StrictJSONProvider(DefaultJSONProvider):
    """JSON as RFC 8259 has it: ``Infinity`` and ``NaN`` are not JSON, so a value that
    would print as one is a bug to surface (a 500), never a body a client cannot parse.
    The ledger refuses such figures and the read models make computed ones finite."""

    ensure_ascii = False  # Chinese stays readable in responses

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        kwargs.setdefault("allow_nan", False)
        return super().dumps(obj, **kwargs)


class ProblemApi(Api):
    """flask-smorest with problem+json errors (documented as the default response)."""

    ERROR_SCHEMA = ProblemOut

    def handle_http_exception(self, error: HTTPException) -> Any:
        return problems.from_http_exception(error)

    def _register_responses(self) -> None:
        """As flask-smorest's, but error responses are documented as problem+json."""
        import http

        from flask_smorest.utils import prepare_response

        for status in http.HTTPStatus:
            response: dict[str, Any] = {"description": status.phrase}
            if not (100 <= status < 200) and status not in (204, 304):
                response["schema"] = self.ERROR_SCHEMA
            content_type = problems.PROBLEM_JSON if status >= 400 else "application/json"
            prepare_response(response, self.spec, content_type)
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "Default error response", "schema": self.ERROR_SCHEMA}
        prepare_response(response, self.spec, problems.PROBLEM_JSON)
        self.spec.components.response("DEFAULT_ERROR", response, lazy=True)


def create_app(settings: Settings | None = None) -> Flask:
    settings = settings or Settings(store=configured_store())
    app = Flask("taskledger")
    app.config.update(
        API_TITLE="taskledger",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/",
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="/docs",
        OPENAPI_SWAGGER_UI_URL="/docs/static/",
        MAX_CONTENT_LENGTH=settings.max_plan_bytes,
        JSON_AS_ASCII=False,
        API_SPEC_OPTIONS={
            "components": {
                "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}
            },
            "security": [{"bearer": []}],
            "info": {"description": "Event-sourced accountability ledger for plan tasks. "
                                    "Errors are application/problem+json."},
        },
    )
    app.json = StrictJSONProvider(app)
    services = Services(settings)
    app.extensions["taskledger"] = services
    app.extensions["taskledger.metrics"] = Counter()
    api = ProblemApi(app)

    from api.routes import register

    register(api, app)
    _serve_swagger_assets(app)
    _guard_bodies(app, settings)
    bodies.install(app)  # after the size and media-type checks: a 413/415 is not read
    _count_requests(app)

    @app.errorhandler(LedgerError)
    def ledger_error(error: LedgerError) -> Any:
        return problems.from_ledger_error(error)

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> Any:
        if isinstance(error, HTTPException):
            return problems.from_http_exception(error)
        app.logger.exception("unexpected error")
        return problems.problem(500, "Internal server error",
                                "the server failed; the request left no events behind")

    return app


def _serve_swagger_assets(app: Flask) -> None:
    """Swagger UI from the swagger-ui-bundle package: the docs work offline."""
    import swagger_ui_bundle
    from flask import send_from_directory

    @app.route("/docs/static/<path:filename>")
    def swagger_asset(filename: str) -> Any:
        return send_from_directory(swagger_ui_bundle.swagger_ui_path, filename)


def _guard_bodies(app: Flask, settings: Settings) -> None:
    @app.before_request
    def check_body() -> Any:
        g.request_id = correlation_id(request.headers.get("X-Request-Id"))
        g.started = time.perf_counter()
        if request.method not in ("POST", "PUT", "PATCH") or request.routing_exception:
            return None  # unknown routes and wrong methods get their 404/405 first
        length = request.content_length or 0
        is_plan_upload = request.path.rstrip("/") == "/api/v1/plans"
        limit = settings.max_plan_bytes if is_plan_upload else settings.max_body_bytes
        if length > limit:
            return problems.problem(413, "Request entity too large",
                                    f"the body is limited to {limit} bytes")
        expected = "text/plain" if is_plan_upload else "application/json"
        if request.path.startswith("/api/v1/") and request.mimetype != expected:
            return problems.problem(415, "Unsupported media type",
                                    f"send the body as {expected}")
        return None


_UUID_TEXT = re.compile(
    r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE
)


def correlation_id(header: str | None) -> str:
    """The correlation id events of this request are stored with.

    A client's ``X-Request-Id`` is taken only when it is a UUID (8-4-4-4-12 hex digits),
    written in its canonical lower-case form; anything else (8,000 characters, markup,
    another system's request number) is not stored at all and the request gets a new
    UUID. The response's ``X-Request-Id`` is always the id used.
    """
    if header and _UUID_TEXT.fullmatch(header.strip()):
        return str(uuid.UUID(header.strip()))
    return str(uuid.uuid4())


def _count_requests(app: Flask) -> None:
    counts: Counter = app.extensions["taskledger.metrics"]

    @app.after_request
    def count(response: Any) -> Any:
        rule = request.url_rule.rule if request.url_rule else "unmatched"
        counts[(request.method, rule, response.status_code)] += 1
        response.headers["X-Request-Id"] = g.get("request_id", "")
        return response


def wsgi() -> Flask:
    """Entry point for gunicorn (``api.app:wsgi()``): settings from the environment."""
    from ledger.store import parse_database_url

    return create_app(Settings(store=parse_database_url(os.environ.get(
        "TASKLEDGER_DATABASE_URL"))))

"""Every error as ``application/problem+json`` (RFC 9457): type, title, status, detail.

Domain errors map by family (``LedgerError.kind``); HTTP errors keep the headers the
client needs (``WWW-Authenticate`` on 401, ``Allow`` on 405, ``Retry-After`` on 409 and
429), which flask-smorest's default handler would drop.
"""

from __future__ import annotations

from typing import Any

from flask import Response, json
from werkzeug.exceptions import HTTPException

from ledger.errors import LedgerError

PROBLEM_TYPE = "https://taskledger.invalid/problems/"
PROBLEM_JSON = "application/problem+json"

STATUS_OF_KIND = {
    "not-found": 404,
    "invalid": 422,
    "not-allowed": 409,
    "conflict": 409,
    "unavailable": 503,
}

_KEPT_HEADERS = ("WWW-Authenticate", "Allow", "Retry-After")


def problem(
    status: int,
    title: str,
    detail: str | None = None,
    *,
    code: str | None = None,
    errors: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE + (code or str(status)),
        "title": title,
        "status": status,
    }
    if detail:
        body["detail"] = detail
    if errors:
        body["errors"] = errors
    # A detail may quote the client's own text, lone surrogates included (an unknown
    # key "\ud800"): written back as JSON escapes, so the problem itself never fails.
    text = json.dumps(body, ensure_ascii=False).encode("utf-8", "backslashreplace")
    response = Response(text, status=status, mimetype=PROBLEM_JSON)
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def from_ledger_error(error: LedgerError) -> Response:
    status = STATUS_OF_KIND.get(error.kind, 422)
    headers = {"Retry-After": "1"} if error.code == "concurrent-write" else None
    errors = {error.field: [error.message]} if error.field else None
    title = {404: "Not found", 409: "Conflict", 422: "Unprocessable request",
             503: "Service unavailable"}.get(status, "Error")
    return problem(status, title, error.message, code=error.code, errors=errors, headers=headers)


def from_http_exception(error: HTTPException) -> Response:
    status = error.code or 500
    data = getattr(error, "data", None) or {}
    errors = data.get("errors") or data.get("messages")
    if isinstance(errors, dict) and set(errors) <= {"json", "query", "headers", "files", "form",
                                                     "view_args", "path"}:
        # webargs nests field errors under the location; one level is enough here
        flat: dict[str, Any] = {}
        for location in errors.values():
            if isinstance(location, dict):
                flat.update(location)
        errors = flat or errors
    headers = {
        key: value for key, value in error.get_headers() if key in _KEPT_HEADERS
    }
    headers.update(data.get("headers") or {})
    detail = data.get("message") or error.description
    if status >= 500:
        detail = "the server failed; the request left no events behind"
    return problem(status, error.name, detail, errors=errors, headers=headers)

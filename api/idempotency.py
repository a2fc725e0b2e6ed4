"""``Idempotency-Key`` on every write of the API: a retry gets the first answer.

Every POST and PUT view is decorated with :func:`idempotent` (just under ``requires``).
A request that carries the header (1–200 printable characters) is scoped to
(caller's token id, endpoint, resource: the ids in its path), so two tokens, two
endpoints or two assignments never share a key. Then:

- the first request claims the key (a row in ``api_idempotency``, committed before the
  view runs), runs, and, if it succeeds (2xx), stores its status, body and the headers
  a client needs (``Content-Type``, ``Ledger-Position``, ``Location``);
- the same key with the same meaning (``ledger.meaning``: numbers by value, objects by
  key set, strings after the ledger's cleaning) gets that stored response again, with
  ``Idempotent-Replayed: true``, and nothing is recorded;
- the same key with another meaning is a 409 problem ``idempotency-conflict``;
- the same key arriving while the first is still running **waits** for it (polling the
  row, up to ``IN_PROGRESS_WAIT_SECONDS``) and then replays it; only if the first takes
  longer than that is the answer a 409 ``idempotency-in-progress`` with ``Retry-After``.
  The row's primary key is what makes this hold across threads, workers and hosts: two
  identical requests at the same moment cannot both claim it, so cannot both write.

A request that fails (4xx, 5xx, an exception) releases its claim, so the client may
retry the same key once it has fixed what was wrong. A claim left by a process that died
mid-request is taken over after ``LEASE_SECONDS``. (That is the one case where a write
could happen twice: the process died after the ledger recorded the event and before the
response was stored. Chasers and assignments are still deduplicated by the ledger.)

Keys are kept ``RETENTION_DAYS`` (30) days after their first use; a key older than that
is a new key again. Expired rows are deleted by the API itself, at most once an hour per
process, by the next keyed request (``IdempotencyStore.purge``).

Requests without the header behave as before (progress reports require it, see
``api.routes.assignments``: the ledger itself keeps report keys).
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections.abc import Callable
from copy import deepcopy
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import wraps
from typing import Any

from flask import Response, make_response, request
from flask_smorest import abort

from api import problems
from ledger.errors import LedgerError
from ledger.importer import decode_document
from ledger.meaning import canonical
from projections.db import ReadStore

HEADER = "Idempotency-Key"
MAX_KEY = 200
RETENTION_DAYS = 30
LEASE_SECONDS = 120  # longer than any request may run (gunicorn's timeout is 60 s)
IN_PROGRESS_WAIT_SECONDS = 10.0
POLL_SECONDS = 0.05
PURGE_EVERY_SECONDS = 3600.0
REPLAYED_HEADER = "Idempotent-Replayed"
KEPT_HEADERS = ("Content-Type", "Ledger-Position", "Location")

DDL = """CREATE TABLE IF NOT EXISTS {s}api_idempotency (
    caller TEXT NOT NULL, endpoint TEXT NOT NULL, resource TEXT NOT NULL,
    idem_key TEXT NOT NULL, request TEXT NOT NULL, claim TEXT NOT NULL,
    status INTEGER, response_body TEXT, response_headers TEXT,
    created_at TEXT NOT NULL, claimed_at TEXT NOT NULL, completed_at TEXT,
    PRIMARY KEY (caller, endpoint, resource, idem_key))"""
INDEX = ("CREATE INDEX IF NOT EXISTS api_idempotency_created "
         "ON {s}api_idempotency (created_at)")

PARAMETER_DOC = {
    "in": "header",
    "name": HEADER,
    "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": MAX_KEY,
               "pattern": r"^[\x21-\x7e]([\x20-\x7e]*[\x21-\x7e])?$"},
    "description": (
        "Optional; 1-200 printable characters, scoped to the caller's token, this "
        "endpoint and this resource, kept 30 days. The same key with the same meaning "
        "(numbers by value, objects by key set, text after trimming) returns the first "
        "response (header Idempotent-Replayed: true) and records nothing; with another "
        "meaning, 409 idempotency-conflict. A retry arriving while the first request is "
        "still running waits for it (up to 10 s, else 409 idempotency-in-progress with "
        "Retry-After). Failed requests (4xx, 5xx) are not kept."
    ),
}


def _stamp(moment: datetime) -> str:
    """One fixed spelling, so stored instants compare as text."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True)
class Scope:
    caller: str
    endpoint: str
    resource: str
    key: str

    @property
    def params(self) -> tuple[str, str, str, str]:
        return (self.caller, self.endpoint, self.resource, self.key)


@dataclass(frozen=True)
class Outcome:
    """What to do with a keyed request: ``run`` (we hold the claim), ``replay``,
    ``conflict`` (another meaning) or ``in-progress`` (the first is still running)."""

    action: str
    claim: str | None = None
    row: dict[str, Any] | None = None


_WHERE = "caller = ? AND endpoint = ? AND resource = ? AND idem_key = ?"


class IdempotencyStore:
    """The ``api_idempotency`` table beside the read models (like ``api_tokens``)."""

    def __init__(self, store: ReadStore) -> None:
        self.store = store
        self._purge_lock = threading.Lock()
        self._purged_at: float | None = None

    def create_table(self) -> None:
        """Run by ``taskledger db init`` (and only there): the keys are not rebuilt from
        events, so the table is made once with the store, never on a request."""
        with self.store.transaction(commit=True) as cursor:
            cursor.execute(self.store.sql(DDL))
            cursor.execute(self.store.sql(INDEX))

    def begin(self, scope: Scope, request_text: str, meaning: str, now: datetime,
              wait_seconds: float | None = None) -> Outcome:
        """Claim the key, or say why not; waits while another request holds it."""
        self._maybe_purge(now)
        claim = secrets.token_hex(12)
        wait = IN_PROGRESS_WAIT_SECONDS if wait_seconds is None else wait_seconds
        deadline = time.monotonic() + wait
        row = self._insert_or_read(scope, request_text, claim, now)
        compared, same = None, False
        while True:
            if row is None:  # released or expired meanwhile: claim it ourselves
                row = self._insert_or_read(scope, request_text, claim, now)
            if row["claim"] == claim and row["status"] is None:
                return Outcome("run", claim=claim)
            if row["created_at"] < _stamp(now - timedelta(days=RETENTION_DAYS)):
                self._delete(scope, row["claim"])  # expired, not yet purged: a new key
                row = None
                continue
            if row["request"] != compared:  # the stored request, read once while polling
                compared, same = row["request"], canonical(json.loads(row["request"])) == meaning
            if not same:
                return Outcome("conflict", row=row)
            if row["status"] is not None:
                return Outcome("replay", row=row)
            if row["claimed_at"] < _stamp(now - timedelta(seconds=LEASE_SECONDS)):
                self._take_over(scope, row["claim"], claim, now)
                row = self._read(scope)  # whoever won the takeover holds it now
                continue
            if time.monotonic() >= deadline:
                return Outcome("in-progress", row=row)
            # Another request holds the key: wait for its answer, reading only (a write
            # here would contend with its ledger write for SQLite's lock).
            time.sleep(POLL_SECONDS)
            row = self._read(scope)

    def _read(self, scope: Scope) -> dict[str, Any] | None:
        rows = self.store.query(f"SELECT * FROM {{s}}api_idempotency WHERE {_WHERE}",
                                scope.params)
        return rows[0] if rows else None

    def _insert_or_read(self, scope: Scope, request_text: str, claim: str,
                        now: datetime) -> dict[str, Any]:
        stamp = _stamp(now)
        with self.store.transaction(commit=True) as cursor:
            # The primary key decides between simultaneous first requests: one row wins,
            # the other INSERT does nothing (on PostgreSQL it waits for the winner's
            # commit first), and both read the winner's row.
            cursor.execute(
                self.store.sql(
                    "INSERT INTO {s}api_idempotency (caller, endpoint, resource, idem_key, "
                    "request, claim, created_at, claimed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                    "ON CONFLICT (caller, endpoint, resource, idem_key) DO NOTHING"
                ),
                (*scope.params, request_text, claim, stamp, stamp),
            )
            cursor.execute(
                self.store.sql(f"SELECT * FROM {{s}}api_idempotency WHERE {_WHERE}"),
                scope.params,
            )
            return dict(cursor.fetchone())

    def _delete(self, scope: Scope, claim: str) -> None:
        with self.store.transaction(commit=True) as cursor:
            cursor.execute(
                self.store.sql(f"DELETE FROM {{s}}api_idempotency WHERE {_WHERE} AND claim = ?"),
                (*scope.params, claim),
            )

    def _take_over(self, scope: Scope, old: str, new: str, now: datetime) -> None:
        with self.store.transaction(commit=True) as cursor:
            cursor.execute(
                self.store.sql(
                    "UPDATE {s}api_idempotency SET claim = ?, claimed_at = ? "
                    f"WHERE {_WHERE} AND claim = ? AND status IS NULL"
                ),
                (new, _stamp(now), *scope.params, old),
            )

    def complete(self, scope: Scope, claim: str, response: Response, now: datetime) -> None:
        headers = {name: response.headers[name] for name in KEPT_HEADERS
                   if name in response.headers}
        with self.store.transaction(commit=True) as cursor:
            cursor.execute(
                self.store.sql(
                    "UPDATE {s}api_idempotency SET status = ?, response_body = ?, "
                    f"response_headers = ?, completed_at = ? WHERE {_WHERE} AND claim = ?"
                ),
                (response.status_code, response.get_data(as_text=True),
                 json.dumps(headers), _stamp(now), *scope.params, claim),
            )

    def release(self, scope: Scope, claim: str) -> None:
        """A failed request leaves no key behind: the client may retry it as it is."""
        with self.store.transaction(commit=True) as cursor:
            cursor.execute(
                self.store.sql(
                    f"DELETE FROM {{s}}api_idempotency WHERE {_WHERE} AND claim = ? "
                    "AND status IS NULL"
                ),
                (*scope.params, claim),
            )

    def purge(self, now: datetime) -> int:
        """Delete keys first used more than ``RETENTION_DAYS`` ago; returns how many."""
        cutoff = _stamp(now - timedelta(days=RETENTION_DAYS))
        removed = self.store.scalar(
            "SELECT COUNT(*) AS n FROM {s}api_idempotency WHERE created_at < ?", [cutoff])
        with self.store.transaction(commit=True) as cursor:
            cursor.execute(
                self.store.sql("DELETE FROM {s}api_idempotency WHERE created_at < ?"), (cutoff,))
        return int(removed or 0)

    def _maybe_purge(self, now: datetime) -> None:
        with self._purge_lock:
            due = (self._purged_at is None
                   or time.monotonic() - self._purged_at >= PURGE_EVERY_SECONDS)
            if due:
                self._purged_at = time.monotonic()
        if due:
            self.purge(now)


# ---- the decorator ----------------------------------------------------------------------
def _valid_key(raw: str) -> str:
    key = raw.strip(" \t")
    if not 1 <= len(key) <= MAX_KEY or not all(" " <= c <= "~" for c in key):
        abort(400, message=f"{HEADER} must be 1-{MAX_KEY} printable ASCII characters",
              errors={HEADER: [f"1-{MAX_KEY} printable ASCII characters"]})
    return key


_UNREADABLE = object()


def _request_content() -> Any:
    """What the request says: its query and its body (JSON, or the text it carries)."""
    data = request.get_data(cache=True)
    query = {name: request.args.getlist(name) for name in request.args}
    if request.mimetype == "application/json":
        try:
            body = json.loads(data.decode("utf-8")) if data else None
        except (ValueError, RecursionError):
            return _UNREADABLE  # the view refuses it with its own 400
    else:
        try:
            body = decode_document(data)  # a plan: UTF-8 or GB18030 text, one meaning
        except LedgerError:
            body = data.decode("latin-1")
    return {"query": query, "body": body}


def _resource() -> str:
    """The ids in the path, as the router read them (one spelling per UUID)."""
    return ";".join(f"{name}={value}" for name, value in sorted((request.view_args or {}).items()))


def _replay(row: dict[str, Any]) -> Response:
    response = Response(row["response_body"], status=row["status"])
    for name, value in json.loads(row["response_headers"] or "{}").items():
        response.headers[name] = value
    response.headers[REPLAYED_HEADER] = "true"
    return response


def idempotent(view: Callable) -> Callable:
    """Honour ``Idempotency-Key`` on a write view (place it just under ``requires``)."""
    from api.auth import principal, services

    @wraps(view)
    def keyed(*args: Any, **kwargs: Any) -> Any:
        raw = request.headers.get(HEADER)
        if raw is None:
            return view(*args, **kwargs)
        key = _valid_key(raw)
        content = _request_content()
        try:
            meaning = None if content is _UNREADABLE else canonical(content)
        except RecursionError:
            meaning = None
        if meaning is None:
            return view(*args, **kwargs)  # unreadable: the view refuses it; nothing kept
        request_text = json.dumps(content, ensure_ascii=True)
        svc = services()
        table: IdempotencyStore = svc.idempotency
        rule = request.url_rule.rule if request.url_rule else request.path
        scope = Scope(principal().token_id, f"{request.method} {rule}", _resource(), key)
        outcome = table.begin(scope, request_text, meaning, svc.clock.now())
        if outcome.action == "replay":
            return _replay(outcome.row)
        if outcome.action == "conflict":
            return problems.problem(
                409, "Conflict",
                f"{HEADER} {key!r} was already used here for a request that means "
                "something else; use a new key for a new request",
                code="idempotency-conflict", errors={HEADER: ["used for another request"]})
        if outcome.action == "in-progress":
            return problems.problem(
                409, "Conflict",
                f"a request with {HEADER} {key!r} is still being processed; retry shortly",
                code="idempotency-in-progress", headers={"Retry-After": "1"})
        try:
            response = make_response(view(*args, **kwargs))
        except BaseException:
            table.release(scope, outcome.claim)
            raise
        if 200 <= response.status_code < 300:
            table.complete(scope, outcome.claim, response, svc.clock.now())
        else:
            table.release(scope, outcome.claim)
        return response

    keyed._apidoc = _documented(getattr(view, "_apidoc", {}))
    keyed.__dict__["_idempotent"] = True
    return keyed


def _documented(apidoc: dict[str, Any]) -> dict[str, Any]:
    """The view's OpenAPI doc with the optional header (unless it declares it itself)."""
    doc = deepcopy(apidoc)
    arguments = doc.setdefault("arguments", {})
    arguments.setdefault("responses", {})[409] = "CONFLICT"
    parameters = arguments.setdefault("parameters", [])
    for parameter in parameters:
        declared = getattr(parameter.get("schema"), "_declared_fields", {})
        if parameter.get("in") == "headers" and any(
            field.data_key == HEADER for field in declared.values()
        ):
            return doc  # the view requires the header itself (progress reports)
    parameters.append(dict(PARAMETER_DOC))
    return doc

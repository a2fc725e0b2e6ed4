"""Who may call what: bearer tokens, roles, and a per-token write rate limit."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import current_app, g, request
from flask_smorest import abort

from api.tokens import Principal


def services() -> Any:
    return current_app.extensions["taskledger"]


def principal() -> Principal:
    return g.principal


def _unauthorized(detail: str) -> None:
    abort(401, message=detail, headers={"WWW-Authenticate": 'Bearer realm="taskledger"'})


def authenticate() -> Principal:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        _unauthorized("send 'Authorization: Bearer <token>'")
    found = services().tokens.authenticate(token.strip(), services().clock.now())
    if found is None:
        _unauthorized("the token is unknown, expired or revoked")
    return found


def requires(*roles: str) -> Callable:
    """Allow only these roles; the principal is in ``g.principal`` for the view."""

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            who = authenticate()
            if who.role not in roles:
                abort(403, message=f"the {who.role} role may not do this")
            g.principal = who
            if request.method in ("POST", "PUT", "PATCH", "DELETE"):
                _rate_limit(who)
            return view(*args, **kwargs)

        guarded.__dict__["_roles"] = roles
        return guarded

    return decorate


#: Why a liaison is refused (403): each route says what it refused.
OWN_UNIT_ACTS = "a liaison may act only for its own unit"
OWN_UNIT_RECORDS = "a liaison may read only its own unit's records"
OWN_UNIT_TASKS = "a liaison may read only its own unit's tasks"


def require_unit(*unit_ids: str, message: str = OWN_UNIT_ACTS) -> None:
    """The own-unit check: a liaison acts and reads for its own unit only, so it is
    refused (403) unless its unit is one of ``unit_ids``; other roles pass."""
    who = principal()
    if who.role == "liaison" and who.unit_id not in unit_ids:
        abort(403, message=message)


def scoped_unit(asked_unit_id: str | None, *, message: str) -> str | None:
    """The unit a read is about: a liaison's own, whatever it asks (another unit is
    refused by :func:`require_unit`); for other roles the unit asked for, or None (all)."""
    if principal().role != "liaison":
        return asked_unit_id
    if asked_unit_id is not None:
        require_unit(asked_unit_id, message=message)
    return principal().unit_id


class _Buckets:
    """Token buckets per API token: a burst of a minute's allowance, refilled evenly."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.state: dict[str, tuple[float, float]] = {}

    def take(self, key: str, per_minute: int) -> float:
        """0 if allowed, else seconds to wait."""
        now = time.monotonic()
        rate = per_minute / 60.0
        with self.lock:
            tokens, last = self.state.get(key, (float(per_minute), now))
            tokens = min(float(per_minute), tokens + (now - last) * rate)
            if tokens >= 1:
                self.state[key] = (tokens - 1, now)
                return 0.0
            self.state[key] = (tokens, now)
            return (1 - tokens) / rate


_buckets = _Buckets()


def _rate_limit(who: Principal) -> None:
    limit = services().settings.writes_per_minute
    if limit <= 0:
        return
    wait = _buckets.take(who.token_id, limit)
    if wait:
        abort(429, message=f"too many writes with this token; retry in {wait:.0f}s",
              headers={"Retry-After": str(max(1, round(wait)))})

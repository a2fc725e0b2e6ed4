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

READERS = ("office", "auditor")
EVERYONE = ("office", "auditor", "liaison", "platform")


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


def require_unit(unit_id: str) -> None:
    """A liaison acts and reads for its own unit only; others pass."""
    who = principal()
    if who.role == "liaison" and who.unit_id != unit_id:
        abort(403, message="a liaison may act only for its own unit")


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

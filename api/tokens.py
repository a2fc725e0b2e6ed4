"""Bearer tokens for the HTTP API: made with ``secrets``, stored only as a SHA-256 hash.

A token is shown once, when created. Each belongs to one role (``office``, ``liaison``,
``auditor``, ``platform``); a liaison token is bound to one unit. Tokens live in the
``api_tokens`` table beside the read models: they are access credentials, not
accountability facts, but every event a token causes names its actor.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ledger.errors import InvalidInput, NotFoundError
from ledger.vocabulary import TOKEN_ROLES
from projections.db import ReadStore

TOKEN_PREFIX = "tl_"

DDL = """CREATE TABLE IF NOT EXISTS {s}api_tokens (
    token_id TEXT PRIMARY KEY, token_hash TEXT NOT NULL UNIQUE, role TEXT NOT NULL,
    unit_id TEXT, unit_name TEXT, label TEXT NOT NULL, created_at TEXT NOT NULL,
    expires_at TEXT, revoked_at TEXT)"""


@dataclass(frozen=True)
class Principal:
    """Who is calling: the token's role, unit (liaisons) and the name events record."""

    token_id: str
    role: str
    unit_id: str | None
    unit_name: str | None
    label: str

    @property
    def actor(self) -> str:
        return f"{self.label} [{self.token_id}]"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class TokenStore:
    def __init__(self, store: ReadStore) -> None:
        self.store = store

    def create_table(self) -> None:
        with self.store.transaction(commit=True) as cursor:
            cursor.execute(self.store.sql(DDL))

    def create(
        self,
        role: str,
        now: datetime,
        *,
        unit_id: str | None = None,
        unit_name: str | None = None,
        label: str | None = None,
        expires_at: datetime | None = None,
    ) -> tuple[str, str]:
        """Make a token; returns (token id, the token itself: shown this once only)."""
        if role not in TOKEN_ROLES:
            raise InvalidInput(f"role must be one of {', '.join(TOKEN_ROLES)}", field="role")
        if role == "liaison" and not unit_id:
            raise InvalidInput("a liaison token needs --unit", field="unit")
        if role != "liaison" and unit_id:
            raise InvalidInput(f"a {role} token is not bound to a unit", field="unit")
        if expires_at is not None and expires_at <= now:
            raise InvalidInput("the expiry must be in the future", field="expires")
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        token_id = secrets.token_hex(6)
        name = label or (f"{role}:{unit_name}" if unit_name else role)
        with self.store.transaction(commit=True) as cursor:
            cursor.execute(
                self.store.sql(
                    "INSERT INTO {s}api_tokens (token_id, token_hash, role, unit_id, "
                    "unit_name, label, created_at, expires_at, revoked_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL)"
                ),
                (
                    token_id,
                    hash_token(token),
                    role,
                    unit_id,
                    unit_name,
                    name,
                    now.isoformat(),
                    expires_at.isoformat() if expires_at else None,
                ),
            )
        return token_id, token

    def authenticate(self, token: str, now: datetime) -> Principal | None:
        rows = self.store.query(
            "SELECT * FROM {s}api_tokens WHERE token_hash = ?", [hash_token(token)]
        )
        if not rows:
            return None
        row = rows[0]
        if row["revoked_at"] or (row["expires_at"] and row["expires_at"] <= now.isoformat()):
            return None
        return Principal(
            row["token_id"], row["role"], row["unit_id"], row["unit_name"], row["label"]
        )

    def list(self) -> list[dict[str, Any]]:
        return self.store.query(
            "SELECT token_id, role, unit_name, label, created_at, expires_at, revoked_at "
            "FROM {s}api_tokens ORDER BY created_at, token_id"
        )

    def revoke(self, token_id: str, now: datetime) -> None:
        active = self.store.query(
            "SELECT token_id FROM {s}api_tokens WHERE token_id = ? AND revoked_at IS NULL",
            [token_id],
        )
        if not active:
            raise NotFoundError(f"no active token {token_id!r}", field="token_id")
        with self.store.transaction(commit=True) as cursor:
            cursor.execute(
                self.store.sql("UPDATE {s}api_tokens SET revoked_at = ? WHERE token_id = ?"),
                (now.isoformat(), token_id),
            )

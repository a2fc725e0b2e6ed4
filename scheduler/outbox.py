"""Deliveries that leave the ledger: escalations to the supervision platform, and the
reminders and urges sent to units' liaisons (email, webhook).

The chasers are already in the ledger; the outbox only carries them out, and records
what it did there too. Three promises:

- **Only real chasers leave.** A rehearsal's chasers never reach the accountability
  tables the outbox reads (``projections.chasers``), and deliveries queued by an older
  release from simulated events are parked in the state ``simulated`` by
  :func:`create_tables` (run by ``taskledger db init``). Nothing sends that state.
- **Every real chaser goes once, whoever issued it.** :func:`enqueue_new` reads every
  chaser recorded since it last looked (a cursor on ledger positions), groups them per
  channel, unit and business day, and queues one delivery per group; a chaser recorded
  after the day's first delivery goes out in a delivery of its own. Senders claim a
  delivery before sending it (a lease: a conditional UPDATE, with ``FOR UPDATE SKIP
  LOCKED`` on PostgreSQL), so two scheduler processes never send the same one; a
  sender that dies mid-send lets the lease run out and the delivery goes again with
  the same ``X-Taskledger-Delivery`` id, which receivers use to drop the repeat.
- **Who was told what, when, is a ledger fact.** A delivery that reached every
  recipient, that had no recipient, or that failed for good is recorded on the unit
  (``Unit.ChasersDelivered`` / ``ChasersUndelivered``); the attempt log here is
  operational detail.

Platform deliveries and webhooks are signed: HMAC-SHA256 over
``timestamp + "." + body`` in ``X-Taskledger-Signature``. Failures retry with
exponential backoff until ``MAX_ATTEMPTS``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import smtplib
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any
from urllib.parse import urlsplit
from uuid import NAMESPACE_URL, UUID, uuid5

from ledger.acts import Act
from ledger.application import Ledger
from ledger.vocabulary import ChaseKind
from projections.chasers import (
    ChaserToSend,
    accountability_position,
    chase_states,
    chasers_to_send,
)
from projections.db import ReadStore

MAX_ATTEMPTS = 8
BASE_DELAY = timedelta(seconds=30)
MAX_DELAY = timedelta(hours=6)
#: How long a sender may hold a claimed delivery before another may take it over.
LEASE = timedelta(minutes=5)
OUTBOX_ACTOR = "outbox"

#: Delivery states. ``acknowledged`` is shown, not stored: a delivered escalation whose
#: escalations the platform has all acknowledged.
QUEUED, SENDING, DELIVERED, FAILED = "queued", "sending", "delivered", "failed"
SIMULATED, NO_RECIPIENT, ACKNOWLEDGED = "simulated", "no recipient", "acknowledged"

DDL = [
    """CREATE TABLE IF NOT EXISTS {s}outbox (
    delivery_id TEXT PRIMARY KEY, channel TEXT NOT NULL, unit_id TEXT NOT NULL,
    unit_name TEXT NOT NULL, day TEXT NOT NULL, simulated INTEGER NOT NULL,
    recipient TEXT, payload TEXT NOT NULL, event_ids TEXT NOT NULL, state TEXT NOT NULL,
    attempts INTEGER NOT NULL, next_attempt_at TEXT NOT NULL, last_error TEXT,
    created_at TEXT NOT NULL, delivered_at TEXT, claimed_until TEXT, targets_done TEXT)""",
    """CREATE TABLE IF NOT EXISTS {s}outbox_attempts (
    delivery_id TEXT NOT NULL, attempt INTEGER NOT NULL, at TEXT NOT NULL,
    outcome TEXT NOT NULL, detail TEXT, PRIMARY KEY (delivery_id, attempt))""",
    # how far enqueue_new has read the chasers, as a ledger position
    """CREATE TABLE IF NOT EXISTS {s}outbox_cursor (
    name TEXT PRIMARY KEY, position BIGINT NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS outbox_due ON {s}outbox (state, next_attempt_at)",
]
_ADDED_COLUMNS = {"claimed_until": "TEXT", "targets_done": "TEXT"}
_CURSOR = "chasers"


@dataclass(frozen=True)
class Channels:
    """Where deliveries go; a platform delivery with no URL stays queued (and visible)
    until one is configured. ``webhook_url`` serves units without a webhook of their own."""

    platform_url: str | None = None
    platform_secret: str = ""
    webhook_url: str | None = None
    webhook_secret: str = ""  # defaults to the platform secret when empty
    smtp_host: str | None = None
    smtp_port: int = 25
    mail_from: str = "taskledger@localhost"
    timeout: float = 10.0


@dataclass(frozen=True)
class Target:
    """One address a delivery goes to."""

    kind: str  # platform | webhook | email
    address: str
    name: str = ""

    @property
    def key(self) -> str:
        return f"{self.kind} {self.address}"

    def as_recorded(self) -> dict[str, str]:
        """The target as the ledger keeps it: a URL without its query string or
        credentials (gateways put access tokens there), an email address as is."""
        address = self.address
        if self.kind in ("platform", "webhook"):
            parts = urlsplit(address)
            address = f"{parts.scheme}://{parts.hostname or ''}"
            address += f":{parts.port}" if parts.port else ""
            address += parts.path
        recorded = {"channel": self.kind, "address": address}
        if self.name:
            recorded["name"] = self.name
        return recorded


# ---- tables -------------------------------------------------------------------------
def create_tables(store: ReadStore) -> None:
    """Create the outbox tables, bring an older release's up to date (idempotent):
    add the columns it lacked and park its queued simulated deliveries.

    Run by ``taskledger db init`` (and only there; cheap when there is nothing to do).
    The DDL runs under a PostgreSQL advisory lock, since two processes creating the same
    index and updating the same table at once deadlock otherwise (measured: two
    `simulate` processes, when each tick created the tables).
    """
    if _outbox_current(store):
        return
    with store.transaction(commit=True) as cursor:
        if store.postgres:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
        for ddl in DDL[:3]:
            cursor.execute(store.sql(ddl))
        # an older release's table lacks some columns
        if store.postgres:
            for column, kind in _ADDED_COLUMNS.items():
                cursor.execute(store.sql(
                    f"ALTER TABLE {{s}}outbox ADD COLUMN IF NOT EXISTS {column} {kind}"))
        else:  # SQLite has no IF NOT EXISTS here; its write lock is held: look, then add
            cursor.execute("PRAGMA table_info(outbox)")
            present = {row["name"] for row in cursor.fetchall()}
            for column, kind in _ADDED_COLUMNS.items():
                if column not in present:
                    cursor.execute(f"ALTER TABLE outbox ADD COLUMN {column} {kind}")
        for ddl in DDL[3:]:
            cursor.execute(store.sql(ddl))
        # A rehearsal must never leave: an older release queued its deliveries too.
        cursor.execute(
            store.sql("UPDATE {s}outbox SET state = ?, claimed_until = NULL "
                      "WHERE simulated = 1 AND state IN (?, ?, ?)"),
            (SIMULATED, QUEUED, SENDING, FAILED))
        # the cursor row last: its presence says the migration is complete
        cursor.execute(
            store.sql("INSERT INTO {s}outbox_cursor (name, position) VALUES (?, 0) "
                      "ON CONFLICT (name) DO NOTHING"), (_CURSOR,))


_MIGRATION_LOCK = 72_616_001  # any constant of our own: serialises outbox DDL


def _outbox_current(store: ReadStore) -> bool:
    try:
        rows = store.query("SELECT position FROM {s}outbox_cursor WHERE name = ?", [_CURSOR])
    except Exception:  # no such table yet (the drivers' errors differ)
        return False
    return bool(rows) and all(_has_column(store, column) for column in _ADDED_COLUMNS)


def _has_column(store: ReadStore, column: str) -> bool:
    try:
        store.query(f"SELECT {column} FROM {{s}}outbox WHERE 1 = 0")
    except Exception:  # "no such column", in each driver's words
        return False
    return True


def delivery_id(channel: str, unit_id: str, day: str, event_ids: list[str]) -> str:
    """The same chasers for the same unit make the same delivery, whoever queues it."""
    chasers = ",".join(sorted(event_ids))
    return str(uuid5(NAMESPACE_URL, f"taskledger:delivery:{channel}:{unit_id}:{day}:{chasers}"))


# ---- queueing -----------------------------------------------------------------------
def enqueue_new(store: ReadStore, now: datetime) -> int:
    """Queue every real chaser recorded since the last call; returns deliveries queued.

    Escalations go to the platform, reminders and urges to the unit's liaison: one
    delivery per channel, unit and business day among the chasers found. The cursor
    row is locked first, so two callers at once cannot both queue the same chasers.
    """
    upto = accountability_position(store)
    with store.transaction(commit=True) as cursor:
        # a write first: takes SQLite's write lock, and the row's lock on PostgreSQL
        cursor.execute(store.sql("UPDATE {s}outbox_cursor SET position = position "
                                 "WHERE name = ?"), (_CURSOR,))
        cursor.execute(store.sql("SELECT position FROM {s}outbox_cursor WHERE name = ?"),
                       (_CURSOR,))
        after = int(cursor.fetchone()["position"])
        if upto <= after:
            return 0
        groups: dict[tuple[str, str, str], list[ChaserToSend]] = {}
        for chaser in chasers_to_send(store, after, upto):
            channel = "platform" if chaser.kind == ChaseKind.ESCALATION else "liaison"
            groups.setdefault((channel, chaser.unit_id, chaser.business_date), []).append(chaser)
        stamp = now.isoformat()
        for (channel, unit_id, day), items in groups.items():
            ident = delivery_id(channel, unit_id, day, [c.event_id for c in items])
            payload = {
                "delivery_id": ident,
                "kind": "escalation" if channel == "platform" else "reminders",
                "day": day,
                "simulated": False,
                "unit": {"id": unit_id, "name": items[0].unit_name},
                "items": [c.item() for c in items],
            }
            cursor.execute(
                store.sql(
                    "INSERT INTO {s}outbox (delivery_id, channel, unit_id, unit_name, day, "
                    "simulated, recipient, payload, event_ids, state, attempts, "
                    "next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?, 0, NULL, ?, ?, ?, 0, "
                    "?, ?) ON CONFLICT (delivery_id) DO NOTHING"
                ),
                (ident, channel, unit_id, items[0].unit_name, day,
                 json.dumps(payload, ensure_ascii=False, sort_keys=True),
                 json.dumps([c.event_id for c in items]), QUEUED, stamp, stamp),
            )
        cursor.execute(store.sql("UPDATE {s}outbox_cursor SET position = ? WHERE name = ?"),
                       (upto, _CURSOR))
    return len(groups)


# ---- sending ------------------------------------------------------------------------
def sign(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


Sender = Callable[[Target, dict[str, Any], Channels, datetime], None]


class NotConfigured(Exception):
    """The channel has no destination yet: the delivery waits in the queue."""


class NoRecipient(Exception):
    """The unit has no contact to send to: the delivery ends visibly undelivered."""


def deliver_due(
    ledger: Ledger,
    store: ReadStore,
    channels: Channels,
    now: datetime,
    senders: dict[str, Sender] | None = None,
    limit: int = 100,
) -> dict[str, int]:
    """Claim and attempt every queued delivery whose time has come; returns counts by
    outcome (delivered, retry, failed, waiting, no_recipient)."""
    senders = senders or {"platform": send_to_platform, "webhook": send_to_webhook,
                          "email": send_by_email}
    outcome = {"delivered": 0, "retry": 0, "failed": 0, "waiting": 0, "no_recipient": 0}
    for row in _claim(store, now, limit):
        unit = UUID(row["unit_id"])
        payload = json.loads(row["payload"])
        if ledger.delivery_recorded(unit, row["delivery_id"]):
            # a sender died after recording, before updating the row: it went already
            _finish(store, row, now, DELIVERED, row["attempts"], "recorded earlier")
            outcome["delivered"] += 1
            continue
        try:
            # the contact as the ledger has it now, not as a read model last saw it
            targets = targets_for(row, channels, ledger.get_unit(unit).liaison)
        except NotConfigured as waiting:
            _release(store, row, str(waiting))
            outcome["waiting"] += 1
            continue
        except NoRecipient as missing:
            _record(ledger, row, payload, [], row["attempts"], now, failure=str(missing))
            _finish(store, row, now, NO_RECIPIENT, row["attempts"], str(missing))
            outcome["no_recipient"] += 1
            continue
        done = set(json.loads(row["targets_done"] or "[]"))
        attempt = row["attempts"] + 1
        errors = []
        for target in targets:
            if target.key in done:
                continue  # reached on an earlier attempt: do not send twice
            try:
                senders[target.kind](target, row, channels, now)
            except Exception as error:  # any transport failure is logged and retried
                errors.append(f"{target.kind}: {str(error)[:200]}")
            else:
                done.add(target.key)
        if not errors:
            _record(ledger, row, payload, targets, attempt, now)
            _finish(store, row, now, DELIVERED, attempt, None, done, targets)
            outcome["delivered"] += 1
            continue
        detail = "; ".join(errors)
        if attempt >= MAX_ATTEMPTS:
            _record(ledger, row, payload, targets, attempt, now,
                    failure=f"gave up after {attempt} attempts: {detail}")
            _finish(store, row, now, FAILED, attempt, detail, done, targets)
            outcome["failed"] += 1
        else:
            delay = min(BASE_DELAY * (2 ** (attempt - 1)), MAX_DELAY)
            _retry(store, row, now, attempt, detail, done, now + delay)
            outcome["retry"] += 1
    return outcome


def targets_for(row: dict[str, Any], channels: Channels,
                contact: dict[str, str | None] | None) -> list[Target]:
    """Where a delivery goes. Liaisons: the unit's own webhook (or else the shared one)
    and the contact's email when an SMTP server is set; the platform: its URL."""
    if row["channel"] == "platform":
        if not channels.platform_url:
            raise NotConfigured("no supervision platform URL configured")
        return [Target("platform", channels.platform_url)]
    contact = contact or {}  # contacts set before webhooks existed have no "webhook" key
    name = contact.get("name") or ""
    webhook = contact.get("webhook") or channels.webhook_url
    email = contact.get("email")
    targets = [Target("webhook", webhook, name)] if webhook else []
    if email and channels.smtp_host:
        targets.append(Target("email", email, name))
    if targets:
        return targets
    if email:
        raise NotConfigured("no SMTP server configured for the liaison's email")
    raise NoRecipient(f"{row['unit_name']} has no liaison contact (email or webhook)")


def send_to_platform(target: Target, row: dict[str, Any], channels: Channels,
                     now: datetime) -> None:
    _post_signed(target.address, row, channels.platform_secret, now, channels.timeout)


def send_to_webhook(target: Target, row: dict[str, Any], channels: Channels,
                    now: datetime) -> None:
    secret = channels.webhook_secret or channels.platform_secret
    _post_signed(target.address, row, secret, now, channels.timeout)


def send_by_email(target: Target, row: dict[str, Any], channels: Channels,
                  now: datetime) -> None:
    payload = json.loads(row["payload"])
    kinds = sorted({item["kind_name"] for item in payload["items"]})
    message = EmailMessage()
    message["From"] = channels.mail_from
    message["To"] = target.address
    message["Subject"] = (f"【{'、'.join(kinds)}】{payload['unit']['name']} {payload['day']} "
                          f"待报事项{len(payload['items'])}项")
    message["Message-ID"] = f"<{row['delivery_id']}@taskledger>"
    greeting = f"{target.name}（{payload['unit']['name']}）：" if target.name else (
        f"{payload['unit']['name']}：")
    lines = [greeting, ""]
    for item in payload["items"]:
        lines.append(f"  [{item['kind_name']}] 《{item['plan']}》任务{item['task']} "
                     f"{item['duty']}（{item['period']}，{item['due_on']}到期）：{item['reason']}")
    lines += ["", f"投递编号：{row['delivery_id']}"]
    message.set_content("\n".join(lines))
    with smtplib.SMTP(channels.smtp_host or "", channels.smtp_port,
                      timeout=channels.timeout) as smtp:
        smtp.send_message(message)


def _post_signed(url: str, row: dict[str, Any], secret: str, now: datetime,
                 timeout: float) -> None:
    body = row["payload"].encode("utf-8")
    timestamp = str(int(now.timestamp()))
    request = urllib.request.Request(
        url, data=body, method="POST",
        headers={
            "Content-Type": "application/json",
            "X-Taskledger-Delivery": row["delivery_id"],
            "X-Taskledger-Timestamp": timestamp,
            "X-Taskledger-Signature": sign(secret, timestamp, body),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            if not 200 <= response.status < 300:
                raise RuntimeError(f"HTTP {response.status}")
    except urllib.error.HTTPError as error:
        raise RuntimeError(f"HTTP {error.code}") from None


# ---- the row's life -------------------------------------------------------------------
def _claim(store: ReadStore, now: datetime, limit: int) -> list[dict[str, Any]]:
    """Take up to ``limit`` deliveries that are due (or whose sender's lease ran out)."""
    lock = " FOR UPDATE SKIP LOCKED" if store.postgres else ""
    stamp = now.isoformat()
    with store.transaction(commit=True) as cursor:
        cursor.execute(
            store.sql(
                "UPDATE {s}outbox SET state = ?, claimed_until = ? WHERE delivery_id IN ("
                "SELECT delivery_id FROM {s}outbox WHERE simulated = 0 AND "
                "((state = ? AND next_attempt_at <= ?) OR (state = ? AND claimed_until < ?)) "
                f"ORDER BY next_attempt_at, delivery_id LIMIT ?{lock}) RETURNING *"
            ),
            (SENDING, (now + LEASE).isoformat(), QUEUED, stamp, SENDING, stamp, limit),
        )
        rows = [dict(row) for row in cursor.fetchall()]
    return sorted(rows, key=lambda r: (r["next_attempt_at"], r["delivery_id"]))


def _release(store: ReadStore, row: dict[str, Any], reason: str) -> None:
    with store.transaction(commit=True) as cursor:
        cursor.execute(
            store.sql("UPDATE {s}outbox SET state = ?, claimed_until = NULL, last_error = ? "
                      "WHERE delivery_id = ?"),
            (QUEUED, reason, row["delivery_id"]))


def _retry(store: ReadStore, row: dict[str, Any], now: datetime, attempt: int, detail: str,
           done: set[str], next_at: datetime) -> None:
    with store.transaction(commit=True) as cursor:
        _log_attempt(store, cursor, row, attempt, now, "error", detail)
        cursor.execute(
            store.sql("UPDATE {s}outbox SET state = ?, attempts = ?, next_attempt_at = ?, "
                      "last_error = ?, claimed_until = NULL, targets_done = ? "
                      "WHERE delivery_id = ?"),
            (QUEUED, attempt, next_at.isoformat(), detail, json.dumps(sorted(done)),
             row["delivery_id"]))


def _finish(store: ReadStore, row: dict[str, Any], now: datetime, state: str, attempt: int,
            detail: str | None, done: set[str] | None = None,
            targets: list[Target] | None = None) -> None:
    reached = [t.as_recorded() for t in targets or () if t.key in (done or ())]
    recipients = ", ".join(f"{r['channel']} {r['address']}" for r in reached) or None
    with store.transaction(commit=True) as cursor:
        if attempt > row["attempts"]:
            outcome = "delivered" if state == DELIVERED else "error"
            _log_attempt(store, cursor, row, attempt, now, outcome, detail)
        cursor.execute(
            store.sql("UPDATE {s}outbox SET state = ?, attempts = ?, last_error = ?, "
                      "delivered_at = ?, claimed_until = NULL, recipient = ?, "
                      "targets_done = ? WHERE delivery_id = ?"),
            (state, attempt, None if state == DELIVERED else detail,
             now.isoformat() if state == DELIVERED else None,
             recipients, json.dumps(sorted(done or ())), row["delivery_id"]))


def _log_attempt(store: ReadStore, cursor: Any, row: dict[str, Any], attempt: int,
                 now: datetime, outcome: str, detail: str | None) -> None:
    cursor.execute(
        store.sql("INSERT INTO {s}outbox_attempts (delivery_id, attempt, at, outcome, detail) "
                  "VALUES (?, ?, ?, ?, ?) ON CONFLICT (delivery_id, attempt) DO NOTHING"),
        (row["delivery_id"], attempt, now.isoformat(), outcome, detail))


def _record(ledger: Ledger, row: dict[str, Any], payload: dict[str, Any],
            targets: list[Target], attempts: int, now: datetime,
            failure: str | None = None) -> None:
    """The delivery's outcome, as a fact on the unit's stream (once)."""
    act = Act.by(ledger.clock, OUTBOX_ACTOR, "system")
    chasers = [
        {key: item.get(key) for key in ("event_id", "kind", "plan_id", "task", "assignment_id",
                                        "obligation", "duty", "period", "due_on")}
        for item in payload["items"]
    ]
    ledger.record_delivery(
        act, UUID(row["unit_id"]), delivery_id=row["delivery_id"], channel=row["channel"],
        recipients=[t.as_recorded() for t in targets], chasers=chasers, attempts=attempts,
        failure=failure,
    )


# ---- what the office sees -------------------------------------------------------------
def outbox_list(store: ReadStore, channel: str | None = None) -> list[dict[str, Any]]:
    """Deliveries with their state. A delivered escalation whose escalations the platform
    has all acknowledged shows as ``acknowledged``; a liaison delivery lists the
    reminders and urges its unit has not signed for (签收) in ``unacknowledged``."""
    where, params = ("WHERE channel = ?", [channel]) if channel else ("", [])
    rows = store.query(
        f"SELECT delivery_id, channel, unit_id, unit_name, day, simulated, state, attempts, "
        f"next_attempt_at, last_error, delivered_at, recipient, event_ids FROM {{s}}outbox "
        f"{where} ORDER BY day, unit_name, channel, created_at, delivery_id",
        params,
    )
    states = chase_states(store, sorted({e for r in rows for e in json.loads(r["event_ids"])}))
    for row in rows:
        events = json.loads(row.pop("event_ids"))
        row["simulated"] = bool(row["simulated"])
        row["events"] = len(events)
        row["event_ids"] = events
        row["unacknowledged"] = []
        if row["channel"] == "platform":
            found = {states.get(e) for e in events}
            if row["state"] == DELIVERED and events and found <= {"acknowledged", "resolved"}:
                row["state"] = ACKNOWLEDGED
        elif row["state"] == DELIVERED:
            row["unacknowledged"] = [e for e in events if states.get(e) != "acknowledged"]
    return rows

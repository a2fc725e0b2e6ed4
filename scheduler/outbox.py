"""Deliveries that leave the ledger: escalations to the supervision platform, and the
grouped reminders and urges sent to units' liaisons (email, webhook).

The events are already in the ledger; the outbox only carries them out. One document
per unit per day, with a delivery id derived from (channel, unit, day) so the receiver
can drop duplicates; each attempt is logged; failures retry with exponential backoff
until ``MAX_ATTEMPTS``. Platform deliveries are signed: HMAC-SHA256 over
``timestamp + "." + body`` with the shared secret, in ``X-Taskledger-Signature``.
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
from datetime import date, datetime, timedelta
from email.message import EmailMessage
from typing import Any
from uuid import NAMESPACE_URL, uuid5

from projections.db import ReadStore

MAX_ATTEMPTS = 8
BASE_DELAY = timedelta(seconds=30)
MAX_DELAY = timedelta(hours=6)

DDL = [
    """CREATE TABLE IF NOT EXISTS {s}outbox (
    delivery_id TEXT PRIMARY KEY, channel TEXT NOT NULL, unit_id TEXT NOT NULL,
    unit_name TEXT NOT NULL, day TEXT NOT NULL, simulated INTEGER NOT NULL,
    recipient TEXT, payload TEXT NOT NULL, event_ids TEXT NOT NULL, state TEXT NOT NULL,
    attempts INTEGER NOT NULL, next_attempt_at TEXT NOT NULL, last_error TEXT,
    created_at TEXT NOT NULL, delivered_at TEXT)""",
    """CREATE TABLE IF NOT EXISTS {s}outbox_attempts (
    delivery_id TEXT NOT NULL, attempt INTEGER NOT NULL, at TEXT NOT NULL,
    outcome TEXT NOT NULL, detail TEXT, PRIMARY KEY (delivery_id, attempt))""",
]


@dataclass(frozen=True)
class Channels:
    """Where deliveries go; anything unset stays queued (and visible) until configured."""

    platform_url: str | None = None
    platform_secret: str = ""
    webhook_url: str | None = None
    smtp_host: str | None = None
    smtp_port: int = 25
    mail_from: str = "taskledger@localhost"
    timeout: float = 10.0


def create_tables(store: ReadStore) -> None:
    with store.transaction(commit=True) as cursor:
        for ddl in DDL:
            cursor.execute(store.sql(ddl))


def delivery_id(channel: str, unit_id: str, day: date, simulated: bool) -> str:
    return str(uuid5(NAMESPACE_URL, f"taskledger:{channel}:{unit_id}:{day}:{int(simulated)}"))


def enqueue_day(store: ReadStore, day: date, simulated: bool, now: datetime) -> int:
    """Group the day's reminders/urges (to liaisons) and escalations (to the platform)
    per unit; queue one delivery each. Returns how many were queued (new)."""
    rows = store.query(
        "SELECT c.event_id, c.kind, c.obligation, c.period, c.due_on, c.reason, c.unit_id, "
        "a.unit_name, a.task_number, a.assignment_id, u.liaison FROM {s}rm_chases c "
        "JOIN {s}rm_assignments a ON a.assignment_id = c.assignment_id "
        "JOIN {s}rm_units u ON u.unit_id = c.unit_id "
        "JOIN {s}rm_audit e ON e.event_id = c.event_id "
        "WHERE c.business_date = ? AND e.simulated = ? AND e.actor = 'scheduler' "
        "ORDER BY a.unit_name, a.task_number, c.kind",
        [day.isoformat(), int(simulated)],
    )
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for row in rows:
        channel = "platform" if row["kind"] == "escalation" else "liaison"
        groups.setdefault((channel, row["unit_id"]), []).append(row)
    existing = {
        r["delivery_id"] for r in store.query(
            "SELECT delivery_id FROM {s}outbox WHERE day = ?", [day.isoformat()])
    }
    queued = 0
    with store.transaction(commit=True) as cursor:
        for (channel, unit_id), items in groups.items():
            ident = delivery_id(channel, unit_id, day, simulated)
            if ident in existing:
                continue
            liaison = json.loads(items[0]["liaison"]) if items[0]["liaison"] else {}
            payload = {
                "delivery_id": ident,
                "kind": "escalation" if channel == "platform" else "reminders",
                "day": day.isoformat(),
                "simulated": simulated,
                "unit": {"id": unit_id, "name": items[0]["unit_name"]},
                "items": [
                    {"event_id": r["event_id"], "kind": r["kind"], "task": r["task_number"],
                     "assignment_id": r["assignment_id"], "obligation": r["obligation"],
                     "period": r["period"], "due_on": r["due_on"], "reason": r["reason"]}
                    for r in items
                ],
            }
            cursor.execute(
                store.sql(
                    "INSERT INTO {s}outbox (delivery_id, channel, unit_id, unit_name, day, "
                    "simulated, recipient, payload, event_ids, state, attempts, "
                    "next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'queued', "
                    "0, ?, ?)"
                ),
                (ident, channel, unit_id, items[0]["unit_name"], day.isoformat(), int(simulated),
                 liaison.get("email") if channel == "liaison" else None,
                 json.dumps(payload, ensure_ascii=False, sort_keys=True),
                 json.dumps([r["event_id"] for r in items]), now.isoformat(), now.isoformat()),
            )
            queued += 1
    return queued


def sign(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


Sender = Callable[[dict[str, Any], Channels, datetime], None]


def deliver_due(store: ReadStore, channels: Channels, now: datetime,
                senders: dict[str, Sender] | None = None, limit: int = 100) -> dict[str, int]:
    """Attempt every queued delivery whose time has come; returns counts by outcome."""
    senders = senders or {"platform": send_to_platform, "liaison": send_to_liaison}
    due = store.query(
        "SELECT * FROM {s}outbox WHERE state = 'queued' AND next_attempt_at <= ? "
        "ORDER BY next_attempt_at, delivery_id LIMIT ?",
        [now.isoformat(), limit],
    )
    outcome = {"delivered": 0, "retry": 0, "failed": 0, "waiting": 0}
    for row in due:
        try:
            senders[row["channel"]](row, channels, now)
        except NotConfigured:
            outcome["waiting"] += 1
            continue
        except Exception as error:  # any transport failure is logged and retried
            attempts = row["attempts"] + 1
            final = attempts >= MAX_ATTEMPTS
            delay = min(BASE_DELAY * (2 ** (attempts - 1)), MAX_DELAY)
            _record(store, row["delivery_id"], attempts, now, "error", str(error)[:500],
                    state="failed" if final else "queued", next_at=now + delay)
            outcome["failed" if final else "retry"] += 1
            continue
        _record(store, row["delivery_id"], row["attempts"] + 1, now, "delivered", None,
                state="delivered", next_at=now, delivered=True)
        outcome["delivered"] += 1
    return outcome


class NotConfigured(Exception):
    """The channel has no destination yet: the delivery waits in the queue."""


def send_to_platform(row: dict[str, Any], channels: Channels, now: datetime) -> None:
    if not channels.platform_url:
        raise NotConfigured("no supervision platform URL configured")
    body = row["payload"].encode("utf-8")
    timestamp = str(int(now.timestamp()))
    request = urllib.request.Request(
        channels.platform_url, data=body, method="POST",
        headers={
            "Content-Type": "application/json",
            "X-Taskledger-Delivery": row["delivery_id"],
            "X-Taskledger-Timestamp": timestamp,
            "X-Taskledger-Signature": sign(channels.platform_secret, timestamp, body),
        },
    )
    _post(request, channels.timeout)


def send_to_liaison(row: dict[str, Any], channels: Channels, now: datetime) -> None:
    """One message per unit per day: by email to the liaison, and/or to a webhook."""
    if not channels.webhook_url and not (channels.smtp_host and row["recipient"]):
        raise NotConfigured("no webhook, or no SMTP server / liaison email")
    payload = json.loads(row["payload"])
    if channels.webhook_url:
        request = urllib.request.Request(
            channels.webhook_url, data=row["payload"].encode("utf-8"), method="POST",
            headers={"Content-Type": "application/json",
                     "X-Taskledger-Delivery": row["delivery_id"]},
        )
        _post(request, channels.timeout)
    if channels.smtp_host and row["recipient"]:
        message = EmailMessage()
        message["From"] = channels.mail_from
        message["To"] = row["recipient"]
        message["Subject"] = f"【提醒】{payload['unit']['name']} {payload['day']} 待报事项"
        message["Message-ID"] = f"<{row['delivery_id']}@taskledger>"
        lines = [f"{payload['unit']['name']}：", ""]
        for item in payload["items"]:
            kind = {"reminder": "提醒", "urge": "催办"}.get(item["kind"], item["kind"])
            lines.append(f"  [{kind}] 任务{item['task']} {item['obligation']} {item['period']}"
                         f"（{item['due_on']} 到期）：{item['reason']}")
        message.set_content("\n".join(lines))
        with smtplib.SMTP(channels.smtp_host, channels.smtp_port,
                          timeout=channels.timeout) as smtp:
            smtp.send_message(message)


def _post(request: urllib.request.Request, timeout: float) -> None:
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            if not 200 <= response.status < 300:
                raise RuntimeError(f"HTTP {response.status}")
    except urllib.error.HTTPError as error:
        raise RuntimeError(f"HTTP {error.code}") from None


def _record(store: ReadStore, ident: str, attempt: int, now: datetime, outcome: str,
            detail: str | None, *, state: str, next_at: datetime, delivered: bool = False
            ) -> None:
    with store.transaction(commit=True) as cursor:
        cursor.execute(
            store.sql("INSERT INTO {s}outbox_attempts (delivery_id, attempt, at, outcome, "
                      "detail) VALUES (?, ?, ?, ?, ?)"),
            (ident, attempt, now.isoformat(), outcome, detail),
        )
        cursor.execute(
            store.sql("UPDATE {s}outbox SET state = ?, attempts = ?, next_attempt_at = ?, "
                      "last_error = ?, delivered_at = ? WHERE delivery_id = ?"),
            (state, attempt, next_at.isoformat(), detail if outcome != "delivered" else None,
             now.isoformat() if delivered else None, ident),
        )


def outbox_list(store: ReadStore, channel: str | None = None) -> list[dict[str, Any]]:
    """Deliveries with their state; an escalation delivery whose escalations the platform
    has all acknowledged shows as ``acknowledged``."""
    where, params = ("WHERE channel = ?", [channel]) if channel else ("", [])
    rows = store.query(
        f"SELECT delivery_id, channel, unit_name, day, simulated, state, attempts, "
        f"next_attempt_at, last_error, delivered_at, event_ids FROM {{s}}outbox {where} "
        f"ORDER BY day, unit_name, channel",
        params,
    )
    for row in rows:
        events = json.loads(row.pop("event_ids"))
        row["events"] = len(events)
        if row["channel"] == "platform" and row["state"] == "delivered" and events:
            marks = ", ".join("?" for _ in events)
            states = {r["state"] for r in store.query(
                f"SELECT state FROM {{s}}rm_chases WHERE event_id IN ({marks})", events)}
            if states and states <= {"acknowledged", "resolved"}:
                row["state"] = "acknowledged"
    return rows

"""Deliveries to a fake supervision platform, a webhook and an SMTP server, all on loopback."""

from __future__ import annotations

import hashlib
import hmac
import http.server
import json
import threading
from datetime import date, timedelta

import pytest

from ledger.acts import Act
from ledger.application import Ledger
from ledger.store import StoreConfig
from projections.db import ReadStore
from scheduler.outbox import BASE_DELAY, Channels, deliver_due, outbox_list
from scheduler.tick import run_tick
from tests.scheduler.world import SILENT, build_plan

SECRET = "s3cret-for-tests"


class FakePlatform(http.server.BaseHTTPRequestHandler):
    """Fails the first ``failures`` requests, then checks the signature and accepts."""

    failures = 0
    received: list[dict] = []  # noqa: RUF012 - reset by the fixture
    bad_signatures = 0

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        cls = type(self)
        if cls.failures > 0:
            cls.failures -= 1
            self.send_response(503)
            self.end_headers()
            return
        timestamp = self.headers["X-Taskledger-Timestamp"]
        expected = (
            "sha256="
            + hmac.new(
                SECRET.encode(), timestamp.encode() + b"." + body, hashlib.sha256
            ).hexdigest()
        )
        if not hmac.compare_digest(expected, self.headers["X-Taskledger-Signature"]):
            cls.bad_signatures += 1
            self.send_response(401)
            self.end_headers()
            return
        cls.received.append(
            {"delivery": self.headers["X-Taskledger-Delivery"], "body": json.loads(body)}
        )
        self.send_response(202)
        self.end_headers()

    def log_message(self, *args: object) -> None:  # keep test output clean
        pass


@pytest.fixture
def platform():
    FakePlatform.failures, FakePlatform.received, FakePlatform.bad_signatures = 0, [], 0
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), FakePlatform)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/escalations"
    server.shutdown()
    server.server_close()


@pytest.fixture
def escalated(ledger: Ledger, store_config: StoreConfig):
    built = build_plan(ledger)
    store = ReadStore(store_config, create_tables=True)
    ledger.clock.advance(days=150)
    for day in (date(2026, 7, 2), date(2026, 7, 8), date(2026, 7, 14)):
        run_tick(ledger, store, day, wall=ledger.clock, simulated=False)
    yield ledger, store, built["assignments"]
    store.close()


def test_escalations_reach_the_platform_after_failures(escalated, platform) -> None:
    ledger, store, assignments = escalated
    queued = [r for r in outbox_list(store, "platform") if r["state"] == "queued"]
    assert len(queued) == 3 and {r["day"] for r in queued} == {"2026-07-14"}  # one per unit
    channels = Channels(platform_url=platform, platform_secret=SECRET, timeout=5)
    FakePlatform.failures = 4
    now = ledger.clock.now()
    first = deliver_due(store, channels, now)
    # the liaisons' reminders and urges wait: no email or webhook is configured here
    assert first == {"delivered": 0, "retry": 3, "failed": 0, "waiting": 6}
    assert deliver_due(store, channels, now) == {
        "delivered": 0,
        "retry": 0,
        "failed": 0,
        "waiting": 6,
    }  # backoff: not yet
    later = deliver_due(store, channels, now + BASE_DELAY)
    assert later["delivered"] == 2 and later["retry"] == 1  # one more failure left
    last = deliver_due(store, channels, now + BASE_DELAY * 3)
    assert last["delivered"] == 1
    assert FakePlatform.bad_signatures == 0 and len(FakePlatform.received) == 3
    bodies = {r["body"]["unit"]["name"]: r["body"] for r in FakePlatform.received}
    silent = bodies[SILENT]
    assert silent["kind"] == "escalation" and silent["items"][0]["period"] == "2026-Q2"
    assert {r["delivery"] for r in FakePlatform.received} == {r["delivery_id"] for r in queued}
    states = {r["unit_name"]: r for r in outbox_list(store, "platform")}
    assert states[SILENT]["state"] == "delivered" and states[SILENT]["attempts"] in (2, 3)
    # the platform acknowledges through the API/ledger; the outbox shows it
    escalation = silent["items"][0]["event_id"]
    from uuid import UUID

    ledger.acknowledge_escalation(
        Act.by(ledger.clock, "platform", "platform"),
        assignments[SILENT],
        UUID(escalation),
        "SUP-1",
        "受理",
    )
    from projections.projector import Projector

    Projector(ledger, store).catch_up()
    assert {r["unit_name"]: r["state"] for r in outbox_list(store, "platform")}[SILENT] == (
        "acknowledged"
    )


def test_without_a_url_escalations_wait_visibly(escalated) -> None:
    _, store, _ = escalated
    outcome = deliver_due(store, Channels(), escalated[0].clock.now())
    assert outcome["waiting"] == 9  # 3 escalations, 6 reminder/urge messages
    assert {r["state"] for r in outbox_list(store, "platform")} == {"queued"}


def test_a_delivery_that_keeps_failing_ends_failed(escalated, platform) -> None:
    ledger, store, _ = escalated
    FakePlatform.failures = 10_000
    channels = Channels(platform_url=platform, platform_secret=SECRET, timeout=5)
    now = ledger.clock.now()
    for hour in range(200):
        deliver_due(store, channels, now + timedelta(hours=hour))
    rows = outbox_list(store, "platform")
    assert {r["state"] for r in rows} == {"failed"} and {r["attempts"] for r in rows} == {8}


def test_reminders_go_to_liaisons_by_email_and_webhook(ledger: Ledger, store_config) -> None:
    from aiosmtpd.controller import Controller

    class Inbox:
        messages: list = []  # noqa: RUF012

        async def handle_DATA(self, server, session, envelope):
            Inbox.messages.append(envelope)
            return "250 OK"

    hooks: list[dict] = []

    class Hook(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            hooks.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    built = build_plan(ledger)
    office = Act.by(ledger.clock, "office", "office")
    unit = ledger.assignment_of(
        built["task"], ledger.get_assignment(built["assignments"][SILENT]).unit_id
    )
    ledger.assign_liaison(office, unit.unit_id, name="王联络", email="liaison@example.test")
    store = ReadStore(store_config, create_tables=True)
    ledger.clock.advance(days=150)
    run_tick(ledger, store, date(2026, 7, 2), wall=ledger.clock, simulated=False)

    smtp_port = _free_port()
    smtp = Controller(Inbox(), hostname="127.0.0.1", port=smtp_port)
    smtp.start()
    hook_server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=hook_server.serve_forever, daemon=True).start()
    try:
        channels = Channels(
            smtp_host="127.0.0.1",
            smtp_port=smtp_port,
            webhook_url=f"http://127.0.0.1:{hook_server.server_address[1]}/sms",
            timeout=5,
        )
        outcome = deliver_due(store, channels, ledger.clock.now())
    finally:
        smtp.stop()
        hook_server.shutdown()
        hook_server.server_close()
    assert outcome["delivered"] == 3  # one message per unit per day
    assert len(hooks) == 3 and {h["kind"] for h in hooks} == {"reminders"}
    assert len(Inbox.messages) == 1  # only the silent unit has a liaison email
    import email
    from email import policy

    message = email.message_from_bytes(Inbox.messages[0].content, policy=policy.default)
    assert "liaison@example.test" in Inbox.messages[0].rcpt_tos
    assert SILENT in message["Subject"]
    body = message.get_content()
    assert "2026-Q2" in body and "提醒" in body and "2026-07-07" in body
    store.close()


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]

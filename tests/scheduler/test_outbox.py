"""Deliveries to a fake supervision platform, a webhook and an SMTP server, all on loopback."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from ledger.acts import Act
from ledger.application import Ledger
from ledger.store import StoreConfig
from projections.db import ReadStore
from scheduler.outbox import BASE_DELAY, Channels, deliver_due, outbox_list
from scheduler.outbox import create_tables as create_outbox
from scheduler.tick import run_tick
from tests.scheduler.receivers import SECRET, FakePlatform, Receivers
from tests.scheduler.world import LATE, SILENT, build_plan


@pytest.fixture
def escalated(ledger: Ledger, store_config: StoreConfig):
    built = build_plan(ledger)
    store = ReadStore(store_config, create_tables=True)
    create_outbox(store)  # as `taskledger db init` makes it
    ledger.clock.advance(days=150)
    for day in (date(2026, 7, 2), date(2026, 7, 8), date(2026, 7, 14)):
        run_tick(ledger, store, day, wall=ledger.clock, simulated=False)
    yield ledger, store, built["assignments"]
    store.close()


def _ledger_deliveries(ledger: Ledger) -> list:
    from ledger.unit import Unit

    return [r.event for r in ledger.records()
            if isinstance(r.event, Unit.ChasersDelivered | Unit.ChasersUndelivered)]


def test_escalations_reach_the_platform_after_failures(escalated, platform) -> None:
    ledger, store, assignments = escalated
    queued = [r for r in outbox_list(store, "platform") if r["state"] == "queued"]
    assert len(queued) == 3 and {r["day"] for r in queued} == {"2026-07-14"}  # one per unit
    channels = Channels(platform_url=platform, platform_secret=SECRET, timeout=5)
    FakePlatform.failures = 4
    now = ledger.clock.now()
    first = deliver_due(ledger, store, channels, now)
    # the liaisons' reminders and urges: these units have no contact and no webhook is set
    assert first == {"delivered": 0, "retry": 3, "failed": 0, "waiting": 0, "no_recipient": 6}
    assert deliver_due(ledger, store, channels, now) == {
        "delivered": 0, "retry": 0, "failed": 0, "waiting": 0, "no_recipient": 0,
    }  # backoff: not yet
    later = deliver_due(ledger, store, channels, now + BASE_DELAY)
    assert later["delivered"] == 2 and later["retry"] == 1  # one more failure left
    last = deliver_due(ledger, store, channels, now + BASE_DELAY * 3)
    assert last["delivered"] == 1
    assert FakePlatform.bad_signatures == 0 and len(FakePlatform.received) == 3
    bodies = {r["body"]["unit"]["name"]: r["body"] for r in FakePlatform.received}
    silent = bodies[SILENT]
    assert silent["kind"] == "escalation" and silent["items"][0]["period"] == "2026-Q2"
    assert silent["items"][0]["duty"] == "季度实施情况报告" and not silent["simulated"]
    assert {r["delivery"] for r in FakePlatform.received} == {r["delivery_id"] for r in queued}
    states = {r["unit_name"]: r for r in outbox_list(store, "platform")}
    assert states[SILENT]["state"] == "delivered" and states[SILENT]["attempts"] in (2, 3)
    # who was told what, when: one ledger fact per delivery, naming the platform
    delivered = [e for e in _ledger_deliveries(ledger) if e.channel == "platform"]
    assert len(delivered) == 3 and {e.recipients[0]["channel"] for e in delivered} == {
        "platform"}
    assert {c["event_id"] for e in delivered for c in e.chasers} == {
        i["event_id"] for b in bodies.values() for i in b["items"]}
    assert deliver_due(ledger, store, channels, now + BASE_DELAY * 10)["delivered"] == 0
    assert len(FakePlatform.received) == 3  # delivered once
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


def test_without_a_url_escalations_wait_and_contactless_units_show_why(escalated) -> None:
    ledger, store, _ = escalated
    outcome = deliver_due(ledger, store, Channels(), ledger.clock.now())
    assert outcome["waiting"] == 3 and outcome["no_recipient"] == 6
    assert {r["state"] for r in outbox_list(store, "platform")} == {"queued"}
    liaison = outbox_list(store, "liaison")
    assert {r["state"] for r in liaison} == {"no recipient"}
    assert all("no liaison contact" in r["last_error"] for r in liaison)
    undelivered = _ledger_deliveries(ledger)
    assert len(undelivered) == 6 and all(
        type(e).__name__ == "ChasersUndelivered" and e.recipients == [] for e in undelivered)
    # nothing is retried or recorded twice
    assert deliver_due(ledger, store, Channels(), ledger.clock.now())["no_recipient"] == 0
    assert len(_ledger_deliveries(ledger)) == 6


def test_a_delivery_that_keeps_failing_ends_failed(escalated, platform) -> None:
    ledger, store, _ = escalated
    FakePlatform.failures = 10_000
    channels = Channels(platform_url=platform, platform_secret=SECRET, timeout=5)
    now = ledger.clock.now()
    for hour in range(200):
        deliver_due(ledger, store, channels, now + timedelta(hours=hour))
    rows = outbox_list(store, "platform")
    assert {r["state"] for r in rows} == {"failed"} and {r["attempts"] for r in rows} == {8}
    failed = [e for e in _ledger_deliveries(ledger) if e.channel == "platform"]
    assert len(failed) == 3 and all(e.attempts == 8 and "HTTP 503" in e.reason for e in failed)


def test_reminders_go_to_liaisons_by_email_and_webhook(ledger: Ledger, store_config) -> None:
    built = build_plan(ledger)
    office = Act.by(ledger.clock, "office", "office")
    silent_unit = ledger.get_assignment(built["assignments"][SILENT]).unit_id
    late_unit = ledger.get_assignment(built["assignments"][LATE]).unit_id
    ledger.assign_liaison(office, silent_unit, name="王联络", email="liaison@example.test")
    store = ReadStore(store_config, create_tables=True)
    create_outbox(store)  # as `taskledger db init` makes it
    ledger.clock.advance(days=150)
    run_tick(ledger, store, date(2026, 7, 2), wall=ledger.clock, simulated=False)

    with Receivers() as receivers:
        ledger.assign_liaison(office, late_unit, name="李联络", webhook=receivers.urls["own"])
        outcome = deliver_due(ledger, store, receivers.channels(), ledger.clock.now())
    assert outcome["delivered"] == 3  # one message per unit per day
    shared, own = receivers.hooks["shared"], receivers.hooks["own"]
    # a unit's own webhook takes precedence over the shared one; both are signed
    assert len(shared) == 2 and len(own) == 1 and all(h["signed"] for h in shared + own)
    assert own[0]["body"]["unit"]["name"] == LATE
    assert {h["body"]["kind"] for h in shared + own} == {"reminders"}
    assert len(receivers.inbox.messages) == 1  # only the silent unit has a liaison email
    import email
    from email import policy

    envelope = receivers.inbox.messages[0]
    message = email.message_from_bytes(envelope.content, policy=policy.default)
    assert "liaison@example.test" in envelope.rcpt_tos
    assert SILENT in message["Subject"] and "提醒" in message["Subject"]
    body = message.get_content()
    assert "2026-Q2" in body and "提醒" in body and "2026-07-07" in body
    assert "季度实施情况报告" in body and "王联络" in body and "quarterly" not in body
    # the ledger says who was told: the silent unit by webhook and email, by name
    facts = {str(e.originator_id): e for e in _ledger_deliveries(ledger)}
    silent_fact = facts[str(silent_unit)]
    assert {r["channel"] for r in silent_fact.recipients} == {"webhook", "email"}
    assert {r.get("name") for r in silent_fact.recipients} == {"王联络"}
    # a gateway's access token in the query string never enters the ledger
    assert all("t0p" not in r["address"] for e in facts.values() for r in e.recipients)
    assert facts[str(late_unit)].recipients[0]["address"].endswith("/own")
    store.close()

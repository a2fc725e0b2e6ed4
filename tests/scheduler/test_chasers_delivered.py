"""What leaves is true and meant: rehearsals send nothing and change no figure; every real
chaser reaches its unit once, whoever issued it; the ledger says who was told what, when.

Receivers are real servers on loopback (HTTP for the platform and webhooks, aiosmtpd for
email), shared with test_outbox.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from uuid import UUID

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.acts import Act
from ledger.application import Ledger, open_ledger
from ledger.assignment import Assignment
from ledger.clock import FixedClock
from ledger.obligations import LadderPolicy
from ledger.store import StoreConfig, parse_database_url
from ledger.unit import Unit
from projections import queries
from projections.chasers import urges_in_quarter
from projections.db import ReadStore
from projections.projector import Projector
from projections.views import open_view
from scheduler.outbox import DDL, Channels, create_tables, deliver_due, enqueue_new, outbox_list
from scheduler.service import deliver
from scheduler.tick import run_tick
from tests.scheduler.receivers import SECRET, FakePlatform, Receivers
from tests.scheduler.world import LATE, PROMPT, SILENT, build_plan

QUARTERLY = "implementation-report-quarterly"


@pytest.fixture
def world(ledger: Ledger, store_config: StoreConfig):
    built = build_plan(ledger)
    ledger.clock.advance(days=150)  # late November 2026: July lies in the past
    store = ReadStore(store_config, create_tables=True)
    create_tables(store)
    yield ledger, store, built
    store.close()


def run_days(ledger: Ledger, store: ReadStore, start: date, end: date, *,
             simulated: bool) -> None:
    day = start
    while day <= end:
        run_tick(ledger, store, day, wall=ledger.clock, simulated=simulated)
        day += timedelta(days=1)


def deliveries(ledger: Ledger) -> list:
    return [r.event for r in ledger.records()
            if isinstance(r.event, Unit.ChasersDelivered | Unit.ChasersUndelivered)]


def everything(receivers: Receivers, platform_url: str) -> Channels:
    shared = receivers.channels()
    return Channels(platform_url=platform_url, platform_secret=SECRET,
                    webhook_url=shared.webhook_url, webhook_secret=SECRET,
                    smtp_host=shared.smtp_host, smtp_port=shared.smtp_port, timeout=5)


def test_a_rehearsal_sends_nothing_and_is_listed_only_when_asked(world, platform) -> None:
    ledger, store, _ = world
    run_days(ledger, store, date(2026, 7, 1), date(2026, 7, 15), simulated=True)
    simulated = [r for r in ledger.records() if r.event.simulated]
    assert any(isinstance(r.event, Assignment.EscalatedToSupervisionPlatform) for r in simulated)
    with Receivers() as receivers:
        enqueue_new(store, ledger.clock.now())
        outcome = deliver_due(ledger, store, everything(receivers, platform),
                              ledger.clock.now())
        assert receivers.hooks == {"shared": [], "own": []} and not receivers.inbox.messages
    assert FakePlatform.received == [] and not any(outcome.values())
    assert outbox_list(store) == [] and deliveries(ledger) == []
    # the trail keeps them, flagged, but lists them only when asked
    with open_view(ledger, store, ledger.working_calendar()) as view:
        real = queries.audit_trail(view, limit=1000)
        both = queries.audit_trail(view, limit=1000, include_simulated=True)
    assert not any(row["simulated"] for row in real)
    assert {row["position"] for row in both if row["simulated"]} == {
        r.position for r in simulated}


def test_deliveries_an_older_release_queued_from_a_rehearsal_never_leave(
    store_config: StoreConfig, clock: FixedClock, platform
) -> None:
    ledger = open_ledger(store_config, clock=clock, create_tables=True)
    store = ReadStore(store_config, create_tables=True)
    try:
        build_plan(ledger)
        unit = str(ledger.get_assignment(next(iter(build_plan(ledger)["assignments"].values()))
                                         ).unit_id)
        # the outbox table as the previous release made it, with a queued rehearsal and a
        # queued real delivery
        old_ddl = DDL[0].replace(", claimed_until TEXT, targets_done TEXT", "")
        with store.transaction(commit=True) as cursor:
            cursor.execute(store.sql(old_ddl))
            for ident, simulated in (("old-simulated", 1), ("old-real", 0)):
                payload = json.dumps({"delivery_id": ident, "items": [], "simulated": bool(
                    simulated)})
                cursor.execute(store.sql(
                    "INSERT INTO {s}outbox (delivery_id, channel, unit_id, unit_name, day, "
                    "simulated, recipient, payload, event_ids, state, attempts, "
                    "next_attempt_at, created_at) VALUES (?, 'platform', ?, ?, '2026-06-30', "
                    "?, NULL, ?, '[]', 'queued', 0, '2026-06-30', '2026-06-30')"),
                    (ident, unit, SILENT, simulated, payload))
        create_tables(store)  # what `taskledger db init` runs on an existing store
        create_tables(store)  # and again: nothing changes
        states = {r["delivery_id"]: r["state"] for r in outbox_list(store)}
        assert states == {"old-simulated": "simulated", "old-real": "queued"}
        channels = Channels(platform_url=platform, platform_secret=SECRET, timeout=5)
        for minutes in (0, 10, 600):
            deliver_due(ledger, store, channels, clock.now() + timedelta(minutes=minutes))
        assert [r["delivery"] for r in FakePlatform.received] == ["old-real"]
        assert {r["delivery_id"]: r["state"] for r in outbox_list(store)}["old-simulated"] == (
            "simulated")
    finally:
        store.close()
        ledger.close()


def test_an_office_urge_after_the_days_delivery_goes_out_once(
    store_config: StoreConfig, platform
) -> None:
    """09:00 the tick reminds and its delivery leaves; 15:00 the office urges through the
    API; the outbox job (every 30 s in the scheduler) sends it at once, only once."""
    from api.app import create_app
    from api.services import Settings
    from api.tokens import TokenStore

    clock = FixedClock(datetime(2026, 7, 8, 1, 0, tzinfo=UTC))  # 09:00 Asia/Shanghai
    app = create_app(Settings(store=store_config, clock=clock, writes_per_minute=0,
                              create_tables=True))
    svc = app.extensions["taskledger"]
    ledger, store = svc.ledger, svc.store
    clock_at_issue = FixedClock(datetime(2026, 5, 9, 1, 0, tzinfo=UTC))
    ledger.clock = clock_at_issue
    built = build_plan(ledger)
    ledger.clock = clock
    create_tables(store)
    office_token = TokenStore(store).create("office", clock.now(), label="督查科")[1]
    with Receivers() as receivers:
        silent_unit = ledger.get_assignment(built["assignments"][SILENT]).unit_id
        ledger.assign_liaison(Act.by(clock, "office", "office"), silent_unit, name="王联络",
                              email="wang@example.test", webhook=receivers.urls["own"])
        channels = everything(receivers, platform)
        run_tick(ledger, store, date(2026, 7, 8), wall=clock, simulated=False)
        deliver(store_config, clock, channels)
        first_messages = len(receivers.hooks["own"])
        assert first_messages == 1 and len(receivers.inbox.messages) == 1  # the 09:00 urge

        clock.advance(hours=6)  # 15:00 Asia/Shanghai
        response = app.test_client().post(
            f"/api/v1/assignments/{built['assignments'][SILENT]}/urges",
            json={"obligation": QUARTERLY, "period": "2026-Q2",
                  "reason": "请于今日下班前报送二季度实施情况"},
            headers={"Authorization": f"Bearer {office_token}"},
        )
        assert response.status_code == 201, response.get_json()
        urge = response.get_json()["event_id"]
        clock.advance(seconds=30)
        outcome = deliver(store_config, clock, channels)
        sent_at = clock.now()
        assert outcome["queued"] == 1 and outcome["delivered"] == 1
        for _ in range(3):  # later runs send nothing more
            clock.advance(seconds=30)
            deliver(store_config, clock, channels)
        own = receivers.hooks["own"]
        assert len(own) == 2 and [i["event_id"] for i in own[1]["body"]["items"]] == [urge]
        assert own[1]["body"]["items"][0]["reason"] == "请于今日下班前报送二季度实施情况"
        assert len(receivers.inbox.messages) == 2
        # the unit's own webhook took precedence; the others' urges used the shared one
        assert SILENT not in {h["body"]["unit"]["name"] for h in receivers.hooks["shared"]}
    facts = [e for e in deliveries(ledger) if e.originator_id == silent_unit]
    assert len(facts) == 2 and facts[1].chasers[0]["event_id"] == urge
    assert facts[1].timestamp == sent_at
    assert facts[1].chasers[0]["due_on"] == "2026-07-07"  # the obligation's, not the client's
    ledger.close()
    store.close()


def test_simulated_urges_never_count_toward_a_real_escalation(world) -> None:
    ledger, store, built = world
    office = Act.by(ledger.clock, "office", "office")
    ledger.configure_ladder(office, built["plan"], LadderPolicy(escalate_after_urges=2))
    silent = built["assignments"][SILENT]
    run_days(ledger, store, date(2026, 7, 8), date(2026, 7, 8), simulated=True)
    Projector(ledger, store).catch_up()
    assert urges_in_quarter(store, str(silent), date(2026, 7, 9), include_simulated=True) == 1
    assert urges_in_quarter(store, str(silent), date(2026, 7, 9)) == 0
    # the real day: one real urge this quarter, fewer than two, so no escalation yet
    run_days(ledger, store, date(2026, 7, 8), date(2026, 7, 8), simulated=False)
    real = [r.event for r in ledger.records() if not r.event.simulated]
    assert [type(e).__name__ for e in real if isinstance(e, Assignment.UrgeIssued)
            and e.originator_id == silent] == ["UrgeIssued"]
    assert not any(isinstance(e, Assignment.EscalatedToSupervisionPlatform) for e in real)


def test_reasons_state_the_rule_of_the_plans_own_ladder(world) -> None:
    ledger, store, built = world
    office = Act.by(ledger.clock, "office", "office")
    ledger.configure_ladder(office, built["plan"], LadderPolicy(remind_before=2, escalate_after=3))
    run_days(ledger, store, date(2026, 7, 1), date(2026, 7, 14), simulated=False)
    chased = [e for e in (r.event for r in ledger.records())
              if isinstance(e, Assignment.ReminderIssued | Assignment.UrgeIssued
                            | Assignment.EscalatedToSupervisionPlatform)
              and e.originator_id == built["assignments"][SILENT] and e.period == "2026-Q2"]
    by_kind = {type(e).__name__: e for e in chased}
    escalation = by_kind["EscalatedToSupervisionPlatform"]
    assert escalation.trigger == {"rule": "escalate_after", "working_days": 3}
    assert "逾期3个工作日" in escalation.reason and "5个工作日" not in escalation.reason
    assert escalation.business_date == date(2026, 7, 10)  # 3 working days after 07-07
    assert "季度实施情况报告" in escalation.reason and QUARTERLY not in escalation.reason
    reminder = by_kind["ReminderIssued"]
    assert reminder.trigger == {"rule": "remind_before", "working_days": 2}
    assert "到期前2个工作日" in reminder.reason
    assert by_kind["UrgeIssued"].trigger == {"rule": "urge_after", "working_days": 1}


def test_escalation_by_urge_count_says_so(world) -> None:
    ledger, store, built = world
    office = Act.by(ledger.clock, "office", "office")
    ledger.configure_ladder(office, built["plan"], LadderPolicy(escalate_after_urges=1))
    run_days(ledger, store, date(2026, 7, 8), date(2026, 7, 8), simulated=False)
    escalations = [r.event for r in ledger.records()
                   if isinstance(r.event, Assignment.EscalatedToSupervisionPlatform)]
    assert escalations and all(
        e.trigger == {"rule": "escalate_after_urges", "urges": 1} and "已催办1次" in e.reason
        and "工作日仍未报送" not in e.reason for e in escalations)


def test_the_trail_of_a_task_says_who_was_told_what_when(world, platform) -> None:
    ledger, store, built = world
    silent_unit = ledger.get_assignment(built["assignments"][SILENT]).unit_id
    ledger.assign_liaison(Act.by(ledger.clock, "office", "office"), silent_unit,
                          name="王联络", email="wang@example.test")
    run_days(ledger, store, date(2026, 7, 2), date(2026, 7, 2), simulated=False)
    with Receivers() as receivers:
        deliver_due(ledger, store, everything(receivers, platform), ledger.clock.now())
    Projector(ledger, store).catch_up()
    with open_view(ledger, store, ledger.working_calendar()) as view:
        trail = queries.audit_trail(view, task="（一）", plan="调度测试方案", limit=1000)
    told = [row for row in trail if row["type"] == "ChasersDelivered"]
    assert len(told) == 3  # one per unit: each carried that unit's reminder on （一）
    silent = next(row for row in told if row["unit_id"] == str(silent_unit))
    assert {r["channel"] for r in silent["data"]["recipients"]} == {"webhook", "email"}
    assert "wang@example.test" in silent["summary"]
    # the CLI's trail, read straight off the log, agrees
    import contextlib
    import io

    from api.cli import main

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["--database-url", store.config.url, "events", "--task", "（一）",
                     "--json"]) == 0
    types = [json.loads(line)["type"] for line in out.getvalue().splitlines()]
    assert types.count("ChasersDelivered") == 3


@settings(max_examples=4, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(start=st.dates(date(2026, 6, 25), date(2026, 7, 20)),
       length=st.integers(1, 12), as_of=st.dates(date(2026, 7, 1), date(2026, 7, 31)))
def test_every_report_reads_the_same_with_and_without_a_rehearsal(
    tmp_path_factory: pytest.TempPathFactory, start: date, length: int, as_of: date
) -> None:
    """Two stores with the same real history; one also rehearses some days in between."""
    answers = []
    for rehearse in (False, True):
        folder = tmp_path_factory.mktemp("rehearsal")
        config = parse_database_url(f"sqlite:///{folder}/ledger.sqlite")
        clock = FixedClock(datetime(2026, 7, 1, 1, 0, tzinfo=UTC))
        ledger = open_ledger(config, clock=clock, create_tables=True)
        store = ReadStore(config, create_tables=True)
        create_tables(store)  # the outbox, as `taskledger db init` makes it
        try:
            built = build_plan(ledger)
            clock.advance(days=60)
            act = Act.by(clock, "liaison", "liaison", business_date=date(2026, 7, 9))
            ledger.report_progress(act, built["assignments"][LATE], "2026-Q2", "二季度",
                                   {"培训": 40})
            run_days(ledger, store, date(2026, 7, 1), start, simulated=False)
            if rehearse:
                run_days(ledger, store, start, start + timedelta(days=length), simulated=True)
            act = Act.by(clock, "liaison", "liaison", business_date=date(2026, 7, 3))
            ledger.report_progress(act, built["assignments"][PROMPT], "2026-Q2", "二季度",
                                   {"培训": 30})
            run_days(ledger, store, start + timedelta(days=1), date(2026, 7, 31),
                     simulated=False)
            calendar = ledger.working_calendar()
            with open_view(ledger, store, calendar, as_of=as_of) as view:
                answers.append({
                    "responsibilities": queries.responsibilities(view),
                    "overdue": queries.overdue(view),
                    "targets": queries.target_progress(view),
                    "scorecard": queries.scorecard(view),
                    "obligations": queries.obligations(view),
                })
        finally:
            store.close()
            ledger.close()
    # event ids name a stream's version: a report after a rehearsal's chasers on the same
    # stream has another id, and says the same
    assert _without_event_ids(answers[0]) == _without_event_ids(answers[1])
    assert answers[0]["responsibilities"]  # the comparison is about something


def _without_event_ids(value):
    if isinstance(value, dict):
        return {k: _without_event_ids(v) for k, v in value.items()
                if k not in ("first_report_id", "last_report_id", "report_id", "event_id")}
    if isinstance(value, list):
        return [_without_event_ids(v) for v in value]
    return value


def test_an_escalation_from_the_cli_reaches_the_platform_once(
    store_config: StoreConfig, tmp_path, platform, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.test_cli import QUARTERLY as SEED_QUARTERLY
    from tests.test_cli import _chase, _imported, run

    url = _imported(store_config, tmp_path)
    escalated = run(_chase("escalate", "--obligation", SEED_QUARTERLY, "--period", "2026-Q2",
                           "--reason", "二季度实施情况逾期未报，提请督办", "--json"), tmp_path, url)
    assert escalated.returncode == 0, escalated.stderr
    escalation = json.loads(escalated.stdout)["event_id"]
    monkeypatch.setenv("TASKLEDGER_PLATFORM_URL", platform)
    monkeypatch.setenv("TASKLEDGER_PLATFORM_SECRET", SECRET)
    for _ in range(3):  # `outbox deliver` run again and again sends it once
        sent = run(["outbox", "deliver", "--json"], tmp_path, url)
        assert sent.returncode == 0, sent.stderr
    assert FakePlatform.bad_signatures == 0 and len(FakePlatform.received) == 1
    items = FakePlatform.received[0]["body"]["items"]
    assert [i["event_id"] for i in items] == [escalation]
    assert items[0]["due_on"] == "2026-07-07" and items[0]["kind_name"] == "上报监督平台"
    listed = run(["outbox", "--json"], tmp_path, url)
    rows = json.loads(listed.stdout)
    assert [(r["channel"], r["state"], r["event_ids"]) for r in rows] == [
        ("platform", "delivered", [escalation])]
    text = run(["outbox"], tmp_path, url)
    assert "platform" in text.stdout and "delivered" in text.stdout


def test_the_outbox_lists_the_reminders_a_unit_has_not_signed_for(world) -> None:
    ledger, store, built = world
    silent = built["assignments"][SILENT]
    unit = ledger.get_assignment(silent).unit_id
    run_days(ledger, store, date(2026, 7, 2), date(2026, 7, 2), simulated=False)
    with Receivers() as receivers:
        channels = receivers.channels()
        ledger.assign_liaison(Act.by(ledger.clock, "office", "office"), unit, name="王联络",
                              webhook=receivers.urls["own"])
        deliver_due(ledger, store, channels, ledger.clock.now())
    row = next(r for r in outbox_list(store, "liaison") if r["unit_name"] == SILENT)
    assert row["state"] == "delivered" and row["unacknowledged"] == row["event_ids"]
    reminder = UUID(row["event_ids"][0])
    liaison = Act.by(ledger.clock, "liaison:沉默厅", "liaison")
    ledger.acknowledge_chase(liaison, silent, reminder, "已收到")
    Projector(ledger, store).catch_up()
    row = next(r for r in outbox_list(store, "liaison") if r["unit_name"] == SILENT)
    assert row["unacknowledged"] == []

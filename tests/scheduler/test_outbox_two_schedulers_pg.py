"""Two `taskledger scheduler` processes on one PostgreSQL database while the office keeps
recording chasers: every delivery reaches its receiver once, and is a ledger fact once."""

from __future__ import annotations

import http.server
import os
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest

from ledger.acts import Act
from ledger.application import open_ledger
from ledger.clock import SystemClock
from ledger.store import StoreConfig
from ledger.unit import Unit
from projections.db import ReadStore
from scheduler.outbox import outbox_list
from tests.scheduler.world import build_plan

pytestmark = pytest.mark.postgres
TASKLEDGER = str(Path(sys.executable).parent / "taskledger")
QUARTERLY = "implementation-report-quarterly"


class Counting(http.server.BaseHTTPRequestHandler):
    """Accepts every POST slowly (so two senders would overlap) and counts delivery ids."""

    received: Counter = Counter()  # noqa: RUF012 - reset by the test
    lock = threading.Lock()

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        time.sleep(0.05)
        with Counting.lock:
            Counting.received[self.headers["X-Taskledger-Delivery"]] += 1
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def test_two_schedulers_send_each_delivery_once(postgres_config: StoreConfig) -> None:
    env = {**os.environ, "TASKLEDGER_DATABASE_URL": postgres_config.url}
    subprocess.run([TASKLEDGER, "db", "init"], env=env, check=True, capture_output=True)
    ledger = open_ledger(postgres_config, clock=SystemClock())
    built = build_plan(ledger)
    # a rehearsal first, and a delivery an older release queued from one: neither leaves
    rehearsal = subprocess.run([TASKLEDGER, "simulate", "--from", "2026-07-01", "--to",
                                "2026-07-15"], env=env, capture_output=True, text=True)
    assert rehearsal.returncode == 0, rehearsal.stderr
    rehearsed = {str(r.event.originator_id) for r in ledger.records() if r.event.simulated}
    assert rehearsed  # it chased someone
    store = ReadStore(postgres_config)
    with store.transaction(commit=True) as cursor:
        cursor.execute(store.sql(
            "INSERT INTO {s}outbox (delivery_id, channel, unit_id, unit_name, day, simulated, "
            "payload, event_ids, state, attempts, next_attempt_at, created_at) VALUES "
            "('old-rehearsal', 'platform', 'u', 'u', '2026-07-14', 1, '{}', '[]', 'queued', 0, "
            "'2026-07-14', '2026-07-14')"))
    Counting.received = Counter()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Counting)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    env.update(TASKLEDGER_OUTBOX_SECONDS="0.5", TASKLEDGER_PLATFORM_URL=f"{url}/platform",
               TASKLEDGER_PLATFORM_SECRET="s", TASKLEDGER_NOTIFY_WEBHOOK_URL=f"{url}/hook")
    schedulers = [
        subprocess.Popen([TASKLEDGER, "scheduler", "--at", "23:59"], env=env,
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        for _ in range(2)
    ]
    try:
        office = Act.by(ledger.clock, "office", "office")
        written = 0
        # bursts of office chasers while both schedulers run: each burst is a delivery
        # per unit and channel, some recorded while an earlier one is being sent
        # (owed and overdue on the wall clock, 2026-12 on; the plan owes nothing for Q1)
        for period in ("2026-Q2", "2026-Q3"):
            for command in (ledger.issue_reminder, ledger.issue_urge, ledger.escalate):
                for assignment in built["assignments"].values():
                    command(office, assignment, QUARTERLY, period, None, f"{period} 督办")
                    written += 1
                time.sleep(0.3)
        last_written = time.monotonic()
        deadline = last_written + 60
        rows: list[dict] = []
        while time.monotonic() < deadline:
            rows = [r for r in outbox_list(store) if not r["simulated"]]
            chasers = sum(r["events"] for r in rows)
            if chasers == written and all(r["state"] == "delivered" for r in rows):
                break
            time.sleep(0.25)
        arrived_within = time.monotonic() - last_written
    finally:
        for process in schedulers:
            process.terminate()
        for process in schedulers:
            process.wait(timeout=30)
        server.shutdown()
        server.server_close()
    rows = [r for r in rows if r["delivery_id"] != "old-rehearsal"]
    assert sum(r["events"] for r in rows) == written, [p.stderr.read() for p in schedulers]
    assert "old-rehearsal" not in Counting.received
    assert all(r["state"] == "delivered" for r in rows)
    assert arrived_within < 60
    # each delivery reached the receiver exactly once, across both processes
    assert set(Counting.received) == {r["delivery_id"] for r in rows}
    assert set(Counting.received.values()) == {1}
    facts = Counter(r.event.delivery_id for r in ledger.records()
                    if isinstance(r.event, Unit.ChasersDelivered))
    assert set(facts) == set(Counting.received) and set(facts.values()) == {1}
    store.close()
    ledger.close()

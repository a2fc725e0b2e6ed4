"""Two schedulers on one PostgreSQL database, and a scheduler killed mid-run: each
reminder, urge, escalation and cycle is still recorded exactly once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from ledger.application import open_ledger
from ledger.assignment import Assignment
from ledger.cycle import Cycle
from ledger.store import StoreConfig
from tests.scheduler.world import SILENT, build_plan

pytestmark = pytest.mark.postgres
TASKLEDGER = str(Path(sys.executable).parent / "taskledger")


def simulate(config: StoreConfig, start: str, end: str) -> subprocess.Popen:
    env = {**os.environ, "TASKLEDGER_DATABASE_URL": config.url}
    return subprocess.Popen(
        [TASKLEDGER, "simulate", "--from", start, "--to", end],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def keys(config: StoreConfig) -> tuple[Counter, Counter]:
    ledger = open_ledger(config)
    chased, cycles = Counter(), Counter()
    for record in ledger.records():
        event = record.event
        if isinstance(
            event,
            Assignment.ReminderIssued
            | Assignment.UrgeIssued
            | Assignment.EscalatedToSupervisionPlatform,
        ):
            chased[(event.originator_id, type(event).__name__, event.obligation, event.period)] += 1
        elif isinstance(event, Cycle.Ran):
            cycles[(event.kind, event.period, event.scope)] += 1
    ledger.close()
    return chased, cycles


def ticks_since(config: StoreConfig, first_day: str) -> int:
    """Days the simulation has finished, read straight from the ledger's cycles."""
    ledger = open_ledger(config)
    try:
        return sum(
            1
            for r in ledger.records()
            if isinstance(r.event, Cycle.Ran)
            and r.event.kind == "daily-tick"
            and r.event.period >= first_day
        )
    finally:
        ledger.close()


def test_two_schedulers_and_a_crash(postgres_config: StoreConfig, clock) -> None:
    ledger = open_ledger(postgres_config, clock=clock, create_tables=True)
    assignments = build_plan(ledger)["assignments"]
    ledger.close()
    subprocess.run(
        [TASKLEDGER, "db", "init"],
        check=True,
        capture_output=True,
        env={**os.environ, "TASKLEDGER_DATABASE_URL": postgres_config.url},
    )

    racers = [simulate(postgres_config, "2026-06-25", "2026-07-16") for _ in range(2)]
    for racer in racers:
        assert racer.wait(timeout=240) == 0, racer.stderr.read().decode()
    chased, cycles = keys(postgres_config)
    assert chased and set(chased.values()) == {1}
    assert set(cycles.values()) == {1}
    assert cycles[("quarterly", "2026-Q2", "simulated")] == 1
    assert cycles[("monthly", "2026-07", "simulated")] == 1

    # kill a run part-way (after a few of its days are in), then run the same days again
    victim = simulate(postgres_config, "2026-09-25", "2026-12-31")
    deadline = time.monotonic() + 120
    while ticks_since(postgres_config, "2026-09-25") < 3 and victim.poll() is None:
        assert time.monotonic() < deadline, "the simulation made no progress"
        time.sleep(0.05)
    assert victim.poll() is None, "the run finished before it could be killed"
    victim.send_signal(signal.SIGKILL)
    victim.wait(timeout=30)
    assert (
        ticks_since(postgres_config, "2026-09-25")
        < (date(2026, 12, 31) - date(2026, 9, 25)).days + 1
    )
    rerun = simulate(postgres_config, "2026-09-25", "2026-12-31")
    assert rerun.wait(timeout=240) == 0, rerun.stderr.read().decode()
    chased, cycles = keys(postgres_config)
    assert set(chased.values()) == {1} and set(cycles.values()) == {1}
    silent = {
        (kind, period) for (stream, kind, _, period) in chased if stream == assignments[SILENT]
    }
    assert {
        ("ReminderIssued", "2026-Q3"),
        ("UrgeIssued", "2026-Q3"),
        ("EscalatedToSupervisionPlatform", "2026-Q3"),
    } <= silent
    ticks = [k for k in cycles if k[0] == "daily-tick"]
    assert (
        len(ticks)
        == (date(2026, 7, 16) - date(2026, 6, 25)).days
        + 1
        + (date(2026, 12, 31) - date(2026, 9, 25)).days
        + 1
    )

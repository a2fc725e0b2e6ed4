"""Many writers on one assignment, on PostgreSQL: nothing lost, nothing doubled."""

from __future__ import annotations

import threading
from collections import Counter

import pytest

from ledger.acts import Act
from ledger.application import open_ledger
from ledger.assignment import Assignment
from ledger.clock import FixedClock
from ledger.errors import ConcurrentWriteConflict
from ledger.store import StoreConfig
from tests.ledger.world import HR, build_world

pytestmark = pytest.mark.postgres

WRITERS = 8
REPORTS_EACH = 25


def run_threads(target, count: int) -> None:
    start = threading.Barrier(count)
    threads = [threading.Thread(target=target, args=(i, start)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)


def test_concurrent_reports_are_stored_exactly_once(
    postgres_config: StoreConfig, clock: FixedClock
) -> None:
    setup = open_ledger(postgres_config, clock=clock, create_tables=True)
    assignment = build_world(setup).assignments[("（一）", HR)]
    accepted: list[str] = []
    refused: list[Exception] = []
    lock = threading.Lock()

    def writer(index: int, start: threading.Barrier) -> None:
        ledger = open_ledger(postgres_config, clock=clock)  # one application per writer
        start.wait()
        for n in range(REPORTS_EACH):
            key = f"w{index}-r{n}"
            act = Act.by(clock, f"liaison-{index}", "liaison")
            try:
                ledger.report_progress(act, assignment, "2026-06", f"报告 {key}", {"n": n}, key)
            except Exception as error:  # every kind is checked below
                with lock:
                    refused.append(error)
            else:
                with lock:
                    accepted.append(key)
        ledger.close()

    run_threads(writer, WRITERS)
    # an ordinary burst is all accepted: a conflict only after CONFLICT_DEADLINE_SECONDS
    assert refused == [], refused[:3]
    stored = [
        r.event.idempotency_key
        for r in setup.records()
        if isinstance(r.event, Assignment.ProgressReported)
    ]
    assert Counter(stored) == Counter(accepted)  # each accepted write exactly once
    assert len(accepted) + len(refused) == WRITERS * REPORTS_EACH
    versions = [e.originator_version for e in setup.repository.event_store.get(assignment)]
    assert versions == list(range(1, len(versions) + 1))  # no gaps, no duplicates
    setup.close()


def test_stale_writers_get_a_conflict_not_an_overwrite(
    postgres_config: StoreConfig, clock: FixedClock
) -> None:
    setup = open_ledger(postgres_config, clock=clock, create_tables=True)
    assignment = build_world(setup).assignments[("（一）", HR)]
    seen = setup.get_assignment(assignment).version
    outcomes: list[str] = []
    lock = threading.Lock()

    def office(index: int, start: threading.Barrier) -> None:
        ledger = open_ledger(postgres_config, clock=clock)
        start.wait()
        try:
            ledger.complete(
                Act.by(clock, f"clerk-{index}", "office"),
                assignment,
                f"办结 by {index}",
                expected_version=seen,
            )
            outcome = "ok"
        except ConcurrentWriteConflict:
            outcome = "conflict"
        with lock:
            outcomes.append(outcome)
        ledger.close()

    run_threads(office, 6)
    assert sorted(outcomes) == ["conflict"] * 5 + ["ok"]
    completions = [r for r in setup.records() if isinstance(r.event, Assignment.Completed)]
    assert len(completions) == 1
    setup.close()

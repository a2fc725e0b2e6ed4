"""Concurrent writes on one stream, on SQLite and PostgreSQL (issue 12, item 6).

Ordinary bursts are all accepted: threads of one process take turns on a stream, and a
write that meets another process's write catches up with only the events after its copy
and decides again. A conflict is refused only after ``CONFLICT_DEADLINE_SECONDS``, never
after a number of attempts; a caller naming the version it saw is refused at once.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from uuid import UUID

import pytest

from ledger import application
from ledger.acts import Act
from ledger.application import Ledger, open_ledger
from ledger.assignment import Assignment
from ledger.errors import ConcurrentWriteConflict
from ledger.periods import Period
from ledger.store import StoreConfig
from tests.ledger.world import HR, build_world


def run_threads(target, count: int) -> None:
    start = threading.Barrier(count)
    threads = [threading.Thread(target=target, args=(i, start)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)


def stored_keys(ledger: Ledger, stream: UUID) -> Counter:
    return Counter(
        e.idempotency_key for e in ledger.repository.event_store.get(stream)
        if isinstance(e, Assignment.ProgressReported)
    )


def assert_versions_contiguous(ledger: Ledger, stream: UUID) -> None:
    versions = [e.originator_version for e in ledger.repository.event_store.get(stream)]
    assert versions == list(range(1, len(versions) + 1))


def burst(ledgers: list[Ledger], stream: UUID, threads_each: int, reports_each: int
          ) -> tuple[list[str], list[Exception]]:
    """Every ledger (a process) runs threads that each post reports at once."""
    accepted: list[str] = []
    refused: list[Exception] = []
    lock = threading.Lock()

    def writer(index: int, start: threading.Barrier) -> None:
        ledger = ledgers[index % len(ledgers)]
        act = Act.by(ledger.clock, f"liaison-{index}", "liaison")
        start.wait()
        for n in range(reports_each):
            key = f"w{index}-r{n}"
            try:
                ledger.report_progress(act, stream, "2026-06", f"报告 {key}", {"n": n}, key)
            except Exception as error:  # any kind is a failure here
                with lock:
                    refused.append(error)
            else:
                with lock:
                    accepted.append(key)

    run_threads(writer, len(ledgers) * threads_each)
    return accepted, refused


def test_threads_of_one_process_are_all_accepted(ledger: Ledger) -> None:
    stream = build_world(ledger).assignments[("（一）", HR)]
    accepted, refused = burst([ledger], stream, threads_each=8, reports_each=10)
    assert refused == []
    assert len(accepted) == 80
    assert stored_keys(ledger, stream) == Counter(accepted)  # each exactly once
    assert_versions_contiguous(ledger, stream)


def test_writers_in_several_processes_are_all_accepted(
    ledger: Ledger, store_config: StoreConfig
) -> None:
    """Four applications (as four server workers) with two threads each, one stream;
    on SQLite they also wait for each other's file lock instead of failing."""
    stream = build_world(ledger).assignments[("（一）", HR)]
    workers = [open_ledger(store_config, clock=ledger.clock) for _ in range(4)]
    for worker in workers:  # each has the stream cached, and each copy goes stale
        worker.get_assignment(stream)
        worker.unit_of_assignment(stream)
    try:
        accepted, refused = burst(workers, stream, threads_each=2, reports_each=8)
    finally:
        for worker in workers:
            worker.close()
    assert refused == []
    assert len(accepted) == 64
    assert stored_keys(ledger, stream) == Counter(accepted)
    assert_versions_contiguous(ledger, stream)


def test_a_conflict_is_refused_after_the_deadline_not_after_a_count(
    ledger: Ledger, store_config: StoreConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = build_world(ledger)
    stream = world.assignments[("（一）", HR)]
    other = open_ledger(store_config, clock=ledger.clock)  # another process
    monkeypatch.setattr(application, "CONFLICT_DEADLINE_SECONDS", 0.6)
    attempts: list[int] = []

    def always_beaten(assignment: Assignment) -> object:
        # another writer gets in between every decision and its save: a batched write,
        # which does not queue for the stream (a command would wait for our turn)
        n = len(attempts)
        other.on_many_assignments(world.office(), {stream: lambda a: a.report_progress(
            world.liaison(), Period.parse("2026-06"), f"抢先 {n}", None, f"first-{n}")})
        attempts.append(assignment.version)
        return assignment.report_progress(
            world.liaison(), Period.parse("2026-06"), "总是晚一步", None, "late"
        )

    began = time.monotonic()
    with pytest.raises(ConcurrentWriteConflict, match="kept arriving"):
        ledger._change(stream, Assignment, lambda: AssertionError("missing"), always_beaten)
    elapsed = time.monotonic() - began
    other.close()
    assert 0.6 <= elapsed < 3.0
    assert len(attempts) > application.MAX_ATTEMPTS  # a count would have stopped sooner
    assert attempts == sorted(set(attempts))  # each attempt decided on newer state
    assert stored_keys(ledger, stream)["late"] == 0  # nothing written by the loser


def test_a_caller_naming_the_version_it_saw_is_refused_at_once(
    ledger: Ledger, store_config: StoreConfig
) -> None:
    world = build_world(ledger)
    stream = world.assignments[("（一）", HR)]
    seen = ledger.get_assignment(stream).version
    other = open_ledger(store_config, clock=ledger.clock)
    other.report_progress(world.liaison(), stream, "2026-06", "另一进程的报告")
    other.close()
    began = time.monotonic()
    with pytest.raises(ConcurrentWriteConflict, match="you saw"):
        ledger.complete(world.office(), stream, "办结", expected_version=seen)
    assert time.monotonic() - began < 1.0
    assert ledger.get_assignment(stream).status == "in_progress"


def test_a_stale_copy_catches_up_with_only_the_newer_events(
    ledger: Ledger, store_config: StoreConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A stream of 300 events: after another process's writes, a report reads those
    writes, not the 300 (the cost of a report does not grow with the stream)."""
    world = build_world(ledger)
    stream = world.assignments[("（一）", HR)]
    for n in range(300):
        ledger.report_progress(world.liaison(), stream, "2026-06", f"历史 {n}", None, f"h{n}")
    other = open_ledger(store_config, clock=ledger.clock)
    for n in range(3):
        other.report_progress(world.liaison(), stream, "2026-06", f"另一进程 {n}", None, f"o{n}")
    other.close()

    store = ledger.repository.event_store
    read = store.get
    events_read: list[int] = []

    def counting_get(*args: object, **kwargs: object) -> list:
        events = list(read(*args, **kwargs))
        events_read.append(len(events))
        return events

    monkeypatch.setattr(store, "get", counting_get)
    receipt = ledger.report_progress(world.liaison(), stream, "2026-06", "最新", None, "new")
    assert receipt.created
    assert sum(events_read) == 3  # the three newer events, no replay of the 300
    assert ledger.get_assignment(stream).version == 1 + 300 + 3 + 1
    events_read.clear()
    ledger.get_assignment(stream)  # a fresh read with nothing new reads nothing old
    assert sum(events_read) == 0
    monkeypatch.undo()
    assert stored_keys(ledger, stream)["new"] == 1
    assert_versions_contiguous(ledger, stream)


def test_a_stream_busy_in_this_process_past_the_deadline_is_a_conflict(
    ledger: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = build_world(ledger)
    stream = world.assignments[("（一）", HR)]
    monkeypatch.setattr(application, "CONFLICT_DEADLINE_SECONDS", 0.3)
    outcome: list[Exception] = []

    def waiting_writer() -> None:
        try:
            ledger.report_progress(world.liaison(), stream, "2026-06", "等待中", None, "wait")
        except Exception as error:  # recorded and checked below
            outcome.append(error)

    with ledger._stream_locks.holding(stream, 1.0) as turn:
        assert turn
        thread = threading.Thread(target=waiting_writer)
        thread.start()
        thread.join(timeout=10)
    assert len(outcome) == 1 and isinstance(outcome[0], ConcurrentWriteConflict)
    assert "busy" in str(outcome[0])
    assert stored_keys(ledger, stream)["wait"] == 0
    # once the stream is free, the same report goes through
    again = ledger.report_progress(world.liaison(), stream, "2026-06", "等待中", None, "wait")
    assert again.created

"""The projector under stress: unknown events, random workloads, a SIGKILL mid-batch."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from datetime import date
from pathlib import Path

import pytest
from eventsourcing.persistence import StoredEvent
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.acts import Act
from ledger.application import Ledger, open_ledger
from ledger.calendar import ChineseCalendar
from ledger.store import StoreConfig
from projections.db import ReadStore
from projections.projector import Projector
from tests.ledger.world import build_world
from tests.projections.helpers import bulk_reports, dump, import_seeds

CALENDAR = ChineseCalendar()
TASKLEDGER = str(Path(sys.executable).parent / "taskledger")


def test_unknown_event_types_are_counted_and_skipped(
    ledger: Ledger, store_config: StoreConfig, caplog
) -> None:
    world = build_world(ledger)
    ledger.recorder.insert_events(
        [
            StoredEvent(
                originator_id=uuid.uuid4(),
                originator_version=1,
                topic="taskledger.future:BriefingTranslated",
                state=b"{}",
            )
        ]
    )
    ledger.report_progress(
        world.liaison(),
        next(iter(world.assignments.values())),
        "2026-06",
        "after the unknown event",
    )
    store = ReadStore(store_config, create_tables=True)
    stats = Projector(ledger, store, CALENDAR).catch_up()
    assert stats.unknown == 1 and stats.position == ledger.position() == 12
    assert store.scalar("SELECT COUNT(*) AS n FROM {s}rm_audit") == 11
    assert store.scalar("SELECT COUNT(*) AS n FROM {s}rm_reports") == 1
    assert "BriefingTranslated" in caplog.text
    store.close()


steps = st.lists(
    st.tuples(
        st.sampled_from(
            ["report", "remind", "urge", "complete", "withdraw", "reassign", "extend", "project"]
        ),
        st.integers(0, 3),
        st.sampled_from(["2026-05", "2026-06", "2026-Q2"]),
    ),
    max_size=25,
)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=steps, batch=st.sampled_from([1, 3, 50]))
def test_rebuilt_tables_equal_incremental_ones(tmp_path_factory, steps, batch) -> None:
    from datetime import UTC, datetime

    from ledger.clock import FixedClock
    from ledger.store import parse_database_url

    folder = tmp_path_factory.mktemp("rebuild")
    config = parse_database_url(f"sqlite:///{folder}/l.sqlite")
    ledger = open_ledger(config, clock=FixedClock(datetime(2026, 7, 1, 1, tzinfo=UTC)),
                         create_tables=True)  # as `db init` would
    store = ReadStore(config, create_tables=True)
    projector = Projector(ledger, store, CALENDAR)
    world = build_world(ledger)
    targets = list(world.assignments.values())
    act = Act.by(ledger.clock, "prop", "office")
    for name, index, period in steps:
        target = targets[index]
        try:
            if name == "report":
                ledger.report_progress(act, target, period, f"{name}{index}", {"培训": index})
            elif name in ("remind", "urge"):
                method = ledger.issue_reminder if name == "remind" else ledger.issue_urge
                method(act, target, "monthly-progress", period, date(2026, 7, 7), name)
            elif name == "complete":
                ledger.complete(act, target)
            elif name == "withdraw":
                ledger.withdraw(act, target, "x")
            elif name == "reassign":
                a = ledger.get_assignment(target)
                ledger.assign(act, a.task_id, a.unit_id, "co")
            elif name == "extend":
                request = ledger.request_extension(
                    act, target, "monthly-progress", "2026-06", date(2026, 7, 20), "r"
                )
                ledger.decide_extension(act, target, request.event_id, approved=index % 2 == 0)
            else:
                projector.catch_up(batch_size=batch)
        except Exception as error:  # refusals are part of a random workload
            from ledger.errors import LedgerError

            assert isinstance(error, LedgerError)
    projector.catch_up(batch_size=batch)
    incremental = dump(store)
    # the read model's status is the aggregate's (one rule: ledger.assignment.status_after)
    statuses = {row["assignment_id"]: row["status"]
                for row in store.query("SELECT assignment_id, status FROM {s}rm_assignments")}
    assert statuses == {str(a): ledger.get_assignment(a).status for a in targets}
    Projector(ledger, store, CALENDAR).rebuild()
    assert dump(store) == incremental
    store.close()
    ledger.close()


corrections = st.lists(
    st.tuples(
        st.sampled_from(["report", "correct", "correct", "correct", "project"]),
        st.integers(0, 2),  # which assignment
        st.integers(0, 3),  # which change (see below)
        st.booleans(),  # correct the latest correction rather than the report
    ),
    min_size=1,
    max_size=20,
)
CHANGES = [
    ("改述", None),  # the narrative only: every figure stays
    (None, {"培训": 7}),  # one figure
    (None, {"培训": None}),  # a figure removed
    ("补充", {"新增": 1, "培训": None}),  # both, one figure added and one removed
]


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def test_rebuilt_tables_equal_incremental_ones_with_partial_corrections(
    backend: str, tmp_path_factory
) -> None:
    """Reports corrected piecemeal (corrections of corrections too), projected in
    batches of any size in between: a rebuild gives the same tables, and each report
    reads as the events say (a model applying each correction's changes)."""
    from datetime import UTC, datetime

    from ledger.clock import FixedClock
    from ledger.errors import LedgerError
    from ledger.store import parse_database_url, temporary_schema
    from tests.conftest import POSTGRES_URL, need_postgres

    if backend == "postgres":
        need_postgres()

    @settings(max_examples=20 if backend == "sqlite" else 8, deadline=None,
              suppress_health_check=[HealthCheck.too_slow])
    @given(steps=corrections, batch=st.sampled_from([1, 4, 100]))
    def check(steps, batch) -> None:
        if backend == "sqlite":
            folder = tmp_path_factory.mktemp("corrections")
            config = parse_database_url(f"sqlite:///{folder}/l.sqlite")
            run(config, steps, batch)
        else:
            with temporary_schema(POSTGRES_URL, "tc") as config:
                run(config, steps, batch)

    def run(config, steps, batch) -> None:
        ledger = open_ledger(config, clock=FixedClock(datetime(2026, 7, 1, 1, tzinfo=UTC)),
                             create_tables=True)
        store = ReadStore(config, create_tables=True)
        projector = Projector(ledger, store, CALENDAR)
        targets = list(build_world(ledger).assignments.values())[:3]
        act = Act.by(ledger.clock, "prop", "office")
        expected: dict[str, tuple[str, dict]] = {}  # report -> (narrative, figures)
        for name, index, change, of_correction in steps:
            target = targets[index]
            if name == "project":
                projector.catch_up(batch_size=batch)
                continue
            a = ledger.get_assignment(target)
            if name == "report" or not a.reports:
                receipt = ledger.report_progress(act, target, "2026-06", f"报告{index}",
                                                 {"培训": index, "见习": 3})
                expected[str(receipt.event_id)] = (f"报告{index}", {"培训": index, "见习": 3})
                a = ledger.get_assignment(target)
                if name == "report":
                    continue
            report = max(a.reports)
            fixes = a.corrections.get(report, [])
            chosen = max(fixes) if fixes and of_correction else report
            narrative, metrics = CHANGES[change]
            key = str(a.event_id_at(report))
            try:
                ledger.correct_progress(act, target, a.event_id_at(chosen), narrative, metrics,
                                        "fix")
            except LedgerError:  # nothing to remove, or nothing would change
                continue
            wording, figures = expected[key]
            figures = {k: v for k, v in figures.items() if (metrics or {}).get(k, 0) is not None}
            figures.update({k: v for k, v in (metrics or {}).items() if v is not None})
            expected[key] = (narrative or wording, figures)
        projector.catch_up(batch_size=batch)
        incremental = dump(store)
        rows = store.query("SELECT report_id, narrative, metrics FROM {s}rm_reports")
        assert {r["report_id"]: (r["narrative"], json.loads(r["metrics"])) for r in rows} == (
            expected)
        Projector(ledger, store, CALENDAR).rebuild()
        assert dump(store) == incremental
        store.close()
        ledger.close()

    check()


@pytest.mark.postgres
def test_projector_killed_mid_batch_applies_nothing_twice(
    postgres_config: StoreConfig, clock
) -> None:
    ledger = open_ledger(postgres_config, clock=clock, create_tables=True)
    import_seeds(ledger)
    bulk_reports(ledger, per_assignment=12, limit=400)  # ~5,600 more events
    head = ledger.position()
    ReadStore(postgres_config, create_tables=True).close()
    env = {**os.environ, "TASKLEDGER_DATABASE_URL": postgres_config.url}
    store = ReadStore(postgres_config)
    kills = 0
    deadline = time.monotonic() + 240
    while min(store.positions().values()) < head and time.monotonic() < deadline:
        process = subprocess.Popen(
            [TASKLEDGER, "project", "--batch-size", "150", "--poll", "0.05"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        started = min(store.positions().values())
        # let it commit a batch or two, then kill it without warning, mid-batch
        while (
            min(store.positions().values()) <= started
            and process.poll() is None
            and time.monotonic() < deadline
        ):
            time.sleep(0.05)
        time.sleep(0.07 * (kills % 3 + 1))
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        kills += 1
    assert kills >= 3, "the projector finished before it could be killed often enough"
    assert min(store.positions().values()) == head
    # nothing applied twice, nothing skipped
    assert store.scalar("SELECT COUNT(*) AS n FROM {s}rm_audit") == head
    reports = store.scalar("SELECT COUNT(*) AS n FROM {s}rm_reports")
    counted = store.scalar("SELECT SUM(reports) AS n FROM {s}rm_assignments")
    assert reports == counted == 400 * 12
    survived = dump(store)
    Projector(ledger, store, CALENDAR).rebuild()
    assert dump(store) == survived
    store.close()
    ledger.close()

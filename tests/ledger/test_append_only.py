"""Nothing stored is ever altered: after more work, every earlier row is byte-identical."""

from __future__ import annotations

import sqlite3

import psycopg
import pytest

from ledger.acts import Act
from ledger.application import Ledger
from ledger.errors import LedgerError
from ledger.store import StoreConfig
from tests.ledger.world import EDU, FIN, HR, build_world


def stored_rows(config: StoreConfig) -> list[tuple]:
    """Every column of every stored event, raw, in insertion order."""
    if config.backend == "sqlite":
        with sqlite3.connect(config.sqlite_path) as connection:
            return connection.execute("SELECT * FROM stored_events ORDER BY rowid").fetchall()
    with psycopg.connect(config.psycopg_conninfo()) as connection:
        return connection.execute(
            f'SELECT * FROM "{config.pg_schema}".taskledger_events ORDER BY notification_id'
        ).fetchall()


def workload(ledger: Ledger, round_: int) -> None:
    world = build_world(ledger)
    act = Act.by(ledger.clock, f"round-{round_}", "office")
    for (number, unit), assignment in world.assignments.items():
        report = ledger.report_progress(act, assignment, "2026-06", f"{number}{unit}第{round_}轮")
        ledger.correct_progress(act, assignment, report.event_id, "更正", {"x": round_}, "核对")
        # June is reported above, so July's report (begun today) is the one reminded
        ledger.issue_reminder(act, assignment, "monthly-progress", "2026-07", None, "提醒")
        for refused in (
            lambda a=assignment: ledger.report_progress(act, a, "2031-01", "future"),
            lambda a=assignment: ledger.reopen(act, a, "not completed"),
        ):
            with pytest.raises(LedgerError):
                refused()
    ledger.withdraw(act, world.assignments[("（二）", FIN)], "调整")
    ledger.assign(act, world.task_two, world.units[FIN], "lead")
    ledger.complete(act, world.assignments[("（一）", EDU)], "办结")
    ledger.reopen(act, world.assignments[("（一）", EDU)], "复核")
    assert world.units[HR]


def test_history_is_append_only(ledger: Ledger, store_config: StoreConfig) -> None:
    workload(ledger, 1)
    before = stored_rows(store_config)
    assert len(before) == ledger.position() > 10
    for round_ in (2, 3):
        workload(ledger, round_)
    after = stored_rows(store_config)
    assert len(after) > len(before)
    assert after[: len(before)] == before  # every earlier row, every column, unchanged

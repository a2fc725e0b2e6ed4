"""A batch's statements run grouped (``projections.db.schedule``), not one by one in
batch order: the rows left in every table must be the same, on both backends."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any
from uuid import UUID

from hypothesis import example, given, settings
from hypothesis import strategies as st

from ledger import ids
from ledger.acts import Act
from ledger.application import Ledger
from ledger.assignment import Assignment
from ledger.calendar import ChineseCalendar
from ledger.store import StoreConfig
from projections import lookup
from projections.db import ReadStore, Statement, _shape, schedule
from projections.projector import Projector
from projections.tables import PROJECTIONS
from scheduler.tick import run_tick
from tests.golden.build import (
    BAOTOU,
    EDU,
    FIN,
    HOHHOT,
    HR,
    PROMOTION,
    STABLE,
    UNITS_AT,
    _take,
    at,
)
from tests.golden.build import schedule as golden_schedule
from tests.projections.helpers import dump, import_seeds

CALENDAR = ChineseCalendar()


class InOrderStore(ReadStore):
    """The reference: every statement in batch order (only consecutive repeats grouped),
    as the store applied batches before they were grouped."""

    def apply(self, statements: list[Statement], trackings: list, **_: Any) -> None:
        super().apply(statements, trackings, in_order=True)


def simulate(ledger: Ledger, store: ReadStore, last_day: date) -> None:
    """The seeds, then real scheduler ticks and the golden fixture's units' acts up to
    ``last_day`` (reports, a correction, an extension asked for and approved, chases),
    plus what the golden fixture lacks: a calendar adjustment, a rehearsal, 办结,
    reopening, withdrawal and reinstatement, a chase signed for."""
    clock = ledger.clock
    import_seeds(ledger)
    Projector(ledger, store, CALENDAR).catch_up()
    plans = {n: lookup.resolve_plan(store, n).plan_id for n in (STABLE, PROMOTION)}
    units = {n: lookup.resolve_unit(store, n).unit_id for n in (HR, EDU, FIN, HOHHOT, BAOTOU)}

    def assignment(plan: str, task: str, unit: str) -> UUID:
        return ids.assignment_id(ids.task_id(UUID(plans[plan]), task), UUID(units[unit]))

    calendar = ledger.working_calendar()
    steps = golden_schedule(calendar)
    reports: dict = {}
    requests: dict = {}
    office = Act.by(clock, "office-clerk", "office")
    day = date(2026, 6, 1)
    while day <= last_day:
        clock.instant = at(day, UNITS_AT)
        run_tick(ledger, store, day, wall=clock, simulated=False)
        for number, step in enumerate(s for s in steps if s.day == day):
            _take(ledger, clock, step, number, assignment(step.plan, step.task, step.unit),
                  reports, requests)
        if day == date(2026, 6, 10):
            office = Act.by(clock, "office-clerk", "office")
            ledger.adjust_calendar(office, marks=[(date(2026, 6, 27), "workday"),
                                                  (date(2026, 7, 6), "holiday")],
                                   note="调休")
            hohhot = assignment(PROMOTION, "1", HOHHOT)
            ledger.complete(office, hohhot, "办结")
            ledger.reopen(office, hohhot, "又有新情况")
            baotou = assignment(PROMOTION, "1", BAOTOU)
            ledger.withdraw(office, baotou, "调整分工")
            ledger.assign(office, ids.task_id(UUID(plans[PROMOTION]), "1"),
                          UUID(units[BAOTOU]), "co")
        if day == date(2026, 7, 2):
            run_tick(ledger, store, day + timedelta(days=9), wall=clock, simulated=True)
        day += timedelta(days=1)
    Projector(ledger, store, CALENDAR).catch_up()
    chased = [
        r for r in ledger.records()
        if isinstance(r.event, Assignment.ReminderIssued | Assignment.UrgeIssued)
    ]
    assert chased, "the ticks should have chased someone"
    liaison = Act.by(clock, "liaison", "liaison")
    first = chased[0]
    ledger.acknowledge_chase(liaison, first.event.originator_id, first.event_id, "收到")


def test_grouped_batches_write_the_same_rows_as_statements_in_order(
    ledger: Ledger, store_config: StoreConfig
) -> None:
    from api.services import create_kept_tables

    store = ReadStore(store_config, create_tables=True)
    create_kept_tables(store)  # the scheduler's outbox, as `db init` makes it
    reference = InOrderStore(store_config)
    try:
        simulate(ledger, store, date(2026, 8, 14))
        kinds = {type(r.event).__name__ for r in ledger.records()}
        assert {"ProgressCorrected", "ExtensionDecided", "DayMarked", "Reinstated",
                "ChaseAcknowledged", "Completed", "Reopened", "Withdrawn",
                "EscalatedToSupervisionPlatform"} <= kinds, kinds
        Projector(ledger, reference, CALENDAR).rebuild(batch_size=1000)
        expected = dump(reference)
        assert sum(len(rows) for rows in expected.values()) > 5000
        for batch_size in (5000, 1000, 97):
            Projector(ledger, store, CALENDAR).rebuild(batch_size=batch_size)
            assert dump(store) == expected, batch_size
        # the audit row is built without LedgerRecord.to_dict(): it must say the same
        audit = {row["position"]: row for row in store.query("SELECT * FROM {s}rm_audit")}
        for record in ledger.records():
            view, row = record.to_dict(), audit[record.position]
            assert json.loads(row["data"]) == view["data"]
            assert row["data"] == json.dumps(view["data"], ensure_ascii=False, sort_keys=True)
            for column in ("event_id", "type", "stream_type", "stream_id", "actor",
                           "actor_role", "correlation_id", "business_date", "recorded_at"):
                assert row[column] == view[column], (column, record.position)
            assert row["simulated"] == int(view["simulated"])
    finally:
        reference.close()
        store.close()


# ---- the scheduler against random batches ----------------------------------------------
# The handlers' own statements (copied: what matters is their shapes), on few rows so that
# the same row is touched often, with whole-table updates and a statement reading another
# table among them.
_OBLIGATION = (
    "INSERT INTO {s}rm_obligations (assignment_id, rule, period, plan_id, unit_id, "
    "task_number, period_start, due_on) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (assignment_id, rule, period) DO NOTHING"
)
_TEMPLATES: list[tuple[str, Any]] = [
    (_OBLIGATION, lambda n, a, p: (a, "rq"[n % 2], p, "plan", "u", "1", "2026-01-01",
                                   f"2026-0{n % 9 + 1}")),
    ("UPDATE {s}rm_obligations SET due_on = ? WHERE plan_id = ? AND rule = ? AND period = ?",
     lambda n, a, p: (f"2027-0{n % 9 + 1}", "plan", "r", p)),
    ("UPDATE {s}rm_obligations SET first_report_id = ?, first_report_on = ?, "
     "first_report_position = ? WHERE assignment_id = ? AND period = ? "
     "AND first_report_position IS NULL", lambda n, a, p: (f"rep{n}", "2026-05-01", n, a, p)),
    ("UPDATE {s}rm_obligations SET void_position = ? WHERE assignment_id = ? "
     "AND due_on > ? AND void_position IS NULL AND first_report_position IS NULL",
     lambda n, a, p: (n, a, "2026-04-01")),
    ("UPDATE {s}rm_obligations SET void_position = NULL WHERE assignment_id = ? "
     "AND due_on > ?", lambda n, a, p: (a, "2026-02-01")),
    ("UPDATE {s}rm_assignments SET status = COALESCE(?, status), position = ? "
     "WHERE assignment_id = ?", lambda n, a, p: (f"s{n}" if n % 3 else None, n, a)),
    ("UPDATE {s}rm_assignments SET reports = reports + 1, last_report_id = ?, "
     "position = ? WHERE assignment_id = ?", lambda n, a, p: (f"rep{n}", n, a)),
    ("UPDATE {s}rm_assignments SET urges = urges * 2 + 1, position = ? WHERE assignment_id = ?",
     lambda n, a, p: (n, a)),
    ("INSERT INTO {s}rm_extensions (request_id, assignment_id, obligation, period, "
     "requested_due_on, requested_on, reason, position) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
     lambda n, a, p: (f"req{n}", a, "qr"[n % 2], p, "2026-09-01", "2026-05-01", "延期", n)),
    ("UPDATE {s}rm_extensions SET decision = ?, obligation = ? WHERE assignment_id = ?",
     lambda n, a, p: (f"d{n}", "rq"[n % 3 % 2], a)),
    ("UPDATE {s}rm_obligations SET extended_to = ?, extended_by = ?, "
     "extension_position = ? WHERE assignment_id = ? AND rule = "
     "(SELECT obligation FROM {s}rm_extensions WHERE assignment_id = ? ORDER BY position "
     "DESC LIMIT 1) AND period = ?", lambda n, a, p: (f"2026-1{n % 3}", "office", n, a, a, p)),
    ("INSERT INTO {s}rm_calendar (day, mark, actor, position) VALUES (?, ?, ?, ?) "
     "ON CONFLICT (day) DO UPDATE SET mark = excluded.mark, actor = excluded.actor, "
     "position = excluded.position", lambda n, a, p: (p, f"m{n}", a, n)),
    ("INSERT INTO {s}rm_audit_links (position, plan_id, task_number) VALUES (?, ?, ?) "
     "ON CONFLICT DO NOTHING", lambda n, a, p: (n % 4, a, p)),
]
_ASSIGNMENTS = ["a1", "a2", "a3"]
_PERIODS = ["2026-01", "2026-02"]

statement_choices = st.lists(
    st.tuples(
        st.integers(0, len(_TEMPLATES) - 1),
        st.sampled_from(_ASSIGNMENTS),
        st.sampled_from(_PERIODS),
    ),
    max_size=60,
)


def _database() -> sqlite3.Connection:
    connection = sqlite3.connect(":memory:", isolation_level=None)
    for tables in PROJECTIONS.values():
        for _, ddl in tables:
            connection.execute(ddl.format(s=""))
    for assignment in _ASSIGNMENTS:
        connection.execute(
            "INSERT INTO rm_assignments (assignment_id, plan_id, task_id, task_number, "
            "unit_id, unit_name, role, status, source, assigned_on, position, "
            "assigned_position) VALUES "
            "(?, 'plan', 't', '1', 'u', 'n', 'lead', 'new', 'office', '2026-01-01', 0, 0)",
            (assignment,),
        )
    return connection


def _contents(connection: sqlite3.Connection) -> dict[str, list]:
    return {
        table: sorted(connection.execute(f"SELECT * FROM {table}").fetchall(), key=repr)
        for tables in PROJECTIONS.values()
        for table, _ in tables
    }


def _run(runs: Sequence[tuple[str, Sequence[Sequence[Any]]]]) -> dict[str, list]:
    connection = _database()
    for text, rows in runs:
        connection.executemany(text.format(s=""), rows)
    return _contents(connection)


@settings(max_examples=300, deadline=None)
@given(statement_choices)
# an obligation, an extension of it, the extension changed, then the statement that
# reads the extension: it must see the change
@example([(0, "a1", "2026-01"), (8, "a1", "2026-01"), (12, "a2", "2026-02"),
          (12, "a3", "2026-02"), (9, "a1", "2026-01"), (10, "a1", "2026-01")])
def test_grouping_a_batch_leaves_the_rows_statements_in_order_leave(choices) -> None:
    statements = [
        (_TEMPLATES[t][0], _TEMPLATES[t][1](n, a, p)) for n, (t, a, p) in enumerate(choices)
    ]
    one_by_one = [(text, [params]) for text, params in statements]
    runs = schedule(statements)
    assert sorted(map(repr, (p for _, rows in runs for p in rows))) == sorted(
        repr(p) for _, p in statements
    )
    assert _run(runs) == _run(one_by_one)


def test_the_scheduler_understands_the_handlers_common_statements() -> None:
    """Keyed by their row, not barriers: else nothing would be grouped."""
    assert _shape(_TEMPLATES[5][0]).key == 2  # the assignment, third parameter
    assert _shape(_TEMPLATES[2][0]).key == 3
    assert _shape(_OBLIGATION).key == 0
    assert _shape(_TEMPLATES[1][0]).key is None  # every assignment's obligations
    assert _shape(_TEMPLATES[10][0]).barrier  # reads rm_extensions
    assert _shape("DELETE FROM {s}rm_audit").barrier  # not understood
    audit = _shape(
        "INSERT INTO {s}rm_audit (position, event_id) VALUES (?, ?)"
    )
    assert audit.key == 0 and audit.columns == ("position", "event_id")
    many = [(_TEMPLATES[5][0], (None, n, _ASSIGNMENTS[n % 3])) for n in range(9)]
    many += [(_TEMPLATES[6][0], (f"r{n}", n, _ASSIGNMENTS[n % 3])) for n in range(9)]
    interleaved = [s for pair in zip(many[:9], many[9:], strict=True) for s in pair]
    assert len(schedule(interleaved)) == 6  # per assignment: status, report, ... in turn


def test_a_rebuild_stopped_half_way_leaves_its_indexes_to_the_next_catch_up(
    ledger: Ledger, store_config: StoreConfig
) -> None:
    """A rebuild drops the secondary indexes and makes them at its end; killed before,
    the next projector to apply anything makes them."""
    store = ReadStore(store_config, create_tables=True)
    try:
        import_seeds(ledger)
        Projector(ledger, store, CALENDAR).rebuild()
        assert not store.missing_indexes()
        store.drop_indexes(list(PROJECTIONS))  # as a rebuild killed mid-way leaves them
        assert store.missing_indexes()
        # the rows are still whole: a rebuild to position 10 stands at 10 everywhere
        Projector(ledger, store, CALENDAR).rebuild(upto=10)
        assert set(store.positions().values()) == {10}
        store.drop_indexes(["audit"])
        assert store.missing_indexes()
        assert Projector(ledger, store, CALENDAR).catch_up().applied > 0
        assert not store.missing_indexes()
    finally:
        store.close()

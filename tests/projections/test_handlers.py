"""The projections' write side: handlers by event class, the log read through the ledger's
public API, assignment status from the domain's one rule, rebuilding one projection."""

from __future__ import annotations

import re
import uuid
from datetime import date
from pathlib import Path

import pytest
from eventsourcing.persistence import StoredEvent

from ledger.acts import Act
from ledger.application import Ledger
from ledger.calendar import ChineseCalendar
from ledger.store import StoreConfig
from projections.db import ReadStore
from projections.projector import HANDLERS, Projector
from projections.tables import PROJECTIONS
from tests.ledger.world import EDU, FIN, HR, build_world
from tests.projections.helpers import dump

CALENDAR = ChineseCalendar()
PROJECTIONS_DIR = Path(__file__).resolve().parents[2] / "projections"


@pytest.fixture
def store(store_config: StoreConfig):
    read = ReadStore(store_config, create_tables=True)
    yield read
    read.close()


def _statuses(store: ReadStore) -> dict[str, str]:
    rows = store.query("SELECT assignment_id, status FROM {s}rm_assignments")
    return {row["assignment_id"]: row["status"] for row in rows}


def _domain_statuses(ledger: Ledger, assignments) -> dict[str, str]:
    return {str(a): ledger.get_assignment(a).status for a in assignments}


def test_the_projector_reads_the_log_only_through_the_ledgers_public_api() -> None:
    private = re.compile(
        r"ledger\.(recorder|mapper)\b|from ledger\.application import [^\n]*\b_\w+"
    )
    offenders = [
        f"{path.relative_to(PROJECTIONS_DIR)}:{number}"
        for path in sorted(PROJECTIONS_DIR.rglob("*.py"))
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if private.search(line)
    ]
    assert offenders == []


def test_each_projection_has_handlers_for_its_own_tables_only() -> None:
    assert [h.name for h in HANDLERS] == list(PROJECTIONS)
    owned = {name: {table for table, _ in tables} for name, tables in PROJECTIONS.items()}
    written = re.compile(r"(?:INSERT INTO|UPDATE) \{s\}(rm_\w+)")
    for handlers in HANDLERS:
        source = (PROJECTIONS_DIR / handlers.name / "handlers.py").read_text()
        assert set(written.findall(source)) <= owned[handlers.name], handlers.name


def test_a_page_of_the_log_moves_past_events_it_cannot_decode(
    ledger: Ledger, store: ReadStore
) -> None:
    build_world(ledger)
    before = ledger.position()
    ledger.recorder.insert_events(
        [StoredEvent(uuid.uuid4(), 1, "taskledger.future:BriefingTranslated", b"{}")]
    )
    page = ledger.read_page(before - 1, 10)
    assert [r.position for r in page.records] == [before]
    assert [(u.position, u.topic) for u in page.unreadable] == [
        (before + 1, "taskledger.future:BriefingTranslated")
    ]
    assert page.last == before + 1 and not page.full
    assert ledger.read_page(0, 3).full and ledger.read_page(0, 3).last == 3
    assert ledger.read_page(before + 1, 10).last is None


def test_read_model_status_follows_the_assignments_own(ledger: Ledger, store: ReadStore) -> None:
    world = build_world(ledger)
    projector = Projector(ledger, store, CALENDAR)
    act = world.office()
    hr_one, edu_one = world.assignments[("（一）", HR)], world.assignments[("（一）", EDU)]
    fin_two = world.assignments[("（二）", FIN)]
    rehearsal = Act("rehearsal", "office", "sim", ledger.clock.now(), date(2026, 8, 3),
                    simulated=True)
    steps = [
        lambda: ledger.report_progress(world.liaison(), hr_one, "2026-06", "进展"),
        lambda: ledger.complete(act, hr_one, "办结"),
        lambda: ledger.reopen(act, hr_one, "又有新情况"),
        lambda: ledger.withdraw(act, edu_one, "调整分工"),
        lambda: ledger.assign(act, world.task_one, world.units[EDU], "co"),  # reinstated
    ]
    for step in steps:
        step()
        projector.catch_up()
        assert _statuses(store) == _domain_statuses(ledger, world.assignments.values())
    # a rehearsed report moves the aggregate's status but not the real figures'
    ledger.report_progress(rehearsal, fin_two, "2026-07", "演练")
    ledger.withdraw(act, fin_two, "调整分工")
    ledger.assign(act, world.task_two, world.units[FIN], "lead")
    projector.catch_up()
    statuses = _statuses(store)
    assert statuses[str(hr_one)] == "in_progress"
    assert statuses[str(edu_one)] == "not_started"
    # the aggregate counts the rehearsed report; the read model, which leaves
    # rehearsals out, puts the unit back as not started
    assert ledger.get_assignment(fin_two).status == "in_progress"
    assert statuses[str(fin_two)] == "not_started"


@pytest.mark.parametrize("name", list(PROJECTIONS))
def test_rebuilding_one_projection_gives_the_same_tables(
    ledger: Ledger, store: ReadStore, name: str
) -> None:
    world = build_world(ledger)
    hr_one = world.assignments[("（一）", HR)]
    ledger.report_progress(world.liaison(), hr_one, "2026-06", "进展", {"培训": 10})
    ledger.complete(world.office(), hr_one, "办结")
    ledger.reopen(world.office(), hr_one, "又有新情况")
    Projector(ledger, store, CALENDAR).catch_up(batch_size=4)
    incremental = dump(store)
    # a projector that has run before (its facts stand at the head) and a fresh one
    Projector(ledger, store, CALENDAR).rebuild([name], batch_size=3)
    assert dump(store) == incremental
    assert set(store.positions().values()) == {ledger.position()}

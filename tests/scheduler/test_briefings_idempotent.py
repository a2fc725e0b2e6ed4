"""Briefings are idempotent: issued again with nothing new, the same briefing.

A briefing's position is what was known as of its as-of date (the last real event dated
on or before it, bookkeeping left out), so neither its own ``BriefingIssued``, nor the
daily tick's marker, nor anything dated later moves it: the same bytes, the same id,
nothing recorded. Every issued briefing goes into the briefings folder, where the API
serves it, whoever issued it (the CLI, with or without ``--out``, or a cycle).
On SQLite and PostgreSQL.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from uuid import UUID

import pytest

from ledger import ids
from ledger.acts import Act
from ledger.application import Ledger, open_ledger
from ledger.briefing import Briefing
from ledger.clock import FixedClock, SimulatedClock
from ledger.cycle import Cycle
from ledger.errors import ConflictError
from ledger.store import StoreConfig
from projections import lookup
from projections.db import ReadStore
from projections.projector import Projector
from scheduler.briefings import BriefingConfig, issue_briefing
from scheduler.outbox import create_tables as create_outbox
from scheduler.tick import SCHEDULER_ACTOR, TICK_KIND, briefing_hook, run_tick
from tests.api.conftest import seeded_api
from tests.projections.helpers import import_seeds

pytestmark = pytest.mark.skipif(
    shutil.which("pdftotext") is None, reason="poppler-utils (pdftotext) is not installed"
)

AS_OF = date(2026, 7, 20)
HR = "自治区人力资源社会保障厅"
TASKLEDGER = str(Path(sys.executable).with_name("taskledger"))


def known_on(ledger: Ledger, day: date) -> int:
    """The position a briefing as of ``day`` should carry, by brute force over the log."""
    bookkeeping = ("Cycle.Ran", "Briefing.Issued", "Unit.ChasersDelivered",
                   "Unit.ChasersUndelivered")
    return max((r.position for r in ledger.records()
                if r.event.business_date <= day and not r.event.simulated
                and type(r.event).__qualname__ not in bookkeeping), default=0)


@dataclass
class World:
    ledger: Ledger
    store: ReadStore
    clock: FixedClock
    assignment: UUID


@pytest.fixture
def world(store_config: StoreConfig) -> Iterator[World]:
    clock = FixedClock(datetime(2026, 7, 20, 1, 0, tzinfo=UTC))
    ledger = open_ledger(store_config, clock=clock, create_tables=True)
    store = ReadStore(store_config, create_tables=True)
    create_outbox(store)  # as `taskledger db init` makes it
    import_seeds(ledger)
    Projector(ledger, store).catch_up()
    plan = lookup.resolve_plan(store, "稳岗扩容").plan_id
    unit = lookup.resolve_unit(store, HR).unit_id
    assignment = ids.assignment_id(ids.task_id(UUID(plan), "（十一）"), UUID(unit))
    liaison = Act.by(clock, "liaison:hr", "liaison", business_date=date(2026, 7, 3))
    ledger.report_progress(liaison, assignment, "2026-Q2", "二季度创业培训9800人。",
                           {"创业培训": 9800})
    yield World(ledger, store, clock, assignment)
    store.close()
    ledger.close()


def _issue(world: World, folder: Path, act: Act | None = None):
    calendar = world.ledger.working_calendar()
    return issue_briefing(world.ledger, world.store, calendar, "monthly", "2026-07",
                          as_of=AS_OF, folder=folder, act=act)


def test_reissued_after_a_tick_is_the_same_briefing(world: World, tmp_path: Path) -> None:
    ledger, folder = world.ledger, tmp_path / "briefings"
    first, path, receipt = _issue(world, folder)
    assert receipt is not None and receipt.created
    assert first.position == known_on(ledger, AS_OF) and first.position < ledger.position()
    assert path == folder / first.filename and path.read_bytes() == first.pdf
    assert receipt.stream_id == ids.briefing_id("monthly", "2026-07", AS_OF, first.position)

    def same_again() -> None:
        head = ledger.position()
        again, again_path, again_receipt = _issue(world, folder)
        assert again.sha256 == first.sha256 and again.pdf == first.pdf
        assert again.position == first.position
        assert again_receipt is not None and not again_receipt.created
        assert again_receipt.stream_id == receipt.stream_id and again_path == path
        assert ledger.position() == head  # nothing recorded
        assert hashlib.sha256(path.read_bytes()).hexdigest() == first.sha256

    same_again()  # its own BriefingIssued does not move it

    # the daily tick of the as-of day itself (its marker is dated 2026-07-20) and of the
    # next day (real chasers and a marker dated 2026-07-21): still the same briefing
    before = ledger.position()
    for day in (AS_OF, date(2026, 7, 21)):
        wall = FixedClock(datetime(day.year, day.month, day.day, 1, 0, tzinfo=UTC))
        run_tick(ledger, world.store, day, wall=wall, simulated=False)
    recorded = [r.event for r in ledger.records(after=before)]
    assert [e.period for e in recorded if isinstance(e, Cycle.Ran) and e.kind == TICK_KIND] \
        == ["2026-07-20", "2026-07-21"]
    assert all(e.business_date > AS_OF for e in recorded if not isinstance(e, Cycle.Ran))
    same_again()

    # a rehearsal dated before the as-of day, and a real report dated after it
    rehearsal = FixedClock(datetime(2026, 7, 21, 2, 0, tzinfo=UTC))
    run_tick(ledger, world.store, date(2026, 7, 10), wall=rehearsal, simulated=True)
    late = Act.by(rehearsal, "liaison:hr", "liaison", business_date=date(2026, 7, 21))
    ledger.report_progress(late, world.assignment, "2026-07", "七月进展：新建孵化基地2家。")
    assert any(r.event.simulated and r.event.business_date <= AS_OF
               for r in ledger.records(after=before))
    same_again()

    # something new dated on or before the as-of day is a new briefing
    backdated = Act.by(rehearsal, "liaison:hr", "liaison", business_date=AS_OF)
    ledger.report_progress(backdated, world.assignment, "2026-06", "六月进展补报。")
    newer, newer_path, newer_receipt = _issue(world, folder)
    assert newer_receipt is not None and newer_receipt.created
    assert newer.position == known_on(ledger, AS_OF) > first.position
    assert newer.sha256 != first.sha256 and newer_path != path
    assert path.read_bytes() == first.pdf  # the first briefing's file is still served


def test_a_rehearsal_briefing_has_its_own_id(world: World, tmp_path: Path) -> None:
    folder = tmp_path / "briefings"
    real, _, real_receipt = _issue(world, folder)
    rehearsal = Act.by(SimulatedClock(date(2026, 7, 21), wall=world.clock), "scheduler",
                       "system", business_date=date(2026, 7, 21))
    simulated, _, receipt = _issue(world, folder, act=rehearsal)
    assert receipt is not None and receipt.created and real_receipt is not None
    assert receipt.stream_id != real_receipt.stream_id
    assert receipt.stream_id == ids.briefing_id("monthly", "2026-07", AS_OF, real.position,
                                                "simulated")
    assert simulated.sha256 == real.sha256  # a rehearsal changes no real figure
    head = world.ledger.position()
    _, _, again = _issue(world, folder, act=rehearsal)
    assert again is not None and not again.created and world.ledger.position() == head
    issued = [r.event for r in world.ledger.records() if isinstance(r.event, Briefing.Issued)]
    assert [e.simulated for e in issued] == [False, True]

    # the same briefing rendered to other bytes (here: quotes cut short) is refused,
    # and the file the ledger vouches for stays as it was
    served = folder / issued[0].filename
    with pytest.raises(ConflictError, match=real.sha256):
        issue_briefing(world.ledger, world.store, world.ledger.working_calendar(), "monthly",
                       "2026-07", as_of=AS_OF, folder=folder,
                       config=BriefingConfig(quote_chars=4))
    assert served.read_bytes() == real.pdf and world.ledger.position() == head


def test_a_cycles_briefing_is_the_clerks_briefing(world: World, tmp_path: Path) -> None:
    """The monthly dispatch of 2026-07-01 issues June's briefing into the folder; a clerk
    issuing June's briefing afterwards gets that same briefing, and nothing is recorded."""
    folder = tmp_path / "briefings"
    day = date(2026, 7, 1)
    wall = FixedClock(datetime(2026, 7, 1, 1, 0, tzinfo=UTC))
    hook = briefing_hook(world.ledger, world.store, folder,
                         lambda d: Act.by(wall, SCHEDULER_ACTOR, "system", business_date=d))
    report = run_tick(world.ledger, world.store, day, wall=wall, simulated=False,
                      after_cycle=hook)
    assert [c["kind"] for c in report.cycles] == ["monthly"]
    (issued,) = [r.event for r in world.ledger.records() if isinstance(r.event, Briefing.Issued)]
    assert (issued.kind, issued.period, issued.as_of) == ("monthly", "2026-06", date(2026, 6, 30))
    assert issued.actor == SCHEDULER_ACTOR
    assert issued.position == known_on(world.ledger, date(2026, 6, 30))
    served = (folder / issued.filename).read_bytes()
    assert hashlib.sha256(served).hexdigest() == issued.sha256

    head = world.ledger.position()
    clerk = Act.by(world.clock, "office-clerk", "office")
    briefing, path, receipt = issue_briefing(
        world.ledger, world.store, world.ledger.working_calendar(), "monthly", "2026-06",
        folder=folder, act=clerk)
    assert receipt is not None and not receipt.created
    assert receipt.stream_id == issued.originator_id and briefing.pdf == served
    assert path == folder / issued.filename and world.ledger.position() == head


# ---- the command line and the API ---------------------------------------------------------
def _cli(config: StoreConfig, folder: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONUTF8": "1", "TASKLEDGER_BRIEFINGS_DIR": str(folder)}
    return subprocess.run([TASKLEDGER, "--database-url", config.url, *args],
                          capture_output=True, text=True, cwd=cwd, env=env, timeout=300)


def test_cli_briefing_is_served_by_the_api(
    store_config: StoreConfig, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seeded = seeded_api(store_config)
    svc = seeded.app.extensions["taskledger"]
    folder = tmp_path / "served"
    monkeypatch.setenv("TASKLEDGER_BRIEFINGS_DIR", str(folder))
    try:
        briefing = ["briefing", "monthly", "--period", "2026-07", "--as-of", AS_OF.isoformat()]
        first = _cli(store_config, folder, *briefing, cwd=tmp_path)
        assert first.returncode == 0, first.stderr
        assert "recorded BriefingIssued" in first.stdout and "copy" not in first.stdout
        (issued,) = [r.event for r in svc.ledger.records() if isinstance(r.event, Briefing.Issued)]
        on_disk = (folder / issued.filename).read_bytes()
        assert hashlib.sha256(on_disk).hexdigest() == issued.sha256
        assert f"written to {folder / issued.filename}" in first.stdout

        office = seeded.headers("office")
        listed = seeded.client.get("/api/v1/briefings", headers=office)
        assert listed.status_code == 200
        assert [i["briefing_id"] for i in listed.get_json()["items"]] == [
            str(issued.originator_id)]
        pdf = seeded.client.get(f"/api/v1/briefings/{issued.originator_id}/pdf", headers=office)
        assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
        assert pdf.data == on_disk

        # the real daily tick (today, on the system clock), then the same briefing again,
        # with a copy: the same bytes, nothing recorded
        ticked = _cli(store_config, folder, "tick", "--json", cwd=tmp_path)
        assert ticked.returncode == 0, ticked.stderr
        head = svc.ledger.position()
        again = _cli(store_config, folder, *briefing, "--out", "copy.pdf", cwd=tmp_path)
        assert again.returncode == 0, again.stderr
        assert "already recorded BriefingIssued" in again.stdout
        assert (tmp_path / "copy.pdf").read_bytes() == on_disk
        assert (folder / issued.filename).read_bytes() == on_disk
        assert svc.ledger.position() == head

        # --out naming a directory: one line, exit 2, nothing written
        (tmp_path / "a-folder").mkdir()
        wrong = _cli(store_config, folder, *briefing, "--out", "a-folder", cwd=tmp_path)
        assert wrong.returncode == 2, wrong
        assert len(wrong.stderr.strip().splitlines()) == 1 and "directory" in wrong.stderr
        assert "Traceback" not in wrong.stderr and list((tmp_path / "a-folder").iterdir()) == []
        unrecorded = _cli(store_config, folder, *briefing, "--no-record", cwd=tmp_path)
        assert unrecorded.returncode == 2 and "--out" in unrecorded.stderr
        assert svc.ledger.position() == head
    finally:
        svc.close()

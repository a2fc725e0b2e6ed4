"""Corrections in the read models, on SQLite and PostgreSQL: a report's values after
its corrections, the chain in the audit trail, on-time status kept, rebuild = incremental."""

from __future__ import annotations

from datetime import date
from uuid import UUID

import pytest

from ledger import ids
from ledger.acts import Act
from ledger.application import Ledger
from ledger.calendar import ChineseCalendar
from ledger.store import StoreConfig
from projections import lookup, queries
from projections.db import ReadStore
from projections.projector import Projector
from projections.views import open_view
from tests.ledger.test_corrections import store_v1_correction
from tests.projections.helpers import dump, import_seeds

HR = "自治区人力资源社会保障厅"
EDU = "自治区教育厅"
CALENDAR = ChineseCalendar()


@pytest.fixture
def store(ledger: Ledger, store_config: StoreConfig):
    read = ReadStore(store_config, create_tables=True)
    yield read
    read.close()


def assignment_of(ledger: Ledger, store: ReadStore, task: str, unit: str) -> UUID:
    plan_id = lookup.resolve_plan(store, "稳岗扩容").plan_id
    unit_id = lookup.resolve_unit(store, unit).unit_id
    return ledger.assignment_of(ids.task_id(UUID(plan_id), task), UUID(unit_id)).id


@pytest.fixture
def world(ledger: Ledger, store: ReadStore):
    """HR reports 2026-Q2 on (十一) on 2026-07-03 (due 07-07: on time); education on
    07-10 (late). It is now 2026-07-20: every correction below comes after the due date."""
    import_seeds(ledger)
    ledger.clock.advance(days=19)
    Projector(ledger, store, CALENDAR).catch_up()
    hr = assignment_of(ledger, store, "（十一）", HR)
    edu = assignment_of(ledger, store, "（十一）", EDU)
    on_time = ledger.report_progress(
        Act.by(ledger.clock, "liaison:hr", "liaison", business_date=date(2026, 7, 3)),
        hr, "2026-Q2", "创业培训8000人", {"创业培训": 8000, "创业担保贷款": 300_000_000},
    )
    late = ledger.report_progress(
        Act.by(ledger.clock, "liaison:edu", "liaison", business_date=date(2026, 7, 10)),
        edu, "2026-Q2", "培训2000人", {"创业培训": 2000},
    )
    return {"hr": hr, "edu": edu, "on_time": on_time.event_id, "late": late.event_id}


def corrected(ledger: Ledger, world: dict) -> list:
    """Three corrections of HR's report, each building on the last."""
    clerk = Act.by(ledger.clock, "clerk", "office")
    wording = ledger.correct_progress(clerk, world["hr"], world["on_time"],
                                      "创业培训8000人（含线上2000人）", None, "补充说明")
    loans = ledger.correct_progress(clerk, world["hr"], wording.event_id, None,
                                    {"创业担保贷款": None, "创业培训": 8200}, "贷款另报")
    again = ledger.correct_progress(clerk, world["hr"], loans.event_id, None,
                                    {"创业培训": 8300}, "再次核对")
    return [wording.event_id, loans.event_id, again.event_id]


def test_a_report_reads_with_its_corrections(ledger: Ledger, store: ReadStore, world) -> None:
    chain = corrected(ledger, world)
    with open_view(ledger, store, CALENDAR) as view:
        listed = queries.assignment_reports(view, str(world["hr"]))
        targets = queries.target_progress(view)
    (report,) = listed
    assert report["report_id"] == str(world["on_time"])
    assert report["original"] == {
        "narrative": "创业培训8000人",
        "metrics": {"创业培训": 8000, "创业担保贷款": 300_000_000},
    }
    assert report["current"] == {"narrative": "创业培训8000人（含线上2000人）",
                                 "metrics": {"创业培训": 8300}}
    assert [c["correction_id"] for c in report["corrections"]] == [str(e) for e in chain]
    assert [c["corrects"] for c in report["corrections"]] == [
        str(world["on_time"]), str(chain[0]), str(chain[1])]
    assert [(c["narrative"], c["metrics"]) for c in report["corrections"]] == [
        ("创业培训8000人（含线上2000人）", {}),
        (None, {"创业担保贷款": None, "创业培训": 8200}),
        (None, {"创业培训": 8300}),
    ]
    assert report["corrections"][1]["resulting_metrics"] == {"创业培训": 8200}
    assert not any(c["replaces_metrics"] for c in report["corrections"])
    assert report["corrections"][0]["business_date"] == "2026-07-20"  # after the due date
    # on time stays with the report: its own date, not its corrections'
    assert report["on_time"] is True
    assert [(o["rule"], o["status"]) for o in report["obligations"]] == [
        ("implementation-report-quarterly", "submitted_on_time")]
    # the office's figures use the corrected values: 8,300 + education's 2,000
    training = next(t for t in targets if t["indicator"] == "创业培训")
    assert training["actual"] == 10_300
    loans = next(t for t in targets if t["indicator"] == "创业担保贷款")
    assert loans["actual"] is None  # the only figure for it was removed


def test_on_time_status_is_not_moved_by_late_corrections(
    ledger: Ledger, store: ReadStore, world
) -> None:
    corrected(ledger, world)
    clerk = Act.by(ledger.clock, "clerk", "office")
    ledger.correct_progress(clerk, world["edu"], world["late"], None, {"创业培训": 2100}, "核对")
    with open_view(ledger, store, CALENDAR, as_of=date(2026, 7, 20)) as view:
        statuses = {
            (r["unit_name"], r["period"]): (r["status"], r["working_days_late"])
            for r in queries.obligations(view)
            if r["task_number"] == "（十一）" and r["rule"] == "implementation-report-quarterly"
        }
        cards = {c["unit"]: c for c in queries.scorecard(view)}
        late = queries.assignment_reports(view, str(world["edu"]))
    assert statuses[(HR, "2026-Q2")] == ("submitted_on_time", 0)
    assert statuses[(EDU, "2026-Q2")] == ("submitted_late", 3)
    assert cards[HR]["on_time"] == 1
    assert late[0]["on_time"] is False
    assert late[0]["obligations"][0]["working_days_late"] == 3
    assert late[0]["current"]["metrics"] == {"创业培训": 2100}


def test_the_audit_trail_shows_the_chain(ledger: Ledger, store: ReadStore, world) -> None:
    chain = corrected(ledger, world)
    with open_view(ledger, store, CALENDAR) as view:
        trail = queries.audit_trail(view, task="（十一）", unit=HR, plan="稳岗扩容")
    by_id = {row["event_id"]: row for row in trail}
    report = by_id[str(world["on_time"])]
    assert [c["event_id"] for c in report["corrected_by"]] == [str(e) for e in chain]
    assert [c["corrects"] for c in report["corrected_by"]] == [
        str(world["on_time"]), str(chain[0]), str(chain[1])]
    for event, corrects in zip(chain, [world["on_time"], *chain[:2]], strict=True):
        row = by_id[str(event)]
        assert row["corrects"] == str(corrects) and row["report"] == str(world["on_time"])
        assert row["data"]["report"] == str(world["on_time"])
    assert by_id[str(chain[1])]["summary"] == (
        "correction (贷款另报): 创业担保贷款 removed; 创业培训=8200")


def test_a_view_before_the_corrections_reads_the_report_as_first_made(
    ledger: Ledger, store: ReadStore, world
) -> None:
    before = ledger.position()
    corrected(ledger, world)
    with open_view(ledger, store, CALENDAR, position=before) as view:
        assert not view.current
        (report,) = queries.assignment_reports(view, str(world["hr"]))
    assert report["corrections"] == []
    assert report["current"] == report["original"] == {
        "narrative": "创业培训8000人",
        "metrics": {"创业培训": 8000, "创业担保贷款": 300_000_000},
    }


def test_rebuilt_tables_equal_incremental_ones_with_old_and_new_corrections(
    ledger: Ledger, store: ReadStore, world
) -> None:
    clerk = Act.by(ledger.clock, "clerk", "office")
    # a correction as the previous release stored it, then partial ones on top of it
    old = store_v1_correction(ledger, clerk, world["edu"], world["late"], "培训2100人",
                              {"创业培训": 2100}, "旧版更正")
    ledger.correct_progress(clerk, world["edu"], old, None, {"就业见习": 12}, "补报")
    Projector(ledger, store, CALENDAR).catch_up(batch_size=1)  # one event per batch
    chain = corrected(ledger, world)
    Projector(ledger, store, CALENDAR).catch_up(batch_size=1000)
    incremental = dump(store)
    assert len(incremental["rm_corrections"]) == 2 + len(chain)
    with open_view(ledger, store, CALENDAR) as view:
        (late,) = queries.assignment_reports(view, str(world["edu"]))
    assert late["corrections"][0]["replaces_metrics"] is True
    assert late["current"] == {"narrative": "培训2100人",
                               "metrics": {"创业培训": 2100, "就业见习": 12}}
    assert late["original"]["metrics"] == {"创业培训": 2000}
    Projector(ledger, store, CALENDAR).rebuild()
    assert dump(store) == incremental

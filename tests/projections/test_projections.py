"""Read models built from the ledger: the office's everyday questions, on both backends."""

from __future__ import annotations

from datetime import date

import pytest

from ledger import ids
from ledger.acts import Act
from ledger.application import Ledger
from ledger.calendar import ChineseCalendar
from ledger.errors import InvalidInput, UnknownUnit
from ledger.store import StoreConfig
from projections import lookup, queries
from projections.db import ReadStore
from projections.projector import Projector
from projections.views import open_view
from tests.projections.helpers import dump, import_seeds

HR = "自治区人力资源社会保障厅"
CALENDAR = ChineseCalendar()


@pytest.fixture
def store(ledger: Ledger, store_config: StoreConfig):
    read = ReadStore(store_config, create_tables=True)
    yield read
    read.close()


def assignment(ledger: Ledger, store: ReadStore, plan: str, task: str, unit: str):
    plan_id = lookup.resolve_plan(store, plan).plan_id
    unit_id = lookup.resolve_unit(store, unit).unit_id
    from uuid import UUID

    return ledger.assignment_of(ids.task_id(UUID(plan_id), task), UUID(unit_id)).id


def report(ledger, store, plan, task, unit, period, narrative, metrics=None, day=None):
    act = Act.by(ledger.clock, f"liaison:{unit}", "liaison", business_date=day)
    return ledger.report_progress(
        act, assignment(ledger, store, plan, task, unit), period, narrative, metrics
    )


@pytest.fixture
def seeded(ledger: Ledger, store: ReadStore):
    import_seeds(ledger)
    ledger.clock.advance(days=19)  # now 2026-07-20 in Shanghai
    Projector(ledger, store, CALENDAR).catch_up()
    # HR reports Q2 on time for (十一); education reports late; nobody else reports
    report(
        ledger,
        store,
        "稳岗扩容",
        "（十一）",
        HR,
        "2026-Q2",
        "创业培训8000人",
        {"创业培训": 8000, "创业担保贷款": 300_000_000},
        date(2026, 7, 3),
    )
    report(
        ledger,
        store,
        "稳岗扩容",
        "（十一）",
        "教育厅",
        "2026-Q2",
        "培训2000人",
        {"创业培训": 2000},
        date(2026, 7, 10),
    )
    Projector(ledger, store, CALENDAR).catch_up()
    return ledger


def view(ledger, store, **kwargs):
    return open_view(ledger, store, CALENDAR, **kwargs)


def test_responsibility_list_by_any_alias(seeded: Ledger, store: ReadStore) -> None:
    with view(seeded, store) as v:
        by_alias = queries.responsibilities(v, unit="人力资源和社会保障厅")
        by_name = queries.responsibilities(v, unit=HR)
    assert by_alias == by_name
    assert len(by_alias) == 31  # 17 tasks of 000 and 14 of 001
    roles = {(r["plan_title"][:7], r["task_number"]): r["role"] for r in by_alias}
    assert roles[("内蒙古自治区稳", "（一）")] == "lead"
    assert roles[("内蒙古自治区稳", "（十七）")] == "co"  # a member of the leading group
    assert roles[("内蒙古自治区就", "1")] == "co"
    eleven = next(r for r in by_alias if r["task_number"] == "（十一）")
    assert (eleven["status"], eleven["last_report_period"], eleven["reports"]) == (
        "in_progress",
        "2026-Q2",
        1,
    )
    # next owed: the Q3 report, due 2026-10-13 after National Day
    assert (eleven["next_period"], eleven["next_due_on"]) == ("2026-Q3", "2026-10-13")
    with pytest.raises(UnknownUnit):
        queries.responsibilities(v, unit="不存在的单位")


def test_units_per_task(seeded: Ledger, store: ReadStore) -> None:
    with view(seeded, store) as v:
        rows = queries.responsibilities(v, task="（十一）", plan="稳岗扩容")
    assert rows[0]["unit_name"] == HR and rows[0]["role"] == "lead"
    assert {r["role"] for r in rows[1:]} == {"co"}
    assert len(rows) == 19  # lead, 6 co-units, 12 leagues and cities


def test_overdue_as_of_a_date(seeded: Ledger, store: ReadStore) -> None:
    with view(seeded, store, as_of=date(2026, 7, 20)) as v:
        late = queries.overdue(v)
    q2 = [
        r for r in late if r["period"] == "2026-Q2" and r["plan_title"].startswith("内蒙古自治区稳")
    ]
    owing = {(r["unit_name"], r["task_number"]) for r in q2}
    assert (HR, "（十一）") not in owing  # reported on time
    assert ("自治区教育厅", "（十一）") not in owing  # reported, late
    assert (HR, "（一）") in owing and ("呼和浩特市", "（十一）") in owing
    # due 2026-07-07; by 2026-07-20 that is 9 working days
    assert {r["working_days_late"] for r in q2} == {9}
    assert late == sorted(late, key=lambda r: -r["working_days_late"])  # most severe first
    with view(seeded, store, as_of=date(2026, 7, 7)) as v:
        assert not [r for r in queries.overdue(v) if r["period"] == "2026-Q2"]


def test_obligation_statuses(seeded: Ledger, store: ReadStore) -> None:
    with view(seeded, store, as_of=date(2026, 7, 20)) as v:
        rows = queries.obligations(v, unit="教育厅")
    eleven = next(r for r in rows if r["task_number"] == "（十一）" and r["period"] == "2026-Q2")
    assert (eleven["status"], eleven["working_days_late"]) == ("submitted_late", 3)
    hr = queries_for(seeded, store, HR, date(2026, 7, 20))
    assert hr[("（十一）", "2026-Q2")] == ("submitted_on_time", 0)
    assert hr[("（十一）", "2026-Q3")] == ("open", 0)


def queries_for(ledger, store, unit, day):
    with view(ledger, store, as_of=day) as v:
        return {
            (r["task_number"], r["period"]): (r["status"], r["working_days_late"])
            for r in queries.obligations(v, unit=unit)
            if r["rule"].startswith("implementation-report")
        }


def test_extension_moves_the_due_date(seeded: Ledger, store: ReadStore) -> None:
    target = assignment(seeded, store, "稳岗扩容", "（三）", "商务厅")
    office = Act.by(seeded.clock, "office", "office", business_date=date(2026, 7, 1))
    request = seeded.request_extension(
        office, target, "implementation-report-quarterly", "2026-Q2", date(2026, 7, 24), "数据核对"
    )
    seeded.decide_extension(office, target, request.event_id, approved=True)
    with view(seeded, store, as_of=date(2026, 7, 20)) as v:
        statuses = {
            (r["task_number"], r["period"], r["rule"]): r["status"]
            for r in queries.obligations(v, unit="商务厅")
        }
    assert statuses[("（三）", "2026-Q2", "implementation-report-quarterly")] == "extended"
    assert statuses[("（二）", "2026-Q2", "implementation-report-quarterly")] == "overdue"


def test_target_progress(seeded: Ledger, store: ReadStore) -> None:
    with view(seeded, store, as_of=date(2026, 7, 20)) as v:
        rows = queries.target_progress(v)
    training = next(r for r in rows if r["indicator"] == "创业培训")
    assert training["actual"] == 10_000 and training["additive"]
    assert training["percent"] == 50.0  # of 20,000 a year
    assert 50 < training["expected_percent"] < 56  # 2026-07-20 is 55% through the year
    assert training["light"] == "red"  # (十一) has overdue reports
    loans = next(r for r in rows if r["indicator"] == "创业担保贷款")
    assert loans["percent"] == 30.0


def test_scorecard(seeded: Ledger, store: ReadStore) -> None:
    with view(seeded, store, as_of=date(2026, 7, 20)) as v:
        cards = {c["unit"]: c for c in queries.scorecard(v)}
    edu = cards["自治区教育厅"]
    assert edu["reports_made"] == 1 and edu["on_time"] == 0
    assert edu["reports_due"] > edu["reports_made"]
    assert cards[HR]["on_time"] == 1


def test_as_of_and_position_read_the_same_forever(seeded: Ledger, store: ReadStore) -> None:
    head = seeded.position()
    with view(seeded, store, as_of=date(2026, 7, 20), position=head) as v:
        before = queries.overdue(v)
        responsibilities_before = queries.responsibilities(v, unit=HR)
    # later facts, five days on: more reports, a withdrawal
    seeded.clock.advance(days=5)  # now 2026-07-25 in Shanghai
    report(seeded, store, "稳岗扩容", "（一）", HR, "2026-Q2", "补报", None, date(2026, 7, 25))
    seeded.withdraw(
        Act.by(seeded.clock, "office", "office"),
        assignment(seeded, store, "稳岗扩容", "（二）", "商务厅"),
        "调整",
    )
    with view(seeded, store, as_of=date(2026, 7, 20), position=head) as v:
        assert not v.current
        assert queries.overdue(v) == before
        assert queries.responsibilities(v, unit=HR) == responsibilities_before
    with view(seeded, store, as_of=date(2026, 7, 26)) as v:
        late = {
            (r["unit_name"], r["task_number"], r["period"]) for r in queries.overdue(v)
        }
    assert (HR, "（一）", "2026-Q2") not in late
    assert ("自治区商务厅", "（二）", "2026-Q3") not in late
    with pytest.raises(InvalidInput), view(seeded, store, position=head + 100):
        pass


def test_audit_trail_shows_corrections_beside_reports(seeded: Ledger, store: ReadStore) -> None:
    first = report(seeded, store, "稳岗扩容", "（五）", HR, "2026-06", "初报")
    target = assignment(seeded, store, "稳岗扩容", "（五）", HR)
    fix = seeded.correct_progress(
        Act.by(seeded.clock, "clerk", "office"), target, first.event_id, "更正", {"x": 1}, "笔误"
    )
    with view(seeded, store) as v:
        trail = queries.audit_trail(v, task="（五）", unit="人力资源和社会保障厅")
        by_actor = queries.audit_trail(v, actor="clerk")
    assert [r["type"] for r in trail] == ["Assigned", "ProgressReported", "ProgressCorrected"]
    assert trail[1]["corrected_by"][0]["event_id"] == str(fix.event_id)
    assert trail[2]["corrects"] == str(first.event_id)
    assert [r["type"] for r in by_actor] == ["ProgressCorrected"]


def test_rebuild_gives_identical_tables(seeded: Ledger, store: ReadStore) -> None:
    before = dump(store)
    assert before["rm_reports"] and before["rm_obligations"]
    stats = Projector(seeded, store, CALENDAR).rebuild()
    assert stats.applied == seeded.position()
    assert dump(store) == before
    Projector(seeded, store, CALENDAR).rebuild(["accountability"])
    assert dump(store) == before


def test_an_acknowledged_chase_in_the_read_models(seeded: Ledger, store: ReadStore) -> None:
    """rm_chases says who signed for (签收) a chase and when; the audit trail shows it."""
    target = assignment(seeded, store, "稳岗扩容", "（一）", HR)
    office = Act.by(seeded.clock, "office", "office")
    rule = "implementation-report-quarterly"
    urge = seeded.issue_urge(office, target, rule, "2026-Q2", date(2026, 7, 7), "逾期未报")
    reminder = seeded.issue_reminder(office, target, rule, "2026-Q3", date(2026, 10, 13), "提醒")
    signed = seeded.acknowledge_chase(Act.by(seeded.clock, "liaison:hr", "liaison"), target,
                                      urge.event_id, "已收到")
    seeded.acknowledge_chase(office, target, urge.event_id, "再签一次")  # records nothing
    Projector(seeded, store, CALENDAR).catch_up()
    rows = {
        r["event_id"]: r
        for r in store.query(
            "SELECT event_id, kind, state, acknowledged_on, acknowledged_by, acknowledgement_id "
            "FROM {s}rm_chases WHERE assignment_id = ?",
            [str(target)],
        )
    }
    assert rows[str(urge.event_id)] == {
        "event_id": str(urge.event_id), "kind": "urge", "state": None,
        "acknowledged_on": "2026-07-20", "acknowledged_by": "liaison:hr",
        "acknowledgement_id": str(signed.event_id),
    }
    assert rows[str(reminder.event_id)]["acknowledgement_id"] is None
    with view(seeded, store) as v:
        trail = queries.audit_trail(v, task="（一）", unit=HR, plan="稳岗扩容")
    assert [(r["type"], r["summary"]) for r in trail[-1:]] == [
        ("ChaseAcknowledged", f"urge {rule} 2026-Q2 acknowledged (签收): 已收到")
    ]
    before = dump(store)
    Projector(seeded, store, CALENDAR).rebuild(["accountability"])
    assert dump(store) == before

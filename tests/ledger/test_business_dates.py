"""Real business dates never lie ahead, nor before the assignment they are about.

A real act counts for a day that has come (Asia/Shanghai, from the injected clock); on an
assignment, for a day since it began (its ``Assigned`` business date). Simulated acts
(the office's time travel) may be dated anywhere. On SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from ledger.acts import Act
from ledger.application import Ledger
from ledger.clock import FixedClock, SimulatedClock
from ledger.errors import InvalidBusinessDate
from tests.ledger.world import EDU, HR, build_world

# The shared clock stands at 2026-07-01 09:00 in Shanghai; the world's document is dated
# 2026-05-09, so its assignments began that day.
TODAY = date(2026, 7, 1)


def test_an_act_may_not_count_for_a_day_that_has_not_come() -> None:
    clock = FixedClock(datetime(2026, 7, 1, 1, tzinfo=UTC))
    assert Act.by(clock, "clerk", "office", business_date=TODAY).business_date == TODAY
    with pytest.raises(InvalidBusinessDate, match="2026-07-02 is after today \\(2026-07-01\\)"):
        Act.by(clock, "clerk", "office", business_date=date(2026, 7, 2))
    act = Act.by(clock, "clerk", "office")
    with pytest.raises(InvalidBusinessDate):
        act.on(date(2026, 7, 2))  # re-dating an act is checked too
    assert act.on(date(2026, 5, 9)).business_date == date(2026, 5, 9)  # the past is fine


def test_today_is_the_day_in_shanghai_not_in_utc() -> None:
    # 2026-07-01 17:30 UTC is already 2026-07-02 01:30 in Shanghai
    clock = FixedClock(datetime(2026, 7, 1, 17, 30, tzinfo=UTC))
    late_night = Act.by(clock, "clerk", "office", business_date=date(2026, 7, 2))
    assert late_night.business_date == late_night.recorded_on == date(2026, 7, 2)
    with pytest.raises(InvalidBusinessDate):
        Act.by(clock, "clerk", "office", business_date=date(2026, 7, 3))


def test_simulated_acts_may_be_dated_anywhere(ledger: Ledger) -> None:
    world = build_world(ledger)
    target = world.assignments[("（一）", HR)]
    # after today; before it was assigned
    for day, period in ((date(2027, 3, 1), "2026-06"), (date(2026, 5, 1), "2026-07")):
        act = Act.by(SimulatedClock(day, wall=ledger.clock), "scheduler", "system")
        # a rehearsal's ladder step (once, with its trigger), as the scheduler takes it
        ledger.issue_urge(act, target, "monthly-progress", period, None, "模拟",
                          once=True, trigger={"rule": "urge_after", "working_days": 1})
        last = list(ledger.records())[-1].event
        assert (last.business_date, last.simulated) == (day, True)


def test_a_future_report_is_refused_and_writes_nothing(ledger: Ledger) -> None:
    world = build_world(ledger)
    before = ledger.position()
    with pytest.raises(InvalidBusinessDate):
        ledger.report_progress(
            Act.by(ledger.clock, "clerk", "office", business_date=date(2026, 7, 2)),
            world.assignments[("（一）", HR)], "2026-Q2", "纸质报告",
        )
    assert ledger.position() == before
    # the same report dated today is recorded
    ledger.report_progress(world.office(business_date=TODAY),
                           world.assignments[("（一）", HR)], "2026-Q2", "纸质报告")
    assert ledger.position() == before + 1


def test_nothing_real_counts_before_the_assignment_began(ledger: Ledger) -> None:
    world = build_world(ledger)
    target = world.assignments[("（一）", EDU)]
    early = world.office(business_date=date(2026, 5, 8))
    before = ledger.position()
    refusals = [
        lambda: ledger.report_progress(early, target, "2026-05", "早于分工"),
        lambda: ledger.issue_reminder(early, target, "monthly-progress", "2026-06", None,
                                      "提醒"),
        lambda: ledger.complete(early, target, "办结"),
    ]
    for command in refusals:
        with pytest.raises(InvalidBusinessDate, match="before 自治区教育厅 was assigned to task "
                                                      "（一） \\(2026-05-09\\)"):
            command()
    assert ledger.position() == before
    on_the_day = world.office(business_date=date(2026, 5, 9))
    assert ledger.report_progress(on_the_day, target, "2026-05", "当日").created


def test_an_office_assignment_begins_the_day_it_is_made(ledger: Ledger) -> None:
    world = build_world(ledger)
    added = ledger.assign(world.office(), world.task_two, world.units[EDU], "co").stream_id
    assert ledger.get_assignment(added).assigned_on == TODAY
    with pytest.raises(InvalidBusinessDate):
        ledger.report_progress(world.office(business_date=date(2026, 6, 30)), added,
                               "2026-06", "分工前的报告")
    assert ledger.report_progress(world.office(), added, "2026-06", "当日").created


def test_a_plan_dated_after_today_is_not_imported(ledger: Ledger) -> None:
    from ledger.importer import decode_document, parse_plan
    from ledger.importing import import_plan
    from tests.conftest import SEEDS

    text = (SEEDS / "000_48908fa878961524.txt").read_bytes().decode("utf-8")
    assert "2026年5月9日" in text
    future = parse_plan(decode_document(text.replace("2026年5月9日", "2026年7月2日").encode()))
    act = Act.by(ledger.clock, "clerk", "office")
    for dry_run in (True, False):
        with pytest.raises(InvalidBusinessDate, match="dated 2026-07-02, after today"):
            import_plan(ledger, future, act, dry_run=dry_run)
    assert ledger.position() == 0
    today = parse_plan(decode_document(text.replace("2026年5月9日", "2026年7月1日").encode()))
    assert import_plan(ledger, today, act).events > 0

"""The rules reports are judged by, and plans' horizons, as recorded facts (issue 14).

Real stores on both backends; old events are written exactly as earlier releases stored
them, then read by a fresh application.
"""

from __future__ import annotations

import math
from datetime import date
from uuid import UUID

import pytest
from eventsourcing.persistence import StoredEvent
from eventsourcing.utils import get_topic

from ledger import ids
from ledger.acts import Act
from ledger.application import Ledger, open_ledger
from ledger.calendar import CalendarBase
from ledger.duties import obligation_horizon
from ledger.errors import InvalidInput
from ledger.plan import Plan
from ledger.rules import DEFAULTS, RULES_SINCE, ReportingRules
from ledger.store import StoreConfig
from tests.ledger.world import build_world


def office(ledger: Ledger) -> Act:
    return Act.by(ledger.clock, "office-clerk", "office")


def test_the_rules_are_recorded_once(ledger: Ledger) -> None:
    first = ledger.record_rules_once(office(ledger))
    assert first.created and first.position == 1
    assert not ledger.record_rules_once(office(ledger)).created
    assert ledger.position() == 1
    rules = ledger.reporting_rules()
    assert rules is not None and rules.rules_version == 1
    assert rules.values == DEFAULTS
    assert rules.base() == CalendarBase.from_package()
    opened = next(ledger.records()).event
    assert isinstance(opened, ReportingRules.Opened)
    # counted from the earliest date a report can be asked of, so every report sees them
    assert opened.business_date == RULES_SINCE
    assert opened.calendar_package.startswith("chinesecalendar ")
    assert opened.calendar_base["2026"]["workdays"]["2026-10-10"]  # a 调休 Saturday


def test_a_new_version_counts_up_and_the_same_values_write_nothing(ledger: Ledger) -> None:
    ledger.record_rules_once(office(ledger))
    changed = DEFAULTS.changed(yellow_within=5, on_time=60)
    assert ledger.record_rules(office(ledger), changed).created
    assert not ledger.record_rules(office(ledger), changed).created
    rules = ledger.reporting_rules()
    assert rules is not None
    assert (rules.rules_version, rules.values.yellow_within, rules.values.weights.on_time) == (
        2, 5.0, 60.0)
    assert rules.values.weights.targets == DEFAULTS.weights.targets  # kept
    assert ledger.position() == 2


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"yellow_within": math.nan}, "yellow_within must be a finite number"),
        ({"yellow_within": math.inf}, "yellow_within must be a finite number"),
        ({"yellow_within": 0}, "yellow_within must be above 0"),
        ({"yellow_within": 101}, "at most 100"),
        ({"on_time": -1}, "weight on_time must be at least 0"),
        ({"urge_cost": 2}, "weight urge_cost must be at least 0 and at most 1"),
        ({"on_time": 0, "targets": 0, "escalations": 0}, "cannot all be 0"),
        ({"commend_at": 50}, "call_out_below (60) cannot exceed commend_at (50)"),
        ({"speed": 1}, "unknown weight 'speed'"),
    ],
)
def test_rules_no_office_could_mean_are_refused(
    ledger: Ledger, changes: dict, message: str
) -> None:
    ledger.record_rules_once(office(ledger))
    with pytest.raises(InvalidInput, match=message.replace("(", r"\(").replace(")", r"\)")):
        ledger.record_rules(office(ledger), DEFAULTS.changed(**changes))
    assert ledger.position() == 1  # nothing written


def test_the_working_calendar_counts_on_the_recorded_holidays(ledger: Ledger) -> None:
    """A base that differs from the package wins: the package is not consulted."""
    package = CalendarBase.from_package()
    assert ledger.working_calendar().is_workday(date(2026, 8, 4))
    holidays, workdays = package.years[2026]
    made_up = CalendarBase("chinesecalendar 0.0-test", {
        **package.years, 2026: ({**holidays, date(2026, 8, 4): "Test Day"}, workdays)})
    ledger.record_rules_once(office(ledger))
    ledger.record_rules(office(ledger), DEFAULTS, made_up)
    calendar = ledger.working_calendar()
    assert not calendar.is_workday(date(2026, 8, 4))
    assert calendar.explain(date(2026, 8, 4)).name == "Test Day"
    assert calendar.is_workday(date(2026, 10, 10))  # the rest is the package's as recorded


# ---- plan horizons ---------------------------------------------------------------------
def test_a_plan_records_its_horizon_when_registered(ledger: Ledger) -> None:
    world = build_world(ledger)
    registered = next(r.event for r in ledger.records() if isinstance(r.event, Plan.Registered))
    assert registered.horizon == obligation_horizon(date(2026, 5, 9), []) == date(2030, 12, 31)
    assert ledger.get_plan(world.plan).horizon == date(2030, 12, 31)
    assert ledger.record_missing_horizons(office(ledger)) == []  # nothing missing


def store_v1_plan(ledger: Ledger, act: Act, natural_key: str, issued_on: date) -> UUID:
    """A plan registered exactly as releases before horizons stored it: no class_version,
    no horizon."""
    plan_id = ids.plan_id(natural_key)
    event = Plan.Registered(
        originator_id=plan_id, originator_version=1, originator_topic=get_topic(Plan),
        **act.event_fields(), natural_key=natural_key, doc_number=None, title="旧方案",
        issuer=None, issued_on=issued_on, source_sha256="1" * 64,
        targets=[{"indicator": "培训", "value": 5, "measure": "人",
                  "period": {"from": "2024-01-01", "to": "2032-06-30"}}],
        obligations=[], task_numbers=[], horizon=None,
    )
    current = ledger.mapper.to_stored_event(event)
    state = ledger.mapper.transcoder.decode(current.state)
    assert state.pop("class_version") == 2
    del state["horizon"]
    ledger.recorder.insert_events([StoredEvent(
        originator_id=current.originator_id, originator_version=current.originator_version,
        topic=current.topic, state=ledger.mapper.transcoder.encode(state),
    )])
    return plan_id


def test_an_old_plan_gets_its_horizon_once(ledger: Ledger, store_config: StoreConfig) -> None:
    act = Act.by(ledger.clock, "importer", "system", business_date=date(2024, 3, 1))
    plan_id = store_v1_plan(ledger, act, "old-plan", date(2024, 3, 1))
    reread = open_ledger(store_config, clock=ledger.clock)
    try:
        event = next(reread.records()).event
        assert isinstance(event, Plan.Registered) and event.horizon is None  # decodes
        plan = reread.get_plan(plan_id)
        assert plan.horizon is None and plan.horizon_in_force == date(2032, 6, 30)
        receipts = reread.record_missing_horizons(office(reread))
        assert [r.stream_id for r in receipts] == [plan_id]
        assert reread.record_missing_horizons(office(reread)) == []  # once
        recorded = [r.event for r in reread.records()][-1]
        assert isinstance(recorded, Plan.HorizonRecorded)
        assert recorded.horizon == date(2032, 6, 30)
        assert recorded.business_date == date(2024, 3, 1)  # counts from the plan's issue
        assert reread.get_plan(plan_id).horizon == date(2032, 6, 30)
    finally:
        reread.close()

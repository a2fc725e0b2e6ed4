"""The ledger's StrEnums are their strings: stored events and JSON do not change."""

from __future__ import annotations

import json
from datetime import date
from functools import partial
from uuid import uuid4

import pytest

from ledger.acts import Act
from ledger.application import Ledger, open_ledger
from ledger.briefing import Briefing
from ledger.calendar import WeekdayCalendar
from ledger.clock import FixedClock
from ledger.errors import InvalidInput
from ledger.importer.duties import DEFAULT_DUTY
from ledger.obligations import ObligationRule, evaluate_obligation
from ledger.store import StoreConfig
from ledger.vocabulary import BRIEFING_KINDS, Cadence, ChaseKind, ObligationState, Role
from tests.ledger.test_append_only import stored_rows
from tests.ledger.world import HR, build_world


def test_members_are_the_strings_recorded_before() -> None:
    assert [c.value for c in ChaseKind] == ["reminder", "urge", "escalation"]
    assert [s.value for s in ObligationState] == [
        "open", "submitted_on_time", "submitted_late", "overdue", "extended", "waived"
    ]
    assert [c.value for c in Cadence] == ["monthly", "quarterly", "half-yearly", "annual"]
    assert [r.value for r in Role] == ["lead", "co"]
    assert BRIEFING_KINDS == ("monthly", "quarterly", "half-year", "annual")
    assert {kind: kind.chinese for kind in ChaseKind} == {
        "reminder": "提醒", "urge": "催办", "escalation": "上报监督平台"
    }


def test_one_cadence_reads_both_spellings() -> None:
    assert Cadence("half-year") is Cadence("half-yearly") is Cadence.HALF_YEARLY
    assert Cadence.HALF_YEARLY.briefing_kind == "half-year"
    assert Cadence.MONTHLY.briefing_kind == "monthly"
    assert [Cadence(kind).period_kind for kind in BRIEFING_KINDS] == [
        "month", "quarter", "half", "year"
    ]
    with pytest.raises(ValueError):
        Cadence("halfyearly")


def test_a_duty_may_name_the_cadence_either_way() -> None:
    rule = ObligationRule(slug="summary", description="半年总结", cadence="half-year")
    assert rule.cadence is Cadence.HALF_YEARLY and rule.period_kind == "half"


def test_a_briefing_is_recorded_under_the_briefing_spelling_only(clock: FixedClock) -> None:
    """The member formats as ``half-yearly``, which is neither the recorded kind nor what
    briefing ids are made of: refused, not silently recorded under a second spelling."""
    act = Act.by(clock, "office-clerk", "office")
    issue = partial(
        Briefing.issue, act, uuid4(), period="2026-H1", as_of=date(2026, 6, 30),
        position=1, sha256="0" * 64, pages=1, filename="x.pdf",
    )
    assert issue(kind=Cadence.HALF_YEARLY.briefing_kind).kind == "half-year"
    with pytest.raises(InvalidInput):
        issue(kind=Cadence.HALF_YEARLY)


def test_statuses_are_members_and_json_prints_the_string() -> None:
    status = evaluate_obligation(date(2026, 7, 7), date(2026, 7, 1), WeekdayCalendar())
    assert status.status is ObligationState.OPEN and not status.settled
    assert json.dumps({"status": status.status}) == '{"status": "open"}'


def test_the_transcoder_writes_members_as_plain_strings(ledger: Ledger) -> None:
    transcoder = ledger.mapper.transcoder
    members = {"kind": ChaseKind.URGE, "roles": [Role.LEAD], Cadence.ANNUAL: "key"}
    plain = {"kind": "urge", "roles": ["lead"], "annual": "key"}
    assert transcoder.encode(members) == transcoder.encode(plain)
    decoded = transcoder.decode(transcoder.encode(members))
    assert decoded == plain and type(decoded["kind"]) is str


def test_events_recorded_with_members_store_the_plain_strings(
    ledger: Ledger, store_config: StoreConfig
) -> None:
    world = build_world(ledger)
    act = world.office()
    ledger.register_plan(
        act, "vocabulary-plan", doc_number="测发〔2026〕9号", title="词汇", issuer="测试",
        issued_on=date(2026, 5, 9), source_sha256="1" * 64, targets=[],
        obligations=[DEFAULT_DUTY.to_json()], task_numbers=[],
    )
    ledger.withdraw(act, world.assignments[("（一）", HR)], "调整")
    ledger.assign(act, world.task_one, world.units[HR], Role.CO)  # reinstated as co-unit
    ledger.record_cycle(act, Cadence.HALF_YEARLY.briefing_kind, "2026-H1", {"n": 1})
    states = b"\n".join(
        bytes(column) for row in stored_rows(store_config) for column in row
        if isinstance(column, bytes | memoryview)
    )
    assert b'"cadence":"monthly"' in states
    assert b'"role":"co"' in states
    assert b'"kind":"half-year"' in states
    reader = open_ledger(store_config, clock=ledger.clock)  # no cache: read from the store
    try:
        role = reader.assignment_of(world.task_one, world.units[HR]).role
    finally:
        reader.close()
    assert role == Role.CO and type(role) is str

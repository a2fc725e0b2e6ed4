"""Corrections that name what they change, on SQLite and PostgreSQL.

A correction changes the narrative and/or named figures (null removes one); figures it
does not name keep their values; a correction may be corrected; corrections recorded
before (class version 1) keep meaning "replace everything".
"""

from __future__ import annotations

from uuid import UUID

import pytest
from eventsourcing.persistence import StoredEvent

from ledger.acts import Act
from ledger.application import Ledger, open_ledger
from ledger.assignment import Assignment
from ledger.clock import FixedClock
from ledger.errors import ActionNotAllowed, EmptyNarrative, InvalidInput, InvalidValue, UnknownEvent
from ledger.ids import event_id
from ledger.store import StoreConfig
from tests.ledger.world import EDU, HR, build_world


def values(ledger: Ledger, assignment: UUID, report: UUID) -> tuple[str, dict]:
    """What the report says now, replayed from the events alone (no read model)."""
    narrative, figures = None, None
    for record in ledger.records():
        event = record.event
        if record.event_id == report:
            narrative, figures = event.narrative, dict(event.metrics)
        elif isinstance(event, Assignment.ProgressCorrected) and event.report == report:
            if event.narrative is not None:
                narrative = event.narrative
            figures = dict(event.resulting_metrics)
    return narrative, figures


@pytest.fixture
def reported(ledger: Ledger):
    world = build_world(ledger)
    assignment = world.assignments[("（一）", HR)]
    report = ledger.report_progress(
        world.liaison(), assignment, "2026-Q2", "培训1.2万人，见习岗位300个",
        {"培训": 12000, "见习岗位": 300, "资金": 5.5},
    )
    return world, assignment, report.event_id


def test_narrative_only_correction_keeps_every_figure(ledger: Ledger, reported) -> None:
    world, assignment, report = reported
    fix = ledger.correct_progress(world.liaison(), assignment, report, "培训1.2万人（含线上）",
                                  None, "补充说明")
    stored = next(r.event for r in ledger.records() if r.event_id == fix.event_id)
    assert stored.narrative == "培训1.2万人（含线上）" and stored.metrics == {}
    assert stored.replaces_metrics is False and stored.report == report
    assert values(ledger, assignment, report) == (
        "培训1.2万人（含线上）", {"培训": 12000, "见习岗位": 300, "资金": 5.5})


def test_a_named_figure_changes_a_null_removes_one_others_stay(ledger: Ledger, reported) -> None:
    world, assignment, report = reported
    ledger.correct_progress(world.office(), assignment, report, None,
                            {"培训": 12500, "资金": None}, "资金口径另报")
    assert values(ledger, assignment, report) == (
        "培训1.2万人，见习岗位300个", {"培训": 12500, "见习岗位": 300})
    state = ledger.get_assignment(assignment)
    assert state.report_values[2][1] == {"培训": 12500, "见习岗位": 300}
    # a new figure may be added the same way
    ledger.correct_progress(world.office(), assignment, report, None, {"创业": 40}, "漏报")
    assert values(ledger, assignment, report)[1] == {"培训": 12500, "见习岗位": 300, "创业": 40}


def test_a_correction_can_be_corrected_and_the_chain_leads_to_the_report(
    ledger: Ledger, reported
) -> None:
    world, assignment, report = reported
    first = ledger.correct_progress(world.liaison(), assignment, report, None,
                                    {"培训": 1200}, "录入")
    second = ledger.correct_progress(world.liaison(), assignment, first.event_id, None,
                                     {"培训": 12100}, "上次更正少写一个0")
    third = ledger.correct_progress(world.office(), assignment, second.event_id,
                                    "培训1.21万人", None, "文字同步")
    events = {r.event_id: r.event for r in ledger.records()}
    assert events[second.event_id].corrects == first.event_id
    assert events[third.event_id].corrects == second.event_id
    assert {events[e.event_id].report for e in (first, second, third)} == {report}
    assert values(ledger, assignment, report) == (
        "培训1.21万人", {"培训": 12100, "见习岗位": 300, "资金": 5.5})
    state = ledger.get_assignment(assignment)
    assert state.corrections == {2: [3, 4, 5]}
    assert state.correction_of == {3: 2, 4: 2, 5: 2}


def test_corrections_that_change_nothing_or_name_nothing_are_refused(
    ledger: Ledger, reported
) -> None:
    world, assignment, report = reported
    before = ledger.position()
    refusals = [
        ((None, None), InvalidInput, "must change the narrative or at least one figure"),
        ((None, {}), InvalidInput, "must change"),
        (("培训1.2万人，见习岗位300个", None), InvalidInput, "changes nothing"),
        ((None, {"培训": 12000.0}), InvalidInput, "changes nothing"),  # numbers by value
        ((None, {"不存在": None}), InvalidValue, "no figure '不存在' to remove"),
        ((None, {"培训": "many"}), InvalidValue, "must be a number"),
        ((None, {"培训": float("nan")}), InvalidValue, "finite"),
        ((None, {"培训": True}), InvalidValue, "number"),
        ((None, {"培训": 1, " 培训 ": None}), InvalidValue, "both set and removed"),
        ((None, {"培训": 1, " 培训": 2}), InvalidValue, "named twice"),
        ((None, ["培训"]), InvalidValue, "mapping"),
        (("   ", None), EmptyNarrative, "narrative"),
    ]
    for (narrative, metrics), error, message in refusals:
        with pytest.raises(error, match=message):
            ledger.correct_progress(world.liaison(), assignment, report, narrative, metrics, "r")
    with pytest.raises(InvalidInput, match="reason"):
        ledger.correct_progress(world.liaison(), assignment, report, "新的", None, " ")
    with pytest.raises(UnknownEvent):
        ledger.correct_progress(world.liaison(), assignment, world.assignments[("（一）", EDU)],
                                "新的", None, "r")
    assert ledger.position() == before  # nothing written


def test_a_rehearsal_cannot_correct_a_real_report(ledger: Ledger, reported) -> None:
    _, assignment, report = reported
    rehearsal = Act.by(FixedClock(ledger.clock.now(), simulated=True), "office", "office")
    with pytest.raises(ActionNotAllowed, match="simulated act cannot correct a real report"):
        ledger.correct_progress(rehearsal, assignment, report, "演练", None, "演练")


def store_v1_correction(
    ledger: Ledger, act: Act, assignment: UUID, corrects: UUID, narrative: str,
    metrics: dict, reason: str,
) -> UUID:
    """Append a correction exactly as releases before class version 2 stored it: no
    class_version, no report, replaces_metrics or resulting_metrics."""
    version = ledger.get_assignment(assignment).version + 1
    event = Assignment.ProgressCorrected(
        originator_id=assignment, originator_version=version, **act.event_fields(),
        corrects=corrects, report=corrects, narrative=narrative, metrics=metrics,
        replaces_metrics=True, resulting_metrics=metrics, reason=reason,
    )
    current = ledger.mapper.to_stored_event(event)
    state = ledger.mapper.transcoder.decode(current.state)
    assert state.pop("class_version") == 2
    for field in ("report", "replaces_metrics", "resulting_metrics"):
        del state[field]
    ledger.recorder.insert_events([StoredEvent(
        originator_id=current.originator_id, originator_version=current.originator_version,
        topic=current.topic, state=ledger.mapper.transcoder.encode(state),
    )])
    return event_id(assignment, version)


def test_version_1_corrections_still_replace_everything(
    ledger: Ledger, reported, store_config: StoreConfig
) -> None:
    world, assignment, report = reported
    old = store_v1_correction(ledger, world.liaison(), assignment, report, "培训1.3万人",
                              {"培训": 13000}, "旧版更正")
    # a fresh application reads the stored event through the upcaster
    reread = open_ledger(store_config, clock=ledger.clock)
    try:
        event = next(r.event for r in reread.records() if r.event_id == old)
        assert (event.report, event.replaces_metrics) == (report, True)
        assert event.metrics == event.resulting_metrics == {"培训": 13000}
        # full replacement: the figures it did not list are gone
        assert values(reread, assignment, report) == ("培训1.3万人", {"培训": 13000})
        state = reread.get_assignment(assignment)
        assert state.corrections == {2: [3]} and state.report_values[2][1] == {"培训": 13000}
        # and a new, partial correction of the old one builds on what it left
        newer = reread.correct_progress(world.liaison(), assignment, old, None,
                                        {"见习岗位": 310}, "补报岗位")
        assert values(reread, assignment, report) == (
            "培训1.3万人", {"培训": 13000, "见习岗位": 310})
        assert next(r.event for r in reread.records()
                    if r.event_id == newer.event_id).corrects == old
    finally:
        reread.close()


def test_state_read_back_from_the_store_equals_the_state_decided_on(
    ledger: Ledger, reported, store_config: StoreConfig
) -> None:
    world, assignment, report = reported
    first = ledger.correct_progress(world.liaison(), assignment, report, None,
                                    {"资金": None}, "a")
    ledger.correct_progress(world.liaison(), assignment, first.event_id, "b", {"培训": 1}, "b")
    decided = {k: v for k, v in vars(ledger.get_assignment(assignment)).items()
               if k != "_pending_events"}
    reread = open_ledger(store_config, clock=ledger.clock)
    try:
        fresh = {k: v for k, v in vars(reread.get_assignment(assignment)).items()
                 if k != "_pending_events"}
    finally:
        reread.close()
    assert fresh == decided
    assert fresh["report_values"][2][1] == {"培训": 1, "见习岗位": 300}
